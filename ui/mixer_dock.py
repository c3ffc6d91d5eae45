"""The audio mixer dock: one strip per input (meter, fader, mute, settings) plus the master.

Meters: each input's ``levels`` signal (50 per second, on the mixer thread) only writes
into a ``LevelStore``; one GUI timer reads every store ``METER_FPS`` times a second.
Structural changes (inputs added/removed, settings changed from elsewhere) arrive as
queued Qt signals through ``_MixerBridge``.
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine import Studio
from ui import audio_setup
from ui.audio_input_dialog import AudioInputDialog
from ui.icons import icon
from ui.level_meter import LevelMeter, LevelStore
from ui.workers import run_in_background

log = logging.getLogger(__name__)

METER_FPS = 30
FADER_STEPS_PER_DB = 10
FADER_MIN_DB = -60.0
FADER_MAX_DB = 24.0


class _MixerBridge(QObject):
    """Mixer/input events (any thread) → queued Qt signals on the GUI thread."""

    inputs_changed = Signal()
    param_changed = Signal(object, str)  # input (None = master), param
    state_changed = Signal(object, str, str)  # input, state value, message

    def on_mixer_changed(self, mixer: Any = None, change: str = "", input: Any = None, param: Any = None, **_extra: Any) -> None:  # noqa: A002
        if change in ("added", "removed"):
            self.inputs_changed.emit()
        else:
            self.param_changed.emit(input, str(param or ""))

    def on_state_changed(self, input: Any = None, state: Any = None, message: str = "", **_extra: Any) -> None:  # noqa: A002
        self.state_changed.emit(input, str(getattr(state, "value", state)), message or "")


class _MasterTarget:
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

    def __init__(self, target: Any, dock: MixerDock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = target
        self.dock = dock
        self.is_master = isinstance(target, _MasterTarget)
        self.setObjectName("masterStrip" if self.is_master else "channelStrip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.store = LevelStore()
        target.levels.connect(self.store.update)

        layout = QGridLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setHorizontalSpacing(6)
        layout.setVerticalSpacing(2)
        self.name_label = QLabel(self)
        self.name_label.setObjectName("stripName")
        font = self.name_label.font()
        font.setBold(True)
        self.name_label.setFont(font)
        self.state_label = QLabel(self)
        self.state_label.setObjectName("stripState")
        self.state_label.setStyleSheet("color: #f0b429;")
        self.gain_label = QLabel(self)
        self.gain_label.setObjectName("gainLabel")
        self.gain_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.gain_label.setMinimumWidth(64)
        header = QHBoxLayout()
        header.addWidget(self.name_label)
        header.addWidget(self.state_label, 1)
        header.addWidget(self.gain_label)
        layout.addLayout(header, 0, 0, 1, 3)

        self.meter = LevelMeter(self)
        layout.addWidget(self.meter, 1, 0, 1, 3)

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
        layout.addWidget(self.fader, 2, 0)
        layout.addWidget(self.mute_button, 2, 1)
        layout.addWidget(self.settings_button, 2, 2)
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

    def show_state(self, state: str, message: str) -> None:
        if state == "no_device":
            self.state_label.setText(self.tr("no device"))
            self.state_label.setToolTip(message)
            self.state_label.show()
        else:
            self.state_label.setText("")
            self.state_label.setToolTip("")
        self.setToolTip(message if state == "no_device" else "")

    def refresh_meter(self) -> None:
        reading = self.store.take()
        if reading is None:
            self.meter.decay()
        else:
            self.meter.set_levels(reading[0], reading[1])

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


class MixerDock(QDockWidget):
    """All audio inputs of the studio's mixer, the master bus, and adding inputs."""

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.mixer = audio_setup.mixer_of(studio)
        self.setObjectName("mixerDock")
        self.pending_dialog: QWidget | None = None
        self.strips: dict[str, ChannelStrip] = {}
        self.master_strip: ChannelStrip | None = None
        self._bridge = _MixerBridge(self)
        self._is_attached = False

        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.scroll = QScrollArea(body)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.strip_area = QWidget(self.scroll)
        self.strip_layout = QVBoxLayout(self.strip_area)
        self.strip_layout.setContentsMargins(0, 0, 0, 0)
        self.strip_layout.setSpacing(4)
        self.empty_label = QLabel(self.strip_area)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.strip_layout.addWidget(self.empty_label)
        self.strip_layout.addStretch(1)
        self.scroll.setWidget(self.strip_area)
        layout.addWidget(self.scroll, 1)

        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        self.add_menu = QMenu(self)
        self.tone_action = self.add_menu.addAction("")
        self.tone_action.triggered.connect(self.add_tone)
        self.devices_menu = self.add_menu.addMenu("")
        self.devices_menu.aboutToShow.connect(self._fill_devices_menu)
        self._devices_request = 0
        self._devices_placeholder: QAction | None = None
        self.add_button = QToolButton(body)
        self.add_button.setObjectName("addInputButton")
        self.add_button.setIcon(icon("add"))
        self.add_button.setAutoRaise(True)
        self.add_button.setMenu(self.add_menu)
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.setWidget(body)

        self.meter_timer = QTimer(self)
        self.meter_timer.setInterval(round(1000 / METER_FPS))
        self.meter_timer.timeout.connect(self.refresh_meters)
        if self.mixer is not None:
            self._bridge.inputs_changed.connect(self.rebuild)
            self._bridge.param_changed.connect(self._on_param_changed)
            self._bridge.state_changed.connect(self._on_state_changed)
            self.mixer.changed.connect(self._bridge.on_mixer_changed)
            self._is_attached = True
            self.meter_timer.start()
        self.add_button.setEnabled(self.mixer is not None)
        self.rebuild()
        self.retranslate()

    # -- strips --------------------------------------------------------------------------------
    def strip_for(self, input_id: str) -> ChannelStrip | None:
        return self.strips.get(input_id)

    def rebuild(self) -> None:
        """Make the strips match the mixer's inputs (keeping existing strips)."""
        if self.mixer is None:
            return
        inputs = self.mixer.inputs
        wanted = {audio_input.input_id: audio_input for audio_input in inputs}
        for input_id in list(self.strips):
            if input_id not in wanted:
                strip = self.strips.pop(input_id)
                strip.detach()
                strip.target.state_changed.disconnect(self._bridge.on_state_changed)
                strip.setParent(None)
                strip.deleteLater()
        for index, audio_input in enumerate(inputs):
            strip = self.strips.get(audio_input.input_id)
            if strip is None:
                strip = ChannelStrip(audio_input, self, self.strip_area)
                audio_input.state_changed.connect(self._bridge.on_state_changed)
                self.strips[audio_input.input_id] = strip
            # Order: the inputs, then the master; the empty hint sits first when shown.
            self.strip_layout.insertWidget(1 + index, strip)
        if self.master_strip is None:
            self.master_strip = ChannelStrip(_MasterTarget(self.mixer), self, self.strip_area)
        self.strip_layout.insertWidget(1 + len(inputs), self.master_strip)
        self.empty_label.setVisible(not inputs)

    def refresh_meters(self) -> None:
        """Timer tick: every strip reads its level store (never waits)."""
        for strip in self.strips.values():
            strip.refresh_meter()
        if self.master_strip is not None:
            self.master_strip.refresh_meter()

    def _on_param_changed(self, audio_input: Any, param: str) -> None:
        if audio_input is None:
            if self.master_strip is not None:
                self.master_strip.sync_from_model()
            return
        strip = self.strips.get(audio_input.input_id)
        if strip is not None:
            strip.sync_from_model()

    def _on_state_changed(self, audio_input: Any, state: str, message: str) -> None:
        strip = self.strips.get(getattr(audio_input, "input_id", ""))
        if strip is not None:
            strip.show_state(state, message)

    # -- adding and removing -------------------------------------------------------------------
    def _fill_devices_menu(self) -> None:
        """Rebuilt each time it opens: the system default, then devices listed off the GUI thread."""
        self.devices_menu.clear()
        default = self.devices_menu.addAction(self.tr("System default input"))
        default.triggered.connect(lambda: self.add_device(None, self.tr("Microphone")))
        self.devices_menu.addSeparator()
        self._devices_placeholder = self.devices_menu.addAction(self.tr("Looking for audio devices…"))
        self._devices_placeholder.setEnabled(False)
        self._devices_request += 1
        request = self._devices_request
        run_in_background(
            audio_setup.list_input_devices,
            lambda devices: self._on_devices_listed(request, devices),
            lambda error: self._on_devices_failed(request, error),
            receiver=self,
        )

    def _on_devices_listed(self, request: int, devices: list[dict[str, Any]]) -> None:
        if request != self._devices_request:
            return
        self.devices_menu.removeAction(self._devices_placeholder)
        if not devices:
            none = self.devices_menu.addAction(self.tr("No audio input devices found"))
            none.setEnabled(False)
        for device in devices:
            # "&&": a device name is shown as is, never read as a keyboard shortcut.
            action = self.devices_menu.addAction(str(device.get("name") or device.get("id")).replace("&", "&&"))
            action.triggered.connect(lambda _checked=False, device=device: self.add_device(device.get("id"), str(device.get("name") or device.get("id"))))

    def _on_devices_failed(self, request: int, error: BaseException) -> None:
        if request != self._devices_request:
            return
        self._devices_placeholder.setText(self.tr("Could not list audio devices: {reason}").format(reason=error))

    def add_tone(self) -> Any:
        """Add a 1 kHz test tone input (for checking levels)."""
        if self.mixer is None:
            return None
        return audio_setup.add_tone_input(self.studio, self.tr("Test tone"))

    def add_device(self, device_id: str | None, name: str) -> Any:
        if self.mixer is None:
            return None
        try:
            return audio_setup.add_device_input(self.studio, name, device_id)
        except (ValueError, TypeError) as exc:
            box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Could not add the audio input"), str(exc), QMessageBox.StandardButton.Ok, self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            return None

    def remove_input(self, audio_input: Any) -> None:
        if self.mixer is not None:
            self.studio.audio_inputs.remove(audio_input.input_id)

    def detach(self) -> None:
        """Stop listening to the mixer (the window closes; the engine may live on)."""
        self.meter_timer.stop()
        if self.mixer is None or not self._is_attached:
            return
        self._is_attached = False
        self.mixer.changed.disconnect(self._bridge.on_mixer_changed)
        for strip in self.strips.values():
            strip.detach()
            strip.target.state_changed.disconnect(self._bridge.on_state_changed)
        if self.master_strip is not None:
            self.master_strip.detach()

    # -- language ------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Audio mixer"))
        self.tone_action.setText(self.tr("Test tone (1 kHz)"))
        self.devices_menu.setTitle(self.tr("Microphone or audio device"))
        self.add_button.setToolTip(self.tr("Add an audio input"))
        if self.mixer is None:
            self.empty_label.setText(self.tr("Audio is not available in this build."))
        else:
            self.empty_label.setText(self.tr("No audio inputs yet. Add a microphone or a test tone with the + button."))
