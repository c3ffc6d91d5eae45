"""Adding, duplicating and deleting layers in the cover designer, each one undo step."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ui.cover_editor import NEW_LAYER_KINDS
from tests.ui.cover_helpers import open_cover_editor, wait_rendered


@pytest.fixture
def editor(qtbot):
    with open_cover_editor(qtbot) as window:
        yield window


def ids(window) -> list[str]:
    return [layer.id for layer in window.model.document.layers]


@pytest.mark.parametrize("kind", NEW_LAYER_KINDS)
def test_add_each_kind_from_the_menu_on_top_then_undo_redo(qtbot, editor, kind):
    before = ids(editor)
    editor.layers_panel.add_actions[kind].trigger()
    added = [layer_id for layer_id in ids(editor) if layer_id not in before]
    assert len(added) == 1
    layer = editor.model.layer(added[0])
    assert layer.type == kind
    assert editor.model.selected == layer.id
    assert editor.model.document.ordered_layers()[-1].id == layer.id  # on top
    assert editor.layers_panel.layer_list.item(0).data(Qt.ItemDataRole.UserRole) == layer.id
    wait_rendered(qtbot, editor)
    assert layer.id in editor.canvas.boxes
    editor.toolbar.undo_action.trigger()
    assert ids(editor) == before and editor.model.selected == ""
    editor.toolbar.redo_action.trigger()
    assert ids(editor) == before + added
    wait_rendered(qtbot, editor)


def test_added_text_is_editable_and_ids_stay_unique(qtbot, editor):
    editor.layers_panel.add_actions["text"].trigger()
    editor.layers_panel.add_actions["text"].trigger()
    assert len(set(ids(editor))) == len(ids(editor))
    editor.properties_panel.text_edit.selectAll()
    QTest.keyClicks(editor.properties_panel.text_edit, "Flash sale")
    QTest.keyClick(editor.properties_panel.text_edit, Qt.Key.Key_Return)
    assert editor.model.layer(editor.model.selected).text == "Flash sale"
    wait_rendered(qtbot, editor)


def test_duplicate_by_button_and_shortcut(qtbot, editor):
    editor.model.select("badge")
    original = editor.model.layer("badge")
    QTest.mouseClick(editor.layers_panel.duplicate_button, Qt.MouseButton.LeftButton)
    copy = editor.model.layer(editor.model.selected)
    assert copy.id != "badge" and copy.text == original.text and copy.shape == original.shape
    assert copy.frame.dx == pytest.approx(original.frame.dx + 0.03)
    editor.canvas.setFocus()
    QTest.keyClick(editor.canvas, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert len(ids(editor)) == 6
    editor.toolbar.undo_action.trigger()
    editor.toolbar.undo_action.trigger()
    assert ids(editor) == ["photo", "headline", "badge", "price"]
    wait_rendered(qtbot, editor)


def test_delete_by_button_and_key_locked_stays_undo_restores_in_place(qtbot, editor):
    original = editor.model.document.model_copy(deep=True)
    editor.model.select("badge")
    QTest.mouseClick(editor.layers_panel.delete_button, Qt.MouseButton.LeftButton)
    assert "badge" not in ids(editor) and editor.model.selected == ""
    editor.model.select("headline")
    editor.canvas.setFocus()
    QTest.keyClick(editor.canvas, Qt.Key.Key_Delete)
    assert ids(editor) == ["photo", "price"]
    wait_rendered(qtbot, editor)
    assert "headline" not in editor.canvas.boxes
    editor.model.select("price")
    editor.layers_panel.lock_button.click()
    assert not editor.layers_panel.delete_button.isEnabled()
    editor.canvas.setFocus()
    QTest.keyClick(editor.canvas, Qt.Key.Key_Delete)
    assert "price" in ids(editor)
    for _ in range(3):
        editor.toolbar.undo_action.trigger()
    assert editor.model.document.model_dump() == original.model_dump()
    wait_rendered(qtbot, editor)


def test_delete_key_in_a_text_field_edits_the_text_not_the_layer(qtbot, editor):
    editor.model.select("headline")
    editor.properties_panel.text_edit.setFocus()
    editor.properties_panel.text_edit.setCursorPosition(0)
    QTest.keyClick(editor.properties_panel.text_edit, Qt.Key.Key_Delete)
    assert "headline" in ids(editor)
    assert editor.properties_panel.text_edit.text() == "ew Arrival"


def order(window) -> list[str]:
    return [layer.id for layer in window.model.document.ordered_layers()]


def test_front_and_back_by_shortcut_and_menu(qtbot, editor):
    editor.model.select("photo")
    editor.canvas.setFocus()
    QTest.keyClick(editor.canvas, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert order(editor)[-1] == "photo"
    menu = editor.layers_panel.layer_menu()
    texts = [action.text() for action in menu.actions()]
    assert "Send to back" in texts and "Delete layer" in texts
    next(action for action in menu.actions() if action.text() == "Send to back").trigger()
    assert order(editor)[0] == "photo"
    editor.toolbar.undo_action.trigger()
    assert order(editor)[-1] == "photo"
    editor.toolbar.undo_action.trigger()
    assert order(editor) == ["photo", "headline", "badge", "price"]
    menu.deleteLater()
    wait_rendered(qtbot, editor)


def test_menu_hides_and_locks(qtbot, editor):
    editor.model.select("badge")
    menu = editor.layers_panel.layer_menu()
    next(action for action in menu.actions() if action.text() == "Lock layer").trigger()
    assert editor.model.layer("badge").locked
    menu = editor.layers_panel.layer_menu()
    assert not next(action for action in menu.actions() if action.text() == "Delete layer").isEnabled()
    next(action for action in menu.actions() if action.text() == "Hide layer").trigger()
    assert editor.model.layer("badge").hidden
    editor.toolbar.undo_action.trigger()
    editor.toolbar.undo_action.trigger()
    assert not editor.model.layer("badge").hidden and not editor.model.layer("badge").locked
    wait_rendered(qtbot, editor)


def test_double_click_text_puts_the_cursor_in_its_words(qtbot, editor):
    box = editor.canvas.boxes["headline"]
    scale, ox, oy = editor.canvas._scale_origin()
    from PySide6.QtCore import QPoint

    point = QPoint(round(ox + (box.x + box.w / 2) * scale), round(oy + (box.y + box.h / 2) * scale))
    QTest.mouseDClick(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    assert editor.model.selected == "headline"
    qtbot.waitUntil(lambda: editor.properties_panel.text_edit.hasFocus(), timeout=3000)
    assert editor.properties_panel.text_edit.selectedText() == "New Arrival"
    QTest.keyClicks(editor.properties_panel.text_edit, "Just in")
    QTest.keyClick(editor.properties_panel.text_edit, Qt.Key.Key_Return)
    assert editor.model.layer("headline").text == "Just in"
    assert editor.undo_stack.count() == 1
    wait_rendered(qtbot, editor)
