"""Studio mode in the window: the preview scene (left of the program) with a Take button.

The engine side is ``studio.studio_mode`` (:mod:`studio.engine.studio_mode`).  While it is on,
clicking a scene previews it, the Sources dock edits the preview's layers, and Take (the button or
Ctrl+Enter) puts it on the program with the transition chosen in the Scenes dock.  "Stinger…" chooses
the stinger video and its cut point (and makes the stinger the transition); the line beside it says
which stinger the next take plays, or why it will be a fade.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from studio.engine import Studio
from ui.preview import ProgramPreview
from ui.stinger_dialog import StingerDialog, StingerStatus


class StudioPreview(ProgramPreview):
    """The studio-mode preview: the preview scene's own compositor (nothing of it goes on air)."""

    def __init__(self, studio: Studio, preview_fps: int, parent: QWidget | None = None) -> None:
        super().__init__(studio, preview_fps, parent)
        self.setObjectName("studioPreview")
        self.editor = None  # layers are edited from the Sources dock
        self.setMouseTracking(False)

    def compositor(self):  # -> Compositor | None
        return self.studio.studio_mode.compositor

    def retranslate(self) -> None:
        super().retranslate()
        self._placeholder = self.tr("No preview picture yet")
        self.setToolTip(self.tr("Preview: the next scene, for you only — Take puts it on the program"))


class StudioModePanel(QWidget):
    """Caption, preview and Take; ``changed`` (on the GUI thread) when studio mode or its scene changes."""

    changed = Signal()
    _engine_changed = Signal()

    def __init__(self, studio: Studio, take: Any, preview_fps: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("studioModePanel")
        self.studio = studio
        self.caption = QLabel(self)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setStyleSheet("color: #b9bec8; font-size: 11px;")
        self.preview = StudioPreview(studio, preview_fps, self)
        self.take_button = QPushButton(self)
        self.take_button.setObjectName("takeButton")
        self.take_button.clicked.connect(take)
        self.shortcut = QShortcut(QKeySequence("Ctrl+Return"), parent or self)
        self.shortcut.activated.connect(lambda: take() if self.studio.studio_mode.is_on else None)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.take_button)
        stinger_row = QHBoxLayout()
        stinger_row.setSpacing(4)
        self.stinger_status = StingerStatus(studio, self)
        self.stinger_button = QPushButton(self)
        self.stinger_button.setObjectName("studioStingerButton")
        self.stinger_button.clicked.connect(self.choose_stinger)
        self.stinger_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)  # at the end of its row
        self.stinger_dialog: StingerDialog | None = None
        stinger_row.addWidget(self.stinger_status, 1)
        stinger_row.addStretch(0)
        stinger_row.addWidget(self.stinger_button)
        layout.addLayout(stinger_row)
        self._engine_changed.connect(self._on_changed, Qt.ConnectionType.QueuedConnection)
        studio.studio_mode.changed.connect(self._relay)
        self.setVisible(studio.studio_mode.is_on)
        self.retranslate()

    def _relay(self, **_payload: Any) -> None:
        try:
            self._engine_changed.emit()
        except RuntimeError:  # the window is gone
            self.detach()

    def detach(self) -> None:
        self.stinger_status.detach()
        try:
            self.studio.studio_mode.changed.disconnect(self._relay)
        except (ValueError, KeyError):
            pass

    def choose_stinger(self) -> StingerDialog:
        """Open the stinger's settings (file, cut point); OK makes it the transition of the next take."""
        self.stinger_dialog = StingerDialog(self.studio, self)
        self.stinger_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.stinger_dialog.open()
        return self.stinger_dialog

    def _on_changed(self) -> None:
        self.setVisible(self.studio.studio_mode.is_on)
        self.retranslate()
        self.changed.emit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        scene = self.studio.collection.scene(self.studio.studio_mode.scene_id or "")
        self.caption.setText(self.tr("Preview: {scene}").format(scene=scene.name) if scene else self.tr("Preview"))
        self.take_button.setText(self.tr("Take ▸ (Ctrl+Enter)"))
        self.take_button.setToolTip(self.tr("Put the preview on the program with the transition chosen in Scenes"))
        self.stinger_button.setText(self.tr("Stinger…"))
        self.stinger_button.setToolTip(self.tr("Choose the stinger video and its cut point for the next takes"))
