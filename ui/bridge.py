"""Engine events → Qt signals on the GUI thread.

The engine's ``Signal``s fire on whatever thread changed something (source threads report
their state themselves).  ``StudioBridge`` lives on the GUI thread and re-emits each event
as a Qt signal; Qt delivers a signal emitted from another thread as a queued call, so the
views only ever run on the GUI thread.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from studio.engine import Studio


class StudioBridge(QObject):
    """Re-emits ``Studio``'s events as Qt signals; ``detach()`` before the studio outlives it."""

    collection_changed = Signal(str)  # what: "scenes", "sources", "items", "transition", "collection"
    current_scene_changed = Signal(str)  # scene id ("" when there is none)
    source_state_changed = Signal(str, str, str)  # source id, SourceState value, message

    def __init__(self, studio: Studio, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self._is_attached = False
        self.attach()

    def attach(self) -> None:
        if self._is_attached:
            return
        self.studio.collection_changed.connect(self._on_collection_changed)
        self.studio.current_scene_changed.connect(self._on_current_scene_changed)
        self.studio.source_state_changed.connect(self._on_source_state_changed)
        self._is_attached = True

    def detach(self) -> None:
        if not self._is_attached:
            return
        self.studio.collection_changed.disconnect(self._on_collection_changed)
        self.studio.current_scene_changed.disconnect(self._on_current_scene_changed)
        self.studio.source_state_changed.disconnect(self._on_source_state_changed)
        self._is_attached = False

    # Engine threads call these; emitting only queues a call for the GUI thread.
    def _on_collection_changed(self, what: str = "") -> None:
        self.collection_changed.emit(str(what))

    def _on_current_scene_changed(self, scene_id: str | None = None) -> None:
        self.current_scene_changed.emit(scene_id or "")

    def _on_source_state_changed(self, source_id: str, state: object, message: str = "") -> None:
        self.source_state_changed.emit(source_id, str(getattr(state, "value", state)), message or "")
