"""Smoke test of ``bridgecast bench connectors`` (the installed console script, outside the
checkout): YouTube and Twitch stand-ins and the generic route feeding one show.  It checks the
JSON contract and that nothing is lost or counted twice, not the lag figures."""
from __future__ import annotations


def test_connectors_bench_merges_three_sources_without_loss(run_bench):
    result = run_bench("connectors", "--seconds", "4", "--per-minute", "900", timeout=120)
    assert result["benchmark"] == "connectors"
    assert result["sent"] == 60 and result["journaled"] == 60, result
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["feed_errors"] == []
    assert set(result["sources"]) == {"youtube", "twitch", "generic"}
    assert result["lag_ms"]["count"] == 60 and result["lag_ms"]["p99"] is not None
    assert [status["state"] for status in result["connectors"]] == ["live", "live"]
