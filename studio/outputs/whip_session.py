"""One WHIP session: the peer connection, its offer and answer, and its teardown.

:class:`WhipSession` builds an ``RTCPeerConnection`` with the tracks (audio, one sender per
simulcast layer, the events channel if asked), makes aiortc's offer and adds simulcast to it,
POSTs it with the WHIP client (after DELETEing a session a lost connection left behind),
reads the answer — which layers it accepted, whether it kept transport-wide CC and the
events channel — tells the host when fewer layers go out than were offered, applies it, and
at the end DELETEs the resource and closes everything, each step time-boxed.  The publisher
runs one per (re)connection on its network loop and keeps what outlives it.

ICE servers.  Configured STUN/TURN servers are used from the offer on; every TURN URL gets a
relay (UDP, TCP and TLS in parallel, :mod:`studio.outputs.aiortc_adapter.turn`), not only
aiortc's first one.  Servers the *endpoint* names (``Link: <turn:…>; rel="ice-server"`` in the
201, RFC 9725 §4.6) are used on the first attempt too, when the host configured none (§4.6:
servers configured on the client, with long-term credentials, may override the endpoint's).
The choice, and why:

* RFC 9725 §4.6 returns the servers only in the POST's answer, and notes that a client "may
  need to call the setConfiguration method before calling the setLocalDescription method
  ... in order to avoid having to perform an ICE restart" for them to apply — i.e. the
  servers should reach the gathering that the checks use, restart or not.  The OPTIONS
  pre-flight some drafts allowed (Eyevinn's whip client ``iceConfigFromEndpoint``,
  simple-whip-client ``--follow-link``) was NOT RECOMMENDED there and is not sent here.
* OBS's WHIP output (obs-webrtc, PR #10524 "Add Link Header support") creates its peer
  connection with ``disableAutoGathering``, POSTs the offer, then gathers with the Link
  header's servers (``gatherLocalCandidates(iceServers)``) before checks start; the relay is
  never signalled: the server learns it as peer-reflexive from the first check
  (RFC 8445 §7.3.1.3), which every full or lite ICE agent must accept.
* aiortc gathers inside ``setLocalDescription`` (no trickle, no ``setConfiguration``), so
  :meth:`WhipSession.adopt_endpoint_ice_servers` does OBS's step after the fact: between the
  answer and ``setRemoteDescription`` it gives the ICE transport a freshly gathered
  connection with the same ufrag/password and role, a relay on each TURN URL.  This needs no
  PATCH support (an ICE restart through :mod:`~studio.outputs.aiortc_adapter.ice_restart`
  would: ``Accept-Patch``, and it restarts only a connection whose DTLS is up, so not one
  that never connected), no second POST (a re-offer would create and DELETE a session, and
  some servers refuse a second publisher for a while), and costs one TURN allocation per URL,
  in parallel (2 round trips: the 401 challenge, then the authenticated Allocate; slower
  relays get 1 s once one is up, a silent TURN server at most 5 s — 1.1-1.2 s in all with UDP
  blocked in tests/studio/outputs/test_turn_janus.py, where Janus's admin API shows the
  relay learned as ``prflx``).  STUN-only links are not
  re-gathered for: toward an SFU our first check tells it our mapped address anyway.
* If ICE still fails before the first live, one more session runs with the endpoint's
  servers configured from the offer (the older behaviour, kept as the fallback).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from studio.core.events import Signal
from studio.core.i18n import _
from studio.outputs.aiortc_adapter.codecs import codec_preferences
from studio.outputs.aiortc_adapter.receive import loopback_candidates
from studio.outputs.aiortc_adapter.send import RID_URI, PacketSender, attach_packet_sender
from studio.outputs.aiortc_adapter.simulcast import SimulcastVideo
from studio.outputs.aiortc_adapter.tracks import EncodedAudioTrack
from studio.outputs.aiortc_adapter.turn import (
    gather_with_relays,
    regather,
    selected_path,
    stun_server,
    turn_servers,
    without_turn,
)
from studio.outputs.clocks import AUDIO_CLOCK_RATE, RtpClock, WallClock
from studio.outputs.errors import OutputError
from studio.outputs.events_channel import EventsChannel
from studio.outputs.publisher_options import PublisherTimeouts
from studio.outputs.reconnect_loop import CLOSE_TIMEOUT_S, DELETE_TIMEOUT_S
from studio.outputs.transport_feedback import TRANSPORT_CC_URI

log = logging.getLogger(__name__)

STALE_DELETE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class SessionPlan:
    """What every session of one publisher offers (the same for each reconnection)."""

    codec: str
    rids: Sequence[str]
    bitrates_bps: dict[str, int]
    simulcast: str
    has_audio: bool
    offer_transport_cc: bool
    allow_loopback: bool
    timeouts: PublisherTimeouts


class WhipSession:
    """One peer connection and its WHIP resource.

    Call :meth:`offer`, set ``client``, then :meth:`delete_stale`, :meth:`publish`,
    :meth:`read_answer` and :meth:`apply_answer` in turn; always :meth:`stop_media` and
    :meth:`close` at the end (whatever step failed).  After :meth:`read_answer`, ``accepted_rids`` (None: no
    simulcast in the answer), ``published_rids`` and ``is_transport_cc_negotiated`` hold; after
    :meth:`apply_answer`, ``negotiated_codec``.
    """

    def __init__(
        self,
        plan: SessionPlan,
        *,
        ice_servers: Sequence[Any],
        wall_clock: WallClock,
        on_keyframe_request: Callable[[str | None], Any],
        events: EventsChannel | None,
        notices: Signal,
    ) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection
        from aiortc.rtcconfiguration import RTCBundlePolicy

        self.plan = plan
        self.notices = notices
        self.events = events
        self.wall_clock = wall_clock
        self.on_keyframe_request = on_keyframe_request
        # TURN URLs are allocated by the adapter (all of them, not only aiortc's first one).
        self._turns = turn_servers(ice_servers)
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=without_turn(ice_servers), bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.client: Any = None
        self.resource: Any = None
        self._post: "asyncio.Future[Any] | None" = None  # the POST while its answer is out
        self.video: SimulcastVideo | None = None
        self.audio_track: EncodedAudioTrack | None = None
        self.audio_sender: PacketSender | None = None
        self.data_channel: Any = None
        self.accepted_rids: list[str] | None = None
        self.published_rids: list[str] = []
        self.is_transport_cc_negotiated = False
        self.negotiated_codec: dict[str, Any] | None = None
        self._offer_sdp = ""
        self._answer: Any = None

    def senders(self) -> list[PacketSender]:
        """The senders whose counters matter: the published layers, then audio."""
        senders = [plan.sender for plan in self.video.published] if self.video is not None else []
        if self.audio_sender is not None:
            senders.append(self.audio_sender)
        return senders

    def _add_tracks(self) -> SimulcastVideo:
        plan, pc = self.plan, self.pc
        if plan.has_audio:
            self.audio_track = EncodedAudioTrack()
            transceiver, self.audio_sender = attach_packet_sender(
                pc, self.audio_track, rtp_clock=RtpClock(AUDIO_CLOCK_RATE), wall_clock=self.wall_clock
            )
            transceiver.setCodecPreferences(codec_preferences("opus"))
        self.video = SimulcastVideo(
            pc,
            plan.rids,
            plan.codec,
            wall_clock=self.wall_clock,
            bitrates_bps=plan.bitrates_bps,
            mode=plan.simulcast,
            on_keyframe_request=self.on_keyframe_request,
            offer_transport_cc=plan.offer_transport_cc,
        )
        if self.events is not None:  # before the offer: it adds the m=application section
            self.data_channel = self.events.create(pc)
        return self.video

    async def offer(self) -> str:
        """Add the tracks; aiortc's offer with simulcast (and transport-cc) added."""
        video = self._add_tracks()
        pc = self.pc
        with loopback_candidates(self.plan.allow_loopback):
            offer = await pc.createOffer()
            if self._turns:  # the relays go into the offer with the host candidates
                self._announce_relays(await gather_with_relays(pc, self._turns))
            await pc.setLocalDescription(offer)
        self._offer_sdp = video.munge_offer(pc.localDescription.sdp)
        return self._offer_sdp

    async def adopt_endpoint_ice_servers(self, servers: Sequence[Any]) -> bool:
        """Use the TURN servers the endpoint named in its answer (RFC 9725 §4.6) on this very
        attempt: call after :meth:`publish`, before :meth:`apply_answer`, when the host
        configured none.  True when a relay is now among the candidates (see the module
        docstring for why this and not an ICE restart or a second offer)."""
        turns = turn_servers(servers)
        if not turns:
            return False
        log.info("using the %d TURN server(s) the WHIP endpoint named", len(turns))
        with loopback_candidates(self.plan.allow_loopback):
            allocated = await regather(self.pc, turns, stun=stun_server(servers))
        self._announce_relays(allocated, turns)
        if allocated:
            self._turns = turns
        return bool(allocated)

    def _announce_relays(self, allocated: Sequence[Any], turns: Sequence[Any] | None = None) -> None:
        """Tell the host when no TURN server gave a relay: where UDP is blocked, that is why
        the connection will not come up."""
        turns = self._turns if turns is None else turns
        if allocated or not turns:
            return
        message = _("No TURN server gave a relay address ({servers}); connecting without one.").format(
            servers=", ".join(turn.label for turn in turns)
        )
        log.warning("%s", message)
        self.notices.emit(code="turn_unavailable", message=message)

    def ice_path(self) -> dict[str, Any] | None:
        """The ICE pair in use (candidate types, relay transport), or None before one."""
        try:
            return selected_path(self.pc)
        except Exception:  # stats must never fail the caller
            log.debug("no ICE path", exc_info=True)
            return None

    async def delete_stale(self, stale_resource: Any) -> None:
        """DELETE the session a lost connection left on the server before POSTing a new one:
        some servers (simple-whip-server) refuse a second publisher on a busy endpoint.
        Raises an unreachable OutputError when that did not work."""
        timeout_s = min(self.plan.timeouts.request_timeout_s, STALE_DELETE_TIMEOUT_S)
        try:
            result = await asyncio.wait_for(self.client.try_delete(stale_resource), timeout_s)
        except asyncio.TimeoutError:
            result = None
        if result is None:
            raise OutputError.unreachable(_("the previous session could not be closed yet"))

    async def publish(self) -> Any:
        """POST the offer; the WHIP resource (answer, ICE servers, PATCH support).

        Shielded: stopping while the server holds our offer must not abandon a session it may
        still create — :meth:`close` waits for the answer and DELETEs what it created."""
        self._post = asyncio.ensure_future(self.client.publish(self._offer_sdp))
        self.resource = await asyncio.shield(self._post)
        self._post = None
        return self.resource

    @property
    def is_posting(self) -> bool:
        """The offer is out and its answer not in yet."""
        return self._post is not None and not self._post.done()

    async def _answer_after_stop(self) -> Any:
        """Stopped while the POST waited: its answer (bounded by the request time-out), or None."""
        post, self._post = self._post, None
        if post is None:
            return None
        try:
            resource = await asyncio.wait_for(asyncio.shield(post), self.plan.timeouts.request_timeout_s)
        except (asyncio.TimeoutError, asyncio.CancelledError, Exception):  # no session, or we cannot know
            post.cancel()
            return None
        log.info("the WHIP server created the session after all; deleting it")
        return resource

    def read_answer(self) -> None:
        """Which layers go out, and whether transport-cc stays (before the answer is applied)."""
        from studio.outputs.sdp import parse_answer

        resource, video = self.resource, self.video
        assert video is not None
        answer = resource.answer if resource.answer is not None else parse_answer(resource.answer_sdp)
        self._answer = answer
        video_info = answer.video
        rid_extension_id = video_info.extmap.get(RID_URI) if video_info is not None else None
        self.accepted_rids = list(answer.accepted_rids) if answer.accepted_rids is not None else None
        self.published_rids = video.apply_answer(self.accepted_rids, rid_extension_id)
        self.is_transport_cc_negotiated = video.enable_transport_cc(
            video_info.extmap.get(TRANSPORT_CC_URI) if video_info is not None and self.plan.offer_transport_cc else None
        )
        self._announce_layers()

    def _announce_layers(self) -> None:
        published, offered = self.published_rids, list(self.plan.rids)
        if self.plan.simulcast == "off" or published == offered:
            return
        if self.video is not None and not self.video.is_rid_stamped:  # no simulcast in the answer (or no rid extension)
            message = _("The server did not accept simulcast; sending one quality layer ({rid}).").format(rid=published[0])
            code = "simulcast_refused"
        else:
            message = _("The server accepted {count} of {total} quality layers ({rids}).").format(
                count=len(published), total=len(offered), rids=", ".join(published)
            )
            code = "layers_reduced"
        log.info("%s", message)
        self.notices.emit(code=code, message=message)

    async def apply_answer(self) -> None:
        """``setRemoteDescription``; an answer aiortc cannot take becomes a typed error."""
        from aiortc import RTCSessionDescription

        answer, offer = self._answer, self._offer_sdp
        try:
            answer_sdp = self.resource.answer_sdp
            if self.data_channel is not None and self.events is not None:
                answer_sdp = self.events.settle(self.data_channel, answer, answer_sdp, offer)
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))
        except OutputError:
            raise
        except Exception as exc:
            text = str(exc)
            if "send parameters" in text or "codec" in text.lower():
                from studio.outputs.sdp import offered_codec_names

                raise OutputError.no_common_codec(offered_codec_names(offer)) from None
            raise OutputError.malformed_answer(type(exc).__name__) from None
        self.negotiated_codec = self._negotiated_codec(answer.video)

    def _negotiated_codec(self, video_info: Any) -> dict[str, Any] | None:
        """The codec in use, with the answer's own fmtp (aiortc keeps its table entry's, which
        for H.264 matches by profile only: the answer's level is what was agreed)."""
        codec = self.video.negotiated_codec() if self.video is not None else None
        if codec is not None and video_info is not None:
            answered = next((c for c in video_info.codecs if c.payload_type == codec["payloadType"]), None)
            if answered is not None and answered.fmtp:
                codec["parameters"] = dict(answered.fmtp)
        return codec

    def stop_media(self) -> None:
        """No more packets in: close the events channel and end the tracks."""
        if self.data_channel is not None and self.events is not None:
            self.events.close(self.data_channel)
        if self.video is not None:
            self.video.stop_tracks()
        if self.audio_track is not None:
            self.audio_track.stop()

    async def close(self, is_stop_requested: Callable[[], bool]) -> Any:
        """DELETE the resource, close the connection and the HTTP client, each time-boxed.

        Returns the resource when its DELETE failed on the way to a reconnection (the next
        session deletes it before its POST), else None."""
        client, resource = self.client, self.resource
        if resource is None:
            resource = await self._answer_after_stop()
        stale = None
        if client is not None and resource is not None:
            try:
                result = await asyncio.wait_for(client.try_delete(resource), DELETE_TIMEOUT_S)
            except (asyncio.TimeoutError, Exception) as exc:  # stopping must finish
                log.warning("WHIP DELETE did not complete: %s", type(exc).__name__)
                result = None
            if result is None and not is_stop_requested():
                stale = resource
        try:
            await asyncio.wait_for(self.pc.close(), CLOSE_TIMEOUT_S)
        except (asyncio.TimeoutError, Exception) as exc:
            log.warning("closing the peer connection did not complete: %s", type(exc).__name__)
        if client is not None:
            try:
                await asyncio.wait_for(client.close(), 1.0)
            except (asyncio.TimeoutError, Exception) as exc:
                log.warning("closing the WHIP client did not complete: %s", type(exc).__name__)
        return stale


__all__ = ["SessionPlan", "WhipSession"]
