"""Settings → Go live…: what Go live does besides streaming — record while live, send the
live-show events over the stream's data channel, and how the preview runs when not live and while live.

A view of ``settings.golive`` (:class:`studio.settings.GoLiveSettings`).  Changes apply from the
next Go live; a show on air keeps what it started with (the preview's rate applies at once).  Saving writes settings.json (small,
atomic); a folder that cannot be created is refused with the reason beside the field.
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QVBoxLayout, QWidget)

from studio.settings import LIGHT_PREVIEW_FPS, Settings, default_recording_folder, save_settings

log = logging.getLogger(__name__)

LIVE_PREVIEW_CHOICES = ("light", "smooth", "paused")
# The preview's rate when not live (Settings.ui.preview_fps).  30 is smooth for arranging a scene;
# each lower step leaves more of the processor: the 1080p → preview scale and the paint cost
# ≈ 0.3 % of a core per frame a second on the 2-core benchmark machine at load 3-4 (bridgecast bench app).
IDLE_PREVIEW_FPS_CHOICES = (30, 20, 15, 10)

PROBLEM_STYLE = "color: #ff6b6b;"


class GoLiveSettingsDialog(QDialog):
    """Record while live (folder, MP4 copy after the show) and the events channel."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("goLiveSettingsDialog")
        self.settings = settings
        recording = settings.golive.recording
        self.record_check = QCheckBox(self)
        self.record_check.setObjectName("recordWhileLiveCheck")
        self.record_check.setChecked(recording.record_while_live)
        self.folder_edit = QLineEdit(self)
        self.folder_edit.setObjectName("recordingFolderEdit")
        self.folder_edit.setText(recording.folder or str(default_recording_folder()))
        self.browse_button = QPushButton(self)
        self.browse_button.clicked.connect(self._browse)
        self.remux_check = QCheckBox(self)
        self.remux_check.setObjectName("remuxToMp4Check")
        self.remux_check.setChecked(recording.remux_to_mp4)
        self.events_check = QCheckBox(self)
        self.events_check.setObjectName("eventsChannelCheck")
        self.events_check.setChecked(settings.golive.events_channel)
        self.events_hint = QLabel(self)
        self.events_hint.setWordWrap(True)
        self.preview_caption = QLabel(self)
        self.preview_box = QComboBox(self)
        self.preview_box.setObjectName("livePreviewBox")
        for value in LIVE_PREVIEW_CHOICES:
            self.preview_box.addItem("", value)
        self.preview_box.setCurrentIndex(max(0, self.preview_box.findData(settings.ui.live_preview)))
        self.preview_hint = QLabel(self)
        self.preview_hint.setWordWrap(True)
        self.idle_preview_caption = QLabel(self)
        self.idle_preview_box = QComboBox(self)
        self.idle_preview_box.setObjectName("idlePreviewFpsBox")
        rates = sorted({*IDLE_PREVIEW_FPS_CHOICES, settings.ui.preview_fps}, reverse=True)  # keep a hand-set rate
        for fps in rates:
            self.idle_preview_box.addItem("", fps)
        self.idle_preview_box.setCurrentIndex(max(0, self.idle_preview_box.findData(settings.ui.preview_fps)))
        self.idle_preview_hint = QLabel(self)
        self.idle_preview_hint.setWordWrap(True)
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("goLiveSettingsProblem")
        self.problem_label.setStyleSheet(PROBLEM_STYLE)
        self.problem_label.setWordWrap(True)
        self.folder_caption = QLabel(self)

        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow(self.record_check)
        form.addRow(self.folder_caption, folder_row)
        form.addRow(self.remux_check)
        form.addRow(self.events_check)
        form.addRow(self.events_hint)
        form.addRow(self.idle_preview_caption, self.idle_preview_box)
        form.addRow(self.idle_preview_hint)
        form.addRow(self.preview_caption, self.preview_box)
        form.addRow(self.preview_hint)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self.record_check.toggled.connect(self._update_enabled)
        self._update_enabled()
        self.retranslate()

    def _update_enabled(self) -> None:
        is_recording = self.record_check.isChecked()
        for widget in (self.folder_edit, self.browse_button, self.remux_check):
            widget.setEnabled(is_recording)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Recording folder"), self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)

    def problems(self) -> list[str]:
        """What keeps the form from being saved, in words (empty: fine)."""
        if not self.record_check.isChecked():
            return []
        text = self.folder_edit.text().strip()
        if not text:
            return [self.tr("Choose a folder for the recordings.")]
        folder = Path(text).expanduser()
        if folder.exists() and not folder.is_dir():
            return [self.tr("“{path}” is a file, not a folder.").format(path=text)]
        return []

    def save(self) -> None:
        problems = self.problems()
        self.problem_label.setText("\n".join(problems))
        if problems:
            return
        folder_text = self.folder_edit.text().strip()
        is_default_folder = Path(folder_text).expanduser() == default_recording_folder()
        recording = self.settings.golive.recording.model_copy(update={
            "record_while_live": self.record_check.isChecked(),
            "folder": None if is_default_folder else folder_text,
            "remux_to_mp4": self.remux_check.isChecked(),
        })
        self.settings.golive = self.settings.golive.model_copy(update={
            "recording": recording, "events_channel": self.events_check.isChecked()})
        self.settings.ui = self.settings.ui.model_copy(update={"live_preview": self.preview_box.currentData(),
                                                               "preview_fps": int(self.idle_preview_box.currentData())})
        try:
            save_settings(self.settings)
        except OSError as exc:  # the choice still applies to this session
            log.warning("could not save settings: %s", exc.strerror or exc)
        self.accept()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Go live settings"))
        self.record_check.setText(self.tr("Record while live"))
        self.folder_caption.setText(self.tr("Folder:"))
        self.browse_button.setText(self.tr("Browse…"))
        self.remux_check.setText(self.tr("Convert the recording to MP4 after the show"))
        self.events_check.setText(self.tr("Send show events over the stream (data channel)"))
        self.events_hint.setText(self.tr("Pins, coupons and flash sales reach the platform with the video. "
                                         "A server that does not take data channels still gets the stream."))
        self.idle_preview_caption.setText(self.tr("Preview when not live:"))
        for index in range(self.idle_preview_box.count()):
            self.idle_preview_box.setItemText(index, self.tr("{fps} fps").format(fps=self.idle_preview_box.itemData(index)))
        self.idle_preview_hint.setText(self.tr("30 fps is smooth while you arrange a scene; a lower rate leaves more "
                                               "of the processor to everything else while the app waits."))
        self.preview_caption.setText(self.tr("Preview while live:"))
        names = {"light": self.tr("Light ({fps} fps)").format(fps=LIGHT_PREVIEW_FPS),
                 "smooth": self.tr("Smooth (as when not live)"), "paused": self.tr("Paused")}
        for index, value in enumerate(LIVE_PREVIEW_CHOICES):
            self.preview_box.setItemText(index, names[value])
        self.preview_hint.setText(self.tr("A lighter preview leaves more of the processor to the encoders. "
                                          "What viewers get is in the rehearsal and health views either way."))
