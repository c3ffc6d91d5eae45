"""Helpers shared by the whole test suite (pytest fixtures live in conftest.py files instead)."""
from __future__ import annotations

import time
from typing import Callable


def wait_until(predicate: Callable[[], object], timeout_s: float = 5.0, interval_s: float = 0.02) -> bool:
    """Poll ``predicate`` until it is truthy or ``timeout_s`` has passed; say whether it became so.

    The predicate is asked once more at the deadline, so a condition met during the last sleep
    still counts.  Use it as ``assert wait_until(lambda: ..., 10), context``: the test fails with
    its own message instead of a timeout raised from here.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return bool(predicate())
