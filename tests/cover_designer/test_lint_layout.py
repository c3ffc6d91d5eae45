"""L11 (text hidden under other text), L12 (layers that export empty), the old price kept clear of
its plate, and lint over every shipped template at every preset."""
from __future__ import annotations

from pathlib import Path

import pytest

from cover_designer.document import CoverDocument, Frame, ImageLayer, TextLayer
from cover_designer.editing import edit_layer
from cover_designer.lint import lint
from cover_designer.presets import PRESETS, get_preset
from cover_designer.render import layer_frame, render_layer
from cover_designer.resize import for_preset
from cover_designer.templates import load_template, template_ids

PHOTO = Path(__file__).parent / "data" / "astronaut.jpg"


def rules(findings, severity=None) -> set[str]:
    return {f.rule for f in findings if severity is None or f.severity == severity}


def test_a_headline_dragged_over_the_price_is_an_error():
    doc = load_template("na_eu-apparel")
    preset = get_preset("youtube")
    assert "L11" not in rules(lint(doc, preset, face_detector=None))
    price = next(layer for layer in doc.layers if layer.id == "price")
    moved = edit_layer(doc, "headline", frame=price.frame, frame_by_aspect={})
    findings = [f for f in lint(moved, preset, face_detector=None) if f.rule == "L11"]
    assert findings and findings[0].severity == "error"
    assert "headline" in findings[0].message and "price" in findings[0].message
    assert "hidden" in findings[0].message and "overlap" in findings[0].fix


def test_two_text_layers_side_by_side_do_not_count_as_overlapping():
    left = TextLayer(id="left", text="Sale", frame=Frame(anchor="left", w=0.45, h=0.3))
    right = TextLayer(id="right", text="Today", frame=Frame(anchor="right", w=0.45, h=0.3))
    doc = CoverDocument(background={"color": "#123456"}, layers=[left, right])
    assert "L11" not in rules(lint(doc, "youtube", face_detector=None))
    stacked = doc.model_copy(update={"layers": [left, right.model_copy(update={"frame": left.frame})]})
    assert "L11" in rules(lint(stacked, "youtube", face_detector=None), "error")


def test_an_empty_photo_layer_and_an_empty_text_layer_are_warned_about():
    empty_photo = ImageLayer(id="photo", src="", frame=Frame(anchor="left", w=0.4, h=0.8))
    empty_text = TextLayer(id="words", text="  ", frame=Frame(anchor="right", w=0.4, h=0.3))
    doc = CoverDocument(background={"color": "#123456"}, layers=[empty_photo, empty_text])
    found = {f.layer: f for f in lint(doc, "youtube", face_detector=None) if f.rule == "L12"}
    assert set(found) == {"photo", "words"}
    assert all(f.severity == "warning" for f in found.values())
    assert "no picture" in found["photo"].message and "empty" in found["words"].message


def test_a_photo_layer_with_a_picture_is_not_empty():
    photo = ImageLayer(id="photo", src=str(PHOTO), frame=Frame(anchor="left", w=0.4, h=0.8))
    doc = CoverDocument(background={"color": "#123456"}, layers=[photo])
    assert "L12" not in rules(lint(doc, "youtube", face_detector=None))


def test_a_missing_product_photo_variable_is_an_empty_photo():
    doc = load_template("sea-apparel")  # {product_image} is blank in the template
    assert any(f.rule == "L12" and f.layer == "photo" for f in lint(doc, "youtube", face_detector=None))


@pytest.mark.parametrize("template_id", ["sea-apparel", "sea-home", "na_eu-food"])
def test_the_struck_through_old_price_stays_clear_of_the_price_plate(template_id):
    preset = get_preset("tiktok_live")
    doc = for_preset(load_template(template_id), preset)
    price = next(layer for layer in doc.layers if layer.id == "price")
    tile = render_layer(price, preset, doc, dict(doc.variables))
    parts = tile.info["price_parts"]
    assert parts["original"] is not None and parts["price"] is not None
    assert parts["original"].bottom < parts["price"].y
    assert parts["original"].y >= layer_frame(price, preset, doc).y - parts["original"].h  # not flung far away


@pytest.mark.parametrize("template_id", template_ids())
def test_every_shipped_template_has_no_errors_at_any_preset(template_id):
    doc = load_template(template_id)
    for preset in PRESETS.values():
        resized = for_preset(doc, preset)
        errors = [f"{f.rule} {f.layer}: {f.message}" for f in lint(resized, preset, face_detector=None)
                  if f.severity == "error"]
        assert not errors, f"{template_id} at {preset.id}: {errors}"



def test_an_export_with_an_empty_photo_is_written_with_a_warning(tmp_path):
    from cover_designer.export_plan import export_covers

    doc = load_template("sea-apparel")
    rows = export_covers(doc, ["youtube"], tmp_path, "jpeg")
    assert rows[0].path and not rows[0].error
    assert any("no picture" in warning for warning in rows[0].warnings)
    with_photo = doc.model_copy(update={"variables": dict(doc.variables, product_image=str(PHOTO))})
    assert export_covers(with_photo, ["youtube"], tmp_path, "jpeg")[0].warnings == ()
