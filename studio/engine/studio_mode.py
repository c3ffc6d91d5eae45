"""Studio mode: preview, then take.  While it is on, a second scene — the preview — is rendered for
the host only (never on air) by its own compositor, edited there, and put on the program with the
transition by :meth:`StudioMode.take`.

The preview compositor peeks at the same running sources (``marks_frames_read=False``: it neither
steals the program's frames nor hides drops) and its sources are awake while it draws them.  Off,
there is no second compositor and no extra work.  A part of :class:`~studio.engine.Studio`
(``studio.studio_mode``) working under the engine's lock.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from studio.compositor import Compositor
from studio.core.events import Signal
from studio.engine.plans import horizontal_plan

if TYPE_CHECKING:
    from studio.engine.engine import Studio


class StudioMode:
    def __init__(self, studio: Studio) -> None:
        self._studio = studio
        self.compositor: Compositor | None = None
        self.scene_id: str | None = None
        self.changed = Signal()  # emit(is_on=bool, scene_id=str|None): turned on/off or another preview scene

    @property
    def is_on(self) -> bool:
        return self.compositor is not None

    def enable(self) -> None:
        """Turn studio mode on, previewing the scene on the program (as OBS does)."""
        studio = self._studio
        if self.compositor is not None:
            return
        canvas = studio.collection.canvas
        with studio._lock:
            self.compositor = Compositor(canvas.width, canvas.height, canvas.fps, studio.sources.get, marks_frames_read=False)
            self.scene_id = studio.collection.current_scene
            self.update_plan()
            studio.running.update_wakefulness()
        if studio.is_started:
            self.compositor.start()
        self.changed.emit(is_on=True, scene_id=self.scene_id)

    def disable(self) -> None:
        compositor, self.compositor = self.compositor, None
        if compositor is None:
            return
        compositor.stop()
        self.scene_id = None
        with self._studio._lock:
            self._studio.running.update_wakefulness()
        self.changed.emit(is_on=False, scene_id=None)

    def set_scene(self, scene_id: str) -> None:
        """Preview ``scene_id`` (the program does not change)."""
        studio = self._studio
        if self.compositor is None or studio.collection.scene(scene_id) is None or scene_id == self.scene_id:
            return
        with studio._lock:
            self.scene_id = scene_id
            self.update_plan()
            studio.running.update_wakefulness()
        self.changed.emit(is_on=True, scene_id=scene_id)

    def update_plan(self) -> None:
        """Give the preview compositor its scene's layers (call under the engine's lock)."""
        if self.compositor is None:
            return
        collection = self._studio.collection
        if collection.scene(self.scene_id or "") is None:  # removed: preview the program's scene
            self.scene_id = collection.current_scene
            self.changed.emit(is_on=True, scene_id=self.scene_id)
        self.compositor.set_plan(horizontal_plan(collection.scene(self.scene_id or "")))

    def take(self, transition: str | None = None, duration_ms: int | None = None) -> None:
        """Put the preview scene on the program with ``transition`` (the collection's by default).

        Sources that go on the program now were already playing in the preview (awake, so no
        wake-up restarts them): each is told it is shown, and a media file set to "restart when
        shown" plays from the start, as OBS restarts a source when it becomes active."""
        if self.compositor is None or self.scene_id is None:
            return
        studio = self._studio
        with studio._lock:
            before = studio._sources_on_program()
            studio.switch_scene(self.scene_id, transition, duration_ms)
            shown = studio._sources_on_program() - before
            for source_id in shown:
                source = studio.sources.get(source_id)
                show = getattr(source, "shown", None)
                if show is not None:
                    show()

    def source_ids_in_use(self) -> set[str]:
        return self.compositor.source_ids_in_use() if self.compositor is not None else set()
