"""This process's CPU use for the stream-health stats, in % of one core.

Several readers (the health dock, the stats file, the control API) ask for stats at their
own pace; a meter that measured "since the last call" would give each a different, jumpy
figure.  ``ProcessCpu.percent()`` measures over windows of at least ``window_s`` and returns
the last complete window's figure to everyone (None until the first window has passed).
"""
from __future__ import annotations

import os
import threading
import time

DEFAULT_WINDOW_S = 1.0


def process_cpu_s() -> float:
    """CPU seconds (user + system) this process has used, all threads."""
    times = os.times()
    return times.user + times.system


class ProcessCpu:
    """Thread-safe, shared CPU meter (see the module docstring)."""

    def __init__(self, window_s: float = DEFAULT_WINDOW_S) -> None:
        self.window_s = float(window_s)
        self._lock = threading.Lock()
        self._wall0 = time.monotonic()
        self._cpu0 = process_cpu_s()
        self._percent: float | None = None

    def percent(self) -> float | None:
        """% of one core over the last complete window (may exceed 100 on several cores)."""
        with self._lock:
            now = time.monotonic()
            elapsed = now - self._wall0
            if elapsed >= self.window_s:
                cpu = process_cpu_s()
                self._percent = round(100.0 * (cpu - self._cpu0) / elapsed, 1)
                self._wall0, self._cpu0 = now, cpu
            return self._percent
