"""SDP munging (simulcast in aiortc's real offer) and answer parsing/validation."""
from __future__ import annotations

import asyncio
import re

import pytest
from aiortc import RTCPeerConnection

from studio.outputs.errors import OutputError, StopReason
from studio.outputs.sdp import (
    RID_URI,
    add_simulcast,
    add_ssrc_group_sim,
    find_extmap_id,
    h264_profile_level,
    offered_codec_names,
    parse_answer,
    parse_simulcast,
    validate_answer,
)

# A VideoRoom answer in Janus 1.x's shape (ordering, ice-options, extmap-allow-mixed, setup:active,
# rid/simulcast echoed as recv) to an aiortc offer with audio + 3-layer H264 simulcast.
JANUS_ANSWER = (
    "v=0\r\n"
    "o=- 1717171717171717 1 IN IP4 198.18.0.1\r\n"
    "s=VideoRoom 1234\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 D2:B9:31:8F:DF:24:D8:0E:ED:D2:EF:25:9E:AF:6F:B8:34:AE:53:9C:E6:F3:8F:F2:64:15:FA:E8:7F:53:2D:38\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS *\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 96\r\n"
    "c=IN IP4 198.18.0.1\r\n"
    "a=recvonly\r\n"
    "a=mid:0\r\n"
    "a=rtcp-mux\r\n"
    "a=ice-ufrag:AS/w\r\n"
    "a=ice-pwd:9NOgoAOMALYu/LOpA1iqg/\r\n"
    "a=ice-options:trickle\r\n"
    "a=setup:active\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 useinbandfec=1\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=msid:janus janusa\r\n"
    "a=candidate:1 1 udp 2015363327 198.18.0.1 44417 typ host\r\n"
    "a=end-of-candidates\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 101\r\n"
    "c=IN IP4 198.18.0.1\r\n"
    "a=recvonly\r\n"
    "a=mid:1\r\n"
    "a=rtcp-mux\r\n"
    "a=ice-ufrag:AS/w\r\n"
    "a=ice-pwd:9NOgoAOMALYu/LOpA1iqg/\r\n"
    "a=ice-options:trickle\r\n"
    "a=setup:active\r\n"
    "a=rtpmap:101 H264/90000\r\n"
    "a=fmtp:101 profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1\r\n"
    "a=rtcp-fb:101 ccm fir\r\n"
    "a=rtcp-fb:101 nack\r\n"
    "a=rtcp-fb:101 nack pli\r\n"
    "a=rtcp-fb:101 goog-remb\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
    "a=rid:h recv\r\n"
    "a=rid:m recv\r\n"
    "a=rid:l recv\r\n"
    "a=simulcast:recv h;m;l\r\n"
    "a=msid:janus janusv\r\n"
    "a=candidate:1 1 udp 2015363327 198.18.0.1 44417 typ host\r\n"
    "a=end-of-candidates\r\n"
)


async def _aiortc_offer() -> str:
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("audio", direction="sendonly")
        pc.addTransceiver("video", direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp
    finally:
        await pc.close()


@pytest.fixture(scope="module")
def aiortc_offer() -> str:
    """A real offer from aiortc 1.16: audio + video transceivers, candidates gathered."""
    return asyncio.run(_aiortc_offer())


def _sections(sdp: str) -> tuple[list[str], dict[str, list[str]]]:
    lines = sdp.split("\r\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("m=")]
    by_kind = {}
    for start, end in zip(starts, starts[1:] + [len(lines)]):
        by_kind[lines[start].split()[0][2:]] = lines[start:end]
    return lines[: starts[0]], by_kind


def test_add_simulcast_on_a_real_aiortc_offer(aiortc_offer):
    assert "a=ssrc:" in aiortc_offer  # aiortc binds SSRCs in both sections
    munged = add_simulcast(aiortc_offer)
    assert munged.endswith("\r\n") and "\n" not in munged.replace("\r\n", "")

    head_before, before = _sections(aiortc_offer)
    head_after, after = _sections(munged)
    assert head_after == head_before
    assert after["audio"] == before["audio"]  # audio untouched, byte for byte

    video = after["video"]
    assert not [line for line in video if line.startswith(("a=ssrc:", "a=ssrc-group:"))]
    extmaps = [line for line in video if RID_URI in line]
    assert len(extmaps) == 1 and munged.count(RID_URI) == 1
    ext_id = find_extmap_id(munged, RID_URI)
    assert extmaps == [f"a=extmap:{ext_id} {RID_URI}"]
    # The id is free: no other header extension anywhere in the bundle uses it.
    assert {line.split()[1] for line in munged.split("\r\n") if line.startswith(f"a=extmap:{ext_id} ")} == {RID_URI}
    assert [line for line in video if line.startswith("a=rid:")] == ["a=rid:h send", "a=rid:m send", "a=rid:l send"]
    assert [line for line in video if line.startswith("a=simulcast:")] == ["a=simulcast:send h;m;l"]
    # Everything else in video is unchanged and in the same order.
    removed = {line for line in before["video"] if line.startswith(("a=ssrc:", "a=ssrc-group:"))}
    added = set(extmaps) | {line for line in video if line.startswith(("a=rid:", "a=simulcast:"))}
    assert [line for line in video if line not in added] == [line for line in before["video"] if line not in removed]

    # Parsed back: the offer's simulcast reads as sent rids.
    info = parse_answer(munged)
    assert info.video.rids == {"h": "send", "m": "send", "l": "send"}
    assert info.video.simulcast.send == [["h"], ["m"], ["l"]]
    assert info.video.extmap[RID_URI] == ext_id
    assert info.video.ssrcs == [] and info.audio.ssrcs
    assert info.accepted_rids is None  # an offer accepts nothing


def test_add_simulcast_is_idempotent_and_honours_a_requested_id(aiortc_offer):
    once = add_simulcast(aiortc_offer, ("h", "m"), rid_extmap_id=9)
    assert find_extmap_id(once, RID_URI) == 9
    twice = add_simulcast(once, ("h", "m"))
    assert twice == once
    with pytest.raises(ValueError):
        add_simulcast(aiortc_offer, rid_extmap_id=1)  # that is mid's id
    with pytest.raises(ValueError):
        add_simulcast(aiortc_offer, ("h", "h"))
    with pytest.raises(ValueError):
        add_simulcast(aiortc_offer, ("h m",))


def test_ssrc_group_sim_fallback(aiortc_offer):
    munged = add_ssrc_group_sim(aiortc_offer, [111, 222, 333])
    _head, after = _sections(munged)
    _head, before = _sections(aiortc_offer)
    assert after["audio"] == before["audio"]
    cname = next(line.split("cname:")[1] for line in before["video"] if "cname:" in line)
    ssrc_lines = [line for line in after["video"] if line.startswith(("a=ssrc:", "a=ssrc-group:"))]
    assert ssrc_lines == [
        "a=ssrc-group:SIM 111 222 333",
        f"a=ssrc:111 cname:{cname}",
        f"a=ssrc:222 cname:{cname}",
        f"a=ssrc:333 cname:{cname}",
    ]
    info = parse_answer(munged)
    assert info.video.ssrc_groups == [("SIM", [111, 222, 333])]
    with pytest.raises(ValueError):
        add_ssrc_group_sim(aiortc_offer, [1, 1])


def test_parse_janus_answer():
    info = parse_answer(JANUS_ANSWER)
    assert [m.kind for m in info.media] == ["audio", "video"]
    assert info.bundle_mids == ["0", "1"]
    audio, video = info.media
    assert (audio.mid, audio.port, audio.is_rejected, audio.direction) == ("0", 9, False, "recvonly")
    opus = audio.codecs[0]
    assert (opus.name, opus.payload_type, opus.clock_rate, opus.channels, opus.fmtp) == (
        "opus", 96, 48000, 2, {"useinbandfec": "1"}
    )
    assert audio.extmap == {
        "urn:ietf:params:rtp-hdrext:sdes:mid": 1,
        "urn:ietf:params:rtp-hdrext:ssrc-audio-level": 2,
    }
    assert video.mid == "1" and video.direction == "recvonly"
    [h264] = video.codecs
    assert (h264.name, h264.payload_type, h264.clock_rate, h264.channels) == ("H264", 101, 90000, None)
    assert h264.fmtp["packetization-mode"] == "1"
    assert "nack pli" in h264.rtcp_feedback and "ccm fir" in h264.rtcp_feedback
    assert h264_profile_level(h264.fmtp) == (0x42, 0xE0, 0x1F)
    assert video.extmap[RID_URI] == 4
    assert video.rids == {"h": "recv", "m": "recv", "l": "recv"}
    assert info.accepted_rids == ["h", "m", "l"]
    assert info.fingerprints[0].startswith("sha-256 D2:B9")
    assert video.fingerprints == info.fingerprints  # session-level value inherited
    assert video.ice_ufrag == "AS/w" and video.setup == "active"
    assert validate_answer(info, ["H264", "VP8"]) is video


def test_parse_answer_accepts_bare_lf():
    info = parse_answer(JANUS_ANSWER.replace("\r\n", "\n"))
    assert info.accepted_rids == ["h", "m", "l"]


@pytest.mark.parametrize(
    "simulcast, rid_lines, expected, paused",
    [
        ("recv h;m", ["h", "m"], ["h", "m"], []),
        ("recv h;~m;l", ["h", "m", "l"], ["h", "l"], ["m"]),
        ("recv h,x;m", ["h", "m", "x"], ["h", "m"], []),
        ("recv x,h;m", ["h", "m"], ["h", "m"], []),  # x has no a=rid line: not usable
        ("recv h;m;l", [], ["h", "m", "l"], []),  # terse answer without a=rid lines
        (" recv rid=h;m", ["h", "m"], ["h", "m"], []),  # the old draft syntax
        (None, ["h", "m"], ["h", "m"], []),  # rid lines only
        (None, [], None, []),  # no simulcast at all
    ],
)
def test_accepted_rids(simulcast, rid_lines, expected, paused):
    lines = JANUS_ANSWER.split("\r\n")
    lines = [line for line in lines if not line.startswith(("a=rid:", "a=simulcast:"))]
    at = lines.index("a=msid:janus janusv")
    extra = [f"a=rid:{rid} recv" for rid in rid_lines] + ([f"a=simulcast:{simulcast}"] if simulcast else [])
    info = parse_answer("\r\n".join(lines[:at] + extra + lines[at:]))
    assert info.accepted_rids == expected
    assert info.video.paused_rids == paused


def test_parse_simulcast_grammar():
    parsed = parse_simulcast("send h;~m,x;l recv a")
    assert parsed.send == [["h"], ["m", "x"], ["l"]] and parsed.recv == [["a"]] and parsed.paused == {"m"}
    for bad in ("", "send", "sideways h", "send h;;m"):
        with pytest.raises(ValueError):
            parse_simulcast(bad)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "<html><body>Oops</body></html>", "v=0\r\nthis is not sdp\r\n", "v=0\r\nm=video nine UDP 96\r\n",
     "v=0\r\nm=video 9\r\n", "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:x H264/90000\r\n"],
)
def test_unparseable_answers_are_malformed(text):
    with pytest.raises(OutputError) as caught:
        parse_answer(text)
    assert caught.value.reason is StopReason.MALFORMED_ANSWER
    assert str(caught.value).startswith("WHIP server sent an invalid answer")


def test_validate_answer_reasons():
    audio_only = JANUS_ANSWER[: JANUS_ANSWER.index("m=video")]
    with pytest.raises(OutputError) as caught:
        validate_answer(parse_answer(audio_only), ["H264"])
    assert caught.value.reason is StopReason.MALFORMED_ANSWER
    assert "no video section" in str(caught.value)

    rejected = JANUS_ANSWER.replace("m=video 9 ", "m=video 0 ")
    with pytest.raises(OutputError) as caught:
        validate_answer(parse_answer(rejected), ["H264", "VP8"])
    assert caught.value.reason is StopReason.NO_COMMON_CODEC
    assert str(caught.value) == "Server accepted no video codec we can send (offered H264, VP8)"
    assert not caught.value.is_retryable

    with pytest.raises(OutputError) as caught:
        validate_answer(parse_answer(JANUS_ANSWER), ["video/VP8", "AV1"])
    assert str(caught.value) == "Server accepted no video codec we can send (offered VP8, AV1)"

    sendonly = JANUS_ANSWER.replace("a=recvonly\r\na=mid:1", "a=sendonly\r\na=mid:1")
    with pytest.raises(OutputError) as caught:
        validate_answer(parse_answer(sendonly), ["H264"])
    assert caught.value.reason is StopReason.MALFORMED_ANSWER


def test_offered_codec_names(aiortc_offer):
    assert offered_codec_names(aiortc_offer) == ["VP8", "H264"]  # rtx left out
    assert offered_codec_names(aiortc_offer, "audio") == ["opus", "G722", "PCMU", "PCMA"]


def test_h264_profile_level():
    assert h264_profile_level("packetization-mode=1;profile-level-id=640028") == (0x64, 0x00, 0x28)
    assert h264_profile_level({"Profile-Level-Id": "42E01F"}) == (0x42, 0xE0, 0x1F)
    assert h264_profile_level({}) == (0x42, 0x00, 0x0A)
    with pytest.raises(ValueError):
        h264_profile_level("profile-level-id=xyz")


# ----------------------------------------------------------------------------------------------
# The events data channel: m=application in offers and answers
def _without_section_attributes(sdp: str, kind: str, prefixes: tuple[str, ...]) -> str:
    lines = sdp.split("\r\n")
    out, current = [], None
    for line in lines:
        if line.startswith("m="):
            current = line[2:].split()[0]
        if current == kind and line.startswith(prefixes):
            continue
        out.append(line)
    return "\r\n".join(out)


def _drop_section(sdp: str, kind: str) -> str:
    lines = sdp.split("\r\n")
    out, current = [], None
    for line in lines:
        if line.startswith("m="):
            current = line[2:].split()[0]
        if current == kind and line:
            continue
        out.append(line)
    return "\r\n".join(out)


def _rebundle(sdp: str, mids: str) -> str:
    return "\r\n".join("a=group:BUNDLE " + mids if line.startswith("a=group:BUNDLE") else line for line in sdp.split("\r\n"))


async def _data_channel_exchange(make_answer, settle: bool):
    """aiortc offers audio + video + a data channel, a real aiortc peer answers, ``make_answer``
    bends the answer, and the offerer applies it (settled or not).  Returns what happened."""
    from aiortc import RTCSessionDescription

    from studio.outputs.sdp import settle_declined_sections

    offerer, answerer = RTCPeerConnection(), RTCPeerConnection()
    try:
        offerer.addTransceiver("audio", direction="sendonly")
        offerer.addTransceiver("video", direction="sendonly")
        offerer.createDataChannel("bridgecast-events", ordered=True)
        await offerer.setLocalDescription(await offerer.createOffer())
        offer = offerer.localDescription.sdp
        await answerer.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await answerer.setLocalDescription(await answerer.createAnswer())
        answer = make_answer(answerer.localDescription.sdp)
        applied = settle_declined_sections(answer, offer) if settle else answer
        try:
            await offerer.setRemoteDescription(RTCSessionDescription(sdp=applied, type="answer"))
            error = None
        except Exception as exc:  # what aiortc says about the unsettled answer
            error = exc
        media_transport = offerer.getTransceivers()[0].sender.transport
        is_bundled = offerer.sctp is not None and offerer.sctp.transport is media_transport
        return {"offer": offer, "answer": answer, "applied": applied, "error": error, "is_bundled": is_bundled}
    finally:
        await offerer.close()
        await answerer.close()


def test_an_accepted_data_channel_is_parsed_and_left_alone():
    result = asyncio.run(_data_channel_exchange(lambda sdp: sdp, settle=True))
    info = parse_answer(result["answer"])
    assert info.is_data_channel_accepted
    app = info.application
    assert app.kind == "application" and app.protocol == "UDP/DTLS/SCTP" and app.formats == ["webrtc-datachannel"]
    assert app.sctp_port == 5000 and app.max_message_size == 262144 and app.mid == "2"
    assert result["applied"] == result["answer"] and result["error"] is None and result["is_bundled"]
    # The offer side: the section is in aiortc's offer, after audio and video, and the
    # simulcast munging leaves it byte for byte.
    offer = result["offer"]
    assert offer.index("m=audio") < offer.index("m=video") < offer.index("m=application")
    munged = add_simulcast(offer)
    assert offer[offer.index("m=application"):] == munged[munged.index("m=application"):]
    assert parse_answer(munged).application.sctp_port == 5000


def _declined_like_a_bare_server(sdp: str) -> str:
    """Port 0, no ICE/DTLS/SCTP attributes and out of the BUNDLE group (pion-style)."""
    sdp = sdp.replace("m=application 9 ", "m=application 0 ")
    sdp = re.sub(r"m=application \d+ ", "m=application 0 ", sdp)
    sdp = _without_section_attributes(
        sdp, "application", ("a=ice-", "a=setup:", "a=fingerprint:", "a=sctp-port:", "a=max-message-size:", "a=candidate:", "a=end-of-candidates")
    )
    return _rebundle(sdp, "0 1")


def test_a_declined_data_channel_is_settled_so_aiortc_still_applies_the_answer():
    raw = asyncio.run(_data_channel_exchange(_declined_like_a_bare_server, settle=False))
    assert raw["error"] is not None  # aiortc alone fails the whole session on it
    result = asyncio.run(_data_channel_exchange(_declined_like_a_bare_server, settle=True))
    assert result["error"] is None, result["error"]
    assert result["is_bundled"]  # rides the media transport: no ICE transport of its own
    original, applied = parse_answer(result["answer"]), parse_answer(result["applied"])
    assert not original.is_data_channel_accepted and original.application.is_rejected
    assert not applied.is_data_channel_accepted  # still declined, only made applicable
    assert applied.bundle_mids == ["0", "1", "2"]
    assert applied.application.sctp_port == 5000 and applied.application.ice_ufrag == applied.video.ice_ufrag
    # Audio and video come through untouched.
    before = result["answer"][: result["answer"].index("m=application")]
    settled = result["applied"][: result["applied"].index("m=application")]
    assert settled.replace("a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1") == before


def test_an_answer_without_the_data_channel_section_gets_it_back_declined():
    drop = lambda sdp: _rebundle(_drop_section(sdp, "application"), "0 1")  # noqa: E731
    raw = asyncio.run(_data_channel_exchange(drop, settle=False))
    assert "do not match" in str(raw["error"])
    result = asyncio.run(_data_channel_exchange(drop, settle=True))
    assert result["error"] is None, result["error"]
    assert result["is_bundled"]
    original, applied = parse_answer(result["answer"]), parse_answer(result["applied"])
    assert original.application is None and not original.is_data_channel_accepted
    assert [(m.kind, m.mid, m.port) for m in applied.media][2] == ("application", "2", 0)
    assert applied.application.direction == "inactive"


def test_legacy_sctpmap_answers_and_non_data_offers():
    from studio.outputs.sdp import settle_declined_sections

    legacy = JANUS_ANSWER + (
        "m=application 9 DTLS/SCTP 5000\r\n"
        "c=IN IP4 198.18.0.1\r\n"
        "a=mid:2\r\n"
        "a=sctpmap:5000 webrtc-datachannel 16\r\n"
    )
    info = parse_answer(legacy)
    assert info.is_data_channel_accepted and info.application.sctp_port == 5000
    assert info.application.max_message_size is None
    # No data channel offered: nothing to settle, byte for byte.
    assert settle_declined_sections(JANUS_ANSWER, JANUS_ANSWER) == JANUS_ANSWER
    declined = legacy.replace("m=application 9 DTLS/SCTP", "m=application 0 DTLS/SCTP")
    assert parse_answer(declined).application.is_rejected
