"""Sources in no scene on air sleep: nothing decoded, no drops counted; going on air wakes them."""
from __future__ import annotations

import time

import numpy as np
import pytest

from studio.engine import Studio
from studio.scene import Canvas, Scene, SceneCollection, SceneItem, SourceSpec
from studio.sources.testpattern import TestPatternSource
from tests.helpers import wait_until
from tests.studio.sources.helpers import make_video

CANVAS = Canvas(width=320, height=180, fps=30)


@pytest.fixture
def two_scenes(tmp_path):
    """Scene "Pattern" on air (a 10 fps pattern, read by a 30 fps program: never a drop),
    scene "Clip" off air with a looping media file."""
    clip = make_video(tmp_path / "clip.mp4", seconds=1.0, fps=30, width=160, height=96)
    pattern = SourceSpec(kind="testpattern", name="pattern", settings={"width": 320, "height": 180, "fps": 10, "timecode": False})
    video = SourceSpec(kind="media_file", name="clip", settings={"path": str(clip), "loop": True})
    on_air = Scene(name="Pattern", items=[SceneItem(source_id=pattern.id, width=320, height=180)])
    off_air = Scene(name="Clip", items=[SceneItem(source_id=video.id, width=320, height=180)])
    collection = SceneCollection(name="show", canvas=CANVAS, sources=[pattern, video], scenes=[on_air, off_air], current_scene=on_air.id)
    studio = Studio(collection=collection)
    studio.start()
    try:
        yield studio, pattern.id, video.id, on_air.id, off_air.id
    finally:
        studio.stop()


def _settled_count(read, quiet_s: float = 0.4) -> tuple[int, int]:
    """A counter read twice ``quiet_s`` apart (after the source had a moment to finish a frame)."""
    time.sleep(0.1)
    first = read()
    time.sleep(quiet_s)
    return first, read()


def test_source_in_inactive_scene_decodes_nothing_and_drops_nothing(two_scenes):
    studio, pattern_id, video_id, _on_air, _off_air = two_scenes
    ticks_before = studio.compositor.ticks
    assert wait_until(lambda: studio.compositor.ticks >= ticks_before + 30), "the program runs for a second"
    video = studio.sources[video_id]
    assert not video.is_awake
    assert video.frames_decoded == 0
    assert video.frames_captured == 0
    assert studio.sources[pattern_id].is_awake
    assert studio.sources[pattern_id].frames_captured > 0
    assert studio.stats()["dropped_frames"] == 0


def test_switching_to_the_scene_wakes_it_and_back_puts_it_to_sleep(two_scenes):
    studio, pattern_id, video_id, on_air, off_air = two_scenes
    video = studio.sources[video_id]
    studio.switch_scene(off_air, transition="cut")
    assert video.is_awake
    assert wait_until(lambda: video.frames_decoded > 5), "the clip decodes once on air"
    # The clip's grey frames reach the program (the pattern's colour bars are gone).
    assert wait_until(lambda: np.ptp(studio.compositor.latest_program().image[90, :]) < 4)
    assert not studio.sources[pattern_id].is_awake

    studio.switch_scene(on_air, transition="cut")
    assert not video.is_awake
    before, after = _settled_count(lambda: video.frames_decoded)
    assert before == after, "an off-air clip stops decoding"
    assert studio.sources[pattern_id].is_awake


def test_a_clip_woken_after_a_pause_carries_on_without_rushing(two_scenes):
    studio, _pattern_id, video_id, on_air, off_air = two_scenes
    video = studio.sources[video_id]
    studio.switch_scene(off_air, transition="cut")
    assert wait_until(lambda: video.frames_decoded > 5)
    studio.switch_scene(on_air, transition="cut")
    time.sleep(0.6)  # longer than the lateness that would make playback jump its timeline
    studio.switch_scene(off_air, transition="cut")
    decoded = video.frames_decoded
    assert wait_until(lambda: video.frames_decoded > decoded + 5)
    assert video.resyncs == 0, "the timeline moved on by the time slept, so nothing was late"


def test_a_fade_keeps_the_old_scene_awake_until_it_ends(two_scenes):
    studio, pattern_id, video_id, _on_air, off_air = two_scenes
    pattern = studio.sources[pattern_id]
    studio.switch_scene(off_air, transition="fade", duration_ms=400)
    assert pattern.is_awake and studio.sources[video_id].is_awake, "both scenes are drawn during the fade"
    assert wait_until(lambda: not pattern.is_awake, 3.0), "the old scene sleeps once the fade is over"
    before, after = _settled_count(lambda: pattern.frames_captured)
    assert before == after


def test_a_source_added_to_an_inactive_scene_is_born_asleep(two_scenes):
    studio, _pattern_id, video_id, _on_air, off_air = two_scenes
    spec, _item = studio.add_source("testpattern", "second", {"width": 64, "height": 64, "fps": 10, "timecode": False}, scene_id=off_air)
    source = studio.sources[spec.id]
    assert not source.is_awake
    before, after = _settled_count(lambda: source.frames_captured)
    assert before == after == 1, "one poster picture (its size and look), then nothing"
    assert source.natural_size() == (64, 64) and source.dropped_frames == 0
    studio.switch_scene(off_air, transition="cut")
    assert wait_until(lambda: source.frames_captured > 3)
    # 10 fps read by a 30 fps program: the only drop there could be is the poster's.
    assert source.dropped_frames == 0, "the poster was never counted as a drop"


def test_a_sleeping_image_shows_its_picture_at_once_when_woken(two_scenes, tmp_path):
    from PIL import Image

    studio, _pattern_id, _video_id, _on_air, off_air = two_scenes
    Image.new("RGB", (40, 20), (255, 0, 0)).save(tmp_path / "red.png")
    spec, _item = studio.add_source("image", "red", {"path": str(tmp_path / "red.png")}, scene_id=off_air)
    source = studio.sources[spec.id]
    assert wait_until(lambda: source.natural_size() == (40, 20))
    published = source.frames_captured
    studio.switch_scene(off_air, transition="cut")
    assert wait_until(lambda: source.frames_captured > published, 0.4), "published on waking, not at the next 1 s refresh"


def test_a_sleeping_source_stops_at_once():
    source = TestPatternSource("p", "pattern", {"width": 64, "height": 36, "fps": 30})
    source.set_awake(False)
    source.start()
    try:
        time.sleep(0.2)
        assert source.frames_captured == 1  # its poster
        source.set_awake(True)
        assert wait_until(lambda: source.frames_captured > 3, 2.0)
        assert source.wake_count == 1
        source.set_awake(False)
    finally:
        source.stop(timeout=2.0)
    assert not source.is_running

