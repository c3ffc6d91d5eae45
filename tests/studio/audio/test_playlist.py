"""The music playlist input: order, bad files skipped in words, next/previous, loop, shuffle,
crossfade.  Its sound is pulled block by block here (what the mixer does), only when decoded
sound is waiting, so the sample counts are exact and nothing depends on the clock."""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from studio.audio.inputs import InputState
from studio.audio.playlist import PlaylistInput
from tests.helpers import wait_until
from tests.studio.sources.av_media import tone

RATE = 48_000
BLOCK = 960


def song(path: Path, seconds: float, level_dbfs: float = -12.0, frequency_hz: float = 1000.0) -> str:
    samples = (tone(0, int(seconds * RATE), level_dbfs=level_dbfs, frequency_hz=frequency_hz) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(samples.tobytes())
    return str(path)


class Events:
    """The tracks announced as heard (``None``, the end of the list, left out)."""

    def __init__(self, playlist: PlaylistInput) -> None:
        self.tracks: list[int] = []
        self.ends = 0
        playlist.track_changed.connect(self._on_track)

    def _on_track(self, input, index, title) -> None:  # noqa: A002 - signal payload
        if index is None:
            self.ends += 1
        else:
            self.tracks.append(index)


@pytest.fixture
def playlists():
    made: list[PlaylistInput] = []

    def make(*files: str, **settings) -> PlaylistInput:
        playlist = PlaylistInput("music", "Music", files=list(files), **settings)
        made.append(playlist)
        return playlist

    yield make
    for playlist in made:
        playlist.stop()


def while_playing(playlist: PlaylistInput, predicate, timeout_s: float = 5.0) -> bool:
    """Read the playlist as the mixer would (whatever is waiting) until ``predicate()`` holds."""

    def step() -> bool:
        while playlist.buffered_frames >= BLOCK:
            playlist.read_block(BLOCK)
        return bool(predicate())

    return wait_until(step, timeout_s, interval_s=0.005)


def pull_until_ended(playlist: PlaylistInput, timeout_s: float = 20.0) -> np.ndarray:
    """Everything the playlist plays until it says it has ended (blocks taken only when full)."""
    blocks = []

    def step() -> bool:
        while playlist.buffered_frames >= BLOCK:
            blocks.append(playlist.read_block(BLOCK)[:, 0])
        # The mixer pulls every 20 ms whether or not a block is waiting, and each pull announces the
        # marks reached (here: "ended", which the decoder may mark just after the last full block was
        # taken — under load the helper waited 20 s for a pull that never came).  A pull of nothing.
        playlist.read_block(0)
        if playlist.state_message == "The playlist has ended." and playlist.buffered_frames < BLOCK:
            rest = playlist.buffered_frames
            if rest:
                blocks.append(playlist.read_block(BLOCK)[:rest, 0])
            return True
        return False

    assert wait_until(step, timeout_s, interval_s=0.005), playlist.state_message
    return np.concatenate(blocks)


def test_plays_the_files_in_order_and_skips_a_bad_one_in_words(tmp_path, playlists):
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"ID3 not really music")
    missing = str(tmp_path / "gone.wav")
    first, second = song(tmp_path / "a.wav", 0.5), song(tmp_path / "b.wav", 0.3)
    playlist = playlists(first, str(bad), missing, second, is_looping=False)
    events = Events(playlist)
    playlist.start()
    played = pull_until_ended(playlist)
    assert events.tracks == [0, 3] and events.ends == 1 and playlist.current_index is None
    assert played.size == int(0.8 * RATE)  # both good files, every sample
    assert len(playlist.skipped) == 2
    assert "broken.mp3" in playlist.skipped[0] and "not a music file" in playlist.skipped[0]
    assert "gone.wav" in playlist.skipped[1] and "not found" in playlist.skipped[1]
    assert playlist.state is InputState.ACTIVE


def test_a_looping_list_names_its_bad_file_once(tmp_path, playlists):
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"not music")
    playlist = playlists(song(tmp_path / "a.wav", 0.05), str(bad))
    events = Events(playlist)
    playlist.start()

    assert while_playing(playlist, lambda: len(events.tracks) >= 3, 10), events.tracks
    assert len(playlist.skipped) == 1 and "broken.mp3" in playlist.state_message


def test_crossfade_overlaps_consecutive_tracks(tmp_path, playlists):
    first, second = song(tmp_path / "a.wav", 0.5), song(tmp_path / "b.wav", 0.5, frequency_hz=500.0)
    playlist = playlists(first, second, is_looping=False, crossfade_ms=200)
    playlist.start()
    played = pull_until_ended(playlist)
    assert played.size == int((0.5 + 0.5 - 0.2) * RATE)
    # Inside the overlap both tracks sound (the fade is linear: the sum never clips).
    assert np.abs(played).max() <= 0.26 * 2
    overlap = played[int(0.3 * RATE):int(0.5 * RATE)]
    assert np.abs(overlap).max() > 0.1


def test_next_previous_and_loop(tmp_path, playlists):
    first, second = song(tmp_path / "a.wav", 5.0), song(tmp_path / "b.wav", 0.2)
    playlist = playlists(first, second)
    events = Events(playlist)
    playlist.start()
    assert while_playing(playlist, lambda: events.tracks == [0]), events.tracks
    playlist.next()
    assert while_playing(playlist, lambda: events.tracks[-1:] == [1]), events.tracks
    playlist.previous()  # from the track heard (b), not the one decoded ahead
    assert while_playing(playlist, lambda: events.tracks[-1:] == [0]), events.tracks
    assert events.tracks[-2:] == [1, 0]
    playlist.next()
    assert while_playing(playlist, lambda: events.tracks[-2:] == [1, 0], 10), events.tracks  # after the last, the first
    assert playlist.current_title == "a"


def test_shuffle_plays_every_file_once_a_round(tmp_path, playlists):
    files = [song(tmp_path / f"{name}.wav", 0.05) for name in "abcdef"]
    playlist = playlists(*files, is_shuffled=True, is_looping=False)
    events = Events(playlist)
    playlist.start()
    pull_until_ended(playlist)
    assert sorted(events.tracks) == list(range(6))


def test_an_empty_or_unplayable_list_says_so_and_can_be_refilled(tmp_path, playlists):
    playlist = playlists(str(tmp_path / "nothing.wav"))
    playlist.start()
    assert wait_until(lambda: playlist.state is InputState.NO_DEVICE, 5)
    assert playlist.state_message == "None of the playlist's files can be played."
    assert not playlist.read_block(BLOCK).any()
    playlist.set_files([song(tmp_path / "a.wav", 1.0)])
    assert while_playing(playlist, lambda: playlist.state is InputState.ACTIVE and playlist.current_index == 0)
    assert playlist.describe()["files"] == playlist.files
