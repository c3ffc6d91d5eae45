"""What a viewer of the rehearsal gets, per layer and for the sound.

The rehearsal receiver (:mod:`studio.outputs.rehearsal`) decodes every layer like a viewer;
:class:`LayerView` keeps, per layer, resolution, measured fps and bitrate, keyframes, the
latest picture for a preview and the glass-to-glass latency read from the time-code strip;
:class:`AudioView` the packets and level.  Updated on the decoder threads, read by the
receiver's stats; separate from the receiver because none of it touches the network.
"""
from __future__ import annotations

import collections
import math
import threading
import time
from typing import Any

import av
import numpy as np

from studio.outputs.aiortc_adapter.receive import ReceivedLayer
from studio.timecode import latency_ms, read_strip

LATENCY_WINDOW_FRAMES = 300  # rolling p50/p95 over the last ~10 s at 30 fps
FPS_WINDOW_S = 2.0
BITRATE_WINDOW_S = 2.0
#: A time code further off than this is a misread (random pixels that passed the guards).
MAX_PLAUSIBLE_LATENCY_MS = 60_000


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def _luma_band(frame: av.VideoFrame, rows: int) -> np.ndarray:
    """The top ``rows`` rows of the luma plane, without converting the whole picture."""
    if frame.format.name in ("yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12"):
        plane = frame.planes[0]
        data = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
        return data[:rows, : frame.width]
    return frame.to_ndarray(format="gray")[:rows]


class LayerView:
    """What a viewer of one layer gets; updated on that layer's decoder thread."""

    def __init__(self, rid: str, codec: str, preview_fps: float) -> None:
        self.rid = rid
        self.codec = codec
        self.width = 0
        self.height = 0
        self.frames_decoded = 0
        self.keyframes = 0
        self.latency_frames = 0
        self.last_latency_ms: float | None = None
        self._preview_interval_s = 1.0 / preview_fps if preview_fps > 0 else 0.0
        self._lock = threading.Lock()
        self._decode_times: collections.deque[float] = collections.deque()
        self._latencies: collections.deque[float] = collections.deque(maxlen=LATENCY_WINDOW_FRAMES)
        self._last_frame: np.ndarray | None = None
        self._last_preview_s = -1e9
        self._first_frame_s: float | None = None
        self._bytes: collections.deque[tuple[float, int]] = collections.deque()
        self.layer: ReceivedLayer | None = None

    def add_frame(self, frame: av.VideoFrame, is_keyframe: bool, decoded_wall_ms: float) -> None:
        now = time.monotonic()
        stamp = None
        width = frame.width
        if width >= 48:
            band = min(frame.height, int(math.ceil(2.2 * width / 48)) + 2)
            stamp = read_strip(_luma_band(frame, band))
        latency = None
        if stamp is not None:
            value = latency_ms(int(decoded_wall_ms), stamp)
            if value < MAX_PLAUSIBLE_LATENCY_MS:
                latency = float(value)
        preview = None
        if now - self._last_preview_s >= self._preview_interval_s:
            preview = frame.to_ndarray(format="bgr24")
        with self._lock:
            self.width, self.height = frame.width, frame.height
            self.frames_decoded += 1
            if is_keyframe:
                self.keyframes += 1
            if self._first_frame_s is None:
                self._first_frame_s = now
            self._decode_times.append(now)
            while self._decode_times and self._decode_times[0] < now - FPS_WINDOW_S:
                self._decode_times.popleft()
            if latency is not None:
                self._latencies.append(latency)
                self.latency_frames += 1
                self.last_latency_ms = latency
            if preview is not None:
                self._last_frame = preview
                self._last_preview_s = now

    def last_frame(self) -> np.ndarray | None:
        with self._lock:
            return self._last_frame

    def sample_bytes(self, now: float) -> None:
        """Called by the stats tick: remember the layer's byte counter for the bitrate."""
        if self.layer is None:
            return
        self._bytes.append((now, self.layer.bytes_received))
        while len(self._bytes) > 2 and self._bytes[0][0] < now - BITRATE_WINDOW_S:
            self._bytes.popleft()

    def _bitrate_bps(self) -> int | None:
        if len(self._bytes) < 2:
            return None
        (t0, b0), (t1, b1) = self._bytes[0], self._bytes[-1]
        return int((b1 - b0) * 8 / (t1 - t0)) if t1 > t0 else None

    def snapshot(self, is_active: bool) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._decode_times if t >= now - FPS_WINDOW_S]
            fps = None
            if self._first_frame_s is not None:
                window = min(FPS_WINDOW_S, now - self._first_frame_s)
                fps = round(len(recent) / window, 2) if window >= 0.25 else None
            latencies = list(self._latencies)
            result: dict[str, Any] = {
                "rid": self.rid,
                "codec": self.codec,
                "width": self.width or None,
                "height": self.height or None,
                "fps": fps if is_active or fps is None else 0.0,
                "bitrate_bps": self._bitrate_bps() if is_active else None,
                "frames_decoded": self.frames_decoded,
                "keyframes": self.keyframes,
                "latency_p50_ms": _percentile(latencies, 50),
                "latency_p95_ms": _percentile(latencies, 95),
                "latency_last_ms": self.last_latency_ms,
                "latency_frames": self.latency_frames,
                "active": is_active,
            }
        layer = self.layer
        result.update({
            "packets_received": layer.packets_received if layer else 0,
            "frames_dropped": layer.frames_dropped if layer else 0,
            "decode_errors": layer.decode_errors if layer else 0,
            "keyframe_requests": layer.keyframe_requests if layer else 0,
            "ssrc": layer.ssrc if layer else None,
        })
        return result


class AudioView:
    """Audio as a viewer hears it: packets, decoded frames, level."""

    def __init__(self, codec: str) -> None:
        self.codec = codec
        self.frames_decoded = 0
        self.level_dbfs: float | None = None
        self.sample_rate: int | None = None
        self.channels: int | None = None
        self.layer: ReceivedLayer | None = None
        self._bytes: collections.deque[tuple[float, int]] = collections.deque()

    def add_frame(self, frame: av.AudioFrame) -> None:
        samples = frame.to_ndarray().astype(np.float64)
        if frame.format.name.startswith("s16"):
            samples /= 32768.0
        elif frame.format.name.startswith("s32"):
            samples /= 2147483648.0
        rms = float(np.sqrt(np.mean(samples * samples))) if samples.size else 0.0
        self.level_dbfs = round(20 * math.log10(rms), 1) if rms > 1e-5 else -100.0
        self.sample_rate = frame.sample_rate
        self.channels = len(frame.layout.channels)
        self.frames_decoded += 1

    def sample_bytes(self, now: float) -> None:
        if self.layer is None:
            return
        self._bytes.append((now, self.layer.bytes_received))
        while len(self._bytes) > 2 and self._bytes[0][0] < now - BITRATE_WINDOW_S:
            self._bytes.popleft()

    def snapshot(self, is_active: bool) -> dict[str, Any]:
        bitrate = None
        if is_active and len(self._bytes) >= 2 and self._bytes[-1][0] > self._bytes[0][0]:
            (t0, b0), (t1, b1) = self._bytes[0], self._bytes[-1]
            bitrate = int((b1 - b0) * 8 / (t1 - t0))
        layer = self.layer
        return {
            "codec": self.codec,
            "packets_received": layer.packets_received if layer else 0,
            "frames_decoded": self.frames_decoded,
            "level_dbfs": self.level_dbfs,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "bitrate_bps": bitrate,
            "active": is_active,
        }


__all__ = ["AudioView", "BITRATE_WINDOW_S", "FPS_WINDOW_S", "LATENCY_WINDOW_FRAMES", "LayerView"]
