"""Both canvases side by side: the horizontal program and, while it is on, the vertical (9:16) one.

The vertical preview is a :class:`~ui.preview.ProgramPreview` of ``CanvasRole.VERTICAL``: it
repaints on its own timer from the vertical compositor's newest frame, exactly like the
program preview, and costs nothing while hidden.  It appears when the engine turns the
vertical canvas on (a scene asks for it, or a show with a vertical destination starts) and
goes when it is turned off: the engine's ``canvases_changed`` arrives on whatever thread
changed the canvas and is relayed here as a queued Qt signal.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from studio.engine import Studio
from studio.scene import CanvasRole
from ui.preview import ProgramPreview


class VerticalPreview(ProgramPreview):
    """The vertical canvas's program, letterboxed into a narrow column."""

    def __init__(self, studio: Studio, preview_fps: int = 30, parent: QWidget | None = None) -> None:
        super().__init__(studio, preview_fps, parent, canvas=CanvasRole.VERTICAL)
        self.setMinimumSize(120, 213)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(304, 540)


class CanvasPreviews(QWidget):
    """The program preview, with the vertical preview beside it while the vertical canvas is on."""

    _canvases_changed = Signal()

    def __init__(self, studio: Studio, program: ProgramPreview, preview_fps: int = 30, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvasPreviews")
        self.studio = studio
        self.program = program
        self.vertical = VerticalPreview(studio, preview_fps)
        self.vertical_caption = QLabel()
        self.vertical_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.vertical_caption.setStyleSheet("color: #b9bec8; font-size: 11px;")
        self.vertical_panel = QWidget()
        panel_layout = QVBoxLayout(self.vertical_panel)
        panel_layout.setContentsMargins(0, 0, 0, 0)
        panel_layout.setSpacing(2)
        panel_layout.addWidget(self.vertical_caption)
        panel_layout.addWidget(self.vertical, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(program)
        self.splitter.addWidget(self.vertical_panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._canvases_changed.connect(self.update_visibility, Qt.ConnectionType.QueuedConnection)
        studio.canvases_changed.connect(self._on_canvases_changed)
        self.retranslate()
        self.update_visibility()

    def _on_canvases_changed(self, **_payload: Any) -> None:
        try:
            self._canvases_changed.emit()
        except RuntimeError:  # the window is gone
            self.detach()

    def detach(self) -> None:
        """Stop listening to the engine (the window closes)."""
        try:
            self.studio.canvases_changed.disconnect(self._on_canvases_changed)
        except (ValueError, KeyError):
            pass

    @property
    def is_vertical_shown(self) -> bool:
        return not self.vertical_panel.isHidden()

    def update_visibility(self) -> None:
        is_on = bool(self.studio.vertical.is_on)
        if is_on == self.is_vertical_shown:
            return
        self.vertical_panel.setVisible(is_on)
        if is_on:
            width = max(1, self.width())
            self.splitter.setSizes([width * 3 // 4, width // 4])

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def set_preview_fps(self, fps: int) -> None:
        """The program and the vertical previews' rate (0 pauses both)."""
        self.program.set_preview_fps(fps)
        self.vertical.set_preview_fps(fps)

    def retranslate(self) -> None:
        self.vertical_caption.setText(self.tr("Vertical 9:16"))
