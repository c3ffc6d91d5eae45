"""Video frames and the bounded, latest-wins hand-off between threads."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One picture on the media clock.

    ``image`` is H×W×3 uint8 BGR (OpenCV order), C-contiguous, straight (not premultiplied)
    colour when ``alpha`` is set.  Frames are shared between
    threads without copying, so nobody writes into ``image`` after publishing it.
    """

    image: np.ndarray
    capture_ns: int
    sequence: int = 0
    alpha: np.ndarray | None = None  # H×W uint8 coverage for pictures with transparency; None = opaque

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


class LatestSlot(Generic[T]):
    """A one-item mailbox: the newest item wins and every overwritten unread item is counted.

    Producers never block; consumers either peek (``latest``) or wait for something new
    (``take``).  This is the only way frames cross threads, so no queue can grow.

    With ``reader_paced`` (a source read by the compositor once a tick), an item overwritten
    before the reader's next regular read is not a drop but the frame-rate conversion a faster
    producer implies (a 60 fps camera in a 30 fps program, 30 fps into 25): it is counted as
    ``skipped``.  Only an item left unread for longer than the reader's usual interval (× 1.5)
    counts as ``dropped`` — a frame the program had its turn for and missed.  Slots whose reader
    must take every item (encoders) keep counting every overwrite.
    """

    def __init__(self, *, reader_paced: bool = False) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._is_unread = False
        self._closed = False
        self._reader_paced = reader_paced
        self._unread_since_ns = 0
        self._last_read_ns: int | None = None
        self._read_interval_ns: float | None = None  # running mean of the reader's intervals
        self.put_count = 0
        self.dropped = 0
        self.skipped = 0

    def put(self, item: T) -> None:
        with self._cond:
            now = time.monotonic_ns()
            if self._is_unread:
                interval = self._read_interval_ns
                if self._reader_paced and interval is not None and now - self._unread_since_ns < 1.5 * interval:
                    self.skipped += 1
                else:
                    self.dropped += 1
            if not self._is_unread:
                self._unread_since_ns = now
            self._item = item
            self._is_unread = True
            self.put_count += 1
            self._cond.notify_all()

    def _mark_read(self) -> None:
        self._is_unread = False
        if self._reader_paced:
            now = time.monotonic_ns()
            if self._last_read_ns is not None and now - self._last_read_ns < 1_000_000_000:  # not back from sleep
                gap = now - self._last_read_ns
                previous = self._read_interval_ns
                self._read_interval_ns = gap if previous is None else 0.9 * previous + 0.1 * gap
            self._last_read_ns = now

    def latest(self) -> T | None:
        """The newest item (read or not); marks it read."""
        with self._cond:
            self._mark_read()
            return self._item

    def peek(self) -> T | None:
        """The newest item without marking it read: a second reader (the vertical compositor)
        sees the picture while the drop count keeps meaning what the first reader missed."""
        with self._cond:
            return self._item

    def take(self, timeout: float | None = None) -> T | None:
        """Wait for an item not yet read; ``None`` on timeout or once closed."""
        with self._cond:
            if not self._is_unread and not self._closed:
                self._cond.wait_for(lambda: self._is_unread or self._closed, timeout)
            if not self._is_unread:
                return None
            self._mark_read()
            return self._item

    def clear(self) -> None:
        with self._cond:
            self._item = None
            self._is_unread = False

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def is_closed(self) -> bool:
        return self._closed
