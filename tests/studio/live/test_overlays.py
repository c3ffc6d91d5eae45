from __future__ import annotations

import numpy as np
import pytest

from studio.engine import Studio, default_collection
from studio.live import LiveShow, render
from studio.live.catalog import Product
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
        show.pin("SKU-1")
        show.create_coupon("GO", "percent", 10)
        show.show_coupon("GO")
        show.start_flash_sale("SKU-2", stock=4, preroll_s=10, window_s=60)
        show.open_giveaway("win")
        show.add_comment({"id": "1", "user": "ann", "text": "price?"})
        show.pin_answer("1", "$19.99")
        assert ids() == {"live.product", "live.coupon", "live.flash_sale", "live.giveaway", "live.answer"}
        flash = next(o for o in studio.compositor.overlays if o.overlay_id == "live.flash_sale")
        clock.advance(5)
        show.tick()
        assert next(o for o in studio.compositor.overlays if o.overlay_id == "live.flash_sale") is not flash  # countdown redrawn
        show.unpin(); show.show_coupon(None); show.unpin_answer(); show.close_giveaway(); show.clear_flash_sale()
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
    show.pin("SKU-2")
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
