"""The status bar: program fps, CPU, dropped/late frames and render time, once a second."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from studio.core.clock import NS_PER_S
from studio.engine import Studio

STATS_INTERVAL_MS = 1000


class StudioStatusBar(QStatusBar):
    """Reads ``studio.stats()`` on a 1 s timer; fps is measured from the compositor's ticks."""

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.setObjectName("studioStatusBar")
        self.fps_label = QLabel(self)
        self.cpu_label = QLabel(self)
        self.frames_label = QLabel(self)
        self.render_label = QLabel(self)
        for label in (self.fps_label, self.cpu_label, self.frames_label, self.render_label):
            label.setMinimumWidth(110)
            self.addPermanentWidget(label)
        self.measured_fps: float | None = None
        self._stats: dict[str, Any] = {}
        self._last: tuple[int, int, int] | None = None  # (id of compositor, ticks, t_ns)
        self._timer = QTimer(self)
        self._timer.setInterval(STATS_INTERVAL_MS)
        self._timer.timeout.connect(self.update_stats)
        self._timer.start()
        self.update_stats()

    def update_stats(self) -> None:
        stats = self.studio.stats()
        # A reopened collection with another canvas brings a new compositor whose count restarts.
        key = id(self.studio.compositor)
        if self._last is not None and self._last[0] == key and stats["t_ns"] > self._last[2]:
            ticks = stats["ticks"] - self._last[1]
            self.measured_fps = max(0.0, ticks * NS_PER_S / (stats["t_ns"] - self._last[2]))
        elif not self.studio.compositor.is_running:
            self.measured_fps = None
        self._last = (key, stats["ticks"], stats["t_ns"])
        self._stats = stats
        self._show()
        notice = self.studio.compositor.filter_notice  # picture tools making the program late, in words
        if notice:
            self.showMessage(notice, 3 * STATS_INTERVAL_MS)

    def _show(self) -> None:
        stats = self._stats
        fps_target = stats.get("fps_target") or 0
        if self.measured_fps is None:
            self.fps_label.setText(self.tr("FPS: – / {target:g}").format(target=fps_target))
        else:
            self.fps_label.setText(self.tr("FPS: {fps:.1f} / {target:g}").format(fps=self.measured_fps, target=fps_target))
        cpu = stats.get("cpu_percent")
        self.cpu_label.setText(self.tr("CPU: {cpu:.0f}%").format(cpu=cpu or 0.0))
        self.frames_label.setText(self.tr("Dropped: {dropped} · Late: {late}").format(dropped=stats.get("dropped_frames", 0), late=stats.get("late_ticks", 0)))
        render_ms = stats.get("render_ms_p50")
        if render_ms is None:
            self.render_label.setText(self.tr("Render: – ms"))
        else:
            self.render_label.setText(self.tr("Render: {ms:.1f} ms").format(ms=render_ms))
        self.fps_label.setToolTip(self.tr("Program frames rendered per second / target"))
        self.cpu_label.setToolTip(self.tr("CPU used by Bridgecast (100% = one core)"))
        self.frames_label.setToolTip(self.tr("Frames dropped by sources and consumers · compositor ticks that ran late"))
        self.render_label.setToolTip(self.tr("Median time to render one program frame"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self._show()
        super().changeEvent(event)
