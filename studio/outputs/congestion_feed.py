"""Feeds what the senders heard into the bandwidth estimator, and the estimate back out.

The estimator (:class:`~studio.outputs.congestion.BandwidthEstimator`) knows nothing of
senders; the senders only count (:class:`~studio.outputs.packets.SenderCounters`).  Every
``CONGESTION_INTERVAL_S`` on the network thread :class:`CongestionFeed` hands the estimator
what changed since the last step (bytes sent, NACKs, receiver reports, REMB, transport-cc
results), sets the connection's send budget from the estimate (draining a standing queue
after a delay-based cut) and emits ``on_estimate.emit(estimate_bps=)``, whose listeners (the
live session's ladder controller) adapt the encoders.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Iterable

from studio.core.events import Signal
from studio.outputs.congestion import BandwidthEstimator

log = logging.getLogger(__name__)

CONGESTION_INTERVAL_S = 0.2  # feedback -> estimator -> controller, on the network thread
FEEDBACK_STEP_GAP_S = 0.02  # steps on transport-cc feedback are at least this far apart
MIN_ESTIMATE_BPS = 100_000
ESTIMATE_LOG_CHANGE = 0.15  # log the estimate when it moved this much since last logged
# The connection's send budget as a share of the estimate.  Not above 1: after a delay-based
# cut the estimate sits just under the bottleneck, and the standing queue built before the
# cut only drains at (link - budget); measured at 800 kbit/s, 1.1 kept the lowest layer's
# packets queued ~200 ms longer.  At the start the estimate is the ladder's ceiling (no limit).
LINK_BUDGET_HEADROOM = 1.0
# After a delay-based cut the queue built before it still stands (the cut lands at 0.85 x
# what got through, so it drains slowly and every packet — the lowest layer's, and the
# retransmissions that would repair it — waits behind it).  For LINK_DRAIN_S the budget is
# LINK_DRAIN_FACTOR x the estimate: at 800 kbit/s that drains most of a full 200 ms queue.
# Short, so the estimator's next measurement of what got through is hardly affected.
LINK_DRAIN_S = 0.3
LINK_DRAIN_FACTOR = 0.5


class CongestionFeed:
    """Sender counters in, one estimate out; lives across reconnects (same network).

    ``ceiling_bps``: the estimator's start and maximum (what the whole ladder needs).
    """

    def __init__(self, ceiling_bps: int, *, on_estimate: Signal | None = None) -> None:
        self.estimator = BandwidthEstimator(initial_bps=ceiling_bps, min_bps=MIN_ESTIMATE_BPS, max_bps=ceiling_bps)
        self.on_estimate = on_estimate if on_estimate is not None else Signal()
        self._seen: dict[int, dict[str, int]] = {}  # ssrc -> counters already fed
        self._overuse_cuts_seen = 0
        self._drain_until = -1.0
        self._logged_estimate_bps: int | None = None

    def reset(self) -> None:
        """A new session: its senders count from zero."""
        self._seen = {}

    @staticmethod
    async def run(step: Callable[[], Any], feedback: asyncio.Event | None = None) -> None:
        """Call ``step()`` (which calls :meth:`step`) until cancelled: as soon as ``feedback`` is
        set (transport-cc feedback arrived; at least FEEDBACK_STEP_GAP_S apart), and every
        CONGESTION_INTERVAL_S whatever arrives.  Stepping on the feedback, as libwebrtc's GoogCC
        does, acts on a queue building up one feedback interval (Janus: 100 ms) sooner on average
        than a 200 ms timer — the queue at a step down overflows within ~0.2 s."""
        while True:
            if feedback is None:
                await asyncio.sleep(CONGESTION_INTERVAL_S)
            else:
                try:
                    await asyncio.wait_for(feedback.wait(), CONGESTION_INTERVAL_S)
                except asyncio.TimeoutError:
                    pass
                feedback.clear()
            try:
                step()
            except Exception:  # adaptation failing must never cost the stream
                log.exception("congestion step failed")
            if feedback is not None:
                await asyncio.sleep(FEEDBACK_STEP_GAP_S)  # feedback arriving in a burst: one step

    def step(self, video: Any, senders: Iterable[Any], now: float | None = None) -> int:
        """Feed what changed on every sender since the last step; returns the estimate."""
        estimator = self.estimator
        for sender in senders:
            self._feed_sender(sender, now)
        take_results = getattr(video, "take_transport_results", None)
        results = take_results() if take_results is not None else []
        if results:
            estimator.on_packet_results(results, now=now)
        estimate = estimator.update(now)
        self._set_link_budget(video, estimate, now)
        self._log(estimate)
        self.on_estimate.emit(estimate_bps=estimate)
        return estimate

    def _feed_sender(self, sender: Any, now: float | None) -> None:
        estimator = self.estimator
        counters = sender.counters
        seen = self._seen.setdefault(
            sender.ssrc, {"bytes": 0, "packets": 0, "nacks": 0, "reports": 0, "remb": 0, "packets_at_report": 0, "rtts": 0}
        )
        sent_bytes = counters.payload_bytes + counters.retransmit_bytes
        sent_packets = counters.packets + counters.retransmits
        if sent_bytes > seen["bytes"]:
            estimator.on_sent(sent_bytes - seen["bytes"], sent_packets - seen["packets"], now=now)
        seen["bytes"], seen["packets"] = sent_bytes, sent_packets
        if counters.nacked_packets > seen["nacks"]:  # distinct packets: a repeated NACK is not a new loss
            estimator.on_nacks(counters.nacked_packets - seen["nacks"], now=now)
            seen["nacks"] = counters.nacked_packets
        if counters.reports > seen["reports"] and counters.fraction_lost is not None:
            weight = max(1, sent_packets - seen["packets_at_report"])
            fresh_rtt = counters.rtt_samples > seen["rtts"]  # not every block names a report of ours
            estimator.on_receiver_report(
                sender.ssrc, fraction_lost=counters.fraction_lost, rtt_s=counters.rtt_s if fresh_rtt else None,
                jitter_s=counters.jitter_s, weight=weight, now=now,
            )
            seen["reports"], seen["packets_at_report"], seen["rtts"] = counters.reports, sent_packets, counters.rtt_samples
        if counters.remb_updates > seen["remb"] and counters.remb_bps is not None:
            estimator.on_remb(counters.remb_bps, now=now)
            seen["remb"] = counters.remb_updates

    def _set_link_budget(self, video: Any, estimate: int, now: float | None) -> None:
        set_link_budget = getattr(video, "set_link_budget", None)
        cuts = self.estimator.overuse_cuts
        if cuts != self._overuse_cuts_seen:
            # A delay-based cut means a queue stands in the bottleneck: drain it first.
            self._overuse_cuts_seen = cuts
            self._drain_until = (time.monotonic() if now is None else now) + LINK_DRAIN_S
        is_draining = (time.monotonic() if now is None else now) < self._drain_until
        if set_link_budget is not None:
            # All layers together stay within the estimate; the lowest layer goes first.
            set_link_budget(estimate * (LINK_DRAIN_FACTOR if is_draining else LINK_BUDGET_HEADROOM))

    def _log(self, estimate: int) -> None:
        logged = self._logged_estimate_bps
        if logged is None or abs(estimate - logged) > ESTIMATE_LOG_CHANGE * logged:
            self._logged_estimate_bps = estimate
            snap = self.estimator.snapshot()
            log.info(
                "congestion: estimate %d kbit/s (limited by %s; loss %s, rtt %s ms, delay %s)",
                estimate // 1000, snap["limited_by"], snap["loss_fraction"], snap["rtt_ms"], snap["delay_state"],
            )


__all__ = ["CONGESTION_INTERVAL_S", "CongestionFeed", "MIN_ESTIMATE_BPS"]
