"""Controls some channel strips add under their fader: "Monitor" (inputs with a monitor tap)
and a playlist's previous / now playing / next row.

Views only: each takes the input, sends commands to it and shows what its signals say
(forwarded queued by the dock, never read from another thread).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from ui.elided_label import ElidedLabel
from ui.icons import icon


def can_monitor(audio_input: Any) -> bool:
    return getattr(audio_input, "monitor_tap", None) is not None


def is_playlist(audio_input: Any) -> bool:
    return getattr(audio_input, "kind", "") == "playlist"


def is_media_strip(audio_input: Any) -> bool:
    return getattr(audio_input, "kind", "") == "media_audio"


class MonitorButton(QToolButton):
    """Plays the strip on this computer's output (headphones) while checked; off by default."""

    def __init__(self, audio_input: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.audio_input = audio_input
        self.setObjectName("monitorButton")
        self.setCheckable(True)
        self.setAutoRaise(True)
        self.setIcon(icon("headphones"))
        self.toggled.connect(self._on_toggled)
        self.problem = ""  # the monitor output's trouble in words, if any
        self.sync_from_model()

    def sync_from_model(self) -> None:
        with QSignalBlocker(self):
            self.setChecked(bool(self.audio_input.monitor_tap.is_monitored))
        self.retranslate()

    def show_problem(self, message: str) -> None:
        self.problem = message
        self.retranslate()

    def _on_toggled(self, is_checked: bool) -> None:
        self.audio_input.monitor_tap.is_monitored = is_checked
        self.retranslate()

    def retranslate(self) -> None:
        if self.isChecked() and self.problem:
            self.setIcon(icon("warning"))
            self.setToolTip(self.problem)
            return
        self.setIcon(icon("headphones"))
        self.setToolTip(self.tr("Monitor: on (you hear this input)") if self.isChecked()
                        else self.tr("Monitor: off (click to hear this input on this computer)"))


class PlaylistControls(QWidget):
    """Previous, the track now playing, next."""

    def __init__(self, playlist: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.playlist = playlist
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.previous_button = QToolButton(self)
        self.previous_button.setObjectName("previousTrackButton")
        self.previous_button.setIcon(icon("previous"))
        self.previous_button.setAutoRaise(True)
        self.previous_button.clicked.connect(playlist.previous)
        self.title_label = ElidedLabel(self)
        self.title_label.setObjectName("trackTitle")
        self.next_button = QToolButton(self)
        self.next_button.setObjectName("nextTrackButton")
        self.next_button.setIcon(icon("next"))
        self.next_button.setAutoRaise(True)
        self.next_button.clicked.connect(playlist.next)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.title_label, 1)
        layout.addWidget(self.next_button)
        self.retranslate()

    def show_track(self) -> None:
        title = self.playlist.current_title
        self.title_label.setText(title)
        self.title_label.setToolTip(title)

    def retranslate(self) -> None:
        self.previous_button.setToolTip(self.tr("Previous track"))
        self.next_button.setToolTip(self.tr("Next track"))
        self.show_track()
