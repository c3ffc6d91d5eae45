"""SDP answers from a server, random and mutated: parsed to an AnswerInfo or refused with an
OutputError (MALFORMED_ANSWER / NO_COMMON_CODEC), never another exception; the declined-section
repair always returns text."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studio.outputs.errors import OutputError, StopReason
from studio.outputs.sdp import (
    AnswerInfo,
    h264_profile_level,
    parse_answer,
    parse_simulcast,
    settle_declined_sections,
    validate_answer,
)
from tests.properties.strategies import mutated_lines
from tests.studio.outputs.test_sdp import JANUS_ANSWER

ANSWER_LINES = JANUS_ANSWER.split("\r\n")
# Our offer with a data channel, so the repair has work to do.
OFFER = JANUS_ANSWER.replace("a=recvonly", "a=sendonly") + (
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\na=sctp-port:5000\r\n")
ATTRIBUTES = ["rtpmap", "fmtp", "rtcp-fb", "extmap", "rid", "simulcast", "ssrc", "ssrc-group", "mid", "sctp-port",
              "sctpmap", "max-message-size", "group", "ice-ufrag", "fingerprint", "setup", "candidate", "recvonly",
              "sendonly", "inactive", "ice-lite"]
NUMBERISH = st.one_of(st.integers(min_value=-5, max_value=2 ** 40).map(str),
                      st.sampled_from(["", "٣", "²", "1e3", "9" * 5000, "0x10", "-0", "101/90000"]))
SDP_LINES = st.one_of(
    st.text(max_size=60),
    st.builds(lambda name, a, b: f"a={name}:{a} {b}", st.sampled_from(ATTRIBUTES), NUMBERISH, st.text(max_size=20)),
    st.builds(lambda kind, port, fmts: f"m={kind} {port} UDP/TLS/RTP/SAVPF {fmts}",
              st.sampled_from(["video", "audio", "application", "x"]), NUMBERISH,
              st.lists(NUMBERISH, max_size=4).map(" ".join)),
    st.builds(lambda rids: "a=simulcast:" + rids, st.text(alphabet="sendrcv ;,~=hml", max_size=30)),
)


def _check(answer: str) -> None:
    try:
        info = parse_answer(answer)
    except OutputError as error:
        assert error.reason is StopReason.MALFORMED_ANSWER and str(error)
    else:
        assert isinstance(info, AnswerInfo)
        _ = info.accepted_rids, info.is_data_channel_accepted, info.video, info.audio
        try:
            validate_answer(info, ["H264", "video/VP8"])
        except OutputError as error:
            assert error.reason in (StopReason.MALFORMED_ANSWER, StopReason.NO_COMMON_CODEC)
    assert isinstance(settle_declined_sections(answer, OFFER), str)


@given(mutated_lines(ANSWER_LINES, SDP_LINES), st.sampled_from(["\r\n", "\n"]))
def test_a_mutated_answer_parses_or_is_a_malformed_answer(lines, end_of_line):
    _check(end_of_line.join(lines))


@given(st.text(max_size=400))
def test_any_text_parses_or_is_a_malformed_answer(text):
    _check(text)


@given(st.lists(SDP_LINES, max_size=30))
def test_sdp_shaped_noise_parses_or_is_a_malformed_answer(lines):
    _check("v=0\r\n" + "\r\n".join(lines))


@given(st.text(max_size=60))
def test_simulcast_and_profile_values_parse_or_raise_value_error(text):
    for parse in (parse_simulcast, h264_profile_level):
        try:
            parse(text)
        except ValueError:
            pass


def test_a_byte_order_mark_alone_is_an_empty_answer():
    """Found by the deep profile: "\ufeff" (BOM, not whitespace) raised IndexError."""
    for text in ("\ufeff", "\ufeff \r\n", "\ufeff\ufeff"):
        with pytest.raises(OutputError) as caught:
            parse_answer(text)
        assert caught.value.reason is StopReason.MALFORMED_ANSWER and "empty" in str(caught.value)
