"""The bounded history a sender answers NACKs from.

Separate from the aiortc adapter because it is a plain bounded map (count and age) with a
resend rate limit; the adapter's ``PacketSender._retransmit`` looks packets up here.
"""
from __future__ import annotations

import collections
from typing import Any

# NACK answers: packets kept per sender (by count and age); one sequence number is resent at
# most once per RETRANSMIT_MIN_INTERVAL_S (receivers repeat NACKs until the packet arrives).
RETRANSMIT_HISTORY_PACKETS = 1024
RETRANSMIT_HISTORY_AGE_S = 1.5
RETRANSMIT_MIN_INTERVAL_S = 0.05


class RetransmissionHistory:
    """The packets one sender sent recently, serialized, for answering NACKs.

    Bounded by count (``max_packets``) and age (``max_age_s``); a sequence number is resent at
    most once per ``min_interval_s``.  One asyncio loop uses it (no lock needed).
    aiortc keeps 128 packets by ``seq % 128`` — about 60 ms of a 1080p keyframe, shorter than a
    round trip on a slow link — hence this.
    """

    def __init__(
        self,
        max_packets: int = RETRANSMIT_HISTORY_PACKETS,
        max_age_s: float = RETRANSMIT_HISTORY_AGE_S,
        min_interval_s: float = RETRANSMIT_MIN_INTERVAL_S,
    ) -> None:
        self.max_packets = int(max_packets)
        self.max_age_s = float(max_age_s)
        self.min_interval_s = float(min_interval_s)
        self._packets: collections.OrderedDict[int, list[Any]] = collections.OrderedDict()  # seq -> [data, sent_s, resent_s]

    def __len__(self) -> int:
        return len(self._packets)

    def add(self, sequence_number: int, data: Any, now_s: float) -> None:
        """Remember ``data`` (serialized bytes, or the packet itself) sent at ``now_s``."""
        self._packets.pop(sequence_number, None)
        self._packets[sequence_number] = [data, now_s, None]
        while len(self._packets) > self.max_packets:
            self._packets.popitem(last=False)
        self._expire(now_s)

    def _expire(self, now_s: float) -> None:
        while self._packets:
            first = next(iter(self._packets.values()))
            if now_s - first[1] <= self.max_age_s:
                break
            self._packets.popitem(last=False)

    def take(self, sequence_number: int, now_s: float) -> Any:
        """The packet to resend for a NACK of ``sequence_number``, or None (unknown, too old,
        or resent moments ago)."""
        self._expire(now_s)
        entry = self._packets.get(sequence_number)
        if entry is None:
            return None
        if entry[2] is not None and now_s - entry[2] < self.min_interval_s:
            return None
        entry[2] = now_s
        return entry[0]


__all__ = ["RETRANSMIT_HISTORY_AGE_S", "RETRANSMIT_HISTORY_PACKETS", "RETRANSMIT_MIN_INTERVAL_S", "RetransmissionHistory"]
