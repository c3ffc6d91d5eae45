"""A live session: compositor → encoder ladder → outputs (the WHIP publisher, the recording).

This is the only place in the engine where encoders are wired to outputs; the go-live service
(:mod:`studio.golive.service`) builds one per show from a :class:`~studio.golive.plan.GoLivePlan`.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Sequence

from encoders.base import EncodedPacket
from encoders.ladder import Ladder, LayerSpec, default_ladder
from studio.core.events import Signal
from studio.cpu import ProcessCpu
from studio.outputs.congestion import BITRATE, PAUSE, RESUME, Decision, LadderController
from studio.outputs.errors import OutputError, StopReason
from studio.outputs.publisher import FAILED, LIVE, STOPPED, WhipPublisher
from studio.outputs.recorder import Recorder

log = logging.getLogger(__name__)


class LiveSession:
    """Go live: compositor → encoder ladder → WHIP publisher, plus the mixer's sound.

    ``source`` is a ``Studio`` (anything with ``.compositor`` and ``.mixer``), a
    ``(compositor, mixer)`` pair (mixer may be None) or a bare compositor.  ``layers``
    defaults to :func:`~encoders.ladder.default_ladder` for the compositor's canvas.
    The studio must be running; :meth:`stop` leaves it running.  ``start`` never raises for
    a publishing problem: the state becomes ``failed`` with :attr:`failure` in words.
    """

    def __init__(
        self,
        source: Any,
        url: str,
        token: str | None = None,
        layers: Sequence[LayerSpec] | None = None,
        codec: str = "h264",
        encoder: str = "auto",
        *,
        has_audio: bool = True,
        simulcast: str = "rid",
        on_state: Signal | None = None,
        keyframe_interval_s: float = 2.0,
        preset: str = "fastest",
        record_path: Any = None,
        adapt_to_network: bool = True,
        **publisher_options: Any,
    ) -> None:
        self.compositor, self.mixer = self._resolve(source)
        self._studio = source if hasattr(source, "hold_canvas") else None
        if not has_audio:
            self.mixer = None
        if layers is None:
            layers = default_ladder(self.compositor.width, self.compositor.height, self.compositor.fps)
        self.layers = list(layers)
        self.url = url
        self._token = token
        self.codec = codec
        self.encoder = encoder
        self.simulcast = simulcast
        self.keyframe_interval_s = keyframe_interval_s
        self.preset = preset
        self.on_state = on_state if on_state is not None else Signal()
        self.notices = Signal()
        self._publisher_options = publisher_options
        self.publisher: WhipPublisher | None = None
        self.ladder: Ladder | None = None
        # Congestion adaptation: the publisher's estimate drives this (network thread).
        self.controller: LadderController | None = None
        self.adapt_to_network = bool(adapt_to_network)
        # The local recording (safety net): its own state signal, because a failed recording
        # (disk full) must never read as a failed stream.
        self.record_path = record_path
        self.recorder: Recorder | None = None
        self.recording_state = Signal()
        self._slot: Any = None
        self._failure: OutputError | None = None
        self._lock = threading.Lock()
        self.started_at: float | None = None
        self._cpu = ProcessCpu()  # shared by every reader of stats()

    @staticmethod
    def _resolve(source: Any) -> tuple[Any, Any]:
        if isinstance(source, tuple):
            compositor, mixer = (source + (None,))[:2]
            return compositor, mixer
        if hasattr(source, "compositor"):
            return source.compositor, getattr(source, "mixer", None)
        return source, None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Open the encoders, subscribe to the program and start publishing (returns at once)."""
        with self._lock:
            if self.publisher is not None:
                raise RuntimeError("a LiveSession starts once")
            if self.record_path is not None:
                self.recorder = Recorder(self.record_path, video_rid=self.layers[0].rid, has_audio=self.mixer is not None, on_state=self.recording_state)
                self.recorder.start()
            self.publisher = WhipPublisher(
                self.url,
                self._token,
                layers=self.layers,
                codec=self.codec,
                audio=self.mixer,
                on_state=self.on_state,
                on_keyframe_request=self._on_keyframe_request,
                simulcast=self.simulcast,
                on_audio_packet=self.recorder.on_audio_packet if self.recorder is not None else None,
                **self._publisher_options,
            )
            self.publisher.notices.connect(self._forward_notice)
            self.controller = LadderController(
                self.layers, reserved_bps=self.publisher.audio_bitrate_bps if self.mixer is not None else 0
            )
            if self.adapt_to_network:
                self.publisher.on_estimate.connect(self._on_estimate)
            self.on_state.connect(self._on_publisher_state)
            if self._studio is not None:
                self._studio.hold_canvas(self)  # the ladder is sized for this compositor
            self._slot = self.compositor.subscribe()
            self.ladder = Ladder(
                self.layers,
                codec=self.codec,
                encoder=self.encoder,
                keyframe_interval_s=self.keyframe_interval_s,
                preset=self.preset,
                on_packet=self._fan_out(self.publisher.on_packet, self.recorder),
                source=self._slot,
            )
            self.ladder.notices.connect(self._forward_notice)
            try:
                self.ladder.start()
            except Exception as exc:  # EncoderUnavailable: nothing can encode this codec here
                from encoders.errors import EncoderError

                detail = exc.reason if isinstance(exc, EncoderError) else type(exc).__name__
                self._failure = OutputError(StopReason.ENCODE_ERROR, detail=detail)
                self._release_slot()
                self.publisher._set_state(FAILED, self._failure)
                return
            self.started_at = time.monotonic()
            try:
                self.publisher.start()
            except BaseException:
                self.ladder.stop()
                self._release_slot()
                raise

    def stop(self) -> None:
        """Stop publishing (WHIP DELETE), stop the encoders, unsubscribe; joins every thread."""
        with self._lock:
            publisher, ladder = self.publisher, self.ladder
        if publisher is not None:
            publisher.stop()
            publisher.on_estimate.disconnect(self._on_estimate)
        if ladder is not None:
            ladder.stop()
        if self.recorder is not None:
            self.recorder.stop()  # after the ladder: it flushes its last packets on stop
        self._release_slot()
        if self._studio is not None:
            self._studio.release_canvas(self)
        self.on_state.disconnect(self._on_publisher_state)

    @staticmethod
    def _fan_out(publish: Callable[[EncodedPacket], Any], recorder: "Recorder | None") -> Callable[[EncodedPacket], Any]:
        """One encode feeds both the stream and the recording (the top layer's packets)."""
        if recorder is None:
            return publish

        def both(packet: EncodedPacket) -> None:
            publish(packet)
            recorder.on_video_packet(packet)

        return both

    def _release_slot(self) -> None:
        slot, self._slot = self._slot, None
        if slot is not None:
            self.compositor.unsubscribe(slot)

    def __enter__(self) -> "LiveSession":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> str:
        if self._failure is not None:
            return FAILED
        return self.publisher.state if self.publisher is not None else STOPPED

    @property
    def failure(self) -> OutputError | None:
        if self._failure is not None:
            return self._failure
        return self.publisher.failure if self.publisher is not None else None

    @property
    def is_live(self) -> bool:
        return self.state == LIVE

    @property
    def elapsed_s(self) -> float | None:
        return None if self.started_at is None else time.monotonic() - self.started_at

    def wait_live(self, timeout: float | None = None) -> bool:
        return self.publisher.wait_live(timeout) if self.publisher is not None else False

    def set_bitrate(self, rid: str, bitrate_bps: int) -> None:
        """New target for one layer: the encoder and the pacing follow."""
        if self.ladder is not None:
            self.ladder.set_bitrate(rid, bitrate_bps)
        if self.publisher is not None:
            self.publisher.set_layer_bitrate(rid, bitrate_bps)
        if self.controller is not None:
            self.controller.set_nominal(rid, bitrate_bps)

    def _on_keyframe_request(self, rid: str | None) -> None:
        ladder = self.ladder
        if ladder is not None and ladder.is_running:
            ladder.request_keyframe(rid)

    def _on_publisher_state(self, state: str, failure: OutputError | None = None) -> None:
        # Encode only what goes out: layers the answer left out are paused (saves the CPU).
        ladder, publisher = self.ladder, self.publisher
        if state != LIVE or ladder is None or publisher is None:
            return
        published = set(publisher.published_rids)
        controller = self.controller
        if controller is not None:
            # A (re)connect resumes every published layer: the controller starts over from
            # nominal rates and the estimate (kept across reconnects) retunes within a step.
            controller.reset(publisher.published_rids)
        for layer in self.layers:
            if layer.rid in published:
                if controller is not None and ladder.layer_stats(layer.rid).bitrate_bps != layer.bitrate_bps:
                    ladder.set_bitrate(layer.rid, layer.bitrate_bps)
                ladder.resume(layer.rid)
                # The encoders kept running through any outage: what goes out first on the
                # new connection must be a keyframe (the track also drops up to one).
                ladder.request_keyframe(layer.rid)
            else:
                ladder.pause(layer.rid)

    def _on_estimate(self, estimate_bps: int) -> None:
        """Network thread, every CONGESTION_INTERVAL_S while live: estimate -> ladder."""
        controller, ladder, publisher = self.controller, self.ladder, self.publisher
        if controller is None or ladder is None or publisher is None or not ladder.is_running:
            return
        if publisher.state != LIVE:
            return
        for decision in controller.update(estimate_bps):
            self.apply_decision(decision)

    def apply_decision(self, decision: Decision) -> None:
        """Carry one controller decision out on the encoder ladder and the pacing."""
        ladder, publisher = self.ladder, self.publisher
        if ladder is None or publisher is None:
            return
        try:
            if decision.kind == BITRATE and decision.bitrate_bps:
                ladder.set_bitrate(decision.rid, decision.bitrate_bps)
                publisher.set_layer_pacing(decision.rid, decision.bitrate_bps)
            elif decision.kind == PAUSE:
                ladder.pause(decision.rid)
                self.notices.emit(code="layer_paused", message=decision.message())
            elif decision.kind == RESUME:
                if decision.bitrate_bps:
                    ladder.set_bitrate(decision.rid, decision.bitrate_bps)
                    publisher.set_layer_pacing(decision.rid, decision.bitrate_bps)
                ladder.resume(decision.rid)  # its first packet is a keyframe
                self.notices.emit(code="layer_resumed", message=decision.message())
        except KeyError:  # a layer the ladder does not have (should not happen)
            log.warning("congestion decision for unknown layer %s", decision.rid)

    def _forward_notice(self, **payload: Any) -> None:
        self.notices.emit(code=payload.get("code"), message=payload.get("message"))

    def stats(self) -> dict[str, Any]:
        """The ``--stats-jsonl`` object: the publisher's view (what went out) with the encoder's
        (what was encoded): drops of both, the encoder in use, encoded keyframes per layer."""
        publisher, ladder = self.publisher, self.ladder
        if publisher is None:
            return {"t": time.time(), "state": STOPPED, "layers": [], "rtt_ms": None, "loss_fraction": None,
                    "available_bitrate_bps": None, "dropped_frames": 0, "encoder": None}
        data = publisher.stats()
        data["state"] = self.state
        if self._failure is not None:
            data["failure"] = self._failure.reason.value
            data["failure_message"] = str(self._failure)
        if ladder is not None:
            encoded = {layer.rid: layer for layer in ladder.stats()}
            ladder_dropped = ladder.input_dropped
            for entry in data["layers"]:
                layer = encoded.get(entry["rid"])
                if layer is None:
                    continue
                ladder_dropped += layer.dropped
                entry["encoded_fps"] = layer.output_fps
                entry["encoded_keyframes"] = layer.keyframes
                entry["encoder"] = layer.encoder
                entry["encoder_keyframe_requests"] = layer.keyframe_requests
                entry["active"] = bool(entry["active"] and layer.is_active and not layer.is_failed)
            data["dropped_frames"] = data["dropped_frames"] + ladder_dropped
            names = [layer.encoder for layer in encoded.values() if layer.encoder]
            data["encoder"] = names[0] if names and len(set(names)) == 1 else (", ".join(dict.fromkeys(names)) or ladder.chosen_encoder)
        if self.controller is not None:
            control = self.controller.snapshot()
            congestion = dict(data.get("congestion") or {})
            congestion.update(
                {
                    "adapting": self.adapt_to_network,
                    "layers": control["layers"],
                    "pause_threshold_bps": control["pause_threshold_bps"],
                    "resume_threshold_bps": control["resume_threshold_bps"],
                    "resume_hold_s": control["resume_hold_s"],
                    "decisions": control["decisions"],
                }
            )
            data["congestion"] = congestion
            by_rid = {layer["rid"]: layer for layer in control["layers"]}
            for entry in data["layers"]:
                layer = by_rid.get(entry["rid"])
                if layer is not None:
                    entry["congestion_state"] = layer["state"]
                    entry["target_bitrate_bps"] = layer["target_bps"]
        data["elapsed_s"] = round(self.elapsed_s, 1) if self.elapsed_s is not None else None
        data["cpu_percent"] = self._cpu.percent()  # this process, % of one core
        if self.recorder is not None:
            data["recording"] = self.recorder.stats()
        return data


def run_publish(
    source: Any,
    url: str,
    token: str | None = None,
    *,
    duration_s: float,
    layers: Sequence[LayerSpec] | None = None,
    codec: str = "h264",
    encoder: str = "auto",
    on_stats: Callable[[dict[str, Any]], Any] | None = None,
    **options: Any,
) -> LiveSession:
    """Publish ``source`` for ``duration_s`` seconds (blocking), calling ``on_stats`` once a
    second; always stops (WHIP DELETE) before returning.  Check ``session.failure``."""
    session = LiveSession(source, url, token, layers, codec, encoder, **options)
    session.start()
    try:
        deadline = time.monotonic() + duration_s
        next_stats = time.monotonic() + 1.0
        while time.monotonic() < deadline and session.state != FAILED:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
            if on_stats is not None and time.monotonic() >= next_stats:
                next_stats += 1.0
                on_stats(session.stats())
    finally:
        session.stop()
    return session
