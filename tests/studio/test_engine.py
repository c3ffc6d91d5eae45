import numpy as np
import pytest

from studio.engine import Studio, default_collection
from studio.core.errors import SceneFileError, SourceError
from studio.scene import Canvas, save_collection
from studio.sources.base import SourceState
from tests.helpers import wait_until


@pytest.fixture
def studio():
    s = Studio(collection=default_collection(Canvas(width=640, height=360, fps=30)))
    s.start()
    assert wait_until(lambda: s.compositor.latest_program() is not None)
    yield s
    s.stop()


def test_default_program_is_test_pattern(studio):
    from studio.timecode import read_strip

    assert wait_until(lambda: read_strip(studio.compositor.latest_program().image) is not None)
    frame = studio.compositor.latest_program()
    assert (frame.width, frame.height) == (640, 360)


def test_add_source_appears_in_program_and_refits(studio):
    spec, item = studio.add_source("testpattern", "square", {"width": 200, "height": 200, "timecode": False})
    assert wait_until(lambda: studio.current_scene().items[-1].width == 360)
    placed = studio.current_scene().items[-1]
    assert (placed.x, placed.y, placed.height) == (140, 0, 360)
    # Left of the square the full-canvas pattern's bars are visible; inside it the new layer's.
    assert wait_until(lambda: studio.compositor.latest_program().image[300, 139].tolist() != studio.compositor.latest_program().image[300, 141].tolist())


def test_unknown_kind_changes_nothing(studio):
    before = studio.snapshot_collection()
    with pytest.raises(SourceError):
        studio.add_source("hologram", "x")
    assert studio.snapshot_collection() == before


def test_switch_scene_with_cut(studio):
    second = studio.add_scene("Second")
    studio.switch_scene(second.id, transition="cut")
    assert studio.collection.current_scene == second.id
    assert wait_until(lambda: int(studio.compositor.latest_program().image.max()) == 0)  # empty scene is black


def test_hidden_item_not_drawn(studio):
    scene = studio.current_scene()
    studio.items.update(scene.id, scene.items[0].id, is_visible=False)
    assert wait_until(lambda: int(studio.compositor.latest_program().image.max()) == 0)


def test_invalid_item_update_rejected(studio):
    scene = studio.current_scene()
    with pytest.raises(Exception):
        studio.items.update(scene.id, scene.items[0].id, opacity=7)
    assert studio.current_scene().items[0].opacity == 1.0


def test_z_order(studio):
    a, _ = studio.add_source("testpattern", "a", {"width": 64, "height": 36})
    b, _ = studio.add_source("testpattern", "b", {"width": 64, "height": 36})
    scene = studio.current_scene()
    top = scene.items[-1]
    studio.items.move(scene.id, top.id, -10)
    assert studio.current_scene().items[0].id == top.id


def test_remove_source_removes_items(studio):
    spec, item = studio.add_source("testpattern", "temp", {"width": 64, "height": 36})
    studio.remove_source(spec.id)
    assert all(i.source_id != spec.id for s in studio.collection.scenes for i in s.items)
    assert spec.id not in studio.sources


def test_malformed_file_keeps_current_show(studio, tmp_path):
    path = tmp_path / "bad.json"
    data = studio.snapshot_collection().model_dump()
    data["scenes"][0]["items"][0]["width"] = -5
    import json

    path.write_text(json.dumps(data))
    before = studio.snapshot_collection()
    with pytest.raises(SceneFileError) as err:
        studio.apply_collection(Studio.read_collection(path))
    assert "scenes[0].items[0].width" in str(err.value)
    assert studio.snapshot_collection() == before
    assert wait_until(lambda: studio.compositor.ticks > 3)


def test_apply_collection_swaps_sources(studio, tmp_path):
    other = default_collection(Canvas(width=320, height=180, fps=30))
    path = tmp_path / "other.json"
    save_collection(other, path)
    studio.apply_collection(Studio.read_collection(path))
    assert wait_until(lambda: (p := studio.compositor.latest_program()) is not None and p.width == 320)
    assert list(studio.sources) == [other.sources[0].id]


def test_source_state_events_reach_listeners(studio):
    seen = []
    studio.source_state_changed.connect(lambda **kw: seen.append(kw["state"]))
    studio.add_source("testpattern", "t", {"width": 64, "height": 36})
    assert wait_until(lambda: SourceState.ACTIVE in seen)


def test_stats(studio):
    assert wait_until(lambda: studio.compositor.ticks > 5)
    stats = studio.stats()
    assert stats["render_ms_p50"] is not None and stats["late_ticks"] >= 0


def test_audio_inputs_saved_and_restored(studio, tmp_path):
    tone = studio.audio_inputs.add("tone", "Tone", frequency_hz=440.0, level_dbfs=-18.0)
    tone.gain_db = -6.0
    tone.is_muted = True
    path = tmp_path / "show.json"
    studio.save_collection(path)
    studio.apply_collection(Studio.read_collection(path))
    restored = studio.mixer.get_input(tone.input_id)
    assert restored is not None and restored is not tone
    assert (restored.gain_db, restored.is_muted, restored.frequency_hz) == (-6.0, True, 440.0)


def test_muted_tone_gives_silent_program_audio(studio):
    tone = studio.audio_inputs.add("tone", "Tone", level_dbfs=-12.0)
    subscription = studio.mixer.subscribe()
    try:
        assert wait_until(lambda: studio.mixer.last_levels.rms_dbfs > -20)
        tone.is_muted = True
        assert wait_until(lambda: studio.mixer.last_levels.peak_dbfs < -90)
        block = subscription.get(1.0)
        assert block is not None and block.samples.shape == (960, 2)
    finally:
        studio.mixer.unsubscribe(subscription)


def test_canvas_change_refused_while_an_output_holds_it(studio, tmp_path):
    from studio.core.errors import StudioError

    other = default_collection(Canvas(width=320, height=180, fps=30))
    holder = object()
    studio.hold_canvas(holder)
    before = studio.snapshot_collection()
    with pytest.raises(StudioError, match="Stop the live stream"):
        studio.apply_collection(other)
    assert studio.snapshot_collection() == before
    studio.release_canvas(holder)
    studio.apply_collection(other)
    assert studio.collection.canvas.width == 320
