"""One channel strip of the mixer dock: name, state, meter, fader, mute, monitor, settings.

A view of one input (or of the master bus through :class:`MasterTarget`); the dock forwards
the input's signals to it queued, so it never reads anything from another thread.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QEvent, QSignalBlocker, Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QMenu, QSlider, QToolButton, QWidget

from ui.audio_input_dialog import AudioInputDialog
from ui.elided_label import ElidedLabel
from ui.icons import icon
from ui.level_meter import LevelMeter, LevelStore
from ui.strip_extras import MonitorButton, PlaylistControls, can_monitor, is_media_strip, is_playlist

log = logging.getLogger(__name__)

FADER_STEPS_PER_DB = 10
FADER_MIN_DB = -60.0
FADER_MAX_DB = 24.0
# A tick without a new reading is not silence until this long without one: the mixer reports
# levels every 20 ms while an output takes its blocks but every 40 ms while only the meters look
# (studio.audio.mixer.IDLE_WAKE_MS); falling in between would repaint a steady tone every tick.
READING_GAP_S = 0.1


class MasterTarget:
    """Makes the mixer's master bus look like an input to a strip."""

    kind = "master"

    def __init__(self, mixer: Any) -> None:
        self.mixer = mixer
        self.levels = mixer.levels
        self.input_id = "master"
        self.state = None
        self.state_message = ""

    @property
    def gain_db(self) -> float:
        return self.mixer.master_gain_db

    @gain_db.setter
    def gain_db(self, value: float) -> None:
        self.mixer.master_gain_db = value

    @property
    def is_muted(self) -> bool:
        return self.mixer.master_is_muted

    @is_muted.setter
    def is_muted(self, value: bool) -> None:
        self.mixer.master_is_muted = value

    @property
    def last_levels(self) -> Any:
        return self.mixer.last_levels


class ChannelStrip(QFrame):
    """Name, meter, fader (gain dB), mute and a settings menu for one input (or the master)."""

    def __init__(self, target: Any, dock: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = target
        self.dock = dock
        self.is_master = isinstance(target, MasterTarget)
        self.setObjectName("masterStrip" if self.is_master else "channelStrip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.store = LevelStore()
        self._last_reading_s = 0.0
        target.levels.connect(self.store.update)

        layout = QGridLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setHorizontalSpacing(6)
        layout.setVerticalSpacing(2)
        self.name_label = ElidedLabel(self)
        self.name_label.setObjectName("stripName")
        font = self.name_label.font()
        font.setBold(True)
        self.name_label.setFont(font)
        self.state_label = ElidedLabel(self, minimum_width=12)  # a message gives way to the name first
        self.state_label.setObjectName("stripState")
        self.state_label.setStyleSheet("color: #f0b429;")
        self.gain_label = QLabel(self)
        self.gain_label.setObjectName("gainLabel")
        self.gain_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.gain_label.setMinimumWidth(64)
        header = QHBoxLayout()
        header.setSpacing(6)
        header.addWidget(self.name_label)
        header.addWidget(self.state_label, 1)
        header.addWidget(self.gain_label)
        layout.addLayout(header, 0, 0, 1, -1)

        self.meter = LevelMeter(self)
        layout.addWidget(self.meter, 1, 0, 1, -1)

        self.fader = QSlider(Qt.Orientation.Horizontal, self)
        self.fader.setObjectName("fader")
        self.fader.setRange(int(FADER_MIN_DB * FADER_STEPS_PER_DB), int(FADER_MAX_DB * FADER_STEPS_PER_DB))
        self.fader.setSingleStep(FADER_STEPS_PER_DB // 2)
        self.fader.setPageStep(FADER_STEPS_PER_DB * 3)
        self.fader.valueChanged.connect(self._on_fader_moved)
        self.mute_button = QToolButton(self)
        self.mute_button.setObjectName("muteButton")
        self.mute_button.setCheckable(True)
        self.mute_button.setAutoRaise(True)
        self.mute_button.toggled.connect(self._on_mute_toggled)
        self.settings_button = QToolButton(self)
        self.settings_button.setObjectName("stripSettingsButton")
        self.settings_button.setIcon(icon("settings"))
        self.settings_button.setAutoRaise(True)
        self.settings_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self)
        self.menu.aboutToShow.connect(self._fill_menu)
        self.settings_button.setMenu(self.menu)
        self.monitor_button = MonitorButton(target, self) if can_monitor(target) else None
        self.playlist_controls = PlaylistControls(target, self) if is_playlist(target) else None
        controls = [self.fader, self.monitor_button, self.mute_button, self.settings_button]
        for column, widget in enumerate(control for control in controls if control is not None):
            layout.addWidget(widget, 2, column)
        if self.playlist_controls is not None:
            layout.addWidget(self.playlist_controls, 3, 0, 1, -1)
        layout.setColumnStretch(0, 1)

        self.sync_from_model()
        self.show_state(getattr(getattr(target, "state", None), "value", ""), getattr(target, "state_message", ""))
        self.retranslate()

    def detach(self) -> None:
        try:
            self.target.levels.disconnect(self.store.update)
        except Exception:  # the mixer may already be gone at quit
            log.debug("strip detach failed", exc_info=True)

    # -- model → view --------------------------------------------------------------------------
    def sync_from_model(self) -> None:
        with QSignalBlocker(self.fader), QSignalBlocker(self.mute_button):
            self.fader.setValue(round(self.target.gain_db * FADER_STEPS_PER_DB))
            self.mute_button.setChecked(bool(self.target.is_muted))
        self._show_gain()
        self._show_mute()
        if not self.is_master:
            self.name_label.setText(self.target.name)
        if self.monitor_button is not None:
            self.monitor_button.sync_from_model()

    def show_state(self, state: str, message: str) -> None:
        if state == "no_device":
            self.state_label.setText(self.tr("no device") if not is_playlist(self.target) else self.tr("not playing"))
            self.state_label.setToolTip(message)
            self.state_label.show()
        elif state == "active" and message:  # e.g. a playlist file that was skipped: say so, keep playing
            self.state_label.setText(message)
            self.state_label.setToolTip(message)
        else:
            self.state_label.setText("")
            self.state_label.setToolTip("")
        self.setToolTip(message if state == "no_device" or (state == "active" and message) else "")

    def refresh_meter(self) -> None:
        reading = self.store.take()
        now_s = time.monotonic()
        if reading is not None:
            self._last_reading_s = now_s
            self.meter.set_levels(reading[0], reading[1])
        elif now_s - self._last_reading_s >= READING_GAP_S:
            self.meter.decay()

    def _show_gain(self) -> None:
        self.gain_label.setText(self.tr("{gain:+.1f} dB").format(gain=self.target.gain_db))

    def _show_mute(self) -> None:
        is_muted = bool(self.target.is_muted)
        self.mute_button.setIcon(icon("speaker-muted" if is_muted else "speaker"))
        self.mute_button.setToolTip(self.tr("Unmute") if is_muted else self.tr("Mute"))
        self.meter.is_muted = is_muted
        self.meter.refresh()

    # -- view → model --------------------------------------------------------------------------
    def _on_fader_moved(self, value: int) -> None:
        self.target.gain_db = value / FADER_STEPS_PER_DB
        self._show_gain()

    def _on_mute_toggled(self, is_checked: bool) -> None:
        self.target.is_muted = is_checked
        self._show_mute()

    def _fill_menu(self) -> None:
        self.menu.clear()
        reset = self.menu.addAction(self.tr("Reset fader to 0 dB"))
        reset.triggered.connect(lambda: self.fader.setValue(0))
        if self.is_master:
            limiter = self.menu.addAction(self.tr("Master limiter"))
            limiter.setCheckable(True)
            limiter.setChecked(self.target.mixer.master_limiter.is_enabled)
            limiter.toggled.connect(lambda on: self.target.mixer.update_master_limiter(is_enabled=on))
            return
        self.menu.addSeparator()
        sync = self.menu.addAction(self.tr("Sync offset: {ms:.0f} ms…").format(ms=self.target.sync_offset_ms))
        sync.triggered.connect(self.open_settings)
        gate = self.menu.addAction(self.tr("Noise gate"))
        gate.setCheckable(True)
        gate.setChecked(self.target.gate.is_enabled)
        gate.toggled.connect(lambda on: self.target.update_gate(is_enabled=on))
        limiter = self.menu.addAction(self.tr("Limiter"))
        limiter.setCheckable(True)
        limiter.setChecked(self.target.limiter.is_enabled)
        limiter.toggled.connect(lambda on: self.target.update_limiter(is_enabled=on))
        advanced = self.menu.addAction(self.tr("Sync offset, gate and limiter settings…"))
        advanced.triggered.connect(self.open_settings)
        if is_playlist(self.target):
            edit = self.menu.addAction(self.tr("Edit playlist…"))
            edit.triggered.connect(lambda: self.dock.edit_playlist(self.target))
        if is_media_strip(self.target) or getattr(self.target, "kind", "") == "stinger_sound":
            return  # a media file's sound goes with its source, the stinger's with the stinger
        self.menu.addSeparator()
        remove = self.menu.addAction(icon("remove"), self.tr("Remove this input"))
        remove.triggered.connect(lambda: self.dock.remove_input(self.target))

    def open_settings(self) -> AudioInputDialog:
        dialog = AudioInputDialog(self.target, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dock.pending_dialog = dialog
        dialog.open()
        return dialog

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        if self.is_master:
            self.name_label.setText(self.tr("Master"))
        self.fader.setToolTip(self.tr("Volume (dB)"))
        self.settings_button.setToolTip(self.tr("Audio settings"))
        self._show_gain()
        self._show_mute()
        self.show_state(getattr(getattr(self.target, "state", None), "value", ""), getattr(self.target, "state_message", ""))
