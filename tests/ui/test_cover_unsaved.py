"""Unsaved work in the cover designer is asked about (Save / Discard / Cancel) before a template,
a new cover or another file replaces it, and before the editor or the app closes."""
from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from cover_designer.autosave import autosave_path, save
from cover_designer.templates import load_template
from tests.ui.cover_helpers import close_without_asking, open_cover_editor, wait_rendered

Button = QMessageBox.StandardButton


def type_headline(window, text: str) -> None:
    window.model.select("headline")
    window.properties_panel.text_edit.setText(text)
    window.properties_panel.text_edit.editingFinished.emit()
    assert not window.undo_stack.isClean()


def answer(qtbot, window, button: QMessageBox.StandardButton) -> None:
    qtbot.waitUntil(lambda: window.unsaved.box is not None and window.unsaved.box.isVisible(), timeout=10000)
    box = window.unsaved.box
    assert "Save changes to" in box.text()
    QTest.mouseClick(box.button(button), Qt.MouseButton.LeftButton)


def test_a_clean_cover_is_replaced_without_a_question(qtbot):
    with open_cover_editor(qtbot) as window:
        window.open_template("sea-food", "youtube")
        qtbot.waitUntil(lambda: window.model.document.id == "sea-food", timeout=10000)
        assert window.unsaved.box is None
        wait_rendered(qtbot, window)


def test_opening_a_template_asks_and_cancel_keeps_the_edits(qtbot):
    with open_cover_editor(qtbot) as window:
        type_headline(window, "Keep me")
        window.open_template("sea-food", "youtube")
        answer(qtbot, window, Button.Cancel)
        window.pool.waitForDone(10000)
        qtbot.wait(50)
        assert window.model.document.id == "na_eu-apparel"
        assert window.model.layer("headline").text == "Keep me" and not window.undo_stack.isClean()
        wait_rendered(qtbot, window)


def test_discard_opens_the_template_and_drops_the_autosave_copy(qtbot, tmp_path):
    path = tmp_path / "cover.json"
    save(load_template("na_eu-apparel"), path)
    with open_cover_editor(qtbot) as window:
        window.files.open_file(path)
        qtbot.waitUntil(lambda: window.files.path == path, timeout=10000)
        wait_rendered(qtbot, window)
        type_headline(window, "Throw away")
        window.files.flush_autosave()
        window.pool.waitForDone(10000)
        assert autosave_path(path).exists()
        window.open_template("sea-food", "youtube")
        answer(qtbot, window, Button.Discard)
        qtbot.waitUntil(lambda: window.model.document.id == "sea-food", timeout=10000)
        window.pool.waitForDone(10000)
        assert not autosave_path(path).exists()
        assert json.loads(path.read_text(encoding="utf-8"))["layers"][1]["text"] != "Throw away"
        wait_rendered(qtbot, window)


def test_save_writes_the_file_then_opens_the_template(qtbot, tmp_path):
    path = tmp_path / "cover.json"
    save(load_template("na_eu-apparel"), path)
    with open_cover_editor(qtbot) as window:
        window.files.open_file(path)
        qtbot.waitUntil(lambda: window.files.path == path, timeout=10000)
        wait_rendered(qtbot, window)
        type_headline(window, "Saved first")
        window.open_template("sea-food", "youtube")
        answer(qtbot, window, Button.Save)
        qtbot.waitUntil(lambda: window.model.document.id == "sea-food", timeout=10000)
        assert json.loads(path.read_text(encoding="utf-8"))["layers"][1]["text"] == "Saved first"
        wait_rendered(qtbot, window)


def test_new_cover_asks_and_save_as_names_the_untitled_one(qtbot, tmp_path, monkeypatch):
    target = tmp_path / "named.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    with open_cover_editor(qtbot) as window:
        type_headline(window, "Named at last")
        window.toolbar.new_action.trigger()
        answer(qtbot, window, Button.Save)
        qtbot.waitUntil(lambda: window.model.document.layers == [], timeout=10000)
        assert json.loads(target.read_text(encoding="utf-8"))["layers"][1]["text"] == "Named at last"
        assert window.model.document.preset == "youtube" and window.files.path is None
        assert window.undo_stack.isClean()
        wait_rendered(qtbot, window)


def test_cancelling_the_save_dialog_keeps_the_cover(qtbot, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: ("", ""))
    with open_cover_editor(qtbot) as window:
        type_headline(window, "Still mine")
        window.toolbar.new_action.trigger()
        answer(qtbot, window, Button.Save)
        qtbot.wait(100)
        assert window.model.layer("headline").text == "Still mine"


def test_closing_the_editor_asks(qtbot):
    with open_cover_editor(qtbot) as window:
        type_headline(window, "Unsaved")
        window.close()
        answer(qtbot, window, Button.Cancel)
        assert window.isVisible()
        window.close()
        answer(qtbot, window, Button.Discard)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
        assert window.undo_stack.isClean()


def test_quitting_the_app_asks_about_the_open_cover(qtbot, window):
    window.cover_designer_action.trigger()
    editor = window.cover_editor
    qtbot.waitUntil(lambda: editor.model.document.id == "na_eu-apparel" and editor.is_idle(), timeout=10000)
    type_headline(editor, "Before quitting")
    window.close()
    answer(qtbot, editor, Button.Cancel)
    assert window.isVisible() and editor.isVisible()
    window.close()
    answer(qtbot, editor, Button.Discard)
    qtbot.waitUntil(lambda: not window.isVisible() and not editor.isVisible(), timeout=10000)
    close_without_asking(editor)
