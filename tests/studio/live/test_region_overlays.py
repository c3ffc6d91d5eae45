"""Overlays share the cover designer's region packs: palette, fonts (shaping + fallback), phrases, mirroring."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cover_designer import text as textlib
from cover_designer.lint import CONTRAST_MIN
from cover_designer.regions import REGIONS, region_for_locale
from studio.engine import Studio, default_collection
from studio.live import LiveShow, render
from studio.live.catalog import Product
from studio.live.errors import LiveError
from studio.scene import Canvas

# One show locale per pack, with a title in that language.
SHOWS = {
    "na_eu": ("en_US", "Silk scarf", "USD"),
    "sea": ("th_TH", "ผ้าพันคอผ้าไหม", "THB"),
    "middle_east": ("ar_SA", "وشاح حرير", "SAR"),
    "latam": ("pt_BR", "Lenço de seda", "BRL"),
    "jp_kr": ("ja_JP", "シルクスカーフ", "JPY"),
}
SCALE = 1.0
PAD = 16  # product card padding at scale 1
STRIPE = 8


def _rgb(hex_code: str) -> tuple[int, int, int]:
    return tuple(int(hex_code.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))


def _is(rgba: np.ndarray, rgb) -> np.ndarray:
    return (rgba[..., :3] == np.array(rgb[:3], np.uint8)).all(axis=-1) & (rgba[..., 3] == 255)


def _reading_order(rgba: np.ndarray, is_mirrored: bool) -> np.ndarray:
    """The card as a left-to-right reader sees its layout (mirrored cards flipped back) for zone maths."""
    return rgba[:, ::-1] if is_mirrored else rgba


def _zone_contrast(zone: np.ndarray) -> tuple[tuple[int, int, int], float]:
    """(background, contrast of the text on it) measured on rendered pixels: the background is the
    zone's most common colour, the text is the 98th-percentile contrast of every other pixel (glyph
    cores; anti-aliased edges lie in between)."""
    pixels = zone[zone[..., 3] == 255][:, :3].reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    background = tuple(int(v) for v in colours[counts.argmax()])
    others = pixels[(pixels != np.array(background)).any(axis=1)]
    assert len(others) > 50, "no text drawn in this zone"
    # Weighted by pixel count: a handful of edge colours must not decide.
    values, weights = np.unique(others, axis=0, return_counts=True)
    per_pixel = np.repeat([render.contrast(background, tuple(int(v) for v in rgb)) for rgb in values], weights)
    return background, float(np.percentile(per_pixel, 98))


def _product(locale: str, title: str, currency: str, **extra) -> Product:
    return Product(sku="A", titles={"": "Silk scarf", locale.split("_")[0]: title}, price="1299", currency=currency,
                   original_price="1599", **extra)


def test_locale_leads_to_its_region():
    assert [region_for_locale(code) for code in ("ar_SA", "th_TH", "vi_VN", "id_ID", "pt_BR", "es_MX", "ja_JP", "ko_KR",
                                                 "en_US", "de_DE", "fr_FR")] == \
        ["middle_east", "sea", "sea", "sea", "latam", "latam", "jp_kr", "jp_kr", "na_eu", "na_eu", "na_eu"]


@pytest.mark.parametrize("region", sorted(SHOWS))
def test_product_card_wears_the_pack_palette_and_reads(region):
    locale, title, currency = SHOWS[region]
    pack = REGIONS[region]
    rgba = render.product_card(_product(locale, title, currency), locale, SCALE)
    accent = _rgb(pack.palette["accent"])
    assert _is(rgba, accent).sum() > 1500  # stripe and discount badge in the pack's accent
    assert _is(rgba, _rgb(pack.palette["background"])).sum() > rgba.shape[0] * rgba.shape[1] * 0.4  # the plate
    style = render.overlay_style(locale)
    card = _reading_order(rgba, style.is_mirrored)
    height, width = card.shape[:2]
    # Title (top of the text column, left of the badge), price (bottom), badge text (on the accent).
    title_zone = card[PAD:PAD + 44, STRIPE + PAD:int(width * 0.55)]
    price_zone = card[height - PAD - 60:height - PAD, STRIPE + PAD:int(width * 0.75)]
    background, ratio = _zone_contrast(title_zone)
    assert background == _rgb(pack.palette["background"]) and ratio >= CONTRAST_MIN, (region, ratio)
    background, ratio = _zone_contrast(price_zone)
    assert background == _rgb(pack.palette["background"]) and ratio >= CONTRAST_MIN, (region, ratio)
    rows, cols = np.nonzero(_is(card[:PAD + 60, int(width * 0.5):], accent))
    badge = card[rows.min():rows.max() + 1, int(width * 0.5) + cols.min():int(width * 0.5) + cols.max() + 1]
    background, ratio = _zone_contrast(badge)
    assert background == accent and ratio >= CONTRAST_MIN, (region, ratio)


@pytest.mark.parametrize("region", sorted(SHOWS))
def test_flash_sale_wears_the_pack_palette_and_reads(region):
    locale, title, currency = SHOWS[region]
    pack = REGIONS[region]
    sale = {"phase": "live", "countdown_s": 65, "stock": 10, "remaining": 6}
    rgba = render.flash_sale_card(sale, _product(locale, title, currency), locale, SCALE)
    accent = _rgb(pack.palette["accent"])
    assert _is(rgba, accent).sum() > 2000  # "SALE" chip, stripe and the remaining stock
    card = _reading_order(rgba, render.overlay_style(locale).is_mirrored)
    line = card[14 + 38 + 4:14 + 38 + 40, 30:card.shape[1] - 14]  # product title and price
    background, ratio = _zone_contrast(line)
    assert background == _rgb(pack.palette["background"]) and ratio >= CONTRAST_MIN, (region, ratio)
    # The stock bar fills from the reading start: 60 % of it in the accent, the rest in the track colour.
    bar_row = card[card.shape[0] - 14 - 11]
    accent_cols = np.flatnonzero(_is(bar_row[None], accent)[0])
    assert accent_cols.min() < card.shape[1] * 0.1 and accent_cols.max() < card.shape[1] * 0.6


def test_arabic_card_is_mirrored_but_its_numbers_are_not(tmp_path):
    picture = tmp_path / "p.png"
    Image.new("RGB", (400, 300), (0, 200, 0)).save(picture)
    green_of = lambda a: (a[..., 0] == 0) & (a[..., 1] == 200) & (a[..., 2] == 0)  # noqa: E731
    arabic = _product("ar_SA", "وشاح حرير", "SAR", image=str(picture))
    rtl = render.product_card(arabic, "ar_SA", SCALE)
    ltr = render.product_card(arabic, "en_US", SCALE, region="middle_east")  # same pack, an English show
    width = rtl.shape[1]
    assert np.flatnonzero(green_of(rtl).any(axis=0)).min() > width // 2  # picture on the right …
    assert np.flatnonzero(green_of(ltr).any(axis=0)).max() < width // 2  # … and on the left for English
    gold = _rgb(REGIONS["middle_east"].palette["accent"])
    stripe_cols = np.flatnonzero(_is(rtl[PAD + 60:], gold).any(axis=0))
    assert stripe_cols.min() >= width - STRIPE - 1  # the accent stripe runs down the right edge …
    badge_cols = np.flatnonzero(_is(rtl[:PAD + 50, :width - STRIPE - 1], gold).any(axis=0))
    assert badge_cols.max() < width // 2  # … and the badge sits top left when mirrored
    # The clock reads 01:05 left to right in the mirrored flash sale too: the same pixels as a
    # left-to-right render of "01:05" through cover_designer.text.
    style = render.overlay_style("ar_SA")
    sale = render.flash_sale_card({"phase": "live", "countdown_s": 65, "stock": 1, "remaining": 1}, None, "ar_SA", SCALE)
    forward = textlib.layout_text("01:05", 400, 100, 34, 34, "bold", style.language, "ltr", 1, False, style.family)
    backward = textlib.layout_text("50:10", 400, 100, 34, 34, "bold", style.language, "ltr", 1, False, style.family)
    found = []
    for layout in (forward, backward):
        reference = Image.new("RGBA", (int(layout.width) + 4, int(layout.height) + 4), style.plate)
        textlib.draw_layout(ImageDraw.Draw(reference), layout, 2, 2, layout.width, "left", style.price, style.language)
        found.append(_best_match(sale[:60, :200], np.asarray(reference)))
    assert found[0] < 3 and found[1] > found[0] + 10


def _best_match(haystack: np.ndarray, needle: np.ndarray) -> float:
    """Smallest mean colour distance of ``needle`` anywhere in ``haystack`` (RGB)."""
    h, w = needle.shape[:2]
    best = float("inf")
    hay = haystack[..., :3].astype(np.int16)
    ref = needle[..., :3].astype(np.int16)
    for y in range(0, haystack.shape[0] - h + 1):
        for x in range(0, haystack.shape[1] - w + 1):
            best = min(best, float(np.abs(hay[y:y + h, x:x + w] - ref).mean()))
    return best


@pytest.mark.parametrize("locale,title", [("th_TH", "ผ้าพันคอผ้าไหม"), ("vi_VN", "Khăn lụa tơ tằm")])
def test_thai_and_vietnamese_titles_shape_without_tofu(locale, title):
    style = render.overlay_style(locale)
    assert style.region == "sea" and style.family  # the pack's font for the language
    runs = textlib.split_runs(title, style.language, style.family)
    assert all(run.face is not None for run in runs)  # every character has a glyph
    product = Product(sku="T", titles={locale.split("_")[0]: title}, price="1", currency="USD")
    rgba = render.product_card(product, locale, SCALE)
    # The card's title is exactly what cover_designer.text lays out and shapes (raqm, the pack font).
    layout = textlib.layout_text(title, 1000, 200, 30, 30, "medium", style.language, "auto", 1, False, style.family)
    assert not layout.missing
    reference = Image.new("RGBA", (rgba.shape[1], rgba.shape[0]), style.plate)
    textlib.draw_layout(ImageDraw.Draw(reference), layout, STRIPE + PAD, PAD, 1000, "left", style.ink, style.language)
    box = np.s_[PAD:PAD + int(layout.height), STRIPE + PAD:STRIPE + PAD + int(layout.width) + 2]
    drawn = rgba[box][..., :3].astype(np.int16)
    expected = np.asarray(reference)[box][..., :3].astype(np.int16)
    assert (np.abs(drawn - np.asarray(style.ink[:3])).sum(-1) < 60).sum() > 200  # there is text …
    assert np.abs(drawn - expected).mean() < 1.0  # … and it is the shaped text, glyph for glyph
    # No tofu: the old overlay font (the UI's Noto CJK) has no Thai, so a card drawn with it would differ.
    from studio.fonts import ui_font_path

    found = ui_font_path()
    if found is not None and locale == "th_TH":
        assert not any(ord(char) in textlib.coverage(found[0], found[1]) for char in title)


def test_pack_phrases_in_the_show_language():
    assert render.overlay_style("th_TH").phrase("sale", "Flash sale") == "ลดราคา"
    assert render.overlay_style("ar_SA").phrase("discount", "-{discount}%", discount=20) == "خصم 20%"
    assert render.overlay_style("pt_BR").phrase("free_shipping", "Free shipping") == "Frete grátis"
    # A pack that does not speak the show's language falls back to the translated label.
    assert render.overlay_style("en_US", "sea").phrase("sale", "Flash sale") == "Flash sale"
    assert render.overlay_style("en_US", "sea").region == "sea"


def test_every_card_reads_in_every_pack():
    for region, (locale, _title, _currency) in SHOWS.items():
        cards = [render.coupon_banner({"code": "GO10", "kind": "percent", "value": "10"}, locale, SCALE),
                 render.coupon_banner({"code": "SHIP", "kind": "free_shipping"}, locale, SCALE),
                 render.giveaway_card({"keyword": "win", "entries": ["a"], "winners": [], "commitment": "ab" * 32}, SCALE, locale),
                 render.answer_card({"user": "ann", "text": "size?"}, "M fits most", SCALE, locale)]
        for rgba in cards:
            _background, ratio = _zone_contrast(rgba[14:60, 20:rgba.shape[1] - 20])
            assert ratio >= CONTRAST_MIN, (region, ratio)
        assert _is(cards[0], _rgb(REGIONS[region].palette["accent"])).sum() > 10_000  # coupon banner in the accent


@pytest.fixture
def studio():
    engine = Studio(collection=default_collection(Canvas(width=640, height=360, fps=30)))
    yield engine
    engine.stop()


def test_show_region_follows_locale_or_choice(studio, tmp_path, catalog_csv, clock):
    show = LiveShow(studio, tmp_path / "show.db", catalog=catalog_csv, locale="th_TH", clock=clock)
    try:
        assert show.region is None and show.overlay_region == "sea"
        show.shelf.pin("SKU-1")
        card = lambda: next(o for o in studio.compositor.overlays if o.overlay_id == "live.product")  # noqa: E731
        assert _is(card().rgba, _rgb(REGIONS["sea"].palette["accent"])).sum() > 100
        show.set_region("latam")
        assert show.overlay_region == "latam"
        assert _is(card().rgba, _rgb(REGIONS["latam"].palette["accent"])).sum() > 100
        assert not _is(card().rgba, _rgb(REGIONS["sea"].palette["accent"])).any()
        with pytest.raises(LiveError):
            show.set_region("atlantis")
        assert show.region == "latam"
        show.set_region(None)
        show.set_locale("ar_SA")
        assert show.overlay_region == "middle_east" and card().x > 640 // 2
    finally:
        show.stop()
    with pytest.raises(LiveError):
        LiveShow(None, tmp_path / "other.db", region="nowhere")
    chosen = LiveShow(None, tmp_path / "chosen.db", locale="en_US", region="jp-kr")
    assert chosen.overlay_region == "jp_kr"
    chosen.stop()


def test_live_control_passes_the_region_on(tmp_path):
    from studio.control.launch import LiveControl

    control = LiveControl(None, tmp_path / "control.db", port=None, token="region-token-123", locale="vi_VN", region="latam")
    try:
        assert control.live.locale == "vi_VN" and control.live.overlay_region == "latam"
    finally:
        control.stop()
    automatic = LiveControl(None, tmp_path / "auto.db", port=None, token="region-token-123", locale="vi_VN")
    try:
        assert automatic.live.region is None and automatic.live.overlay_region == "sea"
    finally:
        automatic.stop()
