"""The font family picker in the cover designer's properties: lists the installed OFL families,
changes the picture (rendered off the GUI thread), is one undo step, and keeps a family the
machine lacks visible and marked while the checks explain the fallback."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from cover_designer import text as textlib
from cover_designer.document import parse_document
from cover_designer.templates import load_template
from ui.cover_fonts import FontFamilyPicker

from tests.ui.cover_helpers import open_cover_editor, wait_rendered

from .test_cover_style_panel import changed_then_undo_redo

SERIF = "Noto Serif CJK JP"


@pytest.fixture
def editor(qtbot):
    with open_cover_editor(qtbot) as window:
        qtbot.waitUntil(lambda: window.properties_panel.family_combo.families is not None, timeout=20000)
        yield window


def _items(combo) -> list[tuple[str, str]]:
    return [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]


def test_picker_lists_automatic_then_installed_families(qtbot):
    picker = FontFamilyPicker()
    qtbot.addWidget(picker)
    qtbot.waitUntil(lambda: picker.families is not None, timeout=20000)
    data = [value for _text, value in _items(picker) if value is not None]  # None: the separator
    assert data[0] == "sans"
    assert data[1:] == textlib.family_names()
    assert "Noto Sans" in data


def test_choosing_a_family_changes_the_picture_and_undoes(qtbot, editor):
    if textlib.resolve_family(SERIF) is None:
        pytest.skip("Debian fonts-noto-cjk is not installed")
    editor.model.select("headline")
    combo = editor.properties_panel.family_combo
    assert editor.properties_panel.properties_form.isRowVisible(editor.properties_panel.prop_labels["font_family"])
    assert combo.currentData() == "sans"
    index = combo.findData(SERIF)
    assert index > 0
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    assert editor.undo_stack.undoText() == "Change font"

    def check(done: bool) -> None:
        layer = editor.model.layer("headline")
        assert layer.font.family == (SERIF if done else "sans")
        assert combo.currentData() == (SERIF if done else "sans")

    changed_then_undo_redo(qtbot, editor, check)


def test_rows_follow_the_layer_kind(qtbot, editor):
    image = next(layer for layer in editor.model.document.layers if layer.type == "image")
    editor.model.select(image.id)
    assert not editor.properties_panel.properties_form.isRowVisible(editor.properties_panel.prop_labels["font_family"])
    badge = next(layer for layer in editor.model.document.layers if layer.type in ("shape", "price"))
    editor.model.select(badge.id)
    assert editor.properties_panel.properties_form.isRowVisible(editor.properties_panel.prop_labels["font_family"])


def test_missing_family_is_kept_marked_and_linted(qtbot, editor):
    data = load_template("na_eu-apparel").model_dump()
    for layer in data["layers"]:
        if layer["id"] == "headline":
            layer["font"]["family"] = "Brand Display Pro"
    editor.open_document(parse_document(data), "youtube")
    wait_rendered(qtbot, editor)
    editor.model.select("headline")
    combo = editor.properties_panel.family_combo
    assert combo.currentData() == "Brand Display Pro"
    text = combo.currentText()
    assert "Brand Display Pro" in text and "not installed" in text
    assert combo.itemData(combo.currentIndex(), Qt.ItemDataRole.FontRole).italic()
    qtbot.waitUntil(lambda: any(f.rule == "L5" and f.layer == "headline" for f in editor.lint_list.findings), timeout=20000)
    rows = [editor.lint_list.item(i).text() for i in range(editor.lint_list.count())]
    assert any("Brand Display Pro" in row and row.startswith("L5") for row in rows)
    # Picking an installed family clears the finding; the missing entry stays until then.
    index = combo.findData("Noto Sans")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    wait_rendered(qtbot, editor)
    qtbot.waitUntil(lambda: not any(f.rule == "L5" for f in editor.lint_list.findings), timeout=20000)
    assert combo.findData("Brand Display Pro") == -1
    editor.toolbar.undo_action.trigger()
    wait_rendered(qtbot, editor)
    assert combo.currentData() == "Brand Display Pro"
