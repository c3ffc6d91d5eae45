"""Test pattern: colour bars, a moving box and the time-code strip stamped at capture."""
from __future__ import annotations

import math
import sys
import threading

import cv2
import numpy as np

from studio.core.clock import NS_PER_S, Ticker, media_to_wall_ms, now_ns
from studio.sources import register
from studio.sources.base import VideoSource
from studio.timecode import draw_strip, strip_bounds

# SMPTE-like bars, BGR.
_BARS = [(192, 192, 192), (0, 192, 192), (192, 192, 0), (0, 192, 0), (192, 0, 192), (0, 0, 192), (192, 0, 0)]


def make_background(width: int, height: int) -> np.ndarray:
    image = np.zeros((height, width, 3), np.uint8)
    bar_w = width / len(_BARS)
    bars_h = int(height * 0.67)
    for i, colour in enumerate(_BARS):
        image[:bars_h, int(i * bar_w) : int((i + 1) * bar_w)] = colour
    # A luma ramp below the bars gives encoders gradients to work on.
    ramp = np.linspace(0, 255, width, dtype=np.float32).astype(np.uint8)
    image[bars_h:] = ramp[None, :, None]
    return image


Box = tuple[int, int, int, int]  # x0, y0, x1, y1
POOL_SIZE = 4
# sys.getrefcount of a pooled buffer nobody else holds: the pool's list + the call's argument.
_FREE_REFCOUNT = 2


class FramePool:
    """Picture buffers of one test pattern, reused once nobody holds them any more.

    Published frames are never written (``VideoFrame``), so a buffer is redrawn only when the
    pool's own references are the only ones left — an encoder's queue, the program, a cached
    layer or the preview still holding a frame keeps it (and any view of it) intact.  A reused
    buffer gets back the background where it was drawn on last time instead of a whole new
    6 MB copy of the background at 1080p.
    """

    def __init__(self, background: np.ndarray, size: int = POOL_SIZE) -> None:
        self._background = background
        self._size = size
        self._slots: list[list] = []  # [buffer, boxes drawn on it]
        self.reused = 0

    def take(self) -> list:
        """A ``[buffer, boxes]`` slot showing the plain background; record what you draw in ``boxes``."""
        background = self._background
        for slot in self._slots:
            if sys.getrefcount(slot[0]) <= _FREE_REFCOUNT:
                for x0, y0, x1, y1 in slot[1]:
                    slot[0][y0:y1, x0:x1] = background[y0:y1, x0:x1]
                slot[1] = []
                self.reused += 1
                return slot
        slot = [background.copy(), []]
        if len(self._slots) < self._size:
            self._slots.append(slot)
        return slot


@register
class TestPatternSource(VideoSource):
    """Settings: ``width``, ``height``, ``fps``, ``timecode`` (bool, default true)."""

    kind = "testpattern"
    __test__ = False  # not a pytest test class despite the name

    @property
    def stamps_timecode(self) -> bool:
        """Whether its frames carry the time-code strip (a second canvas then stamps its own)."""
        return bool(self.settings.get("timecode", True))

    def natural_size(self) -> tuple[int, int] | None:
        return super().natural_size() or (int(self.settings.get("width", 1920)), int(self.settings.get("height", 1080)))

    def _capture(self, stop: threading.Event) -> None:
        width = int(self.settings.get("width", 1920))
        height = int(self.settings.get("height", 1080))
        fps = float(self.settings.get("fps", 30))
        has_timecode = bool(self.settings.get("timecode", True))
        background = make_background(width, height)
        box = max(16, height // 6)
        ticker = Ticker(int(NS_PER_S / fps), stop)
        pool = FramePool(background)
        strip_x, strip_y, strip_w, strip_h = strip_bounds(width)
        strip_box = (strip_x, strip_y, min(width, strip_x + strip_w), min(height, strip_y + strip_h))
        start_ns = now_ns()
        if not self.is_awake:
            self._publish_poster(background, start_ns)  # born asleep: its look without running
        while not stop.is_set():
            if self._wait_while_asleep(stop):
                ticker.reset()  # a fresh start after sleeping, not a burst of late ticks
                continue
            capture_ns = now_ns()
            slot = pool.take()
            image = slot[0]
            slot[1] = self.render_motion(image, (capture_ns - start_ns) / NS_PER_S, box)
            if has_timecode:
                draw_strip(image, media_to_wall_ms(capture_ns))
                slot[1].append(strip_box)
            del slot
            self._publish(image, capture_ns)
            del image  # only the published frame holds it now, so the pool sees when it is let go
            ticker.wait_next()

    @staticmethod
    def render_motion(image: np.ndarray, t_s: float, box: int) -> list[Box]:
        """Draw the moving parts; returns the boxes drawn on (x0, y0, x1, y1)."""
        height, width = image.shape[:2]
        # A box bouncing across the bars plus a sweeping line: real motion for encoders.
        x = int((width - box) * (0.5 + 0.5 * math.sin(t_s * 1.3)))
        y = int((height * 0.67 - box) * (0.5 + 0.5 * math.cos(t_s * 0.9)))
        _, strip_y, _, strip_h = strip_bounds(width)
        y = max(y, strip_y + strip_h + 2)
        cv2.rectangle(image, (x, y), (x + box, y + box), (255, 255, 255), -1)
        cv2.circle(image, (x + box // 2, y + box // 2), box // 3, (int(t_s * 97) % 256, 64, 200), -1)
        sweep = int((t_s * 0.25 % 1.0) * width)
        image[int(height * 0.67) :, sweep : sweep + 4] = (0, 0, 255)
        return [(max(0, x - 1), max(0, y - 1), min(width, x + box + 2), min(height, y + box + 2)),
                (sweep, int(height * 0.67), min(width, sweep + 4), height)]
