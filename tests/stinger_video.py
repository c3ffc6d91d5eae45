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
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for index in range(frames):
            rgba = np.zeros((height, width, 4), np.uint8)
            rgba[height // 3 : 2 * height // 3, 3 * width // 8 : 5 * width // 8] = 255
            frame = av.VideoFrame.from_ndarray(rgba, format="rgba").reformat(format=pix_fmt)
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
