"""The Live panel's audience line: viewers per platform, connectors that need a look, "Platforms…".

A view of the controller's viewer counts (``platform.viewers`` journal events, applied in the
controller's drain) and of the platform link's statuses (read each second from memory): it
never waits for a platform.  Counts are written the show locale's way (CLDR, through Babel).
"""
from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from ui.live_panel.badges import platform_label
from ui.live_panel.controller import LivePanelController

ATTENTION_STYLE = "color: #ffb31c;"  # amber: a platform needs a look, the show goes on
_NEEDS_A_LOOK = {"failed", "rate_limited", "reconnecting", "waiting"}


def viewer_count_text(count: int, locale: str) -> str:
    try:
        return format_decimal(count, locale=locale or "en_US")
    except (ValueError, TypeError, LookupError):
        return str(count)


class AudienceRow(QWidget):
    """``YouTube 1,204 · Twitch 56`` and, when a connector is not live, what is wrong with it."""

    def __init__(self, controller: LivePanelController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audienceRow")
        self.controller = controller
        self.viewers: dict[str, int] = {}
        self.statuses: list[dict[str, Any]] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.viewers_label = QLabel(self)
        self.viewers_label.setObjectName("viewersLabel")
        self.viewers_label.setTextFormat(Qt.TextFormat.PlainText)
        self.attention_label = QLabel(self)
        self.attention_label.setObjectName("platformAttention")
        self.attention_label.setTextFormat(Qt.TextFormat.PlainText)
        self.attention_label.setStyleSheet(ATTENTION_STYLE)
        self.attention_label.setWordWrap(True)
        self.platforms_button = QPushButton(self)
        self.platforms_button.setObjectName("platformsButton")
        self.platforms_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout.addWidget(self.viewers_label)
        layout.addWidget(self.attention_label, 1)
        layout.addStretch(0)
        layout.addWidget(self.platforms_button)
        controller.viewers_changed.connect(self.show_viewers)
        controller.platforms.statuses_changed.connect(self.show_statuses)
        self.retranslate()

    def show_viewers(self, viewers: dict[str, int]) -> None:
        self.viewers = dict(viewers)
        self._present()

    def show_statuses(self, statuses: list[dict[str, Any]]) -> None:
        self.statuses = list(statuses)
        self._present()

    def viewer_text(self) -> str:
        parts = [f"{platform_label(platform)} {viewer_count_text(count, self.controller.locale)}"
                 for platform, count in sorted(self.viewers.items())]
        if not parts:
            return self.tr("Viewers: none reported yet") if self.statuses else ""
        return self.tr("Viewers: {counts}").format(counts=" · ".join(parts))

    def attention_text(self) -> str:
        """The connectors that are not live, with the reason in the connector's words."""
        lines = []
        for status in self.statuses:
            if status.get("state") in _NEEDS_A_LOOK:
                platform = status.get("platform") or ""
                name = platform_label(status.get("target") or "" if platform == "generic" else platform)
                lines.append(self.tr("{platform}: {message}").format(platform=name, message=status.get("message") or ""))
        return "\n".join(lines)

    def _present(self) -> None:
        viewers = self.viewer_text()
        self.viewers_label.setText(viewers)
        self.viewers_label.setVisible(bool(viewers))
        attention = self.attention_text()
        self.attention_label.setText(attention)
        self.attention_label.setVisible(bool(attention))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.platforms_button.setText(self.tr("Platforms…"))
        self.platforms_button.setToolTip(self.tr("Connect YouTube, Twitch, Facebook or a bridge: their comments, "
                                                 "viewer counts and orders come into this panel"))
        self._present()
