"""The built-in rehearsal receiver: a local WHIP endpoint that plays the viewer.

A host rehearses the whole chain with no platform account: "Go live" publishes here until a
platform profile is chosen.  The receiver implements the WHIP server side (RFC 9725), accepts
rid-based simulcast (RFC 8853), decodes every layer separately
(:mod:`studio.outputs.aiortc_adapter.receive`), and keeps a viewer-side model
(:mod:`studio.outputs.rehearsal_views`): per layer the resolution, measured fps, bitrate,
keyframes, the latest picture for a preview, and the glass-to-glass latency read from the
time-code strip; audio packets and level.  With ``record_dir`` it records what a viewer would
see (top layer + audio, remuxed into Matroska: :mod:`studio.outputs.rehearsal_recording`).

Threads: one asyncio loop thread (``rehearsal-receiver``) for aiohttp + aiortc; one decoder
thread per received layer (``rehearsal-video-h`` …) where frames are also analysed and recorded.
``on_change`` is emitted from the loop thread, at most :data:`CHANGE_HZ` times a second.

Usage::

    receiver = RehearsalReceiver(record_dir=path)
    receiver.start()
    publish_to(receiver.url)          # WHIP POST; answer 201 + Location
    receiver.stats()["layers"]        # [{"rid": "h", "width": 1280, ...}, ...]
    receiver.stop()
"""
from __future__ import annotations

import asyncio
import collections
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from aiohttp import web
from aiortc import RTCPeerConnection, RTCSessionDescription

from studio.core.errors import StudioError
from studio.core.events import Signal
from studio.core.i18n import _
from studio.core.loop_thread import LoopThread
from studio.outputs.aiortc_adapter.receive import (
    AUDIO_LAYER,
    EncodedFrame,
    OfferError,
    OfferPlan,
    ReceivedLayer,
    SimulcastReceiver,
    apply_offer_plan,
    attach_receivers,
    finish_answer,
    ice_servers_none,
    loopback_candidates,
    prepare_offer,
)
from studio.outputs.rehearsal_recording import RehearsalRecording
from studio.outputs.rehearsal_views import AudioView, LayerView

log = logging.getLogger(__name__)

WHIP_PATH = "/whip"
RESOURCE_PATH = "/whip/resource"
CHANGE_HZ = 4.0
EVENTS_KEPT = 500  # data-channel messages kept per session (channel_messages())
#: When no layer is called "h", pick the largest once every layer decoded or after this long.
RECORD_LAYER_DECISION_S = 2.0


class RehearsalError(StudioError):
    """The rehearsal receiver could not start."""


# ---------------------------------------------------------------------------------------------
# One WHIP session
# ---------------------------------------------------------------------------------------------
END_REASONS = {
    "deleted": lambda: _("The publisher ended the rehearsal."),
    "disconnected": lambda: _("The connection to the publisher was lost."),
    "connect_timeout": lambda: _("The publisher did not connect in time."),
    "media_timeout": lambda: _("No media arrived from the publisher for a while."),
    "stopped": lambda: _("The rehearsal receiver was stopped."),
    "failed": lambda: _("The rehearsal could not be set up."),
}


@dataclass
class _Session:
    id: str
    etag: str
    plan: OfferPlan
    preview_fps: float
    started_wall_s: float = field(default_factory=time.time)
    state: str = "connecting"  # connecting | live | ended
    end_reason: str | None = None
    pc: RTCPeerConnection | None = None
    receivers: list[SimulcastReceiver] = field(default_factory=list)
    layers: dict[str, LayerView] = field(default_factory=dict)
    audio: AudioView | None = None
    recording: RehearsalRecording | None = None
    record_layer: str | None = None
    end_task: asyncio.Future | None = None
    # Text messages the publisher sent over data channels (the live-show events channel):
    # the newest EVENTS_KEPT, as (label, text), so the host can see what a platform would get.
    channel_messages: collections.deque = field(default_factory=lambda: collections.deque(maxlen=EVENTS_KEPT))
    channel_messages_total: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        video = self.plan.video
        if video is not None:
            names = video.layer_names
            if "h" in names:
                self.record_layer = "h"
            elif len(names) == 1:
                self.record_layer = names[0]

    # FrameSink: called on each layer's decoder thread.
    def on_decoded(self, layer: ReceivedLayer, encoded: EncodedFrame, frames: list, decoded_wall_ms: float) -> None:
        if layer.kind == "audio":
            view = self.audio
            if view is None:
                return
            for frame in frames:
                view.add_frame(frame)
            if self.recording is not None:
                self.recording.add_audio(encoded)
            return
        view = self.layers.get(layer.name)
        if view is None:
            with self._lock:
                view = self.layers.get(layer.name)
                if view is None:
                    view = LayerView(layer.name, layer.codec.name, self.preview_fps)
                    view.layer = layer
                    self.layers = {**self.layers, layer.name: view}
        for frame in frames:
            view.add_frame(frame, is_keyframe=bool(frame.key_frame) or encoded.is_keyframe, decoded_wall_ms=decoded_wall_ms)
        if self.recording is not None:
            if self.record_layer is None:
                self._decide_record_layer()
            if layer.name == self.record_layer:
                self.recording.add_video(encoded, view.width, view.height, decoded=bool(frames))

    def _decide_record_layer(self) -> None:
        video = self.plan.video
        if video is None:
            return
        views = self.layers
        everyone = all(name in views and views[name].width for name in video.layer_names)
        waited = time.time() - self.started_wall_s > RECORD_LAYER_DECISION_S
        if (everyone or waited) and views:
            self.record_layer = max(views.values(), key=lambda v: v.width * v.height).rid

    def close_media(self) -> None:
        """Join decoder threads, then finish the recording (blocking: run off the loop)."""
        for receiver in self.receivers:
            receiver.close()
        if self.recording is not None:
            self.recording.close()

    def packets_total(self) -> int:
        return sum(layer.packets_received for r in self.receivers for layer in r.layers.values())

    def snapshot(self) -> dict[str, Any]:
        video = self.plan.video
        audio = self.plan.audio
        return {
            "id": self.id,
            "state": self.state,
            "started_at": self.started_wall_s,
            "video_codec": video.codec.mimeType if video and video.codec else None,
            "audio_codec": audio.codec.mimeType if audio and audio.codec else None,
            "rids": video.layer_names if video else [],
            "simulcast": bool(video and (video.rids or video.sim_ssrcs)),
            "end_reason": self.end_reason,
            "end_message": END_REASONS[self.end_reason]() if self.end_reason in END_REASONS else None,
            "record_layer": self.record_layer,
        }


# ---------------------------------------------------------------------------------------------
# The receiver
# ---------------------------------------------------------------------------------------------
class RehearsalReceiver:
    """A local WHIP endpoint (RFC 9725) that receives, decodes and records like a viewer.

    ``start()`` listens on ``host:port`` (``port=0`` picks a free one) from its own asyncio loop
    thread; :attr:`url` is the WHIP endpoint.  One session at a time (a second POST gets 409).
    ``token``: require ``Authorization: Bearer <token>`` (401 otherwise).  ``record_dir``: write
    ``rehearsal-<time>-<id>.mkv`` there per session.  ``allow_loopback``: gather 127.0.0.1 ICE
    candidates so a publisher on this machine connects even without any network.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str | None = None,
                 record_dir: str | Path | None = None, *, allow_loopback: bool = True,
                 preview_fps: float = 15.0, connect_timeout_s: float = 20.0,
                 media_timeout_s: float = 15.0) -> None:
        self.host = host
        self.port = port
        self.record_dir = Path(record_dir) if record_dir is not None else None
        self.allow_loopback = allow_loopback
        self.preview_fps = preview_fps
        self.connect_timeout_s = connect_timeout_s
        self.media_timeout_s = media_timeout_s
        #: ``on_change.emit(receiver=, stats=)`` from the loop thread, at most CHANGE_HZ per second.
        self.on_change = Signal()
        self._token = token
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: LoopThread | None = None
        self._runner: web.AppRunner | None = None
        self._tick_task: asyncio.Task | None = None
        self._session: _Session | None = None
        self._last_session: _Session | None = None
        self._sessions_total = 0
        self._bound_port: int | None = None
        self._dirty = True
        self._tasks: set[asyncio.Task] = set()

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The WHIP endpoint, e.g. ``http://127.0.0.1:40123/whip`` (after :meth:`start`)."""
        if self._bound_port is None:
            raise RuntimeError("rehearsal receiver not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._bound_port}{WHIP_PATH}"

    @property
    def is_running(self) -> bool:
        return self._loop_thread is not None and self._loop_thread.is_running

    @property
    def is_live(self) -> bool:
        """A publisher is connected."""
        session = self._session
        return session is not None and session.state == "live"

    def start(self, timeout: float = 10.0) -> "RehearsalReceiver":
        if self.is_running:
            return self
        loop_thread = LoopThread("rehearsal-receiver", cancel_grace_s=3.0)
        self._loop_thread = loop_thread
        try:
            self._loop = loop_thread.start(timeout).loop
            loop_thread.run(self._startup(), timeout)
        except TimeoutError:  # the loop or the listening socket (TimeoutError is an OSError: first)
            self.stop()
            raise RehearsalError(_("The rehearsal receiver did not start in time.")) from None
        except Exception as exc:  # noqa: BLE001 - reported in words
            loop_thread.stop(timeout)
            self._loop_thread = None
            address = f"{self.host}:{self.port}"
            raise RehearsalError(
                _("The rehearsal receiver could not listen on {address}: {error}").format(address=address, error=exc)
            ) from exc
        return self

    async def _startup(self) -> None:
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post(WHIP_PATH, self._handle_post)
        app.router.add_delete(RESOURCE_PATH + "/{session_id}", self._handle_delete)
        app.router.add_patch(RESOURCE_PATH + "/{session_id}", self._handle_patch)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._bound_port = int(runner.addresses[0][1])
        self._tick_task = asyncio.get_running_loop().create_task(self._tick())

    def stop(self, timeout: float = 8.0) -> None:
        """End any session, close the server and join every thread (idempotent)."""
        loop_thread = self._loop_thread
        if loop_thread is None:
            return
        if loop_thread.is_running:
            try:
                loop_thread.run(self._shutdown(), timeout)
            except Exception:  # noqa: BLE001 - stopping must not raise; the join below still runs
                log.exception("rehearsal receiver shutdown failed")
        loop_thread.stop(timeout)
        self._loop_thread = None
        self._loop = None
        self._emit()

    async def _shutdown(self) -> None:
        session = self._session
        if session is not None:
            await self._end_session(session, "stopped")
        for task in list(self._tasks):
            task.cancel()
        if self._tick_task is not None:
            self._tick_task.cancel()
            try:
                await self._tick_task
            except asyncio.CancelledError:
                pass
            self._tick_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await asyncio.get_running_loop().shutdown_default_executor()

    def __enter__(self) -> "RehearsalReceiver":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- WHIP -----------------------------------------------------------------------------------
    def _is_authorized(self, request: web.Request) -> bool:
        if not self._token:
            return True
        header = request.headers.get("Authorization", "")
        scheme, _sep, value = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), self._token.encode())

    @staticmethod
    def _unauthorized() -> web.Response:
        return web.Response(status=401, text="missing or wrong bearer token",
                            headers={"WWW-Authenticate": 'Bearer realm="rehearsal"'})

    async def _handle_post(self, request: web.Request) -> web.Response:
        if not self._is_authorized(request):
            return self._unauthorized()
        if request.content_type != "application/sdp":
            return web.Response(status=415, text="send the offer as application/sdp",
                                headers={"Accept-Post": "application/sdp"})
        offer = await request.text()
        if self._session is not None:
            return web.Response(status=409, text="a rehearsal session is already live; DELETE it first")
        try:
            plan = prepare_offer(offer)
        except OfferError as exc:
            return web.Response(status=exc.status, text=str(exc))
        # Claim the single slot before the first await, so a concurrent POST sees 409.
        session = _Session(id=secrets.token_urlsafe(12), etag=f'"{secrets.token_hex(8)}"', plan=plan,
                           preview_fps=self.preview_fps)
        self._session = session
        self._sessions_total += 1
        if self.record_dir is not None and plan.video is not None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            session.recording = RehearsalRecording(self.record_dir / f"rehearsal-{stamp}-{session.id[:6]}.mkv",
                                           plan.video.codec.name if plan.video.codec else None,
                                           has_audio=plan.audio is not None)
        try:
            answer = await self._negotiate(session)
        except Exception as exc:  # noqa: BLE001 - the publisher gets a status, we log the cause
            log.warning("rehearsal offer rejected: %s", exc, exc_info=not isinstance(exc, OfferError))
            await self._end_session(session, "failed")
            status = exc.status if isinstance(exc, OfferError) else 422
            return web.Response(status=status, text=f"cannot receive this offer: {exc}")
        self._dirty = True
        self._spawn(self._watch_session(session))
        return web.Response(
            status=201, text=answer, content_type="application/sdp",
            headers={"Location": f"{RESOURCE_PATH}/{session.id}", "ETag": session.etag},
        )

    async def _negotiate(self, session: _Session) -> str:
        pc = RTCPeerConnection(ice_servers_none())
        session.pc = pc

        @pc.on("connectionstatechange")
        def on_state() -> None:
            state = pc.connectionState
            if state == "connected" and session.state == "connecting":
                session.state = "live"
                self._dirty = True
            elif state in ("failed", "closed") and session.state != "ended":
                self._spawn(self._end_session(session, "disconnected"))

        @pc.on("datachannel")
        def on_channel(channel: Any) -> None:
            @channel.on("message")
            def on_message(message: Any) -> None:
                if isinstance(message, str):
                    with session._lock:
                        session.channel_messages.append((channel.label, message))
                        session.channel_messages_total += 1
                    self._dirty = True

        await pc.setRemoteDescription(RTCSessionDescription(sdp=session.plan.aiortc_sdp, type="offer"))
        apply_offer_plan(pc, session.plan)
        session.receivers = attach_receivers(pc, session.plan, session, thread_prefix="rehearsal")
        audio = session.plan.audio
        if audio is not None and audio.codec is not None:
            session.audio = AudioView(audio.codec.name)
        answer = await pc.createAnswer()
        with loopback_candidates(self.allow_loopback):
            await pc.setLocalDescription(answer)
        return finish_answer(pc.localDescription.sdp, session.plan)

    async def _handle_delete(self, request: web.Request) -> web.Response:
        if not self._is_authorized(request):
            return self._unauthorized()
        session = self._session
        if session is None or session.id != request.match_info["session_id"]:
            return web.Response(status=404, text="no such rehearsal session")
        await self._end_session(session, "deleted")
        return web.Response(status=200)

    async def _handle_patch(self, request: web.Request) -> web.Response:
        # Trickle ICE and ICE restarts are not supported: the offer must carry all candidates.
        if not self._is_authorized(request):
            return self._unauthorized()
        return web.Response(status=405, headers={"Allow": "DELETE"})

    # -- session lifecycle ----------------------------------------------------------------------
    def _spawn(self, coro: Any) -> None:
        """A loop task we keep a reference to (the loop itself only keeps weak ones)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("rehearsal receiver task failed", exc_info=task.exception())

    async def _watch_session(self, session: _Session) -> None:
        """End sessions that never connect or whose media stopped."""
        created = time.monotonic()
        last_packets, last_change = -1, time.monotonic()
        while session.state != "ended":
            await asyncio.sleep(0.5)
            now = time.monotonic()
            if session.state == "connecting" and now - created > self.connect_timeout_s:
                await self._end_session(session, "connect_timeout")
                return
            packets = session.packets_total()
            if packets != last_packets:
                last_packets, last_change = packets, now
            elif session.state == "live" and now - last_change > self.media_timeout_s:
                await self._end_session(session, "media_timeout")
                return

    async def _end_session(self, session: _Session, reason: str) -> None:
        if session.end_task is not None:
            await asyncio.shield(session.end_task)
            return
        session.end_task = asyncio.get_running_loop().create_future()
        try:
            session.state = "ended"
            session.end_reason = reason
            if session.pc is not None:
                try:
                    await session.pc.close()
                except Exception:  # noqa: BLE001
                    log.exception("closing the rehearsal peer connection failed")
            await asyncio.to_thread(session.close_media)
        finally:
            if self._session is session:
                self._session = None
            self._last_session = session
            self._dirty = True
            session.end_task.set_result(None)
            log.info("rehearsal session %s ended: %s", session.id, reason)

    # -- model ----------------------------------------------------------------------------------
    async def _tick(self) -> None:
        """Sample byte counters for bitrates and emit ``on_change`` (CHANGE_HZ at most)."""
        interval = 1.0 / CHANGE_HZ
        while True:
            await asyncio.sleep(interval)
            try:
                session = self._session
                now = time.monotonic()
                if session is not None:
                    for receiver in session.receivers:
                        for name, layer in list(receiver.layers.items()):
                            view = session.audio if layer.kind == "audio" else session.layers.get(name)
                            if view is not None:
                                view.layer = layer
                                view.sample_bytes(now)
                if session is not None or self._dirty:
                    self._dirty = False
                    self._emit()
            except Exception:  # noqa: BLE001 - keep ticking; the model must not freeze
                log.exception("rehearsal stats tick failed")

    def _emit(self) -> None:
        try:
            snapshot = self.stats()
        except Exception:  # noqa: BLE001 - a stats glitch must not stop the tick
            log.exception("rehearsal stats failed")
            return
        self.on_change.emit(receiver=self, stats=snapshot)

    def stats(self) -> dict[str, Any]:
        """Snapshot of the viewer-side model (any thread).

        ``{"state": "stopped|idle|connecting|live", "url", "sessions_total", "session": {…}|None,
        "layers": [{"rid", "codec", "width", "height", "fps", "bitrate_bps", "frames_decoded",
        "keyframes", "latency_p50_ms", "latency_p95_ms", "latency_last_ms", "latency_frames",
        "active", …}], "audio": {…}|None, "recording": {"path", "video_frames", …}|None}``.
        Layers and audio of the last session stay until the next one starts (``active`` false).
        """
        session = self._session or self._last_session
        if not self.is_running:
            state = "stopped"
        elif self._session is None:
            state = "idle"
        else:
            state = self._session.state if self._session.state != "ended" else "idle"
        result: dict[str, Any] = {
            "state": state,
            "url": self.url if self._bound_port is not None and self.is_running else None,
            "sessions_total": self._sessions_total,
            "session": None,
            "layers": [],
            "audio": None,
            "recording": None,
        }
        if session is None:
            return result
        is_active = session.state != "ended"
        result["session"] = session.snapshot()
        order = session.plan.video.layer_names if session.plan.video else []
        views = session.layers
        names = [n for n in order if n in views] + sorted(n for n in views if n not in order)
        result["layers"] = [views[n].snapshot(is_active) for n in names]
        if session.audio is not None:
            result["audio"] = session.audio.snapshot(is_active)
        if session.recording is not None:
            result["recording"] = session.recording.snapshot()
        result["channel_messages"] = session.channel_messages_total
        return result

    def channel_messages(self) -> list[tuple[str, str]]:
        """Data-channel text messages of the current (or last) session, oldest first, as
        (channel label, text): the live-show events a platform would receive."""
        session = self._session or self._last_session
        if session is None:
            return []
        with session._lock:
            return list(session.channel_messages)

    def layer_rids(self) -> list[str]:
        """Layers decoded in the current (or last) session, top first as offered."""
        return [layer["rid"] for layer in self.stats()["layers"]]

    def last_frame(self, rid: str) -> np.ndarray | None:
        """Latest picture of layer ``rid`` as a BGR ndarray (refreshed at ``preview_fps``)."""
        session = self._session or self._last_session
        if session is None:
            return None
        view = session.layers.get(rid)
        return view.last_frame() if view is not None else None

    def request_keyframes(self) -> None:
        """Ask the publisher for a keyframe on every layer (e.g. when the preview opens)."""
        session, loop = self._session, self._loop
        if session is None or loop is None:
            return

        async def ask() -> None:
            for receiver in session.receivers:
                await receiver.request_keyframes()

        asyncio.run_coroutine_threadsafe(ask(), loop)


__all__ = ["AUDIO_LAYER", "CHANGE_HZ", "RehearsalError", "RehearsalReceiver", "WHIP_PATH"]
