"""Smoke tests of ``bridgecast bench app`` (the installed console script, outside the checkout):
the real app window on its own Xvfb display, idle, then live against the headless chain through
the real SFU test bed.  They check the JSON contract, not the figures."""
from __future__ import annotations

import shutil

import pytest

from tests.sfu.fixtures import require_sfu

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")


def test_app_bench_measures_the_idle_window(run_bench):
    result = run_bench("app", "--no-live", "--canvas", "640x360", "--warmup", "4", "--idle-seconds", "3")
    assert result["benchmark"] == "app"
    assert result["idle"].get("error") is None, result["idle"]
    assert result["idle_cpu_percent_of_one_core"] > 0 and len(result["idle"]["cpu_samples"]) == 3
    assert 50 < result["idle_rss_mb"] < 4000
    assert result["live_cpu_percent_of_one_core"] is None and result["ratio_vs_peer"] is None
    assert result["idle"]["exit_code"] == 0, result["idle"]["log_tail"]


def test_app_bench_compares_the_live_app_with_the_headless_chain(run_bench):
    require_sfu()
    result = run_bench("app", "--canvas", "640x360", "--warmup", "4", "--idle-seconds", "2", "--live-seconds", "4", timeout=400)
    for run in ("app_live", "headless_live"):
        assert result[run].get("error") is None, result[run]
        assert [layer["rid"] for layer in result[run]["layers"]] == ["h", "m", "l"], result[run]
        assert result[run]["live_records"] > 0
    assert result["peer"]["cpu_percent_of_one_core"] > 0 and result["live_cpu_percent_of_one_core"] > 0
    assert isinstance(result["ratio_vs_peer"], float)
