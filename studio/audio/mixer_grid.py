"""Where the mixer's block being read now sits on the media clock, seen from inside an input.

The mixer stamps its block ``k`` ``capture_ns = start + k * block`` and mixes it no earlier
than one block after that (its ticker never wakes early).  An input does not see the stamp;
it recovers the grid as the smallest ``read time - samples read so far`` over the last
``window_reads`` reads (good to the ticker's wake-up latency, ~0.1 ms).  The sliding window
follows blocks the mixer skipped.  The same reasoning as ``ClickInput``'s, for any input
whose sound is due at media-clock times (a media file's track).
"""
from __future__ import annotations

import collections
from typing import Callable

from studio.core.clock import NS_PER_S, now_ns


class MixerGrid:
    """Recover the mixer's block stamps from the times an input is read."""

    def __init__(self, sample_rate: int, window_reads: int = 50, media_ns: Callable[[], int] | None = None) -> None:
        self.sample_rate = int(sample_rate)
        self._media_ns = media_ns or now_ns
        self._samples_read = 0
        self._candidates: collections.deque[int] = collections.deque(maxlen=window_reads)

    def reset(self) -> None:
        self._samples_read = 0
        self._candidates.clear()

    def block_start_ns(self, frames: int) -> int:
        """Media-clock time of the first sample of the block read now; call once per block."""
        read_ns = self._media_ns()
        end_samples = self._samples_read + frames
        self._candidates.append(read_ns - end_samples * NS_PER_S // self.sample_rate)
        start_ns = min(self._candidates) + self._samples_read * NS_PER_S // self.sample_rate
        self._samples_read = end_samples
        return start_ns
