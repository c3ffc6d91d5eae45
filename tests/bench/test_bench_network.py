"""bench/network.py's figures (the scenarios themselves run in tests/studio/outputs/test_network_janus.py)."""
from __future__ import annotations

from bench.network import RECONNECT_SCENARIOS, SCENARIOS, BrowserViewer, longest_gap_ms, parse_args


def test_longest_gap_counts_the_edges_of_the_window():
    assert longest_gap_ms([100, 130, 160, 700, 730], 100, 800) == 540
    assert longest_gap_ms([100, 130], 0, 1000) == 870  # nothing after 130: frozen to the end
    assert longest_gap_ms([], 0, 500) is None  # no frame at all: no figure (the test asserts there is one)


def test_browser_result_uses_painted_frames_and_chromium_counters_inside_the_window():
    viewer = BrowserViewer(stack=None, display="x", seconds=1.0)
    viewer.results = {
        "paint_ms": [900, 1000, 1033, 1066, 1500, 1533, 2000],
        "stats": [
            {"wall_ms": 950, "video": {"freezeCount": 1, "totalFreezesDuration": 0.5, "pliCount": 2, "nackCount": 10}},
            {"wall_ms": 1600, "video": {"freezeCount": 2, "totalFreezesDuration": 0.93, "pliCount": 3, "nackCount": 14}},
            {"wall_ms": 2500, "video": {"freezeCount": 9, "totalFreezesDuration": 9.0, "pliCount": 9, "nackCount": 99}},
        ],
        "user_agent": "HeadlessChrome",
    }
    result = viewer.result(1000, 2000)
    assert result["longest_freeze_ms"] == 467  # 2000 - 1533
    assert result["painted_frames"] == 6
    assert (result["freeze_count"], result["total_freezes_ms"], result["plis"], result["nacks"]) == (1, 430, 1, 4)


def test_a_failed_browser_run_is_reported_not_raised():
    viewer = BrowserViewer(stack=None, display="x", seconds=1.0)
    viewer.error = "RuntimeError('no chromium')"
    assert viewer.result(0, 1) == {"error": "RuntimeError('no chromium')"}


def test_cli_options_and_scenarios():
    args = parse_args(["--scenario", "loss5", "--browser", "--stock-subscriber", "--seconds", "5"])
    assert args.scenario == ["loss5"] and args.browser and args.stock_subscriber and args.seconds == 5.0
    args = parse_args(["--scenario", "outage30", "--scenario", "server_restart", "--outage", "12"])
    assert args.scenario == ["outage30", "server_restart"] and args.outage == 12.0
    assert set(RECONNECT_SCENARIOS) == {"outage30", "server_restart"}
    assert SCENARIOS["rate800k_loss3_delay40"] == {"rate_kbps": 800, "loss": 3.0, "delay_ms": 40, "queue_ms": 200}
