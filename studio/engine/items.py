"""Scene items: a source placed in a scene — added, moved, restacked, removed, and fitted to
its source's own size once the first frame says what that is.

A part of :class:`~studio.engine.Studio` (``studio.items``) working under the engine's lock
on the engine's collection; a change to the scene on air re-plans the program.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio.scene import Scene, SceneItem, fit_rect, own_size_rect
from studio.sources.base import VideoSource

if TYPE_CHECKING:
    from studio.engine.engine import Studio


class SceneItems:
    def __init__(self, studio: Studio) -> None:
        self._studio = studio
        self._pending_fit: set[tuple[str, str]] = set()  # (scene_id, item_id) to refit on first frame

    def place(self, scene: Scene, source_id: str) -> SceneItem:
        """Put a source in ``scene`` full-canvas, to be fitted to its size on its first frame
        (call under the engine's lock; the caller re-plans)."""
        canvas = self._studio.collection.canvas
        item = SceneItem(source_id=source_id, width=canvas.width, height=canvas.height)
        scene.items.append(item)
        self._pending_fit.add((scene.id, item.id))
        return item

    def add(self, scene_id: str, source_id: str) -> SceneItem | None:
        """Show an existing source in another scene too."""
        studio = self._studio
        with studio._lock:
            scene = studio.collection.scene(scene_id)
            if scene is None or studio.collection.source(source_id) is None:
                return None
            item = self.place(scene, source_id)
            studio._update_plan(transition=False)
        studio.collection_changed.emit(what="items")
        return item

    def refit_pending(self, source: VideoSource) -> None:
        """Give the items waiting for ``source``'s size their place: a picture (product card,
        logo) at its own size, centred; a camera, video or pattern fitted keeping its shape."""
        size = source.natural_size()
        if size is None:
            return
        studio = self._studio
        changed = False
        with studio._lock:
            canvas = studio.collection.canvas
            place = own_size_rect if source.kind == "image" else fit_rect
            for scene in studio.collection.scenes:
                for item in scene.items:
                    key = (scene.id, item.id)
                    if item.source_id == source.source_id and key in self._pending_fit:
                        self._pending_fit.discard(key)
                        item.x, item.y, item.width, item.height = place(size[0], size[1], canvas.width, canvas.height)
                        changed = True
            if changed:
                studio._update_plan(transition=False)
        if changed:
            studio.collection_changed.emit(what="items")

    def forget_pending(self) -> None:
        """A new collection: nothing of the old one waits for a size."""
        self._pending_fit.clear()

    def update(self, scene_id: str, item_id: str, **fields: Any) -> None:
        """Change an item's x, y, width, height, crop, opacity, is_visible or vertical (validated)."""
        studio = self._studio
        with studio._lock:
            found = studio.collection.item(scene_id, item_id)
            if found is None:
                return
            scene, item = found
            # Validated as a whole (raises before anything changes); nested fields given as dicts
            # (crop, vertical) become their models instead of being stored raw.
            updated = SceneItem.model_validate({**item.model_dump(), **fields})
            scene.items[scene.items.index(item)] = updated
            self._pending_fit.discard((scene_id, item_id))
            studio._replan(scene_id)
        studio.collection_changed.emit(what="items")

    def move(self, scene_id: str, item_id: str, steps: int) -> None:
        """Change z-order: positive moves towards the top."""
        studio = self._studio
        with studio._lock:
            scene = studio.collection.scene(scene_id)
            if scene is None:
                return
            index = next((i for i, item in enumerate(scene.items) if item.id == item_id), None)
            if index is None:
                return
            target = max(0, min(len(scene.items) - 1, index + steps))
            scene.items.insert(target, scene.items.pop(index))
            studio._replan(scene_id)
        studio.collection_changed.emit(what="items")

    def remove(self, scene_id: str, item_id: str) -> None:
        studio = self._studio
        with studio._lock:
            scene = studio.collection.scene(scene_id)
            if scene is None:
                return
            scene.items = [item for item in scene.items if item.id != item_id]
            studio._replan(scene_id)
        studio.collection_changed.emit(what="items")
