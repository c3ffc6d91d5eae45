"""What one simulcast layer reports: running counters, timing medians and the measured output.

Plain bookkeeping, no threads of its own: a layer's worker writes it, ``Ladder.stats()`` reads
it from any thread, and the worker's lock (not this module) decides what is read together.
"""
from __future__ import annotations

import statistics
from collections import deque
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, Iterable

STATS_WINDOW = 300  # timing samples kept per layer: 10 s at 30 fps, enough for a stable median


@dataclass(frozen=True)
class LayerStats:
    """A snapshot of one layer (``as_dict()`` for JSON; ``active`` mirrors ``is_active``)."""

    rid: str
    width: int
    height: int
    fps: float
    bitrate_bps: int  # current target
    output_bitrate_bps: int | None  # measured over the last second of content
    output_fps: float | None
    frames_in: int
    frames_encoded: int
    dropped: int
    keyframes: int
    keyframe_requests: int
    keyframe_requests_coalesced: int
    bytes: int
    encode_ms_p50: float | None
    scale_ms_p50: float | None
    ms_per_frame_p50: float | None
    cpu_ms_per_frame_p50: float | None
    is_active: bool
    is_failed: bool
    encoder: str | None
    is_hardware: bool
    fallbacks: int
    reopens: int

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["active"] = self.is_active
        return data


@dataclass
class LayerCounters:
    """Running totals of one layer since its ladder was made."""

    frames_in: int = 0  # handed to the layer by the converter (its own drops are the mailbox's)
    frames_encoded: int = 0
    frames_skipped_fps: int = 0  # left out on purpose: the layer runs slower than the program
    frames_paused: int = 0
    keyframes: int = 0
    keyframe_requests: int = 0
    keyframe_requests_coalesced: int = 0
    bytes: int = 0
    packets_discarded: int = 0  # encoded just before a pause, or before the keyframe of a resume
    fallbacks: int = 0
    reopens: int = 0  # made by encoders already replaced (the current one counts its own)


class FrameTimings:
    """The last ``STATS_WINDOW`` frames of one layer: scaling, encoding, and both together
    (wall clock and this thread's CPU time, which shows when the machine, not the codec, is slow)."""

    def __init__(self) -> None:
        self.scale_ms: deque[float] = deque(maxlen=STATS_WINDOW)
        self.encode_ms: deque[float] = deque(maxlen=STATS_WINDOW)
        self.frame_ms: deque[float] = deque(maxlen=STATS_WINDOW)
        self.frame_cpu_ms: deque[float] = deque(maxlen=STATS_WINDOW)

    def add(self, *, scale_ms: float, encode_ms: float, frame_ms: float, frame_cpu_ms: float) -> None:
        self.scale_ms.append(scale_ms)
        self.encode_ms.append(encode_ms)
        self.frame_ms.append(frame_ms)
        self.frame_cpu_ms.append(frame_cpu_ms)

    def clear(self) -> None:
        for samples in (self.encode_ms, self.scale_ms, self.frame_ms, self.frame_cpu_ms):
            samples.clear()


class OutputWindow:
    """The last second of one layer's output, by pts (content time, not wall time): the
    bitrate and frame rate it actually produces."""

    def __init__(self, time_base: Fraction) -> None:
        self.time_base = time_base
        self._window_ticks = int(1 / time_base)  # one second
        self._sizes: deque[tuple[int, int]] = deque()  # (pts, bytes) per packet
        self._frame_pts: deque[int] = deque()  # one pts per frame

    def add(self, pts: int, size_bytes: int) -> None:
        self._sizes.append((pts, size_bytes))
        if not self._frame_pts or self._frame_pts[-1] != pts:
            self._frame_pts.append(pts)
        while self._sizes and self._sizes[0][0] < pts - self._window_ticks:
            self._sizes.popleft()
        while self._frame_pts and self._frame_pts[0] < pts - self._window_ticks:
            self._frame_pts.popleft()

    def rates(self) -> tuple[int | None, float | None]:
        """(bits per second, frames per second) over the window; None until two frames span it."""
        if len(self._frame_pts) < 2:
            return None, None
        span_ticks = self._frame_pts[-1] - self._frame_pts[0]
        if span_ticks <= 0:
            return None, None
        span_s = float(span_ticks * self.time_base)
        frames = len(self._frame_pts) - 1
        # The first frame opens the span; its bytes were sent before it.
        size_bytes = sum(size for pts, size in self._sizes if pts > self._frame_pts[0])
        return int(size_bytes * 8 / span_s), round(frames / span_s, 2)


def median_ms(samples: Iterable[float]) -> float | None:
    """The median of timing samples in ms (3 decimals), None without samples."""
    values = list(samples)
    if not values:
        return None
    return round(statistics.median(values), 3)
