import time

import numpy as np
import pytest

from studio.compositor import Compositor, LayerPlan
from studio.core.frame import VideoFrame
from studio.overlays import Overlay
from studio.sources.base import SourceState, VideoSource
from studio.timecode import read_strip
from studio.core.clock import wall_ms


class StillSource(VideoSource):
    """A source whose frame the test sets directly (no thread needed for render tests)."""

    kind = "still-test"

    def __init__(self, colour, size=(320, 180)):
        super().__init__("s", "still")
        self.set(colour, size)

    def set(self, colour, size=(320, 180)):
        image = np.zeros((size[1], size[0], 3), np.uint8)
        image[:] = colour
        self._sequence += 1
        self.slot.put(VideoFrame(image, 0, self._sequence))
        self.state = SourceState.ACTIVE

    def _capture(self, stop):  # pragma: no cover - never started
        stop.wait()


def make(sources, width=320, height=180, fps=30):
    return Compositor(width, height, fps, sources.get)


def test_layers_in_order_with_crop_and_opacity():
    sources = {"a": StillSource((0, 0, 200)), "b": StillSource((200, 0, 0), (100, 100))}
    comp = make(sources)
    comp.set_plan([LayerPlan("i1", "a", 0, 0, 320, 180), LayerPlan("i2", "b", 10, 20, 50, 40, opacity=0.5)])
    image = comp.render().image
    assert tuple(image[5, 5]) == (0, 0, 200)
    assert tuple(image[30, 20]) == (100, 0, 100)  # 50 % blend
    assert tuple(image[100, 100]) == (0, 0, 200)


def test_layer_clipped_at_canvas_edge():
    sources = {"b": StillSource((9, 9, 9), (100, 100))}
    comp = make(sources)
    comp.set_plan([LayerPlan("i", "b", 300, 170, 100, 100)])
    image = comp.render().image
    assert tuple(image[179, 319]) == (9, 9, 9)
    assert tuple(image[0, 0]) == (0, 0, 0)


def test_single_full_layer_is_zero_copy():
    source = StillSource((1, 2, 3), (320, 180))
    comp = make({"a": source})
    comp.set_plan([LayerPlan("i", "a", 0, 0, 320, 180)])
    assert comp.render().image is source.latest_frame().image


def test_overlay_blends_only_its_box():
    comp = make({"a": StillSource((100, 100, 100))})
    comp.set_plan([LayerPlan("i", "a", 0, 0, 320, 180)])
    rgba = np.zeros((20, 40, 4), np.uint8)
    rgba[5:15, 10:30] = (255, 0, 0, 255)  # opaque red in RGBA
    comp.set_overlay(Overlay("card", rgba, x=50, y=60))
    image = comp.render().image
    assert tuple(image[70, 70]) == (0, 0, 255)  # BGR red inside
    assert tuple(image[61, 51]) == (100, 100, 100)  # transparent margin untouched
    comp.remove_overlay("card")
    assert tuple(comp.render().image[70, 70]) == (100, 100, 100)


def test_fade_mixes_then_settles():
    sources = {"a": StillSource((0, 0, 0)), "b": StillSource((200, 200, 200))}
    comp = make(sources)
    comp.set_plan([LayerPlan("i1", "a", 0, 0, 320, 180)])
    comp.render()
    comp.set_plan([LayerPlan("i2", "b", 0, 0, 320, 180)], "fade", 200)
    start = comp._fade.start_ns
    mid = comp.render(start + 100_000_000).image
    assert 90 <= mid[50, 50, 0] <= 110
    assert comp.render(start + 250_000_000).image[50, 50, 0] == 200


def test_cut_is_immediate():
    sources = {"a": StillSource((0, 0, 0)), "b": StillSource((200, 200, 200))}
    comp = make(sources)
    comp.set_plan([LayerPlan("i1", "a", 0, 0, 320, 180)])
    comp.set_plan([LayerPlan("i2", "b", 0, 0, 320, 180)], "cut", 0)
    assert comp.render().image[50, 50, 0] == 200


def test_no_signal_source_shows_slate():
    source = StillSource((0, 0, 0))
    source.state = SourceState.NO_SIGNAL
    comp = make({"a": source})
    comp.set_plan([LayerPlan("i", "a", 0, 0, 320, 180)])
    image = comp.render().image
    assert image.std() > 5  # text + hatch, not a black frame


def test_latency_probe_stamped_at_composite_time():
    comp = make({"a": StillSource((60, 60, 60), (640, 360))}, 640, 360)
    comp.set_plan([LayerPlan("i", "a", 0, 0, 640, 360)])
    comp.is_latency_probe_on = True
    stamp = read_strip(comp.render().image)
    assert stamp is not None and abs((wall_ms() % (1 << 32)) - stamp) < 1000


def test_thread_delivers_to_every_consumer_and_counts_drops():
    comp = make({"a": StillSource((5, 5, 5))}, fps=60)
    comp.set_plan([LayerPlan("i", "a", 0, 0, 320, 180)])
    fast, slow = comp.subscribe(), comp.subscribe()
    comp.start()
    try:
        got = [fast.take(1.0) for _ in range(10)]
        assert all(frame is not None for frame in got)
        assert [f.sequence for f in got] == sorted(f.sequence for f in got)
        time.sleep(0.3)  # slow never reads: its slot holds one frame, the rest are counted
        assert slow.dropped > 5
        assert slow.take(0.5) is not None
    finally:
        comp.stop()
    assert comp.ticks >= 10


def test_transparent_picture_blends_by_its_alpha():
    class AlphaSource(StillSource):
        def set(self, colour, size=(320, 180)):
            image = np.zeros((size[1], size[0], 3), np.uint8)
            image[:] = colour
            alpha = np.zeros((size[1], size[0]), np.uint8)
            alpha[:, size[0] // 2 :] = 255  # right half opaque, left half transparent
            self._sequence += 1
            self.slot.put(VideoFrame(image, 0, self._sequence, alpha=alpha))
            self.state = SourceState.ACTIVE

    sources = {"bg": StillSource((50, 50, 50)), "card": AlphaSource((0, 0, 250), (100, 50))}
    comp = make(sources)
    comp.set_plan([LayerPlan("i1", "bg", 0, 0, 320, 180), LayerPlan("i2", "card", 100, 100, 100, 50)])
    image = comp.render().image
    assert tuple(image[120, 110]) == (50, 50, 50)  # transparent half shows the background
    assert tuple(image[120, 190]) == (0, 0, 250)  # opaque half shows the card
    # Alone on the canvas, a transparent full-size picture is still blended (never zero-copy).
    comp.set_plan([LayerPlan("i3", "card", 0, 0, 320, 180)])
    image = comp.render().image
    assert tuple(image[10, 10]) == (0, 0, 0) and tuple(image[10, 300]) == (0, 0, 250)


def test_clean_picture_shares_the_program_when_nothing_is_drawn_on_top():
    # The vertical canvas's auto layout cuts from this; with nothing on top it costs no copy.
    sources = {"a": StillSource((10, 20, 30), (320, 180))}
    comp = make(sources)
    comp.set_plan([LayerPlan("i", "a", 0, 0, 320, 180)])
    slot = comp.subscribe_clean()
    comp.publish(comp.render())
    picture = slot.take(0)
    assert picture.image is comp.latest_program().image is sources["a"].latest_frame().image
    comp.is_latency_probe_on = True
    comp.publish(comp.render())
    picture = slot.take(0)
    assert picture.image is sources["a"].latest_frame().image  # the probe went on a copy
    assert read_strip(picture.image) is None and read_strip(comp.latest_program().image) is not None
    comp.unsubscribe_clean(slot)
    assert slot.is_closed


def test_slide_pushes_and_swipe_covers_mid_way():
    """Mid-way (eased 50 %): slide shows the old picture's right half moved to the left and the new
    one's left half coming in; swipe keeps the old picture's left half where it was."""
    from studio.compositor import TRANSITIONS

    assert {"cut", "fade", "slide", "swipe", "stinger"} == set(TRANSITIONS)
    for kind in ("slide", "swipe"):
        sources = {"a": StillSource((0, 0, 200)), "b": StillSource((200, 0, 0)), "c": StillSource((0, 200, 0))}
        comp = make(sources)
        # The old scene: red on the left half, green on the right half.
        comp.set_plan([LayerPlan("l", "a", 0, 0, 160, 180), LayerPlan("r", "c", 160, 0, 160, 180)])
        comp.render()
        comp.set_plan([LayerPlan("n", "b", 0, 0, 320, 180)], kind, 400)
        start = comp._fade.start_ns
        mid = comp.render(start + 200_000_000).image
        assert tuple(mid[90, 300]) == (200, 0, 0), kind  # the new scene (blue) has come in on the right
        expected_left = (0, 200, 0) if kind == "slide" else (0, 0, 200)  # pushed out vs covered
        assert tuple(mid[90, 20]) == expected_left, kind
        quarter = comp.render(start + 100_000_000).image  # eased: less than a quarter in at 25 %
        assert tuple(quarter[90, 250]) != (200, 0, 0), kind
        assert tuple(comp.render(start + 450_000_000).image[90, 20]) == (200, 0, 0), kind
