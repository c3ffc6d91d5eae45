"""Capture time → presentation timestamp for every layer of a ladder.

Pts count ``time_base`` ticks (90 kHz for RTP) from the first frame's capture time, so every
layer stamps a frame alike (SFUs align simulcast layers by RTP timestamp) and a receiver can
map a pts back to the capture clock: ``capture_ns = origin_ns + pts × time_base``.
"""
from __future__ import annotations

from fractions import Fraction

from studio.core.clock import NS_PER_S


class CaptureTimestamps:
    """Hands out strictly increasing pts from capture times (monotonic ns); not thread-safe:
    one converter thread asks."""

    def __init__(self, time_base: Fraction) -> None:
        self.time_base = time_base
        self.origin_ns: int | None = None  # capture time of pts 0
        self._last_pts: int | None = None

    def pts_for(self, capture_ns: int) -> int:
        if self.origin_ns is None:
            self.origin_ns = capture_ns
        elapsed_ns = capture_ns - self.origin_ns
        tb = self.time_base
        # round(elapsed_ns / 1e9 / tb) in integers
        pts = (2 * elapsed_ns * tb.denominator + tb.numerator * NS_PER_S) // (2 * tb.numerator * NS_PER_S)
        # Repeated or jittered capture times must not give a repeated pts: encoders and RTP need it increasing.
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1
        self._last_pts = pts
        return pts
