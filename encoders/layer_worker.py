"""One simulcast layer's encode worker: its mailbox, its thread, its encoder.

The ladder's converter puts each program picture (already I420, and already halved where the
layer is an exact halving of the program) into the worker's one-item mailbox; the worker's
thread takes the newest, scales it if it has to, encodes it and hands the packets on.  A slow
layer therefore drops its own frames (counted by the mailbox), never another layer's.

One thread per layer and one codec context per thread: PyAV releases the GIL while encoding,
so the layers really run side by side, and no codec context is ever touched by two threads
(only ``stop`` flushes it, after the thread has ended).

The layer's controls and the rules they imply (pause, keyframes, bitrate, a slower frame rate)
are ``encoders.layer_control.LayerControl``, reachable as ``worker.control``; the worker holds its
lock while it emits a frame's packets, so once ``pause()`` returns nothing more is emitted.
Hardware that fails mid-stream is replaced by software on the same frame, re-encoded as a
keyframe, so the layer's frame count stays unbroken.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Protocol

import av
import numpy as np

from encoders.base import SOFTWARE_ENCODERS, EncodedPacket, Encoder, EncoderSettings, create_encoder
from encoders.convert import Scaler, halvings, i420_frame
from encoders.errors import EncoderError, EncoderFailed, EncoderUnavailable
from encoders.layer_control import LayerControl
from encoders.layer_stats import FrameTimings, LayerCounters, LayerStats, OutputWindow, median_ms
from encoders.layers import LayerSpec
from studio.core.clock import NS_PER_S
from studio.core.frame import LatestSlot
from studio.core.i18n import _
from studio.core.threads import ENCODE_PREFIX, named_while, set_native_name

log = logging.getLogger(__name__)

MAX_FALLBACKS = 3  # replacements per layer before it gives up: a codec that keeps failing is broken


@dataclass(frozen=True, slots=True)
class ConvertedFrame:
    """One program picture as every layer receives it (read-only buffers, shared by all)."""

    i420: np.ndarray  # full-size
    width: int
    height: int
    pts: int
    capture_ns: int
    sequence: int
    halves: dict[int, np.ndarray]  # k → the picture area-averaged k times by 2


@dataclass(frozen=True)
class LadderEncoding:
    """What every layer of one ladder encodes with."""

    codec: str
    keyframe_interval_s: float
    preset: str
    time_base: Fraction
    keyframe_min_interval_ns: int
    program_fps: float  # the fastest layer's rate: slower layers keep every n-th frame


class NoticeSink(Protocol):
    def __call__(self, code: str, message: str, *, rid: str | None = None, encoder: str | None = None) -> None: ...


class LayerWorker:
    """Encodes one layer on its own thread.  ``open`` → ``start`` → ``offer``… → ``close_mailbox``
    → ``join`` → ``finish``; ``control`` and ``set_bitrate`` work from any thread in between.

    ``deliver(packet)`` runs on this worker's thread; ``notice`` tells the user (in words) that
    the layer fell back to software or stopped.  ``stopping`` ends the thread; ``progress`` is
    notified whenever the worker finishes a frame (``Ladder.drain`` waits on it, holding it
    while it reads ``is_idle``).
    """

    def __init__(
        self,
        spec: LayerSpec,
        encoding: LadderEncoding,
        *,
        deliver: Callable[[EncodedPacket], Any],
        notice: NoticeSink,
        stopping: threading.Event,
        progress: threading.Condition,
    ) -> None:
        self.spec = spec
        self.counters = LayerCounters()
        self._encoding = encoding
        self._deliver = deliver
        self._notice = notice
        self._stopping = stopping
        self._progress = progress
        self.control = LayerControl(
            spec, program_fps=encoding.program_fps, keyframe_min_interval_ns=encoding.keyframe_min_interval_ns, counters=self.counters,
            keyframe_interval_ns=int(encoding.keyframe_interval_s * NS_PER_S),
        )
        self._mailbox: LatestSlot[ConvertedFrame] = LatestSlot()
        self._thread: threading.Thread | None = None
        self._encoder: Encoder | None = None
        self._scaler: Scaler | None = None
        self._encoder_name: str | None = None
        self._is_hardware = False
        self._halvings_cache: dict[tuple[int, int, int, int], int | None] = {}
        # drain bookkeeping (under progress)
        self._taken = 0
        self._is_busy = False
        self._timings = FrameTimings()
        self._output = OutputWindow(encoding.time_base)

    # ------------------------------------------------------------------ state

    @property
    def is_idle(self) -> bool:
        """Nothing waiting and nothing being encoded (read it holding ``progress``)."""
        pending = self._mailbox.put_count - self._mailbox.dropped - self._taken
        return pending <= 0 and not self._is_busy

    def pyramid_depth(self, width: int, height: int) -> int | None:
        """How many halvings of a ``width``×``height`` picture give this layer's size (None if
        none do, or the encoder wants another pixel format): the converter makes that level."""
        scaler = self._scaler
        if scaler is None or scaler.pix_fmt != "yuv420p":
            return None
        key = (width, height, self.spec.width, self.spec.height)
        if key not in self._halvings_cache:
            self._halvings_cache[key] = halvings(*key)
        return self._halvings_cache[key]

    # ------------------------------------------------------------------ lifecycle

    def open(self, encoder_name: str) -> str | None:
        """Open ``encoder_name`` (hardware that cannot open leaves this layer to software).
        Returns the reason after such a fallback, else None; raises if nothing opens."""
        with named_while(ENCODE_PREFIX + self.spec.rid):  # x264's threads, started at open, carry the layer's name
            encoder, reason = self._open_encoder(encoder_name)
        self._encoder = encoder
        self._encoder_name, self._is_hardware = encoder.name, encoder.is_hardware
        self._scaler = Scaler(self.spec.width, self.spec.height, encoder.pix_fmt)
        return reason

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"bridgecast-ladder-{self.spec.rid}", daemon=True)
        self._thread.start()

    def offer(self, frame: ConvertedFrame) -> None:
        """Hand a picture over; never blocks (an older one not yet taken is replaced and counted)."""
        self.counters.frames_in += 1
        self._mailbox.put(frame)

    def close_mailbox(self) -> None:
        self._mailbox.close()

    def join(self, timeout_s: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
            if self._thread.is_alive():
                log.error("layer %s did not stop in time", self.spec.rid)

    def finish(self) -> None:
        """After ``join``: deliver what the encoder still holds, then release it."""
        if self._thread is not None and self._thread.is_alive():
            return  # stuck in a driver call: leave its encoder alone rather than race it
        if self._encoder is not None and not self.control.is_failed:
            try:
                self._emit(self._encoder.flush(), self.control.epoch)
            except EncoderError as exc:
                log.warning("layer %s: flush failed: %s", self.spec.rid, exc)
        self.close_encoder()

    def close_encoder(self) -> None:
        encoder, self._encoder = self._encoder, None
        if encoder is not None:
            self.counters.reopens += int(getattr(encoder, "reopen_count", 0) or 0)
            try:
                encoder.close()
            except Exception:  # closing a broken hardware session must not stop the others
                log.exception("layer %s: closing %s failed", self.spec.rid, encoder.name)

    # ------------------------------------------------------------------ control

    def set_bitrate(self, bitrate_bps: int) -> bool:
        """New target from the next frame.  True: applied in place; False: the encoder reopens
        at the next frame, which becomes a keyframe."""
        with self.control.lock:
            self.control.set_bitrate(bitrate_bps)
            encoder = self._encoder
        return bool(encoder is not None and encoder.is_bitrate_change_in_place(bitrate_bps))

    # ------------------------------------------------------------------ stats

    def stats(self) -> LayerStats:
        spec, counters, timings, control = self.spec, self.counters, self._timings, self.control
        with control.lock:
            encoder = self._encoder
            output_bitrate_bps, output_fps = self._output.rates()
            return LayerStats(
                rid=spec.rid,
                width=spec.width,
                height=spec.height,
                fps=spec.fps,
                bitrate_bps=control.target_bitrate_bps,
                output_bitrate_bps=output_bitrate_bps,
                output_fps=output_fps,
                frames_in=counters.frames_in,
                frames_encoded=counters.frames_encoded,
                dropped=self._mailbox.dropped,
                keyframes=counters.keyframes,
                keyframe_requests=counters.keyframe_requests,
                keyframe_requests_coalesced=counters.keyframe_requests_coalesced,
                bytes=counters.bytes,
                encode_ms_p50=median_ms(timings.encode_ms),
                scale_ms_p50=median_ms(timings.scale_ms),
                ms_per_frame_p50=median_ms(timings.frame_ms),
                cpu_ms_per_frame_p50=median_ms(timings.frame_cpu_ms),
                is_active=control.is_active,
                is_failed=control.is_failed,
                encoder=self._encoder_name,
                is_hardware=self._is_hardware,
                fallbacks=counters.fallbacks,
                reopens=counters.reopens + int(getattr(encoder, "reopen_count", 0) or 0),
            )

    def reset_timings(self) -> None:
        self._timings.clear()

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        set_native_name(ENCODE_PREFIX + self.spec.rid)
        try:
            while not self._stopping.is_set():
                frame = self._mailbox.take(timeout=0.2)
                if frame is None:
                    continue
                with self._progress:
                    self._taken += 1
                    self._is_busy = True
                try:
                    self._encode_one(frame)
                except Exception:
                    log.exception("layer %s: encoding a frame failed", self.spec.rid)
                finally:
                    with self._progress:
                        self._is_busy = False
                        self._progress.notify_all()
        finally:
            log.debug("ladder layer %s stopped", self.spec.rid)

    def _encode_one(self, work: ConvertedFrame) -> None:
        with self.control.lock:
            if self._encoder is None:
                return
            plan = self.control.plan_frame(work.capture_ns)
            if plan is None:
                return
            encoder = self._encoder
            scaler = self._scaler
        assert scaler is not None
        if plan.new_bitrate_bps is not None:
            encoder.set_bitrate(plan.new_bitrate_bps)
        if plan.is_keyframe_forced:
            encoder.request_keyframe()
        started_cpu = time.thread_time()
        started = time.perf_counter()
        frame = self._layer_frame(scaler, work)
        scaled = time.perf_counter()
        try:
            packets = encoder.encode(frame, work.pts, capture_ns=work.capture_ns)
        except EncoderFailed as failure:
            replacement = self._replace_with_software(failure)
            if replacement is None:
                return
            assert self._scaler is not None
            frame = self._layer_frame(self._scaler, work)
            try:
                packets = replacement.encode(frame, work.pts, capture_ns=work.capture_ns)
            except EncoderFailed as second:
                self._fail(second.reason)
                return
        finished = time.perf_counter()
        self.counters.frames_encoded += 1
        self._timings.add(
            scale_ms=(scaled - started) * 1000.0,
            encode_ms=(finished - scaled) * 1000.0,
            frame_ms=(finished - started) * 1000.0,
            frame_cpu_ms=(time.thread_time() - started_cpu) * 1000.0,
        )
        self._emit(packets, plan.epoch, work.capture_ns)

    def _layer_frame(self, scaler: Scaler, work: ConvertedFrame) -> av.VideoFrame:
        """The layer's picture: a pyramid level when the converter made one, else scaled here."""
        steps = self.pyramid_depth(work.width, work.height) if scaler.pix_fmt == "yuv420p" else None
        if steps is not None and steps in work.halves:
            return i420_frame(work.halves[steps])
        if steps is None and (work.width, work.height) == (self.spec.width, self.spec.height) and scaler.pix_fmt == "yuv420p":
            return i420_frame(work.i420)
        return scaler.scale_i420(work.i420, work.width, work.height)

    def _emit(self, packets: list[EncodedPacket], epoch: int, capture_ns: int | None = None) -> None:
        if not packets:
            return
        control = self.control
        with control.lock:  # held throughout, so a pause() waits for this frame's packets
            if not control.admit_frame(epoch, len(packets)):
                return
            for packet in packets:
                if not control.admit(packet, capture_ns):
                    continue
                self.counters.bytes += packet.size
                self._output.add(packet.pts, packet.size)
                try:
                    self._deliver(packet)
                except Exception:  # a consumer's bug must not stop the encoder
                    log.exception("layer %s: on_packet failed", self.spec.rid)

    # ------------------------------------------------------------------ encoders

    def _settings(self, bitrate_bps: int) -> EncoderSettings:
        spec, encoding = self.spec, self._encoding
        return EncoderSettings(
            codec=encoding.codec,  # type: ignore[arg-type]
            width=spec.width,
            height=spec.height,
            fps=spec.fps,
            bitrate_bps=bitrate_bps,
            keyframe_interval_s=encoding.keyframe_interval_s,
            preset=encoding.preset,  # type: ignore[arg-type]
            # The layer's own rate is the ceiling: lowering and raising back under congestion
            # stays in place (no keyframe); only going above it reopens.
            max_bitrate_bps=max(spec.bitrate_bps, bitrate_bps),
            time_base=encoding.time_base,
            rid=spec.rid,
        )

    def _open_encoder(self, name: str) -> tuple[Encoder, str | None]:
        """Open ``name``; a hardware encoder that cannot open leaves the layer to software.
        Returns the encoder and, after a fallback, the reason."""
        settings = self._settings(self.control.target_bitrate_bps)
        encoder = create_encoder(name)
        try:
            encoder.open(settings)
            return encoder, None
        except EncoderUnavailable as exc:
            software = SOFTWARE_ENCODERS.get(self._encoding.codec)
            if software is None or software == name:
                raise
            log.warning("layer %s: %s could not open (%s); using %s", self.spec.rid, name, exc.reason, software)
            fallback = create_encoder(software)
            fallback.open(settings)
            return fallback, exc.reason

    def _replace_with_software(self, failure: EncoderFailed) -> Encoder | None:
        """The encoder broke: software takes over (a software failure gets one fresh encoder).
        Returns None when nothing works any more (the layer is marked failed)."""
        broken = self._encoder
        software = SOFTWARE_ENCODERS.get(self._encoding.codec)
        was_hardware = bool(broken is not None and broken.is_hardware)
        log.warning("layer %s: %s failed mid-stream (%s)", self.spec.rid, broken.name if broken else "?", failure.reason)
        self.close_encoder()
        replacement_name = software if (was_hardware and software) else (broken.name if broken is not None else software)
        if replacement_name is None or self.counters.fallbacks >= MAX_FALLBACKS:
            return self._fail(failure.reason)
        try:
            encoder, _reason = self._open_encoder(replacement_name)
        except EncoderError as exc:
            return self._fail(exc.reason)
        self._encoder = encoder
        self._encoder_name, self._is_hardware = encoder.name, encoder.is_hardware
        self._scaler = Scaler(self.spec.width, self.spec.height, encoder.pix_fmt)
        self.counters.fallbacks += 1
        encoder.request_keyframe()
        if was_hardware:
            self._notice(
                "hardware_failed",
                _("Hardware encoder failed; switched to software ({reason}).").format(reason=failure.reason),
                rid=self.spec.rid,
                encoder=broken.name if broken else None,
            )
        return encoder

    def _fail(self, reason: str) -> None:
        self.control.mark_failed()
        self._notice(
            f"layer_failed:{self.spec.rid}",
            _("Encoding stopped for layer {rid}: {reason}").format(rid=self.spec.rid, reason=reason),
            rid=self.spec.rid,
        )
        return None
