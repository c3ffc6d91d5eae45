"""Audio level meters: a thread-safe level store and the widget that paints it.

Audio threads report levels 50 times a second; posting a Qt event for each would flood
the GUI thread.  Instead the audio thread only writes into a ``LevelStore`` (the loudest
peak since the last read and the newest RMS), and the meter reads it on a GUI timer.

A meter repaints only when what it shows moved by a pixel (a steady tone or silence costs no
painting), only its bar (the dB scale under it is drawn once per size into a pixmap): at 30
readings a second every strip repainting in full cost the idle app ≈ 3.5 % of a core
(``bridgecast bench app``).
"""
from __future__ import annotations

import threading
import time

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

METER_FLOOR_DBFS = -60.0
METER_TOP_DBFS = 0.0
PEAK_FALL_DB_PER_S = 24.0  # how fast the peak bar falls back (rises instantly)
PEAK_HOLD_S = 1.5
YELLOW_FROM_DBFS = -20.0
RED_FROM_DBFS = -9.0
SCALE_STEP_DB = 10
BAR_TOP, BAR_HEIGHT = 1, 12
SCALE_TOP = 14  # the scale's ticks and numbers, below the bar
ZONES = ((METER_FLOOR_DBFS, YELLOW_FROM_DBFS, (46, 160, 67)), (YELLOW_FROM_DBFS, RED_FROM_DBFS, (210, 170, 40)),
         (RED_FROM_DBFS, METER_TOP_DBFS, (220, 60, 60)))


class LevelStore:
    """Written by an audio thread (``update``), read by the GUI timer (``take``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._peak_dbfs = -120.0
        self._rms_dbfs = -120.0
        self._updates = 0

    def update(self, peak_dbfs: float, rms_dbfs: float, **_extra: object) -> None:
        with self._lock:
            self._peak_dbfs = max(self._peak_dbfs, float(peak_dbfs)) if self._updates else float(peak_dbfs)
            self._rms_dbfs = float(rms_dbfs)
            self._updates += 1

    def take(self) -> tuple[float, float, int] | None:
        """(loudest peak since the last take, newest RMS, number of blocks) or ``None`` if none came."""
        with self._lock:
            if not self._updates:
                return None
            result = (self._peak_dbfs, self._rms_dbfs, self._updates)
            self._updates = 0
            return result


def _fraction(dbfs: float) -> float:
    clamped = min(METER_TOP_DBFS, max(METER_FLOOR_DBFS, dbfs))
    return (clamped - METER_FLOOR_DBFS) / (METER_TOP_DBFS - METER_FLOOR_DBFS)


class LevelMeter(QWidget):
    """Horizontal meter, −60…0 dBFS: RMS as a solid bar, peak as a lighter bar and a hold line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.peak_dbfs = -120.0  # the last reading (what the model said)
        self.rms_dbfs = -120.0
        self.shown_peak_dbfs = -120.0  # with fall-back ballistics
        self.hold_dbfs = -120.0
        self._hold_until_s = 0.0
        self._last_s = time.monotonic()
        self.is_muted = False
        self._drawn: tuple[int, ...] | None = None  # the pixel positions last painted
        self._scale: QPixmap | None = None
        self._scale_key: tuple[int, float, str] | None = None

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(240, 26)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(80, 26)

    def set_levels(self, peak_dbfs: float, rms_dbfs: float) -> None:
        now_s = time.monotonic()
        elapsed_s = max(0.0, now_s - self._last_s)
        self._last_s = now_s
        self.peak_dbfs = peak_dbfs
        self.rms_dbfs = rms_dbfs
        self.shown_peak_dbfs = max(peak_dbfs, self.shown_peak_dbfs - PEAK_FALL_DB_PER_S * elapsed_s)
        if peak_dbfs >= self.hold_dbfs or now_s >= self._hold_until_s:
            self.hold_dbfs = peak_dbfs
            self._hold_until_s = now_s + PEAK_HOLD_S
        self.refresh()

    def _positions(self) -> tuple[int, ...]:
        width = self.width()
        return (width, int(_fraction(self.shown_peak_dbfs) * width), int(_fraction(self.rms_dbfs) * width),
                int(_fraction(self.hold_dbfs) * width) if self.hold_dbfs > METER_FLOOR_DBFS else -1, int(self.is_muted))

    def refresh(self) -> None:
        """Repaint the bar if what it shows moved by at least a pixel (or the mute state changed)."""
        positions = self._positions()
        if positions != self._drawn:
            self.update(QRect(0, 0, self.width(), SCALE_TOP))

    def decay(self) -> None:
        """No new reading this tick: let the bars fall."""
        self.set_levels(max(self.peak_dbfs - PEAK_FALL_DB_PER_S / 30.0, -120.0), max(self.rms_dbfs - PEAK_FALL_DB_PER_S / 30.0, -120.0))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        width = self.width()
        self._drawn = self._positions()
        bar = QRectF(0, BAR_TOP, width, BAR_HEIGHT)
        painter.fillRect(bar, QColor(20, 22, 26))
        peak_x = _fraction(self.shown_peak_dbfs) * width
        rms_x = _fraction(self.rms_dbfs) * width
        for low, high, rgb in ZONES:
            x0, x1 = _fraction(low) * width, _fraction(high) * width
            colour = QColor(110, 114, 122) if self.is_muted else QColor(*rgb)
            dim = QColor(colour)
            dim.setAlpha(110)
            # Peak: lighter, full height of the bar's top half; RMS: solid, bottom part.
            if peak_x > x0:
                painter.fillRect(QRectF(x0, bar.top(), min(peak_x, x1) - x0, bar.height()), dim)
            if rms_x > x0:
                painter.fillRect(QRectF(x0, bar.top() + 4, min(rms_x, x1) - x0, bar.height() - 4), colour)
        if self.hold_dbfs > METER_FLOOR_DBFS:
            hold_x = _fraction(self.hold_dbfs) * width
            painter.fillRect(QRectF(max(0.0, hold_x - 2), bar.top(), 2, bar.height()), QColor(235, 235, 240))
        if event.rect().bottom() >= SCALE_TOP:
            painter.drawPixmap(0, SCALE_TOP, self._scale_pixmap())
        painter.end()

    def _scale_pixmap(self) -> QPixmap:
        """The dB scale (a tick and a number every 10 dB), drawn once per width and font."""
        ratio = self.devicePixelRatioF()
        key = (self.width(), ratio, self.font().key())
        if self._scale is None or self._scale_key != key:
            width, height = self.width(), max(1, self.height() - SCALE_TOP)
            pixmap = QPixmap(max(1, round(width * ratio)), max(1, round(height * ratio)))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setPen(QColor(140, 146, 156))
            font = QFont(self.font())
            font.setPixelSize(9)
            painter.setFont(font)
            metrics = painter.fontMetrics()
            for db in range(int(METER_FLOOR_DBFS), int(METER_TOP_DBFS) + 1, SCALE_STEP_DB):
                x = _fraction(db) * (width - 1)
                painter.drawLine(int(x), 0, int(x), 2)
                text = str(db)
                text_w = metrics.horizontalAdvance(text)
                painter.drawText(min(max(0, int(x - text_w / 2)), width - text_w), 25 - SCALE_TOP, text)
            painter.end()
            self._scale, self._scale_key = pixmap, key
        return self._scale
