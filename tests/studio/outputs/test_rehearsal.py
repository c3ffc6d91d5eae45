"""The built-in rehearsal receiver, with real aiortc publishers on this machine.

Everything network-facing runs in a private network namespace that has nothing but ``lo``: the
receiver and the publishers only connect because both opt into loopback ICE candidates
(:func:`loopback_candidates`) — the "rehearse with no network" case.  Where network namespaces are
unavailable (not root), the same tests run in the host namespace.
"""
from __future__ import annotations

import asyncio
import fractions
import itertools
import os
import shutil
import socket
import subprocess
import threading
import time
from typing import Any, Callable

import av
import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import AudioStreamTrack
from av import AudioFrame, VideoFrame

from studio.outputs.aiortc_adapter.receive import loopback_candidates
from studio.outputs.rehearsal import RehearsalError, RehearsalReceiver
from studio.sources.testpattern import make_background
from studio.timecode import draw_strip
from bench.testbed import harness
from bench.testbed import publisher as prototype
from bench.testbed.publisher import ColourTrack, WhipSession, whip_publish, whip_publish_simulcast

# Three layers with different sizes and colours (RGB).
LAYERS = {"h": (640, 360, (200, 40, 90)), "m": (320, 180, (40, 200, 90)), "l": (160, 90, (40, 90, 200))}
_names = itertools.count(1)


# ---------------------------------------------------------------------------------------------
# Where the network parts run
# ---------------------------------------------------------------------------------------------
class _HostLoop:
    """Same interface as :class:`harness.NetnsLoop`, in the host namespace."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=f"rehearsal-test-loop-{next(_names)}", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.wait(pending, timeout=5))
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
            self.loop.close()

    def run(self, coro: Any, timeout: float | None = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


def _can_use_netns() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None


@pytest.fixture(scope="module")
def lo_only_netns():
    """A namespace with only ``lo`` up (no route anywhere), or None in the host namespace."""
    if not _can_use_netns():
        yield None
        return
    harness.cleanup_stale_namespaces()
    name = f"{harness.NETNS_PREFIX}{os.getpid()}-rehearsal"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True, capture_output=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


class Place:
    """Runs the receiver and publishers together (in the namespace when there is one)."""

    def __init__(self, netns: str | None) -> None:
        self.netns = netns
        self.loop = harness.NetnsLoop(netns, name=f"rehearsal-test-loop-{next(_names)}") if netns else _HostLoop()
        self.receivers: list[RehearsalReceiver] = []
        self.sessions: list[WhipSession] = []

    def receiver(self, **kwargs: Any) -> RehearsalReceiver:
        receiver = RehearsalReceiver(**kwargs)
        # The receiver's loop thread inherits the namespace of the thread that starts it.
        if self.netns:
            harness.call_in_netns(self.netns, receiver.start)
        else:
            receiver.start()
        self.receivers.append(receiver)
        return receiver

    def run(self, coro: Any, timeout: float = 30.0) -> Any:
        return self.loop.run(coro, timeout)

    def publish(self, publish_coro_fn: Callable[..., Any], *args: Any, **kwargs: Any) -> WhipSession:
        async def go() -> WhipSession:
            with loopback_candidates():  # the publisher side of the no-network rehearsal
                return await publish_coro_fn(*args, **kwargs)

        session = self.run(go())
        self.sessions.append(session)
        return session

    def request(self, method: str, url: str, **kwargs: Any) -> harness.HttpResponse:
        return self.run(harness.http_request(method, url, **kwargs))

    def close(self) -> None:
        for session in self.sessions:
            try:
                self.run(session.close(), timeout=10)
            except Exception:  # noqa: BLE001 - teardown keeps going
                pass
        for receiver in self.receivers:
            receiver.stop()
        self.loop.close()


@pytest.fixture
def place(lo_only_netns):
    place = Place(lo_only_netns)
    yield place
    place.close()


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def layers_by_rid(receiver: RehearsalReceiver) -> dict[str, dict]:
    return {layer["rid"]: layer for layer in receiver.stats()["layers"]}


def all_layers_decoding(receiver: RehearsalReceiver, rids: str, frames: int = 5) -> bool:
    layers = layers_by_rid(receiver)
    return all(layers.get(r, {}).get("frames_decoded", 0) >= frames for r in rids)


def colour_tracks() -> dict[str, VideoStreamTrack]:
    return {rid: ColourTrack(w, h, rgb) for rid, (w, h, rgb) in LAYERS.items()}


def assert_colour(image: np.ndarray, rgb: tuple[int, int, int]) -> None:
    centre = image[image.shape[0] // 2, image.shape[1] // 2].astype(int)
    expected = np.array(rgb[::-1])  # BGR
    assert np.abs(centre - expected).max() <= 16, f"centre {centre.tolist()} vs expected BGR {expected.tolist()}"


# ---------------------------------------------------------------------------------------------
# Test tracks
# ---------------------------------------------------------------------------------------------
class TimecodeTrack(VideoStreamTrack):
    """The test pattern's bars with the time-code strip stamped at capture (30 fps)."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self._background = make_background(width, height)

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        image = self._background.copy()
        draw_strip(image, int(time.time() * 1000))
        frame = VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


class ToneTrack(AudioStreamTrack):
    """A 440 Hz sine at ``amplitude`` (peak, full scale 1.0), 48 kHz stereo, paced in 20 ms frames."""

    SAMPLES = 960

    def __init__(self, amplitude: float = 0.1) -> None:
        super().__init__()
        self.amplitude = amplitude
        self._start: float | None = None
        self._sent = 0

    async def recv(self) -> AudioFrame:
        if self._start is None:
            self._start = time.time()
        else:
            self._sent += self.SAMPLES
            await asyncio.sleep(max(0.0, self._start + self._sent / 48000 - time.time()))
        t = (np.arange(self.SAMPLES) + self._sent) / 48000
        mono = (np.sin(2 * np.pi * 440 * t) * self.amplitude * 32767).astype(np.int16)
        frame = AudioFrame.from_ndarray(np.repeat(mono, 2)[None, :], format="s16", layout="stereo")
        frame.sample_rate = 48000
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, 48000)
        return frame


async def publish_simulcast_with_audio(url: str, layers: dict[str, VideoStreamTrack], audio: AudioStreamTrack,
                                       codec: str = "video/H264") -> WhipSession:
    """The prototype's rid simulcast (its SDP munging and rid stamping) plus an Opus track."""
    rids = list(layers)
    pc = RTCPeerConnection()
    pc.addTransceiver(audio, direction="sendonly")
    transceiver = pc.addTransceiver(layers[rids[0]], direction="sendonly")
    transceiver.setCodecPreferences(prototype._codecs(codec))
    main = transceiver.sender
    extra: list[RTCRtpSender] = []
    await pc.setLocalDescription(await pc.createOffer())
    offer, rid_ext_id = prototype._munge_simulcast(pc.localDescription.sdp, rids)
    original_send = main.send

    async def send_all_layers(parameters: Any) -> None:
        await original_send(parameters)
        main._RTCRtpSender__rtp_header_extensions_map = prototype._RidExtensionsMap(parameters, rids[0], rid_ext_id)
        for rid in rids[1:]:
            # Made only now: with audio first in the BUNDLE, the video transceiver's own transport
            # (the one the prototype uses) is replaced by the audio one when the answer arrives.
            sender = RTCRtpSender(layers[rid], main.transport)
            extra.append(sender)
            await sender.send(parameters)
            sender._RTCRtpSender__rtp_header_extensions_map = prototype._RidExtensionsMap(parameters, rid, rid_ext_id)

    main.send = send_all_layers  # type: ignore[method-assign]
    resp = await harness.http_request("POST", url, body=offer, headers={"Content-Type": "application/sdp"})
    if resp.status == 201:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=resp.text, type="answer"))
    return WhipSession(pc, resp, prototype._resource_url(url, resp), offer, extra)


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------
def test_three_simulcast_layers_decode_separately(place):
    receiver = place.receiver()
    assert receiver.url.startswith("http://127.0.0.1:") and receiver.url.endswith("/whip")
    changes: list[dict] = []
    receiver.on_change.connect(lambda receiver, stats: changes.append(stats))

    session = place.publish(whip_publish_simulcast, receiver.url, colour_tracks())
    response = session.response
    assert response.status == 201
    assert response.header("content-type", "").startswith("application/sdp")
    assert response.header("location", "").startswith("/whip/resource/")  # relative, RFC 9725
    assert response.header("etag")
    answer = response.text
    assert "a=simulcast:recv h;m;l" in answer
    for rid in "hml":
        assert f"a=rid:{rid} recv" in answer

    wait_for(lambda: all_layers_decoding(receiver, "hml", frames=10), what="three decoding layers")
    time.sleep(0.6)  # a couple of stats ticks for fps/bitrate
    stats = receiver.stats()
    assert stats["state"] == "live" and stats["session"]["simulcast"]
    assert stats["session"]["rids"] == ["h", "m", "l"]
    layers = layers_by_rid(receiver)
    assert receiver.layer_rids() == ["h", "m", "l"]
    for rid, (width, height, rgb) in LAYERS.items():
        layer = layers[rid]
        assert (layer["width"], layer["height"]) == (width, height), rid
        assert layer["codec"] == "H264" and layer["keyframes"] >= 1 and layer["decode_errors"] == 0
        assert 15 <= layer["fps"] <= 40, layer
        assert layer["bitrate_bps"] and layer["bitrate_bps"] > 0
        assert_colour(receiver.last_frame(rid), rgb)
    assert len({layers[r]["ssrc"] for r in "hml"}) == 3
    # Signal: a few per second at most, and it carries the layers.
    assert changes and changes[-1]["layers"]
    started = len(changes)
    time.sleep(1.0)
    assert 1 <= len(changes) - started <= 6


def test_vp8_simulcast(place):
    receiver = place.receiver()
    place.publish(whip_publish_simulcast, receiver.url, colour_tracks(), codec="video/VP8")
    wait_for(lambda: all_layers_decoding(receiver, "hml"), what="three VP8 layers")
    layers = layers_by_rid(receiver)
    for rid, (width, height, rgb) in LAYERS.items():
        assert (layers[rid]["codec"], layers[rid]["width"], layers[rid]["height"]) == ("VP8", width, height)
        assert_colour(receiver.last_frame(rid), rgb)


def test_single_layer_publish(place):
    receiver = place.receiver()
    session = place.publish(whip_publish, receiver.url, ColourTrack(320, 240, (30, 160, 220)))
    assert session.response.status == 201
    assert "a=simulcast" not in session.response.text
    wait_for(lambda: all_layers_decoding(receiver, "h"), what="the single layer")
    stats = receiver.stats()
    assert not stats["session"]["simulcast"]
    assert [(layer["rid"], layer["width"], layer["height"]) for layer in stats["layers"]] == [("h", 320, 240)]
    assert_colour(receiver.last_frame("h"), (30, 160, 220))


def test_token(place):
    receiver = place.receiver(token="s3cret")
    offer_session = place.publish(whip_publish, receiver.url, ColourTrack(), token="wrong")
    assert offer_session.response.status == 401
    assert offer_session.response.header("www-authenticate", "").startswith("Bearer")
    assert place.request("POST", receiver.url, body="v=0\r\n", headers={"Content-Type": "application/sdp"}).status == 401
    assert receiver.stats()["sessions_total"] == 0
    ok = place.publish(whip_publish, receiver.url, ColourTrack(), token="s3cret")
    assert ok.response.status == 201
    # DELETE needs the token too.
    assert place.run(ok.delete()) == 401
    assert place.run(ok.delete(token="s3cret")) == 200


def test_second_session_gets_409_and_delete_ends_the_first(place):
    receiver = place.receiver()
    first = place.publish(whip_publish_simulcast, receiver.url, colour_tracks())
    assert first.response.status == 201
    wait_for(lambda: receiver.is_live, what="first session live")
    second = place.publish(whip_publish, receiver.url, ColourTrack())
    assert second.response.status == 409
    wait_for(lambda: all_layers_decoding(receiver, "hml", frames=3), what="layers")

    assert place.run(first.delete()) == 200
    stats = receiver.stats()
    assert stats["state"] == "idle"
    assert stats["session"]["state"] == "ended" and stats["session"]["end_reason"] == "deleted"
    assert stats["session"]["end_message"]
    assert all(not layer["active"] for layer in stats["layers"])
    # The session's decoder threads are gone, and the resource with them.
    assert not [t for t in threading.enumerate() if t.name.startswith("rehearsal-video")]
    assert place.run(first.delete()) == 404
    # The slot is free again.
    third = place.publish(whip_publish, receiver.url, ColourTrack(160, 120))
    assert third.response.status == 201
    wait_for(lambda: all_layers_decoding(receiver, "h"), what="third session")
    assert receiver.stats()["sessions_total"] == 2


def test_without_loopback_candidates_there_is_nothing_to_connect(place):
    """Proves the namespace has no network: a publisher that does not opt in offers no candidates."""
    if place.netns is None:
        pytest.skip("needs the loopback-only network namespace (root)")
    receiver = place.receiver()
    session = place.run(whip_publish(receiver.url, ColourTrack()))
    place.sessions.append(session)
    assert "a=candidate" not in session.offer_sdp
    assert session.response.status == 422
    assert "no ICE candidates" in session.response.text
    assert receiver.stats()["state"] == "idle"


def test_publisher_that_never_connects_times_out(place):
    receiver = place.receiver(connect_timeout_s=1.0)

    async def offer_only() -> harness.HttpResponse:
        pc = RTCPeerConnection()
        pc.addTransceiver(ColourTrack(), direction="sendonly")
        with loopback_candidates():
            await pc.setLocalDescription(await pc.createOffer())
        await pc.close()  # gone before ICE could start
        return await harness.http_request("POST", receiver.url, body=pc.localDescription.sdp,
                                          headers={"Content-Type": "application/sdp"})

    assert place.run(offer_only()).status == 201
    wait_for(lambda: (receiver.stats()["session"] or {}).get("state") == "ended", timeout=10, what="session end")
    stats = receiver.stats()
    assert stats["state"] == "idle" and stats["session"]["end_reason"] == "connect_timeout"


def test_bad_requests(place):
    receiver = place.receiver()
    assert place.request("POST", receiver.url, body="v=0", headers={"Content-Type": "text/plain"}).status == 415
    assert place.request("POST", receiver.url, body="not sdp", headers={"Content-Type": "application/sdp"}).status == 400
    assert place.request("DELETE", receiver.url + "/resource/nope").status == 404
    assert place.request("PATCH", receiver.url + "/resource/nope", body="x",
                         headers={"Content-Type": "application/trickle-ice-sdpfrag"}).status == 405
    assert receiver.stats()["state"] == "idle"


def test_timecode_latency_per_layer(place):
    receiver = place.receiver()
    tracks = {"h": TimecodeTrack(640, 360), "m": TimecodeTrack(320, 180), "l": TimecodeTrack(160, 90)}
    place.publish(whip_publish_simulcast, receiver.url, tracks)
    wait_for(lambda: layers_by_rid(receiver).get("h", {}).get("latency_frames", 0) >= 30, what="time codes")
    layers = layers_by_rid(receiver)
    for rid in "hml":
        layer = layers.get(rid, {})
        print(f"rehearsal latency {rid} {layer.get('width')}x{layer.get('height')}: "
              f"p50 {layer.get('latency_p50_ms')} ms, p95 {layer.get('latency_p95_ms')} ms "
              f"over {layer.get('latency_frames')} frames")
    for rid in "hm":
        p50 = layers[rid]["latency_p50_ms"]
        assert p50 is not None and 0 < p50 < 1000, (rid, p50)
        assert layers[rid]["latency_p95_ms"] >= p50


def test_recording_plays_with_audio(place, tmp_path):
    receiver = place.receiver(record_dir=tmp_path)
    layers = {rid: ColourTrack(w, h, rgb) for rid, (w, h, rgb) in LAYERS.items()}
    session = place.publish(publish_simulcast_with_audio, receiver.url, layers, ToneTrack(amplitude=0.1))
    assert session.response.status == 201
    wait_for(lambda: all_layers_decoding(receiver, "hml", frames=30), what="layers")
    wait_for(lambda: (receiver.stats()["audio"] or {}).get("frames_decoded", 0) >= 25, what="audio")
    stats = receiver.stats()
    audio = stats["audio"]
    assert audio["codec"] == "opus" and audio["packets_received"] >= 25
    # A 0.1 full-scale sine is -20 dBFS peak, -23 dBFS RMS.
    assert -27 < audio["level_dbfs"] < -19, audio
    assert stats["recording"]["started"] and stats["session"]["record_layer"] == "h"
    assert place.run(session.delete()) == 200

    recording = receiver.stats()["recording"]
    assert recording["error"] is None and recording["video_frames"] >= 30 and recording["audio_packets"] > 0
    with av.open(recording["path"]) as container:
        video = container.streams.video[0]
        assert container.streams.audio, "no audio track"
        assert (video.codec_context.width, video.codec_context.height) == (640, 360)
        frames = list(container.decode(video=0))
    assert len(frames) >= 30
    assert_colour(frames[-1].to_ndarray(format="bgr24"), LAYERS["h"][2])
    with av.open(recording["path"]) as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
    assert samples > 48000 * 0.5


def test_port_in_use_is_a_typed_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        receiver = RehearsalReceiver(port=busy.getsockname()[1])
        with pytest.raises(RehearsalError, match="could not listen"):
            receiver.start()
    assert not receiver.is_running
    receiver.stop()  # harmless


def test_stop_without_session_and_restart():
    receiver = RehearsalReceiver()
    assert receiver.stats()["state"] == "stopped"
    with receiver:
        assert receiver.stats()["state"] == "idle"
        assert receiver.stats()["url"] == receiver.url
    assert receiver.stats()["state"] == "stopped"
    receiver.start()
    receiver.stop()
