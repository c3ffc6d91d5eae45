"""A live session: compositor → encoder ladder → outputs (the WHIP publisher, the recording).

This is the only place in the engine where encoders are wired to outputs; the go-live service
(:mod:`studio.golive.service`) builds one per show from a :class:`~studio.golive.plan.GoLivePlan`.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Sequence

from encoders.ladder import Ladder, LayerSpec, default_ladder
from studio.core.events import Signal
from studio.cpu import ProcessCpu
from studio.golive.encoding import CanvasEncoding
from studio.golive.whip_output import WhipOutput, encoder_failure
from studio.outputs.congestion import Decision, LadderController
from studio.outputs.errors import OutputError
from studio.outputs.publisher import FAILED, LIVE, WhipPublisher
from studio.outputs.recorder import Recorder

log = logging.getLogger(__name__)


class LiveSession:
    """Go live to one WHIP endpoint: compositor → encoder ladder → WHIP publisher (+ recording).

    ``source`` is a ``Studio`` (anything with ``.compositor`` and ``.mixer``), a
    ``(compositor, mixer)`` pair (mixer may be None) or a bare compositor.  ``layers``
    defaults to :func:`~encoders.ladder.default_ladder` for the compositor's canvas.
    The studio must be running; :meth:`stop` leaves it running.  ``start`` never raises for
    a publishing problem: the state becomes ``failed`` with :attr:`failure` in words.

    It is the single-destination composition of the go-live parts — a
    :class:`~studio.golive.encoding.CanvasEncoding`, a :class:`~studio.golive.whip_output.WhipOutput`
    and a :class:`~studio.outputs.recorder.Recorder` taking the top layer's packets — used by
    benchmarks and tests that publish one stream; shows with several destinations go through
    :class:`~studio.golive.service.GoLiveService`.
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
        studio = source if hasattr(source, "hold_canvas") else None
        if not has_audio:
            self.mixer = None
        if layers is None:
            layers = default_ladder(self.compositor.width, self.compositor.height, self.compositor.fps)
        self.layers = list(layers)
        self.url = url
        self.codec = codec
        self.encoder = encoder
        self.simulcast = simulcast
        self.on_state = on_state if on_state is not None else Signal()
        self.notices = Signal()
        self.encoding = CanvasEncoding(self.compositor, self.layers, codec=codec, encoder=encoder,
                                       keyframe_interval_s=keyframe_interval_s, preset=preset, studio=studio)
        self.encoding.notices.connect(self._forward_notice)
        self.whip = WhipOutput(self.encoding, url, token, mixer=self.mixer, codec=codec, simulcast=simulcast,
                               on_state=self.on_state, adapt_to_network=adapt_to_network, **publisher_options)
        self.whip.notices.connect(self._forward_notice)
        # The local recording (safety net): its own state signal, because a failed recording
        # (disk full) must never read as a failed stream.
        self.record_path = record_path
        self.recorder: Recorder | None = None
        self.recording_state = Signal()
        self._is_started = False
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

    # ------------------------------------------------------------------ parts

    @property
    def publisher(self) -> WhipPublisher | None:
        return self.whip.publisher

    @property
    def ladder(self) -> Ladder | None:
        return self.encoding.ladder

    @property
    def controller(self) -> LadderController | None:
        return self.whip.controller

    @property
    def adapt_to_network(self) -> bool:
        return self.whip.adapt_to_network

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Open the encoders, subscribe to the program and start publishing (returns at once)."""
        with self._lock:
            if self._is_started:
                raise RuntimeError("a LiveSession starts once")
            self._is_started = True
            top_rid = self.layers[0].rid
            if self.record_path is not None:
                self.recorder = Recorder(self.record_path, video_rid=top_rid, has_audio=self.mixer is not None,
                                         on_state=self.recording_state)
                self.recorder.start()
                self.whip._on_audio_packet = self.recorder.on_audio_packet
            self.whip.create()
            if self.recorder is not None:
                self.encoding.add_consumer(top_rid, self.recorder.on_video_packet)
            try:
                self.encoding.start()
            except Exception as exc:  # EncoderUnavailable: nothing can encode this codec here
                self.whip.fail(encoder_failure(exc))
                return
            self.started_at = time.monotonic()
            try:
                self.whip.start()
            except BaseException:
                self.encoding.stop()
                raise

    def stop(self) -> None:
        """Stop publishing (WHIP DELETE), stop the encoders, unsubscribe; joins every thread."""
        self.whip.stop()
        self.encoding.stop()
        if self.recorder is not None:
            self.recorder.stop()  # after the ladder: it flushes its last packets on stop

    def __enter__(self) -> "LiveSession":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> str:
        return self.whip.state

    @property
    def failure(self) -> OutputError | None:
        return self.whip.failure

    @property
    def is_live(self) -> bool:
        return self.state == LIVE

    @property
    def elapsed_s(self) -> float | None:
        return None if self.started_at is None else time.monotonic() - self.started_at

    def wait_live(self, timeout: float | None = None) -> bool:
        publisher = self.publisher
        return publisher.wait_live(timeout) if publisher is not None else False

    def set_bitrate(self, rid: str, bitrate_bps: int) -> None:
        """New target for one layer: the encoder and the pacing follow."""
        self.whip.set_bitrate(rid, bitrate_bps)

    def apply_decision(self, decision: Decision) -> None:
        """Carry one congestion decision out on the encoder ladder and the pacing."""
        self.whip.apply_decision(decision)

    def _forward_notice(self, **payload: Any) -> None:
        self.notices.emit(code=payload.get("code"), message=payload.get("message"))

    def stats(self) -> dict[str, Any]:
        """The ``--stats-jsonl`` object: the publisher's view (what went out) with the encoder's
        (what was encoded): drops of both, the encoder in use, encoded keyframes per layer."""
        data = self.whip.stats()
        if self.publisher is None:
            return data
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
