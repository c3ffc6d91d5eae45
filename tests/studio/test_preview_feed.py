"""The preview's picture is scaled by the engine, only while a preview asks for one."""
from __future__ import annotations

import numpy as np

from studio.compositor import Compositor
from studio.compositor.preview import PreviewFeed, scale_for_preview
from studio.core.frame import VideoFrame
from studio.sources.testpattern import make_background


def _frame(image: np.ndarray, sequence: int = 1) -> VideoFrame:
    return VideoFrame(image=image, capture_ns=123, sequence=sequence)


def test_nothing_is_made_while_no_preview_asks():
    feed = PreviewFeed()
    feed.feed(_frame(make_background(640, 360)))
    assert feed.latest() is None and feed.frames_made == 0


def test_a_frame_is_made_at_the_asked_size_in_the_windows_pixel_layout():
    feed = PreviewFeed()
    feed.set_size((200, 113))
    background = make_background(640, 360)
    feed.feed(_frame(background, sequence=7))
    made = feed.latest()
    assert made.image.shape == (113, 200, 4) and made.sequence == 7 and made.capture_ns == 123
    assert (made.image[..., 3] == 255).all()  # X = 255: Qt's Format_RGB32 without conversion
    # The first bar (grey 192) stays grey; the last (blue) stays blue.
    assert np.abs(made.image[30, 10, :3].astype(int) - 192).max() <= 2
    assert made.image[30, 195, :3].tolist() == [192, 0, 0]


def test_hiding_the_preview_drops_its_picture():
    feed = PreviewFeed()
    feed.set_size((64, 36))
    feed.feed(_frame(make_background(640, 360)))
    assert feed.latest() is not None
    feed.set_size(None)
    assert feed.latest() is None
    feed.feed(_frame(make_background(640, 360), 2))
    assert feed.latest() is None


def test_scaling_up_and_by_odd_ratios_gives_the_exact_size():
    image = make_background(320, 180)
    assert scale_for_preview(image, 641, 361).shape == (361, 641, 4)
    assert scale_for_preview(image, 79, 44).shape == (44, 79, 4)
    assert scale_for_preview(image, 320, 180)[..., :3].tolist() == image.tolist()


def test_the_compositor_feeds_the_preview_after_its_consumers():
    compositor = Compositor(320, 180, 30, lambda _source_id: None)
    slot = compositor.subscribe()
    compositor.preview.set_size((160, 90))
    compositor.publish(_frame(make_background(320, 180)))
    assert slot.take(0) is not None
    assert compositor.preview.latest().image.shape == (90, 160, 4)
    compositor.stop()


def test_a_picture_is_made_only_after_the_previous_one_was_taken():
    feed = PreviewFeed()
    feed.set_size((64, 36))
    for sequence in (1, 2, 3):
        feed.feed(_frame(make_background(320, 180), sequence))
    assert feed.frames_made == 1, "the preview did not look: frames 2 and 3 were not scaled"
    assert feed.latest().sequence == 1
    feed.feed(_frame(make_background(320, 180), 4))
    assert feed.frames_made == 2 and feed.latest().sequence == 4
    feed.set_size((80, 45))  # resized: the next frame is made at once at the new size
    feed.feed(_frame(make_background(320, 180), 5))
    assert feed.latest().image.shape == (45, 80, 4)
