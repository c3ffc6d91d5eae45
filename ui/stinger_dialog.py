"""The stinger transition's settings: its video (with alpha) and the cut point, and its state in words.

``StingerDialog`` chooses the file and the cut point; the file is checked on a pool thread (never
on the GUI thread) and OK stays off until it is known to play.  ``StingerStatus`` is one line
saying which stinger the next take plays, or why it will be a fade; the studio-mode panel and
the Scenes dock show it.
"""
from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from studio.compositor.stinger import MAX_STINGER_MS, probe_stinger
from studio.engine import Studio
from studio.scene import StingerSettings
from ui.workers import run_in_background

VIDEO_FILTER = "*.mov *.webm *.mkv *.apng *.png *.gif *.avi"


class StingerDialog(QDialog):
    """Choose the stinger video and its cut point; OK makes "stinger" the show's transition."""

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stingerDialog")
        self.studio = studio
        self.duration_ms: float | None = None
        self._probing: str | None = None  # the path being checked on the pool (newest wins)
        current = studio.collection.transition.stinger
        self.path_edit = QLineEdit(self)
        self.path_edit.setReadOnly(True)
        self.browse_button = QPushButton(self)
        self.browse_button.clicked.connect(self.browse)
        self.cut_spin = QSpinBox(self)
        self.cut_spin.setObjectName("stingerCutPoint")
        self.cut_spin.setRange(0, MAX_STINGER_MS)
        self.cut_spin.setSingleStep(50)
        self.cut_spin.setValue(current.cut_point_ms if current else 0)
        self.state_label = QLabel(self)
        self.state_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse_button)
        self.form = QFormLayout(self)
        self.file_label, self.cut_label = QLabel(self), QLabel(self)
        self.form.addRow(self.file_label, file_row)
        self.form.addRow(self.cut_label, self.cut_spin)
        self.form.addRow(self.state_label)
        self.form.addRow(self.buttons)
        self.setMinimumWidth(480)
        self.retranslate()
        self.set_path(current.path if current else "")

    def browse(self) -> None:
        dialog = QFileDialog(self, self.tr("Choose a stinger video"), os.path.dirname(self.path_edit.text()))
        dialog.setNameFilters([self.tr("Videos with transparency ({patterns})").format(patterns=VIDEO_FILTER), self.tr("All files (*)")])
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.set_path)
        dialog.open()

    def set_path(self, path: str) -> None:
        """Show ``path`` and check it on a pool thread (OK waits for the answer)."""
        self.path_edit.setText(path)
        self.duration_ms = None
        self._ok().setEnabled(False)
        if not path:
            self.state_label.setText(self.tr("Choose a video with transparency (alpha)."))
            return
        self._probing = path
        self.state_label.setText(self.tr("Checking the video…"))
        run_in_background(lambda: probe_stinger(path), lambda duration: self._checked(path, duration, None),
                          lambda error: self._checked(path, None, error), receiver=self)

    def _checked(self, path: str, duration_ms: float | None, error: BaseException | None) -> None:
        if path != self._probing:
            return  # another file was chosen meanwhile
        if duration_ms is None:
            self.state_label.setText(str(getattr(error, "message", None) or error))
            return
        self.duration_ms = duration_ms
        self.cut_spin.setMaximum(int(duration_ms))
        self.state_label.setText(self.tr("{seconds:.1f} s with transparency: the transition lasts as long as the video.").format(seconds=duration_ms / 1000))
        self._ok().setEnabled(True)

    def _ok(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def accept(self) -> None:
        if self.duration_ms is None:
            return
        stinger = StingerSettings(path=self.path_edit.text(), cut_point_ms=self.cut_spin.value())
        self.studio.set_transition("stinger", self.studio.collection.transition.duration_ms, stinger)
        super().accept()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Stinger transition"))
        self.file_label.setText(self.tr("Video"))
        self.cut_label.setText(self.tr("Cut point"))
        self.browse_button.setText(self.tr("Choose…"))
        self.cut_spin.setSuffix(self.tr(" ms"))
        self.cut_spin.setToolTip(self.tr("When the new scene appears under the video, from its start"))


class StingerStatus(QLabel):
    """One line: the stinger the next take plays, or why it will be a fade (hidden for other transitions)."""

    _engine_changed = Signal()

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stingerStatus")
        self.studio = studio
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self._watched: Any = None
        self._engine_changed.connect(self.refresh, Qt.ConnectionType.QueuedConnection)
        studio.collection_changed.connect(self._relay)
        self.refresh()

    def _relay(self, **_payload: Any) -> None:
        try:
            self._engine_changed.emit()
        except RuntimeError:  # the label is gone
            self.detach()

    def detach(self) -> None:
        for signal in (self.studio.collection_changed, getattr(self._watched, "changed", None)):
            if signal is not None:
                try:
                    signal.disconnect(self._relay)
                except (ValueError, KeyError):
                    pass

    def refresh(self) -> None:
        transition = self.studio.collection.transition
        stinger = self.studio.compositor.stinger
        if stinger is not self._watched:  # a new file or compositor: hear when it is ready or fails
            if self._watched is not None:
                try:
                    self._watched.changed.disconnect(self._relay)
                except (ValueError, KeyError):
                    pass
            self._watched = stinger
            if stinger is not None:
                stinger.changed.connect(self._relay)
        self.setVisible(transition.kind == "stinger")
        if transition.kind != "stinger":
            return
        if transition.stinger is None or stinger is None:
            text, is_problem = self.tr("No stinger video chosen: takes use a fade."), True
        elif stinger.problem:
            text, is_problem = self.tr("Stinger cannot play: {reason} Takes use a fade.").format(reason=stinger.problem), True
        elif stinger.is_ready:
            text = self.tr("Stinger: {name} ({seconds:.1f} s, cut at {cut} ms)").format(
                name=os.path.basename(stinger.path), seconds=(stinger.duration_ms or 0) / 1000, cut=stinger.cut_point_ms)
            is_problem = False
        else:
            text, is_problem = self.tr("Stinger: loading {name}…").format(name=os.path.basename(stinger.path)), False
        self.setText(text)
        self.setStyleSheet("color: #e0a030;" if is_problem else "color: #b9bec8;")
        self.setToolTip(transition.stinger.path if transition.stinger else "")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.refresh()
        super().changeEvent(event)
