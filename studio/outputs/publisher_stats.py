"""The WHIP publisher's ``stats()`` snapshot, and the remote view it includes.

One schema for the ``--stats-jsonl`` file, the health dock and the benchmarks: per-layer
rates, frames, drops and feedback counters from the senders and tracks, round-trip time and
loss from the server's receiver reports (:class:`RemoteStats`, refreshed every second on the
network thread), the congestion estimate, and the reconnect/events-channel details.  Unknown
fields are None, never guessed.
"""
from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any, Iterable

STATS_INTERVAL_S = 1.0


def _median(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(statistics.median(values), 1) if values else None


class RemoteStats:
    """RTT and loss per SSRC as the server reports them (aiortc's ``remote-inbound-rtp``).

    :meth:`collect` runs on the network thread while live; :meth:`get` may be read anywhere.
    """

    def __init__(self) -> None:
        self._by_ssrc: dict[int, dict[str, Any]] = {}  # ssrc -> {rtt_s, fraction_lost, packets_lost, jitter}

    def get(self, ssrc: int) -> dict[str, Any] | None:
        return self._by_ssrc.get(ssrc)

    async def collect(self, senders: Any) -> None:
        """Every STATS_INTERVAL_S until cancelled: read each of ``senders()``'s stats."""
        while True:
            for sender in senders():
                try:
                    report = await sender.getStats()
                except Exception:  # a sender that just stopped
                    continue
                for entry in report.values():
                    if getattr(entry, "type", None) == "remote-inbound-rtp":
                        # The raw round trip of the last report (studio.outputs.round_trip) where the
                        # sender keeps one; aiortc's smoothed figure lags a changed path by ~20 s.
                        own_rtt_s = getattr(getattr(sender, "counters", None), "rtt_s", None)
                        self._by_ssrc[sender.ssrc] = {
                            "rtt_s": own_rtt_s if own_rtt_s is not None else entry.roundTripTime,
                            "fraction_lost": (entry.fractionLost or 0) / 256.0,
                            "packets_lost": entry.packetsLost,
                            "jitter": entry.jitter,
                        }
            await asyncio.sleep(STATS_INTERVAL_S)


def _layer_stats(spec: Any, video: Any, remote: RemoteStats, rtts: list[float], losses: list[float]) -> dict[str, Any]:
    plan = video.layer(spec.rid) if video is not None else None
    track = video.tracks.get(spec.rid) if video is not None else None
    sender = plan.sender if plan is not None else None
    bitrate_bps, fps = sender.recent_rates() if sender is not None else (None, None)
    counters = sender.counters if sender is not None else None
    far = remote.get(sender.ssrc) if sender is not None else None
    if far is not None:
        if far["rtt_s"] is not None:
            rtts.append(far["rtt_s"] * 1000.0)
        losses.append(far["fraction_lost"])
    return {
        "rid": spec.rid,
        "width": (counters.width if counters and counters.width else spec.width),
        "height": (counters.height if counters and counters.height else spec.height),
        "fps": fps,
        "bitrate_bps": bitrate_bps,
        "keyframes": counters.keyframes if counters is not None else 0,
        "active": bool(sender is not None and sender.is_sending and fps),
        "frames_sent": counters.frames if counters is not None else 0,
        "keyframe_requests": counters.keyframe_requests if counters is not None else 0,
        "dropped": track.dropped if track is not None else 0,
        "skipped_before_keyframe": track.skipped_before_keyframe if track is not None else 0,
        "queued": track.queued if track is not None else 0,
        "rtt_ms": round(far["rtt_s"] * 1000.0, 1) if far and far["rtt_s"] is not None else None,
        "loss_fraction": round(far["fraction_lost"], 4) if far else None,
        "remb_bps": counters.remb_bps if counters is not None else None,
        "nacks": counters.nacks if counters is not None else 0,
        "retransmits": counters.retransmits if counters is not None else 0,
        "retransmit_misses": counters.retransmit_misses if counters is not None else 0,
        "capture_to_send_ms_p50": _median(sender.send_delay_ms) if sender is not None else None,
    }


def publisher_stats(
    *,
    state: str,
    layers: Iterable[Any],
    video: Any,
    audio_sender: Any,
    remote: RemoteStats,
    congestion: dict[str, Any],
    available_bitrate_bps: int | None,
    is_transport_cc_negotiated: bool,
    accepted_rids: list[str] | None,
    published_rids: list[str],
    failure: Any,
    reconnect: dict[str, Any],
    sessions: int,
    events_channel: dict[str, Any],
) -> dict[str, Any]:
    """A snapshot in the ``--stats-jsonl`` schema; ``video`` is the live session's
    ``SimulcastVideo`` (None between sessions), ``congestion`` the estimator's snapshot."""
    rtts: list[float] = []
    losses: list[float] = []
    layers = list(layers)
    layer_stats = [_layer_stats(spec, video, remote, rtts, losses) for spec in layers]
    dropped = sum(layer["dropped"] for layer in layer_stats)
    plans = [video.layer(spec.rid) for spec in layers] if video is not None else []
    encoder = next((plan.sender.counters.encoder for plan in plans if plan is not None and plan.sender.counters.encoder), None)
    audio = None
    if audio_sender is not None:
        bitrate_bps, packet_rate = audio_sender.recent_rates()
        audio = {"packets_sent": audio_sender.counters.packets, "bitrate_bps": bitrate_bps, "packet_rate": packet_rate}
        far = remote.get(audio_sender.ssrc)
        if far is not None and far["rtt_s"] is not None:
            rtts.append(far["rtt_s"] * 1000.0)
    return {
        "t": time.time(),
        "state": state,
        "layers": layer_stats,
        "rtt_ms": round(statistics.median(rtts), 1) if rtts else None,
        "loss_fraction": round(max(losses), 4) if losses else None,
        "available_bitrate_bps": available_bitrate_bps,
        "congestion": {
            **congestion,
            "transport_cc": is_transport_cc_negotiated,
            "transport_feedbacks": video.transport_feedbacks if video is not None else None,
            # What all layers together may send (None: no limit) and how often the upper
            # layers had to wait for it.
            "link_budget_bps": round(video.link_budget.rate_bps) if video is not None and video.link_budget.rate_bps else None,
            "link_budget_waits": video.link_budget.waits if video is not None else None,
            # Packets of the lowest layer sent twice on a long, lossy round trip (RedundantCopies).
            "redundant_copies": getattr(getattr(video, "redundancy", None), "copies", None),
            "redundant_copy_bytes": getattr(getattr(video, "redundancy", None), "copy_bytes", None),
        },
        "dropped_frames": dropped,
        "encoder": encoder,
        "accepted_rids": accepted_rids,
        "published_rids": list(published_rids),
        "audio": audio,
        "failure": failure.reason.value if failure is not None else None,
        "failure_message": str(failure) if failure is not None else None,
        **reconnect,
        "sessions": sessions,
        "events_channel": events_channel,
    }


__all__ = ["RemoteStats", "STATS_INTERVAL_S", "publisher_stats"]
