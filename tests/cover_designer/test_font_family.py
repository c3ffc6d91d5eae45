"""``font.family``: the chosen family is drawn first, the Noto chain fills the glyphs it lacks, a
family that is not installed falls back and lints (L5 warning), and documents keep the family."""
from __future__ import annotations

import json

import numpy as np
import pytest

from cover_designer import text as textlib
from cover_designer.document import load_document, parse_document
from cover_designer.lint import lint
from cover_designer.presets import Preset
from cover_designer.render import _tile_key, clear_cache, layer_frame, render

from .conftest import compare_golden

SMALL = Preset("golden", "Golden 16:9", 640, 360, smallest_display_width_px=640)
SERIF = "Noto Serif CJK JP"


def _needs(*families: str) -> None:
    missing = [name for name in families if textlib.resolve_family(name) is None]
    if missing:
        pytest.skip(f"font families not installed here: {missing} (Debian fonts-noto-cjk)")


def _doc(text: str, family: str, weight: str = "bold", language: str = "en") -> dict:
    return {"preset": "youtube", "language": language, "background": {"color": "#1E3A5F"},
            "layers": [{"type": "text", "text": text, "language": language,
                        "font": {"family": family, "weight": weight, "size": 150, "min_size": 20},
                        "color": "#FFFFFF", "frame": {"anchor": "center", "w": 0.9, "h": 0.8}, "max_lines": 2}]}


def _pixels(doc: dict) -> np.ndarray:
    return np.asarray(render(parse_document(doc), SMALL).image.convert("L"), dtype=np.int16)


def test_families_are_discovered_ofl_only():
    names = textlib.family_names()
    assert "Noto Sans" in names  # fontpkg-noto-sans, a project dependency
    for family in textlib.available_families().values():
        assert family.name in names
    # DejaVu is on this machine but is not under the OFL: never offered by name.
    assert not any(name.startswith("DejaVu") for name in names)
    # Names match loosely (slugs, case).
    assert textlib.resolve_family("noto-sans").name == "Noto Sans"
    assert textlib.resolve_family("sans") is None and not textlib.is_missing_family("sans")
    assert textlib.is_missing_family("Comic Nonexistent")


def test_chosen_family_comes_first_then_the_language_chain():
    _needs(SERIF)
    chain = textlib.fallback_chain("th", SERIF)
    assert chain[0].key == f"family:{SERIF}"
    assert chain[1:] == textlib.fallback_chain("th")  # the per-run fallback is unchanged after it
    # Thai is not in the CJK serif: those letters fall back to Noto Sans Thai, Latin stays serif.
    runs = textlib.split_runs("Sale ลดราคา", "en", SERIF)
    assert runs[0].face.key == f"family:{SERIF}" and runs[0].text.startswith("Sale")
    assert any(run.face.key == "thai" for run in runs)
    assert textlib.missing_characters("Sale ลดราคา", "en", SERIF) == []


def test_same_text_in_two_families_renders_differently():
    _needs(SERIF)
    sans = _pixels(_doc("Summer Sale", "Noto Sans"))
    serif = _pixels(_doc("Summer Sale", SERIF))
    automatic = _pixels(_doc("Summer Sale", "sans"))
    # Noto Sans by name is what the automatic chain uses for English: the same picture.
    assert np.abs(sans - automatic).mean() < 0.5
    assert np.abs(sans - serif).mean() > 3  # other letter shapes, not antialiasing noise
    compare_golden(render(parse_document(_doc("Summer Sale", SERIF)), SMALL).image, "family_serif_cjk_jp")


def test_weight_applies_in_the_chosen_family():
    _needs(SERIF)
    # Static family (Regular + Bold files): the weight picks the file.
    regular = _pixels(_doc("Summer Sale", SERIF, "regular"))
    bold = _pixels(_doc("Summer Sale", SERIF, "bold"))
    assert (bold > 128).sum() > (regular > 128).sum() * 1.15
    # Variable family (Noto Sans): the wght axis is set.
    light = _pixels(_doc("Summer Sale", "Noto Sans", "regular"))
    black = _pixels(_doc("Summer Sale", "Noto Sans", "black"))
    assert (black > 128).sum() > (light > 128).sum() * 1.2


def test_missing_family_falls_back_and_lints():
    doc = parse_document(_doc("Summer Sale", "Brand Display Pro"))
    result = render(doc, SMALL)
    assert not result.problems
    info = result.layers[0]
    assert info.font_family_missing == "Brand Display Pro"
    assert not info.missing_glyphs
    automatic = _pixels(_doc("Summer Sale", "sans"))
    fallback = np.asarray(result.image.convert("L"), dtype=np.int16)
    assert np.abs(fallback - automatic).mean() < 0.5  # drawn exactly as with the fallback chain
    findings = [f for f in lint(doc, SMALL, face_detector=None) if f.rule == "L5"]
    assert len(findings) == 1
    finding = findings[0]
    assert finding.severity == "warning" and finding.layer == "text1"
    assert finding.path == "layers[0].font.family"
    assert "Brand Display Pro" in finding.message and "text1" in finding.message
    assert "installed" in finding.fix


def test_installed_family_does_not_lint():
    doc = parse_document(_doc("Summer Sale", "Noto Sans"))
    assert not [f for f in lint(doc, SMALL, face_detector=None) if f.rule == "L5"]


def test_missing_family_on_badge_and_price_layers_lints_too():
    doc = parse_document({"preset": "youtube", "layers": [
        {"type": "shape", "text": "NEW", "font": {"family": "Nowhere Sans"}, "frame": {"w": 0.3, "h": 0.2}},
        {"type": "price", "amount": "19.99", "original": None, "currency": "USD", "locale": "en_US",
         "font": {"family": "Nowhere Sans"}, "frame": {"anchor": "bottom", "w": 0.4, "h": 0.3}}]})
    findings = [f for f in lint(doc, SMALL, face_detector=None) if f.rule == "L5"]
    assert {f.layer for f in findings} == {"shape1", "price2"}


def test_cache_key_includes_the_family(monkeypatch):
    _needs(SERIF)
    doc_a = parse_document(_doc("Summer Sale", "Noto Sans"))
    doc_b = parse_document(_doc("Summer Sale", SERIF))
    key = lambda doc: _tile_key(doc.layers[0], layer_frame(doc.layers[0], SMALL, doc), SMALL, doc, {}, None)  # noqa: E731
    assert key(doc_a) != key(doc_b)
    # The same document whose family becomes available (or changes file) gets a new key.
    missing = parse_document(_doc("Summer Sale", "Later Installed"))
    before = key(missing)
    serif = textlib.resolve_family(SERIF)
    families = dict(textlib.available_families())
    families[textlib.family_key("Later Installed")] = serif
    monkeypatch.setattr(textlib, "available_families", lambda: families)
    assert key(missing) != before
    clear_cache()
    result = render(missing, SMALL)
    assert result.layers[0].font_family_missing is None
    assert np.abs(np.asarray(result.image.convert("L"), dtype=np.int16) - _pixels(_doc("Summer Sale", SERIF))).mean() < 0.5
    clear_cache()


def test_document_round_trips_the_family(tmp_path):
    _needs(SERIF)
    doc = parse_document(_doc("Summer Sale", SERIF))
    path = tmp_path / "cover.json"
    path.write_text(doc.to_json(), encoding="utf-8")
    assert json.loads(path.read_text())["layers"][0]["font"]["family"] == SERIF
    loaded = load_document(path)
    assert loaded.layers[0].font.family == SERIF
    assert loaded.model_dump() == doc.model_dump()
    first = np.asarray(render(doc, SMALL).image, dtype=np.int16)
    clear_cache()
    again = np.asarray(render(loaded, SMALL).image, dtype=np.int16)
    assert np.abs(first - again).max() == 0
