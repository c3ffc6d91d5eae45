"""The WHIP output: publishes encoded layers (simulcast) and the program sound over WebRTC.

:class:`WhipPublisher` is the coordinator.  Encoder threads hand packets in through
:meth:`WhipPublisher.on_packet` (``Ladder(on_packet=publisher.on_packet)``) into bounded
per-layer mailboxes; the Opus thread of :mod:`studio.outputs.audio_track` does the same for
sound.  Keyframe requests from the server (PLI) come back out through
``on_keyframe_request(rid)``; the ladder rate-limits them.  Everything network runs on one
asyncio loop thread (``bridgecast-whip``, a :class:`~studio.core.loop_thread.LoopThread`),
each job in its own unit:

* :mod:`studio.outputs.whip_session` — one WHIP session: offer (rid simulcast added), POST
  with :class:`~studio.outputs.whip.WhipClient`, the answer (exactly the layers it accepted),
  teardown;
* :mod:`studio.outputs.link_watch` — ICE and DTLS up in time; a live connection lost;
* :mod:`studio.outputs.reconnect_loop` — sessions until stop: retries, back-off, ICE restarts;
* :mod:`studio.outputs.congestion_feed` — every 200 ms what the senders heard (receiver
  reports, NACKs, REMB, transport-cc feedback) into a
  :class:`~studio.outputs.congestion.BandwidthEstimator` (``available_bitrate_bps``,
  ``on_estimate``); the live session's
  :class:`~studio.outputs.congestion.LadderController` turns the estimate into ladder bitrates,
  pauses and resumes.  All of it is in ``stats()["congestion"]`` and the log;
* :mod:`studio.outputs.events_channel` — the opt-in events data channel;
* :mod:`studio.outputs.publisher_stats` — ``stats()``.

:class:`studio.golive.session.LiveSession` wires the encoder ladder to this publisher.

States (:class:`~studio.outputs.state.OutputState`): ``connecting`` → ``live`` (→
``reconnecting`` → ``live`` …) → ``stopped``, or ``failed`` with :attr:`WhipPublisher.failure`
(an :class:`~studio.outputs.errors.OutputError` whose ``str()`` is the reason in words).

Reconnection: a loss is aiortc's ``failed/closed`` states, or the server falling silent
(no transport-cc feedback/NACKs, or no RTCP at all without transport-cc, for
``RTCP_SILENCE_S`` while sending, then ``DISCONNECT_GRACE_S`` more).  Once the stream has been
live it is retried until :meth:`WhipPublisher.stop`: an ICE restart through WHIP PATCH when the
server sent ``Accept-Patch: application/trickle-ice-sdpfrag`` (same WHIP session, DTLS and
SRTP: :mod:`studio.outputs.aiortc_adapter.ice_restart`), else fresh WHIP sessions (the stale
one DELETEd first) with the back-off of :mod:`studio.outputs.reconnect`.  Only 401/403 after
having been live ends it (token revoked).  The encoders never stop; every track of a new
session and every layer after an ICE restart starts on a keyframe.  Attempt, next try and last
failure are in ``stats()`` (``reconnect_attempt``, ``next_retry_in_s``, ``last_failure_message``…).  ``on_state.emit(state=..., failure=...)`` runs on
the network thread; ``ui/`` forwards it queued.  The token never reaches a log line.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from typing import Any, Callable, Iterable, Sequence

from encoders.base import EncodedPacket
from encoders.ladder import LayerSpec
from studio.core.clock import now_ns
from studio.core.events import Signal
from studio.core.loop_thread import LoopThread
from studio.core.threads import set_native_name
from studio.outputs.aiortc_adapter.codecs import install_codecs
from studio.outputs.aiortc_adapter.internals import check_internals
from studio.outputs.aiortc_adapter.send import PacketSender
from studio.outputs.aiortc_adapter.simulcast import SimulcastVideo
from studio.outputs.aiortc_adapter.tracks import EncodedAudioTrack
from studio.outputs.clocks import WallClock
from studio.outputs.congestion import ladder_ceiling_bps
from studio.outputs.congestion_feed import CONGESTION_INTERVAL_S, MIN_ESTIMATE_BPS, CongestionFeed
from studio.outputs.errors import OutputError, StopReason
from studio.outputs.events_channel import EVENTS_CHANNEL_LABEL, EVENTS_CHANNEL_OPEN_TIMEOUT_S, EventsChannel
from studio.outputs.link_watch import LossWatch, wait_connected
from studio.outputs.packets import PacketItem
from studio.outputs.publisher_options import (
    DEFAULT_DTLS_TIMEOUT_S,
    DEFAULT_ICE_TIMEOUT_S,
    DEFAULT_REQUEST_TIMEOUT_S,
    DEFAULT_STOP_TIMEOUT_S,
    DISCONNECT_GRACE_S,
    RTCP_SILENCE_S,
    PublisherTimeouts,
    ReconnectPolicy,
)
from studio.outputs.publisher_stats import RemoteStats, publisher_stats
from studio.outputs.reconnect import Backoff, ReconnectStatus
from studio.outputs.reconnect_loop import ReconnectLoop
from studio.outputs.state import STATE_LABELS, EventsChannelState, OutputState, state_label
from studio.outputs.whip_session import SessionPlan, WhipSession

log = logging.getLogger(__name__)

# The states under the names callers import (members of OutputState: equal to the strings).
CONNECTING = OutputState.CONNECTING
LIVE = OutputState.LIVE
RECONNECTING = OutputState.RECONNECTING
STOPPED = OutputState.STOPPED
FAILED = OutputState.FAILED
STATES = tuple(OutputState)
EVENTS_CHANNEL_OFF = EventsChannelState.OFF
EVENTS_CHANNEL_CONNECTING = EventsChannelState.CONNECTING
EVENTS_CHANNEL_OPEN = EventsChannelState.OPEN
EVENTS_CHANNEL_UNAVAILABLE = EventsChannelState.UNAVAILABLE
# The loop thread's name for the OS (top -H, bench pipeline's per-thread CPU).
WHIP_LOOP_THREAD = "whip-loop"
EVENTS_CHANNEL_CLOSED = EventsChannelState.CLOSED
SIMULCAST_MODES = ("rid", "ssrc", "off")
# stop(): the loop thread gets this beyond stop_timeout_s to finish (it cancels what is left).
STOP_JOIN_EXTRA_S = 1.0
STOP_AFTER_POST_EXTRA_S = 4.0  # after a late answer: its DELETE and the connection's close


def _default_client_factory(url: str, token: str | None, timeout_s: float) -> Any:
    from studio.outputs.whip import WhipClient

    return WhipClient(url, token, timeout_s=timeout_s)


class WhipPublisher:
    """Publishes encoded video layers (and Opus from ``audio``, an ``AudioMixer``) over WHIP.

    ``layers`` highest quality first; ``simulcast``: ``"rid"`` (default), ``"ssrc"``
    (SSRC-group SIM, for servers that want it) or ``"off"`` (top layer only).
    ``on_keyframe_request(rid)`` is called (network or encoder thread) when a layer needs a
    keyframe; ``client_factory(url, token, timeout_s)`` makes the WHIP client (tests wrap it).
    ``events_channel=True`` also offers an ordered, reliable data channel for live-show events
    (``on_events_channel``, ``stats()["events_channel"]``; a server that declines it costs
    nothing but the channel — see :class:`studio.live.channel_delivery.ChannelDelivery`).
    The time-outs are grouped in :attr:`timeouts` (:class:`PublisherTimeouts`), the
    reconnection settings in :attr:`reconnect_policy` (:class:`ReconnectPolicy`).
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        layers: Sequence[LayerSpec],
        codec: str = "h264",
        audio: Any = None,
        on_state: Signal | None = None,
        on_keyframe_request: Callable[[str | None], Any] | None = None,
        simulcast: str = "rid",
        ice_servers: Iterable[Any] | None = None,
        request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
        ice_timeout_s: float = DEFAULT_ICE_TIMEOUT_S,
        dtls_timeout_s: float = DEFAULT_DTLS_TIMEOUT_S,
        stop_timeout_s: float = DEFAULT_STOP_TIMEOUT_S,
        reconnect_attempts: int | None = None,
        backoff: Backoff | None = None,
        rtcp_silence_s: float = RTCP_SILENCE_S,
        disconnect_grace_s: float = DISCONNECT_GRACE_S,
        ice_restart: bool = True,
        audio_bitrate_bps: int = 96_000,
        client_factory: Callable[[str, str | None, float], Any] | None = None,
        thread_name: str = "bridgecast-whip",
        allow_loopback: bool | None = None,
        on_audio_packet: Callable[[PacketItem], Any] | None = None,
        transport_cc: bool = True,
        events_channel: bool = False,
        on_events_channel: Signal | None = None,
    ) -> None:
        if not layers:
            raise ValueError("a publisher needs at least one layer")
        if simulcast not in SIMULCAST_MODES:
            raise ValueError(f"simulcast must be one of {SIMULCAST_MODES}, got {simulcast!r}")
        if codec not in ("h264", "vp8"):
            raise ValueError(f"cannot publish {codec!r} (h264 or vp8)")
        check_internals()  # an aiortc that changed under us fails here, loudly, before any thread
        self.url = url
        self._token = token or None
        self.layers = list(layers)
        self.rids = [layer.rid for layer in self.layers]
        self.codec = codec
        self.audio = audio
        self.on_state = on_state if on_state is not None else Signal()
        self.notices = Signal()  # emit(code=str, message=str): things the user should know
        self.on_reconnect = Signal()  # emit(**reconnect_snapshot()) when an attempt is scheduled
        self.on_keyframe_request = on_keyframe_request
        self.simulcast = simulcast if len(self.layers) > 1 else "off"
        self.ice_servers = list(ice_servers or [])
        self.timeouts = PublisherTimeouts(request_timeout_s, ice_timeout_s, dtls_timeout_s, stop_timeout_s)
        # Attempts per outage once the stream has been live (None: forever, until stop()).
        self.reconnect_policy = ReconnectPolicy(
            reconnect_attempts, backoff if backoff is not None else Backoff(), rtcp_silence_s, disconnect_grace_s, ice_restart
        )
        self.audio_bitrate_bps = int(audio_bitrate_bps)
        self._client_factory = client_factory or _default_client_factory
        self.thread_name = thread_name
        self.on_audio_packet = on_audio_packet  # e.g. the recorder: fed even while reconnecting
        # Loopback ICE candidates: needed when the WHIP server is on this machine (the built-in
        # rehearsal receiver), harmless otherwise.  None = decide from the URL's host.
        self.allow_loopback = _is_loopback_url(url) if allow_loopback is None else bool(allow_loopback)
        self.available_bitrate_bps: int | None = None  # set by a bandwidth estimator, never guessed
        self.transport_cc = bool(transport_cc)  # offer transport-wide CC (delay-based estimate)
        self.transport_cc_negotiated = False
        # Events data channel: on_events_channel.emit(state=..., channel=RTCDataChannel|None,
        # reason=str|None) on the network thread.  Never a reason to fail: media go on without it.
        self.events_channel = bool(events_channel)
        self._events = EventsChannel(
            is_requested=self.events_channel,
            notices=self.notices,
            on_events_channel=on_events_channel,
            open_timeout_s=self.timeouts.ice_timeout_s + self.timeouts.dtls_timeout_s + EVENTS_CHANNEL_OPEN_TIMEOUT_S,
        )
        self.on_events_channel = self._events.on_events_channel
        # Congestion: the estimator lives across reconnects (the network is the same one);
        # on_estimate.emit(estimate_bps=int) every CONGESTION_INTERVAL_S on the network thread.
        ceiling_bps = ladder_ceiling_bps(
            sum(layer.bitrate_bps for layer in self.layers), self.audio_bitrate_bps if audio is not None else 0
        )
        self._congestion = CongestionFeed(ceiling_bps)
        self.estimator = self._congestion.estimator
        self.on_estimate = self._congestion.on_estimate

        self._state = STOPPED
        self.failure: OutputError | None = None
        self.accepted_rids: list[str] | None = None  # what the answer accepted (None: no simulcast)
        self.published_rids: list[str] = []  # what goes out
        self.resource_url: str | None = None
        self.negotiated_codec: dict[str, Any] | None = None  # {"mimeType", "payloadType", "parameters"}
        self.sessions = 0  # WHIP sessions the server created (201)
        self.reconnect = ReconnectStatus()  # attempt, next try, last failure, totals
        self._reconnect_loop = ReconnectLoop(
            policy=self.reconnect_policy,
            status=self.reconnect,
            set_state=self._set_state,
            on_reconnect=self.on_reconnect,
            use_learned_ice_servers=self._use_learned_ice_servers,
            allow_loopback=self.allow_loopback,
            on_busy=self.notices,
            request_timeout_s=self.timeouts.request_timeout_s,
        )
        self._stale_resource: Any = None  # a session we could not DELETE yet (server unreachable)
        self.keyframe_requests: dict[str | None, int] = {}
        self.packets_before_live = 0
        self.unknown_rid_packets = 0

        self._state_lock = threading.Condition()
        self._loop_thread: LoopThread | None = None
        self._main_future: concurrent.futures.Future[None] | None = None
        self._stop_event: asyncio.Event | None = None
        self._is_stop_requested = False
        self._wall_clock: WallClock | None = None
        self._session: WhipSession | None = None  # the current session (None between sessions)
        self._video: SimulcastVideo | None = None  # set once packets may flow in
        self._audio_track: EncodedAudioTrack | None = None
        self._audio_source: Any = None
        self._remote_stats = RemoteStats()
        self._learned_ice_servers: list[Any] = []

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> OutputState:
        return self._state

    @property
    def is_live(self) -> bool:
        return self._state == LIVE

    @property
    def is_running(self) -> bool:
        runner = self._loop_thread
        return runner is not None and runner.thread is not None and runner.thread.is_alive()

    def _set_state(self, state: str, failure: OutputError | None = None) -> None:
        state = OutputState(state)
        with self._state_lock:
            if state == self._state and failure is None:
                return
            self._state = state
            if failure is not None:
                self.failure = failure
            self._state_lock.notify_all()
        if state == FAILED and failure is not None:
            log.warning("WHIP publishing failed (%s): %s", failure.reason.value, failure)
        else:
            log.info("WHIP publisher %s", state)
        self.on_state.emit(state=state, failure=self.failure if state == FAILED else None)

    def wait_for_state(self, *states: str, timeout: float | None = None) -> bool:
        """Block until the state is one of ``states``; False on time-out."""
        with self._state_lock:
            return self._state_lock.wait_for(lambda: self._state in states, timeout)

    def wait_live(self, timeout: float | None = None) -> bool:
        """Block until live (True) or failed/stopped/time-out (False)."""
        self.wait_for_state(LIVE, FAILED, STOPPED, timeout=timeout)
        return self._state == LIVE

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the network thread; returns at once (watch ``on_state`` or ``wait_live``).

        The thread is created from the calling thread (it inherits e.g. its network namespace).
        """
        if self._loop_thread is not None:
            raise RuntimeError("a WhipPublisher starts once; make a new one to publish again")
        install_codecs()
        self.failure = None
        self._is_stop_requested = False
        self._wall_clock = WallClock()
        self._set_state(CONNECTING)
        if self.audio is not None:
            from studio.outputs.audio_track import MixerOpusSource

            self._audio_source = MixerOpusSource(self.audio, self._on_audio_item, bitrate_bps=self.audio_bitrate_bps)
        self._loop_thread = LoopThread(self.thread_name)
        self._stop_event = asyncio.Event()
        try:
            self._loop_thread.start()
            self._main_future = self._loop_thread.submit(self._run())
        except (RuntimeError, TimeoutError) as exc:  # never leave the caller without a final state
            log.exception("WHIP network thread did not start")
            self._set_state(FAILED, OutputError(StopReason.SERVER_ERROR, detail=type(exc).__name__))
        if self._audio_source is not None:
            self._audio_source.start()

    def stop(self, timeout_s: float | None = None) -> None:
        """Send the WHIP DELETE, close the connection and join every thread.

        Finishes within about ``stop_timeout_s`` even when the server is gone.  Idempotent.
        """
        timeout_s = self.timeouts.stop_timeout_s if timeout_s is None else float(timeout_s)
        session = self._session
        if session is not None and session.is_posting:
            # The server has our offer: wait for its answer so a session it creates after all
            # is deleted, not left running on the server (RFC 9725 §4.4).
            timeout_s = max(timeout_s, self.timeouts.request_timeout_s + STOP_AFTER_POST_EXTRA_S)
        self._is_stop_requested = True
        if self._audio_source is not None:
            self._audio_source.stop()
        runner, event = self._loop_thread, self._stop_event
        if runner is not None and event is not None:
            runner.call_soon(event.set)
        if runner is not None and not runner.is_loop_thread:
            deadline = time.monotonic() + timeout_s + STOP_JOIN_EXTRA_S
            if self._main_future is not None:
                concurrent.futures.wait([self._main_future], timeout=timeout_s + STOP_JOIN_EXTRA_S)
            runner.stop(max(deadline - time.monotonic(), 0.5))  # logs when the thread outlives it
        if self._state not in (FAILED, STOPPED):
            self._set_state(STOPPED)

    def __enter__(self) -> "WhipPublisher":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ input (any thread)

    def on_packet(self, packet: EncodedPacket) -> None:
        """Take one encoded frame (``Ladder(on_packet=...)``); never blocks.

        Packets arriving while not live are counted and dropped; a full layer mailbox drops
        non-keyframes and asks for a keyframe (see ``EncodedVideoTrack``).
        """
        video = self._video
        if video is None:
            self.packets_before_live += 1
            return
        track = video.tracks.get(packet.rid) if packet.rid is not None else video.tracks.get(video.rids[0])
        if track is None:
            self.unknown_rid_packets += 1
            return
        item = PacketItem(
            packet=packet.to_av_packet(),
            capture_ns=packet.capture_ns if packet.capture_ns is not None else now_ns(),
            is_keyframe=packet.is_keyframe,
            width=packet.width,
            height=packet.height,
            encoder=packet.encoder_name,
        )
        track.put(item)

    feed = on_packet

    def _on_audio_item(self, item: PacketItem) -> None:
        if self.on_audio_packet is not None:
            try:
                self.on_audio_packet(item)
            except Exception:  # a broken consumer must not cost the stream its audio
                log.exception("audio packet consumer failed")
        track = self._audio_track
        if track is not None:
            track.put(item)

    def _keyframe_request(self, rid: str | None) -> None:
        self.keyframe_requests[rid] = self.keyframe_requests.get(rid, 0) + 1
        callback = self.on_keyframe_request
        if callback is not None:
            try:
                callback(rid)
            except Exception:
                log.exception("keyframe request for layer %s failed", rid)

    def set_layer_pacing(self, rid: str, bitrate_bps: int) -> None:
        """Re-pace ``rid`` for a temporary target (congestion) without changing its nominal rate."""
        video = self._video
        if video is not None:
            video.set_bitrate(rid, bitrate_bps)

    def set_layer_bitrate(self, rid: str, bitrate_bps: int) -> None:
        """The layer's encoder target changed: pace its packets for the new rate."""
        video = self._video
        if video is not None:
            video.set_bitrate(rid, bitrate_bps)
        for index, layer in enumerate(self.layers):
            if layer.rid == rid:
                self.layers[index] = LayerSpec(layer.rid, layer.width, layer.height, int(bitrate_bps), layer.fps)

    # ------------------------------------------------------------------ the network thread

    async def _run(self) -> None:
        """The whole life on the loop thread; ends in STOPPED or FAILED, whatever happens."""
        assert self._stop_event is not None
        set_native_name(WHIP_LOOP_THREAD)  # the transport's CPU apart in top -H and bench pipeline
        try:
            await self._reconnect_loop.run(self._run_session, self._stop_event, lambda: self._is_stop_requested)
        except Exception as exc:  # never leave the caller without a final state
            log.exception("WHIP network thread crashed")
            self._set_state(FAILED, OutputError(StopReason.SERVER_ERROR, detail=type(exc).__name__))
        finally:
            if self._state != FAILED:
                self._set_state(STOPPED)
            if self._loop_thread is not None:
                self._loop_thread.stop()  # nothing more to do here: let the thread end

    def _use_learned_ice_servers(self) -> bool:
        """ICE failed before the first live although the endpoint named STUN/TURN servers
        (used on that attempt already, gathered after the offer) and none were configured:
        one more session with them in the offer from the start (True)."""
        if not self._learned_ice_servers or self.ice_servers:
            return False
        self.ice_servers = list(self._learned_ice_servers)
        log.info("ICE failed; retrying with the %d ICE server(s) the endpoint named", len(self.ice_servers))
        return True

    async def _run_session(self) -> None:
        """One WHIP session: offer, POST, answer, connect, live until stop or loss."""
        assert self._wall_clock is not None
        timeouts = self.timeouts
        plan = SessionPlan(
            codec=self.codec, rids=list(self.rids),
            bitrates_bps={layer.rid: layer.bitrate_bps for layer in self.layers}, simulcast=self.simulcast,
            has_audio=self.audio is not None, offer_transport_cc=self.transport_cc,
            allow_loopback=self.allow_loopback, timeouts=timeouts,
        )
        session = WhipSession(
            plan, ice_servers=self.ice_servers, wall_clock=self._wall_clock, on_keyframe_request=self._keyframe_request,
            events=self._events if self.events_channel else None, notices=self.notices,
        )
        self._session = session
        tasks: list[asyncio.Task] = []
        try:
            await session.offer()
            session.client = self._client_factory(self.url, self._token, timeouts.request_timeout_s)
            if self._stale_resource is not None:
                await session.delete_stale(self._stale_resource)
                self._stale_resource = None
            resource = await session.publish()
            self.sessions += 1
            self.resource_url = resource.url
            if resource.ice_servers:
                self._learned_ice_servers = list(resource.ice_servers)
                if not self.ice_servers:  # configured ones override the endpoint's (RFC 9725 §4.6)
                    await session.adopt_endpoint_ice_servers(resource.ice_servers)  # this attempt already
            session.read_answer()
            self.accepted_rids = session.accepted_rids
            self.published_rids = session.published_rids
            self.transport_cc_negotiated = session.is_transport_cc_negotiated
            await session.apply_answer()
            self.negotiated_codec = session.negotiated_codec
            # Only now may encoder packets flow in (each track still refuses until its sender starts).
            video = session.video
            assert video is not None
            self._video, self._audio_track = video, session.audio_track
            await wait_connected(session.pc, timeouts.ice_timeout_s, timeouts.dtls_timeout_s)
            tasks.append(asyncio.ensure_future(self._remote_stats.collect(session.senders)))
            self._congestion.reset()
            video.feedback_arrived = asyncio.Event()
            tasks.append(asyncio.ensure_future(self._congestion.run(lambda: self.congestion_step(video), video.feedback_arrived)))
            self._reconnect_loop.went_live("new_session")
            self._set_state(LIVE)
            watch = LossWatch(
                video=video, senders=session.senders, is_transport_cc=self.transport_cc_negotiated,
                rtcp_silence_s=self.reconnect_policy.rtcp_silence_s,
                disconnect_grace_s=self.reconnect_policy.disconnect_grace_s,
            )
            await self._reconnect_loop.hold(session.pc, session.client, resource, watch, self._request_keyframes)
        finally:
            self._video, self._audio_track = None, None
            for task in tasks:
                task.cancel()
            session.stop_media()
            stale = await session.close(lambda: self._is_stop_requested)
            if stale is not None:
                self._stale_resource = stale  # deleted before the next POST
            self._session = None

    def _request_keyframes(self) -> None:
        for rid in self.published_rids:
            self._keyframe_request(rid)

    # ------------------------------------------------------------------ congestion, stats

    def congestion_step(self, video: SimulcastVideo | None = None, now: float | None = None) -> int:
        """Feed what changed on every sender since the last step; returns the estimate."""
        video = video if video is not None else self._video
        senders: list[PacketSender] = [plan.sender for plan in video.published] if video is not None else []
        if self._audio_sender is not None:
            senders.append(self._audio_sender)
        estimate = self._congestion.step(video, senders, now=now)
        self.available_bitrate_bps = estimate
        return estimate

    @property
    def _audio_sender(self) -> PacketSender | None:
        session = self._session
        return session.audio_sender if session is not None else None

    @property
    def reconnects(self) -> int:
        """Outages that ended live again (by ICE restart or a fresh session)."""
        return self.reconnect.reconnects

    def reconnect_snapshot(self) -> dict[str, Any]:
        """Attempt in this outage, next try (s from now and wall time), totals, last failure in
        words: for the Go-live button and the health dock (any thread)."""
        data = self.reconnect.snapshot()
        data["state"] = self._state
        return data

    @property
    def events_channel_state(self) -> EventsChannelState:
        return self._events.state

    @property
    def events_channel_reason(self) -> str | None:
        return self._events.reason

    def events_channel_stats(self) -> dict[str, Any]:
        """``stats()["events_channel"]``: whether it was asked for, its state and why."""
        return self._events.stats()

    def stats(self) -> dict[str, Any]:
        """A snapshot in the ``--stats-jsonl`` schema (unknown fields are None, never guessed),
        plus publisher details: accepted/published rids, per-layer keyframe requests, drops."""
        data = publisher_stats(
            state=self._state,
            layers=self.layers,
            video=self._video,
            audio_sender=self._audio_sender,
            remote=self._remote_stats,
            congestion=self.estimator.snapshot(),
            available_bitrate_bps=self.available_bitrate_bps,
            is_transport_cc_negotiated=self.transport_cc_negotiated,
            accepted_rids=self.accepted_rids,
            published_rids=self.published_rids,
            failure=self.failure,
            reconnect=self.reconnect.snapshot(),
            sessions=self.sessions,
            events_channel=self.events_channel_stats(),
        )
        session = self._session
        # The ICE pair in use: a "relay" local candidate, and how it reaches its TURN server.
        data["ice"] = session.ice_path() if session is not None and self._state == LIVE else None
        return data


def _is_loopback_url(url: str) -> bool:
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


__all__ = [
    "CONGESTION_INTERVAL_S",
    "CONNECTING",
    "EVENTS_CHANNEL_LABEL",
    "FAILED",
    "LIVE",
    "MIN_ESTIMATE_BPS",
    "PublisherTimeouts",
    "RECONNECTING",
    "ReconnectPolicy",
    "STATES",
    "STATE_LABELS",
    "STOPPED",
    "WhipPublisher",
    "state_label",
]
