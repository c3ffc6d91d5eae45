"""Overlay pictures for the program: product card, coupon banner, flash sale, giveaway, pinned answer.

Each function returns an H×W×4 uint8 RGBA array drawn with Pillow, in the style of the show's
region pack — the cover designer's (:mod:`cover_designer.regions`): its palette (every text colour
checked against what it sits on with the cover lint's WCAG contrast, ≥ 4.5:1), its font family per
language through :mod:`cover_designer.text` (per-run font fallback, raqm shaping: Arabic joined
right-to-left, Thai and Vietnamese marks placed, CJK by language face), its ready phrases ("SALE",
"ลด 50%", "خصم 50%" …) when the pack speaks the show's language, and a mirrored layout for
right-to-left markets (the picture, badge and stock bar swap sides; numbers are not mirrored).
Prices go through Babel's ``format_currency`` for the show's locale.  Every other word on a card
comes from :class:`~studio.live.card_words.CardWords`: the show's language, never the operator's
UI language (a show in Arabic reads Arabic while the panel runs in 简体中文).

A card is drawn once per state change; the compositor animates it by position and opacity only.
"""
from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import numpy as np
from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency
from PIL import Image, ImageDraw

from cover_designer import text as textlib
from cover_designer.lint import CONTRAST_MIN, relative_luminance, contrast_ratio
from cover_designer.regions import REGIONS, region_for_locale
from studio.live.card_words import CardWords
from studio.live.catalog import Product

Colour = tuple[int, int, int, int]
# Each card's designed (width, height) in px at scale 1 (a 1080-line canvas).  The horizontal
# layout draws them at that shape; the vertical one reads them to stack the cards in its box.
CARD_SIZES_PX: dict[str, tuple[int, int]] = {
    "product": (560, 200), "coupon": (460, 96), "flash_sale": (460, 150), "giveaway": (460, 130), "answer": (620, 120),
}
# The referral leaderboard goes on the horizontal program only (the vertical one has no room for it).
LEADERBOARD_SIZE_PX = (420, 250)
BLACK: Colour = (0, 0, 0, 255)
WHITE: Colour = (255, 255, 255, 255)


def is_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def is_rtl_locale(locale: str) -> bool:
    """Middle-East layouts mirror: Arabic, Hebrew, Persian, Urdu."""
    try:
        return Locale.parse(locale).character_order == "right-to-left"
    except (ValueError, TypeError, UnknownLocaleError):
        return False


# ------------------------------------------------------------------------------- colours
def _colour(hex_code: str, alpha: int = 255) -> Colour:
    value = hex_code.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), alpha


def luminance(colour: tuple[int, ...]) -> float:
    """WCAG relative luminance (the cover lint's formula)."""
    return float(relative_luminance(np.array([colour[:3]], dtype=np.float64))[0])


def contrast(first: tuple[int, ...], second: tuple[int, ...]) -> float:
    """WCAG contrast ratio between two colours (1–21), as the cover lint's L4 measures it."""
    return contrast_ratio(luminance(first), luminance(second))


def legible_on(background: Colour, *candidates: Colour) -> Colour:
    """The first candidate that reads on ``background`` (≥ 4.5:1); else black or white, whichever
    contrasts more (one of them always clears 4.5:1)."""
    for colour in candidates:
        if contrast(colour, background) >= CONTRAST_MIN:
            return colour
    return max((BLACK, WHITE), key=lambda colour: contrast(colour, background))


def _mix(first: Colour, second: Colour, share: float) -> Colour:
    """``share`` of ``second`` blended into ``first``."""
    return tuple(round(a + (b - a) * share) for a, b in zip(first[:3], second[:3])) + (255,)  # type: ignore[return-value]


def _softened(ink: Colour, plate: Colour) -> Colour:
    """A quieter shade of ``ink`` for secondary text that still reads on ``plate`` (≥ 4.5:1)."""
    for share in (0.45, 0.35, 0.25, 0.15):
        colour = _mix(ink, plate, share)
        if contrast(colour, plate) >= CONTRAST_MIN:
            return colour
    return ink


@dataclass(frozen=True)
class OverlayStyle:
    """What a region pack means for on-screen cards in one show locale (colours are RGBA)."""

    region: str
    language: str  # BCP 47 code for shaping and phrases ("th", "pt-BR", "ar")
    family: str  # the pack's font family for that language ("" = the language's Noto chain)
    is_mirrored: bool
    speaks_language: bool  # the pack has phrases in the show's language
    plate: Colour  # card background (the pack's background colour)
    ink: Colour  # main text on the plate
    muted: Colour  # secondary text on the plate
    accent: Colour  # the pack's accent: badges, stripes, stock bar, coupon banner
    on_accent: Colour  # text on the accent
    price: Colour  # the price on the plate (the accent when it reads, else the primary colour)
    track: Colour  # empty part of the stock bar
    deep_plate: Colour  # the pack's primary colour: giveaway card
    deep_ink: Colour
    deep_highlight: Colour
    deep_muted: Colour
    soft_plate: Colour  # pinned answer
    soft_ink: Colour
    soft_muted: Colour
    # No text smaller than this (px): a card for a phone-sized picture raises every size to it.
    min_text_px: int = 0

    def phrase(self, key: str, fallback: str, **values: object) -> str:
        """The pack's ready phrase in the show's language, else ``fallback`` (the label already in
        the show's language, from :class:`~studio.live.card_words.CardWords`)."""
        text = REGIONS[self.region].phrase(key, self.language) if self.speaks_language else fallback
        return text.format(**values) if values else text

    def start(self, left: float, right: float) -> float:
        """The reading-start edge of [left, right]: right in a mirrored layout."""
        return right if self.is_mirrored else left


def _language_code(locale: str) -> str:
    parts = (locale or "en").replace("-", "_").split("_")
    return "-".join(parts[:2]) if len(parts) > 1 else parts[0]


@functools.lru_cache(maxsize=64)
def overlay_style(locale: str, region: str | None = None) -> OverlayStyle:
    """The card style for a show in ``locale`` with ``region``'s pack (None: the locale's region)."""
    pack = REGIONS.get((region or "").strip().lower().replace("-", "_")) or REGIONS[region_for_locale(locale)]
    wanted = _language_code(locale)
    language = pack.language(wanted)
    speaks = language.code.split("-")[0].lower() == wanted.split("-")[0].lower()
    code = language.code if speaks else wanted
    family = pack.fonts.get(language.code, "") if speaks else ""
    palette = pack.palette
    plate, text, primary = _colour(palette["background"]), _colour(palette["text"]), _colour(palette["primary"])
    accent, soft = _colour(palette["accent"]), _colour(palette["soft"])
    ink = legible_on(plate, text, primary)
    deep_ink = legible_on(primary, plate, _colour(palette["on_accent"]))
    soft_ink = legible_on(soft, text, primary)
    return OverlayStyle(
        region=pack.id, language=code, family=family,
        is_mirrored=is_rtl_locale(locale) or (pack.mirror and code.split("-")[0] in textlib.RTL_LANGUAGES),
        speaks_language=speaks, plate=plate, ink=ink, muted=_softened(ink, plate), accent=accent,
        on_accent=legible_on(accent, _colour(palette["on_accent"]), text, primary),
        price=legible_on(plate, accent, primary, text), track=soft if contrast(soft, accent) > 1.3 else _mix(plate, ink, 0.15),
        deep_plate=primary, deep_ink=deep_ink, deep_highlight=legible_on(primary, soft, accent, plate),
        deep_muted=_softened(deep_ink, primary), soft_plate=soft, soft_ink=soft_ink, soft_muted=_softened(soft_ink, soft))


# ------------------------------------------------------------------------------- text
@dataclass
class _Text:
    layout: textlib.TextLayout
    style: OverlayStyle

    @property
    def width(self) -> float:
        return self.layout.width

    @property
    def height(self) -> float:
        return self.layout.height


def _layout(text: str, style: OverlayStyle, width: float, size: int, smallest: int | None = None,
            weight: str = "regular", direction: str = "auto", max_lines: int = 1, height: float = float("inf")) -> _Text:
    """``text`` in the pack's font on up to ``max_lines`` lines, shrunk from ``size`` to ``smallest``
    to fit ``width`` × ``height``, then cut with "…" if it still does not."""
    smallest = size if smallest is None else smallest
    if style.min_text_px:
        size, smallest = max(size, style.min_text_px), max(smallest, style.min_text_px)

    def lay(candidate: str) -> textlib.TextLayout:
        return textlib.layout_text(candidate, width, height, size, smallest, weight, style.language, direction,
                                   max_lines, True, style.family)

    layout = lay(text)
    if layout.fits or not text:
        return _Text(layout, style)
    # Start near the length that fits, then step; never end on a lone combining mark (Thai, Vietnamese).
    keep = max(1, int(len(text) * width * max_lines / max(1.0, sum(line.width for line in layout.lines))))
    while keep > 0:
        head = text[:keep].rstrip()
        while head and textlib.is_mark(head[-1]):
            head = head[:-1]
        layout = lay(head + "…")
        if layout.fits:
            break
        keep -= 1
    return _Text(layout, style)


def _draw(draw: ImageDraw.ImageDraw, text: _Text, left: float, right: float, top: float, fill: Colour,
          align: str = "start") -> None:
    """Draw laid-out text in the column [left, right) with its top at ``top``; ``start``/``end``
    follow the reading direction of the card (mirrored layouts start on the right)."""
    side = {"start": "right" if text.style.is_mirrored else "left",
            "end": "left" if text.style.is_mirrored else "right"}.get(align, align)
    textlib.draw_layout(draw, text.layout, left, top, right - left, side, fill, text.style.language)


def _thumbnail(path: str, size_px: int) -> Image.Image | None:
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return _cached_thumbnail(path, size_px, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _cached_thumbnail(path: str, size_px: int, _mtime_ns: int) -> Image.Image | None:
    """Decode and shrink a product image once per (file version, size); cards redraw often."""
    try:
        with Image.open(path) as source:
            picture = source.convert("RGBA")
    except OSError:
        return None
    picture.thumbnail((size_px, size_px))
    return picture


def format_price(amount: str, currency: str, locale: str) -> str:
    return format_currency(Decimal(amount), currency, locale=locale)


def _canvas(width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGBA", (max(1, width), max(1, height)), (0, 0, 0, 0))
    return image, ImageDraw.Draw(image)


def _plate(draw: ImageDraw.ImageDraw, width: int, height: int, radius: int, fill: Colour, stripe: Colour | None = None,
           stripe_px: int = 0, is_mirrored: bool = False) -> None:
    """A rounded card; with ``stripe``, a band of that colour along the reading-start edge."""
    if stripe is None or stripe_px <= 0:
        draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=radius, fill=fill)
        return
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=radius, fill=stripe)
    box = (0, 0, width - 1 - stripe_px, height - 1) if is_mirrored else (stripe_px, 0, width - 1, height - 1)
    draw.rounded_rectangle(box, radius=radius, fill=fill)
    # Square the inner corners so the stripe reads as a band, not a sliver.
    inner = (width - 1 - stripe_px - radius, 0, width - 1 - stripe_px, height - 1) if is_mirrored \
        else (stripe_px, 0, stripe_px + radius, height - 1)
    draw.rectangle(inner, fill=fill)


def _chip(draw: ImageDraw.ImageDraw, text: _Text, x_start: float, top: float, height: float, pad: float, fill: Colour,
          ink: Colour) -> tuple[float, float]:
    """A pill with ``text`` centred, starting at ``x_start`` on the reading-start side; returns its (left, right)."""
    width = text.width + 2 * pad
    left = x_start - width if text.style.is_mirrored else x_start
    draw.rounded_rectangle((left, top, left + width, top + height), radius=height / 2, fill=fill)
    _draw(draw, text, left, left + width, top + (height - text.height) / 2, ink, align="center")
    return left, left + width


def product_card(product: Product, locale: str, scale: float, price: str | None = None,
                 region: str | None = None, width_px: int | None = None, min_text_px: int = 0) -> np.ndarray:
    """Image (if any), localized title, price in the locale, crossed-out original, discount badge
    (a "Sold out!" badge and a muted price instead when the catalog's stock is zero).

    Right-to-left titles or locales mirror the card: picture on the right, badge on the left.
    Every card takes ``width_px`` (default: its designed width at ``scale``) and ``min_text_px``
    (no text below it: a card drawn for a phone-sized picture).
    """
    title = product.titles.get(locale) or product.title(locale.split("_")[0])
    style = _sized(overlay_style(locale, region), min_text_px)
    if is_rtl(title) and not style.is_mirrored:
        style = _mirrored(style)
    words = CardWords(locale, style)
    width, height = _card("product", scale, width_px)
    image, draw = _canvas(width, height)
    stripe = max(2, int(8 * scale))
    _plate(draw, width, height, int(18 * scale), style.plate, style.accent, stripe, style.is_mirrored)
    pad = int(16 * scale)
    thumb = height - 2 * pad
    shown = Decimal(price or product.price)
    original = product.original_price if price is None else product.price
    percent = 0
    if original and Decimal(original) > shown > 0:
        percent = int(((Decimal(original) - shown) / Decimal(original) * 100).to_integral_value())
    # Text column [x0, x1): between the stripe/picture and the far edge.
    x0, x1 = (pad, width - stripe - pad) if style.is_mirrored else (stripe + pad, width - pad)
    picture = _thumbnail(product.image, thumb) if product.image else None
    if picture is not None:
        if style.is_mirrored:
            image.alpha_composite(picture, (x1 - picture.width, pad))
            x1 -= thumb + pad
        else:
            image.alpha_composite(picture, (x0, pad))
            x0 += thumb + pad
    title_x0, title_x1 = x0, x1
    is_sold_out = product.is_sold_out
    if is_sold_out or percent:
        # A sold-out product says so where the discount would be (viewers must not try to buy).
        label = words.sold_out() if is_sold_out else words.discount_badge(percent)
        badge = _layout(label, style, int(170 * scale), int(26 * scale), int(18 * scale), weight="bold", direction="auto")
        badge_h = int(44 * scale)
        # The badge sits at the reading-end corner: top right (top left when mirrored).
        badge_pad = int(12 * scale)
        fill, ink = (style.muted, style.plate) if is_sold_out else (style.accent, style.on_accent)
        left, right = _chip(draw, badge, x0 + badge.width + 2 * badge_pad if style.is_mirrored else x1 - badge.width - 2 * badge_pad,
                            pad, badge_h, badge_pad, fill, ink)
        if style.is_mirrored:
            title_x0 = right + pad
        else:
            title_x1 = left - pad
    price_text = _layout(format_price(str(shown), product.currency, locale), style, x1 - x0, int(52 * scale),
                         int(30 * scale), weight="bold")
    price_top = height - pad - price_text.height
    _draw(draw, price_text, x0, x1, price_top, style.muted if is_sold_out else style.price)
    text_bottom = price_top
    if percent:
        old = _layout(format_price(original, product.currency, locale), style, x1 - x0, int(26 * scale), int(18 * scale))
        old_top = price_top - int(4 * scale) - old.height
        _draw(draw, old, x0, x1, old_top, style.muted)
        old_left = x1 - old.width if style.is_mirrored else x0
        middle = old_top + old.layout.lines[0].ascent * 0.62 if old.layout.lines else old_top + old.height / 2
        draw.line((old_left, middle, old_left + old.width, middle), fill=style.muted, width=max(1, int(2 * scale)))
        text_bottom = old_top
    # The title takes what is left above the prices: two lines where they fit (Thai and
    # Vietnamese marks are measured, not guessed), smaller before it is cut.
    title_text = _layout(title, style, title_x1 - title_x0, int(30 * scale), int(20 * scale), weight="medium",
                         max_lines=2, height=max(1, text_bottom - pad - int(4 * scale)))
    _draw(draw, title_text, title_x0, title_x1, pad, style.ink)
    return np.asarray(image)


def _card(kind: str, scale: float, width_px: int | None) -> tuple[int, int]:
    """A card's (width, height) in px: its designed shape at ``scale``, or ``width_px`` wide."""
    width, height = CARD_SIZES_PX[kind]
    return (int(width_px) if width_px else int(width * scale)), int(height * scale)


def _sized(style: OverlayStyle, min_text_px: int) -> OverlayStyle:
    return replace(style, min_text_px=int(min_text_px)) if min_text_px else style


def _mirrored(style: OverlayStyle) -> OverlayStyle:
    return replace(style, is_mirrored=True)


def coupon_banner(coupon: dict, locale: str, scale: float, currency: str = "USD", region: str | None = None,
                  width_px: int | None = None, min_text_px: int = 0) -> np.ndarray:
    """The offer on the pack's accent colour, the code on a plate-coloured chip."""
    style = _sized(overlay_style(locale, region), min_text_px)
    width, height = _card("coupon", scale, width_px)
    image, draw = _canvas(width, height)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=int(14 * scale), fill=style.accent)
    words = CardWords(locale, style)
    amount = (format_price(str(coupon.get("value", "0")), coupon.get("currency") or currency, locale)
              if coupon["kind"] == "amount" else None)
    headline = words.coupon_headline(coupon, amount)
    pad = int(14 * scale)
    head = _layout(headline, style, width - 2 * pad, int(32 * scale), int(20 * scale), weight="bold")
    _draw(draw, head, pad, width - pad, pad, style.on_accent)
    code = _layout(words.coupon_code(coupon["code"]), style, width - 2 * pad - int(24 * scale),
                   int(24 * scale), int(18 * scale), weight="bold")
    chip_h = int(34 * scale)
    _chip(draw, code, style.start(pad, width - pad), height - pad - chip_h + int(4 * scale), chip_h, int(12 * scale),
          style.plate, style.ink)
    return np.asarray(image)


def flash_sale_card(sale: dict, product: Product | None, locale: str, scale: float, region: str | None = None,
                    width_px: int | None = None, min_text_px: int = 0) -> np.ndarray:
    """A "SALE" chip, the countdown (pre-roll or remaining window), the product and price, and a
    stock bar that empties towards the reading start (right to left when mirrored)."""
    style = _sized(overlay_style(locale, region), min_text_px)
    width, height = _card("flash_sale", scale, width_px)
    image, draw = _canvas(width, height)
    stripe = max(2, int(6 * scale))
    _plate(draw, width, height, int(14 * scale), style.plate, style.accent, stripe, style.is_mirrored)
    pad = int(14 * scale)
    x0, x1 = (pad, width - stripe - pad) if style.is_mirrored else (stripe + pad, width - pad)
    words = CardWords(locale, style)
    seconds = max(0, int(sale.get("countdown_s", 0) + 0.999))
    status, has_clock = words.sale_status(sale)
    clock = f"{seconds // 60:02d}:{seconds % 60:02d}" if has_clock else ""
    row_h = int(38 * scale)
    chip = _layout(words.sale_chip(), style, int(150 * scale), int(22 * scale), int(16 * scale),
                   weight="bold")
    chip_left, chip_right = _chip(draw, chip, style.start(x0, x1), pad, row_h, int(10 * scale), style.accent,
                                  style.on_accent)
    clock_text = _layout(clock, style, x1 - x0, int(34 * scale), direction="ltr", weight="bold") if clock else None
    clock_w = clock_text.width if clock_text is not None else 0
    if clock_text is not None:  # numbers read left to right everywhere; the clock sits at the reading end
        _draw(draw, clock_text, x0, x1, pad + (row_h - clock_text.height) / 2, style.price, align="end")
    gap = int(10 * scale)
    status_x0, status_x1 = (x0 + clock_w + gap, chip_left - gap) if style.is_mirrored else (chip_right + gap, x1 - clock_w - gap)
    label = _layout(status, style, max(1, status_x1 - status_x0), int(24 * scale), int(16 * scale))
    _draw(draw, label, status_x0, status_x1, pad + (row_h - label.height) / 2, style.ink)
    if product is not None:
        price = format_price(sale.get("price") or product.price, product.currency, locale)
        line = _layout(f"{product.title(locale.split('_')[0])}  {price}", style, x1 - x0, int(24 * scale), int(18 * scale))
        _draw(draw, line, x0, x1, pad + row_h + int(8 * scale), style.ink)
    stock, remaining = int(sale.get("stock", 0)), int(sale.get("remaining", 0))
    left_text = _layout(words.stock_left(remaining, stock), style, int(160 * scale),
                        int(20 * scale), int(14 * scale))
    bar_y0, bar_y1 = height - pad - int(22 * scale), height - pad
    bar_x0, bar_x1 = (x0 + left_text.width + gap, x1) if style.is_mirrored else (x0, x1 - left_text.width - gap)
    _draw(draw, left_text, x0, x1, (bar_y0 + bar_y1 - left_text.height) / 2, style.muted, align="end")
    radius = (bar_y1 - bar_y0) / 2
    draw.rounded_rectangle((bar_x0, bar_y0, bar_x1, bar_y1), radius=radius, fill=style.track)
    if stock > 0 and remaining > 0:
        filled = max(2 * radius, (bar_x1 - bar_x0) * min(1.0, remaining / stock))
        box = (bar_x1 - filled, bar_y0, bar_x1, bar_y1) if style.is_mirrored else (bar_x0, bar_y0, bar_x0 + filled, bar_y1)
        draw.rounded_rectangle(box, radius=radius, fill=style.accent)
    return np.asarray(image)


def giveaway_card(giveaway: dict, scale: float, locale: str = "en_US", region: str | None = None,
                  width_px: int | None = None, min_text_px: int = 0) -> np.ndarray:
    """Entry call (keyword, entries) or the winners, and the seed commitment, on the pack's primary colour."""
    style = _sized(overlay_style(locale, region), min_text_px)
    words = CardWords(locale, style)
    width, height = _card("giveaway", scale, width_px)
    image, draw = _canvas(width, height)
    _plate(draw, width, height, int(14 * scale), style.deep_plate)
    pad = int(14 * scale)
    x0, x1 = pad, width - pad
    if giveaway.get("winners"):
        head = _layout(words.winners(), style, x1 - x0, int(30 * scale), weight="bold")
        body = _layout(", ".join(giveaway["winners"][-5:]), style, x1 - x0, int(26 * scale), int(18 * scale))
    else:
        head = _layout(words.giveaway_call(giveaway.get("keyword", "")), style,
                       x1 - x0, int(28 * scale), int(18 * scale), weight="bold")
        count = len(giveaway.get("entries", []))
        body = _layout(words.entries(count), style, x1 - x0,
                       int(26 * scale), int(18 * scale))
    _draw(draw, head, x0, x1, pad, style.deep_highlight)
    _draw(draw, body, x0, x1, pad + int(42 * scale), style.deep_ink)
    commitment = giveaway.get("commitment", "")
    proof = _layout(words.commitment(commitment[:16] + "…"), style, x1 - x0, int(18 * scale), int(14 * scale))
    _draw(draw, proof, x0, x1, height - pad - proof.height, style.deep_muted)
    return np.asarray(image)


def answer_card(question: dict, answer: str, scale: float, locale: str = "en_US", region: str | None = None,
                width_px: int | None = None, min_text_px: int = 0) -> np.ndarray:
    """The viewer's question (small) and the pinned answer (large) on the pack's soft colour."""
    style = _sized(overlay_style(locale, region), min_text_px)
    width, height = _card("answer", scale, width_px)
    image, draw = _canvas(width, height)
    stripe = max(2, int(6 * scale))
    _plate(draw, width, height, int(14 * scale), style.soft_plate, style.accent, stripe, style.is_mirrored)
    pad = int(14 * scale)
    x0, x1 = (pad, width - stripe - pad) if style.is_mirrored else (stripe + pad, width - pad)
    asked = _layout(f"{question.get('user', '')}: {question.get('text', '')}", style, x1 - x0, int(24 * scale), int(18 * scale))
    _draw(draw, asked, x0, x1, pad, style.soft_muted)
    reply = _layout(answer, style, x1 - x0, int(32 * scale), int(22 * scale), weight="medium")
    _draw(draw, reply, x0, x1, height - pad - reply.height, style.soft_ink)
    return np.asarray(image)


def leaderboard_card(rows: list[dict], scale: float, locale: str = "en_US", region: str | None = None,
                     width_px: int | None = None, min_text_px: int = 0) -> np.ndarray:
    """The referral leaderboard: a title chip and up to five inviters (rank, name, points), the
    points at the reading end (numbers in the show's locale)."""
    style = _sized(overlay_style(locale, region), min_text_px)
    words = CardWords(locale, style)
    width, height = int(width_px) if width_px else int(LEADERBOARD_SIZE_PX[0] * scale), int(LEADERBOARD_SIZE_PX[1] * scale)
    image, draw = _canvas(width, height)
    stripe = max(2, int(6 * scale))
    _plate(draw, width, height, int(14 * scale), style.plate, style.accent, stripe, style.is_mirrored)
    pad = int(14 * scale)
    x0, x1 = (pad, width - stripe - pad) if style.is_mirrored else (stripe + pad, width - pad)
    chip_h = int(36 * scale)
    title = _layout(words.leaderboard_title(), style, x1 - x0 - int(24 * scale), int(22 * scale), int(16 * scale),
                    weight="bold")
    _chip(draw, title, style.start(x0, x1), pad, chip_h, int(12 * scale), style.accent, style.on_accent)
    row_h = (height - 2 * pad - chip_h - int(8 * scale)) / 5
    top = pad + chip_h + int(8 * scale)
    for index, row in enumerate(rows[:5]):
        y = top + index * row_h
        points = _layout(words.leaderboard_points(row.get("points", 0)), style, int(130 * scale), int(22 * scale),
                         int(16 * scale), weight="bold")
        rank = _layout(words.number(row.get("rank", index + 1)), style, int(30 * scale), int(22 * scale), weight="bold")
        name = str(row.get("name", ""))
        if row.get("is_vip"):
            name = f"{name} · {words.vip()}"
        name_x0, name_x1 = (x0 + points.width + int(10 * scale), x1 - int(36 * scale)) if style.is_mirrored \
            else (x0 + int(36 * scale), x1 - points.width - int(10 * scale))
        label = _layout(name, style, max(1, name_x1 - name_x0), int(22 * scale), int(16 * scale))
        middle = y + (row_h - label.height) / 2
        _draw(draw, rank, x0, x1, y + (row_h - rank.height) / 2, style.price, align="start")
        _draw(draw, label, name_x0, name_x1, middle, style.ink, align="start")
        _draw(draw, points, x0, x1, y + (row_h - points.height) / 2, style.price, align="end")
    return np.asarray(image)
