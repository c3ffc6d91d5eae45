"""Smoke test of ``bridgecast bench latency`` (the installed console script, run from outside
the checkout): a short run at 640x360 through the real SFU test bed; checks the JSON contract
(shared/CONTRACTS.md), not the timings."""
from __future__ import annotations

from tests.sfu.fixtures import require_sfu


def test_latency_bench_reports_every_layer(run_bench):
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
