"""A media file's sound: the timestamped feed, the mixer strip, loops and sleep (issue #18)."""
from __future__ import annotations

import numpy as np
import pytest

from studio.audio import AudioMixer
from studio.audio.media_audio import REANCHOR_BEYOND_NS, MediaAudioFeed, MediaAudioInput
from studio.core.clock import NS_PER_S
from studio.sources.base import SourceState
from studio.sources.media_file import MediaFileSource
from tests.helpers import wait_until
from tests.studio.sources.av_media import make_av_clip
from tests.studio.sources.helpers import make_video

RATE = 48_000
NS_PER_SAMPLE = NS_PER_S / RATE


def ramp(start: int, count: int) -> np.ndarray:
    """Stereo samples whose value is their own index (so any misplacement shows)."""
    values = np.arange(start, start + count, dtype=np.float32)
    return np.repeat(values[:, None], 2, axis=1)


# -- the feed -------------------------------------------------------------------------------------
def test_feed_gives_each_block_exactly_the_samples_due_in_it():
    feed = MediaAudioFeed()
    origin = 10 * NS_PER_S
    feed.write(ramp(0, 1000), origin)
    feed.write(ramp(1000, 1000), origin + round(1000 * NS_PER_SAMPLE))
    block = feed.read_due(origin + round(200 * NS_PER_SAMPLE), 960)
    assert block[:, 0].tolist() == list(range(200, 1160))  # samples 0..199 were late: dropped
    assert feed.late_frames == 200
    block = feed.read_due(origin + round(1160 * NS_PER_SAMPLE), 960)
    assert block[:840, 0].tolist() == list(range(1160, 2000)) and not block[840:].any()


def test_feed_keeps_one_timeline_joining_padding_trimming_or_reanchoring():
    feed = MediaAudioFeed()
    origin = 5 * NS_PER_S
    feed.write(ramp(0, 480), origin)
    # 1 ms late by its own timestamp (a container's rounding): joined end to end.
    feed.write(ramp(480, 480), origin + round(480 * NS_PER_SAMPLE) + 1_000_000)
    assert feed.read_due(origin, 960)[:, 0].tolist() == list(range(960))
    # 10 ms late: the gap is silence, the sound stays on its time.
    feed.write(ramp(960, 480), origin + round(960 * NS_PER_SAMPLE) + 10_000_000)
    block = feed.read_due(origin + round(960 * NS_PER_SAMPLE), 960)
    assert not block[:480].any() and block[480:, 0].tolist() == list(range(960, 1440))
    assert feed.padded_frames == 480
    # Due 5 ms before the end (an AAC file's padding at a loop seam): it replaces the unplayed end.
    feed.write(ramp(1440, 480), feed.end_ns)
    end_ns = feed.end_ns
    feed.write(ramp(-1000, 480), end_ns - 5_000_000)
    assert feed.trimmed_frames == 240 and feed.buffered_frames == 240 + 480
    assert abs(feed.end_ns - (end_ns - 5_000_000 + 480 * NS_PER_SAMPLE)) < 1_000
    assert feed.reanchors == 1
    # A jump beyond a second (woken after a sleep): a new anchor.
    later = origin + 3 * NS_PER_S
    assert 3 * NS_PER_S > REANCHOR_BEYOND_NS
    feed.write(ramp(5000, 480), later)
    assert feed.reanchors == 2
    assert feed.read_due(later, 480)[:, 0].tolist() == list(range(5000, 5480))


def test_feed_not_playing_is_empty_and_does_not_grow():
    feed = MediaAudioFeed()
    feed.write(ramp(0, 4800), NS_PER_S)
    feed.set_playing(False)
    assert feed.buffered_frames == 0
    feed.write(ramp(0, 4800), NS_PER_S)
    assert feed.buffered_frames == 0 and feed.read_due(NS_PER_S, 960) is None
    feed.set_playing(True)
    feed.write(ramp(0, 4800), 2 * NS_PER_S)
    assert feed.buffered_frames == 4800


def test_feed_is_bounded():
    feed = MediaAudioFeed(capacity_ms=100)
    for index in range(20):
        feed.write(ramp(index * 960, 960), NS_PER_S + round(index * 960 * NS_PER_SAMPLE))
    assert feed.buffered_frames == RATE // 10
    assert feed.overflow_frames == 20 * 960 - RATE // 10


# -- a media source through a real mixer ----------------------------------------------------------
class Recorder:
    """A mixer with one media strip and everything it mixed."""

    def __init__(self, source: MediaFileSource) -> None:
        self.mixer = AudioMixer()
        self.strip = MediaAudioInput("media-m", "Clip", source_id=source.source_id)
        self.strip.attach(source.audio_feed)
        self.mixer.add_input(self.strip)
        self.subscription = self.mixer.subscribe(max_blocks=1000)
        self.blocks: list[np.ndarray] = []

    def drain(self) -> np.ndarray:
        while (block := self.subscription.get(timeout=0)) is not None:
            self.blocks.append(block.samples[:, 0])
        return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)


@pytest.fixture
def recorder():
    made: list[Recorder] = []

    def make(source: MediaFileSource) -> Recorder:
        made.append(Recorder(source))
        made[-1].mixer.start()
        return made[-1]

    yield make
    for rec in made:
        rec.mixer.stop()


@pytest.mark.parametrize("suffix", ["mp4", "mkv"])  # rewound by a seek / reopened: both prime AAC again
def test_looping_file_continues_its_sound_without_a_gap_or_click(tmp_path, started, recorder, suffix):
    # One second of a 1 kHz sine: whole cycles, so the loop seam itself is smooth.
    clip = make_av_clip(tmp_path / f"tone.{suffix}", seconds=1.0, sound="tone")
    # A machine too busy to play in real time (the source resynced, the mixer skipped blocks, sound came
    # due before the mixer could take it) says nothing about the seams: that attempt is played again,
    # up to three times (CI's loaded machine once starved one).
    for attempt in range(3):
        source = MediaFileSource(f"m{attempt}", "Tone", {"path": str(clip), "loop": True})
        rec = recorder(source)
        started(source)
        assert wait_until(lambda: source.loops_completed >= 3, 10), source.state_message
        mono = rec.drain()
        source.stop()
        rec.mixer.stop()
        if source.resyncs == 0 and rec.mixer.skipped_blocks == 0 and source.audio_feed.late_frames == 0:
            break
    else:
        pytest.fail("the machine was too busy to play the file in real time in three attempts")
    sounding = np.flatnonzero(np.abs(mono) > 0.05)
    assert sounding.size, "no sound reached the mixer"
    played = mono[sounding[0] + 480: sounding[-1] - 480]
    assert played.size > 2 * RATE  # three passes: at least two seams inside
    # No gap: every millisecond has the sine's peak in it (a −12 dBFS sine peaks at 0.25).
    windows = played[: played.size // 48 * 48].reshape(-1, 48)
    assert np.abs(windows).max(axis=1).min() > 0.15
    # No click: a 1 kHz sine at 0.25 moves at most 0.033 from one sample to the next.
    assert np.abs(np.diff(played)).max() < 0.06
    assert source.audio_feed.reanchors == 1  # one timeline from the first sample on
    assert rec.strip.last_levels.peak_dbfs > -30.0


def test_sleeping_source_is_silent_and_its_feed_does_not_grow(tmp_path, started, recorder):
    clip = make_av_clip(tmp_path / "tone.mp4", seconds=2.0, sound="tone")
    source = MediaFileSource("m", "Tone", {"path": str(clip)})
    rec = recorder(source)
    started(source)
    assert wait_until(lambda: rec.strip.last_levels.peak_dbfs > -20.0, 5)
    source.set_awake(False)
    assert source.audio_feed.buffered_frames == 0
    assert wait_until(lambda: rec.strip.last_levels.peak_dbfs < -90.0, 2)
    decoded = source.audio_track.frames_decoded
    assert not wait_until(lambda: source.audio_feed.buffered_frames > 0, 0.5)
    assert source.audio_track.frames_decoded <= decoded + 1  # at most the packet in hand
    source.set_awake(True)
    assert wait_until(lambda: rec.strip.last_levels.peak_dbfs > -20.0, 5)


def test_restart_when_shown_plays_from_the_start_after_a_sleep(tmp_path, started):
    clip = make_av_clip(tmp_path / "count.mp4", seconds=3.0, sound="tone")  # frame i is grey i*8
    source = MediaFileSource("m", "Clip", {"path": str(clip), "loop": True, "restart_on_show": True})
    started(source)
    assert wait_until(lambda: source.position_s > 1.0, 5)
    source.set_awake(False)
    published: list[int] = []
    original = source._publish

    def record(image, capture_ns=None, alpha=None):
        published.append(int(image[0, 0, 0]))
        original(image, capture_ns, alpha)

    source._publish = record
    source.set_awake(True)
    assert wait_until(lambda: len(published) >= 2, 5)
    assert published[0] <= 4  # frame 0 (grey 0, give or take the codec)
    assert wait_until(lambda: source.audio_feed.buffered_frames > 0, 5)


def test_file_without_sound_plays_its_picture_as_before(tmp_path, started):
    source = started(MediaFileSource("m", "Silent", {"path": str(make_video(tmp_path / "silent.mp4"))}))
    assert wait_until(lambda: source.state is SourceState.ACTIVE, 5)
    assert source.has_audio is False and source.audio_track is None
    assert source.audio_feed.buffered_frames == 0


def test_sound_stays_on_the_pictures_media_clock_across_loops(tmp_path, started, recorder):
    """Each pass's click (file second 0) is stamped within a millisecond of that pass's first
    picture — the frame whose time-code strip reads the file's second 0 — loop after loop
    (an AAC track is 128 samples longer than its picture: the seam must not move the sound)."""
    from bench.testbed.av_sync import click_onsets
    from studio.timecode import read_strip

    clip = make_av_clip(tmp_path / "clicks.mp4", seconds=1.0, sound="click", strip_base_ms=5000, width=640, height=360)
    source = MediaFileSource("m", "Clicks", {"path": str(clip), "loop": True})
    first_pictures: list[int] = []  # capture_ns of every pass's frame 0
    original = source._publish

    def record(image, capture_ns=None, alpha=None):
        if read_strip(image) == 5000:
            first_pictures.append(capture_ns)
        original(image, capture_ns, alpha)

    source._publish = record
    rec = recorder(source)
    started(source)
    assert wait_until(lambda: source.loops_completed >= 4, 10), source.state_message
    blocks = []
    while (block := rec.subscription.get(timeout=0)) is not None:
        blocks.append(block)
    mono = np.concatenate([block.samples[:, 0] for block in blocks])
    onsets_ns = [blocks[0].capture_ns + round(index * NS_PER_SAMPLE) for index in click_onsets(mono, RATE)]
    assert len(onsets_ns) >= 4 and len(first_pictures) >= 4, (len(onsets_ns), len(first_pictures))
    offsets_ms = [(onset - min(first_pictures, key=lambda ns: abs(ns - onset))) / 1e6 for onset in onsets_ns]
    assert max(abs(offset) for offset in offsets_ms) < 1.0, offsets_ms
    print(f"\nclick − first picture per pass (ms): {[round(offset, 3) for offset in offsets_ms]}")
    assert source.audio_feed.reanchors == 1 and source.audio_feed.trimmed_frames > 0
