"""Settings loading under random and mutated files: always a Settings (defaults when the file is
unreadable, with a warning in words), never an exception, and the user's file is never lost."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from studio.settings import Settings, load_settings
from tests.properties.strategies import json_paths, json_values

# A realistic file to mutate: every section, one destination of each kind.
VALID = {
    "schema_version": 2, "language": "zh_CN",
    "video": {"canvas_width": 1920, "canvas_height": 1080, "fps": 30, "transition": "fade", "transition_ms": 300,
              "vertical_width": 1080, "vertical_height": 1920},
    "audio": {"block_ms": 20, "microphone": None}, "ui": {"preview_fps": 30},
    "destinations": [
        {"id": "tt", "name": "TikTok", "kind": "whip", "whip_url": "https://example.invalid/whip", "token_ref": "dest:tt",
         "layers": ["h", "m", "l"], "simulcast": "rid", "codec": "h264", "bitrate_bps": 4_000_000},
        {"id": "yt", "name": "YouTube", "kind": "rtmp", "canvas": "vertical", "rtmp_server": "rtmp://a.rtmp.youtube.com/live2"},
    ],
    "golive": {"recording": {"record_while_live": True, "folder": "/tmp/rec", "remux_to_mp4": True}, "events_channel": False},
    "control_port": 8765, "control_lan": False, "locale": "en_US", "region": None, "webhook_url": None,
}




@st.composite
def mutated_settings(draw) -> object:
    data = json.loads(json.dumps(VALID))
    paths = [path for path, _value in json_paths(data) if path]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(paths))
        parent = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced a container on this path
    return data


def _load(raw: bytes) -> tuple[Settings, str | None, Path]:
    folder = Path(tempfile.mkdtemp(prefix="settings-prop-"))
    path = folder / "settings.json"
    path.write_bytes(raw)
    settings, warning = load_settings(path)
    return settings, warning, folder


def _check(raw: bytes) -> None:
    settings, warning, folder = _load(raw)
    assert isinstance(settings, Settings)
    assert warning is None or (isinstance(warning, str) and "Traceback" not in warning)
    # Nothing the user had is lost: the file is where it was, or kept aside byte for byte.
    kept = [p.read_bytes() for p in folder.iterdir()]
    assert raw in kept


@given(mutated_settings())
def test_a_mutated_settings_file_loads_or_falls_back_in_words(data):
    _check(json.dumps(data).encode())


@given(json_values)
def test_any_json_document_loads_or_falls_back_in_words(data):
    _check(json.dumps(data).encode())


@given(st.binary(max_size=300))
def test_any_bytes_load_or_fall_back_in_words(raw):
    _check(raw)


@given(st.integers(min_value=1, max_value=200_000), st.sampled_from(["[", "{\"a\":"]))
def test_deeply_nested_json_is_refused_in_words(depth, opener):
    _settings, warning, _folder = _load((opener * depth).encode())
    assert warning


def test_two_broken_files_in_one_second_are_both_kept():
    folder = Path(tempfile.mkdtemp(prefix="settings-prop-"))
    path = folder / "settings.json"
    for raw in (b"{broken one", b"{broken two"):
        path.write_bytes(raw)
        assert load_settings(path)[1]
    assert sorted(p.read_bytes() for p in folder.iterdir()) == [b"{broken one", b"{broken two"]
