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


def colour_png(path, bgr, size=(320, 180)) -> str:
    """A one-colour PNG (``bgr``, OpenCV order) of ``size``; its path as text."""
    from PIL import Image

    Image.new("RGB", size, (bgr[2], bgr[1], bgr[0])).save(path)
    return str(path)


def near(image, bgr, at, tolerance: int = 8) -> bool:
    """Whether the pixel ``at`` of ``image`` is ``bgr`` within ``tolerance`` (False with no image)."""
    import numpy as np

    return image is not None and bool(np.abs(image[at].astype(int) - bgr).max() <= tolerance)
