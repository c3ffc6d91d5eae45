"""Writes one clip: the recording's span decoded frame by frame (never the whole recording in
memory), painted to 9:16 (:mod:`studio.clips.picture`), encoded as H.264 + AAC into an MP4 with
its index up front (``+faststart``: players and upload pages start before the end arrives).

The clip runs at a constant frame rate (the recording's): each output frame shows the latest
recorded frame at or before its time.  Audio is placed by its timestamps, with silence where
packets were lost and cut exactly at the clip's edges, so picture and sound keep the sync they
were recorded with and the clip lasts exactly its span.

Encoder settings are for posting, not for going live: x264 High profile, level 4.1, CRF 21
with a 8 Mb/s ceiling (what TikTok, Reels and Shorts re-encode from without visible loss),
a keyframe every 2 s, AAC-LC 128 kb/s stereo at 48 kHz.
"""
from __future__ import annotations

import os
import threading
from fractions import Fraction
from pathlib import Path
from typing import Callable

import av
import numpy as np

from studio.clips.errors import ClipsError
from studio.clips.picture import ClipPicture
from studio.core.clock import NS_PER_S
from studio.core.i18n import _

AUDIO_RATE = 48_000
AAC_FRAME = 1024
X264_OPTIONS = {"preset": "veryfast", "crf": "21", "profile": "high", "level": "4.1",
                "x264-params": "vbv-maxrate=8000:vbv-bufsize=16000"}
AUDIO_BITRATE_BPS = 128_000
KEYFRAME_INTERVAL_S = 2.0
GAP_TOLERANCE_SAMPLES = 480  # 10 ms: less than this between packets is rounding, not a loss


class Cancelled(Exception):
    """The user stopped the clips; the clip being written is removed."""


class _AudioTrack:
    """Recorded sound for [start_s, end_s) into AAC frames of 1024 samples, silence-padded."""

    def __init__(self, stream: av.audio.stream.AudioStream, start_s: float, duration_s: float) -> None:
        self.stream = stream
        self.start_s = start_s
        self.total = int(round(duration_s * AUDIO_RATE))
        self.resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        self.buffer = np.zeros((2, 0), np.float32)
        self.written = 0  # samples placed on the clip's timeline (buffered or encoded)
        self.encoded = 0

    def add(self, frame: av.AudioFrame, mux: Callable[[list], None]) -> None:
        if frame.time is None:
            return
        for part in self.resampler.resample(frame):
            self._place(part, mux)

    def _place(self, part: av.AudioFrame, mux: Callable[[list], None]) -> None:
        samples = part.to_ndarray().astype(np.float32, copy=False).reshape(2, -1)
        first = int(round((float(part.time) - self.start_s) * AUDIO_RATE))
        if first > self.written + GAP_TOLERANCE_SAMPLES:  # lost packets: keep the sync with silence
            self._push(np.zeros((2, min(first, self.total) - self.written), np.float32), mux)
        skip = self.written - first  # already placed (overlap) or before the clip's start
        if skip > 0:
            samples = samples[:, skip:]
        self._push(samples[:, : max(0, self.total - self.written)], mux)

    def _push(self, samples: np.ndarray, mux: Callable[[list], None]) -> None:
        if samples.shape[1] <= 0:
            return
        self.buffer = np.concatenate([self.buffer, samples], axis=1)
        self.written += samples.shape[1]
        while self.buffer.shape[1] >= AAC_FRAME:
            self._encode(self.buffer[:, :AAC_FRAME], mux)
            self.buffer = self.buffer[:, AAC_FRAME:]

    def _encode(self, samples: np.ndarray, mux: Callable[[list], None]) -> None:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self.encoded
        frame.time_base = Fraction(1, AUDIO_RATE)
        self.encoded += samples.shape[1]
        mux(self.stream.encode(frame))

    @property
    def is_full(self) -> bool:
        return self.written >= self.total

    def finish(self, mux: Callable[[list], None]) -> None:
        self._push(np.zeros((2, max(0, self.total - self.written)), np.float32), mux)
        if self.buffer.shape[1]:
            self._encode(self.buffer, mux)
            self.buffer = np.zeros((2, 0), np.float32)
        mux(self.stream.encode(None))


def _video_stream(output: av.container.OutputContainer, fps: Fraction, size: tuple[int, int]) -> av.video.stream.VideoStream:
    stream = output.add_stream("libx264", rate=fps, options=dict(X264_OPTIONS))
    stream.width, stream.height = size
    stream.pix_fmt = "yuv420p"
    stream.codec_context.gop_size = max(1, int(round(float(fps) * KEYFRAME_INTERVAL_S)))
    return stream


def output_rate(fps: float) -> Fraction:
    """The clip's frame rate: the recording's average, snapped to the rate it was meant to be
    (a recording stamped in milliseconds averages 30.002, not 30; platforms want a plain rate)."""
    for rate in (Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30), Fraction(50),
                 Fraction(60000, 1001), Fraction(60)):
        if abs(fps - float(rate)) <= 0.0005 * float(rate):
            return rate
    return Fraction(max(1, round(fps)))


def write_clip(recording: Path, target: Path, start_s: float, end_s: float, fps: float, picture: ClipPicture,
               cover: np.ndarray | None, cover_frames: int, on_progress: Callable[[float], None] | None = None,
               cancel: threading.Event | None = None) -> None:
    """Cut [start_s, end_s) of ``recording`` into ``target`` (written beside it, then renamed into place)."""
    rate = output_rate(fps)
    total_frames = max(1, int(round((end_s - start_s) * float(rate))))
    partial = target.with_name(target.stem + ".part.mp4")
    try:
        with av.open(str(recording)) as source, \
                av.open(str(partial), mode="w", format="mp4", options={"movflags": "+faststart"}) as output:
            video_in = source.streams.video[0]
            video_in.thread_type = "AUTO"
            audio_in = source.streams.audio[0] if source.streams.audio else None
            video_out = _video_stream(output, rate, picture.size)
            audio_out = output.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
            audio_out.bit_rate = AUDIO_BITRATE_BPS

            def mux(packets: list) -> None:
                for packet in packets:
                    output.mux(packet)

            audio = _AudioTrack(audio_out, start_s, total_frames / float(rate))
            written = 0
            shown: np.ndarray | None = None  # the latest recorded frame at or before the next output time
            pending: av.VideoFrame | None = None

            def emit_until(t_s: float | None) -> None:
                """Write the output frames whose time comes before ``t_s`` (None: all that are left)."""
                nonlocal written, shown, pending
                while written < total_frames and (t_s is None or start_s + written / float(rate) < t_s - 1e-6):
                    if pending is not None:
                        shown, pending = pending.to_ndarray(format="bgr24"), None
                    if shown is None:
                        return
                    clip_ns = written * NS_PER_S * rate.denominator // rate.numerator
                    image = picture.frame(shown, int(start_s * NS_PER_S) + clip_ns, clip_ns)
                    if written < cover_frames and cover is not None:
                        image = cover
                    frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
                    frame.pts = written
                    frame.time_base = 1 / rate
                    mux(video_out.encode(frame))
                    written += 1
                    if cancel is not None and cancel.is_set():
                        raise Cancelled()
                    if on_progress is not None and written % 15 == 0:
                        on_progress(written / total_frames)

            source.seek(max(0, int((start_s - 0.05) / video_in.time_base)), stream=video_in)
            streams = [video_in] + ([audio_in] if audio_in is not None else [])
            for packet in source.demux(*streams):
                if packet.stream is audio_in:
                    if not audio.is_full:
                        for frame in packet.decode():
                            audio.add(frame, mux)
                    continue
                for frame in packet.decode():
                    if frame.time is None:
                        continue
                    emit_until(float(frame.time))
                    pending = frame
                if written >= total_frames and (audio.is_full or audio_in is None):
                    break
            emit_until(None)
            if written < total_frames:
                raise ClipsError(_("The recording ends before {seconds:.1f} s: it may be damaged there.").format(seconds=end_s))
            mux(video_out.encode(None))
            audio.finish(mux)
        os.replace(partial, target)
    except (av.FFmpegError, OSError) as exc:
        partial.unlink(missing_ok=True)
        detail = getattr(exc, "strerror", None) or str(exc)
        raise ClipsError(_("The clip {name} could not be written ({reason}).").format(name=target.name, reason=detail)) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
