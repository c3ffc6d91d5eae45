"""The audio mixer dock: one strip per input (:mod:`ui.channel_strip`) plus the master, and
adding inputs (microphones, a test tone, music playlists).  A media source's sound gets its
strip from the engine when the source is added.

Meters: each input's ``levels`` signal (50 per second, on the mixer thread) only writes
into a ``LevelStore``; one GUI timer reads every store ``METER_FPS`` times a second.
Structural changes (inputs added/removed, settings changed from elsewhere) arrive as
queued Qt signals through ``_MixerBridge``.
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine import Studio
from ui import audio_setup
from ui.channel_strip import FADER_MAX_DB, FADER_MIN_DB, FADER_STEPS_PER_DB, ChannelStrip, MasterTarget
from ui.icons import icon
from ui.playlist_dialog import PlaylistDialog
from ui.strip_extras import is_playlist
from ui.workers import run_in_background

log = logging.getLogger(__name__)

METER_FPS = 30
__all__ = ["FADER_MAX_DB", "FADER_MIN_DB", "FADER_STEPS_PER_DB", "ChannelStrip", "MasterTarget", "MixerDock"]


class _MixerBridge(QObject):
    """Mixer/input events (any thread) → queued Qt signals on the GUI thread."""

    inputs_changed = Signal()
    param_changed = Signal(object, str)  # input (None = master), param
    state_changed = Signal(object, str, str)  # input, state value, message
    track_changed = Signal(object)  # playlist input
    monitor_changed = Signal(str, str)  # monitor state value, message

    def on_mixer_changed(self, mixer: Any = None, change: str = "", input: Any = None, param: Any = None, **_extra: Any) -> None:  # noqa: A002
        if change in ("added", "removed"):
            self.inputs_changed.emit()
        else:
            self.param_changed.emit(input, str(param or ""))

    def on_state_changed(self, input: Any = None, state: Any = None, message: str = "", **_extra: Any) -> None:  # noqa: A002
        self.state_changed.emit(input, str(getattr(state, "value", state)), message or "")

    def on_track_changed(self, input: Any = None, **_extra: Any) -> None:  # noqa: A002
        self.track_changed.emit(input)

    def on_monitor_changed(self, state: Any = None, message: str = "", **_extra: Any) -> None:
        self.monitor_changed.emit(str(getattr(state, "value", state)), message or "")


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
        self.monitor: Any = None

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
        self.playlist_action = self.add_menu.addAction("")
        self.playlist_action.triggered.connect(self.open_playlist_dialog)
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
            self._bridge.track_changed.connect(self._on_track_changed)
            self._bridge.monitor_changed.connect(self._on_monitor_changed)
            self.mixer.changed.connect(self._bridge.on_mixer_changed)
            self.monitor = getattr(getattr(studio, "audio_inputs", None), "monitor", None)
            if self.monitor is not None:
                self.monitor.state_changed.connect(self._bridge.on_monitor_changed)
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
                if is_playlist(strip.target):
                    strip.target.track_changed.disconnect(self._bridge.on_track_changed)
                strip.setParent(None)
                strip.deleteLater()
        for index, audio_input in enumerate(inputs):
            strip = self.strips.get(audio_input.input_id)
            if strip is None:
                strip = ChannelStrip(audio_input, self, self.strip_area)
                audio_input.state_changed.connect(self._bridge.on_state_changed)
                if is_playlist(audio_input):
                    audio_input.track_changed.connect(self._bridge.on_track_changed)
                self.strips[audio_input.input_id] = strip
            # Order: the inputs, then the master; the empty hint sits first when shown.
            self.strip_layout.insertWidget(1 + index, strip)
        if self.master_strip is None:
            self.master_strip = ChannelStrip(MasterTarget(self.mixer), self, self.strip_area)
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

    def _on_track_changed(self, playlist: Any) -> None:
        strip = self.strips.get(getattr(playlist, "input_id", ""))
        if strip is not None and strip.playlist_controls is not None:
            strip.playlist_controls.show_track()

    def _on_monitor_changed(self, state: str, message: str) -> None:
        problem = message if state == "no_device" else ""
        for strip in self.strips.values():
            if strip.monitor_button is not None:
                strip.monitor_button.show_problem(problem)

    # -- adding and removing -------------------------------------------------------------------
    def open_playlist_dialog(self) -> PlaylistDialog:
        """Pick music files for a new playlist input (added when the dialog is accepted)."""
        dialog = PlaylistDialog(None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.add_playlist(dialog.name, dialog.settings()))
        self.pending_dialog = dialog
        dialog.open()
        return dialog

    def add_playlist(self, name: str, settings: dict[str, Any]) -> Any:
        if self.mixer is None:
            return None
        return self.studio.audio_inputs.add("playlist", name, **settings)

    def edit_playlist(self, playlist: Any) -> PlaylistDialog:
        dialog = PlaylistDialog(playlist, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(dialog.apply)
        self.pending_dialog = dialog
        dialog.open()
        return dialog

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
            if is_playlist(strip.target):
                strip.target.track_changed.disconnect(self._bridge.on_track_changed)
        if self.monitor is not None:
            self.monitor.state_changed.disconnect(self._bridge.on_monitor_changed)
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
        self.playlist_action.setText(self.tr("Music playlist…"))
        self.add_button.setToolTip(self.tr("Add an audio input"))
        if self.mixer is None:
            self.empty_label.setText(self.tr("Audio is not available in this build."))
        else:
            self.empty_label.setText(self.tr("No audio inputs yet. Add a microphone or a test tone with the + button."))
