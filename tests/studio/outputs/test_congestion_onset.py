"""The onset of congestion with transport-cc feedback (issue #15): a capacity step is cut within
the first feedback that shows the queue, a path that suddenly gets longer is cut once (not once by
the fast path and again by the lagging trendline), and jitter alone is never over-use.

A synthetic link (FIFO bottleneck + path delay + optional jitter) and Janus's feedback cadence
(every 200 ms, what arrived by then) drive the estimator on an injected clock: no network, no timing.
"""
from __future__ import annotations

import random

import pytest

from studio.outputs import congestion
from studio.outputs.congestion import OVERUSE, BandwidthEstimator
from studio.outputs.transport_feedback import PacketResult
from tests.studio.outputs.test_congestion import FakeClock

PACKET = 1200
FEEDBACK_S = 0.2


class Link:
    def __init__(self, capacity_bps: float, delay_s: float = 0.01, jitter_s: float = 0.0, seed: int = 1) -> None:
        self.capacity_bps, self.delay_s, self.jitter_s = capacity_bps, delay_s, jitter_s
        self.free_at = 0.0
        self.random = random.Random(seed)

    def arrival(self, sent_s: float) -> float:
        self.free_at = max(self.free_at, sent_s) + PACKET * 8 / self.capacity_bps
        jitter = self.random.uniform(-self.jitter_s, self.jitter_s) if self.jitter_s else 0.0
        return self.free_at + self.delay_s + jitter


def drive(est: BandwidthEstimator, clock: FakeClock, link: Link, send_bps: float, until_s: float,
          state: dict, events: list) -> None:
    """Send ``send_bps`` as 30 frames a second (each frame's packets 0.5 ms apart, as the ladder's
    layers go out: ~30 packet groups a second) until ``until_s``; feedback every 200 ms on what
    arrived by then.  ``events`` gets (time, delay-based estimate) at each over-use cut."""
    frame_s = 1 / 30
    while clock.t < until_s:
        state["owed"] = state.get("owed", 0.0) + send_bps * frame_s / 8 / PACKET
        frame_start = clock.t
        while state["owed"] >= 1:
            state["owed"] -= 1
            state.setdefault("in_flight", []).append(PacketResult(state.setdefault("seq", 0), clock.t, PACKET, link.arrival(clock.t)))
            state["seq"] += 1
            est.on_sent(PACKET)
            clock.advance(0.0005)
        clock.advance(frame_s - (clock.t - frame_start))
        if clock.t >= state.setdefault("next_feedback", FEEDBACK_S):
            state["next_feedback"] += FEEDBACK_S
            arrived = [r for r in state["in_flight"] if r.arrival_s <= clock.t]
            state["in_flight"] = [r for r in state["in_flight"] if r.arrival_s > clock.t]
            cuts = est.overuse_cuts
            est.on_packet_results(arrived)
            est.update()
            if est.overuse_cuts != cuts:
                events.append((round(clock.t, 3), int(est.delay_based_bps)))


def test_a_capacity_step_is_cut_at_the_first_feedback_that_shows_the_queue():
    clock = FakeClock(0.0)
    est = BandwidthEstimator(initial_bps=3_500_000, max_bps=3_500_000, clock=clock)
    link, state, cuts = Link(4_000_000), {}, []
    drive(est, clock, link, 1_300_000, 3.0, state, cuts)
    assert cuts == []
    link.capacity_bps = 600_000  # the step down: 1.3 Mbit/s into 600 kbit/s
    drive(est, clock, link, 1_300_000, 3.45, state, cuts)
    assert cuts, "no cut within 450 ms of the step (the trendline alone took 0.6-0.7 s on the test bed)"
    first_s, first_bps = cuts[0]
    assert first_s - 3.0 <= 0.41  # the second feedback after the step at the latest
    assert first_bps <= 600_000  # to what got through, below the new capacity
    assert est.snapshot()["fast_overuses"] >= 1


def test_the_trendline_alone_is_slower_so_the_fast_path_is_what_cuts_early(monkeypatch):
    monkeypatch.setattr(congestion, "FAST_QUEUE_MS", 1e9)
    clock = FakeClock(0.0)
    est = BandwidthEstimator(initial_bps=3_500_000, max_bps=3_500_000, clock=clock)
    link, state, cuts = Link(4_000_000), {}, []
    drive(est, clock, link, 1_300_000, 3.0, state, cuts)
    link.capacity_bps = 600_000
    drive(est, clock, link, 1_300_000, 3.45, state, cuts)
    assert cuts == [] or cuts[0][0] - 3.0 > 0.41


def test_a_longer_path_is_cut_once_to_what_flowed():
    """The one-way delay jumps by 220 ms (a cross-border route): one cut, from the rate that
    flowed (idle arrival gaps are not the link's rate), and no second cut by the trendline."""
    clock = FakeClock(0.0)
    est = BandwidthEstimator(initial_bps=3_500_000, max_bps=3_500_000, clock=clock)
    link, state, cuts = Link(2_500_000), {}, []
    drive(est, clock, link, 1_300_000, 3.0, state, cuts)
    link.delay_s += 0.22
    drive(est, clock, link, 1_300_000, 6.0, state, cuts)
    assert len(cuts) == 1, cuts
    assert cuts[0][1] >= 0.8 * 1_300_000, cuts
    assert est.delay_based_bps > cuts[0][1]  # growing again after it


def test_jitter_alone_is_never_over_use():
    clock = FakeClock(0.0)
    est = BandwidthEstimator(initial_bps=3_500_000, max_bps=3_500_000, clock=clock)
    link, state, cuts = Link(2_500_000, delay_s=0.22, jitter_s=0.02, seed=7), {}, []
    drive(est, clock, link, 1_300_000, 20.0, state, cuts)
    assert est.snapshot()["fast_overuses"] == 0
    assert OVERUSE != est.delay_state
    assert est.estimate_bps == pytest.approx(3_500_000, rel=0.01)


def test_the_trendline_s_running_sums_give_the_regression_over_its_window():
    """TrendlineDetector keeps running sums instead of a pass over its 20 points: the slope must be
    the least-squares slope of the window's points, also after hours of arrivals and re-summings."""
    from studio.outputs.congestion import TRENDLINE_RESUM_EVERY, TrendlineDetector

    def direct_slope(points):
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)

    rng = random.Random(3)
    detector = TrendlineDetector()
    t = 36_000.0  # ten hours into the show
    for i in range(3 * TRENDLINE_RESUM_EVERY + 7):
        t += rng.uniform(0.005, 0.05)
        detector.update(rng.uniform(-3.0, 3.0) + (2.0 if i % 400 < 50 else 0.0), t)
        if i % 97 == 0 or i > 3 * TRENDLINE_RESUM_EVERY:
            assert len(detector._points) == min(i + 1, detector.window)
            if len(detector._points) >= 2:
                assert detector.trend == pytest.approx(direct_slope(detector._points), rel=1e-6, abs=1e-9)
