"""bench network's latency and contract figures (the Chromium run itself:
tests/studio/outputs/test_network_latency.py)."""
from __future__ import annotations

from bench.network import SCENARIOS, contract_figures, one_way_delay_ms, scenario_phases
from bench.testbed.browser import strip_latencies


def test_strip_latencies_count_the_top_layer_inside_the_window_only():
    results = {
        "second_latency": [
            [900, 500, 1280],  # before the window
            [1000, 300, 1280], [1033, 310, 1280], [1066, None, 1280], [1100, 320, 1280], [1133, 900, 1280],
            *[[1140 + i, 315, 1280] for i in range(26)],
            [1166, 250, 640],  # a lower layer while the top one was paused
            [2100, 700, 1280],  # after the window
        ],
        "second_stats": [
            {"wall_ms": 1000, "jitterBufferDelay": 1.0, "jitterBufferEmittedCount": 10},
            {"wall_ms": 1900, "jitterBufferDelay": 3.4, "jitterBufferEmittedCount": 40},
        ],
    }
    figures = strip_latencies(results, 1000, 2000, settle_ms=0)
    assert figures["latency_width"] == 1280
    assert figures["latency_frames"] == 30 and figures["latency_unreadable_frames"] == 1
    assert figures["latency_lower_layer_frames"] == 1
    assert (figures["latency_p50_ms"], figures["latency_p95_ms"]) == (315, 320)
    assert figures["latency_jitter_buffer_ms"] == 80  # 2.4 s over 30 frames
    assert figures["latency_error"] is None


def test_each_frames_latency_is_split_at_its_receive_time_where_chromium_gives_it():
    rows = [[1000 + 33 * i, 350 + (i % 3), 1280, 100 + (i % 5)] for i in range(40)]
    rows[5][3] = None  # no receiveTime for this frame: left out of the split only
    rows[6][1] = None  # an unreadable strip: left out of both
    figures = strip_latencies({"second_latency": rows}, 0, 10_000, settle_ms=0)
    assert figures["latency_frames"] == 39 and figures["latency_p50_ms"] == 351
    assert figures["latency_receive_to_paint_p50_ms"] == 102
    assert figures["latency_capture_to_receive_p50_ms"] == 249
    # Rows from a page without the fourth column (or too few frames) give no split.
    old = strip_latencies({"second_latency": [row[:3] for row in rows]}, 0, 10_000, settle_ms=0)
    assert old["latency_p50_ms"] == 351
    assert old["latency_receive_to_paint_p50_ms"] is None and old["latency_capture_to_receive_p50_ms"] is None


def test_the_latency_subscriptions_first_seconds_are_left_out():
    results = {"second_latency": [[1000 + 50 * i, 900 if i < 40 else 300, 1280] for i in range(80)]}
    figures = strip_latencies(results, 0, 10_000)  # settles 2 s after its first frame (1000 ms)
    assert figures["latency_frames"] == 40 and figures["latency_p50_ms"] == 300


def test_too_few_top_layer_frames_give_no_figure():
    results = {"second_latency": [[1000 + 33 * i, 2500, 1280] for i in range(29)] + [[3000, 200, 640]]}
    figures = strip_latencies(results, 0, 10_000, settle_ms=0)
    assert figures["latency_frames"] == 29 and figures["latency_p50_ms"] is None and figures["latency_p95_ms"] is None


def test_no_latency_subscription_gives_no_figures_and_says_why():
    figures = strip_latencies({"second_error": "no video on the latency subscription after 15 s"}, 0, 1000)
    assert figures["latency_p50_ms"] is None and figures["latency_frames"] == 0
    assert figures["latency_error"] == "no video on the latency subscription after 15 s"


def test_one_way_delay_is_the_shaped_links():
    assert one_way_delay_ms(scenario_phases(SCENARIOS["cross_border"], 30.0)) == 220.0
    assert one_way_delay_ms(scenario_phases(SCENARIOS["step_down"], 30.0)) == 0.0
    assert one_way_delay_ms(scenario_phases(SCENARIOS["rate800k_loss3_delay40"], 30.0)) == 40.0


def test_contract_figures_are_chromiums_when_a_browser_watched():
    res = {"name": "x", "longest_freeze_ms": 394,
           "browser": {"longest_freeze_ms": 318, "total_freezes_ms": 3286, "freeze_count": 12}}
    out = contract_figures(res)
    assert (out["longest_freeze_ms"], out["longest_freeze_ms_aiortc"], out["frozen_total_ms"], out["freeze_count"]) == (
        318, 394, 3286, 12)
    assert res["longest_freeze_ms"] == 394  # the run's own result is left as it was
    # Without a browser (or when it failed) the aiortc viewer's figures stay.
    assert contract_figures({"longest_freeze_ms": 394}) == {"longest_freeze_ms": 394}
    failed = {"longest_freeze_ms": 394, "browser": {"error": "no chromium"}}
    assert contract_figures(failed)["longest_freeze_ms"] == 394
