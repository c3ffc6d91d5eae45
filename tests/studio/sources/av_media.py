"""Media files with sound made on the fly: a tone, or a click at each whole second of the file's
own clock with the time-code strip (shared/CONTRACTS.md) of the same clock on the picture."""
from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from studio.timecode import draw_strip

SAMPLE_RATE = 48_000
TONE_HZ = 1000.0
CLICK_MS = 20.0


def tone(start: int, count: int, level_dbfs: float = -12.0, frequency_hz: float = TONE_HZ,
         sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """``count`` samples of a sine starting at sample ``start`` of the file (phase 0 at sample 0)."""
    index = np.arange(start, start + count, dtype=np.float64)
    return (10 ** (level_dbfs / 20) * np.sin(2 * math.pi * frequency_hz * index / sample_rate)).astype(np.float32)


def clicks(start: int, count: int, level_dbfs: float = -6.0, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A ``CLICK_MS`` burst of 1 kHz at every whole second of the file, each from phase 0."""
    index = np.arange(start, start + count, dtype=np.int64)
    since_second = index % sample_rate
    burst = since_second < int(CLICK_MS * sample_rate / 1000)
    wave = 10 ** (level_dbfs / 20) * np.sin(2 * math.pi * TONE_HZ * since_second / sample_rate)
    return np.where(burst, wave, 0.0).astype(np.float32)


def make_av_clip(path: Path, *, seconds: float = 2.0, fps: int = 30, width: int = 320, height: int = 180,
                 sound: str | None = "tone", strip_base_ms: int | None = None, audio_codec: str = "aac",
                 sample_rate: int = SAMPLE_RATE, grey: bool = True) -> Path:
    """A clip with H.264 video and (``sound`` "tone" / "click" / None) a stereo audio track.

    With ``strip_base_ms`` every frame carries the time-code strip of ``strip_base_ms`` + its
    time in the file (ms): the click at the file's second ``s`` belongs to the picture whose
    strip reads ``strip_base_ms + 1000 s``.
    """
    frame_count = int(round(seconds * fps))
    total_samples = int(round(seconds * sample_rate))
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("libx264", rate=Fraction(fps))
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        video.options = {"preset": "ultrafast", "threads": "1"}
        audio = None
        if sound is not None:
            audio = container.add_stream(audio_codec, rate=sample_rate, layout="stereo")
        samples_written = 0
        for index in range(frame_count):
            image = np.full((height, width, 3), (index * 8) % 256 if grey else 64, np.uint8)
            if strip_base_ms is not None:
                draw_strip(image, strip_base_ms + round(index * 1000 / fps))
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                container.mux(packet)
            if audio is not None:
                # Sound up to the end of this frame, written as we go (interleaved like a real file).
                until = min(total_samples, int(round((index + 1) * sample_rate / fps)))
                # Whole 1024-sample frames (what AAC carries), the last one short.
                while until - samples_written >= 1024 or (until == total_samples and samples_written < until):
                    count = min(1024, until - samples_written)
                    mono = (tone if sound == "tone" else clicks)(samples_written, count, sample_rate=sample_rate)
                    stereo = np.ascontiguousarray(np.repeat(mono[None, :], 2, axis=0))
                    audio_frame = av.AudioFrame.from_ndarray(stereo, format="fltp", layout="stereo")
                    audio_frame.sample_rate = sample_rate
                    audio_frame.pts = samples_written
                    audio_frame.time_base = Fraction(1, sample_rate)
                    for packet in audio.encode(audio_frame):
                        container.mux(packet)
                    samples_written += count
        for packet in video.encode():
            container.mux(packet)
        if audio is not None:
            for packet in audio.encode():
                container.mux(packet)
    return path
