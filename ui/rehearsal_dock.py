"""What a viewer sees: per-layer previews from the built-in rehearsal receiver.

While the controller publishes to the rehearsal receiver, a QTimer (≤ 10 fps) copies each
layer's latest decoded picture (``receiver.last_frame(rid)``, already a BGR ndarray kept by the
decoder thread) into a small image, with the layer's resolution, fps and glass-to-glass
latency p50 (read from the time-code strip) underneath.  Nothing is decoded here.

Latency is a figure only while the strip is being read: frames decoded without a reading (a
camera program has no strip) say so in words instead of repeating an old p50.  When the show
stops, the pictures go: a stale frame would look like a live one.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QDockWidget, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ui.golive import GoLiveController

PREVIEW_INTERVAL_MS = 100  # 10 fps at most
STATS_EVERY_TICKS = 5  # the text under each preview twice a second
PREVIEW_WIDTH_PX = 128
PREVIEW_COLUMNS = 3
CAPTION_EXTRA_PX = 16
# Frames decoded without one time-code reading before the latency is called unmeasurable
# (half a second at 30 fps: a strip read at all is read on nearly every frame).
FRAMES_WITHOUT_STRIP = 15


def latency_reading(layer: dict[str, Any], previous: dict[str, Any] | None) -> str:
    """How the layer's latency stands since ``previous`` (its stats when last judged): "known"
    (fresh readings), "no_strip" (frames arrive without any), "paused" (no frames arrive: the
    sender paused the layer), or "measuring" (too few frames to tell)."""
    if layer.get("active") is False or layer.get("fps") == 0:
        return "paused"
    frames = int(layer.get("frames_decoded") or 0)
    readings = int(layer.get("latency_frames") or 0)
    if previous is not None and frames >= int(previous.get("frames_decoded") or 0):
        frames -= int(previous.get("frames_decoded") or 0)
        readings -= int(previous.get("latency_frames") or 0)
    if readings > 0 and layer.get("latency_p50_ms") is not None:
        return "known"
    return "no_strip" if frames >= FRAMES_WITHOUT_STRIP else "measuring"


def bgr_to_image(frame: np.ndarray) -> QImage:
    """A QImage that owns a copy of ``frame`` (BGR, uint8, H×W×3)."""
    frame = np.ascontiguousarray(frame)
    height, width = frame.shape[:2]
    return QImage(frame.data, width, height, frame.strides[0], QImage.Format.Format_BGR888).copy()


class LayerPreview(QWidget):
    """One layer: its picture and a caption."""

    def __init__(self, rid: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rid = rid
        self.frames_shown = 0
        self.picture = QLabel(self)
        self.picture.setFixedSize(QSize(PREVIEW_WIDTH_PX, PREVIEW_WIDTH_PX * 9 // 16))
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setStyleSheet("background: #0d0e10; border: 1px solid #33373f;")
        self.caption = QLabel(self)
        self.caption.setStyleSheet("font-size: 11px;")
        # Wrapped at the picture's width: a longer caption (another language, a reason) must
        # not widen the dock, and with it the window.
        self.caption.setWordWrap(True)
        self.caption.setFixedWidth(PREVIEW_WIDTH_PX + CAPTION_EXTRA_PX)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.picture)
        layout.addWidget(self.caption)

    def show_frame(self, frame: np.ndarray) -> None:
        image = bgr_to_image(frame)
        self.picture.setPixmap(QPixmap.fromImage(image).scaled(self.picture.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                                               Qt.TransformationMode.SmoothTransformation))
        self.frames_shown += 1


class RehearsalDock(QDockWidget):
    """Viewer-side previews of every layer the rehearsal receiver decodes."""

    def __init__(self, controller: GoLiveController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("rehearsalDock")
        self.previews: dict[str, LayerPreview] = {}
        self.last_stats: dict[str, Any] | None = None
        self.latency_states: dict[str, str] = {}  # rid -> latency_reading()
        self._counted: dict[str, dict[str, Any]] = {}  # rid -> the layer's stats when last judged
        self._ticks = 0
        body = QWidget(self)
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(6, 6, 6, 6)
        self.message = QLabel(body)
        self.message.setWordWrap(True)
        self._layout.addWidget(self.message)
        self._grid = QGridLayout()
        self._layout.addLayout(self._grid)
        self._layout.addStretch(1)
        self.setWidget(body)
        self._timer = QTimer(self)
        self._timer.setInterval(PREVIEW_INTERVAL_MS)
        self._timer.timeout.connect(self.tick)
        controller.changed.connect(self._on_state_changed)
        self.retranslate()
        self._on_state_changed()

    def _on_state_changed(self) -> None:
        receiver = self.controller.receiver
        is_on = receiver is not None and self.controller.is_active
        if self.previews and (self.controller.state == "connecting" or not is_on):
            self._clear()  # a new session, or none: the old pictures are stale
        if is_on:
            if not self._timer.isActive():
                self._ticks = 0
                self._timer.start()
        else:
            self._timer.stop()
        self._show_message()

    def _clear(self) -> None:
        for preview in self.previews.values():
            self._grid.removeWidget(preview)
            preview.deleteLater()
        self.previews.clear()
        self.last_stats = None
        self.latency_states.clear()
        self._counted.clear()

    def _show_message(self) -> None:
        if self.controller.receiver is None or not self.controller.is_active:
            self.message.setText(self.tr("Not live") + "\n" + self.tr(
                "With no destination ticked, Go live rehearses: what viewers get shows here."))
        elif not self.previews:
            self.message.setText(self.tr("Waiting for the first pictures…"))
        else:
            text = self.tr("What viewers get from each layer:")
            if "no_strip" in self.latency_states.values():
                text += "\n" + self._why_no_latency()
            self.message.setText(text)

    def _why_no_latency(self) -> str:
        compositor = getattr(getattr(self.controller, "studio", None), "compositor", None)
        if getattr(compositor, "is_latency_probe_on", False):
            return self.tr("Latency unknown: the time-code strip at the top of the program cannot be read "
                           "on this layer (too small a picture).")
        return self.tr("Latency unknown: the program carries no time-code strip (a camera picture has none). "
                       "Turn on Settings → Latency probe to measure it.")

    def tick(self) -> None:
        receiver = self.controller.receiver
        if receiver is None:
            return
        if self._ticks % STATS_EVERY_TICKS == 0:
            self.last_stats = receiver.stats()
            self._update_layers(self.last_stats, is_new_sample=True)
            self._show_message()
        self._ticks += 1
        for rid, preview in self.previews.items():
            frame = receiver.last_frame(rid)
            if frame is not None:
                preview.show_frame(frame)

    def _update_layers(self, stats: dict[str, Any], is_new_sample: bool = False) -> None:
        unknown = self.tr("unknown")
        for layer in stats.get("layers") or []:
            rid = layer["rid"]
            if is_new_sample:
                state = latency_reading(layer, self._counted.get(rid))
                if state == "measuring":  # too few frames since the last judgement: it stands
                    self.latency_states.setdefault(rid, state)
                else:
                    self.latency_states[rid] = state
                    self._counted[rid] = layer  # judge the next stretch of frames on its own
            preview = self.previews.get(rid)
            if preview is None:
                preview = LayerPreview(rid, self.message.parentWidget())
                index = len(self.previews)
                self._grid.addWidget(preview, index // PREVIEW_COLUMNS, index % PREVIEW_COLUMNS, Qt.AlignmentFlag.AlignTop)
                self.previews[rid] = preview
                self._show_message()
            size = f"{layer['width']}×{layer['height']}" if layer.get("width") and layer.get("height") else unknown
            fps = f"{layer['fps']:.1f}" if layer.get("fps") is not None else unknown
            state = self.latency_states.get(rid, "measuring")
            if state == "known":
                latency = f"{layer['latency_p50_ms']:.0f} ms"
            elif state == "no_strip":
                latency = self.tr("unknown: no time-code strip")
            elif state == "paused":
                latency = self.tr("none: the layer is paused")
            else:
                latency = self.tr("measuring…")
            preview.caption.setText(self.tr("{rid}: {size} · {fps} fps\nlatency p50 {latency}").format(
                rid=rid, size=size, fps=fps, latency=latency))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Rehearsal viewer"))
        self._show_message()
        if self.last_stats is not None:
            self._update_layers(self.last_stats)
