"""At a 1366×768 screen the cover editor's properties dock shows every field whole: nothing is cut at
its right edge (the dock scrolls vertically only, so a field wider than the dock would lose its end —
found in the Thai screenshots: the variables' value column and the Add button were cut)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QApplication, QComboBox, QLineEdit, QSpinBox, QWidget

from tests.ui.cover_helpers import open_cover_editor
from ui import i18n as ui_i18n

FIELDS = (QAbstractButton, QLineEdit, QComboBox, QSpinBox, QAbstractItemView)


def _cut_fields(editor) -> list[str]:
    scroller = editor.properties_dock.widget()
    viewport = scroller.viewport()
    right_edge = viewport.width()
    cut = []
    for widget in scroller.widget().findChildren(QWidget):
        if not isinstance(widget, FIELDS) or not widget.isVisibleTo(scroller.widget()):
            continue
        left = widget.mapTo(viewport, QPoint(0, 0)).x()
        if left < -1 or left + widget.width() > right_edge + 1:  # right-to-left: cut at the left
            label = getattr(widget, "text", lambda: "")() if hasattr(widget, "text") else ""
            cut.append(f"{type(widget).__name__} {widget.objectName() or label!r}: {left}+{widget.width()} > {right_edge}")
    return cut


@pytest.mark.parametrize("language", ["en", "th", "ar"])
def test_properties_fit_the_dock_at_1366x768(qtbot, language):
    with open_cover_editor(qtbot) as editor:
        try:
            ui_i18n.switch_language(language)
            QApplication.processEvents()
            editor.resize(1366, 768)
            editor.model.select(None)  # the background and the variables
            qtbot.wait(50)
            assert not _cut_fields(editor), _cut_fields(editor)
            for layer in editor.model.document.layers:
                editor.model.select(layer.id)
                qtbot.wait(20)
                assert not _cut_fields(editor), (layer.id, _cut_fields(editor))
        finally:
            ui_i18n.switch_language("en")
