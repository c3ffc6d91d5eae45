"""Colour conversion and the halving pyramid feeding the ladder: the pictures, not the speed."""
from __future__ import annotations

import numpy as np
import pytest

from encoders.convert import bgr_to_i420, frame_planes, halve_i420, i420_frame, i420_planes


def picture(width: int, height: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize("size", [(1920, 1080), (960, 540), (480, 270), (64, 36)])
def test_an_i420_buffer_becomes_a_frame_with_the_same_planes(size):
    width, height = size
    i420 = bgr_to_i420(picture(width, height))
    i420.flags.writeable = False  # as the ladder shares it
    frame = i420_frame(i420)
    assert (frame.width, frame.height, frame.format.name) == (width, height, "yuv420p")
    for expected, got in zip(i420_planes(i420, width, height), frame_planes(frame)):
        np.testing.assert_array_equal(got, expected)


def test_each_caller_gets_its_own_frame_object():
    i420 = bgr_to_i420(picture(480, 270))
    first, second = i420_frame(i420), i420_frame(i420)
    first.pts = 1
    second.pts = 2
    assert (first.pts, second.pts) == (1, 2)


def test_halving_is_a_two_by_two_box_average_of_every_plane():
    width, height = 1920, 1080
    i420 = bgr_to_i420(picture(width, height))
    half = halve_i420(i420, width, height)
    for full, small in zip(i420_planes(i420, width, height), i420_planes(half, width // 2, height // 2)):
        h, w = small.shape
        boxes = full[: 2 * h, : 2 * w].reshape(h, 2, w, 2).astype(np.float32).mean(axis=(1, 3))
        assert np.abs(small.astype(np.float32) - boxes).max() <= 0.5 + 1e-6
