"""Test clips of a real person over different rooms, with the person's mask known exactly: what
the virtual background's segmentation is scored on (``tests/studio/compositor/test_segmentation.py``,
``bridgecast bench compositor``).

The person is Grace Hopper's official portrait, which Matplotlib ships in its wheel
(``mpl-data/sample_data/grace_hopper.jpg``; a U.S. Navy photograph, public domain).  Her outline
(``grace_hopper_mask.png``, 1 = person) was made once, by hand: a 44-point polygon traced on a
grid over the photo, snapped to the photo's edges by OpenCV's GrabCut in an 11-pixel band around
the polygon only (definite person inside, definite background outside), and checked by eye.
The segmentation model never took part in making it.

Each clip frame cuts her out with that mask and pastes her over a generated room (a shop shelf,
an office wall with a window, a busy patterned wall, a dark studio), at a size and place that
drift from frame to frame like a host moving.  The ground truth of a frame is the pasted mask
itself, so it is exact for the composite whatever small errors the outline has against the
original photo's background.
"""
from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np
from matplotlib import cbook

MASK_FILE = Path(__file__).with_name("grace_hopper_mask.png")
ROOMS = ("shelf", "office", "pattern", "studio")


@functools.lru_cache(maxsize=1)
def person() -> tuple[np.ndarray, np.ndarray]:
    """(the portrait BGR, her mask uint8 0/1), 512×600."""
    with cbook.get_sample_data("grace_hopper.jpg") as file:
        data = np.frombuffer(file.read(), np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    mask = (cv2.imread(str(MASK_FILE), cv2.IMREAD_GRAYSCALE) > 127).astype(np.uint8)
    return image, mask


def room(kind: str, width: int, height: int, seed: int = 0) -> np.ndarray:
    """A generated background of one of :data:`ROOMS` kinds."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    if kind == "shelf":  # warm wood with rows of coloured products
        image = np.stack([40 + 20 * (yy / height), 80 + 30 * (yy / height), 130 + 20 * (xx / width)], axis=2)
        for row in range(4):
            top = int(height * (0.08 + row * 0.23))
            cv2.rectangle(image, (0, top + int(height * 0.17)), (width, top + int(height * 0.19)), (30, 50, 80), -1)
            x = int(rng.integers(0, width // 20))
            while x < width:
                w, h = int(rng.integers(width // 30, width // 12)), int(rng.integers(height // 14, height // 6))
                colour = tuple(int(c) for c in rng.integers(30, 250, 3))
                cv2.rectangle(image, (x, top + int(height * 0.17) - h), (x + w, top + int(height * 0.17)), colour, -1)
                x += w + int(rng.integers(2, width // 40))
    elif kind == "office":  # a pale wall, a bright window, a plant-green blob, a dark door frame
        image = np.stack([200 - 40 * (xx / width), 205 - 30 * (yy / height), 210 - 20 * (yy / height)], axis=2)
        cv2.rectangle(image, (int(width * 0.62), int(height * 0.1)), (int(width * 0.92), int(height * 0.55)), (250, 240, 225), -1)
        cv2.rectangle(image, (int(width * 0.05), int(height * 0.15)), (int(width * 0.16), height), (40, 50, 60), -1)
        cv2.circle(image, (int(width * 0.85), int(height * 0.85)), int(height * 0.12), (60, 140, 50), -1)
    elif kind == "pattern":  # a busy printed wall: stripes and noise
        image = np.stack([128 + 90 * np.sin(xx / 9.0), 128 + 90 * np.sin((xx + yy) / 14.0), 128 + 90 * np.cos(yy / 11.0)], axis=2)
    else:  # a dark studio with a soft light behind the host
        glow = np.exp(-(((xx - width * 0.5) / (width * 0.35)) ** 2 + ((yy - height * 0.4) / (height * 0.35)) ** 2))
        image = np.stack([25 + 60 * glow, 22 + 55 * glow, 20 + 70 * glow], axis=2)
    image = image + rng.normal(0, 3, (height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def person_frame(kind: str, index: int = 0, width: int = 640, height: int = 360, seed: int = 0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``index`` of a clip: the person over a ``kind`` room, and her exact mask (bool)."""
    portrait, mask = person()
    scale = height * (0.86 + 0.04 * np.sin(index / 7.0)) / portrait.shape[0]
    size = (max(1, round(portrait.shape[1] * scale)), max(1, round(portrait.shape[0] * scale)))
    cut = cv2.resize(portrait, size, interpolation=cv2.INTER_AREA)
    cut_mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
    x = int(width * (0.5 + 0.12 * np.sin(index / 11.0 + seed)) - size[0] / 2)
    y = height - size[1]
    frame = room(kind, width, height, seed)
    truth = np.zeros((height, width), bool)
    x0, x1 = max(0, x), min(width, x + size[0])
    region = (slice(y, height), slice(x0, x1))
    inside = cut_mask[:, x0 - x : x1 - x].astype(bool)
    frame[region][inside] = cut[:, x0 - x : x1 - x][inside]
    truth[region] = inside
    return frame, truth


def person_clip(kind: str, frames: int, width: int = 640, height: int = 360, seed: int = 0):
    """``frames`` consecutive frames of one room's clip, as (frame, mask) pairs."""
    return [person_frame(kind, index, width, height, seed) for index in range(frames)]
