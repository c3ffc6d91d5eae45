"""The lowest layer's redundant copies (issue #15, cross-border links): each packet sent a second
time, on the same SSRC and sequence number, while the round trip is long and the link lost packets
lately — so a loss is repaired without waiting a round trip for a NACK.

The rule (:class:`RedundantCopies`) on a fake clock; the sender against a recording transport
(no network); which layer sends them in :class:`SimulcastVideo`.  What it pays on a real link with
Chromium watching is a benchmark figure (``bridgecast bench network --browser``, BENCHMARKS.md).
"""
from __future__ import annotations

import asyncio
import time

from aiortc import RTCPeerConnection
from aiortc import rtp as aiortc_rtp
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters

from studio.outputs.aiortc_adapter import send
from studio.outputs.aiortc_adapter.codecs import install_codecs
from studio.outputs.aiortc_adapter.send import PacketSender
from studio.outputs.aiortc_adapter.simulcast import SimulcastVideo
from studio.outputs.aiortc_adapter.tracks import EncodedVideoTrack
from studio.outputs.clocks import RtpClock, WallClock
from studio.outputs.retransmission import REDUNDANCY_MIN_RTT_S, RedundantCopies
from tests.studio.outputs.test_aiortc_adapter_send import RecordingTransport, item, run, send_parameters


def test_copies_need_a_long_round_trip_and_recent_loss():
    policy = RedundantCopies(min_rtt_s=0.1, delay_s=0.03, hold_s=30.0, rtt_window_s=5.0)
    assert not policy.is_on(100.0)  # nothing known yet
    policy.note_rtt(0.22, 100.0)
    assert not policy.is_on(100.0)  # a long round trip, but no loss seen
    policy.note_loss(100.0)
    assert policy.is_on(100.0)
    policy.note_rtt(0.23, 129.0)
    assert policy.is_on(130.0)
    assert not policy.is_on(130.5)  # no loss for longer than the hold
    policy.note_loss(131.0)
    policy.note_rtt(None, 131.0)  # a report without a round trip changes nothing
    assert policy.is_on(131.0)
    policy.note_rtt(0.04, 132.0)  # a short round trip: a NACK repairs in time, no copies
    assert not policy.is_on(132.0)
    assert REDUNDANCY_MIN_RTT_S <= 0.15  # a 150 ms round trip (the audience) gets them


def test_a_queue_filling_up_on_a_short_link_does_not_turn_copies_on():
    policy = RedundantCopies(min_rtt_s=0.1, rtt_window_s=5.0)
    policy.note_loss(10.0)
    policy.note_rtt(0.045, 10.0)  # 40 ms link
    for t in (11.0, 12.0, 13.0, 14.0):
        policy.note_rtt(0.250, t)  # its bottleneck queue fills: congestion, not distance
        assert not policy.is_on(t), t
    policy.note_loss(15.5)
    policy.note_rtt(0.250, 15.5)
    assert policy.is_on(15.5)  # full for longer than the window: long for all we can tell
    assert policy.base_rtt_s(15.5) == 0.250


def _h264():
    install_codecs()
    return next(c for c in send.aiortc_codecs.CODECS["video"] if c.parameters.get("profile-level-id") == "42e02a")


def _sent_packets(transport: RecordingTransport, codec) -> list[tuple[float, aiortc_rtp.RtpPacket]]:
    extension_map = aiortc_rtp.HeaderExtensionsMap()
    extension_map.configure(send_parameters(codec, [RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid")]))
    return [(t, aiortc_rtp.RtpPacket.parse(data, extension_map)) for t, data in transport.rtp]


def _send_one_frame(policy: RedundantCopies, sends_copies: bool) -> tuple[PacketSender, RecordingTransport]:
    codec = _h264()
    transport = RecordingTransport()

    async def scenario():
        track = EncodedVideoTrack(rid="l")
        sender = PacketSender(track, transport, rid="l", rtp_clock=RtpClock(90_000), wall_clock=WallClock())
        sender.redundancy = policy
        sender.sends_copies = sends_copies
        await sender.send(send_parameters(codec, [RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid")]))
        await asyncio.sleep(0.01)
        assert track.put(item(3_000, keyframe=True, capture_ns=time.monotonic_ns(), width=320, height=180))
        deadline = time.monotonic() + 5
        while sender.counters.frames < 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(policy.delay_s + 0.1)  # the copies are due by then
        await sender.stop()
        return sender

    return run(scenario()), transport


def test_the_lowest_layer_sends_each_packet_again_later_on_a_long_lossy_round_trip():
    policy = RedundantCopies(min_rtt_s=0.1, delay_s=0.03)
    policy.note_rtt(0.22, time.monotonic())
    policy.note_loss(time.monotonic())  # asyncio loop time is time.monotonic()
    sender, transport = _send_one_frame(policy, sends_copies=True)
    packets = _sent_packets(transport, _h264())
    originals = sender.counters.packets
    assert originals >= 3
    assert len(packets) == 2 * originals and policy.copies == originals
    first_time: dict[int, float] = {}
    copies_of: dict[int, list[aiortc_rtp.RtpPacket]] = {}
    for t, packet in packets:
        first_time.setdefault(packet.sequence_number, t)
        copies_of.setdefault(packet.sequence_number, []).append((t, packet))
    raw: dict[int, list[bytes]] = {}
    for _t, data in transport.rtp:
        raw.setdefault(int.from_bytes(data[2:4], "big"), []).append(data)
    # Byte for byte: SRTP protects the copy under the packet's index again, which under AES-GCM is
    # safe only for identical bytes (PacketSender._serialize_again).
    assert all(len(set(copies)) == 1 for copies in raw.values()), raw
    for seq, sent in copies_of.items():
        (t0, original), (t1, copy) = sent
        # The same packet for the SFU (its SRTP replay check drops the copy of a packet it has) ...
        assert (copy.ssrc, copy.timestamp, copy.payload, copy.marker) == (original.ssrc, original.timestamp,
                                                                          original.payload, original.marker)
        # ... a little later (a short burst of loss seldom takes both).
        assert t1 - t0 >= 0.025, (seq, t1 - t0)
    assert policy.copy_bytes >= sum(len(p.payload) for _t, p in packets) // 2


def test_no_copies_on_a_short_round_trip_or_from_an_upper_layer():
    short = RedundantCopies(min_rtt_s=0.1, delay_s=0.03)
    short.note_rtt(0.02, time.monotonic())
    short.note_loss(time.monotonic())
    sender, transport = _send_one_frame(short, sends_copies=True)
    assert len(transport.rtp) == sender.counters.packets and short.copies == 0

    long = RedundantCopies(min_rtt_s=0.1, delay_s=0.03)
    long.note_rtt(0.22, time.monotonic())
    long.note_loss(time.monotonic())
    sender, transport = _send_one_frame(long, sends_copies=False)
    assert len(transport.rtp) == sender.counters.packets and long.copies == 0


def test_simulcast_gives_copies_to_the_lowest_published_layer_and_hears_loss_from_every_layer():
    async def scenario():
        pc = RTCPeerConnection()
        try:
            video = SimulcastVideo(pc, ["h", "m", "l"], "h264", wall_clock=WallClock())
            video.apply_answer(["h", "m", "l"], 4)
            three = {plan.rid: (plan.sender.sends_copies, plan.sender.redundancy is video.redundancy)
                     for plan in video.published}
            # A NACK for the top layer is a sign of loss on the path the lowest layer shares.
            top = video.layer("h").sender
            nack = aiortc_rtp.RtcpRtpfbPacket(fmt=aiortc_rtp.RTCP_RTPFB_NACK, ssrc=1234, media_ssrc=top._ssrc)
            nack.lost = [5]
            await top._handle_rtcp_packet(nack)
            now = asyncio.get_running_loop().time()
            video.redundancy.note_rtt(0.2, now)
            heard = video.redundancy.is_on(now)
            two = video.apply_answer(["h", "m"], 4)
            two_layers = {plan.rid: plan.sender.sends_copies for plan in video.published}
            one = video.apply_answer(None, 4)
            one_layer = {plan.rid: plan.sender.sends_copies for plan in video.published}
            return three, heard, two, two_layers, one, one_layer
        finally:
            await pc.close()

    three, heard, two, two_layers, one, one_layer = run(scenario())
    assert three == {"h": (False, True), "m": (False, True), "l": (True, True)}
    assert heard
    assert two == ["h", "m"] and two_layers == {"h": False, "m": True}  # m is the lowest now
    assert one == ["h"] and one_layer == {"h": False}  # one layer: nothing to fall back to
