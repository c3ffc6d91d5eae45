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

Cost (2-core test machine, software x264, default 1080p ladder, ``bridgecast bench encode``):
about 36 % of one core at the fastest preset, 54 % at the default one, conversion and scaling
included; see bench/encode.py.
"""
from __future__ import annotations

import logging
import math
import statistics
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, Callable

import av
import numpy as np

from encoders.base import RTP_TIME_BASE, SOFTWARE_ENCODERS, EncodedPacket, Encoder, EncoderSettings, create_encoder
from encoders.convert import Scaler, bgr_to_i420, halve_i420, halvings, i420_frame
from encoders.errors import EncoderError, EncoderFailed, EncoderUnavailable
from studio.core.clock import NS_PER_S
from studio.core.events import Signal
from studio.core.frame import LatestSlot, VideoFrame
from studio.core.i18n import _

log = logging.getLogger(__name__)

# Reference points of the default ladder at 30 fps: (pixels, bits per second).
REFERENCE_BITRATES: tuple[tuple[int, int], ...] = ((480 * 270, 300_000), (960 * 540, 1_200_000), (1920 * 1080, 4_500_000))
MIN_LAYER_BITRATE_BPS = 100_000
KEYFRAME_MIN_INTERVAL_S = 0.5
_STATS_WINDOW = 300  # encode-time samples kept per layer


@dataclass(frozen=True)
class LayerSpec:
    """One simulcast layer: its rid, encoded size, target bitrate and frame rate."""

    rid: str
    width: int
    height: int
    bitrate_bps: int
    fps: float

    def __post_init__(self) -> None:
        if not self.rid:
            raise ValueError("a layer needs a rid")
        if self.width <= 0 or self.height <= 0 or self.width % 2 or self.height % 2:
            raise ValueError(f"layer {self.rid}: size must be positive and even, got {self.width}x{self.height}")
        if self.bitrate_bps <= 0 or self.fps <= 0:
            raise ValueError(f"layer {self.rid}: bitrate and fps must be positive")


def _even(value: float) -> int:
    return max(2, int(round(value / 2.0)) * 2)


def ladder_bitrate_bps(width: int, height: int, fps: float = 30.0) -> int:
    """Target bitrate for a layer, interpolated by pixel count (log-log) through the reference
    points 270p 0.3 / 540p 1.2 / 1080p 4.5 Mbit/s (exact there, any aspect ratio), scaled by
    √(fps/30) for other frame rates (motion costs less than proportionally)."""
    pixels = max(1, width * height)
    points = REFERENCE_BITRATES
    if pixels <= points[0][0]:
        (p0, b0), (p1, b1) = points[0], points[1]
    elif pixels >= points[-1][0]:
        (p0, b0), (p1, b1) = points[-2], points[-1]
    else:
        index = next(i for i in range(1, len(points)) if pixels <= points[i][0])
        (p0, b0), (p1, b1) = points[index - 1], points[index]
    slope = math.log(b1 / b0) / math.log(p1 / p0)
    bitrate = b0 * (pixels / p0) ** slope * math.sqrt(max(fps, 1.0) / 30.0)
    return max(MIN_LAYER_BITRATE_BPS, int(round(bitrate / 1000.0)) * 1000)


def default_ladder(canvas_width: int, canvas_height: int, fps: float = 30.0) -> list[LayerSpec]:
    """h = full canvas, m = half, l = quarter (even sizes; vertical canvases too)."""
    layers = []
    for rid, divisor in (("h", 1), ("m", 2), ("l", 4)):
        width, height = _even(canvas_width / divisor), _even(canvas_height / divisor)
        layers.append(LayerSpec(rid, width, height, ladder_bitrate_bps(width, height, fps), fps))
    return layers


@dataclass(frozen=True)
class LayerStats:
    """A snapshot of one layer (``as_dict()`` for JSON; ``active`` mirrors ``is_active``)."""

    rid: str
    width: int
    height: int
    fps: float
    bitrate_bps: int  # current target
    output_bitrate_bps: int | None  # measured over the last second of content
    output_fps: float | None
    frames_in: int
    frames_encoded: int
    dropped: int
    keyframes: int
    keyframe_requests: int
    keyframe_requests_coalesced: int
    bytes: int
    encode_ms_p50: float | None
    scale_ms_p50: float | None
    ms_per_frame_p50: float | None
    cpu_ms_per_frame_p50: float | None
    is_active: bool
    is_failed: bool
    encoder: str | None
    is_hardware: bool
    fallbacks: int
    reopens: int

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["active"] = self.is_active
        return data


@dataclass(frozen=True, slots=True)
class _Work:
    i420: np.ndarray  # full-size, read-only, shared by every layer
    width: int
    height: int
    pts: int
    capture_ns: int
    sequence: int
    halves: dict[int, np.ndarray]  # k → the picture area-averaged k times by 2 (read-only, shared)


class _Layer:
    def __init__(self, spec: LayerSpec) -> None:
        self.spec = spec
        self.mailbox: LatestSlot[_Work] = LatestSlot()
        self.lock = threading.RLock()  # control state + emission (so pause() is final when it returns)
        self.encoder: Encoder | None = None
        self.scaler: Scaler | None = None
        self.thread: threading.Thread | None = None
        self.target_bitrate_bps = spec.bitrate_bps
        self.pending_bitrate_bps: int | None = None
        self.is_active = True
        self.is_failed = False
        self.epoch = 0
        self.is_resume_keyframe_due = False
        self.is_awaiting_keyframe = False
        self.is_keyframe_requested = False
        self.last_keyframe_capture_ns: int | None = None
        self.next_due_ns: int | None = None
        # counters
        self.taken = 0
        self.is_busy = False
        self.frames_in = 0
        self.frames_encoded = 0
        self.frames_skipped_fps = 0
        self.frames_paused = 0
        self.keyframes = 0
        self.keyframe_requests = 0
        self.keyframe_requests_coalesced = 0
        self.bytes = 0
        self.packets_discarded = 0
        self.fallbacks = 0
        self.reopens = 0  # of encoders already replaced
        self.encode_ms: deque[float] = deque(maxlen=_STATS_WINDOW)
        self.scale_ms: deque[float] = deque(maxlen=_STATS_WINDOW)
        self.frame_ms: deque[float] = deque(maxlen=_STATS_WINDOW)  # scale + encode, wall clock
        self.frame_cpu_ms: deque[float] = deque(maxlen=_STATS_WINDOW)  # same, this thread's CPU time
        self.encoder_name: str | None = None
        self.is_hardware = False
        self.recent: deque[tuple[int, int]] = deque()  # (pts, bytes) of the last second of output
        self.recent_frames: deque[int] = deque()

    @property
    def pending_items(self) -> int:
        return self.mailbox.put_count - self.mailbox.dropped - self.taken


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
        self._layers = [_Layer(spec) for spec in layers]
        self._top_fps = max(spec.fps for spec in layers)
        self._halvings_cache: dict[tuple[int, int, int, int], int | None] = {}
        self._by_rid = {layer.spec.rid: layer for layer in self._layers}
        self._input: LatestSlot[VideoFrame] = source if source is not None else LatestSlot()
        self._owns_input = source is None
        self._stopping = threading.Event()
        self._progress = threading.Condition()
        self._converter: threading.Thread | None = None
        self._converter_taken = 0
        self._is_converter_busy = False
        self._convert_ms: deque[float] = deque(maxlen=_STATS_WINDOW)
        self._origin_ns: int | None = None
        self._last_pts: int | None = None
        self._notified: set[str] = set()
        self._notice_lock = threading.Lock()
        self._is_started = False
        self.frames_submitted = 0
        self.chosen_encoder: str | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def layers(self) -> list[LayerSpec]:
        return [layer.spec for layer in self._layers]

    @property
    def is_running(self) -> bool:
        return self._is_started and not self._stopping.is_set()

    @property
    def origin_ns(self) -> int | None:
        """Capture time (monotonic ns) of pts 0: ``capture_ns = origin_ns + pts / 90 kHz``."""
        return self._origin_ns

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
        opened: list[_Layer] = []
        fallen_back: list[tuple[str, str]] = []
        try:
            for layer in self._layers:
                layer.encoder, reason = self._open_for_layer(layer, choice.name)
                layer.encoder_name, layer.is_hardware = layer.encoder.name, layer.encoder.is_hardware
                layer.scaler = Scaler(layer.spec.width, layer.spec.height, layer.encoder.pix_fmt)
                opened.append(layer)
                if reason is not None:
                    fallen_back.append((layer.spec.rid, reason))
        except Exception:
            for layer in opened:
                self._close_encoder(layer)
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
        for layer in self._layers:
            layer.thread = threading.Thread(target=self._run_layer, args=(layer,), name=f"bridgecast-ladder-{layer.spec.rid}", daemon=True)
            layer.thread.start()

    def stop(self) -> None:
        """Stop the threads, deliver what the encoders still hold, release them.  Idempotent.
        Call it from the controlling thread, not from ``on_packet``."""
        if not self._is_started or self._stopping.is_set():
            return
        self._stopping.set()
        if self._owns_input:
            self._input.close()
        for layer in self._layers:
            layer.mailbox.close()
        if self._converter is not None:
            self._converter.join(timeout=10)
        for layer in self._layers:
            if layer.thread is not None:
                layer.thread.join(timeout=10)
                if layer.thread.is_alive():
                    log.error("layer %s did not stop in time", layer.spec.rid)
        for layer in self._layers:
            if layer.thread is not None and layer.thread.is_alive():
                continue  # stuck in a driver call: leave its encoder alone rather than race it
            if layer.encoder is not None and not layer.is_failed:
                try:
                    self._emit(layer, layer.encoder.flush(), layer.epoch)
                except EncoderError as exc:
                    log.warning("layer %s: flush failed: %s", layer.spec.rid, exc)
            self._close_encoder(layer)
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
        return all(layer.pending_items <= 0 and not layer.is_busy for layer in self._layers)

    # ------------------------------------------------------------------ control

    def _layer(self, rid: str) -> _Layer:
        try:
            return self._by_rid[rid]
        except KeyError:
            raise KeyError(f"no layer {rid!r} (layers: {', '.join(self._by_rid)})") from None

    def pause(self, rid: str) -> None:
        """Stop encoding ``rid``; once this returns, that layer delivers nothing until resumed."""
        layer = self._layer(rid)
        with layer.lock:
            if layer.is_active:
                layer.is_active = False
                layer.epoch += 1

    def resume(self, rid: str) -> None:
        """Encode ``rid`` again; its first packet after this is a keyframe."""
        layer = self._layer(rid)
        with layer.lock:
            if not layer.is_active:
                layer.is_active = True
                layer.epoch += 1
                layer.is_resume_keyframe_due = True
                layer.is_awaiting_keyframe = True

    def is_active(self, rid: str) -> bool:
        return self._layer(rid).is_active

    def set_bitrate(self, rid: str, bitrate_bps: int) -> bool:
        """New target for ``rid`` from the next frame.  True: applied in place; False: the encoder
        reopens at the next frame, which becomes a keyframe (no frame is lost)."""
        layer = self._layer(rid)
        bitrate_bps = int(bitrate_bps)
        if bitrate_bps <= 0:
            raise ValueError("bitrate must be positive")
        with layer.lock:
            layer.pending_bitrate_bps = bitrate_bps
            layer.target_bitrate_bps = bitrate_bps
            encoder = layer.encoder
        return bool(encoder is not None and encoder.is_bitrate_change_in_place(bitrate_bps))

    def request_keyframe(self, rid: str | None = None) -> bool:
        """Ask for a keyframe on ``rid`` (all layers if None).  Honoured at most once per
        ``keyframe_min_interval_s`` per layer; requests already waiting absorb new ones (counted).
        Returns True if at least one request was newly queued."""
        queued = False
        for layer in self._layers if rid is None else [self._layer(rid)]:
            with layer.lock:
                layer.keyframe_requests += 1
                if layer.is_keyframe_requested:
                    layer.keyframe_requests_coalesced += 1
                else:
                    layer.is_keyframe_requested = True
                    queued = True
        return queued

    # ------------------------------------------------------------------ stats

    def stats(self) -> list[LayerStats]:
        return [self._layer_stats(layer) for layer in self._layers]

    def layer_stats(self, rid: str) -> LayerStats:
        return self._layer_stats(self._layer(rid))

    def _layer_stats(self, layer: _Layer) -> LayerStats:
        with layer.lock:
            encoder = layer.encoder
            output_bitrate, output_fps = self._recent_rates(layer)
            return LayerStats(
                rid=layer.spec.rid,
                width=layer.spec.width,
                height=layer.spec.height,
                fps=layer.spec.fps,
                bitrate_bps=layer.target_bitrate_bps,
                output_bitrate_bps=output_bitrate,
                output_fps=output_fps,
                frames_in=layer.frames_in,
                frames_encoded=layer.frames_encoded,
                dropped=layer.mailbox.dropped,
                keyframes=layer.keyframes,
                keyframe_requests=layer.keyframe_requests,
                keyframe_requests_coalesced=layer.keyframe_requests_coalesced,
                bytes=layer.bytes,
                encode_ms_p50=_median(layer.encode_ms),
                scale_ms_p50=_median(layer.scale_ms),
                ms_per_frame_p50=_median(layer.frame_ms),
                cpu_ms_per_frame_p50=_median(layer.frame_cpu_ms),
                is_active=layer.is_active,
                is_failed=layer.is_failed,
                encoder=layer.encoder_name,
                is_hardware=layer.is_hardware,
                fallbacks=layer.fallbacks,
                reopens=layer.reopens + int(getattr(encoder, "reopen_count", 0) or 0),
            )

    def _recent_rates(self, layer: _Layer) -> tuple[int | None, float | None]:
        if len(layer.recent_frames) < 2:
            return None, None
        span_ticks = layer.recent_frames[-1] - layer.recent_frames[0]
        if span_ticks <= 0:
            return None, None
        span_s = float(span_ticks * self.time_base)
        frames = len(layer.recent_frames) - 1
        size = sum(size for pts, size in layer.recent if pts > layer.recent_frames[0])
        return int(size * 8 / span_s), round(frames / span_s, 2)

    def reset_timings(self) -> None:
        """Forget the timing samples (e.g. after a warm-up) so the medians describe what follows."""
        self._convert_ms.clear()
        for layer in self._layers:
            for samples in (layer.encode_ms, layer.scale_ms, layer.frame_ms, layer.frame_cpu_ms):
                samples.clear()

    @property
    def input_dropped(self) -> int:
        """Frames replaced in the input slot before conversion (the converter fell behind)."""
        return self._input.dropped

    @property
    def convert_ms_p50(self) -> float | None:
        return _median(self._convert_ms)

    # ------------------------------------------------------------------ encoders

    def _settings_for(self, layer: _Layer, bitrate_bps: int) -> EncoderSettings:
        spec = layer.spec
        return EncoderSettings(
            codec=self.codec,  # type: ignore[arg-type]
            width=spec.width,
            height=spec.height,
            fps=spec.fps,
            bitrate_bps=bitrate_bps,
            keyframe_interval_s=self.keyframe_interval_s,
            preset=self.preset,  # type: ignore[arg-type]
            # The layer's own rate is the ceiling: lowering and raising back under congestion
            # stays in place (no keyframe); only going above it reopens.
            max_bitrate_bps=max(spec.bitrate_bps, bitrate_bps),
            time_base=self.time_base,
            rid=spec.rid,
        )

    def _open_for_layer(self, layer: _Layer, name: str) -> tuple[Encoder, str | None]:
        """Open ``name`` for the layer; a hardware encoder that cannot open leaves it to software.
        Returns the encoder and, after a fallback, the reason."""
        settings = self._settings_for(layer, layer.target_bitrate_bps)
        encoder = create_encoder(name)
        try:
            encoder.open(settings)
            return encoder, None
        except EncoderUnavailable as exc:
            software = SOFTWARE_ENCODERS.get(self.codec)
            if software is None or software == name:
                raise
            log.warning("layer %s: %s could not open (%s); using %s", layer.spec.rid, name, exc.reason, software)
            fallback = create_encoder(software)
            fallback.open(settings)
            return fallback, exc.reason

    def _close_encoder(self, layer: _Layer) -> None:
        encoder, layer.encoder = layer.encoder, None
        if encoder is not None:
            layer.reopens += int(getattr(encoder, "reopen_count", 0) or 0)
            try:
                encoder.close()
            except Exception:  # closing a broken hardware session must not stop the others
                log.exception("layer %s: closing %s failed", layer.spec.rid, encoder.name)

    def _replace_with_software(self, layer: _Layer, failure: EncoderFailed) -> Encoder | None:
        """The layer's encoder broke: software takes over (a software failure gets one fresh
        encoder).  Returns None when nothing works any more (the layer is marked failed)."""
        broken = layer.encoder
        software = SOFTWARE_ENCODERS.get(self.codec)
        was_hardware = bool(broken is not None and broken.is_hardware)
        log.warning("layer %s: %s failed mid-stream (%s)", layer.spec.rid, broken.name if broken else "?", failure.reason)
        self._close_encoder(layer)
        replacement_name = software if (was_hardware and software) else (broken.name if broken is not None else software)
        if replacement_name is None or layer.fallbacks >= 3:
            return self._fail_layer(layer, failure.reason)
        try:
            encoder, _reason = self._open_for_layer(layer, replacement_name)
        except EncoderError as exc:
            return self._fail_layer(layer, exc.reason)
        layer.encoder = encoder
        layer.encoder_name, layer.is_hardware = encoder.name, encoder.is_hardware
        layer.scaler = Scaler(layer.spec.width, layer.spec.height, encoder.pix_fmt)
        layer.fallbacks += 1
        encoder.request_keyframe()
        if was_hardware:
            self._notice(
                "hardware_failed",
                _("Hardware encoder failed; switched to software ({reason}).").format(reason=failure.reason),
                rid=layer.spec.rid,
                encoder=broken.name if broken else None,
            )
        return encoder

    def _fail_layer(self, layer: _Layer, reason: str) -> None:
        with layer.lock:
            layer.is_failed = True
        self._notice(
            f"layer_failed:{layer.spec.rid}",
            _("Encoding stopped for layer {rid}: {reason}").format(rid=layer.spec.rid, reason=reason),
            rid=layer.spec.rid,
        )
        return None

    def _notice(self, code: str, message: str, *, rid: str | None = None, encoder: str | None = None) -> None:
        with self._notice_lock:
            if code in self._notified:
                return
            self._notified.add(code)
            payload = {"code": code.split(":")[0], "message": message, "rid": rid, "encoder": encoder}
            self.notices_sent.append(payload)
        log.warning("%s", message)
        self.notices.emit(**payload)

    # ------------------------------------------------------------------ threads

    def _next_pts(self, capture_ns: int) -> int:
        if self._origin_ns is None:
            self._origin_ns = capture_ns
        elapsed_ns = capture_ns - self._origin_ns
        tb = self.time_base
        # round(elapsed_ns / 1e9 / tb) in integers
        pts = (2 * elapsed_ns * tb.denominator + tb.numerator * NS_PER_S) // (2 * tb.numerator * NS_PER_S)
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1
        self._last_pts = pts
        return pts

    def _run_converter(self) -> None:
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
        pts = self._next_pts(frame.capture_ns)
        targets = [layer for layer in self._layers if layer.is_active and not layer.is_failed]
        if not targets:
            return
        started = time.perf_counter()
        i420 = bgr_to_i420(frame.image)
        width, height = i420.shape[1], i420.shape[0] * 2 // 3
        # Layers that are exact halvings of the program (the default ladder: 1/2, 1/4) share one
        # area-averaging pyramid made here, right after the conversion, in one go: each level
        # once, and OpenCV's worker pool woken once per frame instead of once per layer and plane.
        depth = max((self._halvings(layer, width, height) or 0 for layer in targets), default=0)
        halves: dict[int, np.ndarray] = {0: i420}
        level, level_w, level_h = i420, width, height
        for steps in range(1, depth + 1):
            level = halve_i420(level, level_w, level_h)
            level_w, level_h = level_w // 2, level_h // 2
            level.flags.writeable = False
            halves[steps] = level
        self._convert_ms.append((time.perf_counter() - started) * 1000.0)
        i420.flags.writeable = False  # shared by every layer thread
        work = _Work(i420, width, height, pts, frame.capture_ns, frame.sequence, halves)
        for layer in targets:
            layer.frames_in += 1
            layer.mailbox.put(work)

    def _run_layer(self, layer: _Layer) -> None:
        try:
            while not self._stopping.is_set():
                work = layer.mailbox.take(timeout=0.2)
                if work is None:
                    continue
                with self._progress:
                    layer.taken += 1
                    layer.is_busy = True
                try:
                    self._encode_one(layer, work)
                except Exception:
                    log.exception("layer %s: encoding a frame failed", layer.spec.rid)
                finally:
                    with self._progress:
                        layer.is_busy = False
                        self._progress.notify_all()
        finally:
            log.debug("ladder layer %s stopped", layer.spec.rid)

    def _encode_one(self, layer: _Layer, work: _Work) -> None:
        spec = layer.spec
        with layer.lock:
            if layer.is_failed or layer.encoder is None:
                return
            if not layer.is_active:
                layer.frames_paused += 1
                return
            if spec.fps < self._top_fps:  # a layer slower than the program keeps every n-th frame
                if layer.next_due_ns is not None and work.capture_ns < layer.next_due_ns:
                    layer.frames_skipped_fps += 1
                    return
                interval_ns = int(NS_PER_S / spec.fps)
                layer.next_due_ns = work.capture_ns + interval_ns - interval_ns // 4
            epoch = layer.epoch
            is_keyframe_forced = False
            if layer.is_resume_keyframe_due:
                is_keyframe_forced = True
                layer.is_resume_keyframe_due = False
            elif layer.is_keyframe_requested:
                last = layer.last_keyframe_capture_ns
                if last is None or work.capture_ns - last >= self.keyframe_min_interval_ns:
                    is_keyframe_forced = True
            pending_bitrate, layer.pending_bitrate_bps = layer.pending_bitrate_bps, None
            encoder = layer.encoder
            scaler = layer.scaler
        assert scaler is not None
        if pending_bitrate is not None:
            encoder.set_bitrate(pending_bitrate)
        if is_keyframe_forced:
            encoder.request_keyframe()
        started_cpu = time.thread_time()
        started = time.perf_counter()
        frame = self._layer_frame(layer, scaler, work)
        scaled = time.perf_counter()
        try:
            packets = encoder.encode(frame, work.pts, capture_ns=work.capture_ns)
        except EncoderFailed as failure:
            replacement = self._replace_with_software(layer, failure)
            if replacement is None:
                return
            assert layer.scaler is not None
            frame = self._layer_frame(layer, layer.scaler, work)
            try:
                packets = replacement.encode(frame, work.pts, capture_ns=work.capture_ns)
            except EncoderFailed as second:
                self._fail_layer(layer, second.reason)
                return
        finished = time.perf_counter()
        layer.frames_encoded += 1
        layer.scale_ms.append((scaled - started) * 1000.0)
        layer.encode_ms.append((finished - scaled) * 1000.0)
        layer.frame_ms.append((finished - started) * 1000.0)
        layer.frame_cpu_ms.append((time.thread_time() - started_cpu) * 1000.0)
        self._emit(layer, packets, epoch, work.capture_ns)

    def _halvings(self, layer: _Layer, width: int, height: int) -> int | None:
        scaler = layer.scaler
        if scaler is None or scaler.pix_fmt != "yuv420p":
            return None
        key = (width, height, layer.spec.width, layer.spec.height)
        if key not in self._halvings_cache:
            self._halvings_cache[key] = halvings(*key)
        return self._halvings_cache[key]

    def _layer_frame(self, layer: _Layer, scaler: Scaler, work: _Work) -> av.VideoFrame:
        """The layer's picture: a pyramid level when the converter made one, else scaled here."""
        steps = self._halvings(layer, work.width, work.height) if scaler.pix_fmt == "yuv420p" else None
        if steps is not None and steps in work.halves:
            return i420_frame(work.halves[steps])
        if steps is None and (work.width, work.height) == (layer.spec.width, layer.spec.height) and scaler.pix_fmt == "yuv420p":
            return i420_frame(work.i420)
        return scaler.scale_i420(work.i420, work.width, work.height)

    def _emit(self, layer: _Layer, packets: list[EncodedPacket], epoch: int, capture_ns: int | None = None) -> None:
        if not packets:
            return
        with layer.lock:
            if not layer.is_active or layer.epoch != epoch:
                layer.packets_discarded += len(packets)  # paused (or paused and resumed) meanwhile
                return
            for packet in packets:
                if layer.is_awaiting_keyframe:
                    if not packet.is_keyframe:
                        layer.packets_discarded += 1
                        continue
                    layer.is_awaiting_keyframe = False
                if packet.is_keyframe:
                    layer.keyframes += 1
                    layer.is_keyframe_requested = False
                    layer.last_keyframe_capture_ns = packet.capture_ns if packet.capture_ns is not None else capture_ns
                layer.bytes += packet.size
                self._remember(layer, packet)
                if self.on_packet is not None:
                    try:
                        self.on_packet(packet)
                    except Exception:  # a consumer's bug must not stop the encoder
                        log.exception("layer %s: on_packet failed", layer.spec.rid)

    def _remember(self, layer: _Layer, packet: EncodedPacket) -> None:
        window = int(1 / self.time_base)  # one second in ticks
        layer.recent.append((packet.pts, packet.size))
        if not layer.recent_frames or layer.recent_frames[-1] != packet.pts:
            layer.recent_frames.append(packet.pts)
        while layer.recent and layer.recent[0][0] < packet.pts - window:
            layer.recent.popleft()
        while layer.recent_frames and layer.recent_frames[0] < packet.pts - window:
            layer.recent_frames.popleft()


def _median(values: deque[float]) -> float | None:
    if not values:
        return None
    return round(statistics.median(values), 3)
