"""Smoke test of ``bridgecast bench pipeline`` (the installed console script, run from outside
the checkout): a short run at 640x360 through the real SFU test bed, ours and the FFmpeg-WHIP
peer; checks the JSON contract, not the timings."""
from __future__ import annotations

from tests.sfu.fixtures import require_sfu


def test_pipeline_bench_measures_ours_and_the_ffmpeg_whip_peer(run_bench):
    require_sfu()
    result = run_bench("pipeline", "--seconds", "4", "--canvas", "640x360")
    assert {"fps", "cpu_percent_of_one_core", "peer", "ratio_vs_peer"} <= set(result)
    assert isinstance(result["fps"], (int, float)) and result["fps"] > 0
    assert isinstance(result["cpu_percent_of_one_core"], (int, float)) and result["cpu_percent_of_one_core"] > 0
    peer = result["peer"]
    assert {"name", "cpu_percent_of_one_core"} <= set(peer)
    assert "WHIP" in peer["name"]
    assert peer["error"] is None, peer["error"]
    assert isinstance(peer["cpu_percent_of_one_core"], (int, float)) and peer["cpu_percent_of_one_core"] > 0
    assert isinstance(result["ratio_vs_peer"], (int, float))
    assert [layer["rid"] for layer in result["layers"]] == ["h", "m", "l"]
    # Encode apart from everything else (threads named "enc-…"): both there, both measured, and
    # together no more than the process (the two are read from /proc at the same instants).
    encode, other = result["encode_cpu_percent_of_one_core"], result["other_cpu_percent_of_one_core"]
    assert encode > 0 and other > 0, (encode, other)
    assert encode + other <= result["cpu_percent_of_one_core"] + 2.0, result
    # ... and "other" per part, by the OS names the busy threads give themselves.
    by_thread = result["other_cpu_by_thread"]
    assert {"compositor", "src-testpattern", "whip-loop"} <= set(by_thread), by_thread
    assert not any(name.startswith("enc-") for name in by_thread), by_thread
    assert abs(sum(by_thread.values()) - other) <= 0.1 * len(by_thread) + 0.1, (by_thread, other)
    assert result["errors"] == {}
