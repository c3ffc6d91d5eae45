"""The recorder's first-cluster gate: no header-only file (which no player opens) is ever on disk."""
from __future__ import annotations

import time

import av

from studio.outputs.mkv_gate import first_cluster_end
from studio.outputs.recorder import Recorder
from tests.studio.outputs.test_recorder import FRAME_NS, decode_times, record_content


def test_the_first_cluster_end_is_found_only_once_it_is_all_there(tmp_path):
    path = tmp_path / "whole.mkv"
    recorder = Recorder(path)
    recorder.start()
    record_content(recorder, 45)
    recorder.stop()
    data = path.read_bytes()
    end = first_cluster_end(data)
    assert end is not None and 1000 < end < len(data)
    assert data[end:end + 4] in (b"\x1f\x43\xb6\x75", b"\x1c\x53\xbb\x6b")  # the next cluster, or the cues
    assert first_cluster_end(data[:end - 1]) is None
    assert first_cluster_end(data[:700]) is None and first_cluster_end(b"") is None
    assert first_cluster_end(b"\x00" * 64) is None and first_cluster_end(b"\xff" * 64) is None


def test_nothing_is_on_disk_before_the_first_cluster_and_a_short_recording_still_plays(tmp_path):
    path = tmp_path / "short.mkv"
    recorder = Recorder(path, sync_interval_s=0.05)
    recorder.start()
    record_content(recorder, 9)  # 0.3 s: inside the first 0.5 s cluster
    deadline = time.monotonic() + 5
    while recorder.stats()["queued"] and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # the writer thread muxed and flushed what it had
    assert recorder.video_packets == 9 and path.stat().st_size == 0
    recorder.stop()
    assert path.stat().st_size > 1000
    times = decode_times(path, "video")
    assert len(times) == 9 and times[0] == 0.0
    with av.open(str(path)) as container:
        assert container.streams.audio and container.streams.video[0].codec_context.name == "h264"


def test_a_long_recording_is_on_disk_while_it_records(tmp_path):
    path = tmp_path / "long.mkv"
    recorder = Recorder(path, sync_interval_s=0.05)
    recorder.start()
    record_content(recorder, 45)  # 1.5 s: the first cluster closed at 0.5 s
    deadline = time.monotonic() + 5
    while path.stat().st_size == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first_cluster_end(path.read_bytes()) is not None
    recorder.stop()
    assert abs(decode_times(path, "video")[-1] - 44 * FRAME_NS / 1e9) < 0.05
