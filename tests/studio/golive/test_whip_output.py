"""WHIP on a shared canvas encoding: a layer another output takes keeps encoding when WHIP pauses
it; WHIP holds its own copy back and goes on from the next keyframe."""
from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

from encoders.base import EncodedPacket
from encoders.ladder import default_ladder
from studio.golive.encoding import CanvasEncoding
from studio.golive.whip_output import WhipOutput


class FakeLadder:
    is_running = True

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.paused: set[str] = set()

    def pause(self, rid):
        self.calls.append(("pause", rid))
        self.paused.add(rid)

    def resume(self, rid):
        self.calls.append(("resume", rid))
        self.paused.discard(rid)

    def request_keyframe(self, rid=None):
        self.calls.append(("keyframe", rid))

    def is_active(self, rid):
        return rid not in self.paused


def _packet(rid: str, is_keyframe: bool) -> EncodedPacket:
    return EncodedPacket(data=b"\x00\x00\x00\x01", pts=0, dts=0, time_base=Fraction(1, 90_000), is_keyframe=is_keyframe,
                         rid=rid, width=640, height=360, codec="h264", encoder_name="fake")


def _whip_on_fake_encoding():
    encoding = CanvasEncoding(SimpleNamespace(width=640, height=360, fps=30), default_ladder(640, 360, 30))
    encoding.ladder = FakeLadder()
    whip = WhipOutput(encoding, "http://198.18.0.1/whip")
    sent: list[EncodedPacket] = []
    whip.publisher = SimpleNamespace(on_packet=sent.append)
    for rid in whip.rids:
        encoding.add_consumer(rid, whip.on_packet)
    return encoding, whip, sent


def test_an_unshared_layer_is_paused_in_the_encoder():
    encoding, whip, _sent = _whip_on_fake_encoding()
    whip.pause_layer("m")
    whip.resume_layer("m")
    assert encoding.ladder.calls == [("pause", "m"), ("resume", "m")]


def test_a_shared_layer_keeps_encoding_and_whip_resumes_on_a_keyframe():
    encoding, whip, sent = _whip_on_fake_encoding()
    rtmp: list[EncodedPacket] = []
    encoding.add_consumer("h", rtmp.append)
    whip.pause_layer("h")
    assert ("pause", "h") not in encoding.ladder.calls
    encoding.dispatch(_packet("h", True))
    encoding.dispatch(_packet("h", False))
    assert len(rtmp) == 2 and sent == []  # the other output still gets every packet
    whip.resume_layer("h")
    assert ("keyframe", "h") in encoding.ladder.calls
    encoding.dispatch(_packet("h", False))  # not a keyframe: WHIP still waits
    encoding.dispatch(_packet("h", True))
    encoding.dispatch(_packet("h", False))
    assert [p.is_keyframe for p in sent] == [True, False]
    assert len(rtmp) == 5


def test_a_layer_whip_paused_resumes_in_the_encoder_when_another_output_starts_taking_it():
    encoding, whip, sent = _whip_on_fake_encoding()
    whip.pause_layer("h")  # unshared: the encoder pauses
    assert not encoding.ladder.is_active("h")
    rtmp: list[EncodedPacket] = []
    encoding.add_consumer("h", rtmp.append)
    whip.layer_shared("h")
    assert encoding.ladder.is_active("h")
    encoding.dispatch(_packet("h", True))
    assert len(rtmp) == 1 and sent == []  # WHIP's copy stays held back until WHIP resumes


def test_one_consumer_failing_never_stops_the_others():
    encoding = CanvasEncoding(SimpleNamespace(width=640, height=360, fps=30), default_ladder(640, 360, 30))
    got: list[EncodedPacket] = []

    def broken(_packet):
        raise RuntimeError("boom")

    encoding.add_consumer("l", broken)
    encoding.add_consumer("l", got.append)
    encoding.dispatch(_packet("l", True))
    assert len(got) == 1
    encoding.remove_consumer("l", broken)
    assert encoding.consumer_count("l") == 1
