"""Publishing for real: test pattern → compositor → x264 ladder → WhipPublisher → Janus.

The SFU stack (Janus VideoRoom + simple-whip-server in a network namespace) comes from the
fixtures of tests/sfu.  aiortc must run in a thread inside the namespace: the publisher's
network thread is created by whichever thread calls ``start()``, so tests call it through
``call_in_netns``.  A subscriber through Janus (aiortc) decodes the substreams.

Timings are measured and printed, not asserted tightly (2-core CI box).
"""
from __future__ import annotations

import statistics
import time

import pytest

from encoders.ladder import LayerSpec
from studio.audio.inputs import ToneInput
from studio.audio.mixer import AudioMixer
from studio.compositor import Compositor, LayerPlan
from studio.outputs.publisher import FAILED, LIVE, STOPPED, WhipPublisher
from studio.golive.session import LiveSession
from studio.outputs.errors import StopReason
from studio.sources.testpattern import TestPatternSource
from studio.timecode import latency_ms, read_strip
from bench.testbed.harness import JanusSubscriber, call_in_netns
from tests.helpers import wait_until
from tests.studio.outputs.whip_test_server import ThreadedWhipTestServer, answer_for_offer

FPS = 30


def three_layers(width: int, height: int) -> list[LayerSpec]:
    return [
        LayerSpec("h", width, height, 1_500_000 if width <= 640 else 3_000_000, FPS),
        LayerSpec("m", width // 2, height // 2, 500_000 if width <= 640 else 1_000_000, FPS),
        LayerSpec("l", width // 4, height // 4, 150_000 if width <= 640 else 300_000, FPS),
    ]


class Program:
    """A running test pattern (time-code strip on) composited at ``width``×``height``, and a
    mixer playing a tone."""

    def __init__(self, width: int, height: int, has_audio: bool = True) -> None:
        self.source = TestPatternSource("tp", "Test pattern", {"width": width, "height": height, "fps": FPS})
        self.compositor = Compositor(width, height, FPS, {"tp": self.source}.get)
        self.compositor.set_plan([LayerPlan("item", "tp", 0, 0, width, height)])
        self.mixer = AudioMixer() if has_audio else None
        if self.mixer is not None:
            self.mixer.add_input(ToneInput("tone", "Tone", frequency_hz=440.0))

    def start(self) -> "Program":
        self.source.start()
        self.compositor.start()
        if self.mixer is not None:
            self.mixer.start()
        return self

    def stop(self) -> None:
        if self.mixer is not None:
            self.mixer.stop()
        self.compositor.stop()
        self.source.stop()


@pytest.fixture
def program_360p():
    program = Program(640, 360).start()
    yield program
    program.stop()


def start_in_namespace(sfu, session) -> None:  # noqa: F811 - sfu is the fixture value
    call_in_netns(sfu.client_ns, session.start, timeout=30)


def substream_sizes(sub: JanusSubscriber, layers: list[LayerSpec], order=(0, 2, 1)) -> dict[int, tuple[int, int]]:
    by_substream = {2: layers[0], 1: layers[1], 0: layers[2]}
    seen = {}
    for substream in order:
        layer = by_substream[substream]
        sub.select_substream(substream)
        frame = sub.wait_for_size(layer.width, layer.height, timeout=15)
        seen[substream] = (frame.width, frame.height)
    return seen


def strip_latencies(frames) -> list[int]:
    values = []
    for frame in frames:
        stamped = read_strip(frame.image)
        if stamped is not None:
            value = latency_ms(frame.recv_ms, stamped)
            if value < 10_000:
                values.append(value)
    return values


# ----------------------------------------------------------------------------------------------
def test_three_layers_through_janus_with_audio_keyframe_requests_latency_and_delete(
    sfu, whip_endpoint, program_360p, capsys  # noqa: F811
):
    endpoint_id, url = whip_endpoint
    layers = three_layers(640, 360)
    session = LiveSession((program_360p.compositor, program_360p.mixer), url, None, layers, "h264", "libx264")
    states: list[str] = []
    session.on_state.connect(lambda state, failure=None: states.append(state))
    start_in_namespace(sfu, session)
    try:
        assert session.wait_live(25), f"state {session.state}: {session.failure}"
        publisher = session.publisher
        assert publisher.accepted_rids == ["h", "m", "l"]
        assert publisher.published_rids == ["h", "m", "l"]
        # Janus lists a participant as a publisher once its own side of the PeerConnection is
        # up ("webrtcup"), which can come a moment after ours.
        assert wait_until(lambda: [p["display"] for p in sfu.janus.publishers()] == [endpoint_id], 5), \
            sfu.janus.list_participants()

        with JanusSubscriber(sfu.janus, display=endpoint_id, keep_images=True) as sub:
            sub.wait_frames(3, timeout=15)
            before = {rid: session.ladder.layer_stats(rid).keyframe_requests for rid in "hml"}
            seen = substream_sizes(sub, layers)
            assert seen == {0: (160, 90), 1: (320, 180), 2: (640, 360)}

            # Glass-to-glass through Janus at the top layer: the time-code strip in what the
            # subscriber decoded, against the wall clock when aiortc handed the frame over.
            # First as stamped by the test pattern at capture, then as stamped by the
            # compositor's latency probe at the program tick (the publisher's capture time):
            # the difference is the source→program phase (0–33 ms), not the publisher's.
            sub.select_substream(2)
            sub.wait_for_size(640, 360, timeout=10)
            sub.drain()
            frames = sub.wait_frames(45, timeout=20)
            latencies = strip_latencies(frames)
            assert len(latencies) >= 20, f"time code read in {len(latencies)} of {len(frames)} frames"
            program_360p.compositor.is_latency_probe_on = True
            time.sleep(0.2)
            sub.drain()
            program_latencies = strip_latencies(sub.wait_frames(45, timeout=20))
            program_360p.compositor.is_latency_probe_on = False
            assert len(program_latencies) >= 20
            assert wait_until(lambda: sub.audio_frames >= 25, 10), f"audio frames: {sub.audio_frames}"
            audio_frames = sub.audio_frames

        # Switching substreams made Janus send PLIs; each reached its layer's encoder.
        plis = {layer["rid"]: layer["keyframe_requests"] for layer in publisher.stats()["layers"]}
        after = {rid: session.ladder.layer_stats(rid).keyframe_requests for rid in "hml"}
        assert sum(plis.values()) >= 1, plis
        assert all(after[rid] - before[rid] >= 1 for rid in plis if plis[rid]), (before, after, plis)
        assert sum(publisher.keyframe_requests.values()) >= sum(plis.values())

        stats = session.stats()
        assert stats["state"] == LIVE
        assert [layer["rid"] for layer in stats["layers"]] == ["h", "m", "l"]
        assert all(layer["active"] for layer in stats["layers"]), stats["layers"]
        assert [(layer["width"], layer["height"]) for layer in stats["layers"]] == [(640, 360), (320, 180), (160, 90)]
        assert all(layer["bitrate_bps"] and layer["keyframes"] >= 1 for layer in stats["layers"])
        assert stats["encoder"] == "libx264"
        # The congestion estimator's figure; on this clean link nothing was paused.
        assert stats["available_bitrate_bps"] == stats["congestion"]["estimate_bps"] > 0
        assert [layer["state"] for layer in stats["congestion"]["layers"]] == ["active"] * 3
        assert not [d for d in stats["congestion"]["decisions"] if d["kind"] == "pause"]
        print("congestion:", {k: v for k, v in stats["congestion"].items() if k not in ("layers", "decisions")})
        # Janus answered the offered transport-cc extension and its feedback reached the estimator.
        assert stats["congestion"]["transport_cc"] and stats["congestion"]["transport_feedbacks"] > 0
        assert stats["congestion"]["delay_source"] == "transport-cc"
        assert stats["audio"]["packets_sent"] > 0
        with capsys.disabled():
            p50 = statistics.median(latencies)
            p95 = sorted(latencies)[int(len(latencies) * 0.95) - 1]
            print(
                f"\n[janus 640x360 h/m/l] glass-to-glass at the subscriber's decoder: p50 {p50:.0f} ms, "
                f"p95 {p95} ms over {len(latencies)} frames (source stamp); program stamp → decoded p50 "
                f"{statistics.median(program_latencies):.0f} ms; audio frames {audio_frames}; PLIs per layer {plis}; "
                f"rtt {stats['rtt_ms']} ms; layers "
                + ", ".join(
                    f"{l['rid']} {l['bitrate_bps'] // 1000} kbit/s {l['fps']} fps capture→sent {l['capture_to_send_ms_p50']} ms"
                    for l in stats["layers"]
                )
            )
    finally:
        started = time.monotonic()
        session.stop()
        stop_s = time.monotonic() - started
    assert stop_s < 6, f"stop took {stop_s:.1f} s"
    assert session.state == STOPPED
    assert states[0] == "connecting" and LIVE in states and states[-1] == STOPPED
    # The DELETE removed the publisher from the room.
    assert wait_until(lambda: not sfu.janus.publishers(), 5), sfu.janus.list_participants()


def test_answer_accepting_only_h_and_m_publishes_two_layers(sfu, whip_endpoint, program_360p):  # noqa: F811
    """The server may accept fewer layers than offered: publish exactly those, don't fail."""
    from studio.outputs.sdp import parse_answer
    from studio.outputs.whip import WhipClient

    class TwoLayerClient(WhipClient):
        async def publish(self, offer_sdp):
            resource = await super().publish(offer_sdp)
            lines = [line for line in resource.answer_sdp.split("\r\n") if line != "a=rid:l recv"]
            answer = "\r\n".join(line if not line.startswith("a=simulcast:") else "a=simulcast:recv h;m" for line in lines)
            resource.answer_sdp = answer
            resource.answer = parse_answer(answer)
            return resource

    endpoint_id, url = whip_endpoint
    layers = three_layers(640, 360)
    session = LiveSession(
        (program_360p.compositor, None), url, None, layers, "h264", "libx264",
        client_factory=lambda u, t, timeout_s: TwoLayerClient(u, t, timeout_s=timeout_s),
    )
    notices: list[str] = []
    session.notices.connect(lambda code, message: notices.append(code))
    start_in_namespace(sfu, session)
    try:
        assert session.wait_live(25), f"state {session.state}: {session.failure}"
        publisher = session.publisher
        assert publisher.accepted_rids == ["h", "m"]
        assert publisher.published_rids == ["h", "m"]
        assert "layers_reduced" in notices
        assert wait_until(lambda: not session.ladder.is_active("l"), 5)  # not encoded for nobody
        with JanusSubscriber(sfu.janus, display=endpoint_id) as sub:
            sub.wait_frames(3, timeout=15)
            for substream, size in ((2, (640, 360)), (1, (320, 180))):
                sub.select_substream(substream)
                frame = sub.wait_for_size(*size, timeout=15)
                assert (frame.width, frame.height) == size
        stats = session.stats()
        assert [layer["active"] for layer in stats["layers"]] == [True, True, False]
        assert stats["state"] == LIVE and session.failure is None
    finally:
        session.stop()
    assert wait_until(lambda: not sfu.janus.publishers(), 5), sfu.janus.list_participants()


@pytest.mark.parametrize(("codec", "encoder", "simulcast"), [("vp8", "libvpx", "rid"), ("h264", "libx264", "ssrc")])
def test_vp8_and_ssrc_group_simulcast_also_reach_every_substream(
    sfu, whip_endpoint, program_360p, codec, encoder, simulcast  # noqa: F811
):
    endpoint_id, url = whip_endpoint
    layers = three_layers(640, 360)
    session = LiveSession((program_360p.compositor, None), url, None, layers, codec, encoder, simulcast=simulcast)
    start_in_namespace(sfu, session)
    try:
        assert session.wait_live(25), f"state {session.state}: {session.failure}"
        assert session.publisher.negotiated_codec["mimeType"].lower() == f"video/{codec}"
        assert session.publisher.published_rids == ["h", "m", "l"]
        with JanusSubscriber(sfu.janus, display=endpoint_id) as sub:
            sub.wait_frames(3, timeout=15)
            assert substream_sizes(sub, layers) == {0: (160, 90), 1: (320, 180), 2: (640, 360)}
    finally:
        session.stop()
    assert wait_until(lambda: not sfu.janus.publishers(), 5), sfu.janus.list_participants()


def test_1080p_publishes_through_the_level_4_codec_entry(sfu, whip_endpoint):  # noqa: F811
    """1080p needs H.264 level ≥ 4.0: negotiated, sent, and decoded at full size."""
    endpoint_id, url = whip_endpoint
    program = Program(1920, 1080, has_audio=False).start()
    layers = [
        LayerSpec("h", 1920, 1080, 4_000_000, FPS),
        LayerSpec("m", 960, 540, 1_200_000, FPS),
        LayerSpec("l", 480, 270, 300_000, FPS),
    ]
    session = LiveSession((program.compositor, None), url, None, layers, "h264", "libx264")
    try:
        start_in_namespace(sfu, session)
        assert session.wait_live(25), f"state {session.state}: {session.failure}"
        codec = session.publisher.negotiated_codec
        assert codec["mimeType"] == "video/H264"
        level_idc = int(str(codec["parameters"]["profile-level-id"])[4:6], 16)
        assert level_idc >= 40, codec
        with JanusSubscriber(sfu.janus, display=endpoint_id) as sub:
            sub.select_substream(2)
            frame = sub.wait_for_size(1920, 1080, timeout=20)
            assert (frame.width, frame.height) == (1920, 1080)
    finally:
        session.stop()
        program.stop()
    assert wait_until(lambda: not sfu.janus.publishers(), 5), sfu.janus.list_participants()


def test_reconnects_when_the_server_drops_the_session(sfu, whip_endpoint, program_360p):  # noqa: F811
    """The endpoint goes away while live (Janus hangs up): reconnecting, then live again with
    a fresh WHIP session once the endpoint is back; the encoders restart on a keyframe."""
    endpoint_id, url = whip_endpoint
    layers = three_layers(640, 360)
    session = LiveSession((program_360p.compositor, None), url, None, layers, "h264", "libx264")
    states: list[str] = []
    session.on_state.connect(lambda state, failure=None: states.append(state))
    start_in_namespace(sfu, session)
    try:
        assert session.wait_live(25), f"state {session.state}: {session.failure}"
        sfu.whip.destroy_endpoint(endpoint_id)
        assert session.publisher.wait_for_state("reconnecting", "failed", timeout=20), session.state
        assert session.state == "reconnecting"
        sfu.whip.create_endpoint(endpoint_id)  # back within the first back-off (1 s)
        assert session.publisher.wait_for_state(LIVE, FAILED, timeout=25)
        assert session.state == LIVE, session.failure
        assert session.publisher.sessions == 2 and session.publisher.reconnects == 1
        with JanusSubscriber(sfu.janus, display=endpoint_id) as sub:
            sub.select_substream(2)
            sub.wait_for_size(640, 360, timeout=15)
    finally:
        session.stop()
    assert states[:4] == ["connecting", LIVE, "reconnecting", LIVE] and states[-1] == STOPPED, states
    assert wait_until(lambda: not sfu.janus.publishers(), 5), sfu.janus.list_participants()


# ----------------------------------------------------------------------------------------------
# Failures, without a media server: the WHIP test endpoint answers but nothing connects.
def test_ice_failure_is_reported_in_words_and_the_session_is_deleted():
    server = ThreadedWhipTestServer(token="tok").start_in_thread()
    try:
        publisher = WhipPublisher(
            server.endpoint_url, "tok", layers=three_layers(640, 360), ice_timeout_s=1.5, reconnect_attempts=0
        )
        started = time.monotonic()
        publisher.start()
        assert publisher.wait_for_state(FAILED, timeout=15), publisher.state
        assert publisher.failure.reason is StopReason.ICE_FAILED
        assert "ICE" in str(publisher.failure)
        publisher.stop()
        assert time.monotonic() - started < 10
        assert len(server.requests_of("DELETE")) == 1
        assert not server.sessions
        assert publisher.state == FAILED
    finally:
        server.stop_thread()


def test_stop_finishes_quickly_while_connecting_even_when_the_server_is_gone():
    server = ThreadedWhipTestServer(token=None).start_in_thread()
    publisher = WhipPublisher(server.endpoint_url, layers=three_layers(640, 360), ice_timeout_s=30)
    try:
        publisher.start()
        assert wait_until(lambda: server.requests_of("POST"), 10)
        time.sleep(0.2)
    finally:
        server.stop_thread()  # the server vanishes: DELETE cannot reach it
    started = time.monotonic()
    publisher.stop()
    assert time.monotonic() - started < 6
    assert publisher.state == STOPPED
    assert not publisher.is_running


def test_bad_token_fails_before_any_media_and_never_shows_the_token(caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    token = "wrong-Secret-t0ken"
    server = ThreadedWhipTestServer(token="right").start_in_thread()
    try:
        publisher = WhipPublisher(server.endpoint_url, token, layers=three_layers(640, 360))
        publisher.start()
        assert publisher.wait_for_state(FAILED, timeout=10)
        publisher.stop()
        assert publisher.failure.reason is StopReason.BAD_TOKEN
        assert str(publisher.failure) == "WHIP server refused the token (401)"
        assert server.requests_of("POST")[0].headers["Authorization"] == f"Bearer {token}"
    finally:
        server.stop_thread()
    assert token not in caplog.text
    assert token not in repr(publisher) and token not in str(publisher.stats())


def test_answer_without_simulcast_sends_one_layer_and_says_so():
    server = ThreadedWhipTestServer(token=None).start_in_thread()
    server.answer_sdp = lambda offer: "\r\n".join(
        line for line in answer_for_offer(offer).split("\r\n") if not line.startswith(("a=rid:", "a=simulcast:"))
    )
    notices: list[tuple[str, str]] = []
    publisher = WhipPublisher(server.endpoint_url, layers=three_layers(640, 360), ice_timeout_s=30)
    publisher.notices.connect(lambda code, message: notices.append((code, message)))
    try:
        publisher.start()
        assert wait_until(lambda: publisher.published_rids, 10)
        assert publisher.accepted_rids is None
        assert publisher.published_rids == ["h"]
        assert notices and notices[0][0] == "simulcast_refused" and "(h)" in notices[0][1]
        assert publisher.state == "connecting" and publisher.failure is None
    finally:
        publisher.stop()
        server.stop_thread()
    assert publisher.state == STOPPED
