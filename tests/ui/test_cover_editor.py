"""The cover designer window driven like a user: drag, undo, redo, edit, lint, export."""
from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from cover_designer.presets import PRESETS
from cover_designer.templates import load_template
from ui.cover_editor import CoverEditorWindow, active_frame, edit_layer, DocumentCommand

TEMPLATE = "na_eu-apparel"


@pytest.fixture
def editor(qtbot):
    window = CoverEditorWindow()
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.open_document(load_template(TEMPLATE), "youtube")
    wait_rendered(qtbot, window)
    try:
        yield window
    finally:
        window.close()
        window.pool.waitForDone(10000)


def wait_rendered(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.is_idle() and window.canvas.image is not None, timeout=10000)


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

    editor.undo_action.trigger()
    wait_rendered(qtbot, editor)
    assert editor.model.document.model_dump() == original.model_dump()
    assert editor.canvas.image == first_image
    assert crop(editor, moved).tobytes() != new_spot.tobytes()

    editor.redo_action.trigger()
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
    assert editor.layer_list.currentItem().data(Qt.ItemDataRole.UserRole) == "price"
    editor.lock_button.click()
    assert editor.model.layer("price").locked
    frame = active_frame(editor.model.layer("price"), editor.model.preset)
    drag(editor, point, point + QPoint(80, -60))
    assert active_frame(editor.model.layer("price"), editor.model.preset) == frame
    assert editor.undo_stack.count() == 1  # only the lock


def test_edit_text_property_and_undo(qtbot, editor):
    editor.model.select("headline")
    assert editor.text_edit.text() == "New Arrival"
    editor.text_edit.clear()
    QTest.keyClicks(editor.text_edit, "Summer Drop")
    QTest.keyClick(editor.text_edit, Qt.Key.Key_Return)
    assert editor.model.layer("headline").text == "Summer Drop"
    wait_rendered(qtbot, editor)
    editor.undo_stack.undo()
    assert editor.model.layer("headline").text == "New Arrival"
    assert editor.text_edit.text() == "New Arrival"
    # A bad colour is refused in words, nothing changes.
    editor.color_edit.setText("#12")
    editor.color_edit.editingFinished.emit()
    assert editor.prop_error.text()
    assert editor.undo_stack.index() == 0
    wait_rendered(qtbot, editor)


def test_layers_panel_visibility_and_z_order(qtbot, editor):
    editor.model.select("photo")
    editor.up_button.click()
    order = [layer.id for layer in editor.model.document.ordered_layers()]
    assert order.index("photo") == 1
    item = editor.layer_list.currentItem()
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
    editor.preset_combo.setCurrentIndex(editor.preset_combo.findData("tiktok_live"))
    wait_rendered(qtbot, editor)
    assert (editor.canvas.image.width(), editor.canvas.image.height()) == (1080, 1920)
    assert editor.phone_preview.thumbnail.width() == PRESETS["tiktok_live"].smallest_display_width_px


def test_export_to_two_presets(qtbot, editor, tmp_path):
    editor.export_folder = str(tmp_path)
    editor.export_format.setCurrentIndex(editor.export_format.findData("jpeg"))
    editor.set_export_presets(["youtube", "shopee_square"])
    with qtbot.waitSignal(editor.export_finished, timeout=20000) as blocker:
        editor.export_button.click()
    rows = blocker.args[0]
    assert [error for _preset, _path, error in rows] == ["", ""]
    for preset_id, path, _error in rows:
        preset = PRESETS[preset_id]
        with Image.open(path) as image:
            assert image.size == (preset.width, preset.height)
        assert len(open(path, "rb").read()) <= preset.max_bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{TEMPLATE}-shopee_square.jpg", f"{TEMPLATE}-youtube.jpg"])
    assert "written" in editor.export_status.text()


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
    with qtbot.waitSignal(editor.saved, timeout=10000):
        editor.save_to(path)
    assert editor.undo_stack.isClean()
    saved = editor.model.document.model_dump()
    editor.model.select("headline")
    editor.text_edit.setText("Autosaved")
    editor.text_edit.editingFinished.emit()
    editor._autosave()
    qtbot.waitUntil(lambda: autosave_path(path).exists(), timeout=10000)

    editor.open_file(path)  # the newer autosave copy wins
    qtbot.waitUntil(lambda: editor.undo_stack.count() == 0 and editor.model.layer("headline").text == "Autosaved",
                    timeout=10000)
    assert editor.path == path
    wait_rendered(qtbot, editor)
    autosave_path(path).unlink()
    editor.open_file(path)
    qtbot.waitUntil(lambda: editor.model.document.model_dump() == saved, timeout=10000)
    wait_rendered(qtbot, editor)
