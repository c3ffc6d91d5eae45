"""Scene collections under random, mutated and cut-off input: a ``SceneCollection`` or a
``SceneFileError`` in words, never another exception; sources whose file or camera is missing
are found without opening anything, and leaving them out keeps everything else."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studio.core import limits
from studio.core.errors import SceneFileError
from studio.scene import (
    SceneCollection, load_collection, parse_collection, unavailable_message, unavailable_sources, without_sources,
)
from tests.properties.strategies import json_paths, json_values

VALID = {
    "schema_version": 2, "name": "Show", "canvas": {"width": 320, "height": 180, "fps": 15},
    "vertical_canvas": {"width": 180, "height": 320},
    "transition": {"kind": "fade", "duration_ms": 300},
    "sources": [
        {"id": "tp", "kind": "testpattern", "name": "Pattern", "settings": {"width": 320, "height": 180, "fps": 15}},
        {"id": "clip", "kind": "media_file", "name": "Clip", "settings": {"path": "/nonexistent/clip.mp4", "loop": True}},
        {"id": "cam", "kind": "camera", "name": "Camera", "settings": {"device": "/dev/video-bridgecast-missing"}},
    ],
    "audio_inputs": [{"id": "tone", "kind": "tone", "name": "Tone", "settings": {"frequency_hz": 440}}],
    "scenes": [
        {"id": "main", "name": "Main", "items": [
            {"source_id": "tp", "x": 0, "y": 0, "width": 320, "height": 180},
            {"source_id": "clip", "x": 0, "y": 0, "width": 160, "height": 90, "opacity": 0.5},
            {"source_id": "cam", "x": 160, "y": 0, "width": 160, "height": 90,
             "vertical": {"x": 0, "y": 0, "width": 180, "height": 100}},
        ], "vertical_layout": "manual"},
        {"id": "brb", "name": "Be right back", "items": [{"source_id": "tp", "x": 0, "y": 0, "width": 320, "height": 180}]},
    ],
    "current_scene": "main",
}




@st.composite
def mutated_collections(draw) -> object:
    data = json.loads(json.dumps(VALID))
    paths = [path for path, _value in json_paths(data) if path]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(paths))
        parent = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            if draw(st.booleans()):
                del parent[path[-1]]
            else:
                parent[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue
    return data


def _parse(data) -> SceneCollection | None:
    try:
        return parse_collection(data)
    except SceneFileError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return None


def test_the_base_collection_is_valid():
    assert isinstance(parse_collection(VALID), SceneCollection)


@given(json_values)
def test_random_json_is_a_collection_or_a_scene_file_error(data):
    _parse(data)


@given(mutated_collections())
def test_mutated_collections_load_or_are_refused_in_words(data):
    collection = _parse(data)
    if collection is not None:
        missing = unavailable_sources(collection)
        assert all(reason for reason in missing.values())
        kept = without_sources(collection, missing)
        assert not set(missing) & {spec.id for spec in kept.sources}
        assert not set(missing) & {item.source_id for scene in kept.scenes for item in scene.items}
        assert len(kept.sources) == len(collection.sources) - len(missing)


@given(st.data())
def test_a_file_cut_anywhere_or_with_bytes_changed_is_refused_in_words(data):
    raw = json.dumps(VALID, indent=1).encode()
    cut = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    mutated = bytearray(raw[:cut])
    for _ in range(data.draw(st.integers(min_value=0, max_value=3))):
        if mutated:
            mutated[data.draw(st.integers(min_value=0, max_value=len(mutated) - 1))] = data.draw(st.integers(0, 255))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "show.json"
        path.write_bytes(bytes(mutated))
        with pytest.raises(SceneFileError):
            load_collection(path)


def test_a_truncated_file_says_it_is_cut_off(tmp_path):
    path = tmp_path / "show.json"
    text = json.dumps(VALID)
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(SceneFileError, match="show.json ends too early .*the file is cut off"):
        load_collection(path)


def test_binary_oversized_and_deep_files_are_refused_in_words(tmp_path):
    binary = tmp_path / "binary.json"
    binary.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(SceneFileError, match="binary.json is not text"):
        load_collection(binary)
    deep = tmp_path / "deep.json"
    deep.write_text('{"sources": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(SceneFileError, match="nested more than 32 levels deep"):
        load_collection(deep)
    nested = json.loads(json.dumps(VALID))
    nested["sources"][0]["settings"] = {"a": json.loads("[" * 40 + "]" * 40)}
    with pytest.raises(SceneFileError, match="nested more than"):
        parse_collection(nested)
    big = tmp_path / "big.json"
    big.write_text('{"name": "' + "x" * limits.MAX_SCENE_COLLECTION_BYTES + '"}', encoding="utf-8")
    with pytest.raises(SceneFileError, match="larger than 5 MB"):
        load_collection(big)


def test_unknown_source_type_is_refused_naming_the_field():
    data = json.loads(json.dumps(VALID))
    data["sources"][1]["kind"] = "hologram"
    with pytest.raises(SceneFileError, match=r"sources\[1\]\.kind: unknown source type “hologram”"):
        parse_collection(data)


def test_missing_files_and_cameras_are_found_and_left_out_keeping_the_rest(tmp_path):
    data = json.loads(json.dumps(VALID))
    data["sources"].append({"id": "folder", "kind": "image", "name": "Logo", "settings": {"path": str(tmp_path)}})
    collection = parse_collection(data)
    missing = unavailable_sources(collection)
    assert missing == {"clip": "file not found: /nonexistent/clip.mp4",
                       "cam": "camera /dev/video-bridgecast-missing is not connected",
                       "folder": f"“{tmp_path}” is a folder, not a file"}
    kept = without_sources(collection, missing)
    assert [s.id for s in kept.sources] == ["tp"]
    assert [[item.source_id for item in scene.items] for scene in kept.scenes] == [["tp"], ["tp"]]
    assert kept.current_scene == "main" and kept.audio_inputs == collection.audio_inputs
    assert len(collection.sources) == 4  # the loaded collection itself is untouched
    title, text = unavailable_message(collection, missing)
    assert title == "Some sources of this show are not available"
    assert "• Clip: file not found: /nonexistent/clip.mp4" in text and "nothing else changed" in text
