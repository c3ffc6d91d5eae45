"""Test pattern: colour bars, a moving box and the time-code strip stamped at capture."""
from __future__ import annotations

import math
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
        start_ns = now_ns()
        if not self.is_awake:
            self._publish_poster(background, start_ns)  # born asleep: its look without running
        while not stop.is_set():
            if self._wait_while_asleep(stop):
                ticker.reset()  # a fresh start after sleeping, not a burst of late ticks
                continue
            capture_ns = now_ns()
            image = background.copy()
            self.render_motion(image, (capture_ns - start_ns) / NS_PER_S, box)
            if has_timecode:
                draw_strip(image, media_to_wall_ms(capture_ns))
            self._publish(image, capture_ns)
            ticker.wait_next()

    @staticmethod
    def render_motion(image: np.ndarray, t_s: float, box: int) -> None:
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
