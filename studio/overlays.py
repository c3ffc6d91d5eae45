"""RGBA overlays (product cards, coupons, the latency probe) blended over their bounding box only."""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass
class Overlay:
    """An RGBA picture at (x, y) on the canvas, above every scene layer.

    Premultiplied colour and the blend weights are computed once when the overlay is set,
    cropped to the pixels that are not fully transparent, so each tick costs one fused
    blend over that box and nothing else.
    """

    overlay_id: str
    rgba: np.ndarray  # H×W×4 uint8, RGBA order (Pillow's)
    x: int = 0
    y: int = 0
    opacity: float = 1.0
    is_visible: bool = True
    z: int = 0
    _bgr: np.ndarray = field(init=False, repr=False)
    _alpha: np.ndarray = field(init=False, repr=False)
    _inverse: np.ndarray = field(init=False, repr=False)
    _box: tuple[int, int, int, int] = field(init=False, repr=False)  # (dx, dy, w, h) inside rgba

    def __post_init__(self) -> None:
        rgba = np.ascontiguousarray(self.rgba)
        if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
            raise ValueError("overlay must be an H×W×4 uint8 RGBA array")
        alpha = rgba[..., 3]
        rows = np.flatnonzero(alpha.any(axis=1))
        cols = np.flatnonzero(alpha.any(axis=0))
        if rows.size == 0:
            self._box = (0, 0, 0, 0)
            self._bgr = np.zeros((0, 0, 3), np.uint8)
            self._alpha = self._inverse = np.zeros((0, 0), np.float32)
            return
        y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        self._box = (int(x0), int(y0), int(x1 - x0), int(y1 - y0))
        cropped = rgba[y0:y1, x0:x1]
        self._bgr = np.ascontiguousarray(cropped[..., 2::-1])
        self._alpha = cropped[..., 3].astype(np.float32) / 255.0
        self._inverse = 1.0 - self._alpha
        self._opacity_cache: tuple[float, np.ndarray, np.ndarray] | None = None

    @property
    def size(self) -> tuple[int, int]:
        return int(self.rgba.shape[1]), int(self.rgba.shape[0])

    def _weights(self) -> tuple[np.ndarray, np.ndarray]:
        if self.opacity >= 1.0:
            return self._alpha, self._inverse
        cache = getattr(self, "_opacity_cache", None)
        if cache is None or cache[0] != self.opacity:
            alpha = self._alpha * float(self.opacity)
            cache = (self.opacity, alpha, 1.0 - alpha)
            self._opacity_cache = cache
        return cache[1], cache[2]

    def blend_into(self, canvas: np.ndarray) -> None:
        """Blend onto a BGR canvas in place, clipped to the canvas."""
        if not self.is_visible or self.opacity <= 0.0 or self._box[2] == 0:
            return
        bx, by, bw, bh = self._box
        x0, y0 = self.x + bx, self.y + by
        cx0, cy0 = max(0, x0), max(0, y0)
        cx1, cy1 = min(canvas.shape[1], x0 + bw), min(canvas.shape[0], y0 + bh)
        if cx1 <= cx0 or cy1 <= cy0:
            return
        sx0, sy0 = cx0 - x0, cy0 - y0
        sx1, sy1 = sx0 + (cx1 - cx0), sy0 + (cy1 - cy0)
        alpha, inverse = self._weights()
        roi = canvas[cy0:cy1, cx0:cx1]
        blended = cv2.blendLinear(
            self._bgr[sy0:sy1, sx0:sx1], roi, np.ascontiguousarray(alpha[sy0:sy1, sx0:sx1]), np.ascontiguousarray(inverse[sy0:sy1, sx0:sx1])
        )
        roi[...] = blended
