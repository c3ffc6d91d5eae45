"""Glass-to-glass latency on the top layer as headless Chromium shows it, over a cross-border link
(issue #15): the test pattern stamps its capture time (the time-code strip, CONTRACTS.md) into the
program; the viewer page subscribes to substream 2 on a second PeerConnection once the link is
shaped, reads the strip of every frame it paints and records Date.now() − T (its first 2 s left out).  ``bench network --browser`` reports the same
figures (``latency_p50_ms``/``latency_p95_ms``) against the target "p50 ≤ one-way delay + 120 ms".

Here only that the latency is measured and plausible, on 25 s of the cross_border link (2.5 Mbit/s,
220 ms one way, ±20 ms jitter, 1 % loss): frames painted with a readable strip, p50 above the
link's one-way delay (nothing can be faster than the link) and below a bound a loaded machine
cannot flake (the target itself is a benchmark figure, BENCHMARKS.md).
"""
from __future__ import annotations

import pytest

from bench.network import SCENARIOS, run_scenario, scenario_phases
from bench.testbed import harness
from tests.sfu.fixtures import require_sfu

SHAPED_S = 25.0
LATENCY_BOUND_MS = 2000  # a loaded CI machine; the benchmark's target is one-way delay + 120 ms


@pytest.fixture
def split_stack(tmp_path):
    require_sfu()
    with harness.sfu_stack(tmp_path, split=True) as stack:
        yield stack


def test_top_layer_latency_in_chromium_is_measured_over_a_cross_border_link(split_stack, capsys):
    (_seconds, shape), = scenario_phases(SCENARIOS["cross_border"], SHAPED_S)
    res = run_scenario(split_stack, "cross_border_short", [(SHAPED_S, shape)], steady_s=3.0, watch_s=2.0,
                       canvas=(1280, 720), browser=True)
    res.pop("samples")
    browser = res["browser"]
    with capsys.disabled():
        print(f"\n[cross_border {SHAPED_S:g} s] Chromium top layer: latency p50 {res['latency_p50_ms']} ms, "
              f"p95 {res['latency_p95_ms']} ms over {browser.get('latency_frames')} frames "
              f"({browser.get('latency_unreadable_frames')} unreadable, {browser.get('latency_width')} px wide; "
              f"{browser.get('latency_lower_layer_frames')} frames of a lower layer left out), jitter buffer "
              f"{browser.get('latency_jitter_buffer_ms')} ms; "
              f"one-way delay {res['one_way_delay_ms']:g} ms, target p50 ≤ {res['latency_target_ms']:g} ms; "
              f"lowest layer: {browser.get('freeze_count')} freezes ({browser.get('total_freezes_ms')} ms), "
              f"{res['redundant_copies']} redundant copies")
    assert not browser.get("error"), browser
    assert browser["latency_error"] is None, browser
    assert res["one_way_delay_ms"] == 220.0 and res["latency_target_ms"] == 340.0
    # The top layer was painted with its strip read for seconds of the shaped window.  It joins ~2-5 s
    # in and settles 2 s; the delay's sudden onset may pause the top layer for some seconds (the
    # controller reads it as congestion: 18 top frames once in a 14 s window), hence 25 s.
    assert browser["latency_frames"] >= 60, (browser, res["top_paused_after_s"], res["recovered_s"])
    assert browser["latency_width"] == 1280, browser
    assert res["one_way_delay_ms"] < res["latency_p50_ms"] <= res["latency_p95_ms"] < LATENCY_BOUND_MS, browser
    # The same run on the lowest layer: Chromium kept painting it.  Its redundant copies (RedundantCopies)
    # are printed above, not asserted: one CI run of 25 s had them stay off (0 copies, 4 freezes, 1180 ms)
    # where the benchmark runs turned them on — the trigger (least RTT ≥ 100 ms over 5 s and a NACK in
    # 30 s) is covered by tests/studio/outputs/test_redundant_copies.py; why it stayed off is open (#15).
    assert browser["longest_freeze_ms"] is not None and browser["longest_freeze_ms"] <= 2500, browser
