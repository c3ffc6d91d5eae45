""""Fill from product…" in the cover editor: a live catalog file (CSV/JSON) is read off the GUI
thread, the user picks a product, its fields fill the variables and its photo the placeholder —
one undo step each; stale fields of the previous product are cleared; bad files say so."""
from __future__ import annotations

import json

import pytest
from PIL import Image
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox

from tests.ui.cover_helpers import open_cover_editor, photo_centre, wait_rendered


@pytest.fixture
def editor(qtbot):
    with open_cover_editor(qtbot) as window:
        yield window


@pytest.fixture
def catalog(tmp_path):
    Image.new("RGB", (60, 60), "#00FF00").save(tmp_path / "dress.png")
    path = tmp_path / "catalog.csv"
    path.write_text("sku,title,price,original_price,currency,image,link\n"
                    "DRESS-1,Linen Dress,80,100,USD,dress.png,https://shop.example/dress\n"
                    "SCARF-2,Silk Scarf,30,,EUR,,\n"
                    "BAD-3,Broken,abc,,USD,,\n", encoding="utf-8")
    return path


def open_picker(qtbot, panel, path):
    panel.load_catalog(path)
    qtbot.waitUntil(lambda: panel.product_dialog is not None and panel.product_dialog.isVisible(), timeout=20000)
    return panel.product_dialog


def test_fill_from_product_then_switch_and_undo(qtbot, editor, catalog):
    panel = editor.variables_panel
    assert panel.product_button.isVisible() and panel.product_button.text() == "Fill from product…"
    original = dict(editor.model.document.variables)
    dialog = open_picker(qtbot, panel, catalog)
    assert dialog.table.rowCount() == 2  # the bad row is skipped …
    assert "abc" in dialog.problems_label.text() and dialog.problems_label.isVisibleTo(dialog)  # … and said so
    assert dialog.table.item(0, 2).text() == "$80.00" and dialog.table.item(0, 3).text() == "$100.00"
    assert dialog.selected_sku() == "DRESS-1"
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    variables = editor.model.document.variables
    assert variables["product_name"] == "Linen Dress" and variables["discount"] == "20"
    assert variables["price"] == "80" and variables["original_price"] == "100" and variables["currency"] == "USD"
    assert variables["sku"] == "DRESS-1" and variables["link"] == "https://shop.example/dress"
    assert variables["product_image"] == str((catalog.parent / "dress.png").resolve())
    assert variables["share_url"] == original["share_url"]  # variables the product does not fill are kept
    assert editor.undo_stack.undoText() == "Fill from product"
    wait_rendered(qtbot, editor)
    assert photo_centre(editor) == [0, 255, 0]

    # The catalog stays loaded: the button opens the picker again, on the current product.
    panel.product_button.click()
    dialog = panel.product_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    assert dialog.selected_sku() == "DRESS-1"
    QTest.keyClicks(dialog.search, "scarf")
    assert dialog.table.isRowHidden(0) and not dialog.table.isRowHidden(1)
    assert dialog.selected_sku() == "SCARF-2"
    dialog.table.itemDoubleClicked.emit(dialog.table.item(1, 1))
    variables = editor.model.document.variables
    assert variables["product_name"] == "Silk Scarf" and variables["currency"] == "EUR"
    for stale in ("original_price", "discount", "product_image", "link"):
        assert stale not in variables  # nothing of the dress is left on the scarf's cover
    wait_rendered(qtbot, editor)
    assert photo_centre(editor) != [0, 255, 0]
    editor.toolbar.undo_action.trigger()
    assert editor.model.document.variables["product_name"] == "Linen Dress"
    editor.toolbar.undo_action.trigger()
    assert editor.model.document.variables == original
    wait_rendered(qtbot, editor)


def test_search_with_no_match_disables_fill(qtbot, editor, catalog):
    dialog = open_picker(qtbot, editor.variables_panel, catalog)
    QTest.keyClicks(dialog.search, "zzz")
    assert dialog.selected_sku() is None
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    before = editor.undo_stack.count()
    dialog.reject()
    assert editor.undo_stack.count() == before


def test_json_catalog_with_web_photo_says_why_the_photo_stays_empty(qtbot, editor, tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps([{"sku": "LAMP", "title": "Desk Lamp", "price": "45", "currency": "USD",
                                 "image": "https://cdn.example/lamp.jpg"}]), encoding="utf-8")
    panel = editor.variables_panel
    dialog = open_picker(qtbot, panel, path)
    assert dialog.table.item(0, 4).text() == "—"
    dialog.accept()
    assert editor.model.document.variables["product_name"] == "Desk Lamp"
    assert "web address" in panel.error.text()


def test_bad_catalog_says_so_and_changes_nothing(qtbot, editor, tmp_path):
    before = editor.model.document.model_dump()
    panel = editor.variables_panel
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    panel.load_catalog(bad)
    qtbot.waitUntil(lambda: "JSON" in panel.error.text(), timeout=10000)
    empty = tmp_path / "empty.csv"
    empty.write_text("sku,title,price,currency\n", encoding="utf-8")
    panel.load_catalog(empty)
    qtbot.waitUntil(lambda: "no usable products" in panel.error.text(), timeout=10000)
    assert panel.product_dialog is None and panel.catalog is None
    assert editor.model.document.model_dump() == before
    assert editor.undo_stack.count() == 0
