"""The simulcast ladder's arithmetic: what each layer is (``LayerSpec``) and what it should cost.

No threads and no encoders here: ``default_ladder`` turns a canvas into layers (h = full size,
m = half, l = quarter) and ``ladder_bitrate_bps`` gives each a target bitrate for its size and
frame rate.  ``encoders.ladder.Ladder`` encodes them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

# Reference points of the default ladder at 30 fps: (pixels, bits per second).
REFERENCE_BITRATES: tuple[tuple[int, int], ...] = ((480 * 270, 300_000), (960 * 540, 1_200_000), (1920 * 1080, 4_500_000))
MIN_LAYER_BITRATE_BPS = 100_000


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
