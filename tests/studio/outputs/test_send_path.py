"""The per-packet path's short cuts keep aiortc's results: H.264 payloads as ``pack()`` makes them,
the retransmission history and the transport-wide numbers bounded and ordered as before, and the
``--sender-path`` bench mode measuring what it says."""
from __future__ import annotations

import asyncio
import random
from fractions import Fraction

import av
from aiortc.codecs.h264 import H264Encoder

from bench.sender_path import run as run_sender_path
from studio.outputs.aiortc_adapter.send import PacketSender
from studio.outputs.aiortc_adapter.tracks import EncodedVideoTrack
from studio.outputs.clocks import RtpClock, WallClock
from studio.outputs.packets import PacketItem
from studio.outputs.retransmission import RetransmissionHistory
from studio.outputs.transport_feedback import TransportCcTracker


def _access_unit(rng: random.Random, sizes: list[int], four_byte: bool = True) -> bytes:
    start = b"\x00\x00\x00\x01" if four_byte else b"\x00\x00\x01"
    units = []
    for index, size in enumerate(sizes):
        body = bytes(rng.randrange(1, 256) for _ in range(size))  # no zero bytes: no false start codes
        units.append(start + bytes([0x67 if index == 0 else 0x65]) + body)
    return b"".join(units)


def test_h264_payloads_are_aiortcs():
    rng = random.Random(7)
    cases = [[2600], [20, 4, 30_000], [1299], [1300], [1301], [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5], [800, 700, 600]]

    async def scenario():
        class Transport:  # what an RTCRtpSender looks at when it is made
            state = "new"

        sender = PacketSender(EncodedVideoTrack(rid="h"), Transport(), rid="h", rtp_clock=RtpClock(90_000),
                              wall_clock=WallClock())
        packer = H264Encoder()
        for sizes in cases:
            for four_byte in (True, False):
                packet = av.Packet(_access_unit(rng, sizes, four_byte))
                packet.pts, packet.time_base = 3, Fraction(1, 90_000)
                expected, _timestamp = H264Encoder().pack(packet)
                ours = sender._packetize(None, packer, PacketItem(packet=packet, capture_ns=0))
                assert ours == expected, sizes
        return sender

    sender = asyncio.run(scenario())
    assert sender.counters.malformed == 0


def test_history_keeps_a_reused_sequence_number_as_the_newest():
    history = RetransmissionHistory(max_packets=3, max_age_s=1.0)
    history.add(1, b"a", 10.0)
    history.add(2, b"b", 10.0)
    history.add(1, b"c", 10.5)  # the number came round again: the old entry is replaced ...
    history.add(3, b"d", 10.6)
    history.add(4, b"e", 10.7)  # ... and the count bound drops 2, the oldest, not 1
    assert len(history) == 3
    assert history.take(2, 10.8) is None and history.take(1, 10.8) == b"c"
    assert history.take(3, 11.65) is None and history.take(4, 11.65) == b"e"  # 3 (sent 10.6) aged out


def test_transport_numbers_wrap_and_the_newest_are_kept():
    tracker = TransportCcTracker(max_packets=4)
    numbers = [tracker.next_sequence(100, float(i)) for i in range(65_538)]
    assert numbers[:2] == [0, 1] and numbers[-3:] == [65_535, 0, 1]
    from studio.outputs.transport_feedback import TransportFeedback

    results = tracker.results(TransportFeedback(0, 0, 0, [(65_533, 1), (65_534, 1), (65_535, 1), (0, 1), (1, 1)]))
    assert [(r.sequence, r.send_time_s) for r in results] == [(65_534, 65_534.0), (65_535, 65_535.0),
                                                            (0, 65_536.0), (1, 65_537.0)]


def test_sender_path_bench_counts_every_packet_it_sends():
    result = run_sender_path(120, repeat=1, profile=True, top=5)
    # Frames of 2,600 / 1,900 / 1,150 bytes, keyframes (x10, at 0 and 60) after SPS + PPS: a slice
    # goes in FU-A fragments of at most 1,298 bytes (one packet when it fits), SPS + PPS in one STAP-A.
    def packets(index: int) -> int:
        size = (2_600, 1_900, 1_150)[index % 3] * (10 if index % 60 == 0 else 1)
        slices = 1 if size + 1 <= 1_300 else -(-size // 1_298)
        return slices + (1 if index % 60 == 0 else 0)

    assert result["frames"] == 120 and result["packets"] == sum(packets(i) for i in range(120))
    assert result["cpu_us_per_packet"] > 0 and result["srtp_protect_us_per_packet"] > 0
    assert len(result["profile_top"]) == 5
