"""Filling the cover's variables from a product CSV row in the editor."""
from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.ui.cover_helpers import open_cover_editor, photo_centre, wait_rendered


@pytest.fixture
def editor(qtbot):
    with open_cover_editor(qtbot) as window:
        yield window


def test_fill_from_csv_rows_then_switch_row_and_undo(qtbot, editor, tmp_path):
    Image.new("RGB", (40, 40), "#00FF00").save(tmp_path / "green.png")
    Image.new("RGB", (40, 40), "#0000FF").save(tmp_path / "blue.png")
    csv_path = tmp_path / "products.csv"
    csv_path.write_text("sku,product_name,price,original_price,product_image\n"
                        "A1,Linen Dress,80,100,green.png\n"
                        "B2,Silk Scarf,30,60,blue.png\n", encoding="utf-8")
    panel = editor.variables_panel
    original = dict(editor.model.document.variables)
    panel.load_csv(csv_path)
    qtbot.waitUntil(lambda: panel.row_combo.count() == 2, timeout=10000)
    variables = editor.model.document.variables
    assert variables["product_name"] == "Linen Dress" and variables["discount"] == "20"
    assert variables["product_image"] == str((tmp_path / "green.png").resolve())
    assert variables["share_url"] == original["share_url"]  # columns the CSV lacks keep their values
    assert panel.row_combo.isVisible() and panel.row_combo.itemText(0) == "1. A1 · Linen Dress"
    wait_rendered(qtbot, editor)
    assert photo_centre(editor) == [0, 255, 0]

    panel.row_combo.setFocus()
    QTest.keyClick(panel.row_combo, Qt.Key.Key_Down)
    assert editor.model.document.variables["product_name"] == "Silk Scarf"
    wait_rendered(qtbot, editor)
    assert photo_centre(editor) == [0, 0, 255]
    assert editor.undo_stack.count() == 2
    editor.toolbar.undo_action.trigger()
    assert editor.model.document.variables["product_name"] == "Linen Dress"
    editor.toolbar.undo_action.trigger()
    assert editor.model.document.variables == original
    wait_rendered(qtbot, editor)


def test_a_bad_csv_says_so_and_changes_nothing(qtbot, editor, tmp_path):
    before = editor.model.document.model_dump()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00bad")
    editor.variables_panel.load_csv(bad)
    qtbot.waitUntil(lambda: "CSV" in editor.variables_panel.error.text(), timeout=10000)
    editor.variables_panel.load_csv(tmp_path / "missing.csv")
    qtbot.waitUntil(lambda: "missing.csv" in editor.variables_panel.error.text(), timeout=10000)
    assert editor.model.document.model_dump() == before
    assert editor.undo_stack.count() == 0
