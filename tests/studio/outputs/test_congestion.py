"""Congestion adaptation: the bandwidth estimator and the ladder controller against synthetic
feedback timelines (injected clock, no network), transport-cc parsing, the bounded NACK
history of the sender, and the publisher/live-session wiring with stand-ins.

Real shaped-network runs (800 kbit/s + 3 % loss through Janus) are integration tests elsewhere.
"""
from __future__ import annotations

import asyncio
import random
import struct
from types import SimpleNamespace

import pytest
from aiortc import rtp as aiortc_rtp

from studio.core import i18n
from studio.outputs import pacing
from studio.outputs.aiortc_adapter import send, simulcast, transport_cc
from studio.outputs.aiortc_adapter.send import PacketSender
from studio.outputs.aiortc_adapter.tracks import EncodedVideoTrack
from studio.outputs.clocks import RtpClock, WallClock
from studio.outputs.packets import SenderCounters
from studio.outputs.retransmission import RetransmissionHistory
from studio.outputs.congestion import (
    ACTIVE,
    BITRATE,
    OVERUSE,
    PAUSE,
    PAUSED,
    RESUME,
    BandwidthEstimator,
    Decision,
    LadderController,
    TrendlineDetector,
    ladder_ceiling_bps,
    layer_state_label,
)
from studio.outputs.transport_feedback import PacketResult, TransportCcTracker, parse_transport_cc

LADDER = [("h", 2_500_000), ("m", 800_000), ("l", 250_000)]
AUDIO_BPS = 96_000


class FakeClock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


def feed_rr(estimator: BandwidthEstimator, *, loss: float, rtt_s: float = 0.04, ssrc: int = 1) -> None:
    estimator.on_receiver_report(ssrc, fraction_lost=loss, rtt_s=rtt_s)


# ----------------------------------------------------------------------------------------------
# Loss-based
def test_low_loss_grows_about_eight_percent_per_second():
    clock = FakeClock()
    est = BandwidthEstimator(initial_bps=1_000_000, max_bps=10_000_000, clock=clock)
    est.update()
    for _ in range(5):  # one report a second, 1 % loss, steady RTT
        clock.advance(1.0)
        feed_rr(est, loss=0.01)
        est.update()
    # Loss-based ×1.08/s for the first 2 s, then the faster recovery growth once clean.
    assert 1_000_000 * 1.08**5 * 0.99 <= est.loss_based_bps <= 1_000_000 * 1.3**5 * 1.01
    assert est.estimate_bps > 1_000_000


def test_moderate_loss_holds_and_high_loss_cuts_once_per_rtt_plus_300_ms():
    clock = FakeClock()
    est = BandwidthEstimator(initial_bps=2_000_000, max_bps=2_000_000, clock=clock)
    est.update()
    for _ in range(10):
        clock.advance(0.2)
        feed_rr(est, loss=0.05)
        est.update()
    assert est.loss_based_bps == pytest.approx(2_000_000)  # 2-10 %: hold
    clock.advance(0.2)
    feed_rr(est, loss=0.20)
    est.update()
    assert est.loss_based_bps == pytest.approx(2_000_000 * 0.9)  # × (1 - 0.5 · 0.2)
    clock.advance(0.2)  # < RTT (40 ms) + 300 ms since the cut: no second cut yet
    feed_rr(est, loss=0.20)
    est.update()
    assert est.loss_based_bps == pytest.approx(2_000_000 * 0.9)
    clock.advance(0.2)
    feed_rr(est, loss=0.20)
    est.update()
    assert est.loss_based_bps == pytest.approx(2_000_000 * 0.81)
    assert est.limited_by == "loss"


def test_report_loss_is_weighted_by_each_streams_packets():
    clock = FakeClock()
    est = BandwidthEstimator(initial_bps=2_000_000, clock=clock)
    est.on_receiver_report(1, fraction_lost=0.0, weight=900)  # the video layers
    est.on_receiver_report(2, fraction_lost=0.5, weight=10)  # a tiny audio stream's bad second
    est.update()
    assert est.loss_fraction == pytest.approx(5 / 910)


def test_nacks_confirm_loss_between_reports():
    clock = FakeClock()
    est = BandwidthEstimator(initial_bps=2_000_000, max_bps=2_000_000, clock=clock)
    est.update()
    clock.advance(0.2)
    est.on_sent(200 * 1200, packets=200)
    est.on_nacks(60)  # 30 % of what went out in the last second was NACKed
    est.update()
    assert est.loss_fraction == pytest.approx(0.3)
    assert est.loss_based_bps < 2_000_000
    # Few NACKs and no report: no claim either way (no growth, no cut).
    est2 = BandwidthEstimator(initial_bps=1_000_000, max_bps=2_000_000, clock=clock)
    est2.on_sent(200 * 1200, packets=200)
    est2.on_nacks(1)
    est2.update()
    assert est2.loss_fraction is None


def test_remb_is_an_upper_bound_that_expires():
    clock = FakeClock()
    est = BandwidthEstimator(initial_bps=3_000_000, max_bps=3_000_000, clock=clock)
    est.on_remb(1_200_000)
    assert est.update() == 1_200_000
    assert est.limited_by == "remb"
    clock.advance(11.0)  # no REMB for longer than its TTL
    est.update()
    assert est.remb_bps is None


def test_estimate_is_clamped_to_min_and_max():
    clock = FakeClock()
    est = BandwidthEstimator(initial_bps=500_000, min_bps=150_000, max_bps=600_000, clock=clock)
    for _ in range(40):
        clock.advance(0.5)
        feed_rr(est, loss=0.9, rtt_s=0.05)
        est.update()
    assert est.estimate_bps == 150_000
    for _ in range(200):
        clock.advance(0.5)
        feed_rr(est, loss=0.0, rtt_s=0.05)
        est.update()
    assert est.estimate_bps == 600_000


# ----------------------------------------------------------------------------------------------
# Delay-based without transport-cc: RTT growth
def test_rtt_growth_is_overuse_and_cuts_to_what_got_through():
    clock = FakeClock()
    est = BandwidthEstimator(initial_bps=3_000_000, max_bps=3_000_000, clock=clock)
    for _ in range(5):
        clock.advance(0.2)
        est.on_sent(3_000_000 // 8 // 5, packets=60)
        feed_rr(est, loss=0.0, rtt_s=0.040)
        est.update()
    assert est.delay_state == "normal"
    for rtt in (0.060, 0.120, 0.200):
        clock.advance(0.2)
        est.on_sent(3_000_000 // 8 // 5, packets=60)
        feed_rr(est, loss=0.0, rtt_s=rtt)
        est.update()
    assert est.delay_state == OVERUSE
    assert est.delay_based_bps <= 0.85 * 3_000_000 * 1.01
    assert est.snapshot()["queue_delay_ms"] == pytest.approx(160.0)
    # The queue draining (RTT falling but still high) holds instead of cutting again.
    before = est.delay_based_bps
    clock.advance(1.0)
    feed_rr(est, loss=0.0, rtt_s=0.150)
    est.update()
    assert est.delay_state != OVERUSE and est.delay_based_bps == before


# ----------------------------------------------------------------------------------------------
# Delay-based with transport-cc
def test_trendline_detector_normal_on_steady_delay_overuse_on_growing_delay():
    detector = TrendlineDetector()
    t = 0.0
    for _ in range(40):
        t += 0.02
        assert detector.update(random.Random(1).uniform(-0.5, 0.5), t) != OVERUSE
    states = []
    for _ in range(40):
        t += 0.02
        states.append(detector.update(4.0, t))  # each group arrives 4 ms later than sent
    assert OVERUSE in states


def simulate_transport_cc(est: BandwidthEstimator, clock: FakeClock, send_bps: float, capacity_bps: float, seconds: float, state: dict) -> None:
    """Packets of 1200 bytes every send interval through a bottleneck of ``capacity_bps``;
    feedback for them every 100 ms."""
    interval = 1200 * 8 / send_bps
    service = 1200 * 8 / capacity_bps
    results = []
    end = clock.t + seconds
    while clock.t < end:
        state["link_free"] = max(state.get("link_free", 0.0), clock.t) + service
        results.append(PacketResult(state.setdefault("seq", 0), clock.t, 1200, state["link_free"] + 0.02))
        state["seq"] += 1
        est.on_sent(1200)
        clock.advance(interval)
        if clock.t >= state.get("next_feedback", 0.0):
            state["next_feedback"] = clock.t + 0.1
            est.on_packet_results(results)
            results = []
            est.update()


def test_transport_cc_overuse_brings_the_estimate_to_the_bottleneck():
    clock = FakeClock(0.0)
    est = BandwidthEstimator(initial_bps=3_000_000, max_bps=3_000_000, clock=clock)
    state: dict = {}
    simulate_transport_cc(est, clock, 1_000_000, 5_000_000, 2.0, state)  # room to spare
    assert est.delay_state != OVERUSE
    simulate_transport_cc(est, clock, 3_000_000, 800_000, 3.0, state)  # 3 Mbit/s into 800 kbit/s
    snap = est.snapshot()
    assert snap["delay_source"] == "transport-cc"
    assert est.estimate_bps < 1_000_000, snap


def test_parse_transport_cc_run_length_and_status_vectors():
    # base 100, 5 packets, reference time 2 (×64 ms), feedback #7:
    # a run of 2 "small delta", then a two-bit vector: large, not received, small (+ padding).
    fci = struct.pack("!HH", 100, 5) + (2).to_bytes(3, "big") + bytes([7])
    fci += struct.pack("!H", (1 << 13) | 2)  # run length: symbol 1, length 2
    fci += struct.pack("!H", 0xC000 | (2 << 12) | (0 << 10) | (1 << 8))
    fci += bytes([4, 8]) + struct.pack("!h", -40) + bytes([12])  # deltas in 250 µs units
    feedback = parse_transport_cc(fci)
    assert (feedback.base_sequence, feedback.feedback_count) == (100, 7)
    base = 2 * 64_000
    assert feedback.arrivals == [
        (100, base + 1000),
        (101, base + 3000),
        (102, base + 3000 - 10_000),
        (103, None),
        (104, base + 3000 - 10_000 + 3000),
    ]
    with pytest.raises(ValueError):
        parse_transport_cc(fci[:12])


def test_transport_cc_tracker_maps_feedback_to_sent_packets_and_is_bounded():
    tracker = TransportCcTracker(max_packets=3)
    seqs = [tracker.next_sequence(1000 + i, 10.0 + i) for i in range(5)]
    assert seqs == [0, 1, 2, 3, 4]
    from studio.outputs.transport_feedback import TransportFeedback

    results = tracker.results(TransportFeedback(0, 0, 0, [(0, 1), (3, None), (4, 2_000_000)]))
    assert results == [PacketResult(3, 13.0, 1003, None), PacketResult(4, 14.0, 1004, 2.0)]  # 0 was forgotten


# ----------------------------------------------------------------------------------------------
# The ladder controller
def test_controller_lowers_bitrates_before_pausing_and_protects_the_lowest_layer():
    clock = FakeClock()
    ctl = LadderController(LADDER, reserved_bps=AUDIO_BPS, clock=clock)
    assert ctl.update(4_000_000) == []  # everything fits at nominal
    clock.advance(1.0)
    decisions = ctl.update(2_600_000)  # budget 2.24 M: below 3.55 M nominal, above the 1.42 M minimums
    assert {d.kind for d in decisions} == {BITRATE}
    targets = {layer.rid: layer.target_bps for layer in ctl.layers}
    assert targets["l"] == 250_000 and targets["m"] == 800_000  # lowest layers filled first
    assert ctl.layer("h").min_bps <= targets["h"] < 2_500_000
    assert all(layer.state == ACTIVE for layer in ctl.layers)


def test_controller_pauses_top_then_middle_never_the_lowest():
    clock = FakeClock()
    ctl = LadderController(LADDER, reserved_bps=AUDIO_BPS, clock=clock)
    ctl.update(4_000_000)
    kinds = []
    for _ in range(30):  # 6 s at 300 kbit/s
        clock.advance(0.2)
        kinds += [(d.kind, d.rid) for d in ctl.update(300_000)]
    pauses = [rid for kind, rid in kinds if kind == PAUSE]
    assert pauses == ["h", "m"]
    assert [layer.state for layer in ctl.layers] == [PAUSED, PAUSED, ACTIVE]
    low = ctl.layer("l")
    assert ctl.floor_bps <= low.target_bps < 250_000  # thinner, never stopped
    for _ in range(10):
        clock.advance(0.2)
        ctl.update(60_000)
    assert ctl.layer("l").state == ACTIVE


def test_pause_needs_the_estimate_low_for_the_hold_time():
    clock = FakeClock()
    ctl = LadderController(LADDER, reserved_bps=AUDIO_BPS, clock=clock, pause_hold_s=1.0)
    ctl.update(4_000_000)
    clock.advance(0.2)
    assert not [d for d in ctl.update(900_000) if d.kind == PAUSE]  # one low sample
    clock.advance(0.2)
    ctl.update(4_000_000)  # recovered: the hold restarts
    for _ in range(5):  # 0.0 .. 0.8 s below
        clock.advance(0.2)
        assert not [d for d in ctl.update(900_000) if d.kind == PAUSE]
    clock.advance(0.2)  # 1.0 s below
    assert [d.rid for d in ctl.update(900_000) if d.kind == PAUSE] == ["h"]


def test_resume_only_after_five_seconds_above_threshold_times_1_3_bottom_up():
    clock = FakeClock()
    ctl = LadderController(LADDER, reserved_bps=AUDIO_BPS, clock=clock)
    for _ in range(20):
        clock.advance(0.2)
        ctl.update(300_000)
    assert [layer.state for layer in ctl.layers] == [PAUSED, PAUSED, ACTIVE]
    resume_m = ctl.resume_threshold_bps()
    assert resume_m == pytest.approx(1.3 * (320_000 + 100_000 + AUDIO_BPS) / 0.9, rel=0.01)
    # Just below the threshold for a long time: nothing.
    for _ in range(50):
        clock.advance(0.2)
        assert not [d for d in ctl.update(resume_m - 1000) if d.kind == RESUME]
    # Above it, but dipping once in the middle: the 5 s start over.
    for step in range(40):
        clock.advance(0.2)
        decisions = ctl.update(resume_m + 1000 if step != 15 else resume_m - 1000)
        resumed = [d for d in decisions if d.kind == RESUME]
        if resumed:
            assert step >= 15 + 25  # 5 s after the dip
    resumes = []
    t0 = clock.t
    for _ in range(100):
        clock.advance(0.2)
        resumes += [(d.rid, round(clock.t - t0, 1)) for d in ctl.update(10_000_000) if d.kind == RESUME]
    assert [rid for rid, _ in resumes] == ["m", "h"][: len(resumes)] and "h" in dict(resumes)
    assert all(layer.state == ACTIVE for layer in ctl.layers)


def test_no_flapping_and_back_off_after_a_failed_resume():
    clock = FakeClock()
    ctl = LadderController(LADDER, reserved_bps=AUDIO_BPS, clock=clock)
    decisions: list[Decision] = []

    def run(seconds: float, estimate: int) -> None:
        for _ in range(int(seconds / 0.2)):
            clock.advance(0.2)
            decisions.extend(ctl.update(estimate))

    run(3, 1_400_000)  # h paused (needs 1.42 M + audio at 90 %)
    assert ctl.layer("h").state == PAUSED
    # An estimate wobbling ±10 % around the pause threshold never resumes h.
    threshold = ctl.resume_threshold_bps()
    for i in range(100):
        clock.advance(0.2)
        decisions.extend(ctl.update(int(threshold / 1.3 * (1.1 if i % 2 else 0.9))))
    assert ctl.layer("h").state == PAUSED
    assert [d.kind for d in decisions].count(RESUME) == 0
    run(6, 10_000_000)
    assert ctl.layer("h").state == ACTIVE and ctl.resume_hold_s == 5.0
    run(2, 1_400_000)  # it could not hold
    assert ctl.layer("h").state == PAUSED
    assert ctl.resume_hold_s == 10.0  # the next try waits longer
    run(6, 10_000_000)
    assert ctl.layer("h").state == PAUSED
    run(5, 10_000_000)
    assert ctl.layer("h").state == ACTIVE


def test_bitrate_changes_are_coalesced_and_rate_limited():
    clock = FakeClock()
    ctl = LadderController(LADDER, reserved_bps=AUDIO_BPS, clock=clock)
    ctl.update(4_000_000)
    changes = []
    for i in range(50):  # ±2 % noise around 3 Mbit/s: at most one real change
        clock.advance(0.2)
        changes += [d for d in ctl.update(int(3_000_000 * (1.02 if i % 2 else 0.98))) if d.kind == BITRATE]
    assert len(changes) <= 1
    # A rise waits increase_interval_s after the last change, a fall only decrease_interval_s.
    clock.advance(0.6)
    down = [d for d in ctl.update(2_000_000) if d.kind == BITRATE]
    assert down
    clock.advance(0.5)
    assert not [d for d in ctl.update(4_000_000) if d.kind == BITRATE]
    clock.advance(1.6)
    assert [d for d in ctl.update(4_000_000) if d.kind == BITRATE]


def test_history_is_bounded_and_decisions_have_translated_messages():
    clock = FakeClock()
    ctl = LadderController(LADDER, reserved_bps=AUDIO_BPS, clock=clock, history=5, resume_hold_s=0.0, pause_hold_s=0.0)
    for i in range(40):
        clock.advance(3.0)
        ctl.update(300_000 if i % 2 else 10_000_000)
    assert len(ctl.history) == 5
    snap = ctl.snapshot()
    assert len(snap["decisions"]) == 5 and {"t", "kind", "rid", "estimate_bps", "bitrate_bps", "reason"} <= set(snap["decisions"][0])
    decision = Decision(0.0, PAUSE, "h", 640_000)
    assert decision.message() == "Paused layer h: the network allows about 640 kbit/s"
    previous = i18n.current_language()
    try:
        i18n.set_language("zh_CN")
        assert decision.message() == "已暂停画质层 h：网络目前约可承载 640 kbit/s"
        assert "kbit/s" in Decision(0.0, BITRATE, "m", 900_000, 500_000).message()
        assert Decision(0.0, RESUME, "m", 900_000).message().startswith("已恢复")
        assert layer_state_label(PAUSED) == "因网络拥塞已暂停"
    finally:
        i18n.set_language(previous)


def test_reset_brings_back_the_published_layers_at_nominal():
    clock = FakeClock()
    ctl = LadderController(LADDER, clock=clock)
    for _ in range(20):
        clock.advance(0.2)
        ctl.update(200_000)
    ctl.reset(["h", "m", "l"])
    assert [(l.state, l.target_bps) for l in ctl.layers] == [(ACTIVE, 2_500_000), (ACTIVE, 800_000), (ACTIVE, 250_000)]
    ctl.reset(["h"])  # the server accepted one layer only
    assert [l.rid for l in ctl.layers] == ["h"]
    ctl.reset(None)
    assert [l.rid for l in ctl.layers] == ["h", "m", "l"]


# ----------------------------------------------------------------------------------------------
# Closed loop: estimator + controller against a simulated bottleneck (the 800 kbit/s trap)
class Bottleneck:
    """A rate limiter with a queue (tbf-like), random loss and base delay, stepped in 200 ms."""

    def __init__(self, capacity_bps: float, loss: float, base_rtt_s: float, queue_s: float = 0.3) -> None:
        self.capacity_bps, self.loss, self.base_rtt_s, self.queue_s = capacity_bps, loss, base_rtt_s, queue_s
        self.queue_bits = 0.0
        self.rng = random.Random(5)

    def step(self, send_bps: float, dt: float) -> tuple[float, float]:
        """(fraction lost, RTT) for ``dt`` seconds of sending at ``send_bps``."""
        offered = send_bps * dt
        self.queue_bits += offered
        self.queue_bits -= min(self.queue_bits, self.capacity_bps * dt)
        limit = self.capacity_bps * self.queue_s
        overflow = max(0.0, self.queue_bits - limit)
        self.queue_bits -= overflow
        lost = overflow / offered if offered else 0.0
        lost = 1 - (1 - lost) * (1 - self.loss * self.rng.uniform(0.7, 1.3))
        return lost, self.base_rtt_s + self.queue_bits / self.capacity_bps


@pytest.mark.parametrize("capacity_bps", [800_000, 400_000])
def test_closed_loop_bottleneck_with_3_percent_loss_then_cleared(capacity_bps):
    clock = FakeClock(0.0)
    nominal = sum(b for _, b in LADDER) + AUDIO_BPS
    est = BandwidthEstimator(initial_bps=nominal, max_bps=int(nominal * 1.2), clock=clock)
    ctl = LadderController(LADDER, reserved_bps=AUDIO_BPS, clock=clock)
    link = Bottleneck(capacity_bps=50_000_000, loss=0.0, base_rtt_s=0.01)
    timeline = []
    losses: list[float] = []
    next_report = 1.0

    def send_bps() -> float:
        return sum(l.target_bps for l in ctl.active) * 1.05 + AUDIO_BPS

    def run(seconds: float) -> None:
        nonlocal next_report
        for _ in range(int(round(seconds / 0.2))):
            rate = send_bps()
            loss, rtt = link.step(rate, 0.2)
            losses.append(loss)
            clock.advance(0.2)
            packets = max(1, int(rate * 0.2 / 8 / 1200))
            est.on_sent(int(rate * 0.2 / 8), packets=packets)
            est.on_nacks(int(packets * loss))
            if clock.t >= next_report:  # one compound RR a second
                next_report += 1.0
                window = losses[-5:]
                est.on_receiver_report(1, fraction_lost=sum(window) / len(window), rtt_s=rtt, weight=100)
            decisions = ctl.update(est.update())
            timeline.append((round(clock.t, 1), est.estimate_bps, [l.state for l in ctl.layers], decisions, (round(loss, 3), round(rtt, 3), est.delay_state, int(est.loss_based_bps), int(est.delay_based_bps))))

    run(10)  # a good network first
    assert all(state == ACTIVE for state in timeline[-1][2])
    link.capacity_bps, link.loss, link.base_rtt_s = capacity_bps, 0.03, 0.05
    storm_start = clock.t
    run(30)
    storm = [entry for entry in timeline if entry[0] > storm_start]
    below = next(t for t, estimate, _, _, _ in storm if estimate < capacity_bps)
    assert below - storm_start <= 5.0, "the estimate must fall below the bottleneck within 5 s"
    paused_h = next(t for t, _, states, _, _ in storm if states[0] == PAUSED)
    assert paused_h - storm_start <= 6.0
    assert all(states[2] == ACTIVE for _, _, states, _, _ in storm), "the lowest layer never stops"
    # No flapping during the storm: h paused once and stays paused.
    h_pauses = [d for entry in storm for d in entry[3] if d.kind == PAUSE and d.rid == "h"]
    assert len(h_pauses) == 1
    # Sending fits the bottleneck for the second half of the storm.
    assert (est.send_rate_bps() or 0) < capacity_bps * 1.1
    link.capacity_bps, link.loss, link.base_rtt_s = 50_000_000, 0.0, 0.01
    clear = clock.t
    run(20)
    back = next(t for t, _, states, _, _ in timeline if t > clear and all(s == ACTIVE for s in states))
    assert back - clear <= 15.0, f"all layers back {back - clear:.1f} s after clearing"
    resumes = [d.rid for entry in timeline if entry[0] > clear for d in entry[3] if d.kind == RESUME]
    if capacity_bps == 800_000:
        # The middle layer fits at its minimum next to the lowest: only h paused.
        assert resumes == ["h"]
        assert {entry[2][1] for entry in storm} == {ACTIVE}
    else:
        assert resumes == ["m", "h"]  # bottom-up
        assert len([d for entry in storm for d in entry[3] if d.kind == PAUSE and d.rid == "m"]) == 1


# ----------------------------------------------------------------------------------------------
# The sender: bounded retransmission history and surfaced RTCP feedback
def test_retransmission_history_is_bounded_by_count_and_age_and_rate_limited():
    history = RetransmissionHistory(max_packets=4, max_age_s=1.0, min_interval_s=0.05)
    for seq in range(6):
        history.add(seq, bytes([seq]), now_s=10.0 + seq * 0.01)
    assert len(history) == 4
    assert history.take(0, 10.1) is None  # pushed out by count
    assert history.take(3, 10.1) == b"\x03"
    assert history.take(3, 10.12) is None  # resent moments ago
    assert history.take(3, 10.2) == b"\x03"
    assert history.take(5, 11.2) is None  # too old


class Transport:
    state = "connected"
    _stats_id = "transport_test"

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def _register_rtp_sender(self, sender, parameters):
        pass

    def _unregister_rtp_sender(self, sender):
        pass

    async def _send_rtp(self, data: bytes) -> None:
        self.sent.append(data)


def test_packet_sender_answers_nacks_from_its_history_and_surfaces_reports():
    async def scenario():
        transport = Transport()
        pacer = pacing.Pacer(1_000_000)
        sender = PacketSender(EncodedVideoTrack(rid="h"), transport, rid="h", rtp_clock=RtpClock(90_000), wall_clock=WallClock(), pacer=pacer)
        loop = asyncio.get_running_loop()
        for seq in (10, 11, 12):
            sender.retransmissions.add(seq, b"packet%d" % seq, loop.time())
        nack = aiortc_rtp.RtcpRtpfbPacket(fmt=aiortc_rtp.RTCP_RTPFB_NACK, ssrc=1, media_ssrc=sender._ssrc, lost=[11, 12, 99])
        await sender._handle_rtcp_packet(nack)
        await sender._handle_rtcp_packet(nack)  # repeated at once: not resent twice
        report = aiortc_rtp.RtcpReceiverInfo(ssrc=sender._ssrc, fraction_lost=64, packets_lost=3, highest_sequence=12, jitter=900, lsr=0, dlsr=0)
        await sender._handle_rtcp_packet(aiortc_rtp.RtcpRrPacket(ssrc=1, reports=[report]))
        other = aiortc_rtp.RtcpReceiverInfo(ssrc=sender._ssrc + 1, fraction_lost=255, packets_lost=3, highest_sequence=12, jitter=0, lsr=0, dlsr=0)
        await sender._handle_rtcp_packet(aiortc_rtp.RtcpRrPacket(ssrc=1, reports=[other]))
        remb = aiortc_rtp.RtcpPsfbPacket(fmt=aiortc_rtp.RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=aiortc_rtp.pack_remb_fci(700_000, [sender._ssrc]))
        await sender._handle_rtcp_packet(remb)
        return transport, sender, pacer

    transport, sender, pacer = asyncio.run(scenario())
    assert transport.sent == [b"packet11", b"packet12"]
    c = sender.counters
    assert (c.nacks, c.retransmits, c.retransmit_misses) == (6, 2, 4)
    assert c.nacked_packets == 3  # the repeated NACK names the same three packets: one loss each
    assert c.retransmit_bytes == len(b"packet11") * 2
    assert pacer._next_s > 0  # resent bytes were booked on the pacer
    assert (c.reports, c.fraction_lost, c.jitter_s) == (1, 0.25, 0.01)
    assert (c.remb_bps, c.remb_updates) == (700_000, 1)


# ----------------------------------------------------------------------------------------------
# Wiring: publisher feedback -> estimator -> on_estimate; live session -> ladder
def fake_sender(ssrc: int) -> SimpleNamespace:
    return SimpleNamespace(ssrc=ssrc, counters=SenderCounters())


def test_publisher_congestion_step_feeds_deltas_and_publishes_the_estimate():
    from encoders.ladder import LayerSpec
    from studio.outputs.publisher import WhipPublisher

    layers = [LayerSpec("h", 640, 360, 1_000_000, 30), LayerSpec("l", 320, 180, 300_000, 30)]
    publisher = WhipPublisher("http://198.18.0.1/whip", layers=layers)
    senders = {"h": fake_sender(1), "l": fake_sender(2)}
    video = SimpleNamespace(published=[SimpleNamespace(rid=rid, sender=s) for rid, s in senders.items()])
    heard: list[int] = []
    publisher.on_estimate.connect(lambda estimate_bps: heard.append(estimate_bps))
    t = 100.0
    # Starts where the whole ladder fits at nominal rates (nothing is cut at go-live).
    assert publisher.congestion_step(video, now=t) == ladder_ceiling_bps(1_300_000) == int(1_300_000 / 0.9 * 1.15) + 1
    ctl = LadderController([(l.rid, l.bitrate_bps) for l in layers])
    assert ctl.update(publisher.available_bitrate_bps) == []
    for second in range(6):
        for _ in range(5):
            t += 0.2
            for s in senders.values():
                s.counters.payload_bytes += 25_000
                s.counters.packets += 20
            publisher.congestion_step(video, now=t)
        for s in senders.values():  # a report each second: 30 % lost, RTT growing
            s.counters.reports += 1
            s.counters.fraction_lost = 0.3
            s.counters.rtt_s = 0.05 + 0.05 * second
            s.counters.rtt_samples += 1
            s.counters.nacks += 30
            s.counters.nacked_packets += 30
    assert publisher.available_bitrate_bps == heard[-1] < 700_000
    stats = publisher.stats()
    assert stats["available_bitrate_bps"] == stats["congestion"]["estimate_bps"] == heard[-1]
    assert stats["congestion"]["loss_fraction"] >= 0.3
    senders["h"].counters.remb_bps, senders["h"].counters.remb_updates = 200_000, 1
    assert publisher.congestion_step(video, now=t + 0.2) == 200_000


class FakeLadder:
    is_running = True

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def set_bitrate(self, rid, bps):
        self.calls.append(("bitrate", rid, bps))

    def pause(self, rid):
        self.calls.append(("pause", rid))

    def resume(self, rid):
        self.calls.append(("resume", rid))


def test_the_whip_output_carries_decisions_out_on_the_ladder_and_the_pacing():
    from encoders.ladder import default_ladder
    from studio.golive.encoding import CanvasEncoding
    from studio.golive.whip_output import WhipOutput
    from studio.outputs.publisher import LIVE

    encoding = CanvasEncoding(SimpleNamespace(width=640, height=360, fps=30), default_ladder(640, 360, 30))
    session = WhipOutput(encoding, "http://198.18.0.1/whip")
    ladder = FakeLadder()
    paced: list[tuple] = []
    encoding.ladder = ladder
    session.publisher = SimpleNamespace(state=LIVE, set_layer_pacing=lambda rid, bps: paced.append((rid, bps)))
    session.controller = LadderController([(l.rid, l.bitrate_bps) for l in session.layers], clock=FakeClock())
    notices: list[dict] = []
    session.notices.connect(lambda **payload: notices.append(payload))
    for _ in range(20):
        session.controller.clock.advance(0.2)
        session._on_estimate(60_000)
    assert ("pause", "h") in ladder.calls and ("pause", "m") in ladder.calls
    assert ("pause", "l") not in ladder.calls
    assert any(call[0] == "bitrate" and call[1] == "l" for call in ladder.calls)
    assert ("l", session.controller.layer("l").target_bps) in paced
    assert [n["code"] for n in notices] == ["layer_paused", "layer_paused"]
    ladder.calls.clear()
    for _ in range(60):
        session.controller.clock.advance(0.2)
        session._on_estimate(50_000_000)
    resumes = [c for c in ladder.calls if c[0] == "resume"]
    assert resumes == [("resume", "m"), ("resume", "h")]
    # The bitrate is set before the resume (its first frame, a keyframe, is already right).
    first_m = next(i for i, c in enumerate(ladder.calls) if c[1] == "m")
    assert ladder.calls[first_m][0] == "bitrate"


# ----------------------------------------------------------------------------------------------
# transport-cc on the wire: offer, stamping, feedback hook
def test_transport_cc_extmap_is_offered_once_with_a_free_id():
    offer = "\r\n".join([
        "v=0", "m=audio 9 UDP/TLS/RTP/SAVPF 96", "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "m=video 9 UDP/TLS/RTP/SAVPF 97", "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", "a=rtpmap:97 H264/90000", "",
    ])
    munged, ext_id = transport_cc.add_transport_cc_extmap(offer)
    assert ext_id == 3
    lines = munged.split("\r\n")
    video = lines[lines.index("m=video 9 UDP/TLS/RTP/SAVPF 97"):]
    assert video[3] == f"a=extmap:3 {transport_cc.TRANSPORT_CC_URI}"
    assert sum(transport_cc.TRANSPORT_CC_URI in line for line in lines) == 1
    assert transport_cc.add_transport_cc_extmap(munged) == (munged, 3)  # idempotent


def twcc_rtcp(fci: bytes, *, padding: int = 0) -> bytes:
    body = struct.pack("!LL", 1, 2) + fci + bytes(padding)
    if padding:
        body = body[:-1] + bytes([padding])
    words = (4 + len(body)) // 4 - 1
    return bytes([0x80 | (0x20 if padding else 0) | 15, 205]) + words.to_bytes(2, "big") + body


def test_transport_cc_feedback_is_found_in_compound_rtcp_and_reaches_the_hook():
    fci = struct.pack("!HH", 7, 1) + (0).to_bytes(3, "big") + bytes([0]) + struct.pack("!H", (1 << 13) | 1) + bytes([4, 0])
    rr = bytes(aiortc_rtp.RtcpRrPacket(ssrc=5, reports=[]))
    compound = rr + twcc_rtcp(fci) + twcc_rtcp(fci, padding=4)
    assert transport_cc.transport_cc_fcis(compound) == [fci, fci]
    assert parse_transport_cc(fci).arrivals == [(7, 1000)]

    heard: list[bytes] = []
    passed_on: list[bytes] = []

    class DtlsLike:
        async def _handle_rtcp_data(self, data: bytes) -> None:
            passed_on.append(data)

    transport = DtlsLike()
    transport_cc.hook_transport_feedback(transport, heard.append)
    transport_cc.hook_transport_feedback(transport, heard.append)  # idempotent
    asyncio.run(transport._handle_rtcp_data(compound))
    assert heard == [fci, fci] and passed_on == [compound]


def test_simulcast_video_stamps_transport_sequence_numbers_and_collects_results():
    from aiortc import RTCPeerConnection

    async def scenario():
        pc = RTCPeerConnection()
        try:
            video = simulcast.SimulcastVideo(pc, ["h", "l"], "h264", wall_clock=WallClock(), offer_transport_cc=True)
            await pc.setLocalDescription(await pc.createOffer())
            offer = video.munge_offer(pc.localDescription.sdp)
            assert transport_cc.TRANSPORT_CC_URI in offer
            video.apply_answer(["h", "l"], 4)
            assert video.enable_transport_cc(5)
            assert all(plan.sender.transport_cc is video.transport_cc for plan in video.published)
            assert all(any(e.uri == transport_cc.TRANSPORT_CC_URI and e.id == 5 for e in plan.sender.extra_header_extensions) for plan in video.published)
            for _ in range(3):
                video.transport_cc.next_sequence(1200, 1.0)
            fci = struct.pack("!HH", 0, 3) + (1).to_bytes(3, "big") + bytes([0])
            fci += struct.pack("!H", 0xC000 | (1 << 12) | (0 << 10) | (1 << 8)) + bytes([4, 8, 0])
            video._on_transport_feedback(fci)
            video._on_transport_feedback(b"bad")
            return video
        finally:
            await pc.close()

    video = asyncio.run(scenario())
    results = video.take_transport_results()
    assert [(r.sequence, r.arrival_s is not None) for r in results] == [(0, True), (1, False), (2, True)]
    assert (video.transport_feedbacks, video.transport_feedback_errors) == (1, 1)
    assert video.take_transport_results() == []
    assert not simulcast.SimulcastVideo.enable_transport_cc(video, None)


def test_a_resent_packet_is_byte_identical_and_its_feedback_is_left_out():
    """A retransmission goes out as the same bytes (same transport-wide number): under AES-GCM SRTP
    a resend under the same index with other header bytes would reuse the nonce (see
    PacketSender._serialize_again); feedback about a resent number is not read as an arrival."""
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpSendParameters

    async def scenario():
        transport = Transport()
        sender = PacketSender(EncodedVideoTrack(rid="h"), transport, rid="h", rtp_clock=RtpClock(90_000), wall_clock=WallClock())
        extensions = [RTCRtpHeaderExtensionParameters(id=5, uri=transport_cc.TRANSPORT_CC_URI)]
        header_map = send._get(sender, "rtp_header_extensions_map")
        header_map.configure(RTCRtpSendParameters(headerExtensions=extensions))
        sender.transport_cc = TransportCcTracker()
        packet = aiortc_rtp.RtpPacket(payload_type=96, sequence_number=40, timestamp=1)
        packet.payload = b"x" * 100
        packet.extensions.transport_sequence_number = sender.transport_cc.next_sequence(100, 0.0)
        first = packet.serialize(header_map)
        sender.transport_cc.next_sequence(100, 0.01)  # another packet after it
        sender.retransmissions.add(40, packet, asyncio.get_running_loop().time())
        await sender._retransmit(40)
        return transport, sender, first

    transport, sender, first = asyncio.run(scenario())
    assert transport.sent == [first]
    fci = struct.pack("!HH", 0, 2) + (1).to_bytes(3, "big") + bytes([0])
    fci += struct.pack("!H", (1 << 13) | 2) + bytes([4, 8])  # both received
    results = sender.transport_cc.results(parse_transport_cc(fci))
    assert [r.sequence for r in results] == [1]  # number 0 went out twice: left out
