"""Issue #15's cross-border links, judged by a real browser: headless Chromium (janus.js) watches the
lowest layer through Janus while the publisher's link is shaped (bench/network.py ``run_scenario``
with ``browser=True`` — the same code ``bridgecast bench network --browser`` measures with).

Bounds here are what a loaded CI machine cannot flake (the issue's 300/500 ms targets are benchmark
figures, reported per run in BENCHMARKS.md): Chromium's WebRTC stack counts at most 2.5 s of frozen
video over the step down and back up (``total_freezes_ms``, getStats' totalFreezesDuration, which
bounds its longest freeze), all layers back within 10 s of the step up; under bursty loss the lowest layer keeps
≥ 90 % of the frames it sent and Chromium is frozen at most 2 s in all over the 30 s of bursts.

Why the WebRTC counter and not only the gap between painted frames: the gap is measured with
requestVideoFrameCallback, i.e. after the page's compositor, and a CPU-starved headless Chromium on a
loaded CI machine stops compositing for a while although WebRTC keeps rendering (CI once measured a
1528 ms paint gap while getStats counted 2 freezes, 513 ms in all).  The paint gap is still bounded,
at what only a stalled stream (the old ~16 s failure) or a starved lowest layer would exceed.
"""
from __future__ import annotations

import pytest

from bench.network import SCENARIOS, run_scenario, scenario_phases
from bench.testbed import harness
from studio.outputs.publisher import LIVE, RECONNECTING
from tests.sfu.fixtures import require_sfu

FREEZE_BOUND_MS = 1000
PAINT_GAP_BOUND_MS = 2500


def _assert_chromium_kept_playing(browser, frozen_bound_ms: int = FREEZE_BOUND_MS) -> None:
    assert browser["total_freezes_ms"] <= frozen_bound_ms, browser
    assert browser["longest_freeze_ms"] is not None and browser["longest_freeze_ms"] <= PAINT_GAP_BOUND_MS, browser


@pytest.fixture
def split_stack(tmp_path):
    require_sfu()
    with harness.sfu_stack(tmp_path, split=True) as stack:
        yield stack


def _report(capsys, name, res) -> None:
    browser = res.get("browser") or {}
    with capsys.disabled():
        print(f"\n[{name}] Chromium: longest freeze {browser.get('longest_freeze_ms')} ms, "
              f"{browser.get('freeze_count')} freezes ({browser.get('total_freezes_ms')} ms), "
              f"{browser.get('painted_frames')} painted, NACKs {browser.get('nacks')}, PLIs {browser.get('plis')}, "
              f"paint gaps > 300 ms [s into shaping, ms] {browser.get('paint_gaps_over_300ms')}; "
              f"aiortc: longest {res['longest_freeze_ms']} ms, fps ratio {res['fps_ratio']}, > 300 ms {res.get('freezes_over_300ms')}; "
              f"recovered {res['recovered_s']} s; "
              f"shaper {res['shaper']}")


def test_step_down_and_back_up(split_stack, capsys):
    res = run_scenario(split_stack, "step_down", scenario_phases(SCENARIOS["step_down"], 30.0), steady_s=5.0,
                       watch_s=12.0, canvas=(1280, 720), browser=True)
    samples = res.pop("samples")
    _report(capsys, "step_down 4 Mbit/s → 600 kbit/s 30 s → 4 Mbit/s", res)
    browser = res["browser"]
    assert not browser.get("error"), browser
    assert set(s["state"] for s in samples) <= {LIVE, RECONNECTING} and samples[-1]["state"] == LIVE
    assert res["top_paused_after_s"] is not None, "600 kbit/s must pause the top layer"
    assert browser["painted_frames"] > 30 * 40, browser  # Chromium painted through the step
    # Two edges (down and up), each may cost a freeze or two: frozen at most 2.5 s in all (measured
    # 308-932 ms, 1547 ms in three freezes on a loaded CI machine; the longest ≤ 616 ms) — a stalled
    # lowest layer (the old failure: seconds) would be far above it.
    _assert_chromium_kept_playing(browser, frozen_bound_ms=2500)
    assert res["recovered_s"] is not None and res["recovered_s"] <= 10.0, res["recovered_s"]


def test_bursty_loss_keeps_the_lowest_layer_moving(split_stack, capsys):
    res = run_scenario(split_stack, "burst_loss", scenario_phases(SCENARIOS["burst_loss"], 30.0), steady_s=4.0,
                       watch_s=3.0, canvas=(1280, 720), browser=True)
    res.pop("samples")
    _report(capsys, "burst_loss (Gilbert-Elliott, bursts of 3-8)", res)
    browser = res["browser"]
    assert not browser.get("error"), browser
    assert res["shaper"]["bursts"] > 0 and res["shaper"]["dropped_burst"] > 0, res["shaper"]
    assert res["fps_ratio"] is not None and res["fps_ratio"] >= 0.90, res
    # 30 s of bursts: each burst may cost a short freeze; frozen at most 2 s in all (measured 434 ms).
    _assert_chromium_kept_playing(browser, frozen_bound_ms=2 * FREEZE_BOUND_MS)
