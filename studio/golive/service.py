"""The go-live service: carries out a :class:`~studio.golive.plan.GoLivePlan` for one show.

Both front ends go live through it — the desktop Go live (``ui/golive.py``) and ``bridgecast
live`` (``studio/headless.py``) — so recording, the events channel, the rehearsal receiver and
the per-second stats behave the same in both.  It is Qt-free and blocking: :meth:`start` opens
encoders and may start a local receiver, :meth:`stop` sends the WHIP DELETE and joins every
thread, so the app calls both from a worker thread and never from the GUI thread.

Per output it keeps a state and a stats entry (the ``outputs`` list of the stats schema in
CONTRACTS.md): the WHIP destination follows the publisher's state machine (connecting → live ⇄
reconnecting → stopped | failed), the recording the recorder's (recording → stopped | failed).
One output failing never stops another: a full disk stops the recording, the stream goes on.

Events: ``on_state.emit(state=..., failure=...)`` (network thread), ``notices.emit(code=...,
message=...)`` (words the host should read), ``recording_state.emit(state=..., message=...,
path=...)``.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from encoders.ladder import LayerSpec, default_ladder
from studio.core.events import Signal
from studio.core.i18n import _
from studio.golive.plan import GoLivePlan, OutputKind
from studio.golive.session import LiveSession
from studio.outputs.publisher import FAILED, STOPPED

log = logging.getLogger(__name__)

RECORDING_FAILED = "failed"


def ladder_for(width: int, height: int, fps: float, rids: tuple[str, ...] | list[str] | None,
               simulcast: str = "rid") -> list[LayerSpec]:
    """The default ladder for a canvas, restricted to ``rids`` (all when empty); one layer when
    simulcast is off."""
    ladder = default_ladder(width, height, fps)
    wanted = set(rids or ("h", "m", "l"))
    chosen = [layer for layer in ladder if layer.rid in wanted] or ladder[:1]
    return chosen[:1] if simulcast == "off" else chosen


class GoLiveService:
    """Start and stop one show's outputs from a plan; read their states and stats.

    ``studio`` is the running engine (anything with ``.compositor`` and ``.mixer``).
    ``live_show`` (a :class:`studio.live.session.LiveShow`) is needed only for the events
    channel.  ``session_factory`` / ``receiver_factory`` let tests substitute the session or the
    rehearsal receiver; everything else is the real thing.
    """

    def __init__(self, studio: Any, plan: GoLivePlan, *, live_show: Any = None,
                 session_factory: Callable[..., Any] | None = None,
                 receiver_factory: Callable[[], Any] | None = None,
                 publisher_options: dict[str, Any] | None = None) -> None:
        self.studio = studio
        self.plan = plan
        self.live_show = live_show
        self.on_state = Signal()
        self.notices = Signal()
        self.recording_state = Signal()
        self.session: Any = None
        self.receiver: Any = None
        self.channel_delivery: Any = None
        self.show_stats: Any = None
        self.recording_path: Path | None = None
        self.mp4_path: Path | None = None
        self.remux_error: str | None = None
        self._session_factory = session_factory or LiveSession
        self._receiver_factory = receiver_factory
        self._publisher_options = dict(publisher_options or {})
        self._lock = threading.Lock()
        self._is_started = False
        self._is_stopped = False

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Open everything the plan asks for and start publishing (returns once connecting).

        Raises :class:`~studio.core.errors.StudioError` (in words) when the show cannot start at
        all (e.g. the rehearsal receiver cannot listen); a publishing problem after that shows
        as the ``failed`` state with :attr:`failure`."""
        with self._lock:
            if self._is_started:
                raise RuntimeError("a GoLiveService starts once")
            self._is_started = True
        plan = self.plan
        url = plan.whip.url
        if url is None:
            receiver = self._new_receiver()
            with self._lock:
                self.receiver = receiver
            receiver.start()
            url = receiver.url
        compositor = self.studio.compositor
        layers = ladder_for(compositor.width, compositor.height, compositor.fps, plan.whip.layers, plan.whip.simulcast)
        options = dict(self._publisher_options)
        if plan.events_channel and self.live_show is not None:
            from studio.live.channel_delivery import ChannelDelivery

            self.channel_delivery = ChannelDelivery()
            options.update(self.channel_delivery.publisher_options())
        if plan.recording is not None:
            self.recording_path = plan.recording.resolve_path()
        session = self._session_factory(
            self.studio, url, plan.whip.token, layers=layers, codec=plan.whip.codec, encoder=plan.encoder or "auto",
            has_audio=plan.has_audio, simulcast=plan.whip.simulcast, on_state=self.on_state,
            record_path=self.recording_path, **options)
        session.notices.connect(self._forward_notice)
        recording_signal = getattr(session, "recording_state", None)
        if recording_signal is not None:
            recording_signal.connect(self._forward_recording_state)
        with self._lock:
            self.session = session
        if self.channel_delivery is not None:
            self.channel_delivery.attach(self.live_show)
        session.start()
        if plan.stats_path is not None:
            from studio.outputs.show_stats import ShowStatsLog

            show_stats = ShowStatsLog(self.stats, plan.stats_path)
            show_stats.on_error.connect(lambda error: self._forward_notice(code="stats_unavailable", message=error))
            with self._lock:
                self.show_stats = show_stats
            show_stats.start()

    def stop(self) -> None:
        """Stop every output: the events channel drains first (while the session is still open),
        then the WHIP DELETE, the encoders and the recording; then the stats' last line, the
        rehearsal receiver and, if asked, the MP4 copy of the recording.  Safe to call twice."""
        with self._lock:
            if self._is_stopped:
                return
            self._is_stopped = True
            session, receiver, delivery, show_stats = self.session, self.receiver, self.channel_delivery, self.show_stats
        if delivery is not None:
            delivery.stop()
        if session is not None:
            try:
                session.stop()
            except Exception:
                log.exception("stopping the live session failed")
        if show_stats is not None:
            show_stats.stop()  # after the session: its last line says how the show ended
        if receiver is not None:
            try:
                receiver.stop()
            except Exception:
                log.exception("stopping the rehearsal receiver failed")
        self._remux_recording()

    def _new_receiver(self) -> Any:
        if self._receiver_factory is not None:
            return self._receiver_factory()
        from studio.outputs.rehearsal import RehearsalReceiver

        return RehearsalReceiver()

    def _remux_recording(self) -> None:
        plan = self.plan.recording
        path = self.recording_path
        if plan is None or not plan.remux_to_mp4 or path is None:
            return
        recorder = getattr(self.session, "recorder", None)
        if recorder is not None and not recorder.video_packets:
            return  # nothing was recorded (a failed start, or no keyframe yet)
        if not path.is_file():
            return
        from studio.core.errors import StudioError
        from studio.outputs.recorder import remux_to_mp4

        try:
            self.mp4_path = remux_to_mp4(path, path.with_suffix(".mp4"))
        except StudioError as exc:  # the .mkv stays: nothing is lost
            self.remux_error = str(exc)
            self._forward_notice(code="remux_failed", message=str(exc))

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> str:
        session = self.session
        return session.state if session is not None else STOPPED

    @property
    def failure(self) -> Any:
        session = self.session
        return session.failure if session is not None else None

    @property
    def is_rehearsal(self) -> bool:
        return self.plan.whip.is_rehearsal

    def wait_live(self, timeout: float | None = None) -> bool:
        session = self.session
        return session.wait_live(timeout) if session is not None else False

    def stats(self) -> dict[str, Any]:
        """The stats-schema object: the session's view plus ``outputs`` (one entry per output)
        and the events channel's delivery counters.  An in-memory snapshot; never blocks."""
        session = self.session
        if session is None:
            record: dict[str, Any] = {"t": time.time(), "state": STOPPED, "layers": [], "rtt_ms": None,
                                      "loss_fraction": None, "available_bitrate_bps": None, "dropped_frames": 0,
                                      "encoder": None}
        else:
            record = session.stats()
        record["t"] = round(time.time(), 3)
        record["outputs"] = self._output_entries(record)
        delivery = self.channel_delivery
        if delivery is not None and isinstance(record.get("events_channel"), dict):
            record["events_channel"]["delivery"] = delivery.stats()
        return record

    def _output_entries(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        whip = self.plan.whip
        active = [layer for layer in record.get("layers") or [] if layer.get("active")]
        rates = [layer.get("bitrate_bps") for layer in active if layer.get("bitrate_bps") is not None]
        top_fps = active[0].get("fps") if active else None
        entries = [{
            "id": whip.id,
            "kind": OutputKind.WHIP.value,
            "canvas": whip.canvas.value,
            "name": whip.name,
            "state": str(record.get("state") or STOPPED),
            "bitrate_bps": sum(rates) if rates else None,
            "fps": top_fps,
            "reconnects": record.get("reconnects"),
            "error": record.get("failure_message") if record.get("state") == FAILED else None,
        }]
        recording = record.get("recording")
        if self.plan.recording is not None:
            recording = recording or {}
            entries.append({
                "id": self.plan.recording.id,
                "kind": OutputKind.RECORD.value,
                "canvas": self.plan.recording.canvas.value,
                "name": str(self.recording_path) if self.recording_path is not None else None,
                "state": recording.get("state"),
                "bitrate_bps": None,
                "fps": None,
                "reconnects": 0,
                "error": recording.get("failure"),
                "bytes_written": recording.get("bytes_written"),
                "duration_s": recording.get("duration_s"),
            })
        return entries

    # ------------------------------------------------------------------ forwarding

    def _forward_notice(self, code: Any = None, message: Any = None, **_extra: Any) -> None:
        self.notices.emit(code=code, message=message)

    def _forward_recording_state(self, state: str, message: str | None = None, **extra: Any) -> None:
        self.recording_state.emit(state=state, message=message, path=extra.get("path"))
        if state == RECORDING_FAILED and message:
            self.notices.emit(code="recording_failed",
                              message=_("Recording stopped: {reason}. The stream goes on.").format(reason=message))
