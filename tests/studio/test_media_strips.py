"""The engine gives every media source with sound its own mixer strip, saved with the show."""
from __future__ import annotations

import wave

import numpy as np
import pytest

from studio.engine import Studio
from studio.scene import Canvas, Scene, SceneCollection, Transition
from studio.settings import Settings
from tests.helpers import wait_until
from tests.studio.sources.av_media import make_av_clip, tone


def new_studio(collection: SceneCollection | None = None) -> Studio:
    if collection is None:
        scene = Scene(name="Main")
        collection = SceneCollection(canvas=Canvas(width=640, height=360, fps=30), transition=Transition(kind="cut", duration_ms=0),
                                     scenes=[scene, Scene(name="Other")], current_scene=scene.id)
    settings = Settings()
    settings.audio.microphone = ""
    studio = Studio(settings=settings, collection=collection)
    studio.start()
    return studio


@pytest.fixture
def studios():
    made: list[Studio] = []

    def make(collection: SceneCollection | None = None) -> Studio:
        made.append(new_studio(collection))
        return made[-1]

    yield make
    for studio in made:
        studio.stop()


def test_strip_settings_and_playlists_survive_saving_the_show(tmp_path, studios):
    clip = make_av_clip(tmp_path / "clip.mp4", seconds=2.0, sound="tone")
    music = tmp_path / "song.wav"
    with wave.open(str(music), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(48_000)
        handle.writeframes((tone(0, 48_000) * 32767).astype(np.int16).tobytes())
    studio = studios()
    spec, _item = studio.add_source("media_file", "Clip", {"path": str(clip)})
    assert wait_until(lambda: studio.audio_inputs.media_input(spec.id) is not None, 5)
    strip = studio.audio_inputs.media_input(spec.id)
    assert wait_until(lambda: strip.last_levels.peak_dbfs > -30.0, 5)  # the file's tone in the mix
    strip.gain_db = -6.0
    strip.monitor_tap.is_monitored = True
    playlist = studio.audio_inputs.add("playlist", "Music", files=[str(music)], crossfade_ms=500)
    path = tmp_path / "show.json"
    studio.save_collection(path)
    studio.stop()

    again = studios(Studio.read_collection(path))
    assert wait_until(lambda: again.audio_inputs.media_input(spec.id) is not None, 5)
    restored = again.audio_inputs.media_input(spec.id)
    assert restored.input_id == strip.input_id and restored.gain_db == -6.0 and restored.monitor_tap.is_monitored
    assert again.audio_inputs.monitor.monitored_ids == [strip.input_id]
    restored_music = again.mixer.get_input(playlist.input_id)
    assert restored_music.kind == "playlist" and restored_music.files == [str(music)] and restored_music.crossfade_ms == 500


def test_a_media_source_in_no_scene_on_air_is_silent(tmp_path, studios):
    clip = make_av_clip(tmp_path / "clip.mp4", seconds=2.0, sound="tone")
    studio = studios()
    other = studio.collection.scenes[1]
    spec, _item = studio.add_source("media_file", "Clip", {"path": str(clip)}, scene_id=other.id)
    assert wait_until(lambda: studio.audio_inputs.media_input(spec.id) is not None, 5)  # its strip is there
    strip = studio.audio_inputs.media_input(spec.id)
    assert not wait_until(lambda: strip.last_levels.peak_dbfs > -60.0, 1.0)
    assert strip.feed.buffered_frames == 0
    studio.switch_scene(other.id)
    assert wait_until(lambda: strip.last_levels.peak_dbfs > -30.0, 5)


def test_a_media_file_only_in_studio_modes_preview_is_not_heard_until_taken(tmp_path, studios):
    clip = make_av_clip(tmp_path / "clip.mp4", seconds=2.0, sound="tone")
    studio = studios()
    other = studio.collection.scenes[1]
    spec, _item = studio.add_source("media_file", "Clip", {"path": str(clip)}, scene_id=other.id)
    studio.studio_mode.enable()
    studio.studio_mode.set_scene(other.id)
    assert wait_until(lambda: studio.audio_inputs.media_input(spec.id) is not None, 5)
    strip = studio.audio_inputs.media_input(spec.id)
    # Awake and decoding its sound (the preview draws it), yet not heard.
    assert wait_until(lambda: studio.sources[spec.id].is_awake and strip.feed.reanchors >= 1, 5)
    assert not wait_until(lambda: strip.last_levels.peak_dbfs > -60.0, 1.0)
    assert strip.feed.buffered_frames < 48_000  # what was due was dropped: nothing piles up
    studio.studio_mode.take()
    assert wait_until(lambda: strip.last_levels.peak_dbfs > -30.0, 5)
