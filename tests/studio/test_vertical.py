"""The vertical canvas: a second program from the same sources, auto (cut from the horizontal
program, following the host) or manual (the scene laid out again), with its own overlays and its
own time-code strip; nothing at all when it is off."""
import threading

import numpy as np
import pytest

from studio.compositor import CleanPicture, Compositor, LayerPlan
from studio.compositor.vertical import VerticalCompositor
from studio.core.clock import NS_PER_S, media_to_wall_ms
from studio.core.errors import StudioError
from studio.core.frame import VideoFrame
from studio.engine import Studio, default_collection
from studio.overlays import Overlay
from studio.scene import Canvas, CanvasRole, VerticalCanvas, VerticalLayout
from studio.sources.base import SourceState, VideoSource
from studio.timecode import draw_strip, read_strip
from tests.helpers import wait_until

FRAME_MS = 1000 / 30


class StillSource(VideoSource):
    """A source whose frames the test publishes directly (no capture thread)."""

    kind = "still-test"

    def __init__(self, source_id="s"):
        super().__init__(source_id, "still")
        self.state = SourceState.ACTIVE

    def show(self, image, capture_ns=0):
        self._publish(image, capture_ns)

    def _capture(self, stop):  # pragma: no cover - never started
        stop.wait()


def solid(colour, size=(640, 360)):
    image = np.zeros((size[1], size[0], 3), np.uint8)
    image[:] = colour
    return image


def red_card(width=100, height=60):
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[..., 0] = 255  # RGBA order: red
    rgba[..., 3] = 255
    return rgba


def is_red(pixel):
    b, g, r = (int(v) for v in pixel)
    return r > 200 and g < 60 and b < 60


def our_thread_names():
    return {t.name for t in threading.enumerate()}


# -- compositors without the engine -----------------------------------------------------------------
def test_a_second_compositor_neither_steals_frames_nor_hides_drops():
    source = StillSource()
    sources = {"s": source}
    plan = (LayerPlan("i", "s", 0, 0, 640, 360),)
    horizontal = Compositor(640, 360, 30, sources.get)
    vertical = VerticalCompositor(360, 640, 30, sources.get, layout=VerticalLayout.MANUAL, detector=None)
    horizontal.set_plan(plan)
    vertical.set_plan((LayerPlan("i", "s", 0, 140, 360, 202),))
    source.show(solid((0, 0, 200)), 1)
    vertical.render(10)
    horizontal.render(10)  # the vertical compositor read it first; the horizontal still gets it
    assert source.dropped_frames == 0
    source.show(solid((0, 200, 0)), 2)
    vertical.render(20)  # only the vertical one looks at frame 2 …
    source.show(solid((200, 0, 0)), 3)
    assert source.dropped_frames == 1  # … so the horizontal program's miss is still counted
    assert horizontal.render(30).image[0, 0].tolist() == [200, 0, 0]
    assert vertical.render(30).image[320, 180].tolist() == [200, 0, 0]


def test_manual_layout_stamps_the_capture_time_of_its_main_layer_at_its_own_width():
    camera, logo = StillSource("camera"), StillSource("logo")
    sources = {"camera": camera, "logo": logo}
    vertical = VerticalCompositor(360, 640, 30, sources.get, layout=VerticalLayout.MANUAL, detector=None)
    vertical.set_plan((LayerPlan("c", "camera", -300, 0, 1138, 640), LayerPlan("l", "logo", 20, 560, 60, 60)))
    camera.show(solid((90, 90, 90)), 3 * NS_PER_S)
    logo.show(solid((0, 200, 200), (60, 60)), 4 * NS_PER_S)  # newer, but small: not "the picture"
    assert read_strip(vertical.render(5 * NS_PER_S).image) is None  # no probe, no test pattern: no strip
    vertical.is_latency_probe_on = True
    frame = vertical.render(5 * NS_PER_S)
    assert frame.capture_ns == 5 * NS_PER_S
    stamped = read_strip(frame.image)
    assert abs(stamped - media_to_wall_ms(3 * NS_PER_S) % (1 << 32)) <= 1


def test_clean_picture_is_the_program_before_overlays_and_costs_nothing_unasked():
    source = StillSource()
    horizontal = Compositor(640, 360, 30, {"s": source}.get)
    horizontal.set_plan((LayerPlan("i", "s", 0, 0, 640, 360),))
    horizontal.set_overlay(Overlay("card", red_card(), x=10, y=10))
    source.show(solid((90, 90, 90)), 123)
    horizontal.publish(horizontal.render(1000))
    assert horizontal._clean is None  # nobody asked: no copy was made
    slot = horizontal.subscribe_clean()
    horizontal.publish(horizontal.render(2000))
    picture = slot.take(0)
    assert isinstance(picture, CleanPicture)
    assert picture.capture_ns == 2000 and picture.content_capture_ns == 123
    assert picture.image[20, 20].tolist() == [90, 90, 90]  # no card on the clean picture
    assert is_red(horizontal.latest_program().image[20, 20])  # the card is on the program
    horizontal.unsubscribe_clean(slot)


def test_auto_cut_is_vertical_sized_with_its_own_overlays_and_the_content_time():
    vertical = VerticalCompositor(360, 640, 30, {}.get, detector=None)
    vertical.set_overlay(Overlay("v-card", red_card(), x=40, y=400))
    image = solid((90, 90, 90), (1280, 720))
    draw_strip(image, 5_000)  # the horizontal picture's own strip (its main layer is a test pattern)
    capture_ns = 7 * NS_PER_S
    frame = vertical.cut(CleanPicture(image, capture_ns, 1, content_capture_ns=capture_ns - 10_000_000, has_timecode=True))
    assert (frame.width, frame.height) == (360, 640)
    assert frame.capture_ns == capture_ns  # the encoders' clock: the horizontal picture it was cut from
    assert is_red(frame.image[430, 80]) and not is_red(frame.image[100, 300])
    assert read_strip(frame.image) == media_to_wall_ms(capture_ns - 10_000_000) % (1 << 32)


# -- the engine ----------------------------------------------------------------------------------------
@pytest.fixture
def studio():
    s = Studio(collection=default_collection(Canvas(width=640, height=360, fps=30)))
    s.start()
    assert wait_until(lambda: s.compositor.latest_program() is not None)
    yield s
    s.stop()


def test_vertical_off_costs_nothing(studio):
    assert studio.vertical_compositor is None and studio.compositor_for(CanvasRole.VERTICAL) is None
    assert studio.compositor_for("horizontal") is studio.compositor
    assert not any(name.startswith(("compositor:vertical", "face-finder")) for name in our_thread_names())
    assert studio.compositor._clean_subscribers == ()
    assert studio.stats()["vertical"] is None
    studio.set_overlay("v", red_card(), 0, 0, canvas=CanvasRole.VERTICAL)  # ignored, not an error
    assert studio.compositor.overlays == ()
    assert studio.vertical.safe_box() is None
    studio.vertical.enable(540, 960)
    assert studio.vertical.safe_box() == (60, 144, 384, 480)


def test_both_programs_get_every_frame_from_one_capture(studio):
    vertical = studio.vertical.enable(360, 640)
    assert studio.compositor_for(CanvasRole.VERTICAL) is vertical and vertical.is_running
    horizontal_slot, vertical_slot = studio.compositor.subscribe(), vertical.subscribe()
    horizontal_frames, vertical_frames = [], []
    assert wait_until(lambda: (horizontal_frames.append(horizontal_slot.take(0.05)), vertical_frames.append(vertical_slot.take(0.05)), len([f for f in vertical_frames if f]) >= 20)[-1])
    vertical_frames = [f for f in vertical_frames if f is not None]
    assert {(f.width, f.height) for f in vertical_frames} == {(360, 640)}
    assert any(f is not None and (f.width, f.height) == (640, 360) for f in horizontal_frames)
    assert len(studio.sources) == 1  # captured once
    stats = studio.stats()["vertical"]
    assert stats["layout"] == "auto" and stats["ticks"] >= 20
    # Every vertical frame was cut from one horizontal picture, in order; misses are counted, not hidden.
    sequences = [f.capture_ns for f in vertical_frames]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert vertical.ticks + vertical.missed_pictures <= studio.compositor.ticks
    studio.compositor.unsubscribe(horizontal_slot)
    vertical.unsubscribe(vertical_slot)


def _strip_pairs(studio, vertical, count=10):
    """(vertical strip T, horizontal strip Ts seen around it) for ``count`` vertical frames."""
    horizontal_slot, vertical_slot = studio.compositor.subscribe(), vertical.subscribe()
    horizontal_by_capture, vertical_frames = {}, []
    try:
        deadline_frames = 0
        while len(vertical_frames) < count and deadline_frames < 400:
            deadline_frames += 1
            h = horizontal_slot.take(0.02)
            if h is not None:
                horizontal_by_capture[h.capture_ns] = h
            v = vertical_slot.take(0.02)
            if v is not None and read_strip(v.image) is not None:
                vertical_frames.append(v)
        for _ in range(5):  # the horizontal frames the last vertical ones were cut from
            h = horizontal_slot.take(0.05)
            if h is not None:
                horizontal_by_capture[h.capture_ns] = h
    finally:
        studio.compositor.unsubscribe(horizontal_slot)
        vertical.unsubscribe(vertical_slot)
    return vertical_frames, horizontal_by_capture


def test_timecode_on_the_auto_vertical_program_is_the_capture_time_of_its_horizontal_frame(studio):
    vertical = studio.vertical.enable(360, 640)
    vertical_frames, horizontal_by_capture = _strip_pairs(studio, vertical)
    assert len(vertical_frames) >= 10
    matched = 0
    for frame in vertical_frames:
        source = horizontal_by_capture.get(frame.capture_ns)
        if source is None:
            continue
        matched += 1
        difference = (read_strip(frame.image) - read_strip(source.image)) % (1 << 32)
        assert min(difference, (1 << 32) - difference) <= FRAME_MS + 1
    assert matched >= 3


def test_timecode_on_the_manual_vertical_program(studio):
    vertical = studio.vertical.enable(360, 640)
    studio.vertical.set_layout(studio.current_scene().id, VerticalLayout.MANUAL)
    assert wait_until(lambda: vertical.layout is VerticalLayout.MANUAL)
    vertical_frames, horizontal_by_capture = _strip_pairs(studio, vertical)
    assert len(vertical_frames) >= 10
    horizontal_times = [read_strip(h.image) for h in horizontal_by_capture.values()]
    for frame in vertical_frames:
        stamped = read_strip(frame.image)
        # Both programs show the same captured frames; this thread may have missed the horizontal
        # frame that showed this one, so its neighbours (one frame either side) count too.
        assert min(abs(stamped - t) for t in horizontal_times) <= 2 * FRAME_MS + 1
        # The content's capture time, never the (later) time of compositing.
        assert stamped <= media_to_wall_ms(frame.capture_ns) % (1 << 32)
    # Manual: the horizontal layout fitted and centred — black above, the pattern in the middle.
    image = vertical.latest_program().image
    assert int(image[100, 180].max()) == 0 and int(image[320, 180].max()) > 0


def test_latency_probe_stamps_the_vertical_program_too(studio):
    scene = studio.current_scene()
    source_id = scene.items[0].source_id
    studio.update_source(source_id, settings={"timecode": False})
    vertical = studio.vertical.enable(360, 640)
    assert wait_until(lambda: vertical.latest_program() is not None and vertical.ticks > 5)
    assert wait_until(lambda: read_strip(vertical.latest_program().image) is None)
    studio.set_latency_probe(True)
    assert wait_until(lambda: read_strip(vertical.latest_program().image) is not None)
    assert wait_until(lambda: read_strip(studio.compositor.latest_program().image) is not None)
    studio.set_latency_probe(False)


def test_per_canvas_overlays_land_on_their_own_canvas_only(studio):
    vertical = studio.vertical.enable(360, 640)
    studio.set_overlay("h-card", red_card(), 400, 250, canvas=CanvasRole.HORIZONTAL)
    studio.set_overlay("v-card", red_card(), 200, 500, canvas=CanvasRole.VERTICAL)
    assert [o.overlay_id for o in studio.compositor.overlays] == ["h-card"]
    assert [o.overlay_id for o in vertical.overlays] == ["v-card"]
    assert wait_until(lambda: (frame := vertical.latest_program()) is not None and is_red(frame.image[530, 250]))
    assert wait_until(lambda: is_red(studio.compositor.latest_program().image[280, 410]))
    # The horizontal card's left edge lies inside the centred 9:16 window (x 219–421), where the
    # vertical picture shows x ≈ 330–358, y ≈ 445–550: it is cut from the clean program, so no red.
    where_h_card_would_be = vertical.latest_program().image[460:530, 335:355].reshape(-1, 3)
    assert not any(is_red(pixel) for pixel in where_h_card_would_be)
    studio.remove_overlay("v-card", canvas=CanvasRole.VERTICAL)
    assert vertical.overlays == () and [o.overlay_id for o in studio.compositor.overlays] == ["h-card"]


def test_resize_and_turn_off_while_running(studio):
    changes = []
    studio.canvases_changed.connect(lambda **kw: changes.append(kw))
    studio.vertical.enable(360, 640)
    bigger = studio.vertical.enable(540, 960)
    assert wait_until(lambda: bigger.latest_program() is not None and bigger.latest_program().width == 540)
    assert studio.collection.vertical_canvas == VerticalCanvas(width=540, height=960)
    studio.hold_canvas("rtmp-vertical", CanvasRole.VERTICAL)
    with pytest.raises(StudioError):
        studio.vertical.enable(720, 1280)
    with pytest.raises(StudioError):
        studio.vertical.disable()
    studio.release_canvas("rtmp-vertical")
    studio.vertical.disable()
    assert studio.vertical_compositor is None and studio.collection.vertical_canvas is None
    assert wait_until(lambda: not any(name.startswith(("compositor:vertical", "face-finder")) for name in our_thread_names()))
    assert studio.compositor._clean_subscribers == ()
    assert [(c["is_on"], c["width"]) for c in changes] == [(True, 360), (True, 540), (False, None)]


def test_layout_follows_the_scene(studio):
    vertical = studio.vertical.enable(360, 640)
    first = studio.current_scene()
    second = studio.add_scene("Close-up")
    studio.items.add(second.id, first.items[0].source_id)
    studio.vertical.set_layout(second.id, "manual")
    item = second.items[0]
    studio.vertical.update_item(second.id, item.id, x=0, y=0, width=360, height=640)
    assert second.items[0].vertical is not None and second.items[0].vertical.height == 640
    studio.switch_scene(second.id, transition="cut")
    assert vertical.layout is VerticalLayout.MANUAL and vertical.plan[0].height == 640
    assert studio.compositor._clean_subscribers == ()  # manual: the horizontal program makes no clean copy
    studio.switch_scene(first.id, transition="cut")
    assert vertical.layout is VerticalLayout.AUTO and vertical.plan == ()
    assert len(studio.compositor._clean_subscribers) == 1
    studio.vertical.update_item(second.id, item.id, reset=True)
    assert second.items[0].vertical is None
    studio.items.update(second.id, item.id, vertical={"x": 10, "y": 20, "width": 100, "height": 200})
    assert second.items[0].vertical.x == 10 and second.items[0].vertical.crop.left == 0


def test_collection_with_a_vertical_canvas_opens_with_it(tmp_path):
    collection = default_collection(Canvas(width=640, height=360, fps=30))
    collection.vertical_canvas = VerticalCanvas(width=360, height=640)
    studio = Studio(collection=collection)
    studio.start()
    try:
        assert studio.vertical_compositor is not None
        assert wait_until(lambda: studio.vertical_compositor.latest_program() is not None)
        studio.save_collection(tmp_path / "show.json")
        plain = default_collection(Canvas(width=640, height=360, fps=30))
        studio.apply_collection(plain)
        assert studio.vertical_compositor is None
        studio.apply_collection(Studio.read_collection(tmp_path / "show.json"))
        assert wait_until(lambda: studio.vertical_compositor is not None and studio.vertical_compositor.latest_program() is not None)
        assert studio.vertical_compositor.horizontal is studio.compositor
    finally:
        studio.stop()


def test_apply_collection_with_a_new_horizontal_canvas_keeps_the_vertical_cut_following(studio):
    vertical = studio.vertical.enable(360, 640)
    bigger = studio.snapshot_collection()
    bigger.canvas = Canvas(width=1280, height=720, fps=30)
    studio.apply_collection(bigger)
    assert studio.vertical_compositor is vertical and vertical.horizontal is studio.compositor
    ticks = vertical.ticks
    assert wait_until(lambda: vertical.ticks > ticks + 5)


def test_video_frame_time_of_the_vertical_program_comes_from_the_horizontal_one():
    # Frame-driven: one vertical frame per horizontal picture, carrying its time (the encoders' pts).
    source = StillSource()
    horizontal = Compositor(640, 360, 30, {"s": source}.get)
    horizontal.set_plan((LayerPlan("i", "s", 0, 0, 640, 360),))
    vertical = VerticalCompositor(360, 640, 30, {"s": source}.get, detector=None)
    vertical.follow(horizontal)
    vertical.start()
    try:
        slot = vertical.subscribe()
        source.show(solid((10, 20, 30)), 5)
        horizontal.publish(horizontal.render(42_000_000))
        frame = slot.take(3)
        assert isinstance(frame, VideoFrame) and frame.capture_ns == 42_000_000
        assert slot.take(0.2) is None  # no picture, no frame: it does not run on its own clock
    finally:
        vertical.stop()
        horizontal.stop()
