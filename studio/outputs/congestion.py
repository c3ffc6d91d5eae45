"""Congestion adaptation: how much can we send, and what should the encoder ladder do about it.

Pure logic (no aiortc, no threads, no sockets), driven by an injected clock so every rule can
be tested with synthetic feedback timelines.  Two pieces:

* :class:`BandwidthEstimator` — an estimate of the available send bitrate in the spirit of
  Google's GCC (draft-ietf-rmcat-gcc):

  - *loss-based* from RTCP receiver reports (``fraction lost``) and NACK rates: loss < 2 %
    grows the estimate ×1.05–1.08 per second, 2–10 % holds it, > 10 % cuts it by
    ×(1 − 0.5·loss) at most once per RTT + 300 ms;
  - *delay-based*: with transport-wide CC feedback, a trendline over-use detector on the
    inter-group delay variation (:class:`TrendlineDetector`); without it, queueing delay seen
    as RTT growth above the smallest recent RTT.  Over-use sets the estimate to 0.85× what
    got through (send rate × (1 − loss)); normal use grows it; under-use holds it;
  - *REMB* from the server as an upper bound.

  The estimate is ``min(loss-based, delay-based, REMB)`` clamped to ``[min_bps, max_bps]``.

* :class:`LadderController` — maps the estimate onto the simulcast ladder: every active layer
  keeps at least its minimum bitrate and the rest fills layers bottom-up (the lowest layer,
  the one every viewer can get, is protected first); when even the minimums do not fit the
  top active layer is paused (the top layer first, then the middle, never the lowest); a
  paused layer resumes only after the budget stayed ≥ 1.3× what it needs for 5 s (doubling
  after a resume that failed quickly).  Every decision is logged and kept (bounded) for stats.

The transport-wide CC feedback format it reads per-packet results from lives in
:mod:`studio.outputs.transport_feedback`.

Threads: none of its own.  Each object has a lock, so ``snapshot()`` may be read from any
thread while the network thread feeds it.
"""
from __future__ import annotations

import collections
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from studio.core.i18n import N_, _
from studio.outputs.transport_feedback import PacketResult

log = logging.getLogger(__name__)

Clock = Callable[[], float]

# ---- loss-based (GCC §6)
LOSS_LOW = 0.02
LOSS_HIGH = 0.10
LOSS_INCREASE_PER_S = 1.08
LOSS_DECREASE_INTERVAL_S = 0.3  # + RTT
NACK_MIN_PACKETS = 50  # NACK-derived loss needs this many packets sent in the window
FEEDBACK_WINDOW_S = 1.0
# ---- delay-based
DELAY_INCREASE_PER_S = 1.08
# After RECOVERY_CLEAN_S without loss or queueing, grow faster: the paused layers are the real
# probe (a failed resume backs off), and the ladder must come back within seconds of a storm.
RECOVERY_INCREASE_PER_S = 1.3
RECOVERY_CLEAN_S = 2.0
OVERUSE_BACKOFF = 0.85
OVERUSE_MIN_INTERVAL_S = 0.2  # + RTT: one cut per round trip
RTT_BASELINE_WINDOW_S = 10.0
RTT_GROWTH_S = 0.002
RTT_OVERUSE_MS = 30.0  # queueing delay (RTT above baseline) that means a standing queue
RTT_NORMAL_MS = 12.0
# With transport-cc: a queue that stands FAST_QUEUE_MS above the least one-way delay of the last
# QUEUE_FLOOR_WINDOW_S and grew FAST_GROWTH_MS since the previous feedback is over-use at once.
# The trendline needs its 20 packet groups — ~0.7 s at this ladder's 30 groups a second (measured:
# a 4 Mbit/s → 600 kbit/s step was cut 0.6-0.7 s after it, when the 200 ms queue had overflowed
# for half a second); the mean of one feedback's packets moves by ≤ ~5 ms under ±20 ms of jitter.
FAST_QUEUE_MS = 60.0
FAST_GROWTH_MS = 30.0
QUEUE_FLOOR_WINDOW_S = 10.0
FAST_OVERUSE_HOLD_S = 1.0  # after a fast over-use, the trendline's own over-use counts again
MAX_ARRIVAL_GAP_S = 0.05  # longer gaps between arrivals are idle time, not the link's rate
# ---- REMB
REMB_TTL_S = 10.0

OVERUSE, NORMAL, UNDERUSE = "overuse", "normal", "underuse"
# Share of the estimate the controller gives to video payload (packet overhead + headroom).
DEFAULT_UTILIZATION = 0.9
CEILING_MARGIN = 1.15


def ladder_ceiling_bps(video_bps: int, reserved_bps: int = 0, utilization: float = DEFAULT_UTILIZATION) -> int:
    """The estimate at which the whole ladder runs at its nominal rates, plus a margin: the
    estimator's start and ceiling (more is never needed, and starting lower would cut the
    layers at go-live for nothing)."""
    return int(math.ceil((video_bps + reserved_bps) / utilization * CEILING_MARGIN))

ACTIVE, PAUSED = "active", "paused"
PAUSE, RESUME, BITRATE = "pause", "resume", "bitrate"

DECISION_LABELS = {
    PAUSE: N_("Paused layer {rid}: the network allows about {estimate} kbit/s"),
    RESUME: N_("Resumed layer {rid}: the network allows about {estimate} kbit/s again"),
    BITRATE: N_("Layer {rid} now targets {bitrate} kbit/s (network about {estimate} kbit/s)"),
}
LAYER_STATE_LABELS = {ACTIVE: N_("Active"), PAUSED: N_("Paused by the network")}


def layer_state_label(state: str) -> str:
    return _(LAYER_STATE_LABELS.get(state, state))



# ----------------------------------------------------------------------------------------------
# Delay-based over-use detection (GCC §5, trendline variant as in libwebrtc)
TRENDLINE_RESUM_EVERY = 1000
class TrendlineDetector:
    """Least-squares slope of the smoothed accumulated delay variation over the last
    ``window`` packet groups, compared with an adaptive threshold."""

    def __init__(
        self,
        *,
        window: int = 20,
        smoothing: float = 0.9,
        gain: float = 4.0,
        threshold_ms: float = 12.5,
        k_up: float = 0.0087,
        k_down: float = 0.039,
        overuse_time_s: float = 0.010,
    ) -> None:
        self.window = window
        self.smoothing = smoothing
        self.gain = gain
        self.threshold_ms = threshold_ms
        self.k_up, self.k_down = k_up, k_down
        self.overuse_time_s = overuse_time_s
        self._points: collections.deque[tuple[float, float]] = collections.deque()
        # Running sums over the window (x, y, x², xy): the slope without a pass over the points
        # (11.7 → 4.7 µs an update on the loop thread); summed afresh every TRENDLINE_RESUM_EVERY updates so
        # rounding cannot build up over a long show.
        self._sums = [0.0, 0.0, 0.0, 0.0]
        self._x_origin = 0.0
        self._updates = 0
        self._accumulated_ms = 0.0
        self._smoothed_ms = 0.0
        self._first_arrival_s: float | None = None
        self._last_update_s: float | None = None
        self._overuse_since_s: float | None = None
        self._previous_trend = 0.0
        self.trend = 0.0
        self.state = NORMAL

    def update(self, delay_variation_ms: float, arrival_s: float) -> str:
        if self._first_arrival_s is None:
            self._first_arrival_s = arrival_s
        self._accumulated_ms += delay_variation_ms
        self._smoothed_ms = self.smoothing * self._smoothed_ms + (1 - self.smoothing) * self._accumulated_ms
        self._add_point((arrival_s - self._first_arrival_s) * 1000.0, self._smoothed_ms)
        n = len(self._points)
        if n >= 2:
            sum_x, sum_y, sum_xx, sum_xy = self._sums
            denominator = sum_xx - sum_x * sum_x / n
            if denominator > 1e-9 * max(1.0, sum_xx):
                self.trend = (sum_xy - sum_x * sum_y / n) / denominator
        modified = min(len(self._points), 60) * self.trend * self.gain
        self._detect(modified, arrival_s)
        self._adapt_threshold(modified, arrival_s)
        return self.state

    def _add_point(self, x: float, y: float) -> None:
        """Append (x, y) to the window and keep the sums; x is summed from ``_x_origin`` (moved
        to the window's start at each re-summing) so x² stays small however long the show."""
        points, sums, origin = self._points, self._sums, self._x_origin
        points.append((x, y))
        if len(points) > self.window:
            old_x, old_y = points.popleft()
            old_x -= origin
            sums[0] -= old_x
            sums[1] -= old_y
            sums[2] -= old_x * old_x
            sums[3] -= old_x * old_y
        x -= origin
        sums[0] += x
        sums[1] += y
        sums[2] += x * x
        sums[3] += x * y
        self._updates += 1
        if self._updates % TRENDLINE_RESUM_EVERY == 0:
            origin = self._x_origin = points[0][0]
            self._sums = [sum(p[0] - origin for p in points), sum(p[1] for p in points),
                          sum((p[0] - origin) ** 2 for p in points), sum((p[0] - origin) * p[1] for p in points)]

    def _detect(self, modified: float, now_s: float) -> None:
        if modified > self.threshold_ms:
            if self._overuse_since_s is None:
                self._overuse_since_s = now_s
            if now_s - self._overuse_since_s >= self.overuse_time_s and self.trend >= self._previous_trend:
                self.state = OVERUSE
        elif modified < -self.threshold_ms:
            self._overuse_since_s = None
            self.state = UNDERUSE
        else:
            self._overuse_since_s = None
            self.state = NORMAL
        self._previous_trend = self.trend

    def _adapt_threshold(self, modified: float, now_s: float) -> None:
        if self._last_update_s is None:
            self._last_update_s = now_s
        if abs(modified) > self.threshold_ms + 15.0:  # a spike: do not adapt to it
            self._last_update_s = now_s
            return
        k = self.k_down if abs(modified) < self.threshold_ms else self.k_up
        dt_ms = min((now_s - self._last_update_s) * 1000.0, 100.0)
        self.threshold_ms = min(600.0, max(6.0, self.threshold_ms + k * (abs(modified) - self.threshold_ms) * dt_ms))
        self._last_update_s = now_s


# ----------------------------------------------------------------------------------------------
# The estimator
@dataclass
class _Report:
    fraction_lost: float
    rtt_s: float | None
    jitter_s: float | None
    weight: float
    at_s: float


class BandwidthEstimator:
    """Available send bitrate from the feedback a WebRTC sender gets (see the module doc).

    Feed it as feedback arrives (``on_*``), call :meth:`update` every ~200 ms; it returns the
    estimate in bit/s.  ``clock`` is monotonic seconds (injected in tests).
    """

    def __init__(
        self,
        *,
        initial_bps: int,
        min_bps: int = 100_000,
        max_bps: int | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.min_bps = int(min_bps)
        self.max_bps = int(max_bps) if max_bps else max(int(initial_bps), self.min_bps)
        self.clock = clock
        start = float(min(max(int(initial_bps), self.min_bps), self.max_bps))
        self.loss_based_bps = start
        self.delay_based_bps = start
        self.estimate_bps = int(start)
        self.remb_bps: int | None = None
        self._remb_at_s: float | None = None
        self._reports: dict[int, _Report] = {}
        self._new_reports = False
        self._sent: collections.deque[tuple[float, int, int]] = collections.deque()  # (t, bytes, packets)
        self._nacks: collections.deque[tuple[float, int]] = collections.deque()
        self._rtts: collections.deque[tuple[float, float]] = collections.deque()
        self._detector = TrendlineDetector()
        self._delay_floor: collections.deque[tuple[float, float]] = collections.deque()  # (arrival s, one-way ms), rising
        self._previous_queue_ms: float | None = None
        self.fast_overuses = 0  # feedbacks whose queue growth was over-use before the trendline said so
        self._fast_overuse_at_s = -math.inf
        self._has_transport_cc = False
        self._pending_results: list[PacketResult] = []
        self._last_group: tuple[float, float] | None = None  # (send_s, arrival_s) of the last complete group
        self._group: list[PacketResult] = []
        self._last_update_s: float | None = None
        self._last_loss_cut_s = -math.inf
        self._last_loss_update_s: float | None = None
        self._clean_since_s: float | None = None
        self._last_overuse_cut_s = -math.inf
        self.overuse_cuts = 0  # delay-based cuts so far (each means a queue built up)
        self.delay_state = NORMAL
        self.loss_fraction: float | None = None
        self.rtt_s: float | None = None
        self.queue_delay_ms: float | None = None  # RTT above the recent minimum (without transport-cc)
        self.delay_trend: float | None = None  # trendline slope (with transport-cc)
        self.delay_threshold_ms: float | None = None
        self.limited_by = "initial"
        self._lock = threading.RLock()

    # -- feedback ---------------------------------------------------------------------------------
    def on_sent(self, payload_bytes: int, packets: int = 1, now: float | None = None) -> None:
        """What left the sender (media and retransmissions), for the send rate."""
        with self._lock:
            self._sent.append((self._now(now), int(payload_bytes), int(packets)))

    def on_receiver_report(
        self,
        ssrc: int,
        *,
        fraction_lost: float,
        rtt_s: float | None = None,
        jitter_s: float | None = None,
        weight: float = 1.0,
        now: float | None = None,
    ) -> None:
        """One RTCP report block about ``ssrc`` (fraction lost 0..1; ``weight`` e.g. that
        stream's share of the packets, so a tiny audio stream does not speak for the video)."""
        with self._lock:
            t = self._now(now)
            self._reports[ssrc] = _Report(min(1.0, max(0.0, float(fraction_lost))), rtt_s, jitter_s, max(0.0, weight), t)
            self._new_reports = True
            if rtt_s is not None and rtt_s > 0:
                self._rtts.append((t, float(rtt_s)))

    def on_nacks(self, count: int, now: float | None = None) -> None:
        """``count`` sequence numbers NACKed by the receiver."""
        if count > 0:
            with self._lock:
                self._nacks.append((self._now(now), int(count)))

    def on_remb(self, bitrate_bps: int, now: float | None = None) -> None:
        """The receiver's maximum bitrate (REMB): an upper bound on the estimate for a while."""
        with self._lock:
            self.remb_bps = int(bitrate_bps)
            self._remb_at_s = self._now(now)

    def on_packet_results(self, results: Iterable[PacketResult], now: float | None = None) -> None:
        """Transport-wide CC feedback turned into per-packet results (switches the delay-based
        part from RTT growth to the trendline detector)."""
        with self._lock:
            self._has_transport_cc = True
            self._pending_results.extend(results)

    # -- the update ---------------------------------------------------------------------------------
    def update(self, now: float | None = None) -> int:
        """Recompute the estimate (call every ~200 ms); returns it in bit/s."""
        with self._lock:
            t = self._now(now)
            dt = 0.0 if self._last_update_s is None else max(0.0, t - self._last_update_s)
            self._last_update_s = t
            self._expire(t)
            send_bps = self.send_rate_bps(t)
            loss = self._loss_fraction(t)
            if loss is not None:
                self.loss_fraction = loss  # stats keep the last known figure
            self.rtt_s = self._recent_rtt()
            self._update_loss_based(t, loss)
            self._update_delay_based(t, dt, send_bps, loss)
            if (loss is None or loss < LOSS_LOW) and self.delay_state == NORMAL:
                if self._clean_since_s is None:
                    self._clean_since_s = t
            else:
                self._clean_since_s = None
            candidates = {"loss": self.loss_based_bps, "delay": self.delay_based_bps}
            if self.remb_bps is not None:
                candidates["remb"] = float(self.remb_bps)
            self.limited_by = min(candidates, key=lambda k: candidates[k])
            estimate = min(candidates.values())
            self.estimate_bps = int(min(max(estimate, self.min_bps), self.max_bps))
            # Neither part may run away above what the other allows (GCC: A_s ≤ A_d).
            ceiling = max(self.estimate_bps * 1.5, self.min_bps)
            self.loss_based_bps = min(self.loss_based_bps, ceiling, self.max_bps)
            self.delay_based_bps = min(self.delay_based_bps, ceiling, self.max_bps)
            return self.estimate_bps

    def _growth(self, t: float, normal_per_s: float) -> float:
        clean = self._clean_since_s is not None and t - self._clean_since_s >= RECOVERY_CLEAN_S
        return RECOVERY_INCREASE_PER_S if clean else normal_per_s

    def _update_loss_based(self, t: float, loss: float | None) -> None:
        if loss is None:
            return
        dt = 0.0 if self._last_loss_update_s is None else min(2.0, t - self._last_loss_update_s)
        self._last_loss_update_s = t
        if loss < LOSS_LOW:
            self.loss_based_bps = min(self.max_bps, self.loss_based_bps * self._growth(t, LOSS_INCREASE_PER_S) ** dt)
        elif loss > LOSS_HIGH:
            rtt = self.rtt_s or 0.1
            if t - self._last_loss_cut_s >= rtt + LOSS_DECREASE_INTERVAL_S:
                self.loss_based_bps = max(self.min_bps, self.loss_based_bps * (1.0 - 0.5 * loss))
                self._last_loss_cut_s = t

    def _update_delay_based(self, t: float, dt: float, send_bps: int | None, loss: float | None) -> None:
        if self._has_transport_cc:
            state, received_bps = self._run_trendline()
        else:
            state, received_bps = self._rtt_state(t), None
        self.delay_state = state
        if state == OVERUSE:
            rtt = self.rtt_s or 0.1
            if t - self._last_overuse_cut_s >= rtt + OVERUSE_MIN_INTERVAL_S:
                if received_bps is None and send_bps is not None:
                    received_bps = send_bps * (1.0 - (loss or 0.0))
                basis = min(received_bps, self.delay_based_bps) if received_bps else self.delay_based_bps
                self.delay_based_bps = max(self.min_bps, OVERUSE_BACKOFF * basis)
                self._last_overuse_cut_s = t
                self.overuse_cuts += 1
        elif state == NORMAL:
            self.delay_based_bps = min(self.max_bps, self.delay_based_bps * self._growth(t, DELAY_INCREASE_PER_S) ** dt)
        # UNDERUSE: hold (the queue is draining)

    def _rtt_state(self, t: float) -> str:
        """Without transport-cc: RTT well above the smallest recent RTT means a queue builds."""
        if not self._rtts:
            self.queue_delay_ms = None
            return NORMAL
        baseline = min(rtt for _, rtt in self._rtts)
        latest = self._rtts[-1][1]
        previous = self._rtts[-2][1] if len(self._rtts) >= 2 else latest
        queue_ms = (latest - baseline) * 1000.0
        self.queue_delay_ms = round(queue_ms, 1)
        threshold = max(RTT_OVERUSE_MS, 0.25 * baseline * 1000.0)
        if queue_ms > threshold:
            # Only a queue still growing is over-use (a delay gradient, as in GCC); a standing
            # or draining one holds the estimate — a longer path (higher base RTT) must not
            # cut again and again until the baseline window forgets the old RTT.
            return OVERUSE if latest > previous + RTT_GROWTH_S else UNDERUSE
        if queue_ms > RTT_NORMAL_MS:
            return UNDERUSE  # hold: a queue, but not growing past the threshold
        return NORMAL

    def _run_trendline(self) -> tuple[str, float | None]:
        results = sorted((r for r in self._pending_results if r.arrival_s is not None), key=lambda r: r.send_time_s)
        self._pending_results = []
        received = results
        received_bps = None
        if len(received) >= 2:
            # The arrivals' span without idle gaps: a path that got longer all at once delivers
            # nothing for the length of the step (220 ms on the cross-border link), which is not
            # capacity — counted in, the cut after it went to a third of what was flowing.
            # A gap counts up to MAX_ARRIVAL_GAP_S, or twice the gap between the two packets' sends
            # (a sparse flow — 15 fps, one layer — keeps its own gaps).
            by_arrival = sorted(received, key=lambda r: r.arrival_s)  # type: ignore[arg-type,return-value]
            span = sum(
                min(b.arrival_s - a.arrival_s, max(MAX_ARRIVAL_GAP_S, 2.0 * abs(b.send_time_s - a.send_time_s)))  # type: ignore[operator]
                for a, b in zip(by_arrival, by_arrival[1:])
            )
            if span > 0.05:
                received_bps = sum(r.size_bytes for r in received) * 8.0 / span
        for result in results:
            if self._group and result.send_time_s - self._group[0].send_time_s > 0.005:
                self._close_group()
            self._group.append(result)
        self.delay_trend = round(self._detector.trend, 5)
        self.delay_threshold_ms = round(self._detector.threshold_ms, 2)
        state = self._detector.state
        now_s = self._last_update_s if self._last_update_s is not None else 0.0
        if self._queue_grew_fast(results):
            if state != OVERUSE:
                self.fast_overuses += 1
            self._fast_overuse_at_s = now_s
            return OVERUSE, received_bps
        if state == OVERUSE and now_s - self._fast_overuse_at_s < FAST_OVERUSE_HOLD_S:
            # The trendline catching up with the growth the fast path already cut for (it lags by
            # ~0.4 s): hold while the queue drains instead of cutting a second time — a longer path
            # was cut to 0.85 × 0.85 of what flowed and paused the top layer.  A queue that goes on
            # growing fast is still over-use (above).
            return UNDERUSE, received_bps
        return state, received_bps

    def _queue_grew_fast(self, results: list[PacketResult]) -> bool:
        """The mean queueing delay of this feedback's packets (one-way delay above the least of the
        last QUEUE_FLOOR_WINDOW_S; sender and receiver clocks differ by a constant) is high and
        grew fast since the previous feedback."""
        if not results:
            return False
        floor = self._delay_floor
        delays = []
        for result in results:
            arrival_s = result.arrival_s
            one_way_ms = (arrival_s - result.send_time_s) * 1000.0  # type: ignore[operator]
            delays.append(one_way_ms)
            while floor and floor[-1][1] >= one_way_ms:  # monotonic queue: the window's minimum at [0]
                floor.pop()
            floor.append((arrival_s, one_way_ms))  # type: ignore[arg-type]
            while floor[0][0] < arrival_s - QUEUE_FLOOR_WINDOW_S:  # type: ignore[operator]
                floor.popleft()
        queue_ms = sum(delays) / len(delays) - floor[0][1]
        previous, self._previous_queue_ms = self._previous_queue_ms, queue_ms
        self.queue_delay_ms = round(queue_ms, 1)
        return previous is not None and queue_ms > FAST_QUEUE_MS and queue_ms - previous > FAST_GROWTH_MS

    def _close_group(self) -> None:
        group, self._group = self._group, []
        send_s = group[-1].send_time_s
        arrival_s = max(r.arrival_s for r in group)  # type: ignore[type-var]
        if self._last_group is not None:
            send_delta = send_s - self._last_group[0]
            arrival_delta = arrival_s - self._last_group[1]
            self._detector.update((arrival_delta - send_delta) * 1000.0, arrival_s)
        self._last_group = (send_s, arrival_s)

    # -- helpers -------------------------------------------------------------------------------------
    def _now(self, now: float | None) -> float:
        return self.clock() if now is None else float(now)

    def _expire(self, t: float) -> None:
        while self._sent and self._sent[0][0] < t - FEEDBACK_WINDOW_S:
            self._sent.popleft()
        while self._nacks and self._nacks[0][0] < t - FEEDBACK_WINDOW_S:
            self._nacks.popleft()
        while self._rtts and self._rtts[0][0] < t - RTT_BASELINE_WINDOW_S:
            self._rtts.popleft()
        for ssrc in [s for s, r in self._reports.items() if r.at_s < t - 5.0]:
            del self._reports[ssrc]
        if self._remb_at_s is not None and t - self._remb_at_s > REMB_TTL_S:
            self.remb_bps, self._remb_at_s = None, None

    def send_rate_bps(self, now: float | None = None) -> int | None:
        with self._lock:
            if not self._sent:
                return None
            return int(sum(b for _, b, _ in self._sent) * 8 / FEEDBACK_WINDOW_S)

    def _loss_fraction(self, t: float) -> float | None:
        """Loss from the reports that arrived since the last update (weighted), or from the
        NACK rate when that says more (it is faster than the ~1 s report cadence)."""
        rr_loss = None
        if self._new_reports and self._reports:
            total = sum(r.weight for r in self._reports.values())
            if total > 0:
                rr_loss = sum(r.fraction_lost * r.weight for r in self._reports.values()) / total
            self._new_reports = False
        nack_loss = None
        packets = sum(p for _, _, p in self._sent)
        if packets >= NACK_MIN_PACKETS:
            nack_loss = min(1.0, sum(n for _, n in self._nacks) / packets)
        if rr_loss is None:
            # Without a fresh report, NACKs only ever confirm trouble (never claim "no loss").
            return nack_loss if nack_loss is not None and nack_loss >= LOSS_LOW else None
        return max(rr_loss, nack_loss or 0.0)

    def _recent_rtt(self) -> float | None:
        return self._rtts[-1][1] if self._rtts else self.rtt_s

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "estimate_bps": self.estimate_bps,
                "loss_based_bps": int(self.loss_based_bps),
                "delay_based_bps": int(self.delay_based_bps),
                "remb_bps": self.remb_bps,
                "limited_by": self.limited_by,
                "delay_state": self.delay_state,
                "delay_source": "transport-cc" if self._has_transport_cc else "rtt",
                "loss_fraction": None if self.loss_fraction is None else round(self.loss_fraction, 4),
                "rtt_ms": None if self.rtt_s is None else round(self.rtt_s * 1000.0, 1),
                "queue_delay_ms": self.queue_delay_ms,
                "delay_trend": self.delay_trend,
                "delay_threshold_ms": self.delay_threshold_ms,
                "fast_overuses": self.fast_overuses,
                "send_rate_bps": self.send_rate_bps(),
            }


# ----------------------------------------------------------------------------------------------
# The ladder controller
@dataclass
class LayerBudget:
    """One layer as the controller sees it (``rid`` highest quality first in the ladder)."""

    rid: str
    nominal_bps: int
    min_bps: int
    target_bps: int
    state: str = ACTIVE
    changed_at_s: float = -math.inf
    paused_at_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"rid": self.rid, "state": self.state, "target_bps": self.target_bps, "nominal_bps": self.nominal_bps, "min_bps": self.min_bps}


@dataclass(frozen=True)
class Decision:
    """One thing the controller decided: ``kind`` is ``pause``, ``resume`` or ``bitrate``."""

    t: float
    kind: str
    rid: str
    estimate_bps: int
    bitrate_bps: int | None = None
    reason: str = ""

    def message(self) -> str:
        """The decision in words (translated)."""
        return _(DECISION_LABELS[self.kind]).format(
            rid=self.rid,
            estimate=round(self.estimate_bps / 1000),
            bitrate=round((self.bitrate_bps or 0) / 1000),
        )

    def as_dict(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "kind": self.kind, "rid": self.rid, "estimate_bps": self.estimate_bps,
                "bitrate_bps": self.bitrate_bps, "reason": self.reason}


class LadderController:
    """Turns a bandwidth estimate into per-layer targets and pause/resume decisions.

    ``layers``: ``(rid, nominal_bps)`` pairs or objects with ``rid``/``bitrate_bps``, highest
    quality first.  ``reserved_bps``: what else shares the link (audio).  ``utilization``: the
    share of the estimate given to video payload (packet overhead + headroom).  A layer never
    goes below ``min_fraction`` × its nominal bitrate; below that it is paused instead (not the
    lowest, which only gets thinner, down to ``floor_bps``).
    """

    def __init__(
        self,
        layers: Sequence[Any],
        *,
        reserved_bps: int = 0,
        utilization: float = DEFAULT_UTILIZATION,
        min_fraction: float = 0.4,
        floor_bps: int = 50_000,
        pause_hold_s: float = 1.0,
        resume_hold_s: float = 5.0,
        resume_factor: float = 1.3,
        max_resume_hold_s: float = 60.0,
        flap_window_s: float = 10.0,
        min_change: float = 0.1,
        decrease_interval_s: float = 0.5,
        increase_interval_s: float = 2.0,
        history: int = 64,
        clock: Clock = time.monotonic,
    ) -> None:
        if not layers:
            raise ValueError("the controller needs at least one layer")
        self.reserved_bps = int(reserved_bps)
        self.utilization = float(utilization)
        self.floor_bps = int(floor_bps)
        self.pause_hold_s = pause_hold_s
        self.base_resume_hold_s = resume_hold_s
        self.resume_hold_s = resume_hold_s
        self.resume_factor = resume_factor
        self.max_resume_hold_s = max_resume_hold_s
        self.flap_window_s = flap_window_s
        self.min_change = min_change
        self.decrease_interval_s = decrease_interval_s
        self.increase_interval_s = increase_interval_s
        self.clock = clock
        self._specs: list[tuple[str, int]] = []
        for layer in layers:
            rid, nominal = (layer if isinstance(layer, tuple) else (layer.rid, layer.bitrate_bps))
            self._specs.append((str(rid), int(nominal)))
        self.min_fraction = float(min_fraction)
        self.layers: list[LayerBudget] = self._fresh_layers(None)
        self.history: collections.deque[Decision] = collections.deque(maxlen=history)
        self.estimate_bps: int | None = None
        self._below_since_s: float | None = None
        self._above_since_s: float | None = None
        self._last_resume: tuple[str, float] | None = None
        self._lock = threading.RLock()

    def _fresh_layers(self, rids: Iterable[str] | None) -> list[LayerBudget]:
        keep = set(rids) if rids is not None else None
        specs = [(rid, nominal) for rid, nominal in self._specs if keep is None or rid in keep] or self._specs
        return [LayerBudget(rid, nominal, max(1, int(nominal * self.min_fraction)), nominal) for rid, nominal in specs]

    def set_nominal(self, rid: str, nominal_bps: int) -> None:
        """The host changed a layer's bitrate: it becomes that layer's ceiling (and minimum base)."""
        with self._lock:
            self._specs = [(r, int(nominal_bps) if r == rid else n) for r, n in self._specs]
            for layer in self.layers:
                if layer.rid == rid:
                    layer.nominal_bps = int(nominal_bps)
                    layer.min_bps = max(1, int(nominal_bps * self.min_fraction))
                    layer.target_bps = min(layer.target_bps, layer.nominal_bps)

    # -- queries ------------------------------------------------------------------------------------
    def layer(self, rid: str) -> LayerBudget:
        return next(layer for layer in self.layers if layer.rid == rid)

    @property
    def active(self) -> list[LayerBudget]:
        return [layer for layer in self.layers if layer.state == ACTIVE]

    def budget_bps(self, estimate_bps: int) -> int:
        return max(0, int(estimate_bps * self.utilization) - self.reserved_bps)

    def needed_bps(self, layers: Iterable[LayerBudget]) -> int:
        """The least the given layers can run on (the lowest at its floor if alone)."""
        layers = list(layers)
        return sum(layer.min_bps for layer in layers)

    def pause_threshold_bps(self) -> int | None:
        """Estimate below which the top active layer is paused (None: only the lowest is left)."""
        active = self.active
        if len(active) <= 1:
            return None
        return int(math.ceil((self.needed_bps(active) + self.reserved_bps) / self.utilization))

    def resume_threshold_bps(self) -> int | None:
        """Estimate the next paused layer needs (held for ``resume_hold_s``) to resume."""
        candidate = self._next_to_resume()
        if candidate is None:
            return None
        needed = self.needed_bps([*self.active, candidate])
        return int(math.ceil(self.resume_factor * (needed + self.reserved_bps) / self.utilization))

    def _next_to_resume(self) -> LayerBudget | None:
        # The lowest paused layer (the ladder comes back bottom-up).
        paused = [layer for layer in self.layers if layer.state == PAUSED]
        return paused[-1] if paused else None

    # -- the decision step -----------------------------------------------------------------------------
    def reset(self, rids: Iterable[str] | None = None) -> None:
        """Every layer (or only ``rids``, e.g. the published ones) active at nominal again —
        after a reconnect, when the ladder was resumed wholesale."""
        with self._lock:
            self.layers = self._fresh_layers(rids)
            self._below_since_s = self._above_since_s = None

    def update(self, estimate_bps: int, now: float | None = None) -> list[Decision]:
        """One step: returns the new decisions (also logged and kept in :attr:`history`)."""
        with self._lock:
            t = self.clock() if now is None else float(now)
            self.estimate_bps = int(estimate_bps)
            decisions: list[Decision] = []
            self._pause_or_resume(t, decisions)
            self._retarget(t, decisions)
            for decision in decisions:
                self.history.append(decision)
                log.info("congestion: %s [%s]", decision.message(), decision.reason)
            return decisions

    def _pause_or_resume(self, t: float, decisions: list[Decision]) -> None:
        estimate = self.estimate_bps or 0
        pause_at = self.pause_threshold_bps()
        if pause_at is not None and estimate < pause_at:
            self._above_since_s = None
            if self._below_since_s is None:
                self._below_since_s = t
            if t - self._below_since_s >= self.pause_hold_s - 1e-6:
                top = self.active[0]
                top.state, top.paused_at_s = PAUSED, t
                if self._last_resume is not None and self._last_resume[0] == top.rid and t - self._last_resume[1] < self.flap_window_s:
                    # It came back and could not hold: wait longer before the next try.
                    self.resume_hold_s = min(self.max_resume_hold_s, self.resume_hold_s * 2)
                decisions.append(Decision(t, PAUSE, top.rid, estimate, None, f"estimate {estimate} < {pause_at}"))
                self._below_since_s = t  # the next layer down needs its own hold
            return
        self._below_since_s = None
        resume_at = self.resume_threshold_bps()
        if resume_at is None or estimate < resume_at:
            self._above_since_s = None
            return
        if self._above_since_s is None:
            self._above_since_s = t
        if t - self._above_since_s >= self.resume_hold_s - 1e-6:
            layer = self._next_to_resume()
            assert layer is not None
            layer.state, layer.paused_at_s = ACTIVE, None
            layer.target_bps = layer.min_bps
            layer.changed_at_s = t
            self._last_resume = (layer.rid, t)
            decisions.append(Decision(t, RESUME, layer.rid, estimate, layer.min_bps,
                                      f"estimate {estimate} >= {resume_at} for {self.resume_hold_s:g} s"))
            self._above_since_s = t  # the next layer up waits its own hold
        if self._last_resume is not None and t - self._last_resume[1] > self.flap_window_s * 3:
            self.resume_hold_s = self.base_resume_hold_s  # stable again: forget the back-off

    def allocate(self, budget_bps: int) -> dict[str, int]:
        """Targets for the active layers: minimums first, then the rest bottom-up to nominal."""
        active = self.active
        targets = {layer.rid: layer.min_bps for layer in active}
        left = budget_bps - sum(targets.values())
        if left < 0 and len(active) == 1:
            only = active[0]
            targets[only.rid] = max(self.floor_bps, min(only.min_bps, budget_bps))
            return targets
        for layer in reversed(active):
            extra = min(max(0, left), layer.nominal_bps - layer.min_bps)
            targets[layer.rid] += extra
            left -= extra
        return targets

    def _retarget(self, t: float, decisions: list[Decision]) -> None:
        estimate = self.estimate_bps or 0
        targets = self.allocate(self.budget_bps(estimate))
        for layer in reversed(self.active):
            new = targets[layer.rid]
            old = layer.target_bps
            if new == old:
                continue
            change = abs(new - old) / max(old, 1)
            to_nominal = new == layer.nominal_bps
            if change < self.min_change and not to_nominal:
                continue
            interval = self.decrease_interval_s if new < old else self.increase_interval_s
            if t - layer.changed_at_s < interval:
                continue
            layer.target_bps, layer.changed_at_s = new, t
            decisions.append(Decision(t, BITRATE, layer.rid, estimate, new, f"{old} -> {new}"))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "estimate_bps": self.estimate_bps,
                "layers": [layer.as_dict() for layer in self.layers],
                "pause_threshold_bps": self.pause_threshold_bps(),
                "resume_threshold_bps": self.resume_threshold_bps(),
                "resume_hold_s": self.resume_hold_s,
                "decisions": [d.as_dict() for d in list(self.history)[-10:]],
            }


__all__ = [
    "ACTIVE",
    "BandwidthEstimator",
    "Decision",
    "LadderController",
    "LayerBudget",
    "PAUSED",
    "TrendlineDetector",
    "layer_state_label",
    "ladder_ceiling_bps",
]
