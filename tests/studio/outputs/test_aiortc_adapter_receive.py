"""The receiving side of the aiortc adapter: internals, loopback hook, SDP plan, demultiplexing."""
from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import aioice.ice
import aiortc
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.rtp import HeaderExtensions, RtpPacket

from studio.outputs import aiortc_adapter
from studio.outputs.aiortc_adapter import receive
from studio.outputs.aiortc_adapter.receive import (
    RID_URI,
    OfferError,
    SimulcastReceiver,
    apply_offer_plan,
    check_internals,
    finish_answer,
    h264_nal_types,
    is_keyframe,
    loopback_candidates,
    prepare_offer,
)
from tests.helpers import wait_until

# A browser-like offer: H.264 High 4.0 first (1080p), RTX, VP8, rid simulcast with a paused layer,
# plus Opus and a telephone-event audio codec.
OFFER = "\r\n".join([
    "v=0",
    "o=- 1 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    "a=msid-semantic:WMS *",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 126",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:abcdefghijklmnopqrstuvwx",
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
    "a=setup:actpass",
    "a=mid:0",
    "a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host",
    "a=end-of-candidates",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=sendonly",
    "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:126 telephone-event/8000",
    "m=video 9 UDP/TLS/RTP/SAVPF 102 103 96 97",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:abcdefghijklmnopqrstuvwx",
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
    "a=setup:actpass",
    "a=mid:1",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
    f"a=extmap:4 {RID_URI}",
    "a=extmap:5 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    "a=sendonly",
    "a=rtcp-mux",
    "a=rtpmap:102 H264/90000",
    "a=rtcp-fb:102 nack",
    "a=rtcp-fb:102 nack pli",
    "a=rtcp-fb:102 transport-cc",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640028",
    "a=rtpmap:103 rtx/90000",
    "a=fmtp:103 apt=102",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 nack",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=rid:h send",
    "a=rid:m send",
    "a=rid:l send",
    "a=simulcast:send h;~m;l",
    "",
])


def test_pinned_aiortc_and_internals_present():
    assert aiortc_adapter.IS_PINNED_VERSION, f"aiortc {aiortc.__version__} is not the pinned version"
    check_internals()


def test_check_internals_fails_loudly_when_something_is_gone(monkeypatch):
    monkeypatch.delattr(aiortc.RTCRtpReceiver, "_send_rtcp_pli")
    with pytest.raises(receive.InternalsChangedError, match="_send_rtcp_pli"):
        check_internals()


def test_loopback_candidates_only_inside_the_context():
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    seen_elsewhere: list[list[str]] = []
    with loopback_candidates():
        assert receive.loopback_enabled()
        assert "127.0.0.1" in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
        # Another thread (another connection) is not affected while we are inside.
        thread = threading.Thread(
            target=lambda: seen_elsewhere.append(aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False))
        )
        thread.start()
        thread.join()
        # IPv4 off means no IPv4 loopback either.
        assert "127.0.0.1" not in aioice.ice.get_host_addresses(use_ipv4=False, use_ipv6=True)
    assert "127.0.0.1" not in seen_elsewhere[0]
    assert not receive.loopback_enabled()
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    with loopback_candidates(enabled=False):
        assert not receive.loopback_enabled()


def test_loopback_candidates_reach_gathering():
    async def gather(loopback: bool) -> list[str]:
        connection = aioice.Connection(ice_controlling=True, use_ipv6=False)
        with loopback_candidates(loopback):
            await connection.gather_candidates()
        hosts = [c.host for c in connection.local_candidates]
        await connection.close()
        return hosts

    assert "127.0.0.1" not in asyncio.run(gather(False))
    assert "127.0.0.1" in asyncio.run(gather(True))


def test_prepare_offer_keeps_the_offered_h264_and_rids():
    plan = prepare_offer(OFFER)
    video, audio = plan.video, plan.audio
    assert video is not None and audio is not None
    assert video.codec.name == "H264" and video.codec.payloadType == 102
    assert video.codec.parameters["profile-level-id"] == "640028"
    assert {(f.type, f.parameter) for f in video.codec.rtcpFeedback} == {("nack", None), ("nack", "pli")}
    assert video.rids == ["h", "m", "l"] and video.paused_rids == {"m"}
    assert video.rid_extension_id == 4
    assert audio.codec.name == "opus" and audio.codec.payloadType == 111
    # What aiortc gets: one video PT, a profile-level-id from its own table, no rid lines.
    video_section = plan.aiortc_sdp[plan.aiortc_sdp.index("m=video"):]
    assert video_section.startswith("m=video 9 UDP/TLS/RTP/SAVPF 102\r\n")
    assert "profile-level-id=42e01f" in video_section
    assert "rtx" not in video_section and "VP8" not in video_section and "a=rid" not in video_section


def test_prepare_offer_picks_vp8_when_h264_is_not_usable():
    offer = OFFER.replace("packetization-mode=1;profile-level-id=640028", "packetization-mode=0;profile-level-id=640028")
    plan = prepare_offer(offer)
    assert plan.video.codec.name == "VP8" and plan.video.codec.payloadType == 96


def test_prepare_offer_rejects_what_it_cannot_receive():
    with pytest.raises(OfferError) as garbage:
        prepare_offer("hello")
    assert garbage.value.status == 400
    no_codec = OFFER.replace("packetization-mode=1", "packetization-mode=0").replace("VP8/90000", "VP9/90000")
    no_codec = no_codec.replace("opus/48000/2", "G722/8000")
    with pytest.raises(OfferError) as unusable:
        prepare_offer(no_codec)
    assert unusable.value.status == 422
    no_candidates = OFFER.replace("a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\n", "")
    with pytest.raises(OfferError, match="no ICE candidates") as trickle_only:
        prepare_offer(no_candidates)
    assert trickle_only.value.status == 422


def test_answer_accepts_every_rid_and_echoes_the_profile():
    async def negotiate() -> str:
        plan = prepare_offer(OFFER)
        pc = RTCPeerConnection(receive.ice_servers_none())
        try:
            await pc.setRemoteDescription(RTCSessionDescription(plan.aiortc_sdp, "offer"))
            apply_offer_plan(pc, plan)
            answer = await pc.createAnswer()
            return finish_answer(answer.sdp, plan)
        finally:
            await pc.close()

    answer = asyncio.run(negotiate())
    video = answer[answer.index("m=video"):]
    assert video.startswith("m=video") and " 102\r\n" in video.splitlines(True)[0]
    assert "profile-level-id=640028" in video
    assert f"a=extmap:4 {RID_URI}" in video
    assert "repaired-rtp-stream-id" not in video
    for rid in "hml":
        assert f"a=rid:{rid} recv" in video
    assert "a=simulcast:recv h;~m;l" in video
    audio = answer[answer.index("m=audio"):answer.index("m=video")]
    assert "opus/48000/2" in audio and "telephone-event" not in audio and "a=simulcast" not in audio


def test_keyframe_detection():
    idr = b"\x00\x00\x00\x01\x67\x42" + b"\x00\x00\x00\x01\x68\xce" + b"\x00\x00\x01\x65\x88\x84"
    assert h264_nal_types(idr) == {7, 8, 5}
    assert is_keyframe("H264", idr)
    assert not is_keyframe("H264", b"\x00\x00\x00\x01\x41\x9a")
    assert is_keyframe("VP8", bytes([0x10, 0x02, 0x00]))
    assert not is_keyframe("VP8", bytes([0x11, 0x02, 0x00]))


def _packet(seq: int, ts: int, payload: bytes, marker: bool = False, ssrc: int = 1, rid: str | None = None,
            pt: int = 102) -> RtpPacket:
    packet = RtpPacket(payload_type=pt, marker=int(marker), sequence_number=seq, timestamp=ts, ssrc=ssrc, payload=payload)
    packet.extensions = HeaderExtensions()
    packet.extensions.rtp_stream_id = rid
    return packet


def test_frame_leaves_the_jitter_buffer_on_its_marker():
    buffer = receive._FrameJitterBuffer(capacity=64, is_video=True)

    def add(packet: RtpPacket) -> list:
        packet._data = packet.payload
        return buffer.pop_frames(packet)[1]

    assert add(_packet(10, 1000, b"a")) == []
    frames = add(_packet(11, 1000, b"b", marker=True))
    assert [(f.data, f.timestamp) for f in frames] == [(b"ab", 1000)]
    # No marker (lost or never set): the frame leaves when the next timestamp starts.
    assert add(_packet(12, 4000, b"c")) == []
    frames = add(_packet(13, 7000, b"d", marker=True))
    assert [(f.data, f.timestamp) for f in frames] == [(b"c", 4000), (b"d", 7000)]


def test_timestamp_unwrapper():
    unwrapper = receive._TimestampUnwrapper()
    values = [0xFFFFF000, 0xFFFFFF00, 0x00000100, 0x00001000]
    out = [unwrapper.unwrap(v) for v in values]
    assert out == sorted(out) and out[2] == (1 << 32) + 0x100


class _FakeReceiver:
    """Stands in for aiortc's RTCRtpReceiver: only what SimulcastReceiver touches."""

    def __init__(self) -> None:
        self._RTCRtpReceiver__remote_streams: dict = {}
        self.plis: list[int] = []
        self.nacks: list[tuple[int, list[int]]] = []

    async def _send_rtcp_pli(self, ssrc: int) -> None:
        self.plis.append(ssrc)

    async def _send_rtcp_nack(self, ssrc: int, lost: list[int]) -> None:
        self.nacks.append((ssrc, lost))


class _Sink:
    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    def on_decoded(self, layer, encoded, frames, decoded_wall_ms) -> None:
        self.seen.append((layer.name, encoded.is_keyframe))


def test_demultiplex_by_rid_then_by_learned_ssrc():
    plan = prepare_offer(OFFER)
    fake, sink = _FakeReceiver(), _Sink()
    demux = SimulcastReceiver(fake, plan.video, sink, thread_prefix="test-demux")
    idr = b"\x65\x88\x84\x00"  # single NAL unit packets (IDR), one per frame
    handle = fake._handle_rtp_packet  # installed on the receiver instance
    try:
        async def feed() -> None:
            for i in range(3):
                for ssrc, rid in ((11, "h"), (22, "m"), (33, "l")):
                    # rids only on the first packets, as libwebrtc does once reports arrive
                    await handle(_packet(100 + i, 3000 * i, idr, True, ssrc, rid if i == 0 else None))
            await handle(_packet(200, 0, idr, True, 44, "x"))  # a rid that was not offered
            await handle(_packet(201, 0, idr, True, 55, None))  # unknown SSRC, no rid
            await handle(_packet(103, 9000, idr, True, 11, None, pt=99))  # payload type not negotiated
            await handle(_packet(105, 15000, idr, True, 11, None))  # packet 104 lost -> NACK

        asyncio.run(feed())
        assert set(demux.layers) == {"h", "m", "l"}
        assert [demux.layers[r].packets_received for r in "hml"] == [4, 3, 3]
        assert {demux.layers[r].ssrc for r in "hml"} == {11, 22, 33}
        assert demux.unmatched_packets == 3
        assert fake.nacks == [(11, [103, 104])]
        # aiortc's RTCP loop now reports on every layer's SSRC.
        assert set(fake._RTCRtpReceiver__remote_streams) == {11, 22, 33}
        # Nine frames: the one after the gap waits in the jitter buffer for the retransmission.
        assert wait_until(lambda: len(sink.seen) == 9), sink.seen
        assert {name for name, _key in sink.seen} == {"h", "m", "l"}
    finally:
        demux.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("test-demux")]


def test_sim_group_and_single_layer_naming():
    sim_offer = OFFER.replace("a=rid:h send\r\na=rid:m send\r\na=rid:l send\r\na=simulcast:send h;~m;l\r\n",
                              "a=ssrc-group:SIM 7 8 9\r\na=ssrc:7 cname:x\r\na=ssrc:8 cname:x\r\na=ssrc:9 cname:x\r\n")
    plan = prepare_offer(sim_offer)
    assert plan.video.rids == [] and plan.video.sim_ssrcs == [7, 8, 9]
    assert plan.video.layer_names == ["l", "m", "h"]
    fake = _FakeReceiver()
    demux = SimulcastReceiver(fake, plan.video, None, thread_prefix="test-sim")
    try:
        asyncio.run(fake._handle_rtp_packet(_packet(1, 0, b"\x65\x00", True, 9)))
        assert list(demux.layers) == ["h"]
    finally:
        demux.close()
    single = prepare_offer(sim_offer.replace("a=ssrc-group:SIM 7 8 9\r\n", ""))
    assert single.video.layer_names == ["h"]
    assert "a=simulcast" not in finish_answer(single.aiortc_sdp, single)
