"""One canvas's encoders, shared by every output that takes its picture.

A :class:`CanvasEncoding` subscribes once to a compositor's program, runs one
:class:`~encoders.ladder.Ladder` (the frame is converted once, every layer scales from it) and
hands each encoded packet to the outputs that asked for that layer (``rid``): the WHIP
publisher takes h/m/l, an RTMP destination of the same size and bitrate takes the top layer's
very packets, the recording takes them too — one encode, many outputs (what DualStream sells as
"encode each canvas once").  Layers only one output uses may be paused by it; a layer several
outputs share keeps encoding and each output gates its own copy (see
:class:`~studio.golive.whip_output.WhipOutput`).

Threads: :meth:`dispatch` runs on the ladder's encoder threads; the consumer table is a tuple
per rid replaced (never mutated) under a lock, so dispatch reads it without locking.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Sequence

from encoders.base import EncodedPacket
from encoders.ladder import Ladder, LayerSpec
from studio.core.events import Signal
from studio.scene import CanvasRole

log = logging.getLogger(__name__)

PacketConsumer = Callable[[EncodedPacket], Any]


class CanvasEncoding:
    """The compositor's program → one ladder → packets fanned out by rid.

    ``studio`` (optional) is told the canvas is held while encoding, so its size cannot change
    under the encoders.  :meth:`start` raises :class:`~encoders.errors.EncoderError` (in words)
    when nothing here can encode the codec; the caller decides what fails with it.
    """

    def __init__(self, compositor: Any, layers: Sequence[LayerSpec], *, codec: str = "h264", encoder: str = "auto",
                 keyframe_interval_s: float = 2.0, preset: str = "fastest", studio: Any = None,
                 canvas: CanvasRole = CanvasRole.HORIZONTAL) -> None:
        if not layers:
            raise ValueError("a canvas encoding needs at least one layer")
        self.compositor = compositor
        self.layers = list(layers)
        self.codec = codec
        self.encoder = encoder
        self.keyframe_interval_s = float(keyframe_interval_s)
        self.preset = preset
        self.canvas = CanvasRole(canvas)
        self.notices = Signal()  # code=, message=: from the ladder (e.g. a hardware encoder fell back)
        self.ladder: Ladder | None = None
        self._studio = studio
        self._slot: Any = None
        self._consumers: dict[str, tuple[PacketConsumer, ...]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ consumers

    @property
    def rids(self) -> list[str]:
        return [layer.rid for layer in self.layers]

    def layer(self, rid: str) -> LayerSpec:
        return next(layer for layer in self.layers if layer.rid == rid)

    def add_consumer(self, rid: str, consumer: PacketConsumer) -> None:
        """Give every packet of layer ``rid`` to ``consumer`` (called on an encoder thread)."""
        if rid not in self.rids:
            raise KeyError(rid)
        with self._lock:
            current = self._consumers.get(rid, ())
            if consumer not in current:
                self._consumers[rid] = current + (consumer,)

    def remove_consumer(self, rid: str, consumer: PacketConsumer) -> None:
        with self._lock:
            self._consumers[rid] = tuple(c for c in self._consumers.get(rid, ()) if c != consumer)

    def consumer_count(self, rid: str) -> int:
        return len(self._consumers.get(rid, ()))

    def dispatch(self, packet: EncodedPacket) -> None:
        for consumer in self._consumers.get(packet.rid or "", ()):
            try:
                consumer(packet)
            except Exception:  # one output's bug never stops the others' packets
                log.exception("an output failed to take a %s packet", packet.rid)

    # ------------------------------------------------------------------ lifecycle

    @property
    def is_running(self) -> bool:
        return self.ladder is not None and self.ladder.is_running

    def start(self) -> None:
        """Hold the canvas, subscribe to the program and open the encoders."""
        if self.ladder is not None:
            raise RuntimeError("a canvas encoding starts once")
        if self._studio is not None:
            if self.canvas is CanvasRole.HORIZONTAL:
                self._studio.hold_canvas(self)  # the ladder is sized for this compositor
            else:
                self._studio.hold_canvas(self, canvas=self.canvas)
        self._slot = self.compositor.subscribe()
        self.ladder = Ladder(self.layers, codec=self.codec, encoder=self.encoder,
                             keyframe_interval_s=self.keyframe_interval_s, preset=self.preset,
                             on_packet=self.dispatch, source=self._slot)
        self.ladder.notices.connect(self._forward_notice)
        try:
            self.ladder.start()
        except BaseException:
            self._release()
            raise

    def stop(self) -> None:
        """Stop the encoders (they flush), unsubscribe and release the canvas; joins every thread."""
        ladder = self.ladder
        if ladder is not None:
            ladder.stop()
        self._release()

    def _release(self) -> None:
        slot, self._slot = self._slot, None
        if slot is not None:
            self.compositor.unsubscribe(slot)
        if self._studio is not None:
            self._studio.release_canvas(self)

    def _forward_notice(self, **payload: Any) -> None:
        self.notices.emit(code=payload.get("code"), message=payload.get("message"))

    # ------------------------------------------------------------------ controls

    def request_keyframe(self, rid: str | None) -> None:
        ladder = self.ladder
        if ladder is not None and ladder.is_running:
            ladder.request_keyframe(rid)
