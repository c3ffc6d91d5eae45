"""Product clips from a recorded rehearsal show with three pins: three 9:16 MP4s ready to post."""
from __future__ import annotations

import os
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from studio.clips import make_clips
from studio.clips.cover import COVER_S
from studio.clips.errors import ClipsError
from studio.clips.picture import product_overlay
from studio.clips.plan import _products, read_show
from studio.clips.recording import probe_recording
from studio.compositor.reframe import find_faces, haar_face_detector
from tests.studio.clips.rehearsal_recording import FPS, LENGTH_S, PINS

CAP_S = 5.0
needs_cascade = pytest.mark.skipif(haar_face_detector() is None, reason="this OpenCV ships no Haar face cascade")


def frames_at(path: Path, *times_s: float) -> list[np.ndarray]:
    """Decoded clip frames (BGR) at these times, reading the clip once."""
    wanted = sorted(times_s)
    found = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            while wanted and frame.time >= wanted[0] - 1e-3:
                found.append(frame.to_ndarray(format="bgr24"))
                wanted.pop(0)
            if not wanted:
                break
    assert not wanted, f"the clip ends before {wanted}"
    return found


def test_the_recorder_stamps_when_its_time_zero_happened(recorded):
    info = probe_recording(recorded.recording)
    assert info.is_start_exact
    assert abs(info.start_wall_s - recorded.start_wall_s) < 0.002
    assert (info.width, info.height, round(info.fps)) == (1280, 720, FPS) and info.has_audio
    assert abs(info.duration_s - LENGTH_S) < 0.1


def test_three_pins_make_three_vertical_h264_aac_clips_of_the_pin_spans(made):
    result, progress = made
    assert [clip.sku for clip in result.clips] == [sku for sku, _start, _end in PINS]
    assert result.notes == []
    for clip, (_sku, start_s, end_s) in zip(result.clips, PINS):
        expected = min(end_s - start_s, CAP_S)
        assert clip.is_capped == (end_s - start_s > CAP_S)
        path = Path(clip.path)
        assert path.is_file() and Path(clip.cover_path).is_file()
        with av.open(str(path)) as container:
            video, audio = container.streams.video[0], container.streams.audio[0]
            assert (video.codec_context.name, video.width, video.height) == ("h264", 1080, 1920)
            assert video.codec_context.profile == "High" and video.codec_context.pix_fmt == "yuv420p"
            assert audio.codec_context.name == "aac" and audio.sample_rate == 48_000 and audio.channels == 2
            assert abs(container.duration / 1e6 - expected) <= 0.5
            assert abs(float(video.duration * video.time_base) - expected) <= 0.5
            samples = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio)])
        assert abs(samples.size / 2 / 48_000 - expected) <= 0.5
        rms = float(np.sqrt(np.mean(samples[48_000:] ** 2)))
        assert 0.1 < rms < 0.4  # the recorded 440 Hz tone (0.3 peak ≈ 0.21 RMS), not silence
        head = path.read_bytes()[:4096]
        assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))  # faststart
    assert progress[-1] == (3, 3, 1.0)
    assert [done for done, _count, _fraction in progress] == sorted(done for done, _count, _fraction in progress)


def test_the_product_card_and_its_price_are_burned_in(made, recorded):
    result, _progress = made
    _events, state = read_show(recorded.db)
    products = _products(state)
    for clip in result.clips:
        card = product_overlay(products[clip.sku], "en_US", None)
        frame = frames_at(Path(clip.path), 1.5)[0]
        height, width = card.rgba.shape[:2]
        area = frame[card.y:card.y + height, card.x:card.x + width].astype(np.int16)
        expected = card.rgba[..., 2::-1].astype(np.int16)
        solid = card.rgba[..., 3] == 255
        assert solid.mean() > 0.8
        difference = np.abs(area - expected)[solid].mean()
        assert difference < 10, f"{clip.sku}: the card is not there (mean difference {difference:.1f})"
        # The price's accent colour really is on the frame (the card is not a blank plate).
        red = (area[..., 2] > 150) & (area[..., 1] < 90) & (area[..., 0] < 90)
        assert red.sum() > 400


@needs_cascade
def test_the_clip_follows_the_host(made):
    result, _progress = made
    for clip in result.clips:
        frame = frames_at(Path(clip.path), 1.0)[0]
        faces = find_faces(frame, haar_face_detector())
        assert faces, f"{clip.sku}: no face in the clip"
        x, _y, w, _h = max(faces, key=lambda face: face[2] * face[3])
        assert 1080 * 0.3 < x + w / 2 < 1080 * 0.7  # the host is in the middle of the 9:16 picture


def test_the_cover_opens_the_clip_and_is_saved_beside_it(made):
    result, _progress = made
    clip = result.clips[0]
    cover = cv2.imread(clip.cover_path)
    assert cover.shape == (1920, 1080, 3)
    first, after = frames_at(Path(clip.path), 0.0, COVER_S + 0.5)
    # The cover's own parts (the name on its plate, the big price) are where the clip later differs most.
    first_off = np.abs(first.astype(np.int16) - cover).max(axis=2)
    after_off = np.abs(after.astype(np.int16) - cover).max(axis=2)
    assert first_off.mean() < 6
    assert (after_off > 60).mean() > 0.05 and (first_off > 60).mean() < 0.005


def test_a_second_run_keeps_the_first_clips(recorded, made, tmp_path):
    result, _progress = made
    out = Path(result.out_dir)
    before = {path.name: path.stat().st_mtime_ns for path in out.iterdir()}
    cancel = __import__("threading").Event()
    again = make_clips(recorded.db, recorded.recording, out, max_seconds=5,
                       on_progress=lambda done, count, fraction: cancel.set() if fraction > 0.2 else None, cancel=cancel)
    assert again.clips == []  # stopped during the first clip
    after = {path.name: path.stat().st_mtime_ns for path in out.iterdir()}
    assert after == before  # nothing overwritten, no half-written clip or cover left behind


def test_a_missing_or_garbage_recording_is_said_in_words(recorded, tmp_path):
    with pytest.raises(ClipsError, match="There is no recording at"):
        make_clips(recorded.db, tmp_path / "nowhere.mkv", tmp_path / "out")
    garbage = tmp_path / "show.mkv"
    garbage.write_bytes(b"not a video at all" * 1000)
    with pytest.raises(ClipsError, match="cannot be read as a video recording"):
        make_clips(recorded.db, garbage, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_show_without_pins_or_database_is_said_in_words(recorded, tmp_path):
    from studio.live.session import LiveShow

    show = LiveShow(None, tmp_path / "show.db", recorded.catalog)
    show.stop()
    with pytest.raises(ClipsError, match="No product was pinned"):
        make_clips(tmp_path / "show.db", recorded.recording, tmp_path / "out")
    with pytest.raises(ClipsError, match="There is no show database"):
        make_clips(tmp_path / "other.db", recorded.recording, tmp_path / "out")
    with pytest.raises(ClipsError, match="longest clip"):
        make_clips(recorded.db, recorded.recording, tmp_path / "out", max_seconds=1)


def test_an_mp4_copy_finds_its_start_from_the_matroska_beside_it_else_to_the_second(recorded, tmp_path):
    from studio.outputs.recorder import remux_to_mp4

    beside = remux_to_mp4(recorded.recording, recorded.recording.with_suffix(".mp4"))
    info = probe_recording(beside)
    assert info.is_start_exact and abs(info.start_wall_s - recorded.start_wall_s) < 0.002
    alone = remux_to_mp4(recorded.recording, tmp_path / "copy.mp4")
    os_time = alone.stat().st_mtime
    info = probe_recording(alone)
    assert not info.is_start_exact and abs(info.start_wall_s - recorded.start_wall_s) <= 1.0
    assert abs(info.start_wall_s - (os_time - info.duration_s)) > 0.001  # the copy's own time, not the file's
    beside.unlink()


def test_memory_does_not_grow_with_the_clip_length(recorded, tmp_path):
    """Frames are streamed: cutting three times as much recording needs no more memory."""
    import tracemalloc

    from studio.clips.picture import ClipPicture
    from studio.clips.writer import write_clip

    peaks = []
    for seconds in (3.0, 9.0):
        tracemalloc.start()
        write_clip(recorded.recording, tmp_path / f"{seconds}.mp4", 2.0, 2.0 + seconds, FPS, ClipPicture(None, None),
                   None, 0)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.3 + 2_000_000, peaks


def test_clips_from_a_copy_without_its_stamp_say_they_may_be_off(recorded, tmp_path):
    import av as pyav

    copy = tmp_path / "from-another-app.mkv"
    with pyav.open(str(recorded.recording)) as reader, pyav.open(str(copy), mode="w", format="matroska") as writer:
        video = writer.add_stream_from_template(reader.streams.video[0])
        for packet in reader.demux(reader.streams.video[0]):
            if packet.dts is not None:
                packet.stream = video
                writer.mux(packet)
    # Last written when its last frame was captured (on air the recording runs in real time; the
    # rehearsal's was encoded faster than that), and copied keeping that time, as `cp -p` does.
    finished = recorded.start_wall_s + LENGTH_S + 0.3
    os.utime(copy, (finished, finished))
    info = probe_recording(copy)
    assert not info.is_start_exact and abs(info.start_wall_s - recorded.start_wall_s) < 1.0
    result = make_clips(recorded.db, copy, tmp_path / "out", max_seconds=5, detector=None)
    assert result.notes and result.notes[0].startswith("from-another-app.mkv does not say to the millisecond")
