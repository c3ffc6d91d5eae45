from __future__ import annotations

import time

import numpy as np
import pytest

from studio.engine import Studio, default_collection
from studio.live import LiveShow, render
from studio.live.catalog import Product
from studio.overlays import Animation, Overlay
from studio.scene import Canvas


@pytest.fixture
def studio():
    engine = Studio(collection=default_collection(Canvas(width=640, height=360, fps=30)))
    yield engine
    engine.stop()


def test_prices_follow_locale():
    assert render.format_price("1299.99", "USD", "en_US") == "$1,299.99"
    assert render.format_price("1299.99", "EUR", "de_DE") == "1.299,99\xa0€"
    assert render.format_price("1299.99", "BRL", "pt_BR") == "R$\xa01.299,99"


def _opaque(rgba: np.ndarray) -> bool:
    return rgba.dtype == np.uint8 and rgba.shape[2] == 4 and (rgba[..., 3] == 255).any()


def test_cards_render_rgba():
    product = Product(sku="A", titles={"": "Scarf", "ar": "وشاح حرير"}, price="19.99", currency="SAR", original_price="39.99")
    assert _opaque(render.product_card(product, "ar_SA", 0.5))
    assert _opaque(render.product_card(product, "en_US", 0.5))
    assert _opaque(render.coupon_banner({"code": "X", "kind": "amount", "value": "5", "is_referral": True}, "en_US", 0.5))
    assert _opaque(render.flash_sale_card({"phase": "live", "countdown_s": 65, "stock": 10, "remaining": 3}, product, "en_US", 0.5))
    assert _opaque(render.giveaway_card({"keyword": "win", "entries": ["a"], "winners": [], "commitment": "ab" * 32}, 0.5))
    assert _opaque(render.answer_card({"user": "ann", "text": "size?"}, "M fits most", 0.5))
    assert render.is_rtl("وشاح") and not render.is_rtl("Scarf")


def test_overlays_follow_state(studio, tmp_path, catalog_csv, clock):
    show = LiveShow(studio, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    try:
        ids = lambda: {o.overlay_id for o in studio.compositor.overlays}  # noqa: E731
        show.shelf.pin("SKU-1")
        show.coupons.create("GO", "percent", 10)
        show.coupons.show("GO")
        show.flash_sale.start("SKU-2", stock=4, preroll_s=10, window_s=60)
        show.giveaway.open("win")
        show.comments.add({"id": "1", "user": "ann", "text": "price?"})
        show.comments.pin_answer("1", "$19.99")
        assert ids() == {"live.product", "live.coupon", "live.flash_sale", "live.giveaway", "live.answer"}
        flash = next(o for o in studio.compositor.overlays if o.overlay_id == "live.flash_sale")
        clock.advance(5)
        show.tick()
        assert next(o for o in studio.compositor.overlays if o.overlay_id == "live.flash_sale") is not flash  # countdown redrawn
        show.shelf.unpin(); show.coupons.show(None); show.comments.unpin_answer(); show.giveaway.close(); show.flash_sale.clear()
        assert all(o.is_leaving for o in studio.compositor.overlays)  # each plays its exit motion …
        time.sleep(0.3)
        show.tick()  # … and the ticker takes them off once it is over
        assert ids() == set()
        # Arabic locale: the card moves to the right (mirrored layout).
        rtl = LiveShow(studio, tmp_path / "ar.db", catalog=catalog_csv, locale="ar_SA", clock=clock)
        rtl.pin("SKU-1")
        card = next(o for o in studio.compositor.overlays if o.overlay_id == "live.product")
        assert card.x > 640 // 2
        rtl.stop()
    finally:
        show.stop()


def test_restart_redraws_pinned_product(studio, tmp_path, catalog_csv, clock):
    show = LiveShow(None, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    show.shelf.pin("SKU-2")
    show.stop()
    again = LiveShow(studio, tmp_path / "show.db", clock=clock)
    again.start()
    try:
        assert any(o.overlay_id == "live.product" for o in studio.compositor.overlays)
    finally:
        again.stop()


def test_card_with_product_image(tmp_path):
    from PIL import Image

    picture = tmp_path / "p.png"
    Image.new("RGB", (400, 300), (0, 200, 0)).save(picture)
    product = Product(sku="A", titles={"": "Green"}, price="1", currency="USD", image=str(picture))
    rgba = render.product_card(product, "en_US", 0.5)
    green_of = lambda a: (a[..., 0] == 0) & (a[..., 1] == 200) & (a[..., 2] == 0)  # noqa: E731
    assert green_of(rgba).sum() > 1000  # the thumbnail is drawn
    rtl = render.product_card(Product(sku="B", titles={"": "أخضر"}, price="1", currency="SAR", image=str(picture)), "ar_SA", 0.5)
    green = np.flatnonzero(green_of(rtl).any(axis=0))
    assert green.min() > rtl.shape[1] // 2  # mirrored: picture on the right


MS = 1_000_000


def _card(w=40, h=20, colour=(200, 40, 40)):
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = 255
    return rgba


def test_enter_and_exit_motion_per_frame():
    shown = 10_000 * MS
    overlay = Overlay("card", _card(), x=100, y=50, animation=Animation(250, slide_dx=-30), shown_ns=shown)
    samples = []
    for t_ms in (0, 40, 125, 200, 250, 400):
        canvas = np.zeros((120, 200, 3), np.uint8)
        overlay.blend_into(canvas, shown + t_ms * MS)
        opacity, x, _y = overlay.frame_state(shown + t_ms * MS)
        blue = canvas[60, x + 20, 0]  # BGR: the card's red channel lands at index 2, blue (40) at 0
        samples.append((t_ms, opacity, x, int(canvas[60, x + 20, 2]), int(blue)))
    # Partial opacity and offset during the motion; starting at ≥ 60 % so the first frame shows it.
    assert samples[0][1] == pytest.approx(0.6) and samples[0][2] == 70 and samples[0][3] == round(0.6 * 200)
    assert 0.6 < samples[2][1] < 1.0 and 70 < samples[2][2] < 100
    assert [s[1] for s in samples] == sorted(s[1] for s in samples)  # never flickers back
    # Fully present, in place, once 250 ms have passed.
    assert samples[4][1:] == (1.0, 100, 200, 40) and samples[5][1:] == (1.0, 100, 200, 40)
    canvas = np.zeros((120, 200, 3), np.uint8)
    overlay.blend_into(canvas, shown + 300 * MS)
    assert (canvas[50:70, 100:140] == (40, 40, 200)).all() and not canvas[:, :100].any()

    leaving = overlay.leaving(shown + 1000 * MS)
    assert leaving.is_leaving and leaving._bgr is overlay._bgr  # the pixels are shared, not redrawn
    half = leaving.frame_state(shown + 1125 * MS)
    assert 0.0 < half[0] < 1.0 and half[1] < 100
    canvas = np.zeros((120, 200, 3), np.uint8)
    leaving.blend_into(canvas, shown + 1250 * MS)
    assert not canvas.any() and leaving.has_left(shown + 1250 * MS) and not leaving.has_left(shown + 1100 * MS)


def test_cards_animate_on_the_program_without_re_rendering(studio, tmp_path, catalog_csv, clock, monkeypatch):
    from tests.studio.control.conftest import card_match, program_with_picture

    calls = []
    original = render.product_card
    monkeypatch.setattr(render, "product_card", lambda *a, **k: calls.append(1) or original(*a, **k))
    studio.start()
    show = LiveShow(studio, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    try:
        before = program_with_picture(studio)
        show.shelf.pin("SKU-1")
        overlay = next(o for o in studio.compositor.overlays if o.overlay_id == "live.product")
        frames, seen = [], set()
        end = time.monotonic() + 0.45
        while time.monotonic() < end:
            frame = studio.compositor.latest_program()
            if frame.sequence not in seen:
                seen.add(frame.sequence)
                frames.append(frame)
            time.sleep(0.003)
        entering = [f for f in frames if f.capture_ns >= overlay.shown_ns and overlay.frame_state(f.capture_ns)[0] < 1.0]
        assert len(entering) >= 3  # 250 ms at 30 fps: several frames mid-motion
        for frame in entering:
            opacity, x, _y = overlay.frame_state(frame.capture_ns)
            assert 0.6 <= opacity < 1.0
            assert card_match(frame.image, overlay, frame.capture_ns, before.image) < 12
        assert any(overlay.frame_state(f.capture_ns)[1] != overlay.x for f in entering)  # it glides, too
        assert card_match(frames[-1].image, overlay) < 12  # at rest after 250 ms
        assert len(calls) == 1  # one render for the whole motion: only position and weight change per frame
        # A redraw of the same card (here: a locale refresh) keeps the motion's start time.
        show.refresh_overlays()
        again = next(o for o in studio.compositor.overlays if o.overlay_id == "live.product")
        assert again is not overlay and again.shown_ns == overlay.shown_ns
        # Another product enters anew.
        show.shelf.pin("SKU-2")
        swapped = next(o for o in studio.compositor.overlays if o.overlay_id == "live.product")
        assert swapped.shown_ns > overlay.shown_ns
        # Shown again while leaving: it comes back (and is not removed by the sweep).
        show.shelf.unpin()
        show.shelf.pin("SKU-2")
        time.sleep(0.3)
        show.tick()
        card = next(o for o in studio.compositor.overlays if o.overlay_id == "live.product")
        assert not card.is_leaving
    finally:
        show.stop()
