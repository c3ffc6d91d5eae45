"""The stinger's sound in the mixer dock (issue #18 leftovers): choosing a stinger whose video has
sound brings a "Stinger" strip with its Monitor switch and no Remove entry (it goes with the
stinger); choosing a fade takes it away (1366×768)."""
from __future__ import annotations

from studio.scene import StingerSettings
from tests.stinger_video import make_sounding_stinger


def test_a_stinger_with_sound_has_its_strip_in_the_mixer(window, qtbot, tmp_path):
    window.resize(1366, 768)
    dock, studio = window.mixer_dock, window.studio
    sting = make_sounding_stinger(tmp_path / "whoosh.mov", width=640, height=360)
    studio.set_transition("stinger", 300, StingerSettings(path=sting, cut_point_ms=500))
    qtbot.waitUntil(lambda: studio.stinger_strip.strip is not None, timeout=10000)
    input_id = studio.stinger_strip.strip.input_id
    qtbot.waitUntil(lambda: input_id in dock.strips, timeout=3000)
    strip = dock.strip_for(input_id)
    assert strip.name_label.text() == "Stinger"
    assert strip.monitor_button is not None
    qtbot.waitUntil(lambda: strip.monitor_button.isVisibleTo(dock), timeout=3000)
    assert not dock.scroll.horizontalScrollBar().isVisible()
    strip._fill_menu()
    assert "Remove this input" not in [action.text() for action in strip.menu.actions()]

    studio.set_transition("fade", 300)
    qtbot.waitUntil(lambda: input_id not in dock.strips, timeout=3000)
