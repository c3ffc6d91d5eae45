"""`bridgecast clips`: one vertical MP4 per pin of a recorded rehearsal show, and refusals in words."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

from tests.studio.clips.rehearsal_recording import PINS, record_show

ROOT = Path(__file__).resolve().parent.parent


def clips(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ui.cli", "clips", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return record_show(tmp_path_factory.mktemp("rehearsal"))


def test_clips_writes_one_vertical_mp4_per_pin_capped(recorded, tmp_path):
    out = tmp_path / "clips"
    done = clips("--show-db", str(recorded.db), "--recording", str(recorded.recording), "--out", str(out),
                 "--max-seconds", "5", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [clip["sku"] for clip in result["clips"]] == [sku for sku, _start, _end in PINS]
    assert result["notes"] == []
    for clip, (_sku, start_s, end_s) in zip(result["clips"], PINS):
        expected = min(end_s - start_s, 5.0)
        with av.open(clip["path"]) as container:
            video = container.streams.video[0]
            assert (video.width, video.height) == (1080, 1920) and container.streams.audio
            assert abs(container.duration / 1e6 - expected) <= 0.5
        assert Path(clip["cover_path"]).is_file()
    assert sorted(path.name for path in out.iterdir()) == [
        "clip-01-A12.jpg", "clip-01-A12.mp4", "clip-02-B07.jpg", "clip-02-B07.mp4", "clip-03-C33.jpg", "clip-03-C33.mp4"]


def test_clips_says_in_words_what_it_wrote(recorded, tmp_path):
    done = clips("--show-db", str(recorded.db), "--recording", str(recorded.recording), "--out", str(tmp_path),
                 "--max-seconds", "5", "--locale", "de_DE")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and lines[0].startswith("written ") and "Silk scarf" in lines[0] and "3.0 s" in lines[0]
    assert "cutting clip 1 of 3" in done.stderr and "Traceback" not in done.stderr


def test_clips_refuses_bad_input_in_one_line(recorded, tmp_path):
    garbage = tmp_path / "show.mkv"
    garbage.write_bytes(b"\x1a\x45\xdf\xa3 not really matroska" * 100)
    cases = [
        (["--recording", str(tmp_path / "missing.mkv")], 2, "--recording file not found"),
        (["--recording", str(garbage)], 1, "cannot be read as a video recording"),
        (["--recording", str(recorded.recording), "--max-seconds", "2"], 2, "--max-seconds takes seconds from 5 to 600"),
    ]
    for extra, code, words in cases:
        done = clips("--show-db", str(recorded.db), "--out", str(tmp_path / "out"), *extra)
        assert done.returncode == code, done.stderr
        assert words in done.stderr and "Traceback" not in done.stderr
        assert done.stderr.strip().splitlines()[-1].startswith("error: ")
    empty = tmp_path / "empty.db"
    done = clips("--show-db", str(empty), "--recording", str(recorded.recording), "--out", str(tmp_path / "out"))
    assert done.returncode == 1 and done.stderr.strip() == f"error: There is no show database at {empty}."
    assert not (tmp_path / "out").exists()
