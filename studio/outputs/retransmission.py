"""How a sender repairs loss: the bounded history it answers NACKs from, and when the lowest
layer sends every packet twice instead of waiting for a NACK.

Separate from the aiortc adapter because both are plain arithmetic (a bounded map with a resend
rate limit; a rule on RTT and loss); the adapter's ``PacketSender`` asks them.
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
        """Remember ``data`` (serialized bytes, or the packet itself) sent at ``now_s``.

        Called for every packet sent: the oldest entry is looked at once, and only what is
        over a bound is removed."""
        packets = self._packets
        if sequence_number in packets:  # a sequence number seen 65,536 packets ago
            del packets[sequence_number]
        packets[sequence_number] = [data, now_s, None]
        while len(packets) > self.max_packets:
            packets.popitem(last=False)
        self._expire(now_s)

    def _expire(self, now_s: float) -> None:
        packets = self._packets
        max_age_s = self.max_age_s
        while packets:
            sequence_number, entry = next(iter(packets.items()))
            if now_s - entry[1] <= max_age_s:
                break
            del packets[sequence_number]

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


# A NACK repairs a loss one round trip after the receiver noticed it (Janus NACKs once a later
# packet arrived and 12 ms passed: on a 30 fps lowest layer, up to a frame later).  Chromium counts
# a freeze when a frame comes ≥ 150 ms later than usual (3 frame intervals, or the mean + 150 ms),
# so from this round trip on, every repaired loss is a freeze the viewer sees ...
REDUNDANCY_MIN_RTT_S = 0.100
# ... and the lowest layer sends each packet a second time, this much later (apart enough that a
# short burst of loss seldom takes both; late enough copies of a lost packet still come far within
# the freeze threshold) ...
REDUNDANT_COPY_DELAY_S = 0.030
# ... for as long as the link showed loss recently (a NACK for any layer: the lowest layer's own
# losses are hidden by its copies).
REDUNDANCY_HOLD_S = 30.0
# The round trip that counts is the least of the last few seconds' reports: a long link is long in
# every report, a congested short one only while its queue is full (and copies would add to it).
REDUNDANCY_RTT_WINDOW_S = 5.0


class RedundantCopies:
    """When the lowest layer sends each packet twice (a copy ``delay_s`` after the original).

    NACK-based repair costs a round trip; at the round trips of a cross-border audience
    (150-300 ms) each repaired loss on the lowest layer freezes the picture.  A second copy of
    every packet, on the same SSRC and sequence number, repairs a loss without one: the SFU's
    SRTP replay check drops the copy of a packet it already has, and forwards it when the
    original was lost.  It doubles only the lowest layer (the one every viewer can fall back
    to) and only while the round trip is long (``min_rtt_s``: the least over ``rtt_window_s``,
    so a queue filling up on a congested short link does not count) and the link lost packets in
    the last ``hold_s`` (:meth:`note_loss`, from any layer's NACKs).  FEC (ULPFEC/FlexFEC/RED) would
    cost less than a copy, but an SFU must negotiate and forward it, which the VideoRoom in the
    test bed (Janus 1.1) does not do for video.  One asyncio loop uses it.
    """

    def __init__(
        self,
        min_rtt_s: float = REDUNDANCY_MIN_RTT_S,
        delay_s: float = REDUNDANT_COPY_DELAY_S,
        hold_s: float = REDUNDANCY_HOLD_S,
        rtt_window_s: float = REDUNDANCY_RTT_WINDOW_S,
    ) -> None:
        self.min_rtt_s = float(min_rtt_s)
        self.delay_s = float(delay_s)
        self.hold_s = float(hold_s)
        self.rtt_window_s = float(rtt_window_s)
        self._last_loss_s: float | None = None
        self._rtts: collections.deque[tuple[float, float]] = collections.deque(maxlen=256)  # (now_s, rtt_s)
        self.copies = 0
        self.copy_bytes = 0

    def note_rtt(self, rtt_s: float | None, now_s: float) -> None:
        """The round trip a receiver report of any layer measured at ``now_s`` (None: not known yet)."""
        if rtt_s is not None:
            self._rtts.append((now_s, float(rtt_s)))

    def base_rtt_s(self, now_s: float) -> float | None:
        """The least round trip reported in the last ``rtt_window_s`` (None: none reported)."""
        while self._rtts and now_s - self._rtts[0][0] > self.rtt_window_s:
            self._rtts.popleft()
        return min((rtt for _t, rtt in self._rtts), default=None)

    def note_loss(self, now_s: float) -> None:
        """The link lost a packet (a NACK arrived) at ``now_s``."""
        self._last_loss_s = now_s

    def is_on(self, now_s: float) -> bool:
        """Whether packets sent now get a copy: a long round trip on a link that lost lately."""
        if self._last_loss_s is None or now_s - self._last_loss_s > self.hold_s:
            return False
        base_rtt_s = self.base_rtt_s(now_s)
        return base_rtt_s is not None and base_rtt_s >= self.min_rtt_s

    def count(self, size_bytes: int) -> None:
        self.copies += 1
        self.copy_bytes += int(size_bytes)


__all__ = [
    "REDUNDANCY_HOLD_S",
    "REDUNDANCY_RTT_WINDOW_S",
    "REDUNDANCY_MIN_RTT_S",
    "REDUNDANT_COPY_DELAY_S",
    "RETRANSMIT_HISTORY_AGE_S",
    "RETRANSMIT_HISTORY_PACKETS",
    "RETRANSMIT_MIN_INTERVAL_S",
    "RedundantCopies",
    "RetransmissionHistory",
]
