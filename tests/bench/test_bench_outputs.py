"""Smoke test of ``bridgecast bench outputs`` (the installed console script, run from outside the
checkout): a short run at 640x360 (vertical 360x640) of every configuration — WHIP to the
rehearsal receiver, RTMP to a real nginx, the recording — and the PyAV/FFmpeg peer; checks the
JSON contract and that every output of every configuration really went live, not the timings."""
from __future__ import annotations

import pytest

from bench.testbed.rtmp_server import SETUP_HINT, missing_parts

CONFIG_NAMES = ["whip", "whip+rtmp", "whip+rtmp+vertical", "whip+rtmp+vertical+record", "rtmp+vertical"]


def test_outputs_bench_measures_every_configuration_and_the_ffmpeg_peer(run_bench):
    if missing_parts():
        pytest.skip(f"no RTMP test server here: {SETUP_HINT}")
    result = run_bench("outputs", "--seconds", "2", "--warmup", "1", "--rounds", "1", "--canvas", "640x360", timeout=150)

    assert {"configs", "peer", "ratio_vs_peer"} <= set(result)
    assert result["errors"] == {}
    assert [config["name"] for config in result["configs"]] == CONFIG_NAMES
    expected_outputs = {
        "whip": ["whip"],
        "whip+rtmp": ["whip", "rtmp"],
        "whip+rtmp+vertical": ["whip", "rtmp", "rtmp-vertical"],
        "whip+rtmp+vertical+record": ["whip", "rtmp", "rtmp-vertical", "record"],
        "rtmp+vertical": ["rtmp", "rtmp-vertical"],
    }
    for config in result["configs"]:
        assert {"name", "cpu_percent_of_one_core", "fps"} <= set(config)
        assert config["error"] is None, config
        assert isinstance(config["cpu_percent_of_one_core"], (int, float)) and config["cpu_percent_of_one_core"] > 0
        assert isinstance(config["fps"], (int, float)) and config["fps"] > 0
        outputs = {output["id"]: output for output in config["outputs"]}
        assert list(outputs) == expected_outputs[config["name"]]
        assert config["all_outputs_live"] is True
        for output_id, output in outputs.items():
            assert output["live"] is True, (config["name"], output)
            if output_id.startswith("rtmp"):
                pulled = output["pull"]
                assert pulled["video_frames"] > 0 and pulled["audio_packets"] > 0
                assert (pulled["width"], pulled["height"]) == ((360, 640) if output_id == "rtmp-vertical" else (640, 360))
            if output_id == "whip":
                assert all(rate > 0 for rate in output["received_packets_per_s"].values())
            if output_id == "record":
                assert output["bytes_written_in_window"] > 0
    deltas = {config["name"]: config["delta_vs_previous_percent"] for config in result["configs"]}
    assert deltas["whip"] is None
    assert all(isinstance(deltas[name], (int, float)) for name in CONFIG_NAMES[1:])

    peer = result["peer"]
    assert {"name", "cpu_percent_of_one_core"} <= set(peer)
    assert "PyAV" in peer["name"] and peer["error"] is None, peer
    assert isinstance(peer["cpu_percent_of_one_core"], (int, float)) and peer["cpu_percent_of_one_core"] > 0
    assert peer["all_outputs_live"] is True
    assert isinstance(result["ratio_vs_peer"], (int, float)) and result["ratio_vs_peer"] > 0
    targets = result["meets_targets"]
    for name in ("b_horizontal_rtmp_le_3pct", "c_vertical_le_own_encode_and_compositing", "ours_le_peer"):
        assert isinstance(targets[name]["met"], bool)
