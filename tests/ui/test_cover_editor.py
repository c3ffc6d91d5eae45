"""The cover designer window driven like a user: drag, undo, redo, edit, lint, export."""
from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from cover_designer.presets import PRESETS
from cover_designer.templates import load_template
from ui.cover_editor import active_frame, edit_layer, DocumentCommand
from tests.ui.cover_helpers import open_cover_editor, wait_rendered

TEMPLATE = "na_eu-apparel"


@pytest.fixture
def editor(qtbot):
    with open_cover_editor(qtbot, load_template(TEMPLATE)) as window:
        yield window


def widget_point(window, x: float, y: float) -> QPoint:
    scale, ox, oy = window.canvas._scale_origin()
    return QPoint(round(ox + x * scale), round(oy + y * scale))


def drag(window, start: QPoint, end: QPoint, steps: int = 5) -> None:
    canvas = window.canvas
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, steps + 1):
        point = start + (end - start) * (i / steps)
        QTest.mouseMove(canvas, point)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def crop(window, box) -> Image.Image:
    image = window.canvas.image
    ptr = image.constBits()
    pil = Image.frombuffer("RGBA", (image.width(), image.height()), bytes(ptr), "raw", "RGBA", image.bytesPerLine(), 1)
    return pil.crop((int(box.x), int(box.y), int(box.right), int(box.bottom)))


def test_drag_moves_layer_then_undo_and_redo(qtbot, editor):
    editor.canvas.snapping = False
    original = editor.model.document.model_copy(deep=True)
    before_frame = active_frame(editor.model.layer("headline"), editor.model.preset)
    box = editor.canvas.boxes["headline"]
    first_image = editor.canvas.image.copy()
    start = widget_point(editor, box.x + box.w / 2, box.y + box.h / 2)
    end = start + QPoint(120, 90)
    drag(editor, start, end)
    assert editor.model.selected == "headline"
    wait_rendered(qtbot, editor)

    after_frame = active_frame(editor.model.layer("headline"), editor.model.preset)
    assert after_frame.dx > before_frame.dx + 0.05 and after_frame.dy > before_frame.dy + 0.05
    moved = editor.canvas.boxes["headline"]
    scale = editor.canvas._scale_origin()[0]
    assert moved.x - box.x == pytest.approx(120 / scale, abs=2)
    assert moved.y - box.y == pytest.approx(90 / scale, abs=2)
    # The picture changed where the headline went.
    new_spot = crop(editor, moved)
    assert editor.canvas.image != first_image
    assert editor.undo_stack.count() == 1

    editor.toolbar.undo_action.trigger()
    wait_rendered(qtbot, editor)
    assert editor.model.document.model_dump() == original.model_dump()
    assert editor.canvas.image == first_image
    assert crop(editor, moved).tobytes() != new_spot.tobytes()

    editor.toolbar.redo_action.trigger()
    wait_rendered(qtbot, editor)
    assert active_frame(editor.model.layer("headline"), editor.model.preset) == after_frame
    assert crop(editor, moved).tobytes() == new_spot.tobytes()


def test_drag_snaps_to_canvas_centre_and_resize_handle(qtbot, editor):
    box = editor.canvas.boxes["badge"]
    preset = editor.model.preset
    start = widget_point(editor, box.x + box.w / 2, box.y + box.h / 2)
    # Aim 3 canvas px off the vertical centre line: the box centre snaps onto it.
    end = widget_point(editor, preset.width / 2 + 3, box.y + box.h / 2)
    drag(editor, start, end)
    wait_rendered(qtbot, editor)
    snapped = editor.canvas.boxes["badge"]
    assert snapped.x + snapped.w / 2 == pytest.approx(preset.width / 2, abs=1.5)

    before = active_frame(editor.model.layer("badge"), preset)
    corner = editor.canvas._handle_rect(snapped).center().toPoint()
    drag(editor, corner, corner + QPoint(40, 30))
    wait_rendered(qtbot, editor)
    grown = active_frame(editor.model.layer("badge"), preset)
    assert grown.w > before.w and grown.h > before.h
    resized = editor.canvas.boxes["badge"]
    assert resized.x == pytest.approx(snapped.x, abs=1.5)  # the top-left corner stays put
    assert editor.undo_stack.count() == 2


def test_click_selects_and_locked_layer_does_not_move(qtbot, editor):
    box = editor.canvas.boxes["price"]
    point = widget_point(editor, box.x + box.w / 2, box.y + box.h / 2)
    QTest.mouseClick(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    assert editor.model.selected == "price"
    assert editor.layers_panel.layer_list.currentItem().data(Qt.ItemDataRole.UserRole) == "price"
    editor.layers_panel.lock_button.click()
    assert editor.model.layer("price").locked
    frame = active_frame(editor.model.layer("price"), editor.model.preset)
    drag(editor, point, point + QPoint(80, -60))
    assert active_frame(editor.model.layer("price"), editor.model.preset) == frame
    assert editor.undo_stack.count() == 1  # only the lock


def test_edit_text_property_and_undo(qtbot, editor):
    editor.model.select("headline")
    assert editor.properties_panel.text_edit.text() == "New Arrival"
    editor.properties_panel.text_edit.clear()
    QTest.keyClicks(editor.properties_panel.text_edit, "Summer Drop")
    QTest.keyClick(editor.properties_panel.text_edit, Qt.Key.Key_Return)
    assert editor.model.layer("headline").text == "Summer Drop"
    wait_rendered(qtbot, editor)
    editor.undo_stack.undo()
    assert editor.model.layer("headline").text == "New Arrival"
    assert editor.properties_panel.text_edit.text() == "New Arrival"
    # A bad colour is refused in words, nothing changes.
    editor.properties_panel.color_edit.setText("#12")
    editor.properties_panel.color_edit.editingFinished.emit()
    assert editor.properties_panel.prop_error.text()
    assert editor.undo_stack.index() == 0
    wait_rendered(qtbot, editor)


def test_layers_panel_visibility_and_z_order(qtbot, editor):
    editor.model.select("photo")
    editor.layers_panel.up_button.click()
    order = [layer.id for layer in editor.model.document.ordered_layers()]
    assert order.index("photo") == 1
    item = editor.layers_panel.layer_list.currentItem()
    assert item.data(Qt.ItemDataRole.UserRole) == "photo"
    item.setCheckState(Qt.CheckState.Unchecked)
    assert editor.model.layer("photo").hidden
    wait_rendered(qtbot, editor)
    assert "photo" not in editor.canvas.boxes
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    assert [layer.id for layer in editor.model.document.ordered_layers()][0] == "photo"
    assert not editor.model.layer("photo").hidden
    wait_rendered(qtbot, editor)


def test_clicking_a_lint_finding_selects_its_layer(qtbot, editor):
    long_text = "Brand new summer linen shirts for the whole family"
    after = edit_layer(editor.model.document, "headline", text=long_text)
    editor.undo_stack.push(DocumentCommand(editor.model, editor.model.document, after, "test"))
    editor.model.select("photo")
    wait_rendered(qtbot, editor)
    rows = [editor.lint_list.item(i) for i in range(editor.lint_list.count())]
    headline_rows = [item for item in rows if item.data(Qt.ItemDataRole.UserRole) == "headline"]
    assert headline_rows, [item.text() for item in rows]
    rect = editor.lint_list.visualItemRect(headline_rows[0])
    QTest.mouseClick(editor.lint_list.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    assert editor.model.selected == "headline"


def test_preset_switch_and_phone_preview(qtbot, editor):
    editor.toolbar.preset_combo.setCurrentIndex(editor.toolbar.preset_combo.findData("tiktok_live"))
    wait_rendered(qtbot, editor)
    assert (editor.canvas.image.width(), editor.canvas.image.height()) == (1080, 1920)
    assert editor.phone_preview.thumbnail.width() == PRESETS["tiktok_live"].smallest_display_width_px


def test_export_to_two_presets(qtbot, editor, tmp_path):
    editor.export_panel.export_folder = str(tmp_path)
    editor.export_panel.export_format.setCurrentIndex(editor.export_panel.export_format.findData("jpeg"))
    editor.export_panel.set_export_presets(["youtube", "shopee_square"])
    with qtbot.waitSignal(editor.export_panel.export_finished, timeout=20000) as blocker:
        editor.export_panel.export_button.click()
    rows = blocker.args[0]
    assert [row.error for row in rows] == ["", ""]
    for preset_id, path, *_rest in rows:
        preset = PRESETS[preset_id]
        with Image.open(path) as image:
            assert image.size == (preset.width, preset.height)
        assert len(open(path, "rb").read()) <= preset.max_bytes
    # The template's photo layer has no picture: written, but the user is told it came out empty.
    assert "no picture" in editor.export_panel.export_status.text()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{TEMPLATE}-shopee_square.jpg", f"{TEMPLATE}-youtube.jpg"])
    assert "written" in editor.export_panel.export_status.text()


def test_main_window_menu_opens_the_cover_designer(qtbot, window):
    window.cover_designer_action.trigger()
    editor = window.cover_editor
    qtbot.waitUntil(lambda: editor.model.document.id == TEMPLATE and editor.is_idle() and editor.canvas.image is not None,
                    timeout=10000)
    editor.close()
    editor.pool.waitForDone(10000)


def test_drag_in_a_right_to_left_layout_follows_the_mouse(qtbot, editor):
    editor.open_document(load_template("middle_east-apparel"), "youtube")
    wait_rendered(qtbot, editor)
    editor.canvas.snapping = False
    assert editor.model.document.direction == "rtl"
    layer_id = next(layer.id for layer in editor.model.document.layers
                    if layer.type == "text" and not layer.mirror_exempt)
    box = editor.canvas.boxes[layer_id]
    start = widget_point(editor, box.x + box.w / 2, box.y + box.h / 2)
    drag(editor, start, start + QPoint(-60, 20))
    wait_rendered(qtbot, editor)
    moved = editor.canvas.boxes[layer_id]
    scale = editor.canvas._scale_origin()[0]
    assert moved.x - box.x == pytest.approx(-60 / scale, abs=2)


def test_template_gallery_filters_and_opens(qtbot, editor):
    from ui.cover_editor import TemplateGallery

    gallery = TemplateGallery(editor, editor.pool)
    qtbot.addWidget(gallery)
    qtbot.waitUntil(lambda: bool(gallery.rows), timeout=10000)
    assert gallery.list.count() >= 25
    gallery.region.setCurrentIndex(gallery.region.findData("sea"))
    gallery.category.setCurrentIndex(gallery.category.findData("food"))
    ids = [gallery.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(gallery.list.count())]
    assert ids and all(i.startswith("sea-food") for i in ids)
    gallery.platform.setCurrentIndex(gallery.platform.findData("shopee_square"))
    template_id, preset_id = gallery.chosen()
    editor.open_template(template_id, preset_id)
    qtbot.waitUntil(lambda: editor.model.document.id == template_id, timeout=10000)
    wait_rendered(qtbot, editor)
    assert editor.model.preset.id == "shopee_square"
    assert (editor.canvas.image.width(), editor.canvas.image.height()) == (800, 800)
    assert editor.undo_stack.count() == 0
    qtbot.waitUntil(lambda: (template_id, "shopee_square") in gallery.thumbnails, timeout=10000)
    assert not gallery.list.item(0).icon().isNull()


def test_arrow_keys_nudge_the_selected_layer(qtbot, editor):
    editor.model.select("badge")
    box = editor.canvas.boxes["badge"]
    QTest.keyClick(editor.canvas, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(editor.canvas, Qt.Key.Key_Down)
    wait_rendered(qtbot, editor)
    moved = editor.canvas.boxes["badge"]
    assert (moved.x - box.x, moved.y - box.y) == (pytest.approx(10, abs=0.01), pytest.approx(1, abs=0.01))
    assert editor.undo_stack.count() == 2


def test_snap_targets_include_the_safe_area():
    from cover_designer.presets import Rect
    from ui.cover_editor import snap_offset

    safe = PRESETS["tiktok_live"].safe_rect()
    box = Rect(100, safe.y + 5, 200, 100)
    sx, sy, guides = snap_offset(box, 1080, 1920, 8, safe)
    assert (sx, sy) == (0.0, -5.0) and guides == [("y", safe.y)]
    assert snap_offset(Rect(300, 700, 200, 100), 1080, 1920, 8) == (0.0, 0.0, [])


def test_save_open_and_recover(qtbot, editor, tmp_path):
    from cover_designer.autosave import autosave_path

    path = tmp_path / "my-cover.json"
    with qtbot.waitSignal(editor.files.saved, timeout=10000):
        editor.files.save_to(path)
    assert editor.undo_stack.isClean()
    saved = editor.model.document.model_dump()
    editor.model.select("headline")
    editor.properties_panel.text_edit.setText("Autosaved")
    editor.properties_panel.text_edit.editingFinished.emit()
    editor.files._autosave()
    qtbot.waitUntil(lambda: autosave_path(path).exists(), timeout=10000)

    editor.files.open_file(path)  # the newer autosave copy is offered back
    qtbot.waitUntil(lambda: editor.files.recovery_box is not None and editor.files.recovery_box.isVisible(), timeout=10000)
    assert editor.model.document.model_dump() == saved  # nothing replaced before the user answers
    recover_button = next(b for b in editor.files.recovery_box.buttons()
                          if editor.files.recovery_box.buttonRole(b) == editor.files.recovery_box.ButtonRole.AcceptRole)
    QTest.mouseClick(recover_button, Qt.MouseButton.LeftButton)
    assert editor.model.layer("headline").text == "Autosaved"
    assert editor.files.path == path and editor.undo_stack.count() == 1 and "*" in editor.windowTitle()
    editor.toolbar.undo_action.trigger()  # one undo back to the saved version
    assert editor.model.document.model_dump() == saved
    editor.toolbar.redo_action.trigger()
    wait_rendered(qtbot, editor)
    autosave_path(path).unlink()
    editor.files.open_file(path)
    qtbot.waitUntil(lambda: editor.model.document.model_dump() == saved, timeout=10000)
    wait_rendered(qtbot, editor)


def move_with(canvas, point: QPoint, modifiers) -> None:
    """A mouse move with the left button held and keyboard modifiers (QTest.mouseMove sends none)."""
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    local = QPointF(point)
    event = QMouseEvent(QEvent.Type.MouseMove, local, QPointF(canvas.mapToGlobal(point)), Qt.MouseButton.NoButton,
                        Qt.MouseButton.LeftButton, modifiers)
    QApplication.sendEvent(canvas, event)


def turn_point(point, center, degrees: float) -> QPoint:
    import math

    angle = math.radians(degrees)
    x, y = point.x() - center.x(), point.y() - center.y()
    return QPoint(round(center.x() + x * math.cos(angle) - y * math.sin(angle)),
                  round(center.y() + x * math.sin(angle) + y * math.cos(angle)))


def rotate_by(editor, layer_id: str, degrees: float, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    editor.model.select(layer_id)
    canvas = editor.canvas
    box = canvas.boxes[layer_id]
    center = canvas.point_to_widget(box.x + box.w / 2, box.y + box.h / 2)
    start = canvas.handle_positions()["rotate"].toPoint()
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, modifiers, start)
    for step in range(1, 6):
        move_with(canvas, turn_point(start, center, degrees * step / 5), modifiers)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, modifiers, turn_point(start, center, degrees))


def test_rotate_handle_turns_the_layer_shift_snaps_and_undo_redo(qtbot, editor):
    rotate_by(editor, "badge", 38)
    wait_rendered(qtbot, editor)
    assert editor.model.layer("badge").rotation_deg == pytest.approx(38, abs=1.5)
    assert editor.canvas.rotations["badge"] == editor.model.layer("badge").rotation_deg
    assert editor.properties_panel.rotation_spin.value() == pytest.approx(38, abs=1.5)
    assert editor.undo_stack.count() == 1 and editor.undo_stack.undoText() == "Rotate layer"

    rotate_by(editor, "badge", 10, Qt.KeyboardModifier.ShiftModifier)  # 38 + 10 = 48 → snaps to 45
    wait_rendered(qtbot, editor)
    assert editor.model.layer("badge").rotation_deg == 45.0
    # The handles turned with the box: the rotate handle now sits up and to the right of the centre.
    box = editor.canvas.boxes["badge"]
    center = editor.canvas.point_to_widget(box.x + box.w / 2, box.y + box.h / 2)
    handle = editor.canvas.handle_positions()["rotate"]
    assert handle.x() > center.x() + 10 and handle.y() < center.y() - 10

    editor.toolbar.undo_action.trigger()
    wait_rendered(qtbot, editor)
    assert editor.model.layer("badge").rotation_deg == pytest.approx(38, abs=1.5)
    editor.toolbar.undo_action.trigger()
    wait_rendered(qtbot, editor)
    assert editor.model.layer("badge").rotation_deg == 0
    editor.toolbar.redo_action.trigger()
    editor.toolbar.redo_action.trigger()
    wait_rendered(qtbot, editor)
    assert editor.model.layer("badge").rotation_deg == 45.0


def test_clicks_inside_a_turned_box_select_it_and_outside_do_not(qtbot, editor):
    after = edit_layer(editor.model.document, "badge", rotation_deg=90)
    editor.undo_stack.push(DocumentCommand(editor.model, editor.model.document, after, "turn"))
    wait_rendered(qtbot, editor)
    box = editor.canvas.boxes["badge"]
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    # Upright now: a point above the centre by 40% of the (unturned) width is inside, one to the side is not.
    assert editor.canvas.layer_at(cx, cy - box.w * 0.4) == "badge"
    assert editor.canvas.layer_at(cx + box.w * 0.4, cy) != "badge"


def test_rotation_field_in_the_properties_is_undoable(qtbot, editor):
    editor.model.select("headline")
    editor.properties_panel.rotation_spin.setValue(-12.5)
    editor.properties_panel.rotation_spin.editingFinished.emit()
    assert editor.model.layer("headline").rotation_deg == -12.5
    wait_rendered(qtbot, editor)
    assert editor.canvas.rotations["headline"] == -12.5
    editor.undo_stack.undo()
    assert editor.model.layer("headline").rotation_deg == 0
    wait_rendered(qtbot, editor)


@pytest.mark.parametrize("handle", ["top_left", "top", "top_right", "right", "bottom_right", "bottom", "bottom_left", "left"])
def test_every_handle_resizes_with_the_opposite_side_fixed(qtbot, editor, handle):
    from ui.cover_editor import HANDLE_SIDES

    editor.canvas.snapping = False
    editor.model.select("badge")
    box = editor.canvas.boxes["badge"]
    scale = editor.canvas._scale_origin()[0]
    start = editor.canvas.handle_positions()[handle].toPoint()
    sx, sy = HANDLE_SIDES[handle]
    pull = QPoint(24 * sx, 18 * sy) + QPoint(0 if sx else 15, 0 if sy else 15)  # sideways moves are ignored
    drag(editor, start, start + pull)
    wait_rendered(qtbot, editor)
    new = editor.canvas.boxes["badge"]
    expect_w = box.w + 24 / scale * abs(sx)
    expect_h = box.h + 18 / scale * abs(sy)
    assert (new.w, new.h) == (pytest.approx(expect_w, abs=1.5), pytest.approx(expect_h, abs=1.5))
    # The opposite edges stay where they were.
    if sx > 0:
        assert new.x == pytest.approx(box.x, abs=1)
    elif sx < 0:
        assert new.right == pytest.approx(box.right, abs=1)
    else:
        assert (new.x, new.right) == (pytest.approx(box.x, abs=1), pytest.approx(box.right, abs=1))
    if sy > 0:
        assert new.y == pytest.approx(box.y, abs=1)
    elif sy < 0:
        assert new.bottom == pytest.approx(box.bottom, abs=1)
    else:
        assert (new.y, new.bottom) == (pytest.approx(box.y, abs=1), pytest.approx(box.bottom, abs=1))
    assert editor.undo_stack.count() == 1 and editor.undo_stack.undoText() == "Resize layer"
    editor.toolbar.undo_action.trigger()
    wait_rendered(qtbot, editor)
    assert editor.canvas.boxes["badge"] == box


def test_resizing_a_turned_layer_keeps_the_opposite_handle_in_place(qtbot, editor):
    editor.canvas.snapping = False
    after = edit_layer(editor.model.document, "badge", rotation_deg=90)
    editor.undo_stack.push(DocumentCommand(editor.model, editor.model.document, after, "turn"))
    wait_rendered(qtbot, editor)
    editor.model.select("badge")
    before = editor.canvas.handle_positions()
    box = editor.canvas.boxes["badge"]
    # Turned a quarter clockwise, the box's right edge faces down: pulling that handle down widens it.
    start = before["right"].toPoint()
    assert start.y() > before["left"].y() + 20
    drag(editor, start, start + QPoint(0, 30))
    wait_rendered(qtbot, editor)
    scale = editor.canvas._scale_origin()[0]
    new = editor.canvas.boxes["badge"]
    assert new.w == pytest.approx(box.w + 30 / scale, abs=1.5) and new.h == pytest.approx(box.h, abs=1)
    fixed = editor.canvas.handle_positions()["left"]
    assert (fixed.x(), fixed.y()) == (pytest.approx(before["left"].x(), abs=1.5), pytest.approx(before["left"].y(), abs=1.5))
    assert editor.model.layer("badge").rotation_deg == 90


def test_resize_snaps_the_moving_edge_to_the_canvas_centre(qtbot, editor):
    editor.model.select("badge")
    preset = editor.model.preset
    box = editor.canvas.boxes["badge"]
    start = editor.canvas.handle_positions()["right"].toPoint()
    # Aim a few canvas pixels short of the vertical centre line: the right edge lands on it.
    end = widget_point(editor, preset.width / 2 - 4, box.y + box.h / 2)
    QTest.mousePress(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(editor.canvas, end)
    assert ("x", preset.width / 2) in editor.canvas._guides  # the guide line shows while dragging
    QTest.mouseRelease(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    wait_rendered(qtbot, editor)
    new = editor.canvas.boxes["badge"]
    assert new.right == pytest.approx(preset.width / 2, abs=0.5)
    assert new.x == pytest.approx(box.x, abs=0.5)


def test_resize_geometry_helpers():
    from cover_designer.presets import Rect
    from ui.cover_editor import resized_rect, rotation_from_drag, snap_resize

    box = Rect(100, 100, 200, 100)
    assert resized_rect(box, 0, "left", -50, 999) == Rect(50, 100, 250, 100)
    grown = resized_rect(box, 0, "bottom_right", 100, 0, keep_aspect=True)
    assert (grown.x, grown.y, grown.w, grown.h) == (100, 100, pytest.approx(300), pytest.approx(150))
    tiny = resized_rect(box, 0, "right", -500, 0)
    assert tiny.x == 100 and tiny.w == 8  # never inverted, never below the minimum
    snapped, guides = snap_resize(Rect(100, 100, 437, 100), "right", 1080, 1920, 8)
    assert snapped.right == 540 and snapped.x == 100 and guides == [("x", 540)]
    assert snap_resize(Rect(100, 100, 400, 100), "right", 1080, 1920, 8)[1] == []
    assert rotation_from_drag(0, (0, 0), (0, -10), (10, 0), False) == pytest.approx(90)
    assert rotation_from_drag(170, (0, 0), (10, 0), (0, 10), False) == pytest.approx(-100)
    assert rotation_from_drag(0, (0, 0), (0, -10), (10, -9), True) == 45


def variable_row(editor, name: str) -> int:
    table = editor.variables_panel.table
    rows = [table.item(row, 0).data(Qt.ItemDataRole.UserRole) for row in range(table.rowCount())]
    return rows.index(name)


def test_variables_fill_the_preview_live_and_undo(qtbot, editor):
    panel = editor.variables_panel
    first_image = editor.canvas.image.copy()
    price_box = editor.canvas.boxes["price"]
    before = crop(editor, price_box).tobytes()
    row = variable_row(editor, "price")
    assert panel.table.item(row, 1).text() == "1299.99"
    panel.table.item(row, 1).setText("49.5")  # what typing into the cell does
    qtbot.waitUntil(lambda: editor.model.document.variables["price"] == "49.5")
    assert editor.undo_stack.undoText() == "Edit variable"
    wait_rendered(qtbot, editor)
    assert crop(editor, editor.canvas.boxes["price"]).tobytes() != before
    editor.toolbar.undo_action.trigger()
    wait_rendered(qtbot, editor)
    assert editor.model.document.variables["price"] == "1299.99"
    assert editor.canvas.image == first_image
    assert panel.table.item(variable_row(editor, "price"), 1).text() == "1299.99"


def test_a_used_variable_without_value_is_listed_then_set_added_and_removed(qtbot, editor):
    after = edit_layer(editor.model.document, "headline", text="{headline_word}")
    editor.undo_stack.push(DocumentCommand(editor.model, editor.model.document, after, "text"))
    wait_rendered(qtbot, editor)
    panel = editor.variables_panel
    row = variable_row(editor, "headline_word")
    assert panel.table.item(row, 1).text() == "" and panel.table.item(row, 0).font().italic()
    placeholder = crop(editor, editor.canvas.boxes["headline"]).tobytes()
    panel.table.item(row, 1).setText("Sale")
    qtbot.waitUntil(lambda: editor.model.document.variables.get("headline_word") == "Sale")
    wait_rendered(qtbot, editor)
    assert crop(editor, editor.canvas.boxes["headline"]).tobytes() != placeholder
    assert not panel.table.item(variable_row(editor, "headline_word"), 0).font().italic()

    panel.name_edit.setText("9lives")
    panel.add_button.click()
    assert panel.error.text() and "9lives" not in editor.model.document.variables
    panel.name_edit.setText("{season}")
    panel.add_button.click()
    assert editor.model.document.variables["season"] == "" and not panel.error.text()
    panel.table.setCurrentCell(variable_row(editor, "season"), 1)
    panel.remove_button.click()
    assert "season" not in editor.model.document.variables
    assert editor.undo_stack.count() == 4
    wait_rendered(qtbot, editor)


def test_changing_the_anchor_keeps_the_layer_in_place_and_is_undoable(qtbot, editor):
    from cover_designer.render import resolve_frame

    editor.model.select("badge")
    preset = editor.model.preset
    box = editor.canvas.boxes["badge"]
    editor.properties_panel.anchor_combo.setCurrentIndex(editor.properties_panel.anchor_combo.findData("bottom_right"))
    editor.properties_panel.anchor_combo.activated.emit(editor.properties_panel.anchor_combo.currentIndex())
    frame = active_frame(editor.model.layer("badge"), preset)
    assert frame.anchor == "bottom_right" and editor.undo_stack.undoText() == "Change anchor"
    wait_rendered(qtbot, editor)
    new = editor.canvas.boxes["badge"]
    assert (new.x, new.y, new.w, new.h) == (pytest.approx(box.x, abs=0.5), pytest.approx(box.y, abs=0.5),
                                            pytest.approx(box.w, abs=0.5), pytest.approx(box.h, abs=0.5))
    editor.properties_panel.relative_combo.setCurrentIndex(editor.properties_panel.relative_combo.findData("canvas"))
    editor.properties_panel.relative_combo.activated.emit(editor.properties_panel.relative_combo.currentIndex())
    assert active_frame(editor.model.layer("badge"), preset).relative_to == "canvas"
    # On a larger 16:9 canvas the layer keeps its (proportional) distance to the bottom-right corner.
    wide = PRESETS["twitch_offline"]
    moved = resolve_frame(active_frame(editor.model.layer("badge"), wide), wide, False)
    assert wide.width - moved.right == pytest.approx((preset.width - box.right) / preset.width * wide.width, abs=1)
    assert wide.height - moved.bottom == pytest.approx((preset.height - box.bottom) / preset.height * wide.height, abs=1)
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    assert active_frame(editor.model.layer("badge"), preset).anchor == "top_left"
    assert editor.properties_panel.anchor_combo.currentData() == "top_left"
    wait_rendered(qtbot, editor)


def test_own_position_per_shape_leaves_other_presets_alone(qtbot, editor):
    from cover_designer.render import resolve_frame

    editor.model.select("badge")
    # The template gives the badge its own 16:9 position: unticking drops it (the shared frame applies).
    assert editor.properties_panel.own_frame_check.isChecked() and "landscape" in editor.model.layer("badge").frame_by_aspect
    editor.properties_panel.own_frame_check.click()
    layer = editor.model.layer("badge")
    assert "landscape" not in layer.frame_by_aspect and editor.undo_stack.undoText() == "Shared position"
    assert active_frame(layer, editor.model.preset) == layer.frame
    # Ticking again starts the 16:9 position from the shared one; moving it then leaves the rest alone.
    editor.properties_panel.own_frame_check.click()
    layer = editor.model.layer("badge")
    assert layer.frame_by_aspect["landscape"] == layer.frame
    wide = PRESETS["twitch_offline"]  # also 16:9: follows the badge's own 16:9 position
    shared_before = layer.frame
    QTest.keyClick(editor.canvas, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    layer = editor.model.layer("badge")
    assert layer.frame_by_aspect["landscape"].dy > layer.frame.dy and layer.frame == shared_before
    assert resolve_frame(active_frame(layer, wide), wide, False).y > resolve_frame(shared_before, wide, False).y
    for _ in range(3):
        editor.undo_stack.undo()
    assert "landscape" in editor.model.layer("badge").frame_by_aspect and editor.properties_panel.own_frame_check.isChecked()
    wait_rendered(qtbot, editor)


def test_export_to_lazada_writes_its_three_covers(qtbot, editor, tmp_path):
    editor.export_panel.export_folder = str(tmp_path)
    editor.export_panel.export_format.setCurrentIndex(editor.export_panel.export_format.findData("jpeg"))
    editor.export_panel.set_export_presets(["lazada"])
    with qtbot.waitSignal(editor.export_panel.export_finished, timeout=20000) as blocker:
        editor.export_panel.export_button.click()
    rows = blocker.args[0]
    assert [(row.preset_id, row.error) for row in rows] == [("lazada", "")] * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{TEMPLATE}-lazada-{n}.jpg" for n in (1, 2, 3)]
    assert editor.export_panel.export_status.text().count("written") == 3


@pytest.mark.parametrize("mirror", [False, True])
@pytest.mark.parametrize("anchor", ["top_left", "center", "bottom_right", "right"])
def test_frame_for_rect_inverts_resolve_frame(anchor, mirror):
    from cover_designer.document import Frame
    from cover_designer.presets import Rect
    from cover_designer.render import resolve_frame
    from ui.cover_editor import frame_for_rect, reanchored_frame

    preset = PRESETS["tiktok_live"]
    frame = Frame(anchor=anchor, dx=0.05, dy=-0.1, w=0.4, h=0.2, relative_to="safe")
    box = resolve_frame(frame, preset, mirror)
    again = frame_for_rect(frame, preset, mirror, box)
    assert (again.dx, again.dy, again.w, again.h) == (pytest.approx(frame.dx, abs=1e-4), pytest.approx(frame.dy, abs=1e-4),
                                                      pytest.approx(frame.w, abs=1e-4), pytest.approx(frame.h, abs=1e-4))
    target = Rect(300, 500, 250, 120)
    placed = resolve_frame(frame_for_rect(frame, preset, mirror, target), preset, mirror)
    assert (placed.x, placed.y, placed.w, placed.h) == (pytest.approx(300, abs=0.1), pytest.approx(500, abs=0.1),
                                                        pytest.approx(250, abs=0.1), pytest.approx(120, abs=0.1))
    moved = reanchored_frame(frame, preset, mirror, "bottom_left", "canvas")
    assert moved.anchor == "bottom_left" and moved.relative_to == "canvas"
    same = resolve_frame(moved, preset, mirror)
    assert (same.x, same.y) == (pytest.approx(box.x, abs=0.1), pytest.approx(box.y, abs=0.1))


def test_resize_in_a_right_to_left_layout_follows_the_mouse(qtbot, editor):
    editor.open_document(load_template("middle_east-apparel"), "youtube")
    wait_rendered(qtbot, editor)
    editor.canvas.snapping = False
    layer_id = next(layer.id for layer in editor.model.document.layers
                    if layer.type == "text" and not layer.mirror_exempt)
    editor.model.select(layer_id)
    box = editor.canvas.boxes[layer_id]
    start = editor.canvas.handle_positions()["left"].toPoint()
    drag(editor, start, start + QPoint(-30, 0))
    wait_rendered(qtbot, editor)
    new = editor.canvas.boxes[layer_id]
    scale = editor.canvas._scale_origin()[0]
    assert new.x == pytest.approx(box.x - 30 / scale, abs=1.5) and new.right == pytest.approx(box.right, abs=1)
