"""`bridgecast review` reviews the newest show that went live and never prints "None"."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def review(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ui.cli", "review", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=60)


def _record(t: float, state: str, **fields) -> dict:
    layer = {"rid": "h", "width": 1280, "height": 720, "fps": 30.0, "bitrate_bps": 2_500_000, "keyframes": 1, "active": state == "live"}
    record = {"t": t, "state": state, "layers": [layer] if state == "live" else [], "rtt_ms": None, "loss_fraction": None,
              "available_bitrate_bps": None, "dropped_frames": 0, "encoder": "libx264", "outputs": []}
    record.update(fields)
    return record


def _write(path: Path, records: list[dict], age_s: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


def _stats_dir(config: Path) -> Path:
    return config / "live" / "stats"


def test_review_skips_a_newer_failed_attempt_and_says_unknown_for_what_was_not_measured(isolated_settings):
    t0 = 1_700_000_000.0
    # The real show: live for 3 s; the server never reported a round trip or an estimate.
    show = _write(_stats_dir(isolated_settings) / "20261207-100000.jsonl",
                  [_record(t0, "connecting"), *(_record(t0 + i, "live") for i in range(1, 4)), _record(t0 + 4, "stopped")], age_s=600)
    # Afterwards an attempt the server refused: never live, every figure null.
    _write(_stats_dir(isolated_settings) / "20261207-110000.jsonl",
           [_record(t0 + 3600, "connecting"), _record(t0 + 3601, "failed")], age_s=10)

    text = review()
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0] == str(show)
    assert "None" not in text.stdout
    assert "round trip p50 unknown, loss p50 unknown, lowest estimate unknown" in text.stdout

    as_json = review("--json")
    assert as_json.returncode == 0, as_json.stderr
    stream = json.loads(as_json.stdout.strip().splitlines()[-1])["streams"][0]
    assert stream["file"] == str(show) and stream["live_s"] >= 3


def test_measured_figures_are_printed_with_their_units(isolated_settings):
    t0 = 1_700_000_000.0
    _write(_stats_dir(isolated_settings) / "a.jsonl",
           [_record(t0 + i, "live", rtt_ms=42.0, loss_fraction=0.01, available_bitrate_bps=3_000_000) for i in range(3)], age_s=5)
    text = review()
    assert text.returncode == 0, text.stderr
    assert "round trip p50 42 ms, loss p50 1%, lowest estimate 3000 kbit/s" in text.stdout


def test_review_when_no_attempt_went_live_says_so_in_words(isolated_settings):
    t0 = 1_700_000_000.0
    for index in range(2):
        _write(_stats_dir(isolated_settings) / f"attempt-{index}.jsonl",
               [_record(t0 + index * 100, "connecting"), _record(t0 + index * 100 + 1, "failed")], age_s=100 - index)
    result = review()
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "error: no show has gone live yet (none of the 2 attempts recorded got on air)"
    assert "Traceback" not in result.stderr


def test_a_stats_file_named_on_the_command_line_is_reviewed_even_if_it_never_went_live(tmp_path):
    failed = _write(tmp_path / "failed.jsonl", [_record(1.0, "connecting"), _record(2.0, "failed")], age_s=0)
    result = review(str(failed))
    assert result.returncode == 0, result.stderr
    assert "None" not in result.stdout and str(failed) in result.stdout
