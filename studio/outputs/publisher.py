"""The WHIP output: publishes encoded layers (simulcast) and the program sound over WebRTC.

:class:`WhipPublisher` owns one asyncio loop thread (``bridgecast-whip``) holding the
``RTCPeerConnection``: it makes the offer (rid simulcast added), POSTs it with
:class:`~studio.outputs.whip.WhipClient`, applies the answer (publishing exactly the layers it
accepted), waits for ICE and DTLS, and reports ``live``.  Encoder threads hand packets in
through :meth:`WhipPublisher.on_packet` (``Ladder(on_packet=publisher.on_packet)``) into
bounded per-layer mailboxes; the Opus thread of :mod:`studio.outputs.audio_track` does the
same for sound.  Keyframe requests from the server (PLI) come back out through
``on_keyframe_request(rid)``; the ladder rate-limits them.

:class:`studio.golive.session.LiveSession` wires the encoder ladder to this publisher.

Congestion: every 200 ms on the network thread the publisher feeds what its senders heard
(receiver reports, NACKs, REMB, transport-cc feedback) into a
:class:`~studio.outputs.congestion.BandwidthEstimator` (``available_bitrate_bps``, ``on_estimate``);
the live session's :class:`~studio.outputs.congestion.LadderController` turns the estimate into
ladder bitrates, pauses and resumes.  All of it is in ``stats()["congestion"]`` and the log.

States: ``connecting`` → ``live`` (→ ``reconnecting`` → ``live`` …) → ``stopped``, or
``failed`` with :attr:`WhipPublisher.failure` (an :class:`~studio.outputs.errors.OutputError`
whose ``str()`` is the reason in words).

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
import contextlib
import logging
import statistics
import threading
import time
from typing import Any, Callable, Iterable, Sequence

from encoders.base import EncodedPacket
from encoders.ladder import LayerSpec
from studio.core.clock import now_ns
from studio.core.events import Signal
from studio.core.i18n import N_, _
from studio.outputs.aiortc_adapter.codecs import codec_preferences, install_codecs
from studio.outputs.aiortc_adapter.internals import check_internals
from studio.outputs.aiortc_adapter.send import RID_URI, PacketSender, attach_packet_sender
from studio.outputs.aiortc_adapter.simulcast import SimulcastVideo
from studio.outputs.aiortc_adapter.tracks import EncodedAudioTrack
from studio.outputs.clocks import AUDIO_CLOCK_RATE, RtpClock, WallClock
from studio.outputs.packets import PacketItem
from studio.outputs.aiortc_adapter.receive import loopback_candidates
from studio.outputs.congestion import (
    TRANSPORT_CC_URI,
    BandwidthEstimator,
    ladder_ceiling_bps,
)
from studio.outputs.errors import OutputError, StopReason
from studio.outputs.reconnect import NO_ANSWER_BACKOFF_MAX_S, Backoff, ReconnectStatus

log = logging.getLogger(__name__)

CONNECTING = "connecting"
LIVE = "live"
RECONNECTING = "reconnecting"
STOPPED = "stopped"
FAILED = "failed"
STATES = (CONNECTING, LIVE, RECONNECTING, STOPPED, FAILED)
STATE_LABELS = {
    CONNECTING: N_("Connecting"),
    LIVE: N_("Live"),
    RECONNECTING: N_("Reconnecting"),
    STOPPED: N_("Stopped"),
    FAILED: N_("Failed"),
}
SIMULCAST_MODES = ("rid", "ssrc", "off")

DEFAULT_ICE_TIMEOUT_S = 15.0
DEFAULT_DTLS_TIMEOUT_S = 10.0
DEFAULT_STOP_TIMEOUT_S = 5.0
DELETE_TIMEOUT_S = 2.0
CLOSE_TIMEOUT_S = 2.0
STATS_INTERVAL_S = 1.0
# Loss detection beyond aiortc's states (aioice's consent checks take ~30 s to fail): the
# server's RTCP (receiver reports, REMB, NACK/PLI, transport-cc) arrives several times a second
# while we send; this long without any of it means the path is gone.  Then a short grace to
# see whether it comes back by itself before tearing anything down.
RTCP_SILENCE_S = 3.0
DISCONNECT_GRACE_S = 2.0
ICE_RESTART_TIMEOUT_S = 8.0  # PATCH answered -> new ICE pair connected, or a fresh session
_NO_ANSWER_REASONS = (
    StopReason.UNREACHABLE, StopReason.TIMEOUT, StopReason.DISCONNECTED, StopReason.ICE_FAILED, StopReason.DTLS_FAILED
)
CONGESTION_INTERVAL_S = 0.2  # feedback -> estimator -> controller, on the network thread
MIN_ESTIMATE_BPS = 100_000
ESTIMATE_LOG_CHANGE = 0.15  # log the estimate when it moved this much since last logged
# The opt-in events data channel (live-show events to the platform, see
# studio/live/channel_delivery.py): ordered and reliable, offered with the media.  Its states:
EVENTS_CHANNEL_LABEL = "bridgecast-events"
EVENTS_CHANNEL_OFF = "off"  # not asked for
EVENTS_CHANNEL_CONNECTING = "connecting"  # offered; waiting for the answer / SCTP
EVENTS_CHANNEL_OPEN = "open"
EVENTS_CHANNEL_UNAVAILABLE = "unavailable"  # declined by the server, or never opened
EVENTS_CHANNEL_CLOSED = "closed"  # the session ended (a reconnect offers it again)
EVENTS_CHANNEL_OPEN_TIMEOUT_S = 10.0  # after the media are live


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


def _median(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(statistics.median(values), 1) if values else None


def state_label(state: str) -> str:
    """The state in words, translated (for the Go-live button and the CLI)."""
    return _(STATE_LABELS.get(state, state))


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
        request_timeout_s: float = 10.0,
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
        self.request_timeout_s = float(request_timeout_s)
        self.ice_timeout_s = float(ice_timeout_s)
        self.dtls_timeout_s = float(dtls_timeout_s)
        self.stop_timeout_s = float(stop_timeout_s)
        # Attempts per outage once the stream has been live (None: forever, until stop()).
        self.reconnect_attempts = None if reconnect_attempts is None else int(reconnect_attempts)
        self.backoff = backoff if backoff is not None else Backoff()
        self.rtcp_silence_s = float(rtcp_silence_s)
        self.disconnect_grace_s = float(disconnect_grace_s)
        self.is_ice_restart_enabled = bool(ice_restart)
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
        self.on_events_channel = on_events_channel if on_events_channel is not None else Signal()
        self.events_channel_state = EVENTS_CHANNEL_OFF
        self.events_channel_reason: str | None = None
        self._events_channel_watch: asyncio.Task | None = None
        # Congestion: the estimator lives across reconnects (the network is the same one);
        # on_estimate.emit(estimate_bps=int) every CONGESTION_INTERVAL_S on the network thread.
        ceiling_bps = ladder_ceiling_bps(
            sum(layer.bitrate_bps for layer in self.layers), self.audio_bitrate_bps if audio is not None else 0
        )
        self.estimator = BandwidthEstimator(initial_bps=ceiling_bps, min_bps=MIN_ESTIMATE_BPS, max_bps=ceiling_bps)
        self.on_estimate = Signal()
        self._feedback_seen: dict[int, dict[str, int]] = {}  # ssrc -> counters already fed
        self._overuse_cuts_seen = 0
        self._drain_until = -1.0
        self._logged_estimate_bps: int | None = None

        self._state = STOPPED
        self.failure: OutputError | None = None
        self.accepted_rids: list[str] | None = None  # what the answer accepted (None: no simulcast)
        self.published_rids: list[str] = []  # what goes out
        self.resource_url: str | None = None
        self.negotiated_codec: dict[str, Any] | None = None  # {"mimeType", "payloadType", "parameters"}
        self.sessions = 0  # WHIP sessions the server created (201)
        self.reconnect = ReconnectStatus()  # attempt, next try, last failure, totals
        self._stale_resource: Any = None  # a session we could not DELETE yet (server unreachable)
        self._has_been_live = False
        self.keyframe_requests: dict[str | None, int] = {}
        self.packets_before_live = 0
        self.unknown_rid_packets = 0

        self._state_lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._is_stop_requested = False
        self._wall_clock: WallClock | None = None
        self._video: SimulcastVideo | None = None
        self._audio_track: EncodedAudioTrack | None = None
        self._audio_sender: PacketSender | None = None
        self._audio_source: Any = None
        self._pc: Any = None
        self._remote_stats: dict[int, dict[str, Any]] = {}  # ssrc -> {rtt_s, fraction_lost, packets_lost}
        self._learned_ice_servers: list[Any] = []
        self._live_since: float | None = None

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> str:
        return self._state

    @property
    def is_live(self) -> bool:
        return self._state == LIVE

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _set_state(self, state: str, failure: OutputError | None = None) -> None:
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
        if self._thread is not None:
            raise RuntimeError("a WhipPublisher starts once; make a new one to publish again")
        install_codecs()
        self.failure = None
        self._is_stop_requested = False
        self._wall_clock = WallClock()
        self._set_state(CONNECTING)
        if self.audio is not None:
            from studio.outputs.audio_track import MixerOpusSource

            self._audio_source = MixerOpusSource(self.audio, self._on_audio_item, bitrate_bps=self.audio_bitrate_bps)
        ready = threading.Event()
        self._thread = threading.Thread(target=self._thread_main, args=(ready,), name=self.thread_name, daemon=True)
        self._thread.start()
        ready.wait(5.0)
        if self._audio_source is not None:
            self._audio_source.start()

    def stop(self, timeout_s: float | None = None) -> None:
        """Send the WHIP DELETE, close the connection and join every thread.

        Finishes within about ``stop_timeout_s`` even when the server is gone.  Idempotent.
        """
        timeout_s = self.stop_timeout_s if timeout_s is None else float(timeout_s)
        self._is_stop_requested = True
        if self._audio_source is not None:
            self._audio_source.stop()
        loop, event = self._loop, self._stop_event
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s + 1.0)
            if thread.is_alive():
                log.error("WHIP network thread did not stop within %.1f s", timeout_s + 1.0)
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

    def _thread_main(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._stop_event = asyncio.Event()
            ready.set()
            loop.run_until_complete(self._main())
        except Exception as exc:  # never leave the caller without a final state
            log.exception("WHIP network thread crashed")
            self._set_state(FAILED, OutputError(StopReason.SERVER_ERROR, detail=type(exc).__name__))
        finally:
            ready.set()
            try:
                pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.wait(pending, timeout=2.0))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            except Exception:
                log.exception("WHIP loop clean-up failed")
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    async def _main(self) -> None:
        """The state machine: connecting → live (→ reconnecting → live …) → stopped/failed.

        Before the stream was ever live a failure is final (the host fixes the URL, token or
        network and presses Go live again).  Once live, every loss is retried — ICE restart
        inside the session first, then fresh WHIP sessions with capped, jittered exponential
        back-off honouring Retry-After — until stop(); only a refused token (401/403) ends it.
        """
        assert self._stop_event is not None
        stop_waiter = asyncio.ensure_future(self._stop_event.wait())
        ice_retry_done = False
        try:
            while not self._is_stop_requested:
                session = asyncio.ensure_future(self._session())
                done, _pending = await asyncio.wait({session, stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
                if session not in done:  # stop requested: the session tears down in its finally
                    session.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await asyncio.wait_for(session, DELETE_TIMEOUT_S + CLOSE_TIMEOUT_S + 2.0)
                    break
                error = session.exception()
                if error is None or self._is_stop_requested:
                    break
                if not isinstance(error, OutputError):
                    log.error("WHIP session failed unexpectedly", exc_info=error)
                    error = OutputError(StopReason.SERVER_ERROR, detail=type(error).__name__)
                self._live_since = None
                if not self._has_been_live:
                    if (
                        error.reason is StopReason.ICE_FAILED
                        and not ice_retry_done
                        and self._learned_ice_servers
                        and not self.ice_servers
                    ):
                        # The endpoint named STUN/TURN servers in its answer: one more try through them.
                        ice_retry_done = True
                        self.ice_servers = list(self._learned_ice_servers)
                        log.info("ICE failed; retrying with the %d ICE server(s) the endpoint named", len(self.ice_servers))
                        continue
                    self._set_state(FAILED, error)  # never live: fail fast with the typed reason
                    return
                if not error.is_retryable_after_live:
                    if error.reason is StopReason.BAD_TOKEN:
                        error = OutputError.token_revoked(error.status)
                    self._set_state(FAILED, error)
                    return
                if self.reconnect_attempts is not None and self.reconnect.attempt >= self.reconnect_attempts:
                    self._set_state(FAILED, error)
                    return
                if await self._wait_before_retry(error, stop_waiter):
                    break  # stop requested while waiting
        finally:
            stop_waiter.cancel()
        if self._state != FAILED:
            self._set_state(STOPPED)

    async def _wait_before_retry(self, error: OutputError, stop_waiter: "asyncio.Future[Any] | None") -> bool:
        """Count the attempt, show reconnecting with the next-try time, and sleep the back-off.
        True when stop() was requested meanwhile."""
        status = self.reconnect
        # Server answers (5xx, 404, busy) back off to the full cap; tries nothing answered
        # cost the server nothing and mostly wait for the network: a tighter cap.
        is_unanswered = error.status is None and error.reason in _NO_ANSWER_REASONS
        delay = self.backoff.delay_s(
            status.attempt + 1, error.retry_after_s, max_s=NO_ANSWER_BACKOFF_MAX_S if is_unanswered else None
        )
        status.schedule(delay, error)
        self._set_state(RECONNECTING)
        log.info(
            "reconnecting: attempt %d in %.1f s (%s: %s)", status.attempt, delay, error.reason.value, error
        )
        self.on_reconnect.emit(**status.snapshot())
        if stop_waiter is None:  # inside a session: stop() cancels the task
            await asyncio.sleep(delay)
            status.trying()
            return False
        try:
            await asyncio.wait_for(asyncio.shield(stop_waiter), delay)
            return True
        except asyncio.TimeoutError:
            status.trying()
            return False

    def _went_live(self, how: str) -> None:
        """Bookkeeping when a session (or an ICE restart) is live: ends the outage, if any."""
        self._has_been_live = True
        duration = self.reconnect.recovered(how)
        if duration is not None:
            log.info("live again after %.1f s (%s, %d attempt(s))", duration, how.replace("_", " "),
                     self.reconnect.history[-1]["attempts"])

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

    async def _session(self) -> None:
        """One WHIP session: offer, POST, answer, connect, live until stop or loss."""
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
        from aiortc.rtcconfiguration import RTCBundlePolicy

        assert self._wall_clock is not None
        ice_servers = [server.to_aiortc() if hasattr(server, "to_aiortc") else server for server in self.ice_servers]
        pc = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self._pc = pc
        client = None
        resource = None
        video: SimulcastVideo | None = None
        audio_track: EncodedAudioTrack | None = None
        stats_task: asyncio.Task | None = None
        congestion_task: asyncio.Task | None = None
        events_channel: Any = None
        try:
            if self.audio is not None:
                audio_track = EncodedAudioTrack()
                transceiver, self._audio_sender = attach_packet_sender(
                    pc, audio_track, rtp_clock=RtpClock(AUDIO_CLOCK_RATE), wall_clock=self._wall_clock
                )
                transceiver.setCodecPreferences(codec_preferences("opus"))
            video = SimulcastVideo(
                pc,
                self.rids,
                self.codec,
                wall_clock=self._wall_clock,
                bitrates_bps={layer.rid: layer.bitrate_bps for layer in self.layers},
                mode=self.simulcast,
                on_keyframe_request=self._keyframe_request,
                offer_transport_cc=self.transport_cc,
            )
            if self.events_channel:  # before the offer: it adds the m=application section
                events_channel = self._create_events_channel(pc)
            with loopback_candidates(self.allow_loopback):
                await pc.setLocalDescription(await pc.createOffer())
            offer = video.munge_offer(pc.localDescription.sdp)

            client = self._client_factory(self.url, self._token, self.request_timeout_s)
            await self._clear_stale_resource(client)
            resource = await client.publish(offer)
            self.sessions += 1
            self.resource_url = resource.url
            if resource.ice_servers:
                self._learned_ice_servers = list(resource.ice_servers)
            answer = resource.answer
            if answer is None:
                from studio.outputs.sdp import parse_answer

                answer = parse_answer(resource.answer_sdp)
            video_info = answer.video
            rid_extension_id = video_info.extmap.get(RID_URI) if video_info is not None else None
            self.accepted_rids = list(answer.accepted_rids) if answer.accepted_rids is not None else None
            self.published_rids = video.apply_answer(self.accepted_rids, rid_extension_id)
            self.transport_cc_negotiated = video.enable_transport_cc(
                video_info.extmap.get(TRANSPORT_CC_URI) if video_info is not None and self.transport_cc else None
            )
            self._announce_layers(video)
            try:
                answer_sdp = resource.answer_sdp
                if events_channel is not None:
                    answer_sdp = self._settle_events_channel(events_channel, answer, answer_sdp, offer)
                await pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))
            except OutputError:
                raise
            except Exception as exc:
                text = str(exc)
                if "send parameters" in text or "codec" in text.lower():
                    from studio.outputs.sdp import offered_codec_names

                    raise OutputError.no_common_codec(offered_codec_names(offer)) from None
                raise OutputError.malformed_answer(type(exc).__name__) from None
            self.negotiated_codec = self._negotiated_codec(video, video_info)
            # Only now may encoder packets flow in (each track still refuses until its sender starts).
            self._video, self._audio_track = video, audio_track
            await self._wait_connected(pc)
            self._live_since = time.monotonic()
            stats_task = asyncio.ensure_future(self._collect_stats(pc, video))
            self._feedback_seen = {}
            congestion_task = asyncio.ensure_future(self._run_congestion(video))
            self._went_live("new_session")
            self._set_state(LIVE)
            await self._hold(pc, video, client, resource)
        finally:
            self._video, self._audio_track = None, None
            if stats_task is not None:
                stats_task.cancel()
            if congestion_task is not None:
                congestion_task.cancel()
            if events_channel is not None:
                self._close_events_channel(events_channel)
            if video is not None:
                video.stop_tracks()
            if audio_track is not None:
                audio_track.stop()
            await self._teardown(pc, client, resource)

    @staticmethod
    def _negotiated_codec(video: SimulcastVideo, video_info: Any) -> dict[str, Any] | None:
        """The codec in use, with the answer's own fmtp (aiortc keeps its table entry's, which
        for H.264 matches by profile only: the answer's level is what was agreed)."""
        codec = video.negotiated_codec()
        if codec is not None and video_info is not None:
            answered = next((c for c in video_info.codecs if c.payload_type == codec["payloadType"]), None)
            if answered is not None and answered.fmtp:
                codec["parameters"] = dict(answered.fmtp)
        return codec

    # ------------------------------------------------------------------ events data channel

    def _set_events_channel_state(self, state: str, channel: Any = None, reason: str | None = None) -> None:
        if state == self.events_channel_state and reason is None:
            return
        self.events_channel_state = state
        self.events_channel_reason = reason
        log.info("events data channel %s%s", state, f" ({reason})" if reason else "")
        self.on_events_channel.emit(state=state, channel=channel, reason=reason)

    def _create_events_channel(self, pc: Any) -> Any:
        """An ordered, reliable data channel; its open/close drive ``on_events_channel``."""
        channel = pc.createDataChannel(EVENTS_CHANNEL_LABEL, ordered=True)

        @channel.on("open")
        def on_open() -> None:
            watch = self._events_channel_watch
            if watch is not None:
                watch.cancel()
            self._set_events_channel_state(EVENTS_CHANNEL_OPEN, channel)

        @channel.on("close")
        def on_close() -> None:
            if self.events_channel_state == EVENTS_CHANNEL_OPEN:
                self._set_events_channel_state(EVENTS_CHANNEL_CLOSED)

        self._set_events_channel_state(EVENTS_CHANNEL_CONNECTING)
        return channel

    def _settle_events_channel(self, channel: Any, answer: Any, answer_sdp: str, offer: str) -> str:
        """Read whether the answer accepted the channel; return the answer SDP to apply (one
        that declines or omits the section is rewritten so aiortc still takes it)."""
        from studio.outputs.sdp import settle_declined_sections

        if answer.is_data_channel_accepted:
            self._events_channel_watch = asyncio.ensure_future(self._watch_events_channel(channel))
            return answer_sdp
        reason = _("The server did not accept the events data channel; the stream goes on without it.")
        self._set_events_channel_state(EVENTS_CHANNEL_UNAVAILABLE, reason=reason)
        self.notices.emit(code="events_channel_unavailable", message=reason)
        channel.close()  # never opens; nothing may wait on it
        return settle_declined_sections(answer_sdp, offer)

    async def _watch_events_channel(self, channel: Any) -> None:
        """Accepted in the answer but never opened (SCTP blocked, a server bug): unavailable."""
        timeout_s = self.ice_timeout_s + self.dtls_timeout_s + EVENTS_CHANNEL_OPEN_TIMEOUT_S
        await asyncio.sleep(timeout_s)
        if channel.readyState != "open" and self.events_channel_state == EVENTS_CHANNEL_CONNECTING:
            reason = _("The events data channel did not open within {seconds} s; the stream goes on without it.").format(
                seconds=int(timeout_s)
            )
            self._set_events_channel_state(EVENTS_CHANNEL_UNAVAILABLE, reason=reason)
            self.notices.emit(code="events_channel_unavailable", message=reason)

    def _close_events_channel(self, channel: Any) -> None:
        watch, self._events_channel_watch = self._events_channel_watch, None
        if watch is not None:
            watch.cancel()
        with contextlib.suppress(Exception):
            channel.close()
        if self.events_channel_state in (EVENTS_CHANNEL_OPEN, EVENTS_CHANNEL_CONNECTING):
            self._set_events_channel_state(EVENTS_CHANNEL_CLOSED)

    def events_channel_stats(self) -> dict[str, Any]:
        """``stats()["events_channel"]``: whether it was asked for, its state and why."""
        return {
            "requested": self.events_channel,
            "label": EVENTS_CHANNEL_LABEL if self.events_channel else None,
            "state": self.events_channel_state,
            "is_available": self.events_channel_state == EVENTS_CHANNEL_OPEN,
            "reason": self.events_channel_reason,
        }

    def _announce_layers(self, video: SimulcastVideo) -> None:
        published, offered = self.published_rids, self.rids
        if self.simulcast == "off" or published == offered:
            return
        if not video.is_rid_stamped:  # no simulcast in the answer (or no rid extension)
            message = _("The server did not accept simulcast; sending one quality layer ({rid}).").format(rid=published[0])
            code = "simulcast_refused"
        else:
            message = _("The server accepted {count} of {total} quality layers ({rids}).").format(
                count=len(published), total=len(offered), rids=", ".join(published)
            )
            code = "layers_reduced"
        log.info("%s", message)
        self.notices.emit(code=code, message=message)

    async def _wait_connected(self, pc: Any) -> None:
        """ICE within ``ice_timeout_s``, then DTLS within ``dtls_timeout_s``, or OutputError."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.ice_timeout_s
        while pc.iceConnectionState not in ("completed", "connected"):
            if pc.iceConnectionState in ("failed", "closed") or loop.time() > deadline:
                raise OutputError(StopReason.ICE_FAILED)
            await asyncio.sleep(0.02)
        deadline = loop.time() + self.dtls_timeout_s
        while pc.connectionState != "connected":
            if pc.connectionState in ("failed", "closed") or loop.time() > deadline:
                if pc.iceConnectionState == "failed":
                    raise OutputError(StopReason.ICE_FAILED)
                raise OutputError(StopReason.DTLS_FAILED)
            await asyncio.sleep(0.02)

    async def _hold(self, pc: Any, video: SimulcastVideo, client: Any, resource: Any) -> None:
        """Live until stop (the task is cancelled) or loss (raises OutputError).

        On loss, while the server still holds our session and said it takes ICE-restart
        PATCHes, first try to heal this very session (new ICE credentials, DTLS/SRTP and the
        encoders untouched); attempts whose PATCH got no answer (the network is still gone)
        back off like any other; a PATCH the server refuses or an ICE pair that never
        connects raises, and ``_main`` starts fresh sessions.
        """
        while True:
            error = await self._wait_until_lost(pc, video)
            # Show it at once (the teardown's DELETE may take a while on a dead network).
            self.reconnect.begin_outage(error)
            self._live_since = None
            self._set_state(RECONNECTING)
            restarter = self._ice_restarter(pc, resource)
            if restarter is None:
                raise error
            restarter.stop_consent_checks()  # the old pair must not close DTLS meanwhile
            while True:
                if self.reconnect_attempts is not None and self.reconnect.attempt >= self.reconnect_attempts:
                    raise error  # _main reports it (an attempt cap was set)
                await self._wait_before_retry(error, None)
                try:
                    await restarter.restart(client, resource, timeout_s=ICE_RESTART_TIMEOUT_S)
                except OutputError as restart_error:
                    if restart_error.status is None and restart_error.reason in (StopReason.UNREACHABLE, StopReason.TIMEOUT):
                        error = restart_error  # no answer: the network is still gone, try again
                        continue
                    # Refused (the session is gone: 404/403, no PATCH support) or no ICE pair:
                    # a fresh session decides (its POST tells a revoked token from a lost one).
                    log.info("ICE restart did not work (%s); starting a new WHIP session", restart_error)
                    raise error from None
                break
            self._live_since = time.monotonic()
            self._went_live("ice_restart")
            self._set_state(LIVE)
            for rid in self.published_rids:  # the server's decoder lost packets: start clean
                self._keyframe_request(rid)

    def _ice_restarter(self, pc: Any, resource: Any) -> Any:
        """An ICE restarter for this session, or None (server without PATCH support, restart
        disabled, or an aiortc whose internals the adapter does not know)."""
        if not self.is_ice_restart_enabled or resource is None or not getattr(resource, "supports_ice_restart", False):
            return None
        try:
            from studio.outputs.aiortc_adapter.ice_restart import IceRestarter
        except ImportError:
            return None
        return IceRestarter.for_connection(pc, allow_loopback=self.allow_loopback)

    async def _wait_until_lost(self, pc: Any, video: SimulcastVideo) -> OutputError:
        """Return (never raise) the loss once the connection is gone: aiortc's states, or no
        RTCP at all from the server for ``rtcp_silence_s`` while we send, still silent after a
        ``disconnect_grace_s`` grace."""
        loop = asyncio.get_running_loop()
        heard_mark = self._rtcp_heard(video)
        sent_mark = self._packets_sent(video)
        now = loop.time()
        heard_at = sent_at = now
        suspect_since: float | None = None
        while True:
            if pc.connectionState in ("failed", "closed") or pc.iceConnectionState in ("failed", "closed"):
                return OutputError(StopReason.DISCONNECTED)
            now = loop.time()
            heard = self._rtcp_heard(video)
            if heard != heard_mark:
                heard_mark, heard_at = heard, now
                if suspect_since is not None:
                    log.info("the server is answering again after %.1f s of silence", now - suspect_since + self.rtcp_silence_s)
                    suspect_since = None
            sent = self._packets_sent(video)
            if sent != sent_mark:
                sent_mark, sent_at = sent, now
            if now - sent_at > 1.0:
                heard_at = max(heard_at, now - 1.0)  # nothing going out: nothing to report on
            elif now - heard_at >= self.rtcp_silence_s:
                if suspect_since is None:
                    suspect_since = now
                    log.warning(
                        "no RTCP from the server for %.1f s while sending; waiting %.1f s before reconnecting",
                        now - heard_at, self.disconnect_grace_s,
                    )
                elif now - suspect_since >= self.disconnect_grace_s:
                    seconds = int(round(now - heard_at))
                    return OutputError(
                        StopReason.DISCONNECTED,
                        _("No answer from the server for {seconds} s; the network may be down").format(seconds=seconds),
                    )
            await asyncio.sleep(0.1)

    def _rtcp_heard(self, video: SimulcastVideo) -> int:
        """Grows while the server is receiving us.

        With transport-wide CC negotiated, the server's feedback (every ~100 ms, only about
        packets it received) and NACKs are the proof: receiver reports, REMB and PLIs keep
        coming on a timer even when nothing of ours arrives (Janus does so; measured).
        Without it, any RTCP message counts."""
        senders: list[PacketSender] = [plan.sender for plan in video.published]
        if self._audio_sender is not None:
            senders.append(self._audio_sender)
        total = 0
        if self.transport_cc_negotiated:
            total += int(getattr(video, "transport_feedbacks", 0) or 0)
            return total + sum(sender.counters.nacks for sender in senders)
        for sender in senders:
            counters = sender.counters
            total += counters.reports + counters.remb_updates + counters.nacks + counters.keyframe_requests
        return total

    def _packets_sent(self, video: SimulcastVideo) -> int:
        senders: list[PacketSender] = [plan.sender for plan in video.published]
        if self._audio_sender is not None:
            senders.append(self._audio_sender)
        return sum(sender.counters.packets for sender in senders)

    async def _clear_stale_resource(self, client: Any) -> None:
        """DELETE the session a lost connection left on the server before POSTing a new one:
        some servers (simple-whip-server) refuse a second publisher on a busy endpoint."""
        stale = self._stale_resource
        if stale is None:
            return
        try:
            result = await asyncio.wait_for(client.try_delete(stale), min(self.request_timeout_s, 5.0))
        except asyncio.TimeoutError:
            result = None
        if result is None:
            raise OutputError.unreachable(_("the previous session could not be closed yet"))
        self._stale_resource = None

    async def _teardown(self, pc: Any, client: Any, resource: Any) -> None:
        """DELETE the resource, close the connection and the HTTP client, each time-boxed."""
        if client is not None and resource is not None:
            try:
                result = await asyncio.wait_for(client.try_delete(resource), DELETE_TIMEOUT_S)
            except (asyncio.TimeoutError, Exception) as exc:  # stopping must finish
                log.warning("WHIP DELETE did not complete: %s", type(exc).__name__)
                result = None
            if result is None and not self._is_stop_requested:
                self._stale_resource = resource  # deleted before the next POST
        try:
            await asyncio.wait_for(pc.close(), CLOSE_TIMEOUT_S)
        except (asyncio.TimeoutError, Exception) as exc:
            log.warning("closing the peer connection did not complete: %s", type(exc).__name__)
        if client is not None:
            try:
                await asyncio.wait_for(client.close(), 1.0)
            except (asyncio.TimeoutError, Exception) as exc:
                log.warning("closing the WHIP client did not complete: %s", type(exc).__name__)
        self._pc = None
        self._audio_sender = None

    async def _run_congestion(self, video: SimulcastVideo) -> None:
        """Every CONGESTION_INTERVAL_S: new sender feedback into the estimator, then
        ``available_bitrate_bps`` and ``on_estimate`` (whose listeners drive the ladder)."""
        while True:
            await asyncio.sleep(CONGESTION_INTERVAL_S)
            try:
                self.congestion_step(video)
            except Exception:  # adaptation failing must never cost the stream
                log.exception("congestion step failed")

    def congestion_step(self, video: SimulcastVideo | None = None, now: float | None = None) -> int:
        """Feed what changed on every sender since the last step; returns the estimate."""
        video = video if video is not None else self._video
        estimator = self.estimator
        senders: list[PacketSender] = [plan.sender for plan in video.published] if video is not None else []
        if self._audio_sender is not None:
            senders.append(self._audio_sender)
        for sender in senders:
            counters = sender.counters
            seen = self._feedback_seen.setdefault(
                sender.ssrc, {"bytes": 0, "packets": 0, "nacks": 0, "reports": 0, "remb": 0, "packets_at_report": 0}
            )
            sent_bytes = counters.payload_bytes + counters.retransmit_bytes
            sent_packets = counters.packets + counters.retransmits
            if sent_bytes > seen["bytes"]:
                estimator.on_sent(sent_bytes - seen["bytes"], sent_packets - seen["packets"], now=now)
            seen["bytes"], seen["packets"] = sent_bytes, sent_packets
            if counters.nacks > seen["nacks"]:
                estimator.on_nacks(counters.nacks - seen["nacks"], now=now)
                seen["nacks"] = counters.nacks
            if counters.reports > seen["reports"] and counters.fraction_lost is not None:
                weight = max(1, sent_packets - seen["packets_at_report"])
                estimator.on_receiver_report(
                    sender.ssrc, fraction_lost=counters.fraction_lost, rtt_s=counters.rtt_s,
                    jitter_s=counters.jitter_s, weight=weight, now=now,
                )
                seen["reports"], seen["packets_at_report"] = counters.reports, sent_packets
            if counters.remb_updates > seen["remb"] and counters.remb_bps is not None:
                estimator.on_remb(counters.remb_bps, now=now)
                seen["remb"] = counters.remb_updates
        take_results = getattr(video, "take_transport_results", None)
        results = take_results() if take_results is not None else []
        if results:
            estimator.on_packet_results(results, now=now)
        estimate = estimator.update(now)
        self.available_bitrate_bps = estimate
        set_link_budget = getattr(video, "set_link_budget", None)
        cuts = estimator.overuse_cuts
        if cuts != self._overuse_cuts_seen:
            # A delay-based cut means a queue stands in the bottleneck: drain it first.
            self._overuse_cuts_seen = cuts
            self._drain_until = (time.monotonic() if now is None else now) + LINK_DRAIN_S
        is_draining = (time.monotonic() if now is None else now) < self._drain_until
        if set_link_budget is not None:
            # All layers together stay within the estimate; the lowest layer goes first.
            set_link_budget(estimate * (LINK_DRAIN_FACTOR if is_draining else LINK_BUDGET_HEADROOM))
        logged = self._logged_estimate_bps
        if logged is None or abs(estimate - logged) > ESTIMATE_LOG_CHANGE * logged:
            self._logged_estimate_bps = estimate
            snap = estimator.snapshot()
            log.info(
                "congestion: estimate %d kbit/s (limited by %s; loss %s, rtt %s ms, delay %s)",
                estimate // 1000, snap["limited_by"], snap["loss_fraction"], snap["rtt_ms"], snap["delay_state"],
            )
        self.on_estimate.emit(estimate_bps=estimate)
        return estimate

    async def _collect_stats(self, pc: Any, video: SimulcastVideo) -> None:
        """Every second: RTT and loss per SSRC from aiortc's sender stats (for ``stats()``)."""
        while True:
            senders = [plan.sender for plan in video.published]
            if self._audio_sender is not None:
                senders.append(self._audio_sender)
            for sender in senders:
                try:
                    report = await sender.getStats()
                except Exception:  # a sender that just stopped
                    continue
                for entry in report.values():
                    if getattr(entry, "type", None) == "remote-inbound-rtp":
                        self._remote_stats[sender.ssrc] = {
                            "rtt_s": entry.roundTripTime,
                            "fraction_lost": (entry.fractionLost or 0) / 256.0,
                            "packets_lost": entry.packetsLost,
                            "jitter": entry.jitter,
                        }
            await asyncio.sleep(STATS_INTERVAL_S)

    # ------------------------------------------------------------------ stats

    def stats(self) -> dict[str, Any]:
        """A snapshot in the ``--stats-jsonl`` schema (unknown fields are None, never guessed),
        plus publisher details: accepted/published rids, per-layer keyframe requests, drops."""
        video = self._video
        layers = []
        rtts: list[float] = []
        losses: list[float] = []
        dropped = 0
        encoder = None
        for spec in self.layers:
            plan = video.layer(spec.rid) if video is not None else None
            track = video.tracks.get(spec.rid) if video is not None else None
            sender = plan.sender if plan is not None else None
            bitrate_bps, fps = sender.recent_rates() if sender is not None else (None, None)
            counters = sender.counters if sender is not None else None
            remote = self._remote_stats.get(sender.ssrc) if sender is not None else None
            if remote is not None:
                if remote["rtt_s"] is not None:
                    rtts.append(remote["rtt_s"] * 1000.0)
                losses.append(remote["fraction_lost"])
            if track is not None:
                dropped += track.dropped
            if counters is not None and counters.encoder and encoder is None:
                encoder = counters.encoder
            layers.append(
                {
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
                    "rtt_ms": round(remote["rtt_s"] * 1000.0, 1) if remote and remote["rtt_s"] is not None else None,
                    "loss_fraction": round(remote["fraction_lost"], 4) if remote else None,
                    "remb_bps": counters.remb_bps if counters is not None else None,
                    "nacks": counters.nacks if counters is not None else 0,
                    "retransmits": counters.retransmits if counters is not None else 0,
                    "retransmit_misses": counters.retransmit_misses if counters is not None else 0,
                    "capture_to_send_ms_p50": _median(sender.send_delay_ms) if sender is not None else None,
                }
            )
        audio = None
        if self._audio_sender is not None:
            sender = self._audio_sender
            bitrate_bps, packet_rate = sender.recent_rates()
            audio = {"packets_sent": sender.counters.packets, "bitrate_bps": bitrate_bps, "packet_rate": packet_rate}
            remote = self._remote_stats.get(sender.ssrc)
            if remote is not None and remote["rtt_s"] is not None:
                rtts.append(remote["rtt_s"] * 1000.0)
        return {
            "t": time.time(),
            "state": self._state,
            "layers": layers,
            "rtt_ms": round(statistics.median(rtts), 1) if rtts else None,
            "loss_fraction": round(max(losses), 4) if losses else None,
            "available_bitrate_bps": self.available_bitrate_bps,
            "congestion": {
                **self.estimator.snapshot(),
                "transport_cc": self.transport_cc_negotiated,
                "transport_feedbacks": video.transport_feedbacks if video is not None else None,
                # What all layers together may send (None: no limit) and how often the upper
                # layers had to wait for it.
                "link_budget_bps": round(video.link_budget.rate_bps) if video is not None and video.link_budget.rate_bps else None,
                "link_budget_waits": video.link_budget.waits if video is not None else None,
            },
            "dropped_frames": dropped,
            "encoder": encoder,
            "accepted_rids": self.accepted_rids,
            "published_rids": list(self.published_rids),
            "audio": audio,
            "failure": self.failure.reason.value if self.failure is not None else None,
            "failure_message": str(self.failure) if self.failure is not None else None,
            **self.reconnect.snapshot(),
            "sessions": self.sessions,
            "events_channel": self.events_channel_stats(),
        }


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
