"""Round trips from RTCP report blocks, against every sender report sent lately (RFC 3550 §6.4.1).

A report block carries LSR (the middle 32 bits of the NTP time in the last sender report the
receiver got from us) and DLSR (how long it held that report, in 1/65536 s).  The round trip is
the time since we sent that report minus DLSR.  aiortc keeps only the *last* report it sent and
smooths the result (×0.85 per sample): when the round trip is longer than the gap between two
of our reports (0.5–1.5 s apart), about half of the receiver's blocks name an earlier report and
are ignored, and the smoothing starts from the round trip before the link changed — measured on
the cross-border scenario (220 ms one way): aiortc's figure climbed 7 → 42 → 96 → 154 → 215 ms
over twenty seconds.  :class:`RoundTrip` remembers the send time of the last few reports and
gives the raw round trip of every block that names one of them.

Pure logic, no aiortc; one asyncio loop uses each instance.
"""
from __future__ import annotations

import collections

SENT_REPORTS_KEPT = 16  # a report every 0.5-1.5 s: covers round trips of several seconds
DLSR_UNITS_PER_S = 65536.0


def compact_ntp(ntp_timestamp: int) -> int:
    """The middle 32 bits of a 64-bit NTP timestamp (what LSR carries)."""
    return (int(ntp_timestamp) >> 16) & 0xFFFFFFFF


class RoundTrip:
    """Send times of our recent sender reports, and the round trip a report block gives."""

    def __init__(self, kept: int = SENT_REPORTS_KEPT) -> None:
        self._sent: collections.OrderedDict[int, float] = collections.OrderedDict()  # LSR -> local s
        self._kept = int(kept)
        self.last_rtt_s: float | None = None

    def note_sender_report(self, ntp_timestamp: int, now_s: float) -> None:
        """We sent a sender report with ``ntp_timestamp`` at ``now_s`` (monotonic seconds)."""
        lsr = compact_ntp(ntp_timestamp)
        if lsr == 0:
            return  # nothing sent yet: a block naming LSR 0 means "no report received"
        self._sent[lsr] = now_s
        self._sent.move_to_end(lsr)
        while len(self._sent) > self._kept:
            self._sent.popitem(last=False)

    def on_report_block(self, lsr: int, dlsr: int, now_s: float) -> float | None:
        """The round trip (s) a report block received at ``now_s`` gives, or None when it names
        no report of ours we remember (or none at all)."""
        sent_at = self._sent.get(int(lsr)) if lsr else None
        if sent_at is None:
            return None
        rtt = now_s - sent_at - int(dlsr) / DLSR_UNITS_PER_S
        if rtt < 0:
            rtt = 0.0  # the receiver's DLSR rounds; a loopback path can come out a hair below 0
        self.last_rtt_s = rtt
        return rtt


__all__ = ["RoundTrip", "SENT_REPORTS_KEPT", "compact_ntp"]
