"""Stinger videos with alpha made in the test with PyAV (the formats a stinger may come in)."""
from __future__ import annotations

import av
import numpy as np

# (container format, codec, pixel format) of each kind of file with alpha a stinger may be.
FORMATS = {
    ".mov": ("mov", "qtrle", "argb"),  # QuickTime Animation
    ".png.mov": ("mov", "png", "rgba"),
    ".webm": ("webm", "libvpx-vp9", "yuva420p"),
    ".apng": ("apng", "apng", "rgba"),
}


def make_stinger(path, frames: int = 10, fps: int = 10, size=(320, 180), has_alpha: bool = True, suffix: str = ".mov") -> str:
    """A ``frames / fps`` s video: an opaque white box in the middle third of the height and the
    middle quarter of the width (rows 60–120, columns 120–200 at 320×180), transparent elsewhere."""
    fmt, codec, pix_fmt = FORMATS[suffix]
    if not has_alpha:
        pix_fmt = "rgb24"
    width, height = size
    path = str(path)
    with av.open(path, "w", format=fmt) as container:
        _write_box_video(container, _box_stream(container, codec, pix_fmt, fps, width, height), frames)
    return path


def _box_stream(container, codec: str, pix_fmt: str, fps: int, width: int, height: int):
    stream = container.add_stream(codec, rate=fps)
    stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
    return stream


def _write_box_video(container, stream, frames: int) -> None:
    """``frames`` pictures of the opaque white box on transparency, encoded into ``container``."""
    width, height, pix_fmt = stream.width, stream.height, stream.pix_fmt
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[height // 3: 2 * height // 3, 3 * width // 8: 5 * width // 8] = 255
    for index in range(frames):
        frame = av.VideoFrame.from_ndarray(rgba, format="rgba").reformat(format=pix_fmt)
        frame.pts = index
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def make_sounding_stinger(path, cut_point_ms: int = 500, width: int = 320, height: int = 180, fps: int = 30, frames: int = 30) -> str:
    """``frames / fps`` s of a transparent picture with an opaque white box (QuickTime Animation) and a
    PCM track silent but for a 10 ms burst of 1 kHz at ``cut_point_ms``."""
    rate = 48_000
    with av.open(str(path), "w", format="mov") as container:
        video = _box_stream(container, "qtrle", "argb", fps, width, height)
        audio = container.add_stream("pcm_s16le", rate=rate, layout="stereo")
        _write_box_video(container, video, frames)
        samples = np.zeros(rate * frames // fps, np.float32)
        start = rate * cut_point_ms // 1000
        burst = np.arange(rate * 10 // 1000)
        samples[start:start + burst.size] = 0.5 * np.sin(2 * np.pi * 1000 * burst / rate)
        pcm = (np.repeat(samples[:, None], 2, axis=1) * 32767).astype(np.int16)
        chunk = 1024
        for offset in range(0, pcm.shape[0], chunk):
            part = pcm[offset:offset + chunk]
            frame = av.AudioFrame.from_ndarray(part.reshape(1, -1), format="s16", layout="stereo")
            frame.sample_rate, frame.pts = rate, offset
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    return str(path)
