"""Simulcast on aiortc: one video transceiver, one :class:`PacketSender` per layer.

aiortc 1.16 has no simulcast.  :class:`SimulcastVideo` follows aiortc's "Shown to work with
Janus" recipe: extra senders on the video transceiver's transport, started together with the
transceiver's own sender when DTLS is up; it publishes exactly the rids the answer accepted,
and turns on transport-wide CC for them when the answer kept it.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from aiortc import RTCPeerConnection
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters

from studio.outputs.aiortc_adapter.codecs import codec_preferences
from studio.outputs.aiortc_adapter.internals import TRANSCEIVER_CODECS_ATTRIBUTE
from studio.outputs.aiortc_adapter.send import PacketSender, attach_packet_sender
from studio.outputs.aiortc_adapter.tracks import DEFAULT_VIDEO_QUEUE_FRAMES, EncodedVideoTrack, KeyframeCallback
from studio.outputs.aiortc_adapter.transport_cc import add_transport_cc_extmap
from studio.outputs.clocks import VIDEO_CLOCK_RATE, RtpClock, WallClock
from studio.outputs.pacing import LINK_BACKLOG_ALLOWANCE_S, LinkBudget, Pacer, pacing_rate_bps
from studio.outputs.retransmission import RedundantCopies
from studio.outputs.transport_feedback import TRANSPORT_CC_URI, PacketResult, TransportCcTracker, parse_transport_cc


@dataclass
class LayerPlan:
    """What one published layer is: its rid, sender and track."""

    rid: str
    sender: PacketSender
    track: EncodedVideoTrack


class SimulcastVideo:
    """The video transceiver with one :class:`PacketSender` per simulcast layer.

    ``rids`` highest quality first (``["h", "m", "l"]``).  ``mode``: ``"rid"`` (RFC 8853),
    ``"ssrc"`` (SSRC-group SIM, for servers that want it) or ``"off"`` (one layer).
    Call :meth:`munge_offer` on aiortc's offer before sending it, :meth:`apply_answer` before
    ``setRemoteDescription``; aiortc then starts every published layer once DTLS is up.
    """

    def __init__(
        self,
        pc: RTCPeerConnection,
        rids: Sequence[str],
        codec: str,
        *,
        wall_clock: WallClock,
        bitrates_bps: dict[str, int] | None = None,
        mode: str = "rid",
        on_keyframe_request: KeyframeCallback | None = None,
        max_queued_frames: int = DEFAULT_VIDEO_QUEUE_FRAMES,
        offer_transport_cc: bool = False,
    ) -> None:
        if not rids:
            raise ValueError("at least one layer is needed")
        if mode not in ("rid", "ssrc", "off"):
            raise ValueError(f"unknown simulcast mode {mode!r}")
        self.rids = list(rids)
        self.mode = mode if len(self.rids) > 1 else "off"
        self.codec = codec
        self.rtp_clock = RtpClock(VIDEO_CLOCK_RATE)
        self.on_keyframe_request = on_keyframe_request
        bitrates_bps = bitrates_bps or {}
        self.tracks: dict[str, EncodedVideoTrack] = {
            rid: EncodedVideoTrack(rid=rid, max_frames=max_queued_frames, on_keyframe_needed=self._keyframe_needed)
            for rid in self.rids
        }
        self.pacers: dict[str, Pacer] = {rid: Pacer(pacing_rate_bps(bitrates_bps.get(rid))) for rid in self.rids}
        self.link_budget = LinkBudget()
        # One policy for all layers (any layer's NACK is a sign of loss); the lowest sends the copies.
        self.redundancy = RedundantCopies()
        options = dict(rtp_clock=self.rtp_clock, wall_clock=wall_clock, on_keyframe_request=self._keyframe_request)
        first = self.rids[0]
        self.transceiver, self.main = attach_packet_sender(pc, self.tracks[first], rid=first, pacer=self.pacers[first], **options)
        self.transceiver.setCodecPreferences(codec_preferences(codec))
        self.spares: list[PacketSender] = [
            PacketSender(self.tracks[rid], self.main.transport, rid=rid, pacer=self.pacers[rid], **options)
            for rid in self.rids[1:]
        ] if self.mode != "off" else []
        self.published: list[LayerPlan] = []
        self.is_rid_stamped = False
        # transport-cc: offered when asked; used when the answer keeps it.
        self.offer_transport_cc = offer_transport_cc
        self.transport_cc: TransportCcTracker | None = None
        self.transport_feedbacks = 0
        self.transport_feedback_errors = 0
        self._transport_results: list[PacketResult] = []
        self.feedback_arrived: asyncio.Event | None = None  # set on each feedback (the publisher's congestion step waits on it)

    # -- keyframes ---------------------------------------------------------------------------------
    def _keyframe_request(self, rid: str | None) -> None:
        if self.on_keyframe_request is not None:
            self.on_keyframe_request(rid)

    def _keyframe_needed(self, rid: str | None) -> None:
        # A mailbox overflow or a sender start: the same kind of need as a PLI.
        if self.on_keyframe_request is not None:
            self.on_keyframe_request(rid)

    # -- negotiation --------------------------------------------------------------------------------
    @property
    def senders(self) -> list[PacketSender]:
        return [self.main, *self.spares]

    def munge_offer(self, offer_sdp: str, cname: str | None = None) -> str:
        """Add simulcast to aiortc's offer (rid lines, or an SSRC group)."""
        from studio.outputs import sdp as sdp_text

        if self.offer_transport_cc:
            offer_sdp, _ext_id = add_transport_cc_extmap(offer_sdp)
        if self.mode == "rid":
            return sdp_text.add_simulcast(offer_sdp, self.rids)
        if self.mode == "ssrc":
            # Janus (and Chrome's SDP) list a SIM group lowest quality first: substream 0.
            ssrcs = [sender._ssrc for sender in reversed(self.senders)]
            return sdp_text.add_ssrc_group_sim(offer_sdp, ssrcs, cname)
        return offer_sdp

    def enable_transport_cc(self, extension_id: int | None) -> bool:
        """After the answer: stamp every published layer's packets with one transport-wide
        sequence and listen for the feedback (True), or not (answer dropped it: False)."""
        if extension_id is None or not self.published:
            return False
        self.transport_cc = TransportCcTracker()
        extension = RTCRtpHeaderExtensionParameters(id=extension_id, uri=TRANSPORT_CC_URI)
        for plan in self.published:
            plan.sender.transport_cc = self.transport_cc
            if all(ext.uri != TRANSPORT_CC_URI for ext in plan.sender.extra_header_extensions):
                plan.sender.extra_header_extensions.append(extension)
        self.main.on_transport_feedback = self._on_transport_feedback
        return True

    def _on_transport_feedback(self, fci: bytes) -> None:
        tracker = self.transport_cc
        if tracker is None:
            return
        try:
            feedback = parse_transport_cc(fci)
        except ValueError:
            self.transport_feedback_errors += 1
            return
        self.transport_feedbacks += 1
        self._transport_results.extend(tracker.results(feedback))
        del self._transport_results[:-4096]  # bounded if nobody drains it
        if self.feedback_arrived is not None:
            self.feedback_arrived.set()  # the congestion step runs now, not at its next tick

    def take_transport_results(self) -> list[PacketResult]:
        """Per-packet results from the transport-cc feedback since the last call (loop thread)."""
        results, self._transport_results = self._transport_results, []
        return results

    def apply_answer(self, accepted_rids: Iterable[str] | None, rid_extension_id: int | None) -> list[str]:
        """Decide which layers go out; returns their rids (highest first).

        rid mode: exactly the accepted rids we offered (the answer's order does not matter),
        stamped with the rid extension; no simulcast in the answer (or no rid extension id):
        the top layer alone, unstamped.  SSRC mode: every layer (SIM has no per-layer answer).
        """
        if self.mode == "ssrc":
            chosen = list(self.rids)
            self.is_rid_stamped = False
        elif self.mode == "rid" and accepted_rids and rid_extension_id is not None:
            accepted = set(accepted_rids)
            chosen = [rid for rid in self.rids if rid in accepted] or [self.rids[0]]
            self.is_rid_stamped = True
        else:
            chosen = [self.rids[0]]
            self.is_rid_stamped = False
        senders = self.senders
        plans = []
        for index, rid in enumerate(chosen):
            sender = senders[index] if self.mode != "ssrc" else senders[self.rids.index(rid)]
            track = self.tracks[rid]
            if sender.track is not track:
                sender.replaceTrack(track)
            sender.rid = rid
            sender.pacer = self.pacers[rid]
            sender.rid_extension_id = rid_extension_id if self.is_rid_stamped else None
            plans.append(LayerPlan(rid, sender, track))
        self.main.siblings = [plan.sender for plan in plans if plan.sender is not self.main]
        for from_bottom, plan in enumerate(reversed(plans)):
            plan.sender.redundancy = self.redundancy
            # With one layer there is no lower one to fall back to, and doubling it costs too much.
            plan.sender.sends_copies = from_bottom == 0 and len(plans) > 1
            plan.sender.link_budget = self.link_budget
            plan.sender.link_backlog_allowance_s = LINK_BACKLOG_ALLOWANCE_S[min(from_bottom, len(LINK_BACKLOG_ALLOWANCE_S) - 1)]
        self.published = plans
        return chosen

    def negotiated_codec(self) -> dict[str, Any] | None:
        """The codec aiortc settled on after the answer: ``{"mimeType", "payloadType", "parameters"}``."""
        codecs = getattr(self.transceiver, TRANSCEIVER_CODECS_ATTRIBUTE, None) or []
        primary = next((c for c in codecs if c.name.lower() != "rtx"), None)
        if primary is None:
            return None
        return {"mimeType": primary.mimeType, "payloadType": primary.payloadType, "parameters": dict(primary.parameters)}

    def layer(self, rid: str) -> LayerPlan | None:
        return next((plan for plan in self.published if plan.rid == rid), None)

    def set_link_budget(self, rate_bps: float | None) -> None:
        """Cap what all layers together send (None: no cap); see :class:`LinkBudget`."""
        self.link_budget.set_rate(rate_bps)

    def set_bitrate(self, rid: str, bitrate_bps: int) -> None:
        """Re-pace ``rid`` for a new target bitrate (any thread)."""
        pacer = self.pacers.get(rid)
        if pacer is not None:
            pacer.set_rate(pacing_rate_bps(bitrate_bps))

    def stop_tracks(self) -> None:
        for track in self.tracks.values():
            track.stop()


__all__ = ["LayerPlan", "SimulcastVideo"]
