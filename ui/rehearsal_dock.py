"""What a viewer sees: per-layer previews from the built-in rehearsal receiver.

While the controller publishes to the rehearsal receiver, a QTimer (≤ 10 fps) copies each
layer's latest decoded picture (``receiver.last_frame(rid)``, already a BGR ndarray kept by the
decoder thread) into a small image, with the layer's resolution, fps and glass-to-glass
latency p50 (read from the time-code strip) underneath.  Nothing is decoded here.
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
        if self.controller.state == "connecting" and self.previews:
            for preview in self.previews.values():  # a new session: the old pictures are stale
                self._grid.removeWidget(preview)
                preview.deleteLater()
            self.previews.clear()
            self.last_stats = None
        if receiver is not None and self.controller.is_active:
            if not self._timer.isActive():
                self._ticks = 0
                self._timer.start()
        else:
            self._timer.stop()
        self._show_message()

    def _show_message(self) -> None:
        if self.controller.receiver is None or not self.controller.is_active:
            self.message.setText(self.tr("With no destination ticked, Go live rehearses: what viewers get shows here."))
        elif not self.previews:
            self.message.setText(self.tr("Waiting for the first pictures…"))
        else:
            self.message.setText(self.tr("What viewers get from each layer:"))

    def tick(self) -> None:
        receiver = self.controller.receiver
        if receiver is None:
            return
        if self._ticks % STATS_EVERY_TICKS == 0:
            self.last_stats = receiver.stats()
            self._update_layers(self.last_stats)
        self._ticks += 1
        for rid, preview in self.previews.items():
            frame = receiver.last_frame(rid)
            if frame is not None:
                preview.show_frame(frame)

    def _update_layers(self, stats: dict[str, Any]) -> None:
        unknown = self.tr("unknown")
        for layer in stats.get("layers") or []:
            rid = layer["rid"]
            preview = self.previews.get(rid)
            if preview is None:
                preview = LayerPreview(rid, self.widget())
                index = len(self.previews)
                self._grid.addWidget(preview, index // PREVIEW_COLUMNS, index % PREVIEW_COLUMNS, Qt.AlignmentFlag.AlignTop)
                self.previews[rid] = preview
                self._show_message()
            size = f"{layer['width']}×{layer['height']}" if layer.get("width") and layer.get("height") else unknown
            fps = f"{layer['fps']:.1f}" if layer.get("fps") is not None else unknown
            latency = f"{layer['latency_p50_ms']:.0f} ms" if layer.get("latency_p50_ms") is not None else unknown
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
