"""The vertical (9:16) canvas of a show: turning it on and off, its per-scene layout and item
places, its render plan and numbers.

``VerticalCompositor`` draws the 9:16 program from the same running sources as the horizontal
one (captured once).  With the canvas off there is no compositor, no thread and no extra work.
This unit is a part of :class:`~studio.engine.Studio` (``studio.vertical``) and works under the
engine's lock on the engine's collection.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio import scene as scene_io
from studio.compositor.vertical import VerticalCompositor
from studio.core.errors import StudioError
from studio.core.i18n import _
from studio.engine.plans import vertical_plan
from studio.scene import (
    DEFAULT_VERTICAL_HEIGHT,
    DEFAULT_VERTICAL_WIDTH,
    CanvasRole,
    ItemTransform,
    SceneCollection,
    VerticalCanvas,
    VerticalLayout,
    vertical_transform,
)

if TYPE_CHECKING:
    from studio.engine.engine import Studio


class VerticalCanvasControl:
    def __init__(self, studio: Studio) -> None:
        self._studio = studio
        self.compositor: VerticalCompositor | None = self.make(studio.collection)
        self.holders: set[object] = set()  # outputs whose encoders depend on the vertical canvas

    @property
    def is_on(self) -> bool:
        return self.compositor is not None

    def make(self, collection: SceneCollection) -> VerticalCompositor | None:
        """A compositor for ``collection``'s vertical canvas (None when it has none), following
        the horizontal program's latency probe and frames."""
        vertical = collection.vertical_canvas
        if vertical is None:
            return None
        horizontal = self._studio.compositor
        compositor = VerticalCompositor(vertical.width, vertical.height, collection.canvas.fps, self._studio.sources.get)
        compositor.is_latency_probe_on = horizontal.is_latency_probe_on
        compositor.follow(horizontal)
        return compositor

    # -- on, off, size -------------------------------------------------------------------------
    def enable(self, width: int = DEFAULT_VERTICAL_WIDTH, height: int = DEFAULT_VERTICAL_HEIGHT) -> VerticalCompositor:
        """Turn the vertical canvas on, or change its size (a new compositor; its overlays go).

        Raises ``StudioError`` (nothing changes) to resize it while an output holds it, and
        ``ValidationError`` for a size no encoder takes (odd, out of range).
        """
        canvas = VerticalCanvas(width=width, height=height)
        studio = self._studio
        with studio._lock:
            if self.compositor is not None and studio.collection.vertical_canvas == canvas:
                return self.compositor
            self.check_free()
            studio.collection.vertical_canvas = canvas
        self._replace()
        studio.collection_changed.emit(what="canvas")
        return self.compositor  # type: ignore[return-value]

    def disable(self) -> None:
        """Turn the vertical canvas off: its compositor and thread stop; no work remains."""
        studio = self._studio
        with studio._lock:
            if studio.collection.vertical_canvas is None and self.compositor is None:
                return
            self.check_free()
            studio.collection.vertical_canvas = None
        self._replace()
        studio.collection_changed.emit(what="canvas")

    def safe_box(self) -> tuple[int, int, int, int] | None:
        """(x, y, w, h) on the vertical canvas that clears TikTok, Reels and Shorts UI (None when off):
        where vertical cards belong."""
        vertical = self._studio.collection.vertical_canvas
        return scene_io.vertical_safe_box(vertical.width, vertical.height) if vertical is not None else None

    def check_free(self) -> None:
        if self.holders:
            raise StudioError(_("Stop the vertical live streams before changing the vertical canvas."))

    def _replace(self) -> None:
        """Stop the old compositor, make the one the collection asks for, start it if the show runs."""
        studio = self._studio
        old, self.compositor = self.compositor, None
        if old is not None:
            old.stop()
        with studio._lock:
            self.compositor = self.make(studio.collection)
            self.update_plan(None, None)
            studio.running.update_wakefulness()
        if self.compositor is not None and studio.is_started:
            self.compositor.start()
        self.announce()

    def announce(self) -> None:
        """Tell listeners the vertical canvas appeared, changed size or went away."""
        vertical = self._studio.collection.vertical_canvas
        self._studio.canvases_changed.emit(role=CanvasRole.VERTICAL, is_on=vertical is not None,
                                           width=vertical.width if vertical else None,
                                           height=vertical.height if vertical else None)

    # -- layout and items --------------------------------------------------------------------------
    def update_plan(self, kind: str | None, duration_ms: int | None) -> None:
        """Give the compositor the current scene's layout; a fade only between two manual layouts."""
        compositor = self.compositor
        if compositor is None:
            return
        studio = self._studio
        scene = studio.current_scene()
        layout = scene.vertical_layout if scene is not None else VerticalLayout.AUTO
        plan = vertical_plan(scene, studio.collection.canvas, studio.collection.vertical_canvas)
        if kind is not None and duration_ms is not None and layout is VerticalLayout.MANUAL and compositor.layout is VerticalLayout.MANUAL:
            compositor.set_plan(plan, kind, duration_ms)
        else:
            compositor.set_plan(plan)
        compositor.set_layout(layout)

    def update_item(self, scene_id: str, item_id: str, **fields: Any) -> None:
        """Change an item's place on the vertical canvas (x, y, width, height, crop, is_visible).

        The first change starts from where the item is shown now (its default placement);
        ``reset=True`` goes back to the default (``vertical`` = None).
        """
        studio = self._studio
        with studio._lock:
            found = studio.collection.item(scene_id, item_id)
            if found is None:
                return
            scene, item = found
            if fields.pop("reset", False):
                transform = None
            else:
                vertical = studio.collection.vertical_canvas or VerticalCanvas()
                current = vertical_transform(item, studio.collection.canvas, vertical)
                transform = ItemTransform.model_validate({**current.model_dump(), **fields})  # raises before anything changes
            scene.items[scene.items.index(item)] = item.model_copy(update={"vertical": transform})
            if scene_id == studio.collection.current_scene:
                self.update_plan(None, None)
                studio.running.update_wakefulness()
        studio.collection_changed.emit(what="items")

    def set_layout(self, scene_id: str, layout: VerticalLayout | str) -> None:
        """"auto" (cut from the horizontal program following the host) or "manual" for one scene."""
        layout = VerticalLayout(layout)
        studio = self._studio
        with studio._lock:
            scene = studio.collection.scene(scene_id)
            if scene is None or scene.vertical_layout is layout:
                return
            scene.vertical_layout = layout
            if scene_id == studio.collection.current_scene:
                self.update_plan(None, None)
                studio.running.update_wakefulness()
        studio.collection_changed.emit(what="scenes")

    # -- numbers ------------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any] | None:
        """The vertical program's numbers (None when the canvas is off); drops are its own."""
        compositor = self.compositor
        if compositor is None:
            return None
        renders = sorted(compositor.render_ms)
        return {
            "width": compositor.width,
            "height": compositor.height,
            "layout": compositor.layout.value,
            "ticks": compositor.ticks,
            "render_ms_p50": renders[len(renders) // 2] if renders else None,
            "late_ticks": compositor.late_ticks,
            "missed_pictures": compositor.missed_pictures,
            "dropped_frames": compositor.missed_pictures + compositor.consumer_drops(),
        }
