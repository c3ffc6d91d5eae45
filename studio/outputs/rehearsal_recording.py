"""The rehearsal's recording: the received top layer and Opus remuxed into Matroska.

What a viewer would have seen, kept as a file the host can play back.  Fed from the
rehearsal receiver's decoder threads; separate from the receiver because it only muxes.
"""
from __future__ import annotations

import logging
import threading
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from studio.core.i18n import _
from studio.outputs.aiortc_adapter.receive import EncodedFrame

log = logging.getLogger(__name__)

_RECORD_TIME_BASE = Fraction(1, 1000)


class RehearsalRecording:
    """Packets in, a playable .mkv out.  Fed from decoder threads (one lock).

    Starts at the recorded layer's first keyframe that decoded (its size is then known); audio
    before that is skipped.  Timestamps: RTP time of each stream anchored at its first packet's
    arrival, so audio and video line up as they arrived.
    """

    def __init__(self, path: Path, video_codec: str | None, has_audio: bool) -> None:
        self.path = path
        self.video_codec = video_codec
        self.has_audio = has_audio
        self.video_frames = 0
        self.audio_packets = 0
        self.error: str | None = None
        self._lock = threading.Lock()
        self._container: Any = None
        self._video_stream: Any = None
        self._audio_stream: Any = None
        self._start_wall_ms: float | None = None
        self._anchors: dict[str, tuple[int, float]] = {}  # stream -> (first rtp ts, offset ms)
        self._last_pts: dict[str, int] = {}
        self._closed = False

    @property
    def is_started(self) -> bool:
        return self._container is not None

    def _open(self, encoded: EncodedFrame, width: int, height: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        container = av.open(str(self.path), mode="w", format="matroska")
        try:
            codec = "h264" if (self.video_codec or "").lower() == "h264" else "vp8"
            self._video_stream = container.add_mux_stream(codec, width=width, height=height)
            self._video_stream.time_base = _RECORD_TIME_BASE
            if self.has_audio:
                # An Opus encoder context only to describe the stream (OpusHead extradata);
                # received packets are muxed as they are.
                stream = container.add_stream("libopus", rate=48000)
                stream.codec_context.layout = "stereo"
                stream.time_base = _RECORD_TIME_BASE
                self._audio_stream = stream
        except Exception:
            container.close()
            raise
        self._container = container
        self._start_wall_ms = encoded.arrival_wall_ms

    def _pts(self, key: str, encoded: EncodedFrame) -> int:
        assert self._start_wall_ms is not None
        anchor = self._anchors.get(key)
        if anchor is None:
            anchor = self._anchors[key] = (encoded.rtp_timestamp, max(0.0, encoded.arrival_wall_ms - self._start_wall_ms))
        rtp0, offset_ms = anchor
        pts = int(round(offset_ms + (encoded.rtp_timestamp - rtp0) * 1000.0 / encoded.clock_rate))
        last = self._last_pts.get(key)
        if last is not None and pts <= last:
            pts = last + 1  # the muxer needs strictly increasing timestamps
        self._last_pts[key] = pts
        return pts

    def _mux(self, stream: Any, key: str, encoded: EncodedFrame) -> None:
        packet = av.Packet(encoded.data)
        packet.stream = stream
        packet.time_base = _RECORD_TIME_BASE
        packet.pts = packet.dts = self._pts(key, encoded)
        packet.is_keyframe = encoded.is_keyframe
        self._container.mux(packet)

    def add_video(self, encoded: EncodedFrame, width: int, height: int, decoded: bool) -> None:
        with self._lock:
            if self._closed or self.error is not None:
                return
            try:
                if self._container is None:
                    if not (encoded.is_keyframe and decoded and width and height):
                        return
                    self._open(encoded, width, height)
                self._mux(self._video_stream, "video", encoded)
                self.video_frames += 1
            except Exception as exc:  # disk full, muxer refusal: stop recording, keep rehearsing
                self._fail(exc)

    def add_audio(self, encoded: EncodedFrame) -> None:
        with self._lock:
            if self._closed or self.error is not None or self._container is None or self._audio_stream is None:
                return
            try:
                self._mux(self._audio_stream, "audio", encoded)
                self.audio_packets += 1
            except Exception as exc:  # noqa: BLE001
                self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        log.exception("recording %s failed", self.path)
        self.error = _("Recording failed: {error}").format(error=exc)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._container is not None:
                try:
                    self._container.close()
                except Exception as exc:  # noqa: BLE001
                    self._fail(exc)
                self._container = None

    def snapshot(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "started": self.video_frames > 0,
            "video_frames": self.video_frames,
            "audio_packets": self.audio_packets,
            "error": self.error,
        }


__all__ = ["RehearsalRecording"]
