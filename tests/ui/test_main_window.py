"""The real main window over a running engine: open, add a source, switch, open files."""
from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog

from studio.sources.base import SourceState
from studio.sources.testpattern import make_background
from studio.timecode import read_strip
from tests.ui.conftest import is_colour, program_pixel, solid_png

MAGENTA = (255, 0, 255)  # BGR
GREEN = (0, 200, 0)


def test_opens_with_defaults_and_previews_the_test_pattern(window, qtbot):
    studio = window.studio
    assert [scene.name for scene in studio.collection.scenes] == ["Main"]
    assert window.scenes_dock.list.count() == 1
    # "— starting…" until the first frame arrives, then just the name.
    qtbot.waitUntil(lambda: window.sources_dock.list.item(0).text() == "Test pattern", timeout=5000)
    qtbot.waitUntil(lambda: window.preview.image is not None and window.preview.frames_shown >= 3, timeout=5000)

    frame = studio.compositor.latest_program()
    image = frame.image
    assert image.shape == (360, 640, 3)
    # The time-code strip the test pattern stamps at capture reads back from the program.
    assert read_strip(image) is not None
    # Colour bars: the median of each bar's centre column (the moving box covers only part).
    bars = make_background(640, 360)
    for bar in range(7):
        x = int((bar + 0.5) * 640 / 7)
        column = np.median(image[100:230, x].astype(int), axis=0)
        assert np.all(np.abs(column - bars[150, x].astype(int)) <= 4), (bar, column)

    # What the preview painted: the first bar's grey, scaled into the widget.
    target = window.preview.target_rect()
    assert target.width() > 0 and abs(target.width() / target.height() - 16 / 9) < 0.02
    painted = window.preview.grab().toImage()
    colour = painted.pixelColor(target.left() + target.width() // 14, target.top() + int(target.height() * 0.5))
    assert abs(colour.red() - 192) <= 8 and abs(colour.green() - 192) <= 8 and abs(colour.blue() - 192) <= 8


def test_add_an_image_source_through_the_ui(window, qtbot, tmp_path):
    studio = window.studio
    dock = window.sources_dock
    path = solid_png(tmp_path / "card.png", MAGENTA, (640, 360))  # canvas-sized: it covers the pattern
    # What a click on "+" → "Image" does.
    dock._fill_add_menu()
    action = next(a for a in dock.add_menu.actions() if a.data() == "image")
    action.trigger()
    dialog = dock.pending_dialog
    assert dialog is not None and dialog.isVisible()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # no file chosen yet
    dialog.path_picker.edit.setText(str(path))
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: is_colour(program_pixel(studio), MAGENTA), timeout=5000)
    spec = next(s for s in studio.collection.sources if s.kind == "image")
    assert spec.settings["path"] == str(path)
    # The new layer is on top: first row of the list, selected.
    # The source's "running" state reaches the dock through a queued signal, maybe after the first frame.
    qtbot.waitUntil(lambda: dock.list.item(0).text() == "Image", timeout=3000)
    assert dock.list.currentRow() == 0

    # The image covers the pattern's own time-code strip; the latency probe stamps one on the program.
    assert read_strip(studio.compositor.latest_program().image) is None
    window.probe_action.trigger()
    assert studio.compositor.is_latency_probe_on and window.settings.video.latency_probe
    qtbot.waitUntil(lambda: read_strip(studio.compositor.latest_program().image) is not None, timeout=3000)
    window.probe_action.trigger()
    assert not studio.compositor.is_latency_probe_on

    # Hiding it with its checkbox brings the test pattern back.
    row = dock.list.item(0)
    row.setCheckState(Qt.CheckState.Unchecked)
    qtbot.waitUntil(lambda: not is_colour(program_pixel(studio), MAGENTA), timeout=3000)
    assert studio.current_scene().items[-1].is_visible is False


def test_click_in_scenes_dock_switches_program_with_fade(window, qtbot, tmp_path):
    studio = window.studio
    dock = window.scenes_dock
    main_id = studio.collection.current_scene
    second = studio.add_scene("Product close-up")
    spec, _item = studio.add_source("image", "Green card", {"path": str(solid_png(tmp_path / "g.png", GREEN))}, scene_id=second.id)
    qtbot.waitUntil(lambda: studio.sources[spec.id].state is SourceState.ACTIVE, timeout=3000)
    dock.transition_combo.setCurrentIndex(dock.transition_combo.findData("fade"))
    dock.duration_spin.setValue(400)
    assert studio.collection.transition.duration_ms == 400

    item = dock.item_for_scene(second.id)
    assert item is not None and dock.list.count() == 2
    qtbot.mouseClick(dock.list.viewport(), Qt.MouseButton.LeftButton, pos=dock.list.visualItemRect(item).center())

    assert studio.collection.current_scene == second.id
    assert studio.compositor.is_transitioning  # the fade is under way, not a cut
    qtbot.waitUntil(lambda: not studio.compositor.is_transitioning and is_colour(program_pixel(studio), GREEN), timeout=3000)
    # The sources dock follows the program scene.
    assert window.sources_dock.list.item(0).text() == "Green card"

    # And back, this time with a cut.
    dock.transition_combo.setCurrentIndex(dock.transition_combo.findData("cut"))
    first = dock.item_for_scene(main_id)
    qtbot.mouseClick(dock.list.viewport(), Qt.MouseButton.LeftButton, pos=dock.list.visualItemRect(first).center())
    assert not studio.compositor.is_transitioning
    qtbot.waitUntil(lambda: read_strip(studio.compositor.latest_program().image) is not None, timeout=3000)


def test_scenes_dock_adds_and_renames_scenes(window, qtbot):
    studio = window.studio
    dock = window.scenes_dock
    dock.add_action.trigger()
    assert [s.name for s in studio.collection.scenes] == ["Main", "Scene 2"]
    item = dock.list.item(1)
    item.setText("Giveaway")  # what committing the inline editor does
    assert studio.collection.scenes[1].name == "Giveaway"
    item.setText("   ")  # an empty name is refused and the old one shown again
    assert studio.collection.scenes[1].name == "Giveaway" and dock.list.item(1).text() == "Giveaway"
    dock.list.setCurrentRow(1)
    dock.remove_action.trigger()
    assert [s.name for s in studio.collection.scenes] == ["Main"]
    assert not dock.remove_action.isEnabled()  # the last scene stays


def test_language_switch_retranslates_visible_texts(window, qtbot):
    assert window.scenes_dock.windowTitle() == "Scenes"
    window.language_actions["zh_CN"].trigger()
    assert window.settings.language == "zh_CN"
    # Qt posts LanguageChange to every widget; the views retranslate when it arrives.
    qtbot.waitUntil(lambda: window.scenes_dock.windowTitle() == "场景", timeout=2000)
    assert window.sources_dock.windowTitle() == "来源"
    assert window.mixer_dock.windowTitle() == "混音器"
    assert window.file_menu.title() == "文件(&F)"
    assert window.scenes_dock.transition_combo.itemText(1) == "淡入淡出"
    assert window.status.render_label.text().startswith("渲染")
    assert window.sources_dock.list.item(0).toolTip() == "测试画面"  # the source kind
    assert window.mixer_dock.empty_label.text().startswith("还没有音频输入")
    window.language_actions["en"].trigger()
    qtbot.waitUntil(lambda: window.scenes_dock.windowTitle() == "Scenes", timeout=2000)
    assert window.file_menu.title() == "&File"


def test_malformed_collection_from_file_menu_shows_error_and_keeps_scene(window, qtbot, tmp_path, monkeypatch):
    studio = window.studio
    before_scene = studio.collection.current_scene
    before_collection = studio.collection
    data = studio.snapshot_collection().model_dump(mode="json")
    data["scenes"][0]["items"][0]["opacity"] = 5
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))

    window.open_action.trigger()
    qtbot.waitUntil(lambda: window.error_box is not None and window.error_box.isVisible(), timeout=5000)
    text = window.error_box.text()
    assert "scenes[0].items[0].opacity" in text
    assert "unchanged" in text
    assert studio.collection is before_collection and studio.collection.current_scene == before_scene
    assert window.scenes_dock.list.count() == 1
    window.error_box.accept()
    qtbot.waitUntil(lambda: window.error_box is None, timeout=2000)


def test_open_and_save_collection_round_trip(window, qtbot, tmp_path, monkeypatch):
    studio = window.studio
    studio.add_scene("Warm-up")
    path = tmp_path / "show.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(path), ""))
    window.save_as_action.trigger()
    assert json.loads(path.read_text(encoding="utf-8"))["scenes"][1]["name"] == "Warm-up"

    studio.remove_scene(studio.collection.scenes[1].id)
    assert window.scenes_dock.list.count() == 1
    window.open_collection(path)
    qtbot.waitUntil(lambda: window.scenes_dock.list.count() == 2, timeout=5000)
    assert window.settings.scene_collection == str(path)
    assert window.error_box is None


def test_status_bar_measures_program_fps(window, qtbot):
    status = window.status
    status.update_stats()
    qtbot.wait(600)
    status.update_stats()
    assert status.measured_fps is not None and 15 <= status.measured_fps <= 40
    assert status.fps_label.text().startswith("FPS: ")
    assert status.cpu_label.text().startswith("CPU: ")


def test_window_layout_persists(window, qtbot, settings):
    window.mixer_dock.hide()
    window.save_layout()
    from ui.main_window import MainWindow

    again = MainWindow(window.studio, settings)
    qtbot.addWidget(again)
    try:
        assert again.mixer_dock.isHidden()
    finally:
        again.bridge.detach()
        again.mixer_dock.detach()


def test_collection_with_unknown_source_type_changes_nothing(window, qtbot, tmp_path):
    studio = window.studio
    before = studio.collection
    data = studio.snapshot_collection().model_dump(mode="json")
    data["sources"][0]["kind"] = "hologram"
    path = tmp_path / "future.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    window.open_collection(path)
    qtbot.waitUntil(lambda: window.error_box is not None, timeout=5000)
    assert "sources[0].kind" in window.error_box.text() and "hologram" in window.error_box.text()
    assert studio.collection is before and studio.compositor.is_running
    qtbot.waitUntil(lambda: read_strip(studio.compositor.latest_program().image) is not None, timeout=3000)
