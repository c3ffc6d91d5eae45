import json

import pytest

from studio.core.errors import SceneFileError
from studio.scene import SceneCollection, fit_rect, load_collection, parse_collection, save_collection
from studio.engine import default_collection


def test_round_trip(tmp_path):
    collection = default_collection()
    path = tmp_path / "show.json"
    save_collection(collection, path)
    loaded = load_collection(path)
    assert loaded == collection
    assert json.loads(path.read_text())["schema_version"] == 1


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
