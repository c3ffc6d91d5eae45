"""The editor's rules that need no Qt: document edits (stacking, adding, deleting, colours, own
frames, alignment), hit tests and snapping, canvas drags, and the multi-preset export plan."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from cover_designer.canvas_drag import LayerDrag, SnapTargets
from cover_designer.editing import (
    aligned_frame, color_field, duplicated_layer, edit_layer, moved_in_stack, moved_to_end, new_layer, own_frames,
    with_layer, without_layer,
)
from cover_designer.export_plan import ExportRow, export_covers, export_path
from cover_designer.geometry import (
    active_frame, box_fraction, box_pixels, handle_direction, layer_at_point, reference_area, snap_lines, snap_offset,
    with_frame,
)
from cover_designer.presets import PRESETS, Rect
from cover_designer.render import layer_frame
from cover_designer.templates import load_template

TEMPLATE = "na_eu-apparel"


def stack(doc) -> list[str]:
    return [layer.id for layer in doc.ordered_layers()]


def test_stacking_moves_one_place_or_to_an_end():
    doc = load_template(TEMPLATE)
    order = stack(doc)
    bottom, second, top = order[0], order[1], order[-1]
    raised = moved_in_stack(doc, bottom, +1)
    assert stack(raised)[:2] == [second, bottom] and stack(doc) == order  # the original is untouched
    assert moved_in_stack(doc, top, +1) is None and moved_in_stack(doc, bottom, -1) is None
    assert moved_in_stack(doc, "nope", +1) is None
    assert stack(moved_to_end(doc, bottom, True))[-1] == bottom
    assert stack(moved_to_end(doc, top, False))[0] == top
    assert moved_to_end(doc, top, True) is None and moved_to_end(doc, bottom, False) is None


def test_add_duplicate_and_delete_layers():
    doc = load_template(TEMPLATE)
    layer = new_layer("text", doc, "Hello")
    added = with_layer(doc, layer)
    assert stack(added)[-1] == layer.id and layer.id not in {item.id for item in doc.layers}
    copy = duplicated_layer(layer, added)
    assert copy.id != layer.id and copy.frame.dx == pytest.approx(layer.frame.dx + 0.03) and not copy.locked
    assert [item.id for item in without_layer(added, layer.id).layers] == [item.id for item in doc.layers]


def test_colour_field_and_own_frames():
    doc = load_template(TEMPLATE)
    kinds = {"text": "color", "image": "placeholder_color", "shape": "fill", "qr": "foreground"}
    for kind, name in kinds.items():
        assert color_field(new_layer(kind, doc)) == name
    assert color_field(new_layer("price", doc)) is not None
    layer = new_layer("text", doc, "Hello")
    assert layer.frame_by_aspect == {}
    frames = own_frames(layer, "portrait", True)
    assert frames == {"portrait": layer.frame.model_dump()}  # starts as a copy of the shared frame
    doc = edit_layer(with_layer(doc, layer), layer.id, frame_by_aspect=frames)
    changed = next(item for item in doc.layers if item.id == layer.id)
    assert set(changed.frame_by_aspect) == {"portrait"}
    assert own_frames(changed, "portrait", False) == {}


def test_align_left_touches_the_reference_area():
    doc = load_template(TEMPLATE)
    preset = PRESETS["youtube"]
    layer = next(item for item in doc.layers if item.id == "headline")
    frame = aligned_frame(layer, doc, preset, "left")
    aligned = next(item for item in with_frame(doc, layer.id, preset, frame).layers if item.id == layer.id)
    area = reference_area(active_frame(aligned, preset), preset)
    assert layer_frame(aligned, preset, doc).x == pytest.approx(area.x, abs=0.5)
    assert frame.anchor.endswith("left")


def test_snap_offset_pulls_an_edge_onto_the_canvas_centre():
    assert snap_offset(Rect(100, 100, 200, 100), 1280, 720, 8) == (0.0, 0.0, [])
    sx, sy, guides = snap_offset(Rect(635, 100, 200, 100), 1280, 720, 8)  # left edge 5 px from the centre
    assert (sx, sy, guides) == (5.0, 0.0, [("x", 640.0)])
    sx, sy, guides = snap_offset(Rect(100, 100, 200, 100), 1280, 720, 8, extra_y=(97.0,))  # another layer's edge
    assert (sx, sy, guides) == (0.0, -3.0, [("y", 97.0)])


def test_export_names_and_sets(tmp_path):
    assert export_path(Path("out"), "spring", "youtube", "jpeg") == Path("out/spring-youtube.jpg")
    assert export_path(Path("out"), "", "lazada", "png", 2) == Path("out/cover-lazada-2.png")
    rows = export_covers(load_template(TEMPLATE), ["youtube", "lazada"], tmp_path, "jpeg")
    assert [row.preset_id for row in rows] == ["youtube"] + ["lazada"] * 3
    assert all(isinstance(row, ExportRow) and not row.error for row in rows)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{TEMPLATE}-youtube.jpg"] + [f"{TEMPLATE}-lazada-{n}.jpg" for n in (1, 2, 3)])
    with Image.open(rows[0].path) as image:
        assert image.size == (PRESETS["youtube"].width, PRESETS["youtube"].height)


def test_export_reports_an_unwritable_folder_per_preset(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    rows = export_covers(load_template(TEMPLATE), ["youtube"], blocker, "png")
    assert len(rows) == 1 and rows[0].path == "" and rows[0].error


def test_hit_test_snap_lines_and_box_fractions():
    doc = load_template(TEMPLATE)
    preset = PRESETS["youtube"]
    boxes = {layer.id: layer_frame(layer, preset, doc) for layer in doc.layers}
    headline = boxes["headline"]
    centre = (headline.x + headline.w / 2, headline.y + headline.h / 2)
    assert layer_at_point(doc.ordered_layers(), boxes, {}, *centre) == "headline"
    assert layer_at_point(doc.ordered_layers(), {}, {}, *centre) == ""
    assert box_fraction(headline, 0.0, *centre) == pytest.approx((0.5, 0.5))
    assert box_fraction(headline, 90.0, *centre) == pytest.approx((0.5, 0.5))  # the centre stays put when turned
    assert box_fraction(None, 0.0, 1, 1) is None
    xs, ys = snap_lines({"a": Rect(10, 20, 100, 50), "b": Rect(0, 0, 5, 5)}, {}, "b", [("x", 0.5)], 1000, 500)
    assert xs == (500.0, 10, 60, 110) and ys == (20, 45, 70)
    assert box_pixels(Rect(0, 0, 0.2, 10.6)) == (1, 11)
    assert handle_direction("right", 0) == 0 and handle_direction("bottom", 0) == 2
    assert handle_direction("right", 90) == 2 and handle_direction("bottom_right", 0) == 1


def test_layer_drag_moves_snaps_resizes_and_rotates():
    doc = load_template(TEMPLATE)
    preset = PRESETS["youtube"]
    layer = next(item for item in doc.layers if item.id == "headline")
    box = layer_frame(layer, preset, doc)
    frame = active_frame(layer, preset)
    move = LayerDrag("headline", doc, frame, box, 0.0, (100.0, 100.0))
    after, guides = move.to((110.0, 100.0), preset, SnapTargets(is_on=False))
    moved = next(item for item in after.layers if item.id == "headline")
    assert layer_frame(moved, preset, after).x == pytest.approx(box.x + 10, abs=0.01) and guides == []
    # Snapping on: the box's left edge 3 px from the canvas centre lands on it, and the guide shows.
    start = (0.0, 0.0)
    near_centre = (preset.width / 2 - box.x + 3, 0.0)
    after, guides = LayerDrag("headline", doc, frame, box, 0.0, start).to(near_centre, preset, SnapTargets(True, 8.0))
    moved = next(item for item in after.layers if item.id == "headline")
    assert ("x", preset.width / 2) in guides
    assert layer_frame(moved, preset, after).x == pytest.approx(preset.width / 2, abs=0.01)
    resize = LayerDrag("headline", doc, frame, box, 0.0, (box.right, box.bottom), "resize", "bottom_right")
    after, _guides = resize.to((box.right + 40, box.bottom), preset, SnapTargets(is_on=False))
    resized = next(item for item in after.layers if item.id == "headline")
    assert layer_frame(resized, preset, after).w == pytest.approx(box.w + 40, abs=0.01)
    centre = (box.x + box.w / 2, box.y + box.h / 2)
    rotate = LayerDrag("headline", doc, frame, box, 0.0, (centre[0] + 100, centre[1]), "rotate")
    after, _guides = rotate.to((centre[0] + 100, centre[1] + 40), preset, SnapTargets(), fifteen_degree_steps=True)
    assert next(item for item in after.layers if item.id == "headline").rotation_deg == 15.0
    assert doc.model_dump() == load_template(TEMPLATE).model_dump()  # a drag never changes the document it started from
