"""RTMP/RTMPS destinations against a real nginx-rtmp, pulled back with PyAV.

The pipeline is the real one: test-pattern frames → the encoder ladder (x264, one layer) →
``RtmpOutput.on_video_packet``; a tone → the audio mixer → one ``MixerAacSource`` →
``RtmpOutput.on_audio_packet`` of every destination.  The server is nginx with Debian's RTMP
module accepting only configured keys (``bench.testbed.rtmp_server``, installed by
``tools/setup_rtmp.sh``); missing binaries fail the tests with the setup hint.
"""
from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import time

import av
import numpy as np
import pytest

from bench.testbed.rtmp_server import SETUP_HINT, RtmpServer, free_port, missing_parts
from encoders.ladder import Ladder, LayerSpec
from studio.audio import AudioMixer, ToneInput
from studio.core.clock import NS_PER_S, now_ns
from studio.core.frame import VideoFrame
from studio.outputs.aac import MixerAacSource
from studio.outputs.reconnect import Backoff
from studio.outputs.rtmp import RtmpOutput
from studio.outputs.rtmp_errors import RtmpFailure
from studio.outputs.state import OutputState
from tests.helpers import wait_until

WIDTH, HEIGHT, FPS = 640, 360, 30
KEY = "show-key-7f3a9c"
OTHER_KEY = "second-key-52b1e8"
WRONG_KEY = "wrong-key-d41d8c"


@pytest.fixture(scope="module", autouse=True)
def rtmp_test_bed_installed():
    missing = missing_parts()
    if missing:
        pytest.fail(f"RTMP test bed missing {', '.join(missing)}: {SETUP_HINT}", pytrace=False)


@pytest.fixture(scope="module")
def tls_server():
    with RtmpServer(keys=[KEY, OTHER_KEY], tls=True) as server:
        yield server


def quick_backoff() -> Backoff:
    return Backoff(0.2, 1.0)


class Show:
    """Frames and sound through the real encoders into any number of RTMP outputs."""

    def __init__(self, width: int = WIDTH, height: int = HEIGHT, fps: int = FPS) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.outputs: list[RtmpOutput] = []
        self.ladder = Ladder([LayerSpec("h", width, height, 800_000, fps)], encoder="libx264", on_packet=self._on_packet)
        self.mixer = AudioMixer()
        self.mixer.add_input(ToneInput("tone", "Tone", frequency_hz=440.0))
        self.aac = MixerAacSource(self.mixer)
        rng = np.random.default_rng(3)
        ys, xs = np.mgrid[0:height, 0:width]
        self._images = []
        for index in range(fps):
            image = np.empty((height, width, 3), np.uint8)
            image[..., 0] = (xs * 255 // width + index * 8) % 256
            image[..., 1] = (ys * 255 // height + index * 4) % 256
            image[..., 2] = rng.integers(0, 40, (height, width), dtype=np.uint8)
            box = height // 4
            x = index * (width - box) // fps
            image[height // 3:height // 3 + box, x:x + box] = 255
            self._images.append(image)
        self._stop = threading.Event()
        self._feeder: threading.Thread | None = None

    def output(self, url: str, **kwargs) -> RtmpOutput:
        kwargs.setdefault("backoff", quick_backoff())
        output = RtmpOutput(url, width=self.width, height=self.height, fps=self.fps, has_audio=True,
                            on_keyframe_request=lambda: self.ladder.request_keyframe("h"), **kwargs)
        self.outputs.append(output)
        self.aac.subscribe(output.on_audio_packet)
        output.start()
        return output

    def _on_packet(self, packet) -> None:
        for output in list(self.outputs):
            output.on_video_packet(packet)

    def _feed(self) -> None:
        interval_ns = NS_PER_S // self.fps
        next_ns = now_ns()
        sequence = 0
        while not self._stop.is_set():
            self.ladder.submit(VideoFrame(self._images[sequence % self.fps], now_ns(), sequence))
            sequence += 1
            next_ns += interval_ns
            delay_s = (next_ns - now_ns()) / NS_PER_S
            if delay_s > 0:
                self._stop.wait(delay_s)

    def __enter__(self) -> "Show":
        self.ladder.start()
        self.mixer.start()
        self.aac.start()
        self._feeder = threading.Thread(target=self._feed, name="test-show-frames", daemon=True)
        self._feeder.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for output in self.outputs:
            output.stop()
        self._stop.set()
        if self._feeder is not None:
            self._feeder.join(5)
        self.aac.stop()
        self.mixer.stop()
        self.ladder.stop()


def assert_viewer_sees_the_show(report, *, min_seconds: float) -> None:
    assert report.error is None, report.as_dict()
    assert report.video_codec == "h264", report.as_dict()
    assert (report.width, report.height) == (WIDTH, HEIGHT), report.as_dict()
    assert report.video_span_s >= min_seconds - 0.1, report.as_dict()
    assert report.fps is not None and report.fps >= 29.0, report.as_dict()
    assert report.decoded_frames == report.video_frames, report.as_dict()  # starts decodable
    assert report.audio_codec == "aac" and report.audio_profile == "LC", report.as_dict()
    assert (report.sample_rate, report.channels) == (48_000, 2), report.as_dict()
    assert report.audio_packets >= min_seconds * 46 * 0.9, report.as_dict()  # 46.9 AAC frames/s
    assert abs(report.av_offset_s) < 0.25, report.as_dict()


def assert_key_absent(key: str, *texts: object) -> None:
    for text in texts:
        assert key not in str(text), text


def test_publishes_h264_and_aac_a_viewer_can_pull_while_a_refused_destination_fails_alone(tls_server, caplog):
    caplog.set_level(logging.DEBUG)
    nothing_listens = free_port()
    with Show() as show:
        good = show.output(tls_server.url(KEY), name="Shop")
        refused = show.output(tls_server.url(WRONG_KEY))
        unreachable = show.output(f"rtmp://127.0.0.1:{nothing_listens}/live/{OTHER_KEY}")
        assert good.wait_live(10), good.stats()
        assert refused.wait_state(OutputState.FAILED, timeout_s=10), refused.stats()
        report = tls_server.pull(KEY, duration_s=4.5)
        assert_viewer_sees_the_show(report, min_seconds=4.5)
        assert report.max_keyframe_interval_s is not None and report.max_keyframe_interval_s <= 2.05, report.as_dict()
        assert report.keyframes >= 2
        stats = good.stats()
        assert stats["state"] == "live" and stats["error"] is None
        assert 29 <= stats["fps"] <= 31.5, stats
        assert 300_000 < stats["bitrate_bps"] < 3_000_000, stats
        assert stats["url"] == f"rtmp://127.0.0.1:{tls_server.port}/live/****"
        # The destination nobody answers keeps trying, saying why; the others never noticed it.
        assert wait_until(lambda: unreachable.stats()["reconnect_attempt"] >= 2, 5), unreachable.stats()
        down = unreachable.stats()
        assert down["state"] == "connecting"
        assert down["error"] == f"Cannot reach the RTMP server 127.0.0.1:{nothing_listens} (connection refused)"
        assert good.state is OutputState.LIVE
        assert good.reconnects == 0
    # The refused key: failed, in words, never retried.
    assert refused.state is OutputState.FAILED
    assert refused.failure_reason is RtmpFailure.REFUSED
    assert "refused the stream key" in refused.failure
    assert refused.stats()["connects"] == 1
    assert (WRONG_KEY, 403) in tls_server.publish_checks
    assert good.state is OutputState.STOPPED and unreachable.state is OutputState.STOPPED
    everything = [output.stats() for output in (good, refused, unreachable)]
    assert_key_absent(WRONG_KEY, refused.failure, refused.error, repr(refused), json.dumps(everything))
    assert_key_absent(KEY, json.dumps(everything), repr(good))
    assert_key_absent(OTHER_KEY, json.dumps(everything), unreachable.error, repr(unreachable))
    for record in caplog.records:
        for key in (KEY, WRONG_KEY, OTHER_KEY):
            assert key not in record.getMessage(), record.getMessage()


def test_server_killed_and_restarted_mid_show_reconnects_by_itself():
    states: list[str] = []
    with RtmpServer(keys=[KEY]) as server, Show() as show:
        output = show.output(server.url(KEY), on_state=lambda state, failure: states.append(str(state)))
        assert output.wait_live(10), output.stats()
        assert wait_until(lambda: output.stats()["video_packets"] > 30, 5)
        server.kill()
        assert output.wait_state(OutputState.RECONNECTING, timeout_s=10), output.stats()
        assert wait_until(lambda: output.stats()["error"] is not None
                          and "Cannot reach the RTMP server" in output.stats()["error"], 5), output.stats()
        time.sleep(1.0)  # an outage of a moment, retried with back-off meanwhile
        server.restart()
        assert output.wait_live(10), output.stats()
        stats = output.stats()
        assert stats["reconnects"] == 1 and stats["error"] is None, stats
        assert output.keyframe_requests >= 2  # each connection asked for a keyframe to start on
        report = server.pull(KEY, duration_s=2.5)
        assert_viewer_sees_the_show(report, min_seconds=2.5)
    assert states[:2] == ["connecting", "live"]
    assert "reconnecting" in states and states[-2:] == ["live", "stopped"]


def test_rtmps_with_the_test_ca_publishes(tls_server):
    with Show() as show:
        output = show.output(tls_server.url(OTHER_KEY, tls=True), ca_file=tls_server.ca_file)
        assert output.wait_live(10), output.stats()
        report = tls_server.pull(OTHER_KEY, duration_s=2.5)
        assert_viewer_sees_the_show(report, min_seconds=2.5)
        stats = output.stats()
        assert stats["is_tls"] and stats["url"].startswith("rtmps://localhost:") and stats["url"].endswith("/live/****")


@pytest.mark.parametrize(("certificate", "why"), [
    ("self_signed", "self-signed certificate"),
    ("wrong_name", "Hostname mismatch"),
])
def test_rtmps_certificate_that_does_not_verify_is_refused_in_words(tls_server, certificate, why):
    with Show() as show:
        output = show.output(tls_server.url(OTHER_KEY, tls=True, certificate=certificate), ca_file=tls_server.ca_file)
        assert output.wait_state(OutputState.FAILED, timeout_s=10), output.stats()
        time.sleep(0.5)  # it must not try again
    assert output.failure_reason is RtmpFailure.CERTIFICATE
    assert output.failure.startswith("The server's certificate could not be verified for localhost"), output.failure
    assert why in output.failure
    assert output.stats()["connects"] == 1 and output.stats()["video_packets"] == 0
    assert_key_absent(OTHER_KEY, output.failure, json.dumps(output.stats()))


def test_rtmps_verifies_against_the_system_store_by_default(tls_server):
    """The test CA is not in the system store: without ``ca_file`` a valid test certificate is refused."""
    with Show() as show:
        output = show.output(tls_server.url(OTHER_KEY, tls=True))
        assert output.wait_state(OutputState.FAILED, timeout_s=10), output.stats()
    assert output.failure_reason is RtmpFailure.CERTIFICATE
    assert "unable to get local issuer certificate" in output.failure


def test_ffmpeg_rtmps_alone_would_accept_a_certificate_that_does_not_verify(tls_server):
    """Why RTMPS goes through our own socket: FFmpeg's rtmps (as PyAV opens it) never verifies."""
    packets = []
    ladder = Ladder([LayerSpec("h", 320, 180, 300_000, FPS)], encoder="libx264", on_packet=packets.append)
    ladder.start()
    try:
        ladder.submit(VideoFrame(np.zeros((180, 320, 3), np.uint8), now_ns(), 0))
        assert ladder.drain(5) and packets and packets[0].is_keyframe
    finally:
        ladder.stop()
    url = tls_server.url(OTHER_KEY, tls=True, certificate="self_signed")
    with av.open(url, mode="w", format="flv", options={"flvflags": "no_duration_filesize"}) as container:
        stream = container.add_mux_stream("h264", width=320, height=180)
        packet = packets[0].to_av_packet()
        packet.stream = stream
        packet.time_base = stream.time_base = packets[0].time_base
        container.mux(packet)  # handshake, publish and header write all succeed: nothing was verified
    assert (OTHER_KEY, 200) in tls_server.publish_checks


def test_a_server_that_never_answers_is_retried_in_words_and_stop_does_not_wait_for_it():
    silent = socket.socket()  # accepts TCP connections (the kernel does) and never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    try:
        output = RtmpOutput(f"rtmp://127.0.0.1:{port}/live/{KEY}", width=WIDTH, height=HEIGHT, fps=FPS, has_audio=False,
                            backoff=quick_backoff(), connect_timeout_s=0.5)
        output.start()
        assert wait_until(lambda: output.stats()["reconnect_attempt"] >= 1, 5), output.stats()
        assert output.state is OutputState.CONNECTING
        assert output.error == "The RTMP server 127.0.0.1 did not answer within 0.5 s"
        output.connect_timeout_s = 30.0  # the next attempt would wait long: stop must not
        assert wait_until(lambda: output._publisher is not None, 5)
        started = time.monotonic()
        output.stop()
        assert time.monotonic() - started < 1.0
        assert output.state is OutputState.STOPPED
    finally:
        silent.close()


def test_pyav_opening_rtmp_itself_would_freeze_every_python_thread():
    """Why the RTMP connection is ours: PyAV's ``avio_open`` (inside ``start_encoding``) holds
    the GIL for the whole connect + handshake.  A server that keeps the handshake waiting 1 s
    stops a 10 ms ticker thread for that second.  (If PyAV ever releases it, this fails and
    the design can be revisited.)"""
    server = subprocess.Popen([sys.executable, "-c", (
        "import socket, time\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)\n"
        "print(s.getsockname()[1], flush=True)\n"
        "c, _ = s.accept(); time.sleep(1.0); c.close()\n")], stdout=subprocess.PIPE, text=True)
    gaps: list[float] = []
    stop = threading.Event()

    def tick() -> None:
        last = time.monotonic()
        while not stop.is_set():
            time.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = threading.Thread(target=tick, name="test-gil-ticker")
    try:
        port = int(server.stdout.readline())
        ticker.start()
        time.sleep(0.1)
        with pytest.raises((av.FFmpegError, OSError)):
            container = av.open(f"rtmp://127.0.0.1:{port}/live/{KEY}", mode="w", format="flv")
            container.add_mux_stream("h264", width=320, height=180)
            container.start_encoding()
    finally:
        stop.set()
        if ticker.is_alive():
            ticker.join(5)
        server.wait(5)
    assert max(gaps) > 0.8, max(gaps)
