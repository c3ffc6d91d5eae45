"""The local recorder: real ladder packets + Opus into Matroska, crash safety, bad disks, MP4 remux."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

from encoders.ladder import Ladder, LayerSpec
from studio.core.events import Signal
from studio.core.frame import VideoFrame
from studio.outputs.packets import PacketItem
from studio.outputs.audio_track import OpusBlockEncoder
from studio.outputs.recorder import FAILED, RECORDING, STOPPED, Recorder, RecordingError, remux_to_mp4

ROOT = Path(__file__).resolve().parents[3]
WIDTH, HEIGHT, FPS = 640, 360, 30
FRAME_NS = 1_000_000_000 // FPS
BLOCK_NS = 20_000_000
BASE_NS = 7_000_000_000


def layers() -> list[LayerSpec]:
    return [LayerSpec("h", WIDTH, HEIGHT, 800_000, FPS), LayerSpec("l", 320, 180, 200_000, FPS)]


def pictures(count: int, seed: int = 3) -> list[np.ndarray]:
    """Moving gradient + box + a little noise (cheap, but every frame differs)."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    result = []
    for index in range(count):
        image = np.empty((HEIGHT, WIDTH, 3), np.uint8)
        image[..., 0] = (xs + index * 4) % 256
        image[..., 1] = (ys + index * 2) % 256
        image[..., 2] = 128
        x = (index * 9) % (WIDTH - 80)
        image[100:180, x : x + 80] = 255
        image ^= rng.integers(0, 8, image.shape, dtype=np.uint8)
        result.append(image)
    return result


def tone(index: int) -> np.ndarray:
    t = (np.arange(960) + index * 960) / 48_000
    mono = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return np.repeat(mono[:, None], 2, axis=1)


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def __call__(self, packet) -> None:
        with self.lock:
            self.count += 1


def record_content(recorder: Recorder, frame_count: int, *, also=None, audio_lead_ns: int = 0) -> Ladder:
    """Feed ``frame_count`` frames (as fast as possible, synthetic capture times) through a real
    ladder into ``recorder`` with Opus audio on the same capture clock; returns the stopped ladder."""

    def on_packet(packet) -> None:
        recorder.on_video_packet(packet)
        if also is not None:
            also(packet)

    opus = OpusBlockEncoder()
    images = pictures(min(frame_count, 30))
    audio_index = 0
    audio_base_ns = BASE_NS - audio_lead_ns
    with Ladder(layers(), encoder="libx264", keyframe_interval_s=1.0, on_packet=on_packet) as ladder:
        for index in range(frame_count):
            capture_ns = BASE_NS + index * FRAME_NS
            while audio_base_ns + audio_index * BLOCK_NS < capture_ns + FRAME_NS:
                block_ns = audio_base_ns + audio_index * BLOCK_NS
                for packet in opus.encode(tone(audio_index)):
                    recorder.on_audio_packet(PacketItem(packet=packet, capture_ns=block_ns))
                audio_index += 1
            ladder.submit(VideoFrame(images[index % len(images)], capture_ns, index))
            assert ladder.drain(10)
    opus.close()
    return ladder


def decode_times(path: Path, kind: str) -> list[float]:
    with av.open(str(path)) as container:
        streams = container.streams.video if kind == "video" else container.streams.audio
        if not streams:
            return []
        return [float(frame.time) for frame in container.decode(streams[0]) if frame.time is not None]


# ------------------------------------------------------------------------------------------ basics


def test_records_top_layer_and_audio_in_sync(tmp_path):
    path = tmp_path / "show.mkv"
    states = []
    on_state = Signal()
    on_state.connect(lambda **event: states.append(event["state"]))
    recorder = Recorder(path, on_state=on_state)
    recorder.start()
    assert recorder.state == RECORDING
    record_content(recorder, 90, audio_lead_ns=200_000_000)  # audio before the first keyframe is skipped
    recorder.stop()
    assert recorder.state == STOPPED and recorder.failure is None
    assert states == [RECORDING, STOPPED]
    stats = recorder.stats()
    assert stats["video_packets"] == 90 and stats["dropped_packets"] == 0
    assert stats["bytes_written"] == path.stat().st_size > 10_000
    assert 2.9 <= stats["duration_s"] <= 3.05

    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert container.streams.audio and container.streams.audio[0].codec_context.name == "opus"
        frames = list(container.decode(video))
    assert abs(len(frames) - 90) <= 1
    assert {(frame.width, frame.height) for frame in frames} == {(WIDTH, HEIGHT)}  # the top layer only
    video_times = decode_times(path, "video")
    audio_times = decode_times(path, "audio")
    assert video_times[0] == 0.0
    assert abs(video_times[-1] - 89 / FPS) < 0.01
    assert len(audio_times) >= 140
    assert abs(audio_times[0] - video_times[0]) < 0.03  # A/V start aligned (Opus pre-skip ≈ 7 ms)
    assert abs(audio_times[-1] - video_times[-1]) < 0.1


def test_only_the_chosen_rid_from_its_first_keyframe(tmp_path):
    from encoders.base import EncodedPacket, RTP_TIME_BASE

    def packet(pts, rid, is_keyframe):
        return EncodedPacket(b"\x00\x00\x00\x01\x65", pts, pts, RTP_TIME_BASE, is_keyframe, rid, 64, 64, "h264", "x", capture_ns=BASE_NS + pts * 100_000 // 9)

    recorder = Recorder(tmp_path / "a.mkv", video_rid="m", max_queue_packets=3)
    recorder.on_video_packet(packet(0, "m", True))  # not started: ignored
    recorder._state = RECORDING  # queue logic only, no writer thread
    recorder.on_video_packet(packet(3000, "m", False))
    recorder.on_video_packet(packet(3000, "h", True))
    assert recorder.skipped_before_keyframe == 1 and not recorder._queue
    recorder.on_video_packet(packet(6000, "m", True))
    recorder.on_video_packet(packet(9000, "m", False))
    recorder.on_audio_packet(b"\xfc", capture_ns=BASE_NS - 1)  # before the video: skipped
    recorder.on_audio_packet(b"\xfc", capture_ns=BASE_NS + 70_000_000)
    assert len(recorder._queue) == 3
    # Full: the next video frame is dropped and so is everything until a keyframe.
    recorder.on_video_packet(packet(12000, "m", False))
    recorder._queue.popleft()
    recorder.on_video_packet(packet(15000, "m", False))
    assert recorder.dropped_video == 2 and len(recorder._queue) == 2
    recorder.on_video_packet(packet(18000, "m", True))
    assert len(recorder._queue) == 3 and recorder._queue[-1].is_keyframe
    recorder.on_audio_packet(b"\xfc", capture_ns=BASE_NS + 90_000_000)
    assert recorder.dropped_audio == 1
    assert recorder.stats()["dropped_packets"] == 3


def test_remux_to_mp4_plays(tmp_path):
    path = tmp_path / "show.mkv"
    recorder = Recorder(path)
    recorder.start()
    record_content(recorder, 45)
    recorder.stop()
    mp4 = remux_to_mp4(path, tmp_path / "show.mp4")
    with av.open(str(mp4)) as container:
        assert container.format.name.startswith("mov")
        assert container.streams.audio and container.streams.audio[0].codec_context.name == "opus"
        frames = list(container.decode(video=0))
    assert abs(len(frames) - 45) <= 1 and frames[0].width == WIDTH
    data = mp4.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # +faststart
    with pytest.raises(RecordingError) as excinfo:
        remux_to_mp4(tmp_path / "missing.mkv", tmp_path / "x.mp4")
    assert "MP4" in str(excinfo.value)


# ------------------------------------------------------------------------------------------ bad disks


def test_unwritable_path_fails_in_words(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    states = []
    on_state = Signal()
    on_state.connect(lambda **event: states.append((event["state"], event["message"])))
    recorder = Recorder(blocker / "show.mkv", on_state=on_state)
    recorder.start()
    assert recorder.state == FAILED
    assert "Recording stopped" in recorder.failure and "not-a-folder" in recorder.failure
    assert "Traceback" not in recorder.failure and "Errno" not in recorder.failure
    assert states == [(FAILED, recorder.failure)]
    recorder.on_video_packet(None)  # a failed recorder swallows whatever it is given
    recorder.stop()
    assert recorder.state == FAILED


def _mount_tmpfs(mount_point: Path, options: str):
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_failure_is_translated(tmp_path):
    from studio.core import i18n

    blocker = tmp_path / "file"
    blocker.write_text("x")
    previous = i18n.current_language()
    i18n.set_language("zh_CN")
    try:
        recorder = Recorder(blocker / "show.mkv")
        recorder.start()
    finally:
        i18n.set_language(previous)
    assert recorder.state == FAILED and recorder.failure.startswith("录制已停止")


@pytest.fixture
def tiny_disk(tmp_path):
    yield from _mount_tmpfs(tmp_path / "tiny", "size=200k")


@pytest.fixture
def read_only_disk(tmp_path):
    yield from _mount_tmpfs(tmp_path / "ro", "ro,size=64k")


def test_read_only_disk_fails_in_words(read_only_disk):
    recorder = Recorder(read_only_disk / "show.mkv")
    recorder.start()
    assert recorder.state == FAILED
    assert "no permission" in recorder.failure and str(read_only_disk) in recorder.failure
    recorder.stop()


def test_disk_full_stops_recording_while_the_ladder_goes_on(tiny_disk):
    failed = threading.Event()
    on_state = Signal()
    on_state.connect(lambda **event: failed.set() if event["state"] == FAILED else None)
    recorder = Recorder(tiny_disk / "show.mkv", on_state=on_state)
    recorder.start()
    after_failure = Counter()
    record_content(recorder, 150, also=lambda packet: after_failure(packet) if failed.is_set() else None)
    recorder.stop()
    assert recorder.state == FAILED
    assert "disk is full" in recorder.failure and "Errno" not in recorder.failure
    assert after_failure.count > 30  # the encoders kept delivering packets after the failure


def test_file_deleted_while_recording(tmp_path):
    path = tmp_path / "show.mkv"
    recorder = Recorder(path, sync_interval_s=0.05)
    recorder.start()
    images = pictures(2)
    with Ladder([LayerSpec("h", WIDTH, HEIGHT, 400_000, FPS)], encoder="libx264", on_packet=recorder.on_video_packet) as ladder:
        for index in range(200):
            if index == 10:
                path.unlink()
            ladder.submit(VideoFrame(images[index % 2], BASE_NS + index * FRAME_NS, index))
            assert ladder.drain(10)
            if recorder.state == FAILED:
                break
            time.sleep(0.005)
    recorder.stop()
    assert recorder.state == FAILED and "deleted" in recorder.failure


# ------------------------------------------------------------------------------------------ SIGKILL


def _child(path: str) -> None:
    """Record in real time until killed; print the content time handed to the recorder."""
    recorder = Recorder(path)
    recorder.start()
    images = pictures(30)
    stop = threading.Event()
    origin: list[int] = []

    def audio() -> None:
        opus = OpusBlockEncoder()
        index = 0
        start_ns = time.monotonic_ns()
        while not stop.is_set():
            due_ns = start_ns + index * BLOCK_NS
            delay = (due_ns - time.monotonic_ns()) / 1e9
            if delay > 0:
                time.sleep(delay)
            for packet in opus.encode(tone(index)):
                recorder.on_audio_packet(PacketItem(packet=packet, capture_ns=due_ns))
            index += 1

    thread = threading.Thread(target=audio, name="child-audio", daemon=True)
    thread.start()
    with Ladder([LayerSpec("h", WIDTH, HEIGHT, 800_000, FPS)], encoder="libx264", on_packet=recorder.on_video_packet) as ladder:
        start_ns = time.monotonic_ns()
        for index in range(100_000):
            due_ns = start_ns + index * FRAME_NS
            delay = (due_ns - time.monotonic_ns()) / 1e9
            if delay > 0:
                time.sleep(delay)
            capture_ns = time.monotonic_ns()
            origin = origin or [capture_ns]
            ladder.submit(VideoFrame(images[index % len(images)], capture_ns, index))
            print(f"t {(capture_ns - origin[0]) / 1e9:.3f}", flush=True)


def test_sigkill_leaves_a_file_that_plays_to_within_two_seconds(tmp_path):
    path = tmp_path / "killed.mkv"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.studio.outputs.test_recorder", "--child", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    recorded_s = 0.0
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("t "):
                recorded_s = float(line.split()[1])
                if recorded_s >= 5.0:
                    break
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
    assert recorded_s >= 5.0, "the child did not record"
    video_times = decode_times(path, "video")
    audio_times = decode_times(path, "audio")
    lost_s = recorded_s - video_times[-1]
    print(f"SIGKILL at {recorded_s:.2f} s of content: video decodes to {video_times[-1]:.2f} s, audio to {audio_times[-1]:.2f} s, lost {lost_s:.2f} s")
    assert video_times[0] == 0.0
    assert lost_s <= 2.0
    assert audio_times and recorded_s - audio_times[-1] <= 2.0


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--child":
    _child(sys.argv[2])
