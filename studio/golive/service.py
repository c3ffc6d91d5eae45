"""The go-live service: carries out a :class:`~studio.golive.plan.GoLivePlan` for one show.

Both front ends go live through it — the desktop Go live (``ui/golive.py``) and ``bridgecast
live`` (``studio/headless.py``) — so destinations, recording, the events channel, the rehearsal
receiver and the per-second stats behave the same in both.  It is Qt-free and blocking:
:meth:`start` opens encoders and may start a local receiver, :meth:`stop` sends the WHIP
DELETE / RTMP unpublish and joins every thread, so the app calls both from a worker thread.

It is the one place where encoders are wired to outputs: each canvas is encoded once
(:class:`~studio.golive.encoding.CanvasEncoding`; which output takes which layer is
:func:`~studio.golive.sharing.plan_layers`), the program sound is encoded once per codec (Opus
for WHIP and the recording, AAC for every RTMP destination), and the packets fan out.

Every output keeps its own state machine and stats (the ``outputs`` list of the stats schema
in CONTRACTS.md).  One output failing never stops another: a refused stream key fails that
destination, a full disk stops the recording, the others go on.  The show's own state is the
best of its outputs' (live while any is live; failed only when every destination failed).
Destinations can be stopped and started one by one while the show runs.

The service is the show's one front door (about 25 public methods and properties): the
wiring of each kind of output lives in its own unit (:mod:`~studio.golive.encoding`,
:mod:`~studio.golive.whip_output`, :mod:`~studio.golive.rtmp_destination`) and what it reports
in :mod:`~studio.golive.report`.

Events: ``on_state.emit(state=..., failure=...)`` (the show's state, from output threads),
``output_state.emit(id=..., kind=..., state=..., error=...)``, ``notices.emit(code=...,
message=...)`` (words the host should read), ``recording_state.emit(state=..., message=...,
path=...)``.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from studio.core.events import Signal
from studio.core.i18n import _
from studio.cpu import ProcessCpu
from studio.golive import report
from studio.golive.encoding import CanvasEncoding
from studio.golive.plan import GoLivePlan
from studio.golive.rtmp_destination import RtmpDestination
from studio.golive.sharing import LayerPlan, plan_layers, whip_ladder
from studio.golive.whip_output import WhipOutput, encoder_failure
from studio.outputs.state import OutputState
from studio.scene import CanvasRole

log = logging.getLogger(__name__)

RECORDING_FAILED = "failed"
ladder_for = whip_ladder  # the name callers knew


def _safely(call: Callable[[], Any], what: str) -> None:
    """Stopping goes on past one part's failure (logged with its traceback)."""
    try:
        call()
    except Exception:
        log.exception("%s failed", what)


def _rehearsal_receiver() -> Any:
    from studio.outputs.rehearsal import RehearsalReceiver

    return RehearsalReceiver()


class GoLiveService:
    """Start and stop one show's outputs from a plan; read their states and stats.

    ``studio`` is the running engine (``.compositor``, ``.mixer`` and, for vertical
    destinations, ``vertical.enable``/``compositor_for``).  ``live_show`` (a
    :class:`studio.live.session.LiveShow`) is needed only for the events channel.
    ``session_factory`` / ``receiver_factory`` let tests substitute the WHIP session (a
    ``LiveSession``-like object: the plan's WHIP destination only) or the rehearsal receiver.
    """

    def __init__(self, studio: Any, plan: GoLivePlan, *, live_show: Any = None,
                 session_factory: Callable[..., Any] | None = None,
                 receiver_factory: Callable[[], Any] | None = None,
                 publisher_options: dict[str, Any] | None = None) -> None:
        self.studio = studio
        self.plan = plan
        self.live_show = live_show
        self.on_state = Signal()
        self.output_state = Signal()
        self.notices = Signal()
        self.recording_state = Signal()
        self.receiver: Any = None
        self.channel_delivery: Any = None
        self.show_stats: Any = None
        self.recording_path: Path | None = None
        self.mp4_path: Path | None = None
        self.remux_error: str | None = None
        self.layer_plan: LayerPlan | None = None
        self.encodings: dict[CanvasRole, CanvasEncoding] = {}
        self.whip: WhipOutput | None = None
        self.recorder: Any = None
        self.legacy_session: Any = None  # what session_factory made (tests)
        self._rtmp: dict[str, RtmpDestination] = {}
        self._aac: Any = None
        self._opus_for_recording: Any = None
        self._is_whip_stopped_by_host = False
        self._has_enabled_vertical = False
        self._session_factory = session_factory
        self._receiver_factory = receiver_factory
        self._publisher_options = dict(publisher_options or {})
        self._lock = threading.RLock()
        self._state_lock = threading.RLock()
        self._last_state: str | None = None
        self._is_started = False
        self._is_stopped = False
        self.started_at: float | None = None
        self._cpu = ProcessCpu()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Open everything the plan asks for and start publishing (returns once connecting).

        Raises :class:`~studio.core.errors.StudioError` (in words) when the show cannot start at
        all (the rehearsal receiver cannot listen, the vertical canvas cannot be made); a
        destination's own problem after that shows as its state, in words."""
        with self._lock:
            if self._is_started:
                raise RuntimeError("a GoLiveService starts once")
            self._is_started = True
        plan = self.plan
        url = plan.whip.url if plan.whip is not None else None
        if plan.whip is not None and url is None:
            receiver = self._receiver_factory() if self._receiver_factory is not None else _rehearsal_receiver()
            with self._lock:
                self.receiver = receiver
            receiver.start()
            url = receiver.url
        if plan.events_channel and self.live_show is not None and plan.whip is not None:
            from studio.live.channel_delivery import ChannelDelivery

            self.channel_delivery = ChannelDelivery()
        if plan.recording is not None:
            self.recording_path = plan.recording.resolve_path()
        if self.live_show is not None and plan.has_vertical:
            self._keep_cards_clear_of_platform_ui()
        self.started_at = time.monotonic()
        if self._session_factory is not None:
            self._start_legacy(url)
        else:
            self._start_outputs(url)
        if plan.stats_path is not None:
            from studio.outputs.show_stats import ShowStatsLog

            show_stats = ShowStatsLog(self.stats, plan.stats_path)
            show_stats.on_error.connect(lambda error: self._notice(code="stats_unavailable", message=error))
            with self._lock:
                self.show_stats = show_stats
            show_stats.start()

    def _keep_cards_clear_of_platform_ui(self) -> None:
        """The live show lays its vertical cards out of the UI zones of the platforms the vertical
        program goes to (unknown or custom platforms: the box that clears TikTok, Reels and Shorts)."""
        from studio.live.vertical import PLATFORM_PRESETS

        platforms = [target.platform for target in self.plan.rtmp
                     if target.canvas is CanvasRole.VERTICAL and target.platform in PLATFORM_PRESETS]
        is_every_one_known = len(platforms) == sum(1 for t in self.plan.rtmp if t.canvas is CanvasRole.VERTICAL)
        setter = getattr(self.live_show, "set_vertical_platforms", None)
        if setter is not None:
            setter(platforms if is_every_one_known else [])

    def _publisher_options_for_whip(self) -> dict[str, Any]:
        options = dict(self._publisher_options)
        if self.channel_delivery is not None:
            options.update(self.channel_delivery.publisher_options())
        return options

    def _start_legacy(self, url: str | None) -> None:
        plan, whip = self.plan, self.plan.whip
        assert whip is not None, "session_factory stands in for the WHIP destination"
        compositor = self.studio.compositor
        layers = whip_ladder(compositor.width, compositor.height, compositor.fps, whip.layers, whip.simulcast)
        session = self._session_factory(
            self.studio, url, whip.token, layers=layers, codec=whip.codec, encoder=plan.encoder or "auto",
            has_audio=plan.has_audio, simulcast=whip.simulcast, on_state=self.on_state,
            record_path=self.recording_path, **self._publisher_options_for_whip())
        session.notices.connect(self._notice)
        recording_signal = getattr(session, "recording_state", None)
        if recording_signal is not None:
            recording_signal.connect(self._forward_recording_state)
        with self._lock:
            self.legacy_session = session
        if self.channel_delivery is not None:
            self.channel_delivery.attach(self.live_show)
        session.start()

    def _start_outputs(self, whip_url: str | None) -> None:
        plan, studio = self.plan, self.studio
        mixer = getattr(studio, "mixer", None) if plan.has_audio else None
        if plan.has_vertical and studio.compositor_for(CanvasRole.VERTICAL) is None:
            studio.vertical.enable(*plan.vertical_canvas)
            self._has_enabled_vertical = True
        compositor = studio.compositor
        layer_plan = plan_layers(plan, (compositor.width, compositor.height), compositor.fps)
        self.layer_plan = layer_plan
        codec = plan.whip.codec if plan.whip is not None else "h264"
        for canvas, layers in layer_plan.layers.items():
            self.encodings[canvas] = CanvasEncoding(
                studio.compositor_for(canvas) if canvas is CanvasRole.VERTICAL else compositor, layers,
                codec=codec if canvas is CanvasRole.HORIZONTAL else "h264", encoder=plan.encoder or "auto",
                studio=studio, canvas=canvas)
            self.encodings[canvas].notices.connect(self._notice)
        horizontal = self.encodings.get(CanvasRole.HORIZONTAL)
        if plan.recording is not None and horizontal is not None:
            self._open_recorder(horizontal, layer_plan.record_rid, mixer, has_whip=plan.whip is not None)
        if plan.whip is not None and horizontal is not None:
            self._open_whip(horizontal, whip_url, mixer)
        for target in plan.rtmp:
            canvas, rid = layer_plan.rtmp_rids[target.id]
            self._rtmp[target.id] = RtmpDestination(target, canvas, rid)
        if plan.rtmp and mixer is not None:
            from studio.outputs.aac import MixerAacSource

            self._aac = MixerAacSource(mixer)
        for canvas, encoding in self.encodings.items():
            try:
                encoding.start()
            except Exception as exc:  # nothing here can encode: every output of this canvas fails
                failure = encoder_failure(exc)
                log.warning("the %s canvas cannot be encoded: %s", canvas.value, failure)
                if canvas is CanvasRole.HORIZONTAL and self.whip is not None:
                    self.whip.fail(failure)
                    self._emit_output("whip")
                for destination in self._rtmp.values():
                    if destination.canvas is canvas:
                        destination.start_error = str(failure)
        if self.whip is not None and self.whip.failure_override is None:
            if self.channel_delivery is not None:
                self.channel_delivery.attach(self.live_show)
            self.whip.start()
        for destination in self._rtmp.values():
            if not destination.is_stopped_by_host and destination.start_error is None:
                self._open_rtmp(destination)
        if self._aac is not None:
            self._aac.start()
        if self._opus_for_recording is not None:
            self._opus_for_recording.start()
        self._update_show_state()

    def _open_recorder(self, encoding: CanvasEncoding, rid: str | None, mixer: Any, has_whip: bool) -> None:
        from studio.outputs.recorder import Recorder

        recording_state = Signal()
        recording_state.connect(self._forward_recording_state)
        self.recorder = Recorder(self.recording_path, video_rid=rid, has_audio=mixer is not None, on_state=recording_state)
        self.recorder.start()
        encoding.add_consumer(rid, self.recorder.on_video_packet)
        if mixer is not None and not has_whip:
            # Without WHIP nobody else encodes Opus: the recording gets its own encoder.
            from studio.outputs.audio_track import MixerOpusSource

            self._opus_for_recording = MixerOpusSource(mixer, self.recorder.on_audio_packet, name="bridgecast-record-audio")

    def _open_whip(self, encoding: CanvasEncoding, url: str | None, mixer: Any) -> None:
        whip_target = self.plan.whip
        assert whip_target is not None and self.layer_plan is not None
        layers = [encoding.layer(rid) for rid in self.layer_plan.whip_rids]
        whip_state = Signal()
        whip_state.connect(lambda state, failure=None, **_extra: self._on_output_change("whip"))
        self.whip = WhipOutput(
            encoding, url, whip_target.token, layers=layers, mixer=mixer, codec=whip_target.codec,
            simulcast=whip_target.simulcast, on_state=whip_state,
            on_audio_packet=self.recorder.on_audio_packet if self.recorder is not None else None,
            **self._publisher_options_for_whip())
        self.whip.notices.connect(self._notice)
        self.whip.create()

    def _open_rtmp(self, destination: RtmpDestination) -> None:
        destination.open(self.encodings[destination.canvas], aac=self._aac, whip=self.whip,
                         on_change=lambda: self._on_output_change(destination.target.id))

    def _close_rtmp(self, destination: RtmpDestination) -> None:
        destination.close(self.encodings[destination.canvas], self._aac)

    def stop(self) -> None:
        """Stop every output: the events channel drains first (while the session is still open),
        then the RTMP unpublish, the WHIP DELETE, the encoders and the recording; then the
        stats' last line, the rehearsal receiver and, if asked, the MP4 copy of the recording.
        Safe to call twice."""
        with self._lock:
            if self._is_stopped:
                return
            self._is_stopped = True
        if self.channel_delivery is not None:
            self.channel_delivery.stop()
        for destination in self._rtmp.values():
            _safely(lambda d=destination: self._close_rtmp(d), "stopping an RTMP destination")
        if self.legacy_session is not None:
            _safely(self.legacy_session.stop, "stopping the live session")
        if self.whip is not None:
            _safely(self.whip.stop, "stopping the WHIP output")
        for encoding in self.encodings.values():
            _safely(encoding.stop, "stopping the encoders")
        for part in (self._aac, self._opus_for_recording, self.recorder):  # the recorder after the encoders' flush
            if part is not None:
                _safely(part.stop, "stopping an audio encoder or the recording")
        if self.show_stats is not None:
            self.show_stats.stop()  # after the outputs: its last line says how the show ended
        if self.receiver is not None:
            _safely(self.receiver.stop, "stopping the rehearsal receiver")
        if self._has_enabled_vertical:
            _safely(self.studio.vertical.disable, "turning the vertical canvas off")
        self._remux_recording()

    def _remux_recording(self) -> None:
        plan = self.plan.recording
        path = self.recording_path
        if plan is None or not plan.remux_to_mp4 or path is None:
            return
        recorder = self.recorder or getattr(self.legacy_session, "recorder", None)
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
            self._notice(code="remux_failed", message=str(exc))

    # ------------------------------------------------------------------ one destination at a time

    def output_ids(self) -> list[str]:
        """Every destination of the plan (WHIP first), started or not."""
        return (["whip"] if self.plan.whip is not None else []) + [target.id for target in self.plan.rtmp]

    def is_output_running(self, output_id: str) -> bool:
        if output_id == "whip":
            return self.whip is not None and not self._is_whip_stopped_by_host
        destination = self._rtmp.get(output_id)
        return destination is not None and destination.is_running

    def stop_output(self, output_id: str) -> None:
        """Stop one destination while the show goes on (blocking: the unpublish / DELETE)."""
        if output_id == "whip":
            if self.whip is not None and not self._is_whip_stopped_by_host:
                self._is_whip_stopped_by_host = True
                self.whip.stop()
        else:
            destination = self._rtmp[output_id]
            destination.is_stopped_by_host = True
            self._close_rtmp(destination)
        self._on_output_change(output_id)

    def start_output(self, output_id: str) -> None:
        """Start (again) one destination of the plan while the show runs."""
        with self._lock:
            if not self._is_started or self._is_stopped:
                raise RuntimeError("the show is not running")
        if output_id == "whip":
            encoding = self.encodings.get(CanvasRole.HORIZONTAL)
            if encoding is None or not self._is_whip_stopped_by_host:
                return
            mixer = getattr(self.studio, "mixer", None) if self.plan.has_audio else None
            url = self.receiver.url if self.receiver is not None else self.plan.whip.url  # type: ignore[union-attr]
            self._is_whip_stopped_by_host = False
            self._open_whip(encoding, url, mixer)
            self.whip.start()  # type: ignore[union-attr]
        else:
            destination = self._rtmp[output_id]
            if destination.output is None and destination.start_error is None:
                self._open_rtmp(destination)
        self._on_output_change(output_id)

    # ------------------------------------------------------------------ state

    def _active_states(self) -> list[str]:
        states = []
        if self.legacy_session is not None:
            session = self.legacy_session
            states.append(str(getattr(session, "state", None) or session.stats().get("state")))
        if self.whip is not None and not self._is_whip_stopped_by_host:
            states.append(str(self.whip.state))
        states += [destination.state for destination in self._rtmp.values() if destination.state is not None]
        return states

    @property
    def state(self) -> str:
        """The show's state: live while any destination is live; failed only when every
        destination failed; else connecting / reconnecting / stopped."""
        states = self._active_states()
        if not states:
            return OutputState.STOPPED.value
        for state in (OutputState.LIVE, OutputState.RECONNECTING, OutputState.CONNECTING):
            if state.value in states:
                return state.value
        if all(state == OutputState.FAILED.value for state in states):
            return OutputState.FAILED.value
        return OutputState.STOPPED.value

    @property
    def failure(self) -> Any:
        """Why the show failed (every destination did): the only one's reason, or the first."""
        if self.legacy_session is not None:
            return getattr(self.legacy_session, "failure", None)
        reasons = []
        if self.whip is not None and self.whip.failure is not None:
            reasons.append(self.whip.failure)
        for destination in self._rtmp.values():
            error = destination.failure
            if error:
                reasons.append(_("{name}: {reason}").format(name=destination.target.label, reason=error))
        if len(reasons) <= 1:
            return reasons[0] if reasons else None
        return _("every destination failed — {reasons}").format(reasons="; ".join(str(r) for r in reasons))

    @property
    def is_rehearsal(self) -> bool:
        return self.plan.whip is not None and self.plan.whip.is_rehearsal

    @property
    def session(self) -> Any:
        """What runs the WHIP destination (views read its publisher's details); None without WHIP."""
        return self.legacy_session if self.legacy_session is not None else self.whip

    def wait_live(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.state != OutputState.LIVE.value:
            if self.state == OutputState.FAILED.value or (deadline is not None and time.monotonic() >= deadline):
                return False
            time.sleep(0.05)
        return True

    def _on_output_change(self, output_id: str) -> None:
        self._emit_output(output_id)
        self._update_show_state()

    def _emit_output(self, output_id: str) -> None:
        entry = next((e for e in report.output_entries(self, {}) if e["id"] == output_id), None)
        if entry is not None:
            self.output_state.emit(id=output_id, kind=entry["kind"], state=entry["state"], error=entry["error"])

    def _update_show_state(self) -> None:
        # Read, compare and emit under one lock: two output threads changing at once must not
        # emit in the opposite order of what they read (a stale "connecting" after "live").
        with self._state_lock:
            state = self.state
            if state == self._last_state:
                return
            self._last_state = state
            failure = self.failure if state == OutputState.FAILED.value else None
            self.on_state.emit(state=state, failure=failure)

    # ------------------------------------------------------------------ stats

    def stats(self) -> dict[str, Any]:
        """The stats-schema object: the WHIP destination's view (layers, RTT, loss …) when there
        is one, ``outputs`` (one entry per destination and the recording) and the encodings.
        An in-memory snapshot; never blocks."""
        if self.legacy_session is not None:
            record = self.legacy_session.stats()
        elif self.whip is not None and not self._is_whip_stopped_by_host:
            record = self.whip.stats()
        else:
            record = {"layers": report.encoded_layers(self), "rtt_ms": None, "loss_fraction": None,
                      "available_bitrate_bps": None, "dropped_frames": report.encoder_drops(self), "encoder": report.encoder_name(self)}
        record["t"] = round(time.time(), 3)
        if self.legacy_session is None:
            record["state"] = self.state
        if self.started_at is not None and self.legacy_session is None:
            record["elapsed_s"] = round(time.monotonic() - self.started_at, 1)
            record["cpu_percent"] = self._cpu.percent()  # this process, % of one core
        if self.recorder is not None:
            record["recording"] = self.recorder.stats()
        record["outputs"] = report.output_entries(self, record)
        record["encodings"] = report.encoding_entries(self)
        delivery = self.channel_delivery
        if delivery is not None and isinstance(record.get("events_channel"), dict):
            record["events_channel"]["delivery"] = delivery.stats()
        return record

    # ------------------------------------------------------------------ forwarding

    def _notice(self, code: Any = None, message: Any = None, **_extra: Any) -> None:
        self.notices.emit(code=code, message=message)

    def _forward_recording_state(self, state: str, message: str | None = None, **extra: Any) -> None:
        self.recording_state.emit(state=state, message=message, path=extra.get("path"))
        if state == RECORDING_FAILED and message:
            self.notices.emit(code="recording_failed",
                              message=_("{reason} The stream goes on.").format(reason=message))
