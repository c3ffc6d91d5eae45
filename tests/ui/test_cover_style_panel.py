"""Style controls of the cover designer: text outline/shadow/plate/capitals/direction, badge shape,
price fields, QR link and the background — each changes the picture and is one undo step."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from ui.cover_style_panel import normalized_color
from tests.ui.cover_helpers import open_cover_editor, wait_rendered


@pytest.fixture
def editor(qtbot):
    with open_cover_editor(qtbot) as window:
        yield window


def canvas_array(window) -> np.ndarray:
    image = window.canvas.image
    data = np.frombuffer(bytes(image.constBits()), np.uint8).reshape(image.height(), image.bytesPerLine())
    return data[:, : image.width() * 4].reshape(image.height(), image.width(), 4)[:, :, :3].astype(int)


def changed_then_undo_redo(qtbot, editor, check, picture: bool = True) -> None:
    """The picture changed; undo brings the old picture and value back, redo the new ones."""
    wait_rendered(qtbot, editor)
    after = canvas_array(editor)
    check(True)
    editor.toolbar.undo_action.trigger()
    wait_rendered(qtbot, editor)
    check(False)
    before = canvas_array(editor)
    assert not picture or np.abs(after - before).sum() > 0, "the change did not show in the picture"
    editor.toolbar.redo_action.trigger()
    wait_rendered(qtbot, editor)
    check(True)
    assert np.array_equal(canvas_array(editor), after)


def headline(editor):
    return editor.model.layer("headline")


def click(widget) -> None:
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()  # let the form lay out rows that just became visible
    assert widget.isVisible() and widget.height() > 12
    # On the box itself (a check box's wide row only reacts over its box and text).
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(8, widget.height() // 2))


def test_rows_follow_the_kind_of_layer(qtbot, editor):
    panel = editor.style_panel
    editor.model.select("headline")
    assert panel.isVisible() and panel.form.isRowVisible(panel.labels["stroke"])
    assert not panel.form.isRowVisible(panel.labels["shape"])
    editor.model.select("badge")
    assert panel.form.isRowVisible(panel.labels["shape"]) and not panel.form.isRowVisible(panel.labels["stroke"])
    editor.model.select("photo")
    assert not panel.isVisible()
    editor.model.select("")
    assert editor.background_panel.isVisible() and not editor.properties_panel.isVisible()


def test_text_outline_toggle_width_and_colour(qtbot, editor):
    editor.model.select("headline")
    panel = editor.style_panel
    click(panel.stroke_check)
    assert headline(editor).stroke is not None
    changed_then_undo_redo(qtbot, editor, lambda on: (headline(editor).stroke is not None) == on or pytest.fail())
    panel.stroke_width.setValue(10)
    panel.stroke_width.editingFinished.emit()
    assert headline(editor).stroke.width == 10
    panel.stroke_color.edit.setText("ff0000")
    panel.stroke_color.edit.editingFinished.emit()
    assert headline(editor).stroke.color == "#FF0000"
    changed_then_undo_redo(qtbot, editor,
                           lambda on: (headline(editor).stroke.color == "#FF0000") == on or pytest.fail())
    panel.stroke_color.edit.setText("not a colour")
    panel.stroke_color.edit.editingFinished.emit()
    assert panel.stroke_color.invalid and headline(editor).stroke.color == "#FF0000"


def test_shadow_plate_capitals_fit(qtbot, editor):
    editor.model.select("headline")
    panel = editor.style_panel
    click(panel.shadow_check)
    changed_then_undo_redo(qtbot, editor, lambda on: (headline(editor).shadow is not None) == on or pytest.fail())
    click(panel.plate_check)
    changed_then_undo_redo(qtbot, editor, lambda on: (headline(editor).plate is not None) == on or pytest.fail())
    panel.plate_color.edit.setText("#00AA00")
    panel.plate_color.edit.editingFinished.emit()
    assert headline(editor).plate.color == "#00AA00"
    click(panel.uppercase)
    changed_then_undo_redo(qtbot, editor, lambda on: headline(editor).uppercase == on or pytest.fail())
    click(panel.auto_fit)
    assert headline(editor).auto_fit is False
    editor.toolbar.undo_action.trigger()
    assert headline(editor).auto_fit is True
    wait_rendered(qtbot, editor)


def test_direction_and_vertical_alignment_by_keyboard(qtbot, editor):
    editor.model.select("headline")
    panel = editor.style_panel
    panel.valign.setFocus()
    QTest.keyClick(panel.valign, Qt.Key.Key_Down)  # middle → bottom
    # The auto-fitted headline fills its box, so the picture may not move: check the value only.
    changed_then_undo_redo(qtbot, editor, lambda on: (headline(editor).valign == "bottom") == on or pytest.fail(),
                           picture=False)
    panel.direction.setFocus()
    QTest.keyClick(panel.direction, Qt.Key.Key_End)  # → right to left
    assert headline(editor).direction == "rtl"
    panel.language.setFocus()
    panel.language.selectAll()
    QTest.keyClicks(panel.language, "ar")
    QTest.keyClick(panel.language, Qt.Key.Key_Return)
    assert headline(editor).language == "ar"
    wait_rendered(qtbot, editor)


def test_badge_shape_and_text_colour(qtbot, editor):
    editor.model.select("badge")
    panel = editor.style_panel
    panel.shape.setFocus()
    QTest.keyClick(panel.shape, Qt.Key.Key_End)  # pill → ribbon
    changed_then_undo_redo(qtbot, editor,
                           lambda on: (editor.model.layer("badge").shape == "ribbon") == on or pytest.fail())
    panel.text_color.edit.setText("#111111")
    panel.text_color.edit.editingFinished.emit()
    changed_then_undo_redo(qtbot, editor,
                           lambda on: (editor.model.layer("badge").text_color == "#111111") == on or pytest.fail())


def test_price_fields(qtbot, editor):
    editor.model.select("price")
    panel = editor.style_panel
    panel.amount.setFocus()
    panel.amount.selectAll()
    QTest.keyClicks(panel.amount, "49.99")
    QTest.keyClick(panel.amount, Qt.Key.Key_Return)
    changed_then_undo_redo(qtbot, editor,
                           lambda on: (editor.model.layer("price").amount == "49.99") == on or pytest.fail())
    panel.original.setText("")
    panel.original.editingFinished.emit()
    assert editor.model.layer("price").original is None
    panel.currency.setText("EUR")
    panel.currency.editingFinished.emit()
    panel.locale.setText("de_DE")
    panel.locale.editingFinished.emit()
    assert (editor.model.layer("price").currency, editor.model.layer("price").locale) == ("EUR", "de_DE")
    wait_rendered(qtbot, editor)


def test_qr_link(qtbot, editor):
    editor.layers_panel.add_actions["qr"].trigger()
    wait_rendered(qtbot, editor)
    layer_id = editor.model.selected
    panel = editor.style_panel
    panel.qr_data.setText("https://example.com/invite/42")
    panel.qr_data.editingFinished.emit()
    changed_then_undo_redo(qtbot, editor, lambda on: (editor.model.layer(layer_id).data ==
                                                      "https://example.com/invite/42") == on or pytest.fail())


def test_background_colour_and_gradient(qtbot, editor):
    editor.model.select("")
    panel = editor.background_panel
    panel.color.edit.setText("#222244")
    panel.color.edit.editingFinished.emit()
    changed_then_undo_redo(qtbot, editor, lambda on: (editor.model.document.background.color == "#222244") == on
                           or pytest.fail())
    click(panel.gradient_check)
    changed_then_undo_redo(qtbot, editor, lambda on: (editor.model.document.background.gradient_to is not None) == on
                           or pytest.fail())


def test_normalized_color():
    assert normalized_color("ff00aa") == "#FF00AA"
    assert normalized_color("#ff00aa80") == "#FF00AA80"
    assert normalized_color("#12") is None
