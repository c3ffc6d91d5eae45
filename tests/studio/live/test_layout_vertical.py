"""The vertical layout's arithmetic: the safe box per platform, the card slots, phone-sized text, the glide."""
from __future__ import annotations

import itertools

import pytest

from studio.live import render, vertical
from studio.live.catalog import Product
from studio.live.errors import LiveError
from studio.live.vertical import Box
from studio.scene import vertical_safe_box

SIZES = [(1080, 1920), (720, 1280), (360, 640), (2160, 3840), (1080, 1350), (900, 1600)]


def test_min_text_is_l2_on_a_phone_width():
    # 11 px at a 360 px wide phone screen, scaled to the canvas (ceil: never below).
    assert vertical.min_text_px(1080) == 33
    assert vertical.min_text_px(360) == 11
    assert vertical.min_text_px(720) == 22
    assert vertical.min_text_px(1000) == 31  # 30.56 rounded up


@pytest.mark.parametrize("width, height", [(360, 640), (540, 960), (720, 1280), (1080, 1920), (1440, 2560), (2160, 3840)])
def test_on_9x16_canvases_the_text_floor_is_l2(width, height):
    assert vertical.plan(width, height).min_text_px == vertical.min_text_px(width)


def test_on_a_squatter_canvas_the_floor_gives_way_to_the_cards_rows():
    # 4:5: the box is short, the cards small; 33 px text would run into the next line.
    plan = vertical.plan(1080, 1350)
    assert plan.min_text_px == int(27 * plan.scale) == 24 < vertical.min_text_px(1080)


def test_default_safe_box_is_the_engines_three_platform_box():
    assert vertical.safe_box(1080, 1920) == Box(120, 288, 768, 960)
    assert vertical.safe_box(360, 640) == Box(*vertical_safe_box(360, 640)) == Box(40, 96, 256, 320)


def test_safe_box_for_named_platforms_reuses_the_cover_presets():
    # TikTok LIVE preset: top 250, bottom 460, right rail 180 on 1080×1920.
    assert vertical.safe_box(1080, 1920, ["tiktok"]) == Box(0, 250, 900, 1210)
    # + Instagram/Facebook vertical (Meta: 14 % top, 35 % bottom, 6 % sides): the intersection.
    assert vertical.safe_box(1080, 1920, ["tiktok", "instagram"]) == Box(65, 269, 835, 979)
    # Scaled to the canvas.
    assert vertical.safe_box(540, 960, ["tiktok"]) == Box(0, 125, 450, 605)
    # Shopee's preset lists no UI zones: the cautious three-platform box, not the whole picture.
    assert vertical.safe_box(1080, 1920, ["shopee"]) == Box(120, 288, 768, 960)
    assert vertical.safe_box(1080, 1920, ["YouTube-Shorts"]) == Box(120, 288, 768, 960)
    with pytest.raises(LiveError):
        vertical.safe_box(1080, 1920, ["myspace"])


def test_slots_at_1080x1920():
    plan = vertical.plan(1080, 1920, slide_px_at_scale_1=48)
    assert plan.box == Box(120, 288, 768, 960)
    assert plan.scale == pytest.approx(960 / 760)  # five designed heights (696) + four gaps (4 × 16)
    assert plan.min_text_px == 33 and plan.slide_px == 60
    slots = plan.slots
    # Top stack hangs from the box top: coupon (reading end = right), then giveaway (box wide).
    assert slots["coupon"] == Box(307, 288, 581, 121)
    assert slots["giveaway"] == Box(120, 429, 768, 164)
    # Bottom stack stands on the box bottom: product (reading start = left), flash sale, answer.
    assert slots["product"] == Box(120, 996, 707, 252) and slots["product"].bottom == 1248
    assert slots["flash_sale"] == Box(120, 787, 768, 189)
    assert slots["answer"] == Box(120, 616, 768, 151)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("is_mirrored", [False, True])
def test_slots_stay_in_the_box_and_never_overlap(size, is_mirrored):
    plan = vertical.plan(*size, is_mirrored=is_mirrored, slide_px_at_scale_1=48)
    assert set(plan.slots) == set(render.CARD_SIZES_PX)
    for kind, slot in plan.slots.items():
        assert plan.box.contains(slot), (kind, slot, plan.box)
        assert slot.h == int(render.CARD_SIZES_PX[kind][1] * plan.scale)  # what the renderer draws
        # The glide starts inside the box too (and every point of a straight glide in between).
        dx, dy = plan.slide(kind)
        assert plan.box.contains(slot.moved(dx, dy))
    for (a, first), (b, second) in itertools.combinations(plan.slots.items(), 2):
        assert not first.overlaps(second), (a, first, b, second)
    gaps = sorted(s.y for s in plan.slots.values())
    assert len(set(gaps)) == 5  # one card per row


def test_mirroring_swaps_sides_and_glides():
    ltr = vertical.plan(1080, 1920, is_mirrored=False, slide_px_at_scale_1=48)
    rtl = vertical.plan(1080, 1920, is_mirrored=True, slide_px_at_scale_1=48)
    box = ltr.box
    assert ltr.slots["product"].x == box.x and rtl.slots["product"].right == box.right
    assert ltr.slots["coupon"].right == box.right and rtl.slots["coupon"].x == box.x
    for kind in ("flash_sale", "giveaway", "answer"):  # box wide: same place either way
        assert ltr.slots[kind] == rtl.slots[kind]
    # The horizontal glide (product from the start edge, coupon from the end edge) would begin
    # outside the box, so it is turned round — mirrored with the layout.
    assert ltr.slide("product") == (60, 0) and rtl.slide("product") == (-60, 0)
    assert ltr.slide("coupon") == (-60, 0) and rtl.slide("coupon") == (60, 0)
    assert ltr.slide("flash_sale") == (0, 60) and ltr.slide("giveaway") == (0, -60)


def test_platform_box_moves_the_slots():
    box = vertical.safe_box(1080, 1920, ["tiktok"])
    plan = vertical.plan(1080, 1920, box=box)
    assert plan.slots["product"].bottom == 1460 and plan.slots["coupon"].y == 250
    assert all(box.contains(slot) for slot in plan.slots.values())
    assert all(slot.right <= 900 for slot in plan.slots.values())  # clear of TikTok's right rail


def test_vertical_cards_render_at_their_slot_with_phone_sized_text(monkeypatch):
    sizes = []
    original = render.textlib.layout_text

    def recording(text, box_w, box_h, size_px, min_size_px, *args, **kwargs):
        sizes.append((text, size_px, min_size_px))
        return original(text, box_w, box_h, size_px, min_size_px, *args, **kwargs)

    monkeypatch.setattr(render.textlib, "layout_text", recording)
    plan = vertical.plan(1080, 1920)
    product = Product(sku="A", titles={"": "Silk scarf"}, price="19.99", currency="USD", original_price="39.99")
    cards = {
        "product": lambda s, w, m: render.product_card(product, "en_US", s, width_px=w, min_text_px=m),
        "coupon": lambda s, w, m: render.coupon_banner({"code": "GO", "kind": "percent", "value": "10"}, "en_US", s, width_px=w, min_text_px=m),
        "flash_sale": lambda s, w, m: render.flash_sale_card({"phase": "live", "countdown_s": 65, "stock": 10, "remaining": 3}, product, "en_US", s,
                                                             width_px=w, min_text_px=m),
        "giveaway": lambda s, w, m: render.giveaway_card({"keyword": "win", "entries": [], "winners": [], "commitment": "ab" * 32}, s, width_px=w,
                                                         min_text_px=m),
        "answer": lambda s, w, m: render.answer_card({"user": "ann", "text": "size?"}, "M fits most", s, width_px=w, min_text_px=m),
    }
    for kind, paint in cards.items():
        sizes.clear()
        slot = plan.slots[kind]
        rgba = paint(plan.scale, slot.w, plan.min_text_px)
        assert rgba.shape[:2] == (slot.h, slot.w), kind
        assert sizes and all(smallest >= 33 and size >= 33 for _text, size, smallest in sizes), (kind, sizes)
    # The horizontal cards are unchanged: their own sizes, their own floors (e.g. 14 px at scale 1).
    sizes.clear()
    assert cards["giveaway"](1.0, None, 0).shape[:2] == (130, 460)
    assert min(smallest for _text, _size, smallest in sizes) == 14
