"""Cover documents under random and mutated input: parsing gives a ``CoverDocument`` or a
``DocumentError`` in words, never another exception; what parses renders (a bad layer is a problem
in words, the rest is drawn); text, QR payloads, prices and nesting are bounded before any work."""
from __future__ import annotations

import json

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from cover_designer import text as textlib
from cover_designer.document import CoverDocument, load_document, parse_document
from cover_designer.errors import CoverError, DocumentError
from cover_designer.render import render
from cover_designer.text_tiles import format_price
from studio.core import limits
from tests.properties.strategies import json_paths, json_values

# One layer of every kind, as a designer saves them: the base the mutations start from.
VALID = {
    "schema_version": 2, "name": "Summer sale", "preset": "youtube", "language": "en",
    "variables": {"price": "19.99", "currency": "USD", "locale": "en_US", "share_url": "https://example.com/p/1"},
    "layers": [
        {"type": "text", "text": "{product_name}", "frame": {"anchor": "top_left", "dx": 0.05, "dy": 0.05, "w": 0.5, "h": 0.3},
         "font": {"size": 96, "min_size": 24}, "stroke": {"width": 4, "color": "#000000"}, "max_lines": 3},
        {"type": "shape", "shape": "pill", "text": "-30%", "frame": {"anchor": "top_right", "w": 0.2, "h": 0.12}},
        {"type": "price", "frame": {"anchor": "bottom_left", "w": 0.4, "h": 0.2}, "original": None},
        {"type": "qr", "frame": {"anchor": "bottom_right", "w": 0.2, "h": 0.2, "aspect": 1}},
        {"type": "image", "src": "", "frame": {"anchor": "right", "w": 0.4, "h": 0.8},
         "frame_by_aspect": {"portrait": {"anchor": "top", "w": 1, "h": 0.5}}},
    ],
}




def _same_kind(value) -> st.SearchStrategy:
    """Values of the kind already there, so many mutants still parse and reach the renderer."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, (int, float)):
        return st.one_of(st.floats(min_value=-3, max_value=3), st.integers(min_value=-5, max_value=1000))
    if isinstance(value, str):
        return st.one_of(st.text(max_size=40), st.sampled_from(
            ["", "{price}", "{product_name}", "#FF000080", "center", "ar", "th", "1e400", "\x00", "x" * 600]))
    return json_values


@st.composite
def mutated_documents(draw) -> object:
    """The valid document with a few values replaced, by one of their kind or by any JSON, or removed."""
    data = json.loads(json.dumps(VALID))
    paths = [path for path, _value in json_paths(data) if path]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(paths))
        parent = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = draw(st.sampled_from(["same", "same", "any", "drop"]))
            if action == "drop":
                del parent[path[-1]]
            else:
                parent[path[-1]] = draw(_same_kind(parent[path[-1]]) if action == "same" else json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced a container on this path
    return data


def _parse(data) -> CoverDocument | None:
    try:
        return parse_document(data)
    except DocumentError as exc:
        assert exc.message and "Traceback" not in exc.message
        return None


@given(json_values)
def test_random_json_is_a_document_or_a_document_error(data):
    _parse(data)


@given(mutated_documents())
def test_mutated_documents_parse_or_are_refused_in_words(data):
    _parse(data)


@hypothesis.settings(max_examples=40)
@given(mutated_documents(), st.dictionaries(st.sampled_from(["product_name", "price", "currency", "locale", "share_url"]),
                                            st.one_of(st.text(max_size=30), st.sampled_from(["1e400", "x" * 3000])),
                                            max_size=3))
def test_what_parses_renders_with_problems_in_words(data, values):
    doc = _parse(data)
    if doc is None:
        return
    result = render(doc, "youtube", values)
    assert result.image.size == (result.preset.width, result.preset.height)
    assert all(problem.message for problem in result.problems)


@given(st.integers(min_value=1, max_value=400), st.text(min_size=1, max_size=12))
def test_random_nesting_depth_is_refused_or_read_never_a_recursion_error(depth, key):
    data: object = "x"
    for _ in range(depth):
        data = {key: data}
    if depth > limits.MAX_JSON_DEPTH:
        with pytest.raises(DocumentError, match="nested more than"):
            parse_document(data)
    else:
        _parse(data)


@given(st.one_of(st.text(max_size=40), st.sampled_from(["1e400", "-1e400", "NaN", "Infinity", "9" * 400,
                                                           "1E-999999999", "1_000", "0x10", "1,000.5"])))
def test_any_price_text_is_a_price_or_a_cover_error(amount):
    try:
        shown = format_price(amount, "USD", "en_US")
    except CoverError as exc:
        assert exc.message
    else:
        assert shown and len(shown) < 40


def test_a_million_character_text_layer_is_refused_before_any_layout(tmp_path):
    path = tmp_path / "long.json"
    path.write_text(json.dumps({"layers": [{"type": "text", "text": "word " * 200_000}]}), encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        load_document(path)
    assert caught.value.path == "layers[0].text"
    assert caught.value.message == "A text on a cover is at most 500 characters; this one has 1000000."


def test_a_variable_filled_with_a_million_characters_skips_its_layer_in_words():
    doc = parse_document({"layers": [{"type": "text", "text": "{product_name}"},
                                     {"type": "shape", "text": "{badge}"}]})
    result = render(doc, "youtube", {"product_name": "y" * 1_000_000, "badge": "z" * 1_000})
    assert [problem.message for problem in result.problems] == [
        "A text on a cover is at most 500 characters; this one has 1000000.",
        "A text on a cover is at most 500 characters; this one has 1000.",
    ]


def test_control_characters_in_text_are_dropped_not_fatal():
    # Found by the deep profile: a NUL (from a spreadsheet cell or a --set value) made Pillow raise
    # "embedded null character" out of the renderer.
    doc = parse_document({"layers": [{"type": "text", "text": "Sale\x00 now\r\n\x1bhere"},
                                     {"type": "shape", "text": "{badge}"}]})
    result = render(doc, "youtube", {"badge": "-30%\x00"})
    assert not result.problems
    assert all(info.ink is not None for info in result.layers)


def test_a_qr_payload_larger_than_a_qr_code_holds_is_refused_in_words():
    at_limit = "h" * limits.MAX_QR_PAYLOAD_BYTES
    doc = parse_document({"layers": [{"type": "qr", "data": at_limit}]})
    assert not render(doc, "youtube").problems  # the largest payload still draws
    with pytest.raises(DocumentError, match="A QR code holds at most 2331 bytes; this link has 2332"):
        parse_document({"layers": [{"type": "qr", "data": at_limit + "h"}]})
    doc = parse_document({"layers": [{"type": "qr", "data": "{share_url}"}]})
    problems = render(doc, "youtube", {"share_url": "https://example.com/" + "é" * 2000}).problems
    assert [p.path for p in problems] == ["layers[0].data"] and "this link has 4020" in problems[0].message


def test_a_huge_price_is_refused_in_words():
    for amount in ("1e400", "9" * 400, "-2000000000"):
        with pytest.raises(CoverError, match="A price is at most 1,000,000,000"):
            format_price(amount, "USD", "en_US")
    assert format_price("1000000000", "USD", "en_US") == "$1,000,000,000.00"


def test_a_deeply_nested_cover_file_is_refused_in_words(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"layers": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(DocumentError, match="nested more than 32 levels deep"):
        load_document(path)


def test_a_binary_or_oversized_cover_file_is_refused_in_words(tmp_path):
    binary = tmp_path / "cover.json"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DocumentError, match="is not text"):
        load_document(binary)
    big = tmp_path / "big.json"
    big.write_text('{"name": "' + "x" * limits.MAX_COVER_DOCUMENT_BYTES + '"}', encoding="utf-8")
    with pytest.raises(DocumentError, match="larger than 2 MB"):
        load_document(big)


@pytest.mark.parametrize("size_px", [1, 2, 5, 9, 12])
def test_characters_no_font_covers_draw_as_boxes_at_any_size(size_px):
    layout = textlib.layout_text("a\U00012000\U00012001", 190, 50, size_px, size_px, "regular", None, "ltr", 1, False)
    assert any(run.font is None for line in layout.lines for run in line.runs)
    image = Image.new("RGBA", (200, 60))
    textlib.draw_layout(ImageDraw.Draw(image), layout, 5, 5, 190, "left", (0, 0, 0, 255), None)
    assert image.getbbox() is not None
