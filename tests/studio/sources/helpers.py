"""Helpers for source tests: small media files made on the fly, state recording (waiting: tests.helpers)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from studio.sources.base import VideoSource


def make_video(
    path: Path, *, seconds: float = 1.0, fps: int = 30, width: int = 160, height: int = 96, codec: str = "libx264"
) -> Path:
    """A small clip whose frame i is filled with grey level (i * 8) % 256 (frame number readable)."""
    frame_count = int(round(seconds * fps))
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", "threads": "1"}
        for index in range(frame_count):
            image = np.full((height, width, 3), (index * 8) % 256, np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


class StateLog:
    """Records every state a source went through (from its thread)."""

    def __init__(self, source: VideoSource) -> None:
        self.states: list[tuple[str, str]] = []
        source.state_changed.connect(self._on_state)

    def _on_state(self, source, state, message) -> None:  # noqa: ARG002 - signal payload
        self.states.append((state.value, message))

    def seen(self, state: str) -> bool:
        return any(s == state for s, _ in self.states)
