"""Lint rules L1–L10: a failing and a passing example each."""
from __future__ import annotations

import pytest

from cover_designer import text as textlib
from cover_designer.document import parse_document
from cover_designer.lint import blocks_export, lint
from cover_designer.presets import Preset


def _doc(layers, preset="youtube", background="#123456", **extra) -> object:
    data = {"preset": preset, "background": {"color": background}, "layers": layers}
    data.update(extra)
    return parse_document(data)


def _text(text="Big Sale", frame=None, **extra) -> dict:
    layer = {"type": "text", "text": text, "color": "#FFFFFF", "font": {"size": 140, "min_size": 20},
             "frame": frame or {"anchor": "center", "w": 0.6, "h": 0.3}}
    layer.update(extra)
    return layer


def _rules(findings, severity=None):
    return {f.rule for f in findings if severity is None or f.severity == severity}


def test_clean_cover_has_no_findings():
    assert lint(_doc([_text()])) == []


def test_l1_unsafe_zone():
    rail = _text(frame={"anchor": "right", "w": 0.3, "h": 0.1})
    findings = lint(_doc([rail], "tiktok_live"), "tiktok_live")
    l1 = [f for f in findings if f.rule == "L1"]
    assert l1 and l1[0].severity == "error" and l1[0].layer == "text1" and "right rail" in l1[0].message
    assert "safe area" in l1[0].fix
    safe = _text(frame={"anchor": "center", "relative_to": "safe", "w": 0.8, "h": 0.1})
    assert "L1" not in _rules(lint(_doc([safe], "tiktok_live"), "tiktok_live"))


def test_l1_face_in_unsafe_zone():
    image = {"type": "image", "frame": {"anchor": "top", "w": 1, "h": 0.3}, "face": [0.4, 0.0, 0.2, 0.3]}
    assert "L1" in _rules(lint(_doc([image], "tiktok_live"), "tiktok_live"))
    image["face"] = [0.3, 0.7, 0.2, 0.3]
    image["frame"] = {"anchor": "center", "w": 0.6, "h": 0.4}
    assert "L1" not in _rules(lint(_doc([image], "tiktok_live"), "tiktok_live"))


def test_l2_minimum_text_height():
    small = _text(font={"size": 60, "min_size": 20}, auto_fit=False)  # 40 px on a 720-px-high canvas
    findings = lint(_doc([small]))
    assert any(f.rule == "L2" and f.path == "layers[0].font.size" for f in findings)
    assert "L2" not in _rules(lint(_doc([_text(font={"size": 140})])))


def test_l3_headline_words_blocks_and_cjk():
    assert "L3" in _rules(lint(_doc([_text("One two three four five six seven", frame={"anchor": "center", "w": 1, "h": 1},
                                             font={"size": 130, "min_size": 20})])), "error")
    four = lint(_doc([_text("Big summer linen sale", frame={"anchor": "center", "w": 1, "h": 0.6})]))
    assert "L3" in _rules(four, "warning") and "L3" not in _rules(four, "error")
    blocks = [_text("Sale", frame={"anchor": "top", "w": 0.5, "h": 0.2}),
              _text("Now", role="subhead", frame={"anchor": "center", "w": 0.5, "h": 0.2}),
              _text("Go", role="caption", frame={"anchor": "bottom", "w": 0.5, "h": 0.2})]
    assert "L3" in _rules(lint(_doc(blocks)))
    cjk = _text("本日限定大特価セール送料無料全品半額", language="ja", frame={"anchor": "center", "w": 1, "h": 1},
                font={"size": 130})
    assert "L3" in _rules(lint(_doc([cjk], language="ja")))
    assert "L3" not in _rules(lint(_doc([_text("セール", language="ja")], language="ja")))


def test_l4_contrast_needs_stroke_or_plate():
    white_on_white = _doc([_text(color="#F0F0F0")], background="#FFFFFF")
    findings = lint(white_on_white)
    assert any(f.rule == "L4" and f.path == "layers[0].color" for f in findings)
    stroked = _doc([_text(color="#F0F0F0", stroke={"width": 6, "color": "#000000"})], background="#FFFFFF")
    assert "L4" not in _rules(lint(stroked))
    plated = _doc([_text(color="#F0F0F0", plate={"color": "#000000"})], background="#FFFFFF")
    assert "L4" not in _rules(lint(plated))


def test_l5_missing_glyph():
    findings = lint(_doc([_text("Sale \ue000")]))
    assert any(f.rule == "L5" and "U+E000" in f.message for f in findings)
    assert "L5" not in _rules(lint(_doc([_text("Sale ลด تخفيض セール")])))


def test_l6_complex_text_without_raqm_blocks_export(monkeypatch):
    monkeypatch.setattr(textlib, "_RAQM", False)
    findings = lint(_doc([_text("تخفيضات", language="ar")]))
    assert "L6" in _rules(findings, "error") and blocks_export(findings)
    assert "L6" not in _rules(lint(_doc([_text("Sale")])))
    monkeypatch.setattr(textlib, "_RAQM", None)
    assert "L6" not in _rules(lint(_doc([_text("تخفيضات", language="ar")])))


def test_l7_file_size(tmp_path):
    import numpy as np
    from PIL import Image

    noise = tmp_path / "noise.png"
    Image.fromarray((np.random.default_rng(1).random((360, 640, 3)) * 255).astype("uint8")).save(noise)
    tiny = Preset("tiny", "Tiny", 640, 360, max_bytes=3000, formats=("jpeg",), smallest_display_width_px=640)
    doc = _doc([{"type": "image", "src": str(noise), "frame": {"w": 1, "h": 1}}])
    findings = lint(doc, tiny)
    assert "L7" in _rules(findings) and blocks_export(findings)
    roomy = Preset("roomy", "Roomy", 640, 360, max_bytes=2_000_000, formats=("jpeg",), smallest_display_width_px=640)
    assert "L7" not in _rules(lint(doc, roomy))


def test_l8_real_glyph_bounds():
    # Vietnamese stacked marks need room above the letters; a tight box without auto-fit overflows.
    tight = _text("Ấn tượng", language="vi", auto_fit=False, font={"size": 160}, frame={"anchor": "center", "w": 0.9, "h": 0.1})
    assert "L8" in _rules(lint(_doc([tight])))
    roomy = _text("Ấn tượng", language="vi", font={"size": 160}, frame={"anchor": "center", "w": 0.9, "h": 0.5})
    assert "L8" not in _rules(lint(_doc([roomy])))


def test_l9_text_on_no_text_platforms():
    findings = lint(_doc([_text()], "douyin"), "douyin")
    assert "L9" in _rules(findings, "warning")
    photo_only = _doc([{"type": "image", "frame": {"w": 1, "h": 1}}], "douyin")
    assert "L9" not in _rules(lint(photo_only, "douyin"))


def test_render_problem_is_reported_not_raised(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    doc = _doc([{"type": "image", "src": str(bad), "frame": {"w": 1, "h": 1}}, _text()])
    findings = lint(doc)
    assert any(f.rule == "render" and f.path == "layers[0].src" for f in findings)


def test_l9_no_logo_on_lazada():
    logo = {"type": "logo", "frame": {"anchor": "top_left", "w": 0.2, "h": 0.1}}
    assert "L9" in _rules(lint(_doc([logo], "lazada"), "lazada"))
    assert "L9" not in _rules(lint(_doc([logo], "youtube"), "youtube"))


@pytest.mark.parametrize("preset, limit", [("tiktok_live", 32), ("shopee_square", 20)])
def test_l10_headline_longer_than_the_platform_title_limit(preset, limit):
    frame = {"anchor": "center", "relative_to": "safe", "w": 0.9, "h": 0.5}
    font = {"size": 60, "min_size": 10}
    too_long = _text("x" * (limit + 1), frame=frame, font=font, id="title")
    findings = [f for f in lint(_doc([too_long], preset), preset, check_file_size=False) if f.rule == "L10"]
    assert len(findings) == 1
    finding = findings[0]
    assert finding.layer == "title" and finding.path == "layers[0].text" and finding.severity == "warning"
    assert f"{limit + 1} characters" in finding.message and str(limit) in finding.fix
    at_limit = _text("x" * limit, frame=frame, font=font, id="title")
    assert "L10" not in _rules(lint(_doc([at_limit], preset), preset, check_file_size=False))
    # Platforms without a title limit say nothing.
    assert "L10" not in _rules(lint(_doc([too_long], "youtube"), "youtube", check_file_size=False))


def test_l10_counts_what_a_viewer_sees():
    from cover_designer.lint import title_length

    assert title_length("Tiếng Việt") == 10  # precomposed or not, one letter each
    assert title_length("Tie\u0302\u0301ng") == 5
    assert title_length("ลดราคา  50%") == 10  # spaces collapse
    assert title_length("ส่วนลด") == 5  # the tone mark rides on its consonant
    # Only the headline is the title: a long caption does not trip L10.
    caption = _text("c" * 40, role="caption", font={"size": 60, "min_size": 10},
                    frame={"anchor": "center", "relative_to": "safe", "w": 0.9, "h": 0.5})
    assert "L10" not in _rules(lint(_doc([caption], "tiktok_live"), "tiktok_live", check_file_size=False))
