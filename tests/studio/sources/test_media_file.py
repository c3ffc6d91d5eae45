"""Media file source: real-time pacing, seamless looping, end of file, unplayable files."""
from __future__ import annotations

import time
from pathlib import Path

import av
import numpy as np
import pytest

from studio.core.clock import NS_PER_S, now_ns
from studio.sources import create_source
from studio.sources.base import SourceState
from studio.sources.media_file import MediaFileSource

from tests.helpers import wait_until

from .helpers import StateLog, make_video

SAMPLE_VIDEO = Path(__file__).resolve().parents[3] / "resources" / "sample_media" / "sample_640x360.mp4"


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """0.5 s at 30 fps: 15 frames."""
    return make_video(tmp_path_factory.mktemp("media") / "clip.mp4", seconds=0.5, fps=30)


class FrameRecorder:
    """Every published frame's capture time and grey level (the clip's frame number)."""

    def __init__(self, source: MediaFileSource) -> None:
        self.capture_ns: list[int] = []
        self.levels: list[int] = []
        original = source._publish

        def publish(image, capture_ns=None):
            self.capture_ns.append(capture_ns)
            self.levels.append(int(image[image.shape[0] // 2, image.shape[1] // 2, 0]))
            original(image, capture_ns)

        source._publish = publish  # type: ignore[method-assign]


def test_plays_in_real_time_and_loops_without_gaps(clip, started):
    source = MediaFileSource("m", "Clip", {"path": str(clip), "loop": True})
    recorder = FrameRecorder(source)
    started(source)
    assert wait_until(lambda: source.frames_captured >= 1, 3.0)
    assert source.state is SourceState.ACTIVE

    first_count, first_ns = source.frames_captured, now_ns()
    time.sleep(1.2)  # more than two passes of the 0.5 s clip
    rate = (source.frames_captured - first_count) / ((now_ns() - first_ns) / NS_PER_S)
    assert 30 * 0.8 <= rate <= 30 * 1.2
    assert source.loops_completed >= 2

    # Capture times are the frames' due times: exactly 1/30 s apart, across loop boundaries too.
    steps = np.diff(np.array(recorder.capture_ns[:40], dtype=np.int64)) / NS_PER_S
    assert np.allclose(steps, 1 / 30, atol=1e-3), steps
    # Frame content runs 0..14 then starts again (grey level = 8 * frame number).
    levels = recorder.levels[:31]
    assert levels[0] < 6 and levels[15] < 6 and levels[14] > levels[1]
    assert source.duration_s == pytest.approx(0.5, abs=0.05)
    assert source.frame_size == (160, 96)
    assert source.frame_rate == pytest.approx(30)
    assert 0.0 <= source.position_s < 0.5


def test_without_loop_ends_in_no_signal_and_stays(clip, started):
    source = MediaFileSource("m", "Once", {"path": str(clip), "loop": False})
    states = StateLog(source)
    started(source)
    assert wait_until(lambda: source.is_finished, 3.0)
    assert source.state is SourceState.NO_SIGNAL and "ended" in source.state_message
    assert source.frames_captured == 15
    assert states.seen("active")
    time.sleep(1.3)  # longer than the base's restart delay: it must not play again
    assert source.frames_captured == 15 and source.state is SourceState.NO_SIGNAL

    source.replay()
    assert wait_until(lambda: source.frames_captured > 15, 3.0)


def test_loops_by_reopening_when_seeking_fails(clip, started, monkeypatch):
    monkeypatch.setattr(MediaFileSource, "_rewind", staticmethod(lambda container: False))
    source = started(MediaFileSource("m", "Unseekable", {"path": str(clip)}))
    assert wait_until(lambda: source.loops_completed >= 2, 3.0)
    assert source.state is SourceState.ACTIVE


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x00garbage" * 500, "not a video file"),
        (b"", "not a video file"),
    ],
)
def test_unreadable_file_fails_with_reason(tmp_path, started, content, words):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    source = started(MediaFileSource("m", "Broken", {"path": str(path)}))
    assert wait_until(lambda: source.state is SourceState.FAILED, 3.0)
    assert words in source.state_message and str(path) in source.state_message
    assert wait_until(lambda: not source.is_running, 2.0)  # FAILED does not retry


def test_truncated_video_fails(tmp_path, clip, started):
    path = tmp_path / "truncated.mp4"
    path.write_bytes(clip.read_bytes()[: clip.stat().st_size // 3])  # moov atom lost
    source = started(MediaFileSource("m", "Truncated", {"path": str(path)}))
    assert wait_until(lambda: source.state is SourceState.FAILED, 3.0)
    assert "not a video file" in source.state_message


def test_audio_only_file_fails(tmp_path, started):
    path = tmp_path / "tone.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    source = started(MediaFileSource("m", "Tone", {"path": str(path)}))
    assert wait_until(lambda: source.state is SourceState.FAILED, 3.0)
    assert "no video track" in source.state_message


def test_missing_file_retries_until_it_appears(tmp_path, clip, started):
    path = tmp_path / "later.mp4"
    source = started(MediaFileSource("m", "Later", {"path": str(path)}))
    assert wait_until(lambda: source.state is SourceState.NO_SIGNAL, 3.0)
    assert "not found" in source.state_message and str(path) in source.state_message
    path.write_bytes(clip.read_bytes())
    assert wait_until(lambda: source.state is SourceState.ACTIVE, 3.0)


def test_sample_video_and_factory(started):
    source = create_source("media_file", "m", "Sample", {"path": str(SAMPLE_VIDEO)})
    assert isinstance(source, MediaFileSource)
    started(source)
    assert wait_until(lambda: source.latest_frame() is not None, 3.0)
    frame = source.latest_frame()
    assert (frame.width, frame.height) == (640, 360) and frame.image.flags["C_CONTIGUOUS"]
    assert source.duration_s == pytest.approx(4.0, abs=0.1)
