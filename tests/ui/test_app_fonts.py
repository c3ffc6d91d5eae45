"""The renderer's fonts are registered with Qt, so Qt's fallback draws Thai and Arabic in text fields
instead of empty boxes (.notdef glyphs)."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QTextLayout
from PySide6.QtWidgets import QLineEdit

from studio.fonts import SCRIPT_SAMPLES
from ui.app_fonts import register_renderer_fonts


def drawn_glyphs(widget: QLineEdit) -> list[tuple[str, list[int], bool]]:
    """How Qt lays out the field's text with its font: per glyph run, the font Qt resolved (after
    fallback), its glyph indexes and whether that font has every character of the text."""
    text = widget.text()
    layout = QTextLayout(text, widget.font())
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    out = []
    for run in layout.glyphRuns():
        raw = run.rawFont()
        covers = all(raw.supportsCharacter(ord(char)) for char in text if not char.isspace())
        out.append((raw.familyName(), list(run.glyphIndexes()), covers))
    return out


def test_every_renderer_font_file_is_registered(qapp):
    registered = register_renderer_fonts()
    assert registered and all(families for families in registered.values())
    families = {family for names in registered.values() for family in names}
    assert {"Noto Sans Thai", "Noto Sans Arabic"} <= families


@pytest.mark.parametrize("script", ["thai", "arabic", "vietnamese", "japanese"])
def test_a_text_field_draws_the_script_with_a_font_that_has_it(qtbot, script):
    register_renderer_fonts()
    field = QLineEdit(SCRIPT_SAMPLES[script])
    qtbot.addWidget(field)
    runs = drawn_glyphs(field)
    assert runs
    for family, glyphs, covers in runs:
        assert covers, f"{family} lacks characters of {SCRIPT_SAMPLES[script]!r}"
        assert 0 not in glyphs, f"{family} draws empty boxes for {SCRIPT_SAMPLES[script]!r}"
