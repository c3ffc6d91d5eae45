"""The WHIP destination of a show: a publisher on a canvas encoding, adapted to the network.

:class:`WhipOutput` takes the layers it publishes from a
:class:`~studio.golive.encoding.CanvasEncoding`, owns the
:class:`~studio.outputs.publisher.WhipPublisher` and the congestion
:class:`~studio.outputs.congestion.LadderController` that turns the publisher's bandwidth
estimate into bitrates, pauses and resumes.

A layer only WHIP uses is paused in the encoder (saves the CPU).  A layer another output also
takes (an RTMP destination or the recording sharing the top layer) keeps encoding: WHIP stops
forwarding it instead, and on resume forwards again from the next keyframe, which it asks for.
Bitrate decisions apply to the shared encoder (both outputs get the lower rate while WHIP's
link is congested; stats show it per output).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Sequence

from encoders.base import EncodedPacket
from encoders.ladder import LayerSpec
from studio.core.events import Signal
from studio.golive.encoding import CanvasEncoding
from studio.outputs.congestion import BITRATE, PAUSE, RESUME, Decision, LadderController
from studio.outputs.errors import OutputError, StopReason
from studio.outputs.publisher import FAILED, LIVE, STOPPED, WhipPublisher

log = logging.getLogger(__name__)


class WhipOutput:
    """Publish ``layers`` of ``encoding`` (and ``mixer``'s sound as Opus) to a WHIP endpoint."""

    def __init__(self, encoding: CanvasEncoding, url: str, token: str | None = None, *,
                 layers: Sequence[LayerSpec] | None = None, mixer: Any = None, codec: str = "h264",
                 simulcast: str = "rid", on_state: Signal | None = None, adapt_to_network: bool = True,
                 on_audio_packet: Callable[[Any], Any] | None = None, **publisher_options: Any) -> None:
        self.encoding = encoding
        self.layers = list(layers) if layers is not None else list(encoding.layers)
        self.rids = [layer.rid for layer in self.layers]
        self.url = url
        self._token = token
        self.mixer = mixer
        self.codec = codec
        self.simulcast = simulcast
        self.on_state = on_state if on_state is not None else Signal()
        self.notices = Signal()
        self.adapt_to_network = bool(adapt_to_network)
        self._on_audio_packet = on_audio_packet
        self._publisher_options = publisher_options
        self.publisher: WhipPublisher | None = None
        self.controller: LadderController | None = None
        self.failure_override: OutputError | None = None  # set when the encoders could not start
        # Shared layers WHIP has stopped forwarding, and those waiting for a keyframe to go on.
        self._gated: set[str] = set()
        self._awaiting_keyframe: set[str] = set()
        self._gate_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def create(self) -> WhipPublisher:
        """Make the publisher and hook it to the encoding (nothing connects yet)."""
        self.publisher = WhipPublisher(
            self.url, self._token, layers=self.layers, codec=self.codec, audio=self.mixer, on_state=self.on_state,
            on_keyframe_request=self.encoding.request_keyframe, simulcast=self.simulcast,
            on_audio_packet=self._on_audio_packet, **self._publisher_options)
        self.publisher.notices.connect(self._forward_notice)
        self.controller = LadderController(
            self.layers, reserved_bps=self.publisher.audio_bitrate_bps if self.mixer is not None else 0)
        if self.adapt_to_network:
            self.publisher.on_estimate.connect(self._on_estimate)
        self.on_state.connect(self._on_publisher_state)
        for rid in self.rids:
            self.encoding.add_consumer(rid, self.on_packet)
        return self.publisher

    def start(self) -> None:
        """Connect (returns at once; the state follows the publisher)."""
        if self.publisher is None:
            self.create()
        self.publisher.start()

    def fail(self, failure: OutputError) -> None:
        """The show could not start this output (e.g. no encoder): say so as its state."""
        self.failure_override = failure
        if self.publisher is not None:
            self.publisher._set_state(FAILED, failure)

    def stop(self) -> None:
        """WHIP DELETE and the network thread joined; the encoding goes on for other outputs."""
        publisher = self.publisher
        for rid in self.rids:
            self.encoding.remove_consumer(rid, self.on_packet)
        if publisher is not None:
            publisher.stop()
            publisher.on_estimate.disconnect(self._on_estimate)
        self.on_state.disconnect(self._on_publisher_state)

    # ------------------------------------------------------------------ packets

    def on_packet(self, packet: EncodedPacket) -> None:
        """From an encoder thread: forward unless WHIP has paused this shared layer."""
        rid = packet.rid
        if rid in self._gated:
            return
        if rid in self._awaiting_keyframe:
            if not packet.is_keyframe:
                return
            with self._gate_lock:
                self._awaiting_keyframe.discard(rid)
        publisher = self.publisher
        if publisher is not None:
            publisher.on_packet(packet)

    def _is_shared(self, rid: str) -> bool:
        return self.encoding.consumer_count(rid) > 1

    def pause_layer(self, rid: str) -> None:
        """Stop sending ``rid``: pause its encoder, or gate it when another output uses it."""
        ladder = self.encoding.ladder
        if self._is_shared(rid):
            with self._gate_lock:
                self._gated.add(rid)
                self._awaiting_keyframe.discard(rid)
        elif ladder is not None:
            ladder.pause(rid)

    def layer_shared(self, rid: str) -> None:
        """Another output started taking ``rid``: if WHIP had paused its encoder, keep the
        encoder running for that output and hold WHIP's copy back instead."""
        ladder = self.encoding.ladder
        if ladder is None or rid not in self.rids or ladder.is_active(rid):
            return
        with self._gate_lock:
            self._gated.add(rid)
        ladder.resume(rid)

    def resume_layer(self, rid: str) -> None:
        """Send ``rid`` again, starting on a keyframe."""
        ladder = self.encoding.ladder
        with self._gate_lock:
            was_gated = rid in self._gated
            self._gated.discard(rid)
            if was_gated:
                self._awaiting_keyframe.add(rid)
        if ladder is None:
            return
        if was_gated:
            ladder.request_keyframe(rid)
        else:
            ladder.resume(rid)  # its first packet is a keyframe

    # ------------------------------------------------------------------ network adaptation

    def set_bitrate(self, rid: str, bitrate_bps: int) -> None:
        """New target for one layer: the encoder and the pacing follow."""
        ladder = self.encoding.ladder
        if ladder is not None:
            ladder.set_bitrate(rid, bitrate_bps)
        if self.publisher is not None:
            self.publisher.set_layer_bitrate(rid, bitrate_bps)
        if self.controller is not None:
            self.controller.set_nominal(rid, bitrate_bps)

    def _on_publisher_state(self, state: str, failure: OutputError | None = None, **_extra: Any) -> None:
        # Encode only what goes out: layers the answer left out are paused (saves the CPU).
        ladder, publisher = self.encoding.ladder, self.publisher
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
                self.resume_layer(layer.rid)
                # The encoders kept running through any outage: what goes out first on the
                # new connection must be a keyframe (the track also drops up to one).
                ladder.request_keyframe(layer.rid)
            else:
                self.pause_layer(layer.rid)

    def _on_estimate(self, estimate_bps: int) -> None:
        """Network thread, every CONGESTION_INTERVAL_S while live: estimate -> ladder."""
        controller, ladder, publisher = self.controller, self.encoding.ladder, self.publisher
        if controller is None or ladder is None or publisher is None or not ladder.is_running:
            return
        if publisher.state != LIVE:
            return
        for decision in controller.update(estimate_bps):
            self.apply_decision(decision)

    def apply_decision(self, decision: Decision) -> None:
        """Carry one controller decision out on the encoder ladder and the pacing."""
        ladder, publisher = self.encoding.ladder, self.publisher
        if ladder is None or publisher is None:
            return
        try:
            if decision.kind == BITRATE and decision.bitrate_bps:
                ladder.set_bitrate(decision.rid, decision.bitrate_bps)
                publisher.set_layer_pacing(decision.rid, decision.bitrate_bps)
            elif decision.kind == PAUSE:
                self.pause_layer(decision.rid)
                self.notices.emit(code="layer_paused", message=decision.message())
            elif decision.kind == RESUME:
                if decision.bitrate_bps:
                    ladder.set_bitrate(decision.rid, decision.bitrate_bps)
                    publisher.set_layer_pacing(decision.rid, decision.bitrate_bps)
                self.resume_layer(decision.rid)
                self.notices.emit(code="layer_resumed", message=decision.message())
        except KeyError:  # a layer the ladder does not have (should not happen)
            log.warning("congestion decision for unknown layer %s", decision.rid)

    def _forward_notice(self, **payload: Any) -> None:
        self.notices.emit(code=payload.get("code"), message=payload.get("message"))

    # ------------------------------------------------------------------ state and stats

    @property
    def state(self) -> str:
        if self.failure_override is not None:
            return FAILED
        return self.publisher.state if self.publisher is not None else STOPPED

    @property
    def failure(self) -> OutputError | None:
        if self.failure_override is not None:
            return self.failure_override
        return self.publisher.failure if self.publisher is not None else None

    def stats(self) -> dict[str, Any]:
        """The publisher's view (what went out) joined with the encoders' (what was encoded) and
        the congestion controller's decisions."""
        publisher, ladder = self.publisher, self.encoding.ladder
        if publisher is None:
            return {"t": time.time(), "state": STOPPED, "layers": [], "rtt_ms": None, "loss_fraction": None,
                    "available_bitrate_bps": None, "dropped_frames": 0, "encoder": None}
        data = publisher.stats()
        data["state"] = self.state
        if self.failure_override is not None:
            data["failure"] = self.failure_override.reason.value
            data["failure_message"] = str(self.failure_override)
        if ladder is not None:
            _merge_encoder_stats(data, ladder, self.rids)
        if self.controller is not None:
            _merge_congestion(data, self.controller.snapshot(), self.adapt_to_network)
        return data


def encoder_failure(exc: BaseException) -> OutputError:
    """The typed stop reason for encoders that could not open, in words."""
    from encoders.errors import EncoderError

    detail = exc.reason if isinstance(exc, EncoderError) else type(exc).__name__
    return OutputError(StopReason.ENCODE_ERROR, detail=detail)


def _merge_encoder_stats(data: dict[str, Any], ladder: Any, rids: Sequence[str]) -> None:
    encoded = {layer.rid: layer for layer in ladder.stats() if layer.rid in rids}
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


def _merge_congestion(data: dict[str, Any], control: dict[str, Any], is_adapting: bool) -> None:
    congestion = dict(data.get("congestion") or {})
    congestion.update({
        "adapting": is_adapting,
        "layers": control["layers"],
        "pause_threshold_bps": control["pause_threshold_bps"],
        "resume_threshold_bps": control["resume_threshold_bps"],
        "resume_hold_s": control["resume_hold_s"],
        "decisions": control["decisions"],
    })
    data["congestion"] = congestion
    by_rid = {layer["rid"]: layer for layer in control["layers"]}
    for entry in data["layers"]:
        layer = by_rid.get(entry["rid"])
        if layer is not None:
            entry["congestion_state"] = layer["state"]
            entry["target_bitrate_bps"] = layer["target_bps"]
