"""Exported covers and saved designs get the permissions any program gives a new file (0666 less
the umask, so 0644 usually), not mkstemp's owner-only 0600; a replaced file keeps its mode."""
from __future__ import annotations

import os
import stat

import pytest
from PIL import Image

from cover_designer.atomic import write_atomic
from cover_designer.autosave import save
from cover_designer.export import export
from cover_designer.presets import get_preset
from cover_designer.templates import load_template


@pytest.fixture
def umask():
    """Set a umask for the test and put the previous one back."""
    previous = os.umask(0o022)
    try:
        yield lambda value: os.umask(value)
    finally:
        os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_an_exported_cover_is_readable_by_others(tmp_path, umask):
    path = tmp_path / "cover.jpg"
    export(Image.new("RGB", (1280, 720), (200, 30, 30)), path, get_preset("youtube"), "jpeg")
    assert mode(path) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["cover.jpg"]  # no temp file left behind


def test_the_umask_is_respected(tmp_path, umask):
    umask(0o077)
    path = tmp_path / "private.png"
    export(Image.new("RGB", (64, 64)), path, get_preset("youtube"), "png")
    assert mode(path) == 0o600


def test_a_saved_design_is_readable_by_others(tmp_path, umask):
    path = tmp_path / "design.json"
    save(load_template("sea-food"), path)
    assert mode(path) == 0o644


def test_replacing_a_file_keeps_its_mode(tmp_path, umask):
    path = tmp_path / "shared.jpg"
    path.write_bytes(b"old")
    os.chmod(path, 0o664)
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new" and mode(path) == 0o664
