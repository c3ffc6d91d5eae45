"""The simulcast ladder: one program frame in, one packet stream per layer (rid) out.

Threads and hand-offs (all bounded, latest wins, drops counted):

    caller ──submit()──▶ [input slot] ──▶ convert thread: BGR → I420 once (full size), pts from
                                          capture time, and the area-averaging pyramid (½, ¼…)
                                          for layers that are exact halvings of the program
                                            │ read-only buffers shared by every active layer
                              ┌─────────────┼─────────────┐
                              ▼             ▼             ▼
                        [slot h]       [slot m]      [slot l]     one-item mailboxes
                        layer h        layer m       layer l      worker threads: take the level,
                        encode         encode        encode       or scale once (swscale) + encode
                              └──────── on_packet(EncodedPacket) ─┘  (called on the layer's thread)

``submit`` never blocks and never converts: a slow layer drops its own frames, not the others'.
Timestamps count 90 kHz ticks from the first frame's capture time, shared by every layer
(SFUs align simulcast layers by RTP timestamp), strictly increasing.

Control (from any thread, e.g. the WHIP publisher's loop): ``pause``/``resume`` a layer (resume
starts with a keyframe), ``set_bitrate`` (in place where the backend can, else the encoder
reopens at the next frame as a keyframe), ``request_keyframe`` (rate-limited per layer; extra
requests are coalesced and counted).  Hardware that fails at open leaves that layer to software;
hardware that fails mid-stream is replaced by software on the same frame, which is re-encoded
as a keyframe, so the frame count stays unbroken; ``notices`` reports it once, in words.

This module holds the ``Ladder`` itself: its lifecycle, the converter thread, the hand-off to
the layers, and the controls and stats, which it passes to each layer's worker.  The rest has a
module of its own: ``encoders.layers`` (``LayerSpec``, the default ladder and its bitrates),
``encoders.layer_worker`` (one layer's thread and encoder, the software fallback),
``encoders.layer_control`` (pause, keyframe and bitrate rules of a layer),
``encoders.layer_stats`` (``LayerStats``, counters, medians, the measured output rate) and
``encoders.timestamps`` (capture time → pts).

Cost (2-core test machine, software x264, default 1080p ladder, ``bridgecast bench encode``):
about 36 % of one core at the fastest preset, 54 % at the default one, conversion and scaling
included; see bench/encode.py.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from encoders.base import RTP_TIME_BASE, EncodedPacket
from encoders.convert import bgr_to_i420, halve_i420
# LayerSpec, the default ladder and LayerStats are re-exported: callers import them from here.
from encoders.layer_stats import STATS_WINDOW, LayerStats, median_ms
from encoders.layer_worker import ConvertedFrame, LadderEncoding, LayerWorker
from encoders.layers import MIN_LAYER_BITRATE_BPS, REFERENCE_BITRATES, LayerSpec, default_ladder, ladder_bitrate_bps
from encoders.timestamps import CaptureTimestamps
from studio.core.clock import NS_PER_S
from studio.core.events import Signal
from studio.core.frame import LatestSlot, VideoFrame
from studio.core.i18n import _
from studio.core.threads import ENCODE_PREFIX, set_native_name

__all__ = [
    "KEYFRAME_MIN_INTERVAL_S",
    "MIN_LAYER_BITRATE_BPS",
    "REFERENCE_BITRATES",
    "Ladder",
    "LayerSpec",
    "LayerStats",
    "default_ladder",
    "ladder_bitrate_bps",
]

log = logging.getLogger(__name__)

KEYFRAME_MIN_INTERVAL_S = 0.5


class Ladder:
    """Encodes program frames into simulcast layers.  ``start()`` … ``submit(frame)`` … ``stop()``.

    ``on_packet(packet)`` runs on the layer's worker thread; keep it short (hand the packet to
    the network loop).  ``notices`` emits ``code``, ``message`` (translated), ``rid``,
    ``encoder`` for things the user should know (each code once per ladder).
    """

    def __init__(
        self,
        layers: list[LayerSpec],
        codec: str = "h264",
        encoder: str = "auto",
        keyframe_interval_s: float = 2.0,
        preset: str = "fastest",
        on_packet: Callable[[EncodedPacket], Any] | None = None,
        *,
        keyframe_min_interval_s: float = KEYFRAME_MIN_INTERVAL_S,
        time_base: Fraction = RTP_TIME_BASE,
        source: LatestSlot[VideoFrame] | None = None,
    ) -> None:
        if not layers:
            raise ValueError("a ladder needs at least one layer")
        rids = [layer.rid for layer in layers]
        if len(set(rids)) != len(rids):
            raise ValueError(f"layer rids must be unique, got {rids}")
        self.codec = codec
        self.encoder_preference = encoder
        self.keyframe_interval_s = keyframe_interval_s
        self.preset = preset
        self.on_packet = on_packet
        self.keyframe_min_interval_ns = int(keyframe_min_interval_s * NS_PER_S)
        self.time_base = time_base
        self.notices = Signal()
        self.notices_sent: list[dict[str, Any]] = []
        self._stopping = threading.Event()
        self._progress = threading.Condition()  # a frame was converted or encoded (drain waits on it)
        encoding = LadderEncoding(
            codec=codec,
            keyframe_interval_s=keyframe_interval_s,
            preset=preset,
            time_base=time_base,
            keyframe_min_interval_ns=self.keyframe_min_interval_ns,
            program_fps=max(spec.fps for spec in layers),
        )
        self._workers = [
            LayerWorker(spec, encoding, deliver=self._deliver, notice=self._notice, stopping=self._stopping, progress=self._progress)
            for spec in layers
        ]
        self._by_rid = {worker.spec.rid: worker for worker in self._workers}
        self._input: LatestSlot[VideoFrame] = source if source is not None else LatestSlot()
        self._owns_input = source is None
        self._converter: threading.Thread | None = None
        self._converter_taken = 0
        self._is_converter_busy = False
        self._convert_ms: deque[float] = deque(maxlen=STATS_WINDOW)
        self._timestamps = CaptureTimestamps(time_base)
        self._notified: set[str] = set()
        self._notice_lock = threading.Lock()
        self._is_started = False
        self.frames_submitted = 0
        self.chosen_encoder: str | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def layers(self) -> list[LayerSpec]:
        return [worker.spec for worker in self._workers]

    @property
    def is_running(self) -> bool:
        return self._is_started and not self._stopping.is_set()

    @property
    def origin_ns(self) -> int | None:
        """Capture time (monotonic ns) of pts 0: ``capture_ns = origin_ns + pts / 90 kHz``."""
        return self._timestamps.origin_ns

    def start(self) -> None:
        """Open one encoder per layer (hardware where it works) and start the threads.
        Raises ``EncoderUnavailable`` only if not even software can encode ``codec``."""
        if self._is_started:
            return
        from encoders.probe import choose_encoder

        choice = choose_encoder(self.codec, self.encoder_preference)
        self.chosen_encoder = choice.name
        if choice.reason:
            self._notice(
                "pinned_unavailable",
                _("The {encoder} encoder is not available ({reason}); using {fallback} instead.").format(
                    encoder=self.encoder_preference, reason=choice.reason, fallback=choice.name
                ),
                encoder=self.encoder_preference,
            )
        opened: list[LayerWorker] = []
        fallen_back: list[tuple[str, str]] = []
        try:
            for worker in self._workers:
                reason = worker.open(choice.name)
                opened.append(worker)
                if reason is not None:
                    fallen_back.append((worker.spec.rid, reason))
        except Exception:
            for worker in opened:
                worker.close_encoder()
            raise
        if fallen_back:
            self._notice(
                "hardware_open_fallback",
                _("The {encoder} encoder could not start for layer(s) {rids} ({reason}); software encoding is used there instead.").format(
                    encoder=choice.name, rids=", ".join(rid for rid, _reason in fallen_back), reason=fallen_back[0][1]
                ),
                rid=fallen_back[0][0],
                encoder=choice.name,
            )
        self._is_started = True
        self._stopping.clear()
        self._converter = threading.Thread(target=self._run_converter, name="bridgecast-ladder-convert", daemon=True)
        self._converter.start()
        for worker in self._workers:
            worker.start()

    def stop(self) -> None:
        """Stop the threads, deliver what the encoders still hold, release them.  Idempotent.
        Call it from the controlling thread, not from ``on_packet``."""
        if not self._is_started or self._stopping.is_set():
            return
        self._stopping.set()
        if self._owns_input:
            self._input.close()
        for worker in self._workers:
            worker.close_mailbox()
        if self._converter is not None:
            self._converter.join(timeout=10)
        # Every thread ends before any encoder is flushed: a codec context is never shared.
        for worker in self._workers:
            worker.join(timeout_s=10)
        for worker in self._workers:
            worker.finish()
        with self._progress:
            self._progress.notify_all()

    def __enter__(self) -> "Ladder":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ input

    def submit(self, frame: VideoFrame) -> None:
        """Hand over a program frame; never blocks (an unconverted older frame is replaced and counted)."""
        if not self.is_running:
            return
        self.frames_submitted += 1
        self._input.put(frame)

    def drain(self, timeout_s: float = 10.0) -> bool:
        """Wait until every submitted frame is encoded or dropped (tests, benchmarks, recording)."""
        deadline = time.monotonic() + timeout_s
        with self._progress:
            while not self._is_idle():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.is_running:
                    return self._is_idle()
                self._progress.wait(min(remaining, 0.05))
        return True

    def _is_idle(self) -> bool:
        input_pending = self._input.put_count - self._input.dropped - self._converter_taken
        if input_pending > 0 or self._is_converter_busy:
            return False
        return all(worker.is_idle for worker in self._workers)

    # ------------------------------------------------------------------ control

    def _worker(self, rid: str) -> LayerWorker:
        try:
            return self._by_rid[rid]
        except KeyError:
            raise KeyError(f"no layer {rid!r} (layers: {', '.join(self._by_rid)})") from None

    def pause(self, rid: str) -> None:
        """Stop encoding ``rid``; once this returns, that layer delivers nothing until resumed."""
        self._worker(rid).control.pause()

    def resume(self, rid: str) -> None:
        """Encode ``rid`` again; its first packet after this is a keyframe."""
        self._worker(rid).control.resume()

    def is_active(self, rid: str) -> bool:
        return self._worker(rid).control.is_active

    def set_bitrate(self, rid: str, bitrate_bps: int) -> bool:
        """New target for ``rid`` from the next frame.  True: applied in place; False: the encoder
        reopens at the next frame, which becomes a keyframe (no frame is lost)."""
        worker = self._worker(rid)
        bitrate_bps = int(bitrate_bps)
        if bitrate_bps <= 0:
            raise ValueError("bitrate must be positive")
        return worker.set_bitrate(bitrate_bps)

    def request_keyframe(self, rid: str | None = None) -> bool:
        """Ask for a keyframe on ``rid`` (all layers if None).  Honoured at most once per
        ``keyframe_min_interval_s`` per layer; requests already waiting absorb new ones (counted).
        Returns True if at least one request was newly queued."""
        workers = self._workers if rid is None else [self._worker(rid)]
        results = [worker.control.request_keyframe() for worker in workers]  # every layer asked, no short cut
        return any(results)

    # ------------------------------------------------------------------ stats

    def stats(self) -> list[LayerStats]:
        return [worker.stats() for worker in self._workers]

    def layer_stats(self, rid: str) -> LayerStats:
        return self._worker(rid).stats()

    def reset_timings(self) -> None:
        """Forget the timing samples (e.g. after a warm-up) so the medians describe what follows."""
        self._convert_ms.clear()
        for worker in self._workers:
            worker.reset_timings()

    @property
    def input_dropped(self) -> int:
        """Frames replaced in the input slot before conversion (the converter fell behind)."""
        return self._input.dropped

    @property
    def convert_ms_p50(self) -> float | None:
        return median_ms(self._convert_ms)

    # ------------------------------------------------------------------ notices and packets

    def _notice(self, code: str, message: str, *, rid: str | None = None, encoder: str | None = None) -> None:
        with self._notice_lock:
            if code in self._notified:
                return
            self._notified.add(code)
            payload = {"code": code.split(":")[0], "message": message, "rid": rid, "encoder": encoder}
            self.notices_sent.append(payload)
        log.warning("%s", message)
        self.notices.emit(**payload)

    def _deliver(self, packet: EncodedPacket) -> None:
        # Read at every packet, so a consumer set after construction gets the stream too.
        if self.on_packet is not None:
            self.on_packet(packet)

    # ------------------------------------------------------------------ the converter thread

    def _run_converter(self) -> None:
        set_native_name(ENCODE_PREFIX + "convert")
        try:
            while not self._stopping.is_set():
                frame = self._input.take(timeout=0.2)
                if frame is None:
                    continue
                with self._progress:
                    self._converter_taken += 1
                    self._is_converter_busy = True
                try:
                    self._convert(frame)
                except Exception:
                    log.exception("ladder: converting a frame failed")
                finally:
                    with self._progress:
                        self._is_converter_busy = False
                        self._progress.notify_all()
        finally:
            log.debug("ladder converter stopped")

    def _convert(self, frame: VideoFrame) -> None:
        pts = self._timestamps.pts_for(frame.capture_ns)
        targets = [worker for worker in self._workers if worker.control.is_taking_frames]
        if not targets:
            return
        started = time.perf_counter()
        i420 = bgr_to_i420(frame.image)
        width, height = i420.shape[1], i420.shape[0] * 2 // 3
        # Layers that are exact halvings of the program (the default ladder: 1/2, 1/4) share one
        # area-averaging pyramid made here, right after the conversion, in one go: each level
        # once, and OpenCV's worker pool woken once per frame instead of once per layer and plane.
        depth = max((worker.pyramid_depth(width, height) or 0 for worker in targets), default=0)
        halves: dict[int, np.ndarray] = {0: i420}
        level, level_w, level_h = i420, width, height
        for steps in range(1, depth + 1):
            level = halve_i420(level, level_w, level_h)
            level_w, level_h = level_w // 2, level_h // 2
            level.flags.writeable = False
            halves[steps] = level
        self._convert_ms.append((time.perf_counter() - started) * 1000.0)
        i420.flags.writeable = False  # shared by every layer thread
        converted = ConvertedFrame(i420, width, height, pts, frame.capture_ns, frame.sequence, halves)
        for worker in targets:
            worker.offer(converted)
