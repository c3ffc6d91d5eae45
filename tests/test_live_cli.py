"""``bridgecast live`` headless, run as a user runs it, against the built-in rehearsal receiver."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def live(*args, timeout=120, env=None):
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", "live", *args],
        cwd=ROOT,
        env=dict(os.environ, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_live_to_rehearsal_receiver_writes_stats_and_exits_zero(tmp_path):
    stats = tmp_path / "s.jsonl"
    result = live("--canvas", "640x360", "--duration", "6", "--stats-jsonl", str(stats))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in stats.read_text().splitlines()]
    assert records[-1]["state"] == "stopped"
    live_records = [r for r in records if r["state"] == "live"]
    assert live_records, [r["state"] for r in records]
    last = live_records[-1]
    for key in ("t", "state", "layers", "rtt_ms", "loss_fraction", "available_bitrate_bps", "dropped_frames", "encoder"):
        assert key in last
    layers = {layer["rid"]: layer for layer in last["layers"]}
    assert set(layers) == {"h", "m", "l"}
    assert all(layer["active"] and layer["bitrate_bps"] for layer in layers.values())
    assert (layers["m"]["width"], layers["m"]["height"]) == (320, 180)
    for layer in layers.values():
        assert set(layer) >= {"rid", "width", "height", "fps", "bitrate_bps", "keyframes", "active"}


def test_single_layer(tmp_path):
    stats = tmp_path / "s.jsonl"
    result = live("--canvas", "640x360", "--duration", "4", "--layers", "h", "--no-audio", "--stats-jsonl", str(stats))
    assert result.returncode == 0, result.stderr
    live_records = [json.loads(line) for line in stats.read_text().splitlines() if '"live"' in line]
    assert [layer["rid"] for layer in live_records[-1]["layers"]] == ["h"]


def test_unreachable_server_is_one_line_in_words_without_the_token():
    result = live("--canvas", "640x360", "--duration", "5", "--whip", "http://127.0.0.1:9/whip", env={"BRIDGECAST_WHIP_TOKEN": "tok-SECRET-42"})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["error: Cannot reach the WHIP server (connection refused)"]
    assert "SECRET" not in result.stdout + result.stderr


def test_bad_option_named():
    result = live("--layers", "h,x")
    assert result.returncode == 2 and "--layers" in result.stderr
