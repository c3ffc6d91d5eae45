"""Smoke test of ``bridgecast bench latency``: a short run at 640x360 through the real SFU
test bed; checks the JSON contract (shared/CONTRACTS.md), not the timings."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.sfu.fixtures import require_sfu

ROOT = Path(__file__).resolve().parents[2]


def run_bench(name: str, *args: str, timeout: float = 240) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "ui.cli", "bench", name, "--json", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines, f"no output (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(lines[-1])  # the contract: one JSON object on the LAST line
    assert proc.returncode == 0, f"exit {proc.returncode}: {result.get('errors')} {proc.stderr[-2000:]}"
    return result


def test_latency_bench_reports_every_layer():
    require_sfu()
    result = run_bench("latency", "--seconds", "4", "--canvas", "640x360")
    assert [layer["rid"] for layer in result["layers"]] == ["h", "m", "l"]
    for layer in result["layers"]:
        assert {"rid", "frames", "p50_ms", "p95_ms"} <= set(layer)
        assert layer["frames"] > 0, layer
        assert isinstance(layer["p50_ms"], (int, float)) and isinstance(layer["p95_ms"], (int, float))
    assert result["layers_active_in_stats"] == {"h": True, "m": True, "l": True}
    assert result["targets"]["p50_ms"] == 150 and result["targets"]["p95_ms"] == 250
    assert result["measures"]
    assert result["publisher_exit_code"] == 0
    assert result["errors"] == []
