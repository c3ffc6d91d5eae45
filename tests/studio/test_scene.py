import json

import pytest

from studio.core.errors import SceneFileError
from studio.scene import (
    COLLECTION_SCHEMA_VERSION,
    Canvas,
    CanvasRole,
    ItemTransform,
    VerticalCanvas,
    VerticalLayout,
    default_vertical_transform,
    fit_rect,
    load_collection,
    parse_collection,
    save_collection,
    vertical_safe_box,
)
from studio.engine import default_collection


def test_round_trip(tmp_path):
    collection = default_collection()
    path = tmp_path / "show.json"
    save_collection(collection, path)
    loaded = load_collection(path)
    assert loaded == collection
    assert json.loads(path.read_text())["schema_version"] == COLLECTION_SCHEMA_VERSION == 2


def test_error_names_the_field():
    data = default_collection().model_dump()
    data["scenes"][0]["items"][0]["opacity"] = 3
    with pytest.raises(SceneFileError) as err:
        parse_collection(data)
    assert "scenes[0].items[0].opacity" in str(err.value)


def test_dangling_source_reference_is_named():
    data = default_collection().model_dump()
    data["scenes"][0]["items"][0]["source_id"] = "ghost"
    with pytest.raises(SceneFileError) as err:
        parse_collection(data)
    assert "ghost" in str(err.value) and "source_id" in str(err.value)


def test_bad_json_names_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"name": "x",\n  "scenes": [,]}')
    with pytest.raises(SceneFileError) as err:
        load_collection(path)
    assert "line 2" in str(err.value)


def test_missing_file_in_words(tmp_path):
    with pytest.raises(SceneFileError) as err:
        load_collection(tmp_path / "nope.json")
    assert "Cannot read" in str(err.value)


def test_newer_format_refused():
    data = default_collection().model_dump()
    data["schema_version"] = 99
    with pytest.raises(SceneFileError, match="newer"):
        parse_collection(data)


def test_odd_canvas_refused():
    data = default_collection().model_dump()
    data["canvas"]["width"] = 1919
    with pytest.raises(SceneFileError, match="canvas"):
        parse_collection(data)


def test_vertical_canvas_accepted():
    data = default_collection().model_dump()
    data["canvas"] = {"width": 1080, "height": 1920, "fps": 30}
    assert parse_collection(data).canvas.height == 1920


def test_fit_rect():
    assert fit_rect(640, 480, 1920, 1080) == (240, 0, 1440, 1080)
    assert fit_rect(1920, 1080, 1080, 1920) == (0, 656, 1080, 608)


def test_unknown_source_kind_named():
    data = default_collection().model_dump()
    data["sources"][0]["kind"] = "hologram"
    with pytest.raises(SceneFileError) as err:
        parse_collection(data)
    assert "sources[0].kind" in str(err.value) and "hologram" in str(err.value)


# A show saved before the vertical canvas existed (format 1), exactly as that version wrote it.
FORMAT_1_FILE = {
    "schema_version": 1,
    "name": "Old show",
    "canvas": {"width": 1280, "height": 720, "fps": 30},
    "transition": {"kind": "fade", "duration_ms": 300},
    "sources": [{"id": "src-1", "kind": "testpattern", "name": "Bars", "settings": {"width": 1280, "height": 720}}],
    "audio_inputs": [],
    "scenes": [
        {
            "id": "scene-1",
            "name": "Main",
            "items": [
                {
                    "id": "item-1",
                    "source_id": "src-1",
                    "x": 0,
                    "y": 0,
                    "width": 1280,
                    "height": 720,
                    "crop": {"left": 0, "top": 0, "right": 0, "bottom": 0},
                    "opacity": 1.0,
                    "is_visible": True,
                }
            ],
        }
    ],
    "current_scene": "scene-1",
}


def test_format_1_file_loads_unchanged_and_saves_as_format_2(tmp_path):
    old = tmp_path / "old.json"
    old.write_text(json.dumps(FORMAT_1_FILE), encoding="utf-8")
    collection = load_collection(old)
    assert collection.schema_version == 2
    assert collection.vertical_canvas is None  # no vertical picture until the host asks for one
    assert collection.scenes[0].vertical_layout is VerticalLayout.AUTO
    item = collection.scenes[0].items[0]
    assert (item.x, item.y, item.width, item.height, item.vertical) == (0, 0, 1280, 720, None)
    saved = tmp_path / "saved.json"
    save_collection(collection, saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["schema_version"] == 2
    assert load_collection(saved) == collection
    assert FORMAT_1_FILE["schema_version"] == 1  # the migration never edits its input


def test_vertical_fields_round_trip(tmp_path):
    collection = default_collection()
    collection.vertical_canvas = VerticalCanvas(width=720, height=1280)
    scene = collection.scenes[0]
    scene.vertical_layout = VerticalLayout.MANUAL
    scene.items[0].vertical = ItemTransform(x=-300, y=0, width=2276, height=1280, is_visible=True)
    path = tmp_path / "show.json"
    save_collection(collection, path)
    loaded = load_collection(path)
    assert loaded == collection
    assert json.loads(path.read_text())["scenes"][0]["vertical_layout"] == "manual"


def test_vertical_canvas_defaults_and_must_be_even():
    assert (VerticalCanvas().width, VerticalCanvas().height) == (1080, 1920)
    data = default_collection().model_dump()
    data["vertical_canvas"] = {"width": 1081, "height": 1920}
    with pytest.raises(SceneFileError, match="vertical_canvas"):
        parse_collection(data)


def test_unknown_vertical_layout_named():
    data = default_collection().model_dump()
    data["scenes"][0]["vertical_layout"] = "sideways"
    with pytest.raises(SceneFileError, match=r"scenes\[0\]\.vertical_layout"):
        parse_collection(data)


def test_default_vertical_transform_fits_the_horizontal_layout_and_centres_it():
    collection = default_collection(Canvas(width=1920, height=1080))
    full = collection.scenes[0].items[0]
    placed = default_vertical_transform(full, collection.canvas, VerticalCanvas())
    assert (placed.x, placed.y, placed.width, placed.height) == (0, 656, 1080, 608)  # fit_rect's answer
    corner = full.model_copy(update={"x": 960, "y": 540, "width": 960, "height": 540})
    placed = default_vertical_transform(corner, collection.canvas, VerticalCanvas())
    assert (placed.x, placed.y, placed.width, placed.height) == (540, 960, 540, 304)  # still the lower-right quarter


def test_safe_box_is_product_md_box_scaled():
    assert vertical_safe_box() == (120, 288, 768, 960)
    assert vertical_safe_box(540, 960) == (60, 144, 384, 480)
    x, y, w, h = vertical_safe_box(720, 1280)
    assert (x, y, x + w, y + h) == (80, 192, 592, 832)


def test_canvas_role_values_match_the_stats_contract():
    assert [role.value for role in CanvasRole] == ["horizontal", "vertical"]
