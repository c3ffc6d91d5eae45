"""A generated green-screen clip with its known foreground mask: what the chroma key is judged on
(``tests/studio/compositor/test_filters.py``, ``bridgecast bench compositor``)."""
from __future__ import annotations

import cv2
import numpy as np


def green_screen_frame(seed: int = 0, width: int = 640, height: int = 360) -> tuple[np.ndarray, np.ndarray]:
    """A host in front of a green screen, with the known foreground mask: an uneven, noisy green
    (lighting falls off to the corners), a person-like subject (head, shoulders, shirt, hair)
    drawn anti-aliased, and a green spill on the subject's edge."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    falloff = 1.0 - 0.35 * (((xx - width / 2) / width) ** 2 + ((yy - height / 2) / height) ** 2) * 2
    background = np.stack([40 * falloff, 175 * falloff, 60 * falloff], axis=2)  # BGR green screen
    background += rng.normal(0, 4, background.shape)
    mask = np.zeros((height * 4, width * 4), np.uint8)  # drawn 4× then reduced: anti-aliased edges
    cx = width * 2
    cv2.ellipse(mask, (cx, int(height * 1.4)), (int(width * 0.28), int(height * 0.55)), 0, 0, 360, 255, -1)  # shoulders
    cv2.ellipse(mask, (cx, int(height * 1.05)), (int(width * 0.16), int(height * 0.5)), 0, 0, 360, 255, -1)  # head
    coverage = cv2.resize(mask, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    subject = np.empty((height, width, 3), np.float32)
    subject[:] = (150, 170, 210)  # skin (BGR)
    subject[yy > height * 0.55] = (120, 60, 30)  # a blue shirt
    subject[(yy < height * 0.2)] = (30, 35, 45)  # dark hair
    subject += rng.normal(0, 5, subject.shape)
    edge = np.clip(1.0 - np.abs(coverage - 0.5) * 2, 0, 1)[:, :, None]
    subject = subject * (1 - 0.35 * edge) + np.array([40, 175, 60]) * 0.35 * edge  # green spill at the edge
    image = subject * coverage[:, :, None] + background * (1 - coverage[:, :, None])
    return np.clip(image, 0, 255).astype(np.uint8), coverage > 0.5


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.logical_and(a, b).sum() / max(1, np.logical_or(a, b).sum()))
