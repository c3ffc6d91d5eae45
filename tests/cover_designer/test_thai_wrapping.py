"""Thai headlines (no spaces between words) wrap at dictionary word boundaries, so shrink-to-fit
can make them fit instead of overflowing as one unbreakable chunk."""
from __future__ import annotations

from cover_designer import text as textlib
from cover_designer import wordbreak
from cover_designer.document import CoverDocument, Frame, TextLayer
from cover_designer.lint import lint
from cover_designer.presets import get_preset
from cover_designer.render import render

# "Special discount on every fashion item, today only" — one chunk without a single space.
LONG_THAI = "ลดราคาพิเศษสินค้าแฟชั่นทุกชิ้นวันนี้เท่านั้น"
THAI_WORDS = ("ลดราคา", "พิเศษ", "สินค้า", "แฟชั่น", "ทุก", "ชิ้น", "วันนี้", "เท่านั้น")


def line_texts(layout: textlib.TextLayout) -> list[str]:
    return ["".join(run.text for run in line.runs) for line in layout.lines]


def test_thai_is_cut_into_dictionary_words():
    assert wordbreak.words(LONG_THAI) == THAI_WORDS
    assert "".join(wordbreak.words(LONG_THAI)) == LONG_THAI


def test_latin_digits_and_closing_marks_are_not_cut():
    pieces = wordbreak.words("ลด50%สินค้าทุกชิ้นๆSale!")
    assert "".join(pieces) == "ลด50%สินค้าทุกชิ้นๆSale!"
    assert any(piece.startswith("50%") for piece in pieces)
    assert not any(piece.startswith(("%", "ๆ", "!")) for piece in pieces)
    assert any("Sale!" in piece for piece in pieces)
    assert wordbreak.words("SALE") == ("SALE",)


def test_wrap_units_keep_spaces_with_the_word_before():
    units = textlib._wrap_units("ลดราคาพิเศษ วันนี้เท่านั้น")
    assert units == ["ลดราคา", "พิเศษ ", "วันนี้", "เท่านั้น"]
    assert textlib._wrap_units("Big sale today") == ["Big ", "sale ", "today"]


def test_a_long_thai_headline_wraps_at_word_boundaries_without_shrinking():
    layout = textlib.layout_text(LONG_THAI, 600, 420, 96, 24, "bold", "th", "auto", 3, True)
    lines = line_texts(layout)
    assert layout.fits and len(lines) > 1 and layout.size_px == 96
    assert "".join(lines) == LONG_THAI
    # Every line is whole words: each line break falls on a word boundary.
    boundaries = {sum(len(word) for word in THAI_WORDS[:i]) for i in range(len(THAI_WORDS) + 1)}
    offset = 0
    for line in lines:
        offset += len(line)
        assert offset in boundaries
    assert all(line.width <= 600.5 for line in layout.lines)


def test_shrink_to_fit_works_once_thai_can_wrap(monkeypatch):
    wrapped = textlib.layout_text(LONG_THAI, 520, 300, 120, 24, "bold", "th", "auto", 3, True)
    assert wrapped.fits and wrapped.size_px > 24
    # Without word breaking the headline is one chunk: even the smallest size overflows the box.
    monkeypatch.setattr(textlib, "words", lambda chunk: (chunk,))
    unbroken = textlib.layout_text(LONG_THAI, 520, 300, 120, 24, "bold", "th", "auto", 3, True)
    assert len(unbroken.lines) == 1 and unbroken.size_px < wrapped.size_px


def test_a_thai_cover_renders_the_headline_inside_its_box():
    preset = get_preset("youtube")
    headline = TextLayer(id="headline", text=LONG_THAI, language="th", color="#111111",
                         frame=Frame(anchor="center", w=0.5, h=0.5))
    doc = CoverDocument(id="thai", language="th", region="sea", layers=[headline])
    result = render(doc, preset)
    info = next(layer for layer in result.layers if layer.layer_id == "headline")
    assert info.text_fits and info.font_px > 40
    assert info.ink.right <= info.frame.right + 2 and info.ink.x >= info.frame.x - 2
    assert not [f for f in lint(doc, preset, result=result, face_detector=None) if f.rule == "L8"]


def test_the_headline_word_rule_counts_thai_words():
    from cover_designer.lint import _words

    assert _words(LONG_THAI) == len(THAI_WORDS)
    assert _words("สินค้าใหม่") == 2 and _words("Big sale today") == 3 and _words("ลด 50%") == 2
    headline = TextLayer(id="headline", text=LONG_THAI, language="th", color="#111111",
                         frame=Frame(anchor="center", w=0.5, h=0.5))
    doc = CoverDocument(id="thai", language="th", region="sea", layers=[headline])
    l3 = [f for f in lint(doc, "youtube", face_detector=None) if f.rule == "L3" and f.layer == "headline"]
    assert l3 and "8 words" in l3[0].message
