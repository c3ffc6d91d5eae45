"""The test subscriber's browser-like jitter buffer (bench/testbed/recovering_jitter.py)."""
from __future__ import annotations

from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket

from bench.testbed.recovering_jitter import RecoveringJitterBuffer, nal_types

SPS_PPS = b"\x00\x00\x00\x01\x67\x42\x00\x1f\x00\x00\x00\x01\x68\xce"
IDR = b"\x00\x00\x00\x01\x65" + b"\x11" * 40
DELTA = b"\x00\x00\x00\x01\x41" + b"\x22" * 40


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def packet(seq: int, frame: int, data: bytes, marker: bool = True) -> RtpPacket:
    p = RtpPacket(payload_type=102, sequence_number=seq, timestamp=3000 * frame, marker=int(marker))
    p._data = data
    return p


def stream(frames: int, keyframe_every: int, first_seq: int = 1000) -> list[RtpPacket]:
    """One packet per delta frame; a keyframe is two packets (SPS/PPS, then the IDR)."""
    out, seq = [], first_seq
    for frame in range(frames):
        if frame % keyframe_every == 0:
            out.append(packet(seq, frame, SPS_PPS, marker=False))
            out.append(packet(seq + 1, frame, IDR))
            seq += 2
        else:
            out.append(packet(seq, frame, DELTA))
            seq += 1
    return out


def feed(buffer, packets, clock=None, step_s=0.033):
    released, plis = [], 0
    for p in packets:
        if clock is not None:
            clock.now += step_s
        pli, frame = buffer.add(p)
        plis += pli
        if frame is not None:
            released.append(frame.timestamp // 3000)
    return released, plis


def test_nal_types_reads_every_start_code():
    assert nal_types(SPS_PPS + IDR) == {7, 8, 5}
    assert nal_types(DELTA) == {1}
    assert nal_types(b"\x22" * 10) == set()


def test_without_loss_it_releases_what_aiortc_releases():
    packets = stream(40, keyframe_every=10)
    ours, _ = feed(RecoveringJitterBuffer(clock=FakeClock()), packets)
    stock, _ = feed(JitterBuffer(512, is_video=True), packets)
    assert ours == stock == list(range(39))


def test_an_unrepaired_loss_asks_for_a_keyframe_then_decodes_from_it():
    clock = FakeClock()
    packets = stream(40, keyframe_every=20)
    lost = next(p for p in packets if p.timestamp == 3000 * 5)  # a delta frame, never repaired
    packets.remove(lost)
    buffer = RecoveringJitterBuffer(clock=clock)
    released, plis = feed(buffer, packets, clock)
    # Frames 0-3, nothing until the keyframe at 20 (6-19 depend on the lost 5), then 20 on.
    # (Frame 4 is released only when frame 5 starts — aiortc's completeness rule — and it
    # never does; aiortc also releases at most one frame per packet, so with one-packet
    # frames the frames after the skip trail by one.)
    assert released[:4] == list(range(4))
    assert released[4:] == list(range(20, 20 + len(released) - 4)) and released[-1] >= 36
    assert plis >= 1 and buffer.plis == plis  # a PLI once the gap stayed 200 ms
    assert buffer.skips == 1
    # aiortc's own buffer releases nothing more (it waits for 512 packets).
    stock, _ = feed(JitterBuffer(512, is_video=True), packets)
    assert stock == list(range(4))


def test_a_repaired_loss_is_waited_for_not_skipped():
    clock = FakeClock()
    packets = stream(30, keyframe_every=10)
    late = next(p for p in packets if p.timestamp == 3000 * 12)
    packets.remove(late)
    packets.insert(packets.index(next(p for p in packets if p.timestamp == 3000 * 15)), late)  # NACK answered
    buffer = RecoveringJitterBuffer(clock=clock)
    released, plis = feed(buffer, packets, clock, step_s=0.02)
    # Everything, in order (the last trails by one: one frame per packet after the wait).
    assert released == list(range(len(released))) and len(released) >= 27
    assert plis == 0 and buffer.skips == 0
