"""A test pattern's time-code strip stays readable on the program (issue #13: the rehearsal
viewer said "latency p50 unknown" for a whole show).

The pattern stamps its strip at capture, at its own width.  A card over the top band, or a
pattern at another size than the canvas, used to leave no readable strip on the program; the
compositor now draws it again at the canvas's width, over the cards, with the capture time.
"""
from __future__ import annotations

import cv2
import numpy as np

from studio.compositor import Compositor, LayerPlan
from studio.core.clock import media_to_wall_ms, now_ns
from studio.core.frame import VideoFrame
from studio.overlays import Overlay
from studio.sources.base import SourceState, VideoSource
from studio.timecode import MODULO, draw_strip, read_strip


class PatternSource(VideoSource):
    """A still frame carrying the strip at its own size, like the test pattern's."""

    kind = "pattern-test"
    stamps_timecode = True

    def __init__(self, size: tuple[int, int], capture_ns: int) -> None:
        super().__init__("p", "pattern")
        image = np.full((size[1], size[0], 3), 90, np.uint8)
        draw_strip(image, media_to_wall_ms(capture_ns))
        self._sequence += 1
        self.slot.put(VideoFrame(image, capture_ns, self._sequence))
        self.state = SourceState.ACTIVE

    def _capture(self, stop):  # pragma: no cover - never started
        stop.wait()


class PlainSource(PatternSource):
    """The same picture from a source that stamps nothing (a camera)."""

    kind = "plain-test"
    stamps_timecode = False


def _top_band_card(width: int) -> Overlay:
    rgba = np.zeros((width // 12, width, 4), np.uint8)
    rgba[...] = (250, 200, 20, 255)
    return Overlay("live.coupon", rgba, x=0, y=0, z=11)


def test_a_card_over_the_strip_leaves_it_readable_with_the_capture_time():
    capture_ns = now_ns() - 40_000_000
    source = PatternSource((640, 360), capture_ns)
    compositor = Compositor(640, 360, 30, {"p": source}.get)
    compositor.set_plan([LayerPlan("i", "p", 0, 0, 640, 360)])
    compositor.set_overlay(_top_band_card(640))
    image = compositor.render().image
    assert read_strip(image) == media_to_wall_ms(capture_ns) % MODULO
    assert tuple(image[300, 10]) == (90, 90, 90)  # the rest of the picture is untouched


def test_a_pattern_scaled_to_another_canvas_size_is_read_on_the_canvas():
    capture_ns = now_ns()
    source = PatternSource((640, 360), capture_ns)
    unreadable = np.full((360, 640, 3), 90, np.uint8)
    draw_strip(unreadable, 1234)
    # What the program carried before: the pattern's own strip, scaled off the reader's grid.
    assert read_strip(cv2.resize(unreadable, (1920, 1080))) != 1234
    compositor = Compositor(1920, 1080, 30, {"p": source}.get)
    compositor.set_plan([LayerPlan("i", "p", 0, 0, 1920, 1080)])
    assert read_strip(compositor.render().image) == media_to_wall_ms(capture_ns) % MODULO


def test_a_camera_program_gets_no_strip_and_a_zero_copy_pattern_is_left_alone():
    camera = PlainSource((640, 360), now_ns())
    camera_frame = camera.latest_frame().image.copy()
    camera_frame[:, :] = 90
    camera.slot.put(VideoFrame(camera_frame, now_ns(), 2))
    compositor = Compositor(640, 360, 30, {"p": camera}.get)
    compositor.set_plan([LayerPlan("i", "p", 0, 0, 640, 360)])
    compositor.set_overlay(_top_band_card(640))
    assert read_strip(compositor.render().image) is None  # nothing is invented

    pattern = PatternSource((640, 360), now_ns())
    before = pattern.latest_frame().image.copy()
    compositor = Compositor(640, 360, 30, {"p": pattern}.get)
    compositor.set_plan([LayerPlan("i", "p", 0, 0, 640, 360)])
    frame = compositor.render()
    assert frame.image is pattern.latest_frame().image  # still zero-copy
    assert np.array_equal(frame.image, before)
