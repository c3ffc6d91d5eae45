"""Autosave and recovery in the cover designer: the user is asked, and nothing is lost either way."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from cover_designer.autosave import autosave, autosave_path, save
from cover_designer.templates import load_template
from ui.cover_editor import CoverEditorWindow, edit_layer
from tests.ui.cover_helpers import close_without_asking, wait_rendered


def make_editor(qtbot) -> CoverEditorWindow:
    window = CoverEditorWindow()
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


def close(window) -> None:
    """Teardown (or the program stopping): unsaved edits stay only in what autosave wrote."""
    close_without_asking(window)


def answer(qtbot, window, role) -> None:
    qtbot.waitUntil(lambda: window.files.recovery_box is not None and window.files.recovery_box.isVisible(), timeout=10000)
    box = window.files.recovery_box
    button = next(b for b in box.buttons() if box.buttonRole(b) == role)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_discarding_an_autosave_keeps_the_saved_file_and_removes_the_copy(qtbot, tmp_path):
    doc = load_template("na_eu-apparel")
    path = tmp_path / "cover.json"
    save(doc, path)
    autosave(edit_layer(doc, "headline", text="Lost?"), path)
    window = make_editor(qtbot)
    try:
        window.files.open_file(path)
        answer(qtbot, window, QMessageBox.ButtonRole.DestructiveRole)
        assert window.model.layer("headline").text == doc.layers[1].text
        assert not autosave_path(path).exists() and path.exists()
        assert window.undo_stack.count() == 0
        wait_rendered(qtbot, window)
    finally:
        close(window)


def test_a_damaged_saved_file_opens_from_its_autosave(qtbot, tmp_path):
    doc = load_template("na_eu-apparel")
    path = tmp_path / "cover.json"
    path.write_text("{ not json", encoding="utf-8")
    autosave(edit_layer(doc, "headline", text="Still here"), path)
    window = make_editor(qtbot)
    try:
        window.files.open_file(path)
        answer(qtbot, window, QMessageBox.ButtonRole.AcceptRole)
        assert window.model.layer("headline").text == "Still here" and window.files.path == path
        wait_rendered(qtbot, window)
    finally:
        close(window)


def test_a_never_saved_cover_is_autosaved_and_offered_by_the_next_editor(qtbot, tmp_path):
    first = make_editor(qtbot)
    try:
        first.open_document(load_template("sea-food"), "youtube")
        wait_rendered(qtbot, first)
        first.model.select("headline")
        first.properties_panel.text_edit.setText("Untitled but kept")
        first.properties_panel.text_edit.editingFinished.emit()
        assert first.files.path is None and first.files._autosave_timer.isActive()
        first.files._autosave_timer.stop()
        first.files._autosave()
        qtbot.waitUntil(lambda: first.files.untitled_autosave.exists(), timeout=10000)
        wait_rendered(qtbot, first)
    finally:
        close(first)  # as if the program stopped here

    second = make_editor(qtbot)
    try:
        answer(qtbot, second, QMessageBox.ButtonRole.AcceptRole)
        assert second.model.layer("headline").text == "Untitled but kept"
        assert "*" in second.windowTitle()
        wait_rendered(qtbot, second)
        # Saving gives the cover a file: the untitled copy is no longer needed.
        with qtbot.waitSignal(second.files.saved, timeout=10000):
            second.files.save_to(tmp_path / "kept.json")
        assert not second.files.untitled_autosave.exists()
    finally:
        close(second)


def test_no_copy_no_question(qtbot):
    window = make_editor(qtbot)
    try:
        window.open_document(load_template("sea-food"), "youtube")
        wait_rendered(qtbot, window)
        assert window.files.recovery_box is None
    finally:
        close(window)


def test_closing_right_after_an_edit_keeps_it_for_the_next_editor(qtbot, tmp_path):
    doc = load_template("na_eu-apparel")
    path = tmp_path / "cover.json"
    save(doc, path)
    first = make_editor(qtbot)
    try:
        first.files.open_file(path)
        qtbot.waitUntil(lambda: first.files.path == path, timeout=10000)
        wait_rendered(qtbot, first)
        first.model.select("headline")
        first.properties_panel.text_edit.setText("Typed just before closing")
        first.properties_panel.text_edit.editingFinished.emit()
        assert first.files._autosave_timer.isActive() and not autosave_path(path).exists()
        first.close()  # well within the autosave delay: the edit is written while the question is asked
        qtbot.waitUntil(lambda: first.unsaved.box is not None and first.unsaved.box.isVisible(), timeout=10000)
        first.pool.waitForDone(10000)
        assert autosave_path(path).exists() and first.isVisible()
        QTest.mouseClick(first.unsaved.box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
        assert first.isVisible() and first.model.layer("headline").text == "Typed just before closing"
    finally:
        close(first)  # as if the program stopped with the question open
    assert autosave_path(path).exists()
    second = make_editor(qtbot)
    try:
        second.files.open_file(path)
        answer(qtbot, second, QMessageBox.ButtonRole.AcceptRole)
        assert second.model.layer("headline").text == "Typed just before closing"
        wait_rendered(qtbot, second)
    finally:
        close(second)


def test_opening_another_cover_keeps_the_unsaved_one_in_its_autosave(qtbot, tmp_path):
    doc = load_template("na_eu-apparel")
    path = tmp_path / "cover.json"
    save(doc, path)
    window = make_editor(qtbot)
    try:
        window.files.open_file(path)
        qtbot.waitUntil(lambda: window.files.path == path, timeout=10000)
        window.model.select("headline")
        window.properties_panel.text_edit.setText("Not lost")
        window.properties_panel.text_edit.editingFinished.emit()
        window.open_document(load_template("sea-food"), "youtube")
        window.pool.waitForDone(10000)
        from cover_designer.autosave import recover

        assert recover(path).layers[1].text == "Not lost"
        wait_rendered(qtbot, window)
    finally:
        close(window)
