"""One monotonic media clock for every frame and audio block.

Capture timestamps are ``time.monotonic_ns()`` values (``*_ns``).  Anything that must be
compared across machines (the time-code strip, RTCP) uses wall-clock milliseconds,
converted here so the mapping lives in one place.
"""
from __future__ import annotations

import threading
import time

NS_PER_S = 1_000_000_000
NS_PER_MS = 1_000_000


def now_ns() -> int:
    """The media clock: monotonic nanoseconds."""
    return time.monotonic_ns()


def wall_ms() -> int:
    """Wall-clock milliseconds since the Unix epoch."""
    return time.time_ns() // NS_PER_MS


def media_to_wall_ms(media_ns: int) -> int:
    """Map a media-clock timestamp to wall-clock ms (offset sampled now; good to ~1 ms)."""
    return (time.time_ns() - time.monotonic_ns() + media_ns) // NS_PER_MS


class Ticker:
    """Drives a loop at a fixed rate on the media clock without drift.

    ``wait_next()`` sleeps until the next tick (or returns at once if late) and reports
    how many ticks were skipped, so callers count lateness instead of queueing work.
    """

    def __init__(self, interval_ns: int, stop_event: threading.Event) -> None:
        self.interval_ns = int(interval_ns)
        self._stop = stop_event
        self._next_ns = now_ns()
        self.late_ticks = 0

    def reset(self) -> None:
        self._next_ns = now_ns()

    def wait_next(self) -> int:
        """Block until the next tick; return the number of ticks skipped (0 when on time)."""
        self._next_ns += self.interval_ns
        delay_ns = self._next_ns - now_ns()
        skipped = 0
        if delay_ns > 0:
            self._stop.wait(delay_ns / NS_PER_S)
        elif -delay_ns >= self.interval_ns:
            # More than a whole tick late: skip the missed ticks rather than bursting.
            skipped = int(-delay_ns // self.interval_ns)
            self._next_ns += skipped * self.interval_ns
            self.late_ticks += skipped
        return skipped
