"""The photo controls of the cover designer driven like a user: fit, zoom slider, focal point picked
on the canvas, face box drawn on the canvas, background removal, corners, replacing the photo —
each one undo step that undo and redo restore exactly."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyle, QStyleOptionSlider

from cover_designer.templates import load_template
from ui.cover_image_panel import face_from_drag, focal_from_click
from tests.ui.cover_helpers import open_cover_editor, wait_rendered

PHOTO = Path(__file__).resolve().parents[1] / "cover_designer" / "data" / "astronaut.jpg"
TEMPLATE = "na_eu-apparel"


@pytest.fixture
def editor(qtbot):
    """The editor on a template whose photo layer shows a real photo, the photo layer selected."""
    doc = load_template(TEMPLATE)
    doc.variables = {**doc.variables, "product_image": str(PHOTO)}
    with open_cover_editor(qtbot, doc, select="photo") as window:
        yield window


def canvas_point(window, x: float, y: float) -> QPoint:
    scale, ox, oy = window.canvas._scale_origin()
    return QPoint(round(ox + x * scale), round(oy + y * scale))


def box_point(window, layer_id: str, u: float, v: float) -> QPoint:
    box = window.canvas.boxes[layer_id]
    return canvas_point(window, box.x + u * box.w, box.y + v * box.h)


def pixels(window, layer_id: str) -> np.ndarray:
    """The rendered canvas inside a layer's box."""
    image = window.canvas.image
    data = np.frombuffer(bytes(image.constBits()), np.uint8).reshape(image.height(), image.bytesPerLine())
    data = data[:, : image.width() * 4].reshape(image.height(), image.width(), 4)
    box = window.canvas.boxes[layer_id]
    return data[int(box.y):int(box.bottom), int(box.x):int(box.right), :3].astype(int)


def layer(window):
    return window.model.layer("photo")


def undo_redo(qtbot, window, check_before, check_after) -> None:
    window.toolbar.undo_action.trigger()
    wait_rendered(qtbot, window)
    check_before()
    window.toolbar.redo_action.trigger()
    wait_rendered(qtbot, window)
    check_after()


def test_panel_shows_only_for_photos_and_hides_text_rows(qtbot, editor):
    panel = editor.image_panel
    assert panel.isVisible()
    assert not editor.properties_panel.properties_form.isRowVisible(editor.properties_panel.prop_labels["font_size"])
    assert not editor.properties_panel.properties_form.isRowVisible(editor.properties_panel.prop_labels["text"])
    assert panel.source_edit.text() == "{product_image}"
    editor.model.select("headline")
    assert not panel.isVisible()
    assert editor.properties_panel.properties_form.isRowVisible(editor.properties_panel.prop_labels["font_size"])


def test_fit_combo_by_keyboard_changes_the_picture_undo_redo(qtbot, editor):
    before = pixels(editor, "photo")
    combo = editor.image_panel.fit_combo
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Down)  # "Fill the box" → "Whole photo"
    assert layer(editor).fit == "fit"
    assert editor.undo_stack.count() == 1
    wait_rendered(qtbot, editor)
    after = pixels(editor, "photo")
    # The whole square photo in a tall box leaves bands of the cover's background above and below.
    assert np.abs(after - before).mean() > 10
    undo_redo(qtbot, editor, lambda: (layer(editor).fit == "fill") or pytest.fail("undo"),
              lambda: (layer(editor).fit == "fit") or pytest.fail("redo"))
    assert np.array_equal(pixels(editor, "photo"), after)


def slider_handle(slider) -> QPoint:
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    rect = slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, slider)
    return rect.center()


def test_zoom_slider_drag_is_one_undo_step(qtbot, editor):
    slider = editor.image_panel.zoom_slider
    before = pixels(editor, "photo")
    start = slider_handle(slider)
    QTest.mousePress(slider, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 6):
        QTest.mouseMove(slider, start + QPoint(step * slider.width() // 12, 0))
    assert layer(editor).zoom > 1.3  # live while dragging
    assert editor.undo_stack.count() == 0
    QTest.mouseRelease(slider, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       start + QPoint(5 * slider.width() // 12, 0))
    zoom = layer(editor).zoom
    assert zoom > 1.3 and editor.undo_stack.count() == 1
    assert editor.image_panel.zoom_spin.value() == pytest.approx(zoom)
    wait_rendered(qtbot, editor)
    assert np.abs(pixels(editor, "photo") - before).mean() > 5
    undo_redo(qtbot, editor, lambda: layer(editor).zoom == 1.0 or pytest.fail("undo"),
              lambda: layer(editor).zoom == zoom or pytest.fail("redo"))
    assert editor.image_panel.zoom_slider.value() == round(zoom * 100)


def test_zoom_spin_box_typing(qtbot, editor):
    spin = editor.image_panel.zoom_spin
    spin.selectAll()
    QTest.keyClicks(spin, "2.5")
    QTest.keyClick(spin, Qt.Key.Key_Return)
    assert layer(editor).zoom == 2.5
    assert editor.image_panel.zoom_slider.value() == 250
    editor.toolbar.undo_action.trigger()
    assert layer(editor).zoom == 1.0
    wait_rendered(qtbot, editor)


def expected_focal(window, u: float, v: float) -> tuple[float, float]:
    """The photo pixel under (u, v) of the box, worked out here from the crop rules (fill, zoom)."""
    box = window.canvas.boxes["photo"]
    w, h = round(box.w), round(box.h)
    lay = layer(window)
    sw = sh = 512
    scale = max(w / sw, h / sh) * lay.zoom
    cw, ch = w / scale, h / scale
    left = min(max(0.0, lay.focal_x * sw - cw / 2), sw - cw)
    top = min(max(0.0, lay.focal_y * sh - ch / 2), sh - ch)
    return (left + u * cw) / sw, (top + v * ch) / sh


def test_pick_focal_point_on_the_canvas_then_undo_redo(qtbot, editor):
    editor.image_panel.zoom_spin.setValue(3)
    editor.image_panel.zoom_spin.editingFinished.emit()
    wait_rendered(qtbot, editor)
    assert editor.canvas.photo_sizes["photo"] == (512, 512)
    zoomed = pixels(editor, "photo")
    fx, fy = expected_focal(editor, 0.2, 0.25)
    assert fx < 0.45 and fy < 0.45
    QTest.mouseClick(editor.image_panel.focal_button, Qt.MouseButton.LeftButton)
    assert editor.canvas.tool == "focal"
    QTest.mouseClick(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     box_point(editor, "photo", 0.2, 0.25))
    assert (layer(editor).focal_x, layer(editor).focal_y) == (pytest.approx(fx, abs=0.01), pytest.approx(fy, abs=0.01))
    assert editor.canvas.tool == "" and not editor.image_panel.focal_button.isChecked()
    assert editor.undo_stack.count() == 2  # zoom, focal point
    assert editor.model.selected == "photo"
    wait_rendered(qtbot, editor)
    moved = pixels(editor, "photo")
    assert np.abs(moved - zoomed).mean() > 5
    assert editor.image_panel.focal_x.value() == pytest.approx(fx, abs=0.01)
    undo_redo(qtbot, editor, lambda: layer(editor).focal_x == 0.5 or pytest.fail("undo"),
              lambda: layer(editor).focal_x == pytest.approx(fx, abs=0.01) or pytest.fail("redo"))
    assert np.array_equal(pixels(editor, "photo"), moved)


def test_focal_tool_click_outside_the_photo_cancels_and_selects_normally(qtbot, editor):
    editor.image_panel.focal_button.click()
    box = editor.canvas.boxes["headline"]
    QTest.mouseClick(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     canvas_point(editor, box.x + box.w / 2, box.y + box.h / 2))
    assert editor.canvas.tool == ""
    assert editor.model.selected == "headline"
    assert editor.undo_stack.count() == 0


def test_focal_spin_boxes_are_one_undo_step(qtbot, editor):
    panel = editor.image_panel
    panel.focal_x.setValue(0.2)
    panel.focal_y.setValue(0.7)
    panel.focal_y.editingFinished.emit()
    assert (layer(editor).focal_x, layer(editor).focal_y) == (0.2, 0.7)
    assert editor.undo_stack.count() == 1
    editor.toolbar.undo_action.trigger()
    assert (layer(editor).focal_x, layer(editor).focal_y) == (0.5, 0.5)
    wait_rendered(qtbot, editor)


def test_draw_face_box_on_the_canvas_lint_sees_it_clear_undo_redo(qtbot, editor):
    QTest.mouseClick(editor.image_panel.face_button, Qt.MouseButton.LeftButton)
    assert editor.canvas.tool == "face"
    start, end = box_point(editor, "photo", 0.3, 0.2), box_point(editor, "photo", 0.7, 0.6)
    QTest.mousePress(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 5):
        QTest.mouseMove(editor.canvas, start + (end - start) * (step / 4))
    QTest.mouseRelease(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    face = layer(editor).face
    assert face is not None
    assert face == pytest.approx((0.3, 0.2, 0.4, 0.4), abs=0.01)
    assert editor.canvas.tool == ""
    assert editor.undo_stack.count() == 1
    wait_rendered(qtbot, editor)
    drawn = editor.canvas.faces["photo"]
    box = editor.canvas.boxes["photo"]
    assert drawn.x == pytest.approx(box.x + 0.3 * box.w, abs=2)
    assert "%" in editor.image_panel.face_label.text()
    undo_redo(qtbot, editor, lambda: layer(editor).face is None or pytest.fail("undo"),
              lambda: layer(editor).face == face or pytest.fail("redo"))
    QTest.mouseClick(editor.image_panel.face_clear, Qt.MouseButton.LeftButton)
    assert layer(editor).face is None
    assert not editor.image_panel.face_clear.isEnabled()
    editor.toolbar.undo_action.trigger()
    assert layer(editor).face == face
    wait_rendered(qtbot, editor)


def test_a_tiny_face_drag_is_ignored_and_escape_ends_the_tool(qtbot, editor):
    editor.image_panel.face_button.click()
    point = box_point(editor, "photo", 0.5, 0.5)
    QTest.mouseClick(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    assert layer(editor).face is None and editor.undo_stack.count() == 0
    editor.image_panel.face_button.click()
    editor.canvas.setFocus()
    QTest.keyClick(editor.canvas, Qt.Key.Key_Escape)
    assert editor.canvas.tool == "" and not editor.image_panel.face_button.isChecked()


def test_remove_background_toggle_renders_off_the_gui_thread_undo_redo(qtbot, editor):
    before = pixels(editor, "photo")
    box = editor.image_panel.remove_background  # on the box itself: a form row makes the check box wider than its label
    QTest.mouseClick(box, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(8, box.height() // 2))
    assert layer(editor).remove_background
    assert not editor.is_idle()  # the cut-out is being made on a pool thread
    wait_rendered(qtbot, editor)
    cut = pixels(editor, "photo")
    assert np.abs(cut - before).mean() > 3
    undo_redo(qtbot, editor, lambda: not layer(editor).remove_background or pytest.fail("undo"),
              lambda: layer(editor).remove_background or pytest.fail("redo"))
    assert np.array_equal(pixels(editor, "photo"), cut)
    assert editor.image_panel.remove_background.isChecked()


def test_corner_radius_and_replace_photo(qtbot, editor, tmp_path):
    panel = editor.image_panel
    panel.corner_radius.setValue(0.25)
    panel.corner_radius.editingFinished.emit()
    assert layer(editor).corner_radius == 0.25
    wait_rendered(qtbot, editor)
    corner = pixels(editor, "photo")[2, 2]
    # The rounded corner shows the cover's background, not the photo.
    assert corner.tolist() != pixels(editor, "photo")[len(pixels(editor, "photo")) // 2, 2].tolist()
    other = tmp_path / "red.png"
    from PIL import Image

    Image.new("RGB", (64, 64), "#FF0000").save(other)
    panel.set_photo(str(other))
    assert layer(editor).src == str(other)
    wait_rendered(qtbot, editor)
    middle = pixels(editor, "photo")
    assert middle[len(middle) // 2, len(middle[0]) // 2].tolist() == [255, 0, 0]
    editor.toolbar.undo_action.trigger()
    assert layer(editor).src == "{product_image}"
    assert panel.source_edit.text() == "{product_image}"
    wait_rendered(qtbot, editor)


def test_focal_and_face_helpers_round_trip_at_zoom():
    doc = load_template(TEMPLATE)
    photo = next(lay for lay in doc.layers if lay.id == "photo").model_copy(update={"zoom": 2.0, "focal_x": 0.3})
    size, box = (800, 400), (300, 600)
    # Clicking the box centre of a crop centred on the focal point gives that focal point back.
    fx, fy = focal_from_click(photo, size, box, 0.5, 0.5)
    assert (fx, fy) == (pytest.approx(0.3, abs=0.002), pytest.approx(0.5, abs=0.002))
    # A face drawn at zoom 2 is stored as seen at zoom 1: half the size.
    face = face_from_drag(photo, size, box, (0.25, 0.25), (0.75, 0.75))
    assert face[2] == pytest.approx(0.25, abs=0.01) and face[3] == pytest.approx(0.25, abs=0.01)
    assert face_from_drag(photo, None, box, (0.5, 0.5), (0.51, 0.9)) is None
    assert focal_from_click(photo, None, box, 1.5, -1) == (1.0, 0.0)


def test_logo_layers_get_the_panel_without_the_face_rows(qtbot, editor):
    editor.layers_panel.add_actions["logo"].trigger()
    panel = editor.image_panel
    assert panel.isVisible() and panel.title() == "Logo"
    assert not panel.form.isRowVisible(panel.labels["face"])
    assert panel.fit_combo.currentData() == "fit"
    editor.model.select("photo")
    assert panel.title() == "Photo" and panel.form.isRowVisible(panel.labels["face"])
    wait_rendered(qtbot, editor)
