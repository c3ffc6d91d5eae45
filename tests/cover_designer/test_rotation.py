"""Rotated layers: schema version 2 (older files migrate), the renderer turns each layer's tile about
its box centre, and lint checks what the turned layer really covers."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from cover_designer.document import SCHEMA_VERSION, load_document, parse_document
from cover_designer.errors import DocumentError
from cover_designer.lint import lint
from cover_designer.render import clear_cache, render, render_layer, rotated_bounds
from cover_designer.presets import Rect, get_preset


def _bar(rotation: float = 0.0, **frame) -> dict:
    """A 400×100 red bar with a word on it, centred on an 800×800 canvas unless told."""
    base = {"anchor": "center", "w": 0.5, "h": 0.125}
    base.update(frame)
    return {"type": "shape", "id": "bar", "shape": "rect", "fill": "#E53935", "text": "SALE",
            "rotation_deg": rotation, "frame": base}


def _doc(*layers: dict, preset: str = "lazada", **extra) -> dict:
    data = {"schema_version": SCHEMA_VERSION, "preset": preset, "background": {"color": "#FFFFFF"}, "layers": list(layers)}
    data.update(extra)
    return data


def _red_mask(image) -> np.ndarray:
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    return (pixels[..., 0] > 200) & (pixels[..., 1] < 120) & (pixels[..., 2] < 120)


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def test_version_1_files_still_load_and_come_up_to_date(tmp_path):
    old = {"schema_version": 1, "preset": "youtube", "layers": [{"type": "text", "text": "Sale"}]}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    doc = load_document(path)
    assert doc.schema_version == SCHEMA_VERSION == 2
    assert doc.layers[0].rotation_deg == 0.0
    assert json.loads(doc.to_json())["schema_version"] == 2


def test_bad_versions_and_bad_rotations_name_the_path():
    for version in (3, 0, "2", None):
        with pytest.raises(DocumentError) as info:
            parse_document({"schema_version": version})
        assert info.value.path == "schema_version"
    with pytest.raises(DocumentError) as info:
        parse_document(_doc({"type": "text", "text": "x"}, {"type": "text", "text": "y", "rotation_deg": "tilted"}))
    assert info.value.path == "layers[1].rotation_deg"
    with pytest.raises(DocumentError) as info:
        parse_document(_doc({"type": "text", "text": "x", "rotation_deg": 400}))
    assert info.value.path == "layers[0].rotation_deg"


def test_quarter_turn_swaps_the_bar_about_its_centre():
    flat = render(parse_document(_doc(_bar(0))))
    turned = render(parse_document(_doc(_bar(90))))
    x0, y0, x1, y1 = _bbox(_red_mask(flat.image))
    assert (x1 - x0, y1 - y0) == (pytest.approx(400, abs=3), pytest.approx(100, abs=3))
    x0, y0, x1, y1 = _bbox(_red_mask(turned.image))
    assert (x1 - x0, y1 - y0) == (pytest.approx(100, abs=3), pytest.approx(400, abs=3))
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == (pytest.approx(400, abs=2), pytest.approx(400, abs=2))
    info = turned.layers[0]
    assert info.rotation_deg == 90 and info.frame == flat.layers[0].frame  # the box itself is unturned
    assert info.ink.w == pytest.approx(100, abs=3) and info.ink.h == pytest.approx(400, abs=3)


def test_turn_is_clockwise_and_expands_without_clipping(tmp_path):
    # A photo whose right half is blue: turned +90° (clockwise on screen) the blue half ends up below.
    photo = np.zeros((100, 400, 3), np.uint8)
    photo[:, :200] = (229, 57, 53)
    photo[:, 200:] = (30, 136, 229)
    Image.fromarray(photo).save(tmp_path / "halves.png")
    layer = {"type": "image", "id": "photo", "src": str(tmp_path / "halves.png"), "rotation_deg": 90,
             "frame": {"anchor": "center", "w": 0.5, "h": 0.125}}
    image = np.asarray(render(parse_document(_doc(layer))).image.convert("RGB"), dtype=np.int16)
    blue = (image[..., 2] > 200) & (image[..., 0] < 100)
    ys, xs = np.nonzero(blue)
    assert ys.min() >= 398 and ys.max() <= 602 and 348 <= xs.min() and xs.max() <= 452
    diagonal = render(parse_document(_doc(_bar(45))))
    x0, y0, x1, y1 = _bbox(_red_mask(diagonal.image))
    expected = (400 + 100) / 2 ** 0.5  # the whole turned bar, corners included
    assert x1 - x0 == pytest.approx(expected, abs=4) and y1 - y0 == pytest.approx(expected, abs=4)


def test_turning_keeps_alpha_and_does_not_darken_edges():
    white_bar = dict(_bar(30), fill="#FFFFFF", text="")
    image = np.asarray(render(parse_document(_doc(white_bar))).image.convert("RGB"))
    assert image.min() >= 250  # white on white: no dark fringe from unpremultiplied interpolation
    tile = render_layer(parse_document(_doc(white_bar)).layers[0], get_preset("lazada"),
                        parse_document(_doc(white_bar)), {})
    alpha = np.asarray(tile.image.getchannel("A"))
    assert alpha[0, 0] == 0 and alpha[alpha.shape[0] // 2, alpha.shape[1] // 2] == 255  # corners stay see-through


def test_turned_tiles_are_cached_by_content():
    clear_cache()
    doc = parse_document(_doc(_bar(20)))
    preset = get_preset("lazada")
    first = render_layer(doc.layers[0], preset, doc, {})
    assert render_layer(doc.layers[0], preset, doc, {}) is first
    other = parse_document(_doc(_bar(21)))
    assert render_layer(other.layers[0], preset, other, {}) is not first


def test_mirrored_layouts_turn_the_other_way():
    doc = parse_document(_doc(_bar(30), direction="rtl"))
    assert render(doc).layers[0].rotation_deg == -30


def test_l1_uses_the_turned_bounds():
    # On TikTok the top 250 px are covered.  A 500×100 bar centred at y 400 clears them; turned
    # upright it reaches y 150 and goes under the top bar.
    bar = _bar(0, anchor="top", dy=350 / 1920, w=500 / 1080, h=100 / 1920)
    flat = lint(parse_document(_doc(bar, preset="tiktok_live")), check_file_size=False)
    assert not [f for f in flat if f.rule == "L1"]
    upright = lint(parse_document(_doc(dict(bar, rotation_deg=90), preset="tiktok_live")), check_file_size=False)
    l1 = [f for f in upright if f.rule == "L1"]
    assert l1 and l1[0].layer == "bar" and "top bar" in l1[0].message


def test_l8_compares_turned_text_with_its_turned_box():
    text = {"type": "text", "id": "t", "text": "Sale", "rotation_deg": 35, "color": "#000000",
            "frame": {"anchor": "center", "w": 0.6, "h": 0.3}}
    findings = lint(parse_document(_doc(text, preset="youtube")), check_file_size=False)
    assert not [f for f in findings if f.rule == "L8"], findings


def test_rotated_bounds_geometry():
    assert rotated_bounds(Rect(0, 0, 100, 50), 0) == Rect(0, 0, 100, 50)
    r = rotated_bounds(Rect(0, 0, 100, 50), 90)
    assert (r.x, r.y, r.w, r.h) == (pytest.approx(25), pytest.approx(-25), pytest.approx(50), pytest.approx(100))
