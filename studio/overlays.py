"""RGBA overlays (product cards, coupons, the latency probe) blended over their bounding box only.

An overlay may carry an :class:`Animation`: a short slide/fade in after its ``shown_ns`` and out
after its ``hidden_ns`` (media-clock nanoseconds).  The motion is evaluated per compositor frame
from those two times: only the position and the blend weight change, the picture and its
premultiplied arrays are computed once.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import cv2
import numpy as np

from studio.core.clock import NS_PER_MS, now_ns


@dataclass(frozen=True)
class Animation:
    """Enter: opacity rises linearly from ``start_opacity`` while the picture glides in from
    (``slide_dx``, ``slide_dy``) px with an ease-out; exit: the reverse, fading to nothing.

    ``start_opacity`` is well above zero so the very first frame after a request already shows
    the card (the assistant sees it react at once); the rest is polish.
    """

    duration_ms: int = 250
    start_opacity: float = 0.6
    slide_dx: int = 0
    slide_dy: int = 0

    def enter(self, elapsed_ns: int) -> tuple[float, int, int]:
        """(opacity factor, dx, dy) ``elapsed_ns`` after the overlay was shown."""
        progress = min(1.0, max(0.0, elapsed_ns / (self.duration_ms * NS_PER_MS))) if self.duration_ms > 0 else 1.0
        eased = 1.0 - (1.0 - progress) ** 3
        opacity = self.start_opacity + (1.0 - self.start_opacity) * progress
        return opacity, round(self.slide_dx * (1.0 - eased)), round(self.slide_dy * (1.0 - eased))

    def exit(self, elapsed_ns: int) -> tuple[float, int, int]:
        """(opacity factor, dx, dy) ``elapsed_ns`` after the overlay was hidden (0 opacity at the end)."""
        progress = min(1.0, max(0.0, elapsed_ns / (self.duration_ms * NS_PER_MS))) if self.duration_ms > 0 else 1.0
        eased = progress ** 3
        return 1.0 - progress, round(self.slide_dx * eased), round(self.slide_dy * eased)


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
    animation: Animation | None = None
    shown_ns: int | None = None  # when the enter motion started (None: no enter motion)
    hidden_ns: int | None = None  # when the exit motion started (None: not leaving)
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

    # -- animation -------------------------------------------------------------------------
    def frame_state(self, tick_ns: int | None = None) -> tuple[float, int, int]:
        """(opacity, x, y) as drawn on the frame of ``tick_ns`` (default: now)."""
        animation = self.animation
        if animation is None or (self.shown_ns is None and self.hidden_ns is None):
            return self.opacity, self.x, self.y
        tick_ns = now_ns() if tick_ns is None else tick_ns
        if self.hidden_ns is not None:
            factor, dx, dy = animation.exit(tick_ns - self.hidden_ns)
        else:
            factor, dx, dy = animation.enter(tick_ns - self.shown_ns)  # type: ignore[operator]
        return self.opacity * factor, self.x + dx, self.y + dy

    @property
    def is_leaving(self) -> bool:
        return self.hidden_ns is not None

    def has_left(self, tick_ns: int | None = None) -> bool:
        """True once the exit motion is over (or at once without an animation)."""
        if self.hidden_ns is None:
            return False
        if self.animation is None:
            return True
        return (now_ns() if tick_ns is None else tick_ns) - self.hidden_ns >= self.animation.duration_ms * NS_PER_MS

    def leaving(self, hidden_ns: int | None = None) -> "Overlay":
        """A copy that plays the exit motion from ``hidden_ns`` (default: now), sharing the pixels."""
        twin = copy.copy(self)
        twin.hidden_ns = now_ns() if hidden_ns is None else hidden_ns
        if self.shown_ns is not None and self.animation is not None:
            # Leaving mid-entry: start the exit from the opacity reached, not from full.
            opacity, _x, _y = self.frame_state(twin.hidden_ns)
            twin.opacity = opacity
        return twin

    def _weights(self, opacity: float) -> tuple[np.ndarray, np.ndarray]:
        if opacity >= 1.0:
            return self._alpha, self._inverse
        cache = getattr(self, "_opacity_cache", None)
        if cache is None or cache[0] != opacity:
            alpha = self._alpha * float(opacity)
            cache = (opacity, alpha, 1.0 - alpha)
            self._opacity_cache = cache
        return cache[1], cache[2]

    def blend_into(self, canvas: np.ndarray, tick_ns: int | None = None) -> None:
        """Blend onto a BGR canvas in place, clipped to the canvas, at the motion state of ``tick_ns``."""
        opacity, x, y = self.frame_state(tick_ns)
        if not self.is_visible or opacity <= 0.0 or self._box[2] == 0:
            return
        bx, by, bw, bh = self._box
        x0, y0 = x + bx, y + by
        cx0, cy0 = max(0, x0), max(0, y0)
        cx1, cy1 = min(canvas.shape[1], x0 + bw), min(canvas.shape[0], y0 + bh)
        if cx1 <= cx0 or cy1 <= cy0:
            return
        sx0, sy0 = cx0 - x0, cy0 - y0
        sx1, sy1 = sx0 + (cx1 - cx0), sy0 + (cy1 - cy0)
        alpha, inverse = self._weights(opacity)
        roi = canvas[cy0:cy1, cx0:cx1]
        blended = cv2.blendLinear(
            self._bgr[sy0:sy1, sx0:sx1], roi, np.ascontiguousarray(alpha[sy0:sy1, sx0:sx1]), np.ascontiguousarray(inverse[sy0:sy1, sx0:sx1])
        )
        roi[...] = blended
