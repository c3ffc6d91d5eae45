"""The test pattern reuses only buffers nobody holds, and a reused one looks like a fresh one."""
from __future__ import annotations

import numpy as np

from studio.sources.testpattern import FramePool, TestPatternSource, make_background
from studio.timecode import draw_strip, read_strip, strip_bounds
from tests.helpers import wait_until


def _draw(pool: FramePool, t_s: float, stamp_ms: int, box: int = 30) -> np.ndarray:
    slot = pool.take()
    image = slot[0]
    slot[1] = TestPatternSource.render_motion(image, t_s, box)
    draw_strip(image, stamp_ms)
    x, y, w, h = strip_bounds(image.shape[1])
    slot[1].append((x, y, x + w, y + h))
    return image


def _fresh(background: np.ndarray, t_s: float, stamp_ms: int, box: int = 30) -> np.ndarray:
    image = background.copy()
    TestPatternSource.render_motion(image, t_s, box)
    draw_strip(image, stamp_ms)
    return image


def test_a_reused_buffer_is_drawn_exactly_like_a_new_one():
    background = make_background(320, 180)
    pool = FramePool(background, size=2)
    for step in range(40):
        t_s = step * 0.37
        image = _draw(pool, t_s, 1000 + step)
        assert np.array_equal(image, _fresh(background, t_s, 1000 + step)), step
        del image  # nobody holds it: the pool may reuse it
    assert pool.reused >= 30


def test_a_frame_still_held_is_never_written():
    background = make_background(320, 180)
    pool = FramePool(background, size=2)
    held = [_draw(pool, 0.1, 1), _draw(pool, 0.2, 2)]
    copies = [image.copy() for image in held]
    view = held[0][10:20]  # a view keeps its buffer held too
    del held[0]
    for step in range(10):
        _draw(pool, 1.0 + step, 100 + step)
    assert np.array_equal(held[0], copies[1]) and np.array_equal(view, copies[0][10:20])
    assert pool.reused == 0, "both pooled buffers were held: every frame got a new one"


def test_the_running_source_reuses_its_buffers_and_keeps_the_strip_readable(started):
    source = started(TestPatternSource("p", "pattern", {"width": 320, "height": 180, "fps": 60}))
    assert wait_until(lambda: source.frames_captured > 20)
    frame = source.latest_frame()
    assert read_strip(frame.image) is not None
    kept = frame.image.copy()
    assert wait_until(lambda: source.frames_captured > 40)
    assert np.array_equal(frame.image, kept), "a frame someone holds does not change"
