"""The cover editor's Undo/Redo speak the UI's language — also where Qt's own catalogs have none
(Thai): they are our actions, named after the step they undo."""
from __future__ import annotations

from studio.core import i18n
from tests.ui.cover_helpers import open_cover_editor
from ui import i18n as ui_i18n


def test_undo_and_redo_in_thai_name_the_step(qtbot):
    with open_cover_editor(qtbot) as editor:
        toolbar = editor.toolbar
        try:
            ui_i18n.switch_language("th")
            assert "th" in i18n.LANGUAGES
            qtbot.waitUntil(lambda: toolbar.undo_action.text() != "Undo", timeout=3000)
            assert toolbar.undo_action.text() == i18n.gettext("Undo") and not toolbar.undo_action.isEnabled()
            doc = editor.model.document
            editor.edits.push(doc.model_copy(update={"variables": {**doc.variables, "price": "99"}}, deep=True), "Edit")
            assert toolbar.undo_action.isEnabled()
            assert toolbar.undo_action.text() == i18n.gettext("Undo {action}").format(action=editor.undo_stack.undoText())
            assert toolbar.undo_action.text().startswith("เลิกทำ")
            toolbar.undo_action.trigger()
            assert toolbar.redo_action.text().startswith("ทำซ้ำ") and toolbar.redo_action.isEnabled()
        finally:
            ui_i18n.switch_language("en")
        qtbot.waitUntil(lambda: toolbar.redo_action.text().startswith("Redo"), timeout=3000)


def test_a_stock_template_title_speaks_the_ui_language_and_a_given_name_stays(qtbot):
    """The template's name is its English "region · category"; the title shows it in Thai — a name
    the user gave is never translated."""
    with open_cover_editor(qtbot) as editor:
        try:
            ui_i18n.switch_language("th")
            qtbot.waitUntil(lambda: "North America" not in editor.windowTitle(), timeout=3000)
            title = editor.windowTitle()
            assert i18n.gettext("North America / Europe") in title and i18n.gettext("Apparel") in title, title
            assert "apparel" not in title
            doc = editor.model.document
            editor.edits.push(doc.model_copy(update={"name": "Summer sale"}, deep=True), "Rename")
            qtbot.waitUntil(lambda: "Summer sale" in editor.windowTitle(), timeout=3000)
        finally:
            ui_i18n.switch_language("en")
        qtbot.waitUntil(lambda: editor.windowTitle().startswith("Cover designer — Summer sale"), timeout=3000)
