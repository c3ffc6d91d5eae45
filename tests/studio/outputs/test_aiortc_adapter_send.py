"""The sending adapter over aiortc: internals still there, codec table, offer munging,
keyframe-request mapping, mailbox drop policy, pacing and sender-report clocks.

No network: senders run against a recording transport; peer connections never connect.
"""
from __future__ import annotations

import asyncio
import re
import time
from fractions import Fraction

import av
import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc import rtp as aiortc_rtp
from aiortc.rtcdtlstransport import RTCDtlsTransport, RtpRouter
from aiortc.rtcrtpparameters import RTCRtcpParameters, RTCRtpSendParameters

from studio.outputs import sdp as sdp_text
from studio.outputs import clocks, packets, pacing
from studio.outputs.aiortc_adapter import codecs as adapter_codecs
from studio.outputs.aiortc_adapter import send
from studio.outputs.aiortc_adapter.codecs import codec_preferences, install_codecs
from studio.outputs.aiortc_adapter.internals import AiortcInternalsChanged, check_internals
from studio.outputs.aiortc_adapter.send import RID_URI, PacketSender, attach_packet_sender
from studio.outputs.aiortc_adapter.simulcast import SimulcastVideo
from studio.outputs.aiortc_adapter.tracks import EncodedAudioTrack, EncodedVideoTrack
from studio.outputs.clocks import NTP_UNIX_OFFSET_S, RtpClock, WallClock
from studio.outputs.packets import PacketItem
from studio.outputs.pacing import Pacer


def run(coro, timeout=10.0):
    async def bounded():
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


def video_section(sdp: str) -> list[str]:
    lines = sdp.replace("\r\n", "\n").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("m=video"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("m=")), len(lines))
    return lines[start:end]


def item(size=100, keyframe=False, capture_ns=0, **kwargs) -> PacketItem:
    data = b"\x00\x00\x00\x01" + bytes([0x65 if keyframe else 0x41]) + bytes(size)
    return PacketItem(av.Packet(data), capture_ns, is_keyframe=keyframe, **kwargs)


# ----------------------------------------------------------------------------------------------
def test_check_internals_passes_on_the_pinned_aiortc():
    import aiortc

    notes = check_internals()
    assert aiortc.__version__ == "1.16.0", "aiortc is pinned; re-run check_internals after an upgrade"
    assert notes == []


def test_check_internals_fails_loudly_when_an_internal_disappears(monkeypatch):
    monkeypatch.delattr(RTCDtlsTransport, "_send_rtp")
    with pytest.raises(AiortcInternalsChanged, match="_send_rtp"):
        check_internals()


def test_codec_table_has_a_1080p_h264_entry_and_offers_it_first():
    install_codecs()
    install_codecs()  # idempotent
    from aiortc import codecs as aiortc_codecs

    h264 = [c for c in aiortc_codecs.CODECS["video"] if c.name.lower() == "h264"]
    levels = [str(c.parameters["profile-level-id"]) for c in h264]
    assert len(levels) == len(set(levels)), levels
    assert any(adapter_codecs.h264_level_allows_1080p(pli) for pli in levels)
    payload_types = [c.payloadType for kind in aiortc_codecs.CODECS.values() for c in kind]
    assert len(payload_types) == len(set(payload_types)), "payload types must stay unique"
    preferred = codec_preferences("h264")
    first = str(preferred[0].parameters["profile-level-id"])
    assert first.startswith("42e0") and adapter_codecs.h264_level_allows_1080p(first)
    assert all(c.mimeType.lower() != "video/rtx" for c in preferred)
    assert [c.mimeType for c in codec_preferences("vp8")] == ["video/VP8"]
    assert [c.mimeType for c in codec_preferences("opus")] == ["audio/opus"]


@pytest.mark.parametrize("answered", ["640028", "42e028", "42e01f"])
def test_aiortc_accepts_a_level_4_answer(answered):
    """The harness author saw Janus answer 640028; aiortc must take it (and 4.x baseline)."""

    async def scenario():
        pc = RTCPeerConnection()
        try:
            video = SimulcastVideo(pc, ["h", "m", "l"], "h264", wall_clock=WallClock())
            await pc.setLocalDescription(await pc.createOffer())
            offer = video.munge_offer(pc.localDescription.sdp)
            answer = offer.replace("a=sendonly", "a=recvonly").replace("a=setup:actpass", "a=setup:passive")
            answer = re.sub(r"profile-level-id=[0-9a-f]{6}", f"profile-level-id={answered}", answer)
            answer = "\r\n".join(line for line in answer.split("\r\n") if not line.startswith("a=candidate"))
            await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
            return video.transceiver._codecs[0]
        finally:
            await pc.close()

    chosen = run(scenario())
    assert chosen.name == "H264"


def test_offer_munging_adds_rids_simulcast_and_rid_extension():
    async def scenario():
        pc = RTCPeerConnection()
        try:
            video = SimulcastVideo(pc, ["h", "m", "l"], "h264", wall_clock=WallClock())
            await pc.setLocalDescription(await pc.createOffer())
            return video.munge_offer(pc.localDescription.sdp)
        finally:
            await pc.close()

    offer = run(scenario())
    section = video_section(offer)
    assert [line for line in section if line.startswith("a=rid:")] == ["a=rid:h send", "a=rid:m send", "a=rid:l send"]
    assert "a=simulcast:send h;m;l" in section
    assert sdp_text.find_extmap_id(offer, RID_URI) is not None
    assert not any(line.startswith(("a=ssrc:", "a=ssrc-group:")) for line in section)
    assert not any("rtx" in line.lower() for line in section)
    assert "profile-level-id=42e02a" in offer


def test_ssrc_mode_offers_a_sim_group_of_the_layer_senders():
    async def scenario():
        pc = RTCPeerConnection()
        try:
            video = SimulcastVideo(pc, ["h", "m", "l"], "h264", wall_clock=WallClock(), mode="ssrc")
            await pc.setLocalDescription(await pc.createOffer())
            return video, video.munge_offer(pc.localDescription.sdp)
        finally:
            await pc.close()

    video, offer = run(scenario())
    section = video_section(offer)
    group = next(line for line in section if line.startswith("a=ssrc-group:SIM"))
    ssrcs = [int(s) for s in group.split()[1:]]
    # lowest quality first (Janus substream 0), one SSRC per layer sender
    assert ssrcs == [sender._ssrc for sender in reversed(video.senders)]
    assert not any(line.startswith("a=rid:") for line in section)
    assert video.apply_answer(None, None) == ["h", "m", "l"]
    assert not video.is_rid_stamped


def test_apply_answer_publishes_exactly_the_accepted_rids():
    async def scenario():
        pc = RTCPeerConnection()
        try:
            video = SimulcastVideo(pc, ["h", "m", "l"], "h264", wall_clock=WallClock())
            results = {
                "all": video.apply_answer(["h", "m", "l"], 4),
                "two": video.apply_answer(["m", "h"], 4),  # order of the answer does not matter
                "only_low": video.apply_answer(["l"], 4),
                "none": video.apply_answer(None, 4),
                "no_extension": video.apply_answer(["h", "m"], None),
            }
            again = video.apply_answer(["h", "m"], 7)
            return video, results, again
        finally:
            await pc.close()

    video, results, again = run(scenario())
    assert results == {"all": ["h", "m", "l"], "two": ["h", "m"], "only_low": ["l"], "none": ["h"], "no_extension": ["h"]}
    assert again == ["h", "m"] and video.is_rid_stamped
    assert [plan.sender.rid for plan in video.published] == ["h", "m"]
    assert video.published[0].sender is video.main
    assert video.main.siblings == [video.published[1].sender]
    assert all(plan.sender.track is video.tracks[plan.rid] for plan in video.published)
    assert all(plan.sender.rid_extension_id == 7 for plan in video.published)


def test_pli_for_a_layer_ssrc_reaches_the_keyframe_hook_with_its_rid():
    requested: list[str | None] = []

    async def scenario():
        pc = RTCPeerConnection()
        try:
            video = SimulcastVideo(pc, ["h", "m", "l"], "h264", wall_clock=WallClock(), on_keyframe_request=requested.append)
            video.apply_answer(["h", "m", "l"], 4)
            # aiortc's own router decides which sender an RTCP packet goes to (by media SSRC).
            router = RtpRouter()
            for plan in video.published:
                router.register_sender(plan.sender, plan.sender._ssrc)
            by_rid = {plan.rid: plan.sender._ssrc for plan in video.published}
            for rid in ("m", "l", "h", "m"):
                packet = aiortc_rtp.RtcpPsfbPacket(fmt=aiortc_rtp.RTCP_PSFB_PLI, ssrc=1234, media_ssrc=by_rid[rid])
                for recipient in router.route_rtcp(packet):
                    await recipient._handle_rtcp_packet(packet)
            fir = aiortc_rtp.RtcpPsfbPacket(fmt=aiortc_rtp.RTCP_PSFB_FIR, ssrc=1234, media_ssrc=by_rid["l"])
            await video.layer("l").sender._handle_rtcp_packet(fir)
            return {plan.rid: plan.sender.counters.keyframe_requests for plan in video.published}
        finally:
            await pc.close()

    counts = run(scenario())
    assert requested == ["m", "l", "h", "m", "l"]
    assert counts == {"h": 1, "m": 2, "l": 2}


# ----------------------------------------------------------------------------------------------
def test_video_mailbox_drops_non_keyframes_and_asks_for_a_keyframe():
    needed: list[str | None] = []
    track = EncodedVideoTrack(rid="m", max_frames=3, on_keyframe_needed=needed.append)

    async def scenario():
        assert not track.put(item(keyframe=True))  # not sending yet: refused, not queued
        assert track.refused_closed == 1
        track.open()
        assert needed == ["m"]  # a starting sender asks for a keyframe at once
        assert not track.put(item())  # a P-frame before any keyframe is useless
        assert track.skipped_before_keyframe == 1 and track.dropped == 0
        assert track.put(item(keyframe=True))
        assert track.put(item()) and track.put(item())
        assert track.queued == 3
        assert not track.put(item())  # full: dropped, keyframe asked for (once)
        assert not track.put(item())  # ... and everything up to that keyframe
        assert track.dropped == 2 and track.overflows == 1
        assert track.put(item(keyframe=True))  # a keyframe replaces what was queued
        assert track.queued == 1 and track.dropped == 5
        assert track.put(item()) and track.put(item())
        assert not track.put(item())  # full again: dropped, a second request
        assert track.put(item(keyframe=True))
        assert track.queued == 1 and track.dropped == 9 and track.overflows == 2
        got = await track.recv_item()
        assert got.is_keyframe
        packet = await asyncio.wait_for(track.recv(), 0.1) if track.queued else None
        assert packet is None
        track.stop()
        with pytest.raises(Exception):
            await track.recv_item()

    run(scenario())
    assert needed == ["m", "m", "m"]  # open, then one per overflow
    assert track.dropped == 9


def test_audio_mailbox_drops_the_oldest_packet():
    track = EncodedAudioTrack(max_packets=2)

    async def scenario():
        track.open()
        for n in range(3):
            track.put(item(capture_ns=n))
        return [(await track.recv_item()).capture_ns for _ in range(2)]

    assert run(scenario()) == [1, 2]
    assert track.dropped == 1


def test_put_from_another_thread_wakes_the_receiver():
    import threading

    track = EncodedVideoTrack(rid="h")

    async def scenario():
        track.open()
        timer = threading.Timer(0.05, lambda: track.put(item(keyframe=True, capture_ns=42)))
        timer.start()
        try:
            got = await asyncio.wait_for(track.recv_item(), 2.0)
        finally:
            timer.join()
        return got.capture_ns

    assert run(scenario()) == 42


# ----------------------------------------------------------------------------------------------
def test_wall_clock_and_rtp_clock_map_capture_time_consistently():
    wall = WallClock(unix_minus_media_ns=1_700_000_000 * 10**9)
    ntp = wall.ntp(500_000_000)  # media 0.5 s -> unix 1.7e9 + 0.5 s
    assert ntp >> 32 == 1_700_000_000 + clocks.NTP_UNIX_OFFSET_S
    assert abs((ntp & 0xFFFFFFFF) / 2**32 - 0.5) < 1e-9
    video, audio = RtpClock(90_000, origin=0), RtpClock(48_000, origin=2**32 - 10)
    assert video.timestamp(1_000_000_000) == 90_000
    assert audio.timestamp(20_000_000) == (960 - 10) % 2**32  # wraps
    # Two captures 40 ms apart: NTP and RTP advance by exactly the same time on both clocks.
    a, b = wall.ntp(10**9), wall.ntp(10**9 + 40_000_000)
    assert round((b - a) / 2**32 * 1000) == 40
    assert video.timestamp(10**9 + 40_000_000) - video.timestamp(10**9) == 3600


def test_pacer_spreads_a_burst_at_the_configured_rate():
    pacer = Pacer(8_000_000, burst_s=0.0, min_burst_bytes=1000)  # 1 MB/s
    delays = [pacer.reserve(1000, 100.0) for _ in range(10)]
    assert delays[0] == 0.0 and delays[1] == 0.0  # the burst allowance (one packet's worth)
    assert delays[-1] == pytest.approx(0.008, abs=1e-9)  # 8 more packets at 1 ms each
    assert Pacer(None).reserve(10**6, 0.0) == 0.0
    assert pacing.pacing_rate_bps(100_000) == pacing.PACING_MIN_BPS
    assert pacing.pacing_rate_bps(2_000_000) == 5_000_000


class RecordingTransport:
    """Enough of an RTCDtlsTransport for senders: records what they send (and when)."""

    state = "connected"
    _stats_id = "transport_test"

    def __init__(self):
        self.rtp: list[tuple[float, bytes]] = []
        self.rtcp: list[bytes] = []
        self.router = RtpRouter()

    def _register_rtp_sender(self, sender, parameters):
        self.router.register_sender(sender, sender._ssrc)

    def _unregister_rtp_sender(self, sender):
        self.router.unregister_sender(sender)

    def _get_stats(self):
        from aiortc.stats import RTCStatsReport

        return RTCStatsReport()

    async def _send_rtp(self, data: bytes) -> None:
        if aiortc_rtp.is_rtcp(data):
            self.rtcp.append(data)
        else:
            self.rtp.append((time.monotonic(), data))


def send_parameters(codec, extensions) -> RTCRtpSendParameters:
    parameters = RTCRtpSendParameters(codecs=[codec], headerExtensions=extensions, muxId="1")
    parameters.rtcp = RTCRtcpParameters(cname="test-cname", mux=True)
    return parameters


def test_packet_sender_stamps_rid_paces_and_reports_capture_time():
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters

    install_codecs()
    h264 = next(c for c in send.aiortc_codecs.CODECS["video"] if c.parameters.get("profile-level-id") == "42e02a")
    transport = RecordingTransport()
    wall = WallClock()
    clock = RtpClock(90_000)

    async def scenario():
        track = EncodedVideoTrack(rid="m")
        sender = PacketSender(track, transport, rid="m", rtp_clock=clock, wall_clock=wall, pacer=Pacer(8_000_000))
        sender.rid_extension_id = 9
        extensions = [RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid")]
        await sender.send(send_parameters(h264, extensions))
        await asyncio.sleep(0.01)
        capture_ns = time.monotonic_ns()
        # A 60 kB keyframe: ~47 packets, 0.48 Mbit -> at 8 Mbit/s about 60 ms of pacing.
        assert track.put(item(60_000, keyframe=True, capture_ns=capture_ns, width=320, height=180))
        deadline = time.monotonic() + 5
        while sender.counters.frames < 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        ntp, rtp_ts = sender.ntp_timestamp, sender.rtp_timestamp
        # aiortc's own RTCP loop sends the report every 0.5-1.5 s: it must carry that pair.
        while not transport.rtcp and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await sender.stop()
        return sender, capture_ns, ntp, rtp_ts

    sender, capture_ns, ntp, rtp_ts = run(scenario())
    extension_map = aiortc_rtp.HeaderExtensionsMap()
    extension_map.configure(send_parameters(h264, [
        send.RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
        send.RTCRtpHeaderExtensionParameters(id=9, uri=RID_URI),
    ]))
    packets = [(t, aiortc_rtp.RtpPacket.parse(data, extension_map)) for t, data in transport.rtp]
    assert len(packets) >= 40
    assert {p.extensions.rtp_stream_id for _, p in packets} == {"m"}
    assert {p.extensions.mid for _, p in packets} == {"1"}
    assert {p.ssrc for _, p in packets} == {sender._ssrc}
    assert {p.timestamp for _, p in packets} == {clock.timestamp(capture_ns)}
    assert [p.marker for _, p in packets] == [0] * (len(packets) - 1) + [1]
    span_s = packets[-1][0] - packets[0][0]
    assert span_s >= 0.04, f"a keyframe went out in {span_s * 1000:.1f} ms: not paced"
    # The next sender report says: this RTP timestamp was captured at this wall-clock time.
    assert rtp_ts == clock.timestamp(capture_ns)
    assert ntp == wall.ntp(capture_ns)
    assert sender.counters.keyframes == 1 and (sender.counters.width, sender.counters.height) == (320, 180)
    reports = [p for data in transport.rtcp for p in aiortc_rtp.RtcpPacket.parse(data) if isinstance(p, aiortc_rtp.RtcpSrPacket)]
    assert reports, "no sender report within 5 s"
    info = reports[0].sender_info
    # Stamped when it left (RFC 3550 6.4.1), on the same mapping as the packets: the pair is one
    # instant, later than the capture, and each report has its own NTP time (the LSR a receiver echoes).
    assert_report_pair_on_the_mapping(info, wall, clock, after_ns=capture_ns)
    assert info.packet_count == len(packets)
    assert len({r.sender_info.ntp_timestamp for r in reports}) == len(reports)


def assert_report_pair_on_the_mapping(info, wall: WallClock, clock: RtpClock, *, after_ns: int) -> None:
    """The report's NTP time and RTP timestamp name one media-clock instant, at or after ``after_ns``."""
    seconds, fraction = info.ntp_timestamp >> 32, info.ntp_timestamp & 0xFFFFFFFF
    unix_ns = (seconds - NTP_UNIX_OFFSET_S) * 1_000_000_000 + (fraction * 1_000_000_000 >> 32)
    media_ns = unix_ns - wall.unix_minus_media_ns - wall.offset_ns
    assert media_ns >= after_ns - 1_000
    ticks = (info.rtp_timestamp - clock.timestamp(media_ns)) & 0xFFFFFFFF
    assert min(ticks, 2**32 - ticks) <= 1, (info, media_ns)


def test_audio_and_video_sender_reports_share_one_wall_clock():
    """Same capture instant on both senders -> same NTP in both reports, each RTP timestamp
    on its own clock: a receiver lines them up with zero offset."""
    wall = WallClock()
    video_clock, audio_clock = RtpClock(90_000), RtpClock(48_000)
    capture_ns = time.monotonic_ns()
    video_pair = (wall.ntp(capture_ns), video_clock.timestamp(capture_ns))
    audio_pair = (wall.ntp(capture_ns + 20_000_000), audio_clock.timestamp(capture_ns + 20_000_000))
    # What a receiver computes: capture time of each stream's RTP timestamp via its own report.
    ntp_s = lambda ntp: (ntp >> 32) + (ntp & 0xFFFFFFFF) / 2**32  # noqa: E731
    assert (ntp_s(audio_pair[0]) - ntp_s(video_pair[0])) * 1000 == pytest.approx(20.0, abs=0.01)
    assert ((audio_pair[1] - audio_clock.timestamp(capture_ns)) % 2**32) == 960
    wall_now = time.time()
    assert abs(ntp_s(video_pair[0]) - clocks.NTP_UNIX_OFFSET_S - wall_now) < 0.5


def test_attach_packet_sender_replaces_the_transceiver_sender():
    async def scenario():
        pc = RTCPeerConnection()
        try:
            track = EncodedAudioTrack()
            transceiver, sender = attach_packet_sender(pc, track, rtp_clock=RtpClock(48_000), wall_clock=WallClock())
            await pc.setLocalDescription(await pc.createOffer())
            return transceiver, sender, pc.getSenders(), pc.localDescription.sdp
        finally:
            await pc.close()

    transceiver, sender, senders, offer = run(scenario())
    assert transceiver.sender is sender and senders == [sender]
    assert f"a=ssrc:{sender._ssrc} cname:" in offer
    assert "a=sendonly" in offer


def test_opus_encoder_gives_one_packet_per_block():
    from studio.outputs.audio_track import OpusBlockEncoder

    encoder = OpusBlockEncoder()
    t = np.arange(960) / 48_000
    block = np.repeat((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[:, None], 2, axis=1)
    sizes = [len(encoder.encode(block)) for _ in range(5)]
    assert sizes == [1] * 5
    assert packets.audio_level_dbov(block) == pytest.approx(13, abs=1)  # 0.3 peak sine: -13.5 dBov
    assert packets.audio_level_dbov(np.zeros((960, 2), np.float32)) == 127


def test_packet_item_from_encoded_packet_keeps_timing():
    from encoders.base import RTP_TIME_BASE, EncodedPacket

    packet = EncodedPacket(b"\x00\x00\x00\x01\x65abc", 3000, 3000, RTP_TIME_BASE, True, "h", 64, 36, "h264", "libx264", capture_ns=123)
    av_packet = packet.to_av_packet()
    assert av_packet.time_base == Fraction(1, 90_000) and av_packet.pts == 3000


def test_uninstall_codecs_restores_aiortcs_table():
    from aiortc import codecs as aiortc_codecs

    adapter_codecs.uninstall_codecs()
    before = [(c.mimeType, c.payloadType, dict(c.parameters)) for c in aiortc_codecs.CODECS["video"]]
    install_codecs()
    assert len(aiortc_codecs.CODECS["video"]) == len(before) + 2 * len(adapter_codecs.H264_1080P_PROFILE_LEVEL_IDS)
    adapter_codecs.uninstall_codecs()
    assert [(c.mimeType, c.payloadType, dict(c.parameters)) for c in aiortc_codecs.CODECS["video"]] == before
