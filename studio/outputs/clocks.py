"""Media clocks for RTP: capture time to RTP timestamps and to sender-report wall time.

Lives outside the aiortc adapter because it needs nothing of aiortc: aiortc stamps packets
from the time they *left*; the studio stamps them from when the picture or sound was
*captured* (``studio.core.clock.now_ns``), so audio and video sender reports agree on one
wall clock and a browser can line them up.  :class:`~studio.outputs.aiortc_adapter.send.PacketSender`
uses both classes.
"""
from __future__ import annotations

import os
import time

VIDEO_CLOCK_RATE = 90_000
AUDIO_CLOCK_RATE = 48_000
NS_PER_S = 1_000_000_000
# Seconds between the NTP epoch (1900) and the Unix epoch (1970).
NTP_UNIX_OFFSET_S = 2_208_988_800


def _random32() -> int:
    # As aiortc.utils.random32: the RTP timestamp origin is random (RFC 3550 section 5.1).
    return int.from_bytes(os.urandom(4), "big")


class WallClock:
    """One mapping from the media clock (``time.monotonic_ns``) to wall-clock time.

    Every stream of a session shares one instance, so audio and video sender reports agree
    on what "now" was when a picture or a sound was captured (browsers delay video by the
    disagreement; TESTBED measured 240–300 ms when they disagree).  ``offset_ns`` shifts
    every report by the same amount (e.g. to state times as "left the studio").
    """

    def __init__(self, unix_minus_media_ns: int | None = None, *, offset_ns: int = 0) -> None:
        self.unix_minus_media_ns = unix_minus_media_ns if unix_minus_media_ns is not None else self.sample_offset_ns()
        self.offset_ns = int(offset_ns)

    @staticmethod
    def sample_offset_ns(samples: int = 5) -> int:
        """``time.time_ns() - time.monotonic_ns()``, from the tightest of a few readings."""
        best: tuple[int, int] | None = None
        for _ in range(samples):
            before = time.monotonic_ns()
            wall = time.time_ns()
            after = time.monotonic_ns()
            if best is None or after - before < best[0]:
                best = (after - before, wall - (before + after) // 2)
        assert best is not None
        return best[1]

    def unix_ns(self, media_ns: int) -> int:
        return media_ns + self.unix_minus_media_ns + self.offset_ns

    def ntp(self, media_ns: int) -> int:
        """64-bit NTP timestamp (RFC 3550 §4) of the media-clock time ``media_ns``."""
        unix_ns = self.unix_ns(media_ns)
        seconds, rest_ns = divmod(unix_ns, NS_PER_S)
        fraction = (rest_ns << 32) // NS_PER_S
        return (((seconds + NTP_UNIX_OFFSET_S) & 0xFFFFFFFF) << 32) | fraction


class RtpClock:
    """RTP timestamps from capture times: ``origin + capture_ns × rate`` (mod 2³²).

    Layers of one video share an instance, so one picture carries one timestamp in every
    layer (SFUs may align layers by it); the origin is random as RFC 3550 asks.
    """

    def __init__(self, clock_rate: int, origin: int | None = None) -> None:
        self.clock_rate = int(clock_rate)
        self.origin = _random32() if origin is None else int(origin) & 0xFFFFFFFF

    def timestamp(self, capture_ns: int) -> int:
        ticks = (capture_ns * self.clock_rate + NS_PER_S // 2) // NS_PER_S
        return (self.origin + ticks) & 0xFFFFFFFF



__all__ = ["AUDIO_CLOCK_RATE", "NS_PER_S", "NTP_UNIX_OFFSET_S", "RtpClock", "VIDEO_CLOCK_RATE", "WallClock"]
