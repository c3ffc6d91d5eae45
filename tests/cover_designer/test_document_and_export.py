"""Document schema errors, bad images, price formatting, export limits, resize."""
from __future__ import annotations

import io
import json

import pytest
from PIL import Image

import importlib

render_module = importlib.import_module("cover_designer.render")
from cover_designer.document import load_document, parse_document
from cover_designer.errors import CoverError, DocumentError
from cover_designer.export import encode, export
from cover_designer.presets import PRESETS, get_preset
from cover_designer.render import format_price, render
from cover_designer.resize import render_all
from cover_designer.templates import load_template, template_ids
from cover_designer import text as textlib


def test_error_names_json_path():
    data = {"layers": [{"type": "text", "text": "a"}] * 3 + [{"type": "text", "text": "b", "font": {"size": "huge"}}]}
    with pytest.raises(DocumentError) as info:
        parse_document(data)
    assert info.value.path == "layers[3].font.size"


def test_malformed_json_and_version(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"layers": [', encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load_document(path)
    assert "line 1" in info.value.message
    with pytest.raises(DocumentError) as info:
        parse_document({"schema_version": 99})
    assert info.value.path == "schema_version"


def test_round_trip_json():
    doc = load_template("sea-food")
    again = parse_document(json.loads(doc.to_json()))
    assert again == doc


def test_corrupt_image_is_skipped_and_rest_renders(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    doc = parse_document({"preset": "youtube", "layers": [
        {"type": "image", "src": str(bad), "frame": {"w": 1, "h": 1}},
        {"type": "text", "text": "Still here", "color": "#000000"}]})
    result = render(doc)
    assert [p.path for p in result.problems] == ["layers[0].src"]
    assert "damaged" in result.problems[0].message
    assert [info.layer_id for info in result.layers] == ["text2"]


def test_decompression_bomb_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(render_module, "MAX_IMAGE_PIXELS", 10_000)
    big = tmp_path / "big.png"
    Image.new("RGB", (200, 200)).save(big)
    with pytest.raises(CoverError) as info:
        render_module.load_image(str(big))
    assert "too large" in info.value.message


def test_prices_follow_cldr_locales():
    assert format_price("1299.99", "USD", "en_US") == "$1,299.99"
    assert format_price("1299.99", "EUR", "de_DE") == "1.299,99\xa0€"
    assert format_price("1299.99", "BRL", "pt_BR") == "R$\xa01.299,99"
    assert format_price("12990", "JPY", "ja_JP") == "￥12,990"
    assert "\u200f" in format_price("1299", "SAR", "ar_SA") or "ر.س" in format_price("1299", "SAR", "ar_SA")
    with pytest.raises(CoverError):
        format_price("cheap", "USD", "en_US")


def test_export_meets_byte_limit_and_strips_metadata(tmp_path):
    import numpy as np

    noise = Image.fromarray((np.random.default_rng(3).random((800, 800, 3)) * 255).astype("uint8")).convert("RGBA")
    preset = get_preset("shopee_square")
    out = tmp_path / "cover.jpg"
    encoded = export(noise, out, preset)
    assert out.stat().st_size <= 200 * 1024 and encoded.quality < 92
    with Image.open(out) as image:
        assert image.format == "JPEG" and not image.getexif() and "icc_profile" not in image.info
    png = encode(noise, "png", None)
    assert Image.open(io.BytesIO(png.data)).format == "PNG"
    webp = encode(noise, "webp", 300 * 1024)
    assert webp.fits and len(webp.data) <= 300 * 1024


def test_at_least_25_templates_every_region_and_category():
    ids = template_ids()
    assert len(ids) >= 25
    for region in ("na_eu", "sea", "middle_east", "latam", "jp_kr"):
        for category in ("apparel", "beauty", "electronics", "home", "food"):
            assert f"{region}-{category}" in ids


def test_resize_relayouts_by_anchors_not_stretching():
    doc = load_template("na_eu-electronics")
    results = render_all(doc, ["youtube", "tiktok_live", "shopee_square"])
    for preset_id, result in results.items():
        assert result.image.size == PRESETS[preset_id].size
        assert not result.problems
        headline = next(i for i in result.layers if i.layer_id == "headline")
        # Laid out inside the canvas at each shape, at a legible size.
        assert headline.ink.x >= 0 and headline.ink.right <= result.image.width
        assert headline.font_px >= result.preset.min_text_height_px() - 1
    photo_land = next(i for i in results["youtube"].layers if i.layer_id == "photo").frame
    photo_port = next(i for i in results["tiktok_live"].layers if i.layer_id == "photo").frame
    assert photo_land.x > 0 and photo_port.w > photo_port.h  # beside the text in 16:9, above it in 9:16


def test_every_template_lints_clean_at_three_shapes():
    from cover_designer.lint import lint

    failures = []
    for template_id in template_ids():
        doc = load_template(template_id)
        for preset_id in ("youtube", "tiktok_live", "shopee_square"):
            errors = [f for f in lint(doc, preset_id, check_file_size=False) if f.severity == "error"]
            if errors:
                failures.append((template_id, preset_id, [(f.rule, f.layer) for f in errors]))
    assert not failures


def test_font_fallback_splits_runs():
    runs = textlib.split_runs("Sale セール ลด خصم", "en")
    keys = [run.face.key for run in runs]
    assert keys[0] == "latin" and "thai" in keys and "arabic" in keys and any(k.startswith("cjk") for k in keys)
    assert textlib.split_runs("セール", "ja")[0].face.index == 0  # Japanese face of the collection
    assert textlib.split_runs("세일", "ko")[0].face.index == 1
