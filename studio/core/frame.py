"""Video frames and the bounded, latest-wins hand-off between threads."""
from __future__ import annotations

import threading
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
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._is_unread = False
        self._closed = False
        self.put_count = 0
        self.dropped = 0

    def put(self, item: T) -> None:
        with self._cond:
            if self._is_unread:
                self.dropped += 1
            self._item = item
            self._is_unread = True
            self.put_count += 1
            self._cond.notify_all()

    def latest(self) -> T | None:
        """The newest item (read or not); marks it read."""
        with self._cond:
            self._is_unread = False
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
            self._is_unread = False
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
