"""The stream-health dock: per-layer rows, per-destination rows, network figures, two small
live graphs, a verdict.

Each destination of the show (and the recording) has its own row with its state in words,
bitrate, fps and reconnects (``stats()["outputs"]``).  Reads ``controller.stats()`` (the session's in-memory snapshot in the ``--stats-jsonl`` schema)
on a 1 s timer.  Unknown figures are shown as "unknown", never guessed.  The verdict says in
plain words what a viewer gets.
"""
from __future__ import annotations

import collections
import math
import time
from typing import Any, Iterable

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QDockWidget,
    QFormLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.destination_rows import OutputsTable, format_bitrate
from ui.golive import CONNECTING, FAILED, LIVE, RECONNECTING, GoLiveController

__all__ = ["HealthDock", "SparkGraph", "format_bitrate", "viewer_height"]

STATS_INTERVAL_MS = 1000
HISTORY_S = 60
ROW_HEIGHT_PX = 22
LOSS_LIMITING_FRACTION = 0.05  # above this, loss is what viewers notice
# A layer delivering fewer frames than this share of the canvas's rate is visibly choppy
# (27 of 30 is a measuring window's noise; 21 of 30 is an encoder falling behind).
FPS_SHORTFALL_FRACTION = 0.9
# ... for this long: a layer's rate is counted over the last second, so the first second
# live (and a one-second hiccup) reads low without anything being wrong.
FPS_SHORT_FOR_S = 3.0


class SparkGraph(QWidget):
    """A small line graph of the last ``HISTORY_S`` samples (None = gap), painted with QPainter."""

    def __init__(self, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.samples: collections.deque[float | None] = collections.deque(maxlen=HISTORY_S)
        self.colour = QColor(colour)
        self.title = ""
        self.unit_formatter = lambda value: f"{value:g}"
        self.setMinimumHeight(54)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def add(self, value: float | None) -> None:
        self.samples.append(value)
        self.update()

    def clear(self) -> None:
        self.samples.clear()
        self.update()

    def paintEvent(self, _event: Any) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.fillRect(rect, QColor("#1a1c21"))
        painter.setPen(QPen(QColor("#33373f"), 1))
        painter.drawRect(rect)
        known = [v for v in self.samples if v is not None]
        top = max(known) * 1.15 if known and max(known) > 0 else 1.0
        plot = rect.adjusted(2, 16, -2, -3)
        step = plot.width() / max(1, HISTORY_S - 1)
        offset = HISTORY_S - len(self.samples)
        path = QPainterPath()
        is_drawing = False
        for index, value in enumerate(self.samples):
            if value is None:
                is_drawing = False
                continue
            point = QPointF(plot.left() + (offset + index) * step, plot.bottom() - plot.height() * min(1.0, value / top))
            if is_drawing:
                path.lineTo(point)
            else:
                path.moveTo(point)
                is_drawing = True
        painter.setPen(QPen(self.colour, 1.6))
        painter.drawPath(path)
        painter.setPen(QColor("#b9bec8"))
        last = next((v for v in reversed(self.samples) if v is not None), None)
        caption = self.title + ": " + (self.unit_formatter(last) if last is not None else self.tr("unknown"))
        painter.drawText(rect.adjusted(5, 1, -5, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, caption)
        painter.end()


def viewer_height(layers: Iterable[dict[str, Any]]) -> int | None:
    """The best picture a viewer can get: the tallest layer that is actually sending."""
    heights = [layer.get("height") or 0 for layer in layers if layer.get("active")]
    return max(heights) if heights and max(heights) > 0 else None


def viewer_fps(layers: Iterable[dict[str, Any]], height: int) -> float | None:
    """The frame rate of the best picture: the fastest sending layer of that height (None: unknown)."""
    rates = [layer["fps"] for layer in layers
             if layer.get("active") and (layer.get("height") or 0) == height and layer.get("fps") is not None]
    return max(rates) if rates else None


def is_fps_short(fps: float | None, canvas_fps: float | None) -> bool:
    """Whether ``fps`` delivered falls visibly short of the canvas's ``canvas_fps``."""
    return fps is not None and bool(canvas_fps) and fps < canvas_fps * FPS_SHORTFALL_FRACTION


class HealthDock(QDockWidget):
    """Stream health for the controller's session, refreshed once a second."""

    COLUMNS = 4

    def __init__(self, controller: GoLiveController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("healthDock")
        self.last_stats: dict[str, Any] | None = None
        self._verdict_kind = "neutral"
        self.clock = time.monotonic  # when a frame-rate shortfall began is measured on this
        self._fps_short_since: float | None = None
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        self.verdict_label = QLabel(body)
        self.verdict_label.setObjectName("healthVerdict")
        self.verdict_label.setWordWrap(True)
        layout.addWidget(self.verdict_label)
        self.table = QTableWidget(0, self.COLUMNS, body)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT_PX)
        self.table.verticalHeader().setMinimumSectionSize(ROW_HEIGHT_PX)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # Room for the three layers of the ladder without a scroll bar.
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height() + 3 * ROW_HEIGHT_PX + 2 * self.table.frameWidth() + 2)
        layout.addWidget(self.table)
        self.outputs_caption = QLabel(body)
        self.outputs_caption.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.outputs_caption)
        self.outputs_table = OutputsTable(body)
        self.outputs_table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT_PX)
        self.outputs_table.verticalHeader().setMinimumSectionSize(ROW_HEIGHT_PX)
        self.outputs_table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.outputs_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        layout.addWidget(self.outputs_table)
        self._fit_outputs_table(0)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        (self.rtt_label, self.loss_label, self.estimate_label, self.dropped_label, self.encoder_label,
         self.cpu_label) = (QLabel(body) for _ in range(6))
        (self.rtt_caption, self.loss_caption, self.estimate_caption, self.dropped_caption, self.encoder_caption,
         self.cpu_caption) = (QLabel(body) for _ in range(6))
        for caption, value in ((self.rtt_caption, self.rtt_label), (self.loss_caption, self.loss_label),
                               (self.estimate_caption, self.estimate_label), (self.dropped_caption, self.dropped_label),
                               (self.encoder_caption, self.encoder_label), (self.cpu_caption, self.cpu_label)):
            form.addRow(caption, value)
        layout.addLayout(form)
        self.bitrate_graph = SparkGraph("#3fb950", body)
        self.bitrate_graph.unit_formatter = lambda value: format_bitrate(value) or ""
        self.rtt_graph = SparkGraph("#58a6ff", body)
        self.rtt_graph.unit_formatter = lambda value: f"{value:.0f} ms"
        layout.addWidget(self.bitrate_graph)
        layout.addWidget(self.rtt_graph)
        layout.addStretch(1)
        self.setWidget(body)
        self._timer = QTimer(self)
        self._timer.setInterval(STATS_INTERVAL_MS)
        self._timer.timeout.connect(self.update_stats)
        self._timer.start()
        controller.changed.connect(self._on_state_changed)
        controller.outputs_changed.connect(lambda: self.update_stats(sample=False))
        self.retranslate()
        self.update_stats()

    def _on_state_changed(self) -> None:
        if self.controller.state == CONNECTING and self.controller.live_since is None:
            self.bitrate_graph.clear()
            self.rtt_graph.clear()
        self.update_stats(sample=False)

    def _fit_outputs_table(self, rows: int) -> None:
        """Room for up to four destinations without a scroll bar (a scroll bar beyond)."""
        table = self.outputs_table
        visible = min(4, max(1, rows))
        table.setFixedHeight(table.horizontalHeader().sizeHint().height() + visible * ROW_HEIGHT_PX + 2 * table.frameWidth() + 2)

    def update_stats(self, sample: bool = True) -> None:
        stats = self.controller.stats() if self.controller.is_active else None
        self.last_stats = stats
        outputs = list(stats.get("outputs") or []) if stats else []
        if len(outputs) != self.outputs_table.rowCount():
            self._fit_outputs_table(len(outputs))
        self.outputs_table.show_outputs(outputs)
        # Only while a show runs: an idle dock keeps its small minimum height (768-pixel screens).
        self.outputs_caption.setVisible(bool(outputs))
        self.outputs_table.setVisible(bool(outputs))
        layers = list(stats.get("layers") or []) if stats else []
        self.table.setRowCount(len(layers))
        unknown = self.tr("unknown")
        for row, layer in enumerate(layers):
            size = f"{layer['width']}×{layer['height']}" if layer.get("width") and layer.get("height") else unknown
            fps = f"{layer['fps']:.1f}" if layer.get("fps") is not None else unknown
            bitrate = format_bitrate(layer.get("bitrate_bps")) or unknown
            name = layer.get("rid", "")
            if not layer.get("active"):
                name = self.tr("{rid} (paused)").format(rid=name)
            for column, text in enumerate((name, size, fps, bitrate)):
                item = self.table.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(row, column, item)
                item.setText(text)
        rtt = stats.get("rtt_ms") if stats else None
        loss = stats.get("loss_fraction") if stats else None
        estimate = stats.get("available_bitrate_bps") if stats else None
        self.rtt_label.setText(f"{rtt:.0f} ms" if rtt is not None else unknown)
        self.loss_label.setText(f"{loss * 100:.1f} %" if loss is not None else unknown)
        self.estimate_label.setText(format_bitrate(estimate) or unknown)
        self.dropped_label.setText(str(stats.get("dropped_frames", 0)) if stats else unknown)
        self.encoder_label.setText(str(stats.get("encoder")) if stats and stats.get("encoder") else unknown)
        cpu = stats.get("cpu_percent") if stats else None
        self.cpu_label.setText(self.tr("{percent} % of one core").format(percent=f"{cpu:.0f}") if cpu is not None else unknown)
        if sample:
            if stats is not None and self.controller.state in (LIVE, RECONNECTING):
                rates = [layer.get("bitrate_bps") for layer in layers if layer.get("bitrate_bps") is not None]
                self.bitrate_graph.add(float(sum(rates)) if rates else None)
                self.rtt_graph.add(float(rtt) if rtt is not None else None)
        verdict = self.verdict(stats)
        self.verdict_label.setText(verdict)
        self.verdict_label.setStyleSheet(_VERDICT_STYLES[self._verdict_kind])

    def verdict(self, stats: dict[str, Any] | None) -> str:
        """The plain-language line: what a viewer gets, and what limits it."""
        state = self.controller.state
        self._verdict_kind = "bad" if state in (FAILED, RECONNECTING) else "neutral"
        if state != LIVE:
            self._fps_short_since = None
        if state == FAILED:
            return self.tr("Not live: {reason}").format(reason=self.controller.failure_text or "")
        if state == CONNECTING:
            return self.tr("Connecting…")
        if state == RECONNECTING:
            attempt = int((stats or {}).get("reconnect_attempt") or 0)
            next_retry = (stats or {}).get("next_retry_in_s")
            if not attempt:
                return self.tr("Reconnecting: viewers see a frozen picture")
            if next_retry is None:
                return self.tr("Reconnecting (attempt {attempt}, trying now)…").format(attempt=attempt)
            return self.tr("Reconnecting (attempt {attempt}, next try in {seconds} s)…").format(
                attempt=attempt, seconds=max(1, math.ceil(next_retry)))
        if state != LIVE or stats is None:
            return self.tr("Not live")
        layers = list(stats.get("layers") or [])
        height = viewer_height(layers)
        if height is None:
            return self.tr("Live, but no picture is going out yet")
        offered = max((layer.get("height") or 0 for layer in layers), default=0)
        loss = stats.get("loss_fraction")
        estimate = stats.get("available_bitrate_bps")
        sending = sum(layer.get("bitrate_bps") or 0 for layer in layers if layer.get("active"))
        is_limited = height < offered or (loss is not None and loss > LOSS_LIMITING_FRACTION) or (
            estimate is not None and sending > 0 and estimate < sending * 0.9)
        # "Healthy" only if the picture also moves at the canvas's rate: 1080p at 21 fps of 30 is not.
        fps, canvas_fps = viewer_fps(layers, height), self.canvas_fps()
        is_short = is_fps_short(fps, canvas_fps)
        now = self.clock()
        if not is_short:
            self._fps_short_since = None
        elif self._fps_short_since is None:
            self._fps_short_since = now
        is_choppy = is_short and now - self._fps_short_since >= FPS_SHORT_FOR_S
        self._verdict_kind = "limited" if is_limited or is_choppy else "good"
        if is_limited and is_choppy:
            return self.tr("Network is limiting quality: viewers get {height}p at {fps} fps of {canvas_fps}").format(
                height=height, fps=f"{fps:.0f}", canvas_fps=f"{canvas_fps:g}")
        if is_limited:
            return self.tr("Network is limiting quality: viewers get {height}p").format(height=height)
        if is_choppy:
            return self.tr("Viewers get {height}p at {fps} fps of {canvas_fps}: the encoder can't keep up").format(
                height=height, fps=f"{fps:.0f}", canvas_fps=f"{canvas_fps:g}")
        return self.tr("Healthy: viewers get {height}p").format(height=height)

    def canvas_fps(self) -> float | None:
        """The frame rate the show is made at (the program canvas's), None if unknown."""
        compositor = getattr(getattr(self.controller, "studio", None), "compositor", None)
        fps = getattr(compositor, "fps", None)
        return float(fps) if isinstance(fps, (int, float)) and fps > 0 else None

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Stream health"))
        self.outputs_caption.setText(self.tr("Destinations"))
        self.outputs_table.retranslate()
        self.table.setHorizontalHeaderLabels([self.tr("Layer"), self.tr("Resolution"), self.tr("FPS"), self.tr("Bitrate")])
        self.rtt_caption.setText(self.tr("Round trip:"))
        self.loss_caption.setText(self.tr("Packet loss:"))
        self.estimate_caption.setText(self.tr("Available bandwidth:"))
        self.dropped_caption.setText(self.tr("Dropped frames:"))
        self.encoder_caption.setText(self.tr("Encoder:"))
        self.cpu_caption.setText(self.tr("CPU (Bridgecast):"))
        self.bitrate_graph.title = self.tr("Bitrate")
        self.rtt_graph.title = self.tr("Round trip")
        self.update_stats(sample=False)


_VERDICT_STYLES = {
    "neutral": "font-weight: bold; color: #b9bec8;",
    "good": "font-weight: bold; color: #3fb950;",
    "limited": "font-weight: bold; color: #d29922;",
    "bad": "font-weight: bold; color: #ff6b6b;",
}
