"""Reading back a local recording: the decoded frames' times and the largest gap between them.

Shared by the reconnection tests (tests/studio/outputs/test_reconnect_janus.py) and
``bridgecast bench network``: a recording fed by encoders that never stop must have no gap,
even across a network or server outage.
"""
from __future__ import annotations

from fractions import Fraction

import av


def recorded_video_times(path) -> tuple[list[float], int]:
    """Every video frame's PTS (s) after decoding the whole recording, and the decode errors."""
    times: list[float] = []
    errors = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.pts is None and packet.size == 0:
                continue
            try:
                frames = packet.decode()
            except av.FFmpegError:
                errors += 1
                continue
            for frame in frames:
                times.append(float(frame.pts * (frame.time_base or Fraction(1, 1000))))
    return times, errors


def largest_gap(times: list[float], start: float, end: float) -> float:
    """Largest gap (s) between consecutive times inside [start, end]; inf with fewer than two."""
    window = [t for t in times if start <= t <= end]
    return max((b - a for a, b in zip(window, window[1:])), default=float("inf"))
