"""Round trips from every report block (studio.outputs.round_trip) and sender reports stamped when
they leave (issue #15: on a cross-border link aiortc's round trip took ~20 s to reach the path's,
so the lowest layer's redundant copies stayed off in some CI runs)."""
from __future__ import annotations

import asyncio

import pytest
from aiortc import rtp as aiortc_rtp

from studio.outputs.aiortc_adapter.send import PacketSender
from studio.outputs.aiortc_adapter.tracks import EncodedVideoTrack
from studio.outputs.clocks import RtpClock, WallClock
from studio.outputs.round_trip import RoundTrip, compact_ntp
from tests.studio.outputs.test_congestion import Transport


def test_every_block_naming_a_recent_report_gives_its_round_trip():
    rt = RoundTrip(kept=4)
    ntp = lambda s: int(s * 2**32)  # noqa: E731
    rt.note_sender_report(ntp(1000.0), now_s=10.0)
    rt.note_sender_report(ntp(1000.7), now_s=10.7)
    # The receiver answers the FIRST report (sent before the second left): aiortc drops this one.
    assert rt.on_report_block(compact_ntp(ntp(1000.0)), dlsr=int(0.1 * 65536), now_s=10.55) == pytest.approx(0.45, abs=1e-4)
    assert rt.on_report_block(compact_ntp(ntp(1000.7)), dlsr=0, now_s=10.93) == pytest.approx(0.23, abs=1e-4)
    assert rt.last_rtt_s == pytest.approx(0.23, abs=1e-4)
    assert rt.on_report_block(0, dlsr=0, now_s=11.0) is None  # "no report received yet"
    assert rt.on_report_block(12345, dlsr=0, now_s=11.0) is None  # not one of ours
    for i in range(6):  # bounded: the oldest are forgotten
        rt.note_sender_report(ntp(1001.0 + i), now_s=11.0 + i)
    assert rt.on_report_block(compact_ntp(ntp(1000.7)), dlsr=0, now_s=17.0) is None


def test_packet_sender_measures_the_round_trip_of_a_block_naming_an_earlier_report():
    async def scenario():
        transport = Transport()
        sender = PacketSender(EncodedVideoTrack(rid="l"), transport, rid="l", rtp_clock=RtpClock(90_000), wall_clock=WallClock())
        loop = asyncio.get_running_loop()
        info = aiortc_rtp.RtcpSenderInfo(ntp_timestamp=1, rtp_timestamp=1, packet_count=5, octet_count=500)
        # A paused layer: aiortc builds both reports from the same (last packet's) pair.
        await sender._send_rtcp([aiortc_rtp.RtcpSrPacket(ssrc=sender._ssrc, sender_info=info)])
        first = aiortc_rtp.RtcpPacket.parse(transport.sent[-1])[0].sender_info
        first_sent = loop.time()
        await asyncio.sleep(0.05)
        await sender._send_rtcp([aiortc_rtp.RtcpSrPacket(ssrc=sender._ssrc, sender_info=info)])
        second = aiortc_rtp.RtcpPacket.parse(transport.sent[-1])[0].sender_info
        await asyncio.sleep(0.05)
        block = aiortc_rtp.RtcpReceiverInfo(ssrc=sender._ssrc, fraction_lost=0, packets_lost=0, highest_sequence=1,
                                            jitter=0, lsr=compact_ntp(first.ntp_timestamp), dlsr=int(0.02 * 65536))
        await sender._handle_rtcp_packet(aiortc_rtp.RtcpRrPacket(ssrc=7, reports=[block]))
        return sender, first, second, loop.time() - first_sent

    sender, first, second, elapsed = asyncio.run(scenario())
    assert first.ntp_timestamp != second.ntp_timestamp  # each report its own time, so LSR says which
    assert (first.packet_count, first.octet_count) == (5, 500)
    assert sender.counters.rtt_s == pytest.approx(elapsed - 0.02, abs=0.01)
    assert sender.counters.rtt_samples == 1 and sender.counters.reports == 1


def test_a_resend_under_aes_gcm_srtp_is_the_same_srtp_packet():
    """What PacketSender._serialize_again guards: pylibsrtp with aiortc's sender policy (GCM,
    allow_repeat_tx) protects identical bytes to an identical packet; other header bytes under the
    same index would give a second tag under the same nonce."""
    from pylibsrtp import Policy, Session

    policy = Policy(key=bytes(range(28)), ssrc_type=Policy.SSRC_ANY_OUTBOUND,
                    srtp_profile=Policy.SRTP_PROFILE_AEAD_AES_128_GCM)
    policy.allow_repeat_tx = True
    session = Session(policy)
    packet = aiortc_rtp.RtpPacket(payload_type=96, sequence_number=40, timestamp=1, ssrc=1234)
    packet.payload = b"frame" * 40
    data = packet.serialize()
    first, again = session.protect(data), session.protect(data)
    assert first == again
