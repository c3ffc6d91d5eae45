"""Pacing: when the packets of an encoded frame may leave, per layer and for the whole link.

A keyframe handed to the network in one burst overflows the small queues of home routers
and mobile links; spreading it at a few times the layer's bitrate does not.  And while the
network limits the connection, all layers together must stay within the estimate, the
lowest layer first (:class:`LinkBudget`).  Plain arithmetic on an asyncio clock, no aiortc:
the adapter's :class:`~studio.outputs.aiortc_adapter.send.PacketSender` asks these before
each packet.
"""
from __future__ import annotations

import asyncio

# Pacing: packets of one frame leave at most this many times the layer's bitrate ...
PACING_FACTOR = 2.5
# ... but never slower than this (small layers would otherwise stretch a keyframe over
# a whole frame interval), and a burst of up to PACING_BURST_S of data may go at once.
PACING_MIN_BPS = 600_000
PACING_BURST_S = 0.004
# Per-packet bytes on the wire beyond the RTP payload (RTP + extensions + SRTP tag + UDP/IPv4).
RTP_OVERHEAD_BYTES = 12 + 16 + 10 + 8 + 20


class Pacer:
    """A leaky bucket: packets leave at ``rate_bps`` on average; up to ``burst_s`` worth
    (at least two full packets) may go back to back after a pause.  ``rate_bps`` None = no
    pacing.  Used on one asyncio loop; ``set_rate`` may be called from any thread."""

    def __init__(self, rate_bps: float | None, *, burst_s: float = PACING_BURST_S, min_burst_bytes: int = 2 * 1400) -> None:
        self.rate_bps = float(rate_bps) if rate_bps else None
        self.burst_s = float(burst_s)
        self.min_burst_bytes = int(min_burst_bytes)
        self._next_s = 0.0
        self.waits = 0
        self.waited_s = 0.0

    def set_rate(self, rate_bps: float | None) -> None:
        self.rate_bps = float(rate_bps) if rate_bps else None

    def reserve(self, size_bytes: int, now_s: float) -> float:
        """Book ``size_bytes`` of sending; return how long to wait before sending them."""
        rate = self.rate_bps
        if not rate:
            return 0.0
        burst_s = max(self.burst_s, self.min_burst_bytes * 8.0 / rate)
        start = max(self._next_s, now_s - burst_s)
        self._next_s = start + size_bytes * 8.0 / rate
        return max(0.0, start - now_s)

    def reserve_wait(self, size_bytes: int, now_s: float) -> float:
        """Book ``size_bytes`` and return how long to sleep before sending them: 0 below a
        millisecond (the loop cannot sleep that precisely anyway: send now); a wait is counted.
        The sender's per-packet path calls this and sleeps only when it must (no coroutine)."""
        delay = self.reserve(size_bytes, now_s)
        if delay < 0.001:
            return 0.0
        self.waits += 1
        self.waited_s += delay
        return delay

    async def wait(self, size_bytes: int) -> None:
        delay = self.reserve_wait(size_bytes, asyncio.get_running_loop().time())
        if delay:
            await asyncio.sleep(delay)


def pacing_rate_bps(bitrate_bps: int | None) -> int | None:
    """The pacing rate for a layer sending ``bitrate_bps``."""
    if not bitrate_bps:
        return None
    return int(max(PACING_MIN_BPS, PACING_FACTOR * bitrate_bps))


class LinkBudget:
    """The whole connection's send budget while the network limits it, shared by every layer.

    Per-layer pacers spread each frame but together can still exceed the bottleneck for the
    seconds the encoders need to meet lower targets (or until the top layer is paused); the
    bottleneck's queue then drops packets of every layer alike, and a lowest-layer packet lost
    twice (its retransmission too) freezes that layer's viewers until a keyframe.  The budget
    makes the publisher, not the network, decide what waits: the lowest layer (and every
    retransmission) books its bytes without waiting, the layers above wait while the booked
    backlog exceeds their allowance (middle a little, top none), so the top layer starves
    first, then the middle, and the queue in the network stays short.

    ``rate_bps`` None = unlimited (the usual case: set only while the estimate is below what
    the layers want).  One asyncio loop; ``set_rate`` may be called from any thread."""

    def __init__(self, rate_bps: float | None = None, *, burst_s: float = 0.010) -> None:
        self.rate_bps = float(rate_bps) if rate_bps else None
        self.burst_s = float(burst_s)
        self._next_s = 0.0
        self.waits = 0
        self.waited_s = 0.0

    def set_rate(self, rate_bps: float | None) -> None:
        self.rate_bps = float(rate_bps) if rate_bps else None

    def book(self, size_bytes: int, now_s: float) -> None:
        """Count ``size_bytes`` sent now (pushes the layers that wait back)."""
        rate = self.rate_bps
        if not rate:
            return
        start = max(self._next_s, now_s - self.burst_s)
        self._next_s = start + size_bytes * 8.0 / rate

    def backlog_s(self, now_s: float) -> float:
        """Seconds of booked sending not yet drained at ``rate_bps`` (0 when unlimited)."""
        if not self.rate_bps:
            return 0.0
        return max(0.0, self._next_s - now_s)

    async def wait(self, size_bytes: int, allowed_backlog_s: float) -> None:
        """Wait until the backlog is within ``allowed_backlog_s``, then book ``size_bytes``."""
        loop = asyncio.get_running_loop()
        while True:
            excess = self.backlog_s(loop.time()) - allowed_backlog_s
            if excess < 0.001:
                break
            self.waits += 1
            self.waited_s += excess
            await asyncio.sleep(excess)  # others (the lowest layer) may book meanwhile: re-check
        self.book(size_bytes, loop.time())


# How much booked backlog a layer may add to, by its place from the bottom of the ladder
# (index 0 = lowest: never waits).  Top layers get none: they starve first.
LINK_BACKLOG_ALLOWANCE_S: tuple[float | None, ...] = (None, 0.060, 0.0)


__all__ = [
    "LINK_BACKLOG_ALLOWANCE_S",
    "LinkBudget",
    "PACING_BURST_S",
    "PACING_FACTOR",
    "PACING_MIN_BPS",
    "Pacer",
    "RTP_OVERHEAD_BYTES",
    "pacing_rate_bps",
]
