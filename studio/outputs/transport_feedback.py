"""Transport-wide congestion control feedback: the wire format and what it says per packet.

draft-holmer-rmcat-transport-wide-cc-extensions-01: every packet of the connection carries
one shared sequence number (:class:`TransportCcTracker` hands them out and remembers when each
packet left and how big it was); the receiver reports, every ~100 ms, when each arrived
(:func:`parse_transport_cc`).  Together they give per-packet results
(:class:`PacketResult`) for the delay-based part of
:class:`~studio.outputs.congestion.BandwidthEstimator`.  Pure data and parsing: the aiortc
side (stamping packets, hearing the feedback) is in
:mod:`studio.outputs.aiortc_adapter.transport_cc`.
"""
from __future__ import annotations

import collections
import struct
import threading
from dataclasses import dataclass

TRANSPORT_CC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
RTCP_RTPFB_TRANSPORT_CC = 15


@dataclass(frozen=True)
class TransportFeedback:
    """One transport-cc feedback message: arrival time (µs, receiver clock) per sequence
    number, None for a packet reported not received."""

    base_sequence: int
    reference_time_us: int
    feedback_count: int
    arrivals: list[tuple[int, int | None]]


def parse_transport_cc(fci: bytes) -> TransportFeedback:
    """Parse the FCI of an RTPFB fmt=15 message (after sender/media SSRC).  ValueError if malformed."""
    if len(fci) < 8:
        raise ValueError("transport-cc feedback too short")
    base, count = struct.unpack_from("!HH", fci, 0)
    reference = int.from_bytes(fci[4:7], "big", signed=True)
    feedback_count = fci[7]
    pos = 8
    symbols: list[int] = []  # 0 not received, 1 small delta, 2 large delta
    while len(symbols) < count:
        if pos + 2 > len(fci):
            raise ValueError("transport-cc feedback truncated (chunks)")
        chunk = struct.unpack_from("!H", fci, pos)[0]
        pos += 2
        if not chunk & 0x8000:  # run length
            symbol, run = (chunk >> 13) & 0x3, chunk & 0x1FFF
            symbols.extend([symbol] * run)
        elif not chunk & 0x4000:  # status vector, 14 one-bit symbols
            symbols.extend((chunk >> (13 - i)) & 0x1 for i in range(14))
        else:  # status vector, 7 two-bit symbols
            symbols.extend((chunk >> (12 - 2 * i)) & 0x3 for i in range(7))
    symbols = symbols[:count]
    arrivals: list[tuple[int, int | None]] = []
    time_us = reference * 64_000
    for index, symbol in enumerate(symbols):
        seq = (base + index) & 0xFFFF
        if symbol == 0:
            arrivals.append((seq, None))
            continue
        if symbol == 1:
            if pos + 1 > len(fci):
                raise ValueError("transport-cc feedback truncated (deltas)")
            delta = fci[pos]
            pos += 1
        elif symbol == 2:
            if pos + 2 > len(fci):
                raise ValueError("transport-cc feedback truncated (deltas)")
            delta = struct.unpack_from("!h", fci, pos)[0]
            pos += 2
        else:
            raise ValueError("transport-cc feedback has a reserved symbol")
        time_us += delta * 250
        arrivals.append((seq, time_us))
    return TransportFeedback(base, reference, feedback_count, arrivals)


@dataclass(frozen=True)
class PacketResult:
    """A packet we sent and what became of it: ``arrival_s`` None = lost."""

    sequence: int
    send_time_s: float
    size_bytes: int
    arrival_s: float | None


class TransportCcTracker:
    """Remembers (bounded) what was sent under each transport-wide sequence number and turns
    feedback into :class:`PacketResult` lists for :meth:`BandwidthEstimator.on_packet_results`."""

    def __init__(self, max_packets: int = 4096) -> None:
        self._sent: collections.OrderedDict[int, tuple[float, int]] = collections.OrderedDict()
        self._resent: set[int] = set()  # kept sequence numbers that went out more than once
        self.max_packets = int(max_packets)
        self._next = 0
        self._lock = threading.Lock()

    def next_sequence(self, size_bytes: int, send_time_s: float) -> int:
        """Allocate the sequence number for a packet about to go out and remember it."""
        with self._lock:
            seq = self._next
            self._next = (seq + 1) & 0xFFFF
            sent = self._sent
            if seq in sent:  # wrapped around onto an entry still kept: it becomes the newest
                del sent[seq]
            self._resent.discard(seq)
            sent[seq] = (send_time_s, int(size_bytes))
            while len(sent) > self.max_packets:
                self._resent.discard(sent.popitem(last=False)[0])
            return seq

    def mark_resent(self, seq: int) -> None:
        """The packet under ``seq`` went out again, byte for byte (a retransmission or a redundant
        copy): feedback about it may be either sending's arrival, so it is left out."""
        with self._lock:
            if seq in self._sent:
                self._resent.add(seq)

    def results(self, feedback: TransportFeedback) -> list[PacketResult]:
        out = []
        with self._lock:
            for seq, arrival_us in feedback.arrivals:
                sent = self._sent.get(seq)
                if sent is None or seq in self._resent:
                    continue
                out.append(PacketResult(seq, sent[0], sent[1], None if arrival_us is None else arrival_us / 1e6))
        return out


__all__ = [
    "PacketResult",
    "RTCP_RTPFB_TRANSPORT_CC",
    "TRANSPORT_CC_URI",
    "TransportCcTracker",
    "TransportFeedback",
    "parse_transport_cc",
]
