"""The show's cards on the vertical program (issue #12), with the real engine and small canvases:
inside the safe box, stacked without overlap, mirrored for Arabic, following the canvas on, off
and resized, and no vertical work at all while the vertical canvas is off."""
from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

from studio.compositor import CleanPicture
from studio.core.clock import NS_PER_S, now_ns
from studio.engine import Studio, default_collection
from studio.live import LiveShow, render
from studio.scene import Canvas, CanvasRole
from tests.helpers import wait_until
from tests.studio.control.conftest import card_match

GREY = 90
CARDS = {"live.product", "live.coupon", "live.flash_sale", "live.answer"}


@pytest.fixture
def studio():
    engine = Studio(collection=default_collection(Canvas(width=640, height=360, fps=30)))
    yield engine
    engine.stop()


class Renders(list):
    """Every card render, by function name, and the threads they ran on."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[str] = []


@pytest.fixture
def renders(monkeypatch):
    calls = Renders()

    def counted(name, original):
        def render_card(*args, **kwargs):
            calls.append(name)
            calls.threads.append(threading.current_thread().name)
            return original(*args, **kwargs)
        return render_card

    for name in ("product_card", "coupon_banner", "flash_sale_card", "giveaway_card", "answer_card"):
        monkeypatch.setattr(render, name, counted(name, getattr(render, name)))  # the layout calls through the module
    return calls


def _vertical_ids(studio) -> set[str]:
    compositor = studio.compositor_for(CanvasRole.VERTICAL)
    return {o.overlay_id for o in compositor.overlays} if compositor is not None else set()


def _put_up_four(show) -> None:
    show.shelf.pin("SKU-1")
    show.coupons.create("GO", "percent", 10)
    show.coupons.show("GO")
    show.flash_sale.start("SKU-2", stock=4, preroll_s=10, window_s=60)
    show.comments.add({"id": "1", "user": "ann", "text": "price?"})
    show.comments.pin_answer("1", "$19.99")


def _vertical_program(studio) -> np.ndarray:
    """The vertical auto program cut from a plain grey horizontal picture, every card at rest."""
    image = np.full((360, 640, 3), GREY, np.uint8)
    at_rest_ns = now_ns() + 5 * NS_PER_S  # long after every enter motion
    return studio.vertical_compositor.cut(CleanPicture(image, at_rest_ns, 1)).image


def _boxes(studio) -> dict[str, tuple[int, int, int, int]]:
    return {o.overlay_id: (o.x, o.y, o.x + o.size[0], o.y + o.size[1]) for o in studio.vertical_compositor.overlays}


def test_cards_go_on_the_vertical_program_inside_the_safe_box(studio, tmp_path, catalog_csv, clock):
    studio.vertical.enable(360, 640)
    x, y, w, h = studio.vertical.safe_box()
    assert (x, y, w, h) == (40, 96, 256, 320)
    show = LiveShow(studio, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    try:
        _put_up_four(show)
        assert _vertical_ids(studio) == CARDS
        frame = _vertical_program(studio)
        changed = (frame != GREY).any(axis=2)
        # Outside the box the picture underneath is untouched: right rail, bottom comment area, top bar, left edge.
        assert not changed[:, x + w:].any(), "a card is under the right rail"
        assert not changed[y + h:, :].any(), "a card is under the bottom comment area"
        assert not changed[:y, :].any(), "a card is under the top bar"
        assert not changed[:, :x].any()
        # Inside, the cards cover much of the box.
        assert changed[y:y + h, x:x + w].mean() > 0.5
        # Several cards up at once: no two overlap.
        for (a, first), (b, second) in itertools.combinations(_boxes(studio).items(), 2):
            overlaps = first[0] < second[2] and second[0] < first[2] and first[1] < second[3] and second[1] < first[3]
            assert not overlaps, (a, first, b, second)
        # The product card stands on the box's bottom edge on the reading-start (left) side.
        product = _boxes(studio)["live.product"]
        assert product[0] == x and product[3] == y + h
        assert changed[product[1] + 5:product[3] - 5, product[0] + 2].all()
        # Drawn for this size, not the horizontal bitmap: same z, a different picture.
        horizontal = {o.overlay_id: o for o in studio.compositor.overlays}
        for card in studio.vertical_compositor.overlays:
            assert card.z == horizontal[card.overlay_id].z
            assert card.rgba.shape != horizontal[card.overlay_id].rgba.shape
    finally:
        show.stop()


def test_arabic_mirrors_the_vertical_layout(studio, tmp_path, catalog_csv, clock):
    studio.vertical.enable(360, 640)
    x, y, w, h = studio.vertical.safe_box()
    shows = {}
    try:
        for locale in ("en_US", "ar_SA"):
            shows[locale] = show = LiveShow(studio, tmp_path / f"{locale}.db", catalog=catalog_csv, locale=locale, clock=clock)
            show.shelf.pin("SKU-1")
            show.coupons.create("GO", "percent", 10)
            show.coupons.show("GO")
            boxes = _boxes(studio)
            frame = _vertical_program(studio)
            changed = (frame != GREY).any(axis=2)
            product, coupon = boxes["live.product"], boxes["live.coupon"]
            card = next(o for o in studio.vertical_compositor.overlays if o.overlay_id == "live.product")
            if locale == "en_US":
                assert product[0] == x and coupon[2] == x + w  # product at the start (left), coupon at the end
                assert not changed[product[1]:product[3], product[2]:x + w].any()
                assert card.animation.slide_dx > 0  # glides in from inside the box, not from under the edge
            else:
                assert product[2] == x + w and coupon[0] == x  # mirrored
                assert not changed[product[1]:product[3], x:product[0]].any()
                assert card.animation.slide_dx < 0
            assert not changed[:, x + w:].any() and not changed[y + h:, :].any()
    finally:
        for show in shows.values():
            show.stop()


def test_vertical_canvas_turned_on_after_the_pin_gets_the_card(studio, tmp_path, catalog_csv, clock, renders):
    studio.start()
    show = LiveShow(studio, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    show.start()
    try:
        show.shelf.pin("SKU-1")
        assert renders == ["product_card"]  # the horizontal card only: nothing vertical while it is off
        studio.vertical.enable(360, 640)
        # The ticker (not the thread that turned the canvas on) lays the card out on the new canvas.
        assert wait_until(lambda: _vertical_ids(studio) == {"live.product"}, 3.0)
        assert renders == ["product_card", "product_card"]
        assert renders.threads[1] == "live-ticker"  # not the thread that turned the canvas on (the GUI's, in the app)
        card = studio.vertical_compositor.overlays[0]
        x, y, w, h = studio.vertical.safe_box()
        assert x <= card.x and card.x + card.size[0] <= x + w and y <= card.y and card.y + card.size[1] <= y + h
        # The vertical program viewers get shows it (cut from the live horizontal program, card on top).
        assert wait_until(lambda: (frame := studio.vertical_compositor.latest_program()) is not None
                          and frame.capture_ns > card.shown_ns + 400_000_000 and card_match(frame.image, card) < 12, 5.0)
        # Not laid out again on later ticks while nothing changes.
        show.tick()
        assert renders.count("product_card") == 2
    finally:
        show.stop()


def test_resize_lays_the_cards_out_again(studio, tmp_path, catalog_csv, clock):
    studio.vertical.enable(360, 640)
    show = LiveShow(studio, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    try:
        _put_up_four(show)
        old = studio.vertical_compositor
        small = _boxes(studio)
        studio.vertical.enable(540, 960)  # a new compositor: the old one's overlays are gone
        assert studio.vertical_compositor is not old and _vertical_ids(studio) == set()
        show.tick()
        assert _vertical_ids(studio) == CARDS
        x, y, w, h = studio.vertical.safe_box()
        assert (x, y, w, h) == (60, 144, 384, 480)
        large = _boxes(studio)
        for overlay_id, (x0, y0, x1, y1) in large.items():
            assert x <= x0 and x1 <= x + w and y <= y0 and y1 <= y + h
            assert x1 - x0 > small[overlay_id][2] - small[overlay_id][0]  # drawn larger, for the larger canvas
        frame = _vertical_program(studio)
        assert not (frame != GREY).any(axis=2)[:, x + w:].any()
    finally:
        show.stop()


def test_vertical_canvas_off_means_no_vertical_work(studio, tmp_path, catalog_csv, clock, renders):
    show = LiveShow(studio, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    try:
        _put_up_four(show)
        assert studio.vertical_compositor is None
        assert show.layout.vertical.renders == 0
        assert len(renders) == len(CARDS)  # one render per card: the horizontal one
        show.tick()  # the flash sale's countdown settles (a horizontal redraw)
        studio.vertical.enable(360, 640)
        show.tick()
        assert _vertical_ids(studio) == CARDS and show.layout.vertical.renders == len(CARDS)
        studio.vertical.disable()
        show.tick()
        renders.clear()
        before = show.layout.vertical.renders
        clock.advance(5)
        show.tick()  # the flash sale's countdown redraws …
        show.shelf.pin("SKU-2")
        show.coupons.show(None)
        show.comments.unpin_answer()
        assert renders == ["flash_sale_card", "product_card"]  # … on the horizontal program only
        assert show.layout.vertical.renders == before
        assert studio.compositor_for(CanvasRole.VERTICAL) is None
        # Turned on again: what is up now (not what was taken off meanwhile) comes back.
        studio.vertical.enable(360, 640)
        show.tick()
        assert _vertical_ids(studio) == {"live.product", "live.flash_sale"}
    finally:
        show.stop()


def test_horizontal_cards_are_the_same_with_the_vertical_canvas_on(tmp_path, catalog_csv, clock):
    def horizontal_cards(has_vertical: bool):
        engine = Studio(collection=default_collection(Canvas(width=640, height=360, fps=30)))
        if has_vertical:
            engine.vertical.enable(360, 640)
        show = LiveShow(engine, tmp_path / f"{has_vertical}.db", catalog=catalog_csv, locale="ar_SA", clock=clock)
        try:
            _put_up_four(show)
            return {o.overlay_id: (o.x, o.y, o.z, o.rgba.tobytes(), o.animation) for o in engine.compositor.overlays}
        finally:
            show.stop()
            engine.stop()

    assert horizontal_cards(True) == horizontal_cards(False)


def test_cards_leave_the_vertical_program_with_their_exit_motion(studio, tmp_path, catalog_csv, clock):
    studio.vertical.enable(360, 640)
    show = LiveShow(studio, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    try:
        show.shelf.pin("SKU-1")
        show.shelf.unpin()
        leaving = studio.vertical_compositor.overlays[0]
        assert leaving.is_leaving
        wait_until(lambda: leaving.has_left(), 1.0)
        show.tick()
        assert _vertical_ids(studio) == set() and studio.compositor.overlays == ()
    finally:
        show.stop()


def test_platforms_of_the_vertical_destinations_set_the_box(studio, tmp_path, catalog_csv, clock):
    studio.vertical.enable(360, 640)
    show = LiveShow(studio, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    try:
        show.shelf.pin("SKU-1")
        show.set_vertical_platforms(["tiktok"])  # TikTok alone: top 250, bottom 460, right 180 of 1080×1920
        card = studio.vertical_compositor.overlays[0]
        assert (card.x, card.y + card.size[1]) == (0, 1460 // 3)  # rounded towards the inside of the box
        assert card.x + card.size[0] <= 300  # clear of the right rail (180 of 1080 = 60 of 360)
    finally:
        show.stop()
