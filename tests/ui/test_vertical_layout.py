"""The vertical canvas from the scenes and sources docks, over the real engine (issue #12)."""
from __future__ import annotations

from studio.scene import VerticalCanvas, VerticalLayout
from tests.ui.conftest import is_colour, program_pixel, solid_png
from ui.vertical_layout_panel import fill_transform, fit_transform

BLUE = (255, 0, 0)
SMALL = (180, 320)  # a small 9:16 canvas keeps the test quick; the engine treats every size alike


def vertical_pixel(studio, x_fraction: float, y_fraction: float):
    compositor = studio.vertical_compositor
    frame = compositor.latest_program() if compositor is not None else None
    if frame is None:
        return None
    h, w = frame.image.shape[:2]
    return frame.image[int(h * y_fraction), int(w * x_fraction)]


def test_turning_the_vertical_canvas_on_and_off_from_the_scenes_dock(window, qtbot):
    studio = window.studio
    controls = window.scenes_dock.vertical_controls
    panel = window.sources_dock.vertical_panel
    assert not controls.enable_check.isChecked() and not controls.layout_combo.isEnabled()
    assert not panel.isVisibleTo(window)
    controls.size_combo.setCurrentIndex(1)  # 720×1280
    controls.enable_check.click()
    qtbot.waitUntil(lambda: studio.vertical.is_on and not controls.is_busy, timeout=5000)
    assert (studio.collection.vertical_canvas.width, studio.collection.vertical_canvas.height) == (720, 1280)
    qtbot.waitUntil(lambda: studio.vertical_compositor.latest_program() is not None, timeout=5000)
    assert studio.vertical_compositor.latest_program().image.shape[:2] == (1280, 720)
    assert controls.enable_check.isChecked() and controls.layout_combo.isEnabled()
    assert panel.isVisibleTo(window)

    controls.enable_check.click()
    qtbot.waitUntil(lambda: not studio.vertical.is_on and not controls.is_busy, timeout=5000)
    assert studio.collection.vertical_canvas is None
    assert not panel.isVisibleTo(window)


def test_manual_layout_fit_fill_centre_hide_and_reset(window, qtbot, tmp_path):
    studio = window.studio
    studio.vertical.enable(*SMALL)
    spec, item = studio.add_source("image", "Card", {"path": str(solid_png(tmp_path / "b.png", BLUE, (320, 180)))})
    scene_id = studio.collection.current_scene
    controls = window.scenes_dock.vertical_controls
    panel = window.sources_dock.vertical_panel
    qtbot.waitUntil(lambda: controls.size_combo.currentText() == "180×320", timeout=3000)  # a size not offered is still shown
    window.sources_dock.select_item(item.id)
    assert not panel.editor.isVisibleTo(window)  # Auto: nothing to place

    controls.layout_combo.setCurrentIndex(1)
    controls.layout_combo.activated.emit(1)
    assert studio.collection.scene(scene_id).vertical_layout is VerticalLayout.MANUAL
    qtbot.waitUntil(lambda: panel.editor.isVisibleTo(window) and panel.fill_button.isEnabled(), timeout=3000)

    def placed():
        return next(i for i in studio.collection.scene(scene_id).items if i.id == item.id).vertical

    panel.fill_button.click()  # 320×180 covering 180×320: scale 16/9, 101 source pixels wide stay
    fill = placed()
    assert (fill.x, fill.y, fill.width, fill.height) == (0, 0, 180, 320)
    assert (fill.crop.left, fill.crop.top, fill.crop.right, fill.crop.bottom) == (109, 0, 110, 0)
    assert [panel.spins[key].value() for key in ("x", "y", "width", "height")] == [0, 0, 180, 320]
    qtbot.waitUntil(lambda: is_colour(vertical_pixel(studio, 0.05, 0.05), BLUE) and is_colour(vertical_pixel(studio, 0.95, 0.95), BLUE), timeout=3000)

    panel.fit_button.click()  # the whole 16:9 picture across the width, centred
    fit = placed()
    assert (fit.x, fit.y, fit.width, fit.height) == (0, 109, 180, 101)
    assert fit.crop.left == fit.crop.right == 0
    qtbot.waitUntil(lambda: is_colour(vertical_pixel(studio, 0.5, 0.5), BLUE) and not is_colour(vertical_pixel(studio, 0.5, 0.05), BLUE), timeout=3000)

    panel.spins["width"].setValue(90)
    panel.spins["height"].setValue(50)
    panel.centre_button.click()
    centred = placed()
    assert (centred.x, centred.y, centred.width, centred.height) == (45, 135, 90, 50)

    panel.visible_check.click()  # hidden on vertical only
    hidden = next(i for i in studio.collection.scene(scene_id).items if i.id == item.id)
    assert hidden.vertical.is_visible is False and hidden.is_visible is True
    qtbot.waitUntil(lambda: not is_colour(vertical_pixel(studio, 0.5, 0.5), BLUE), timeout=3000)
    assert is_colour(program_pixel(studio), BLUE)  # still on the horizontal program

    assert panel.reset_button.isEnabled()
    panel.reset_button.click()
    assert placed() is None
    assert not panel.reset_button.isEnabled()


def test_controls_follow_changes_made_through_the_engine(window, qtbot):
    studio = window.studio
    controls = window.scenes_dock.vertical_controls
    panel = window.sources_dock.vertical_panel
    scene = studio.current_scene()
    item = scene.items[0]
    studio.vertical.enable(*SMALL)
    qtbot.waitUntil(lambda: controls.enable_check.isChecked() and controls.size_combo.currentText() == "180×320", timeout=3000)
    window.sources_dock.select_item(item.id)
    studio.vertical.set_layout(scene.id, VerticalLayout.MANUAL)
    qtbot.waitUntil(lambda: controls.layout_combo.currentIndex() == 1 and panel.editor.isVisibleTo(window), timeout=3000)
    assert panel.visible_check.text() == "Sho&w on the vertical canvas (180×320)"
    studio.vertical.update_item(scene.id, item.id, x=10, y=20, width=100, height=60, is_visible=False)
    qtbot.waitUntil(lambda: [panel.spins[k].value() for k in ("x", "y", "width", "height")] == [10, 20, 100, 60], timeout=3000)
    assert not panel.visible_check.isChecked()
    studio.vertical.set_layout(scene.id, VerticalLayout.AUTO)
    qtbot.waitUntil(lambda: controls.layout_combo.currentIndex() == 0 and not panel.editor.isVisibleTo(window), timeout=3000)
    studio.vertical.disable()
    qtbot.waitUntil(lambda: not controls.enable_check.isChecked() and not panel.isVisibleTo(window), timeout=3000)


def test_fit_and_fill_keep_the_horizontal_crop():
    from studio.scene import Canvas, Crop, SceneItem

    item = SceneItem(source_id="s", width=640, height=360, crop=Crop(left=20, right=20))  # 280×180 shown of 320×180
    vertical = VerticalCanvas(width=1080, height=1920)
    fit = fit_transform(item, (320, 180), Canvas(width=640, height=360), vertical)
    assert (fit["width"], fit["height"]) == (1080, round(180 * 1080 / 280))
    fill = fill_transform(item, (320, 180), vertical)
    visible = round(1080 / (1920 / 180))  # 101 source pixels across
    assert fill["crop"].left + fill["crop"].right == 40 + 280 - visible
    assert fill["crop"].left >= 20 and fill["crop"].right >= 20


def test_a_held_vertical_canvas_is_refused_in_words(window, qtbot):
    from PySide6.QtWidgets import QMessageBox

    studio = window.studio
    controls = window.scenes_dock.vertical_controls
    studio.vertical.enable(*SMALL)
    qtbot.waitUntil(controls.enable_check.isChecked, timeout=3000)
    holder = object()  # what a live vertical stream does
    studio.hold_canvas(holder, "vertical")
    try:
        controls.enable_check.click()
        qtbot.waitUntil(lambda: bool(controls.findChildren(QMessageBox)), timeout=5000)
        box = controls.findChildren(QMessageBox)[0]
        assert "Stop the vertical live streams" in box.text()
        assert studio.vertical.is_on and controls.enable_check.isChecked() and controls.enable_check.isEnabled()
        box.close()
    finally:
        studio.release_canvas(holder)
