"""Overlay pictures for the program: product card, coupon banner, flash sale, giveaway, pinned answer.

Each function returns an H×W×4 uint8 RGBA array drawn with Pillow.  Prices go through Babel's
``format_currency`` for the show's locale; Arabic/Hebrew titles are shaped right-to-left with
raqm when Pillow has it.
"""
from __future__ import annotations

import functools
import unicodedata
from decimal import Decimal
from pathlib import Path

import numpy as np
from babel.numbers import format_currency
from babel import Locale, UnknownLocaleError
from PIL import Image, ImageDraw, ImageFont, features

from studio.fonts import ui_font
from studio.i18n import _, ngettext
from studio.live.catalog import Product

ACCENT = (230, 40, 60, 255)
PLATE = (20, 20, 28, 225)
WHITE = (255, 255, 255, 255)
GOLD = (255, 200, 40, 255)


@functools.lru_cache(maxsize=1)
def has_raqm() -> bool:
    return bool(features.check("raqm"))


def is_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


# The UI font (Noto CJK) has no Arabic or Hebrew glyphs: right-to-left text falls back to these.
_RTL_FONTS = (
    "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansArabic-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "C:/Windows/Fonts/segoeui.ttf",
    "/System/Library/Fonts/GeezaPro.ttc",
)


@functools.lru_cache(maxsize=32)
def _rtl_font(size_px: int):
    for path in _RTL_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size_px)
    return ui_font(size_px)


def font_for(text: str, size_px: int):
    return _rtl_font(size_px) if is_rtl(text) else ui_font(size_px)


def is_rtl_locale(locale: str) -> bool:
    """Middle-East layouts mirror: Arabic, Hebrew, Persian, Urdu."""
    try:
        return Locale.parse(locale).character_order == "right-to-left"
    except (ValueError, UnknownLocaleError):
        return False


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int, fill=WHITE, anchor: str = "la") -> None:
    kwargs = {}
    if is_rtl(text) and has_raqm():
        kwargs = {"direction": "rtl"}
    draw.text(xy, text, font=font_for(text, size), fill=fill, anchor=anchor, **kwargs)


def _shrink(text: str, size: int, width: int, smallest: int) -> int:
    """The largest font size from ``size`` down to ``smallest`` at which ``text`` fits ``width``."""
    while size > smallest and font_for(text, size).getlength(text) > width:
        size -= 1
    return size


def _fit(text: str, size: int, width: int) -> str:
    font = font_for(text, size)
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


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


def product_card(product: Product, locale: str, scale: float, price: str | None = None) -> np.ndarray:
    """Image (if any), localized title, price in the locale, crossed-out original, discount badge.

    Right-to-left titles or locales mirror the card: picture on the right, badge on the left.
    """
    width, height = int(560 * scale), int(200 * scale)
    image, draw = _canvas(width, height)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=int(18 * scale), fill=PLATE)
    title = product.titles.get(locale) or product.title(locale.split("_")[0])
    rtl = is_rtl(title) or is_rtl_locale(locale)
    pad = int(16 * scale)
    thumb = height - 2 * pad
    shown = Decimal(price or product.price)
    original = product.original_price if price is None else product.price
    percent = 0
    if original and Decimal(original) > shown > 0:
        percent = int(((Decimal(original) - shown) / Decimal(original) * 100).to_integral_value())
    # Text column [x0, x1): between the picture and the card edge.
    x0, x1 = pad, width - pad
    picture = _thumbnail(product.image, thumb) if product.image else None
    if picture is not None:
        if rtl:
            image.alpha_composite(picture, (width - pad - picture.width, pad))
            x1 -= thumb + pad
        else:
            image.alpha_composite(picture, (pad, pad))
            x0 += thumb + pad
    badge = int(84 * scale)
    title_x0, title_x1 = (x0 + badge + pad, x1) if rtl and percent else (x0, x1 - badge - pad) if percent else (x0, x1)
    title_size = _shrink(title, int(34 * scale), title_x1 - title_x0, int(24 * scale))
    title = _fit(title, title_size, title_x1 - title_x0)
    if rtl:
        _text(draw, (title_x1, pad), title, title_size, anchor="ra")
    else:
        _text(draw, (title_x0, pad), title, title_size)
    anchor_x, anchor = (x1, "rd") if rtl else (x0, "ld")
    price_size = int(52 * scale)
    _text(draw, (anchor_x, height - pad), format_price(str(shown), product.currency, locale), price_size, fill=GOLD, anchor=anchor)
    if percent:
        old = format_price(original, product.currency, locale)
        size = int(26 * scale)
        y = height - pad - price_size - int(8 * scale)
        _text(draw, (anchor_x, y), old, size, fill=(200, 200, 200, 255), anchor=anchor)
        box = draw.textbbox((anchor_x, y), old, font=font_for(old, size), anchor=anchor)
        middle = (box[1] + box[3]) // 2
        draw.line((box[0], middle, box[2], middle), fill=(200, 200, 200, 255), width=max(1, int(2 * scale)))
        bx = x0 if rtl else x1 - badge
        draw.ellipse((bx, pad, bx + badge, pad + badge), fill=ACCENT)
        _text(draw, (bx + badge / 2, pad + badge / 2), f"-{percent}%", int(28 * scale), anchor="mm")
    return np.asarray(image)


def coupon_banner(coupon: dict, locale: str, scale: float, currency: str = "USD") -> np.ndarray:
    width, height = int(460 * scale), int(96 * scale)
    image, draw = _canvas(width, height)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=int(14 * scale), fill=ACCENT)
    kind, value = coupon["kind"], coupon.get("value", "0")
    if kind == "percent":
        headline = _("{percent}% off").format(percent=value)
    elif kind == "amount":
        headline = _("{amount} off").format(amount=format_price(str(value), coupon.get("currency") or currency, locale))
    else:
        headline = _("Free shipping")
    if coupon.get("is_referral"):
        headline = _("Invite a friend: you both get {offer}").format(offer=headline)
    pad = int(14 * scale)
    size = _shrink(headline, int(32 * scale), width - 2 * pad, int(20 * scale))
    _text(draw, (pad, pad), _fit(headline, size, width - 2 * pad), size)
    _text(draw, (pad, height - pad), _("Code: {code}").format(code=coupon["code"]), int(26 * scale), fill=GOLD, anchor="ld")
    return np.asarray(image)


def flash_sale_card(sale: dict, product: Product | None, locale: str, scale: float) -> np.ndarray:
    """Countdown (pre-roll or remaining window) and a stock bar."""
    width, height = int(460 * scale), int(150 * scale)
    image, draw = _canvas(width, height)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=int(14 * scale), fill=PLATE)
    pad = int(14 * scale)
    seconds = max(0, int(sale.get("countdown_s", 0) + 0.999))
    clock = f"{seconds // 60:02d}:{seconds % 60:02d}"
    phase = sale.get("phase")
    if phase == "preroll":
        label = _("Flash sale starts in {time}").format(time=clock)
    elif phase == "live":
        label = _("Flash sale ends in {time}").format(time=clock)
    elif sale.get("end_reason") == "sold_out":
        label = _("Sold out!")
    else:
        label = _("Flash sale ended")
    _text(draw, (pad, pad), _fit(label, int(32 * scale), width - 2 * pad), int(32 * scale), fill=GOLD)
    if product is not None:
        price = format_price(sale.get("price") or product.price, product.currency, locale)
        _text(draw, (pad, pad + int(42 * scale)), _fit(f"{product.title(locale.split('_')[0])}  {price}", int(26 * scale), width - 2 * pad), int(26 * scale))
    stock, remaining = int(sale.get("stock", 0)), int(sale.get("remaining", 0))
    bar_y0, bar_y1 = height - pad - int(26 * scale), height - pad
    draw.rounded_rectangle((pad, bar_y0, width - pad, bar_y1), radius=int(8 * scale), fill=(70, 70, 80, 255))
    if stock > 0 and remaining > 0:
        fill_x = pad + int((width - 2 * pad) * remaining / stock)
        draw.rounded_rectangle((pad, bar_y0, max(pad + 2, fill_x), bar_y1), radius=int(8 * scale), fill=ACCENT)
    _text(draw, (width / 2, (bar_y0 + bar_y1) / 2), _("{remaining} of {stock} left").format(remaining=remaining, stock=stock), int(20 * scale), anchor="mm")
    return np.asarray(image)


def giveaway_card(giveaway: dict, scale: float) -> np.ndarray:
    width, height = int(460 * scale), int(130 * scale)
    image, draw = _canvas(width, height)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=int(14 * scale), fill=(40, 20, 90, 230))
    pad = int(14 * scale)
    if giveaway.get("winners"):
        _text(draw, (pad, pad), _("Winners"), int(30 * scale), fill=GOLD)
        names = ", ".join(giveaway["winners"][-5:])
        _text(draw, (pad, pad + int(40 * scale)), _fit(names, int(26 * scale), width - 2 * pad), int(26 * scale))
    else:
        headline = _("Giveaway! Comment “{keyword}” to enter").format(keyword=giveaway.get("keyword", ""))
        size = _shrink(headline, int(28 * scale), width - 2 * pad, int(18 * scale))
        _text(draw, (pad, pad), _fit(headline, size, width - 2 * pad), size, fill=GOLD)
        _text(draw, (pad, pad + int(40 * scale)), ngettext("{count} entry", "{count} entries", len(giveaway.get("entries", []))).format(count=len(giveaway.get("entries", []))), int(26 * scale))
    commitment = giveaway.get("commitment", "")
    _text(draw, (pad, height - pad), _("Commitment {hash}").format(hash=commitment[:16] + "…"), int(18 * scale), fill=(200, 200, 220, 255), anchor="ld")
    return np.asarray(image)


def answer_card(question: dict, answer: str, scale: float) -> np.ndarray:
    width, height = int(620 * scale), int(120 * scale)
    image, draw = _canvas(width, height)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=int(14 * scale), fill=(245, 245, 245, 235))
    pad = int(14 * scale)
    q = f"{question.get('user', '')}: {question.get('text', '')}"
    _text(draw, (pad, pad), _fit(q, int(24 * scale), width - 2 * pad), int(24 * scale), fill=(90, 90, 90, 255))
    _text(draw, (pad, height - pad), _fit(answer, int(32 * scale), width - 2 * pad), int(32 * scale), fill=(20, 20, 20, 255), anchor="ld")
    return np.asarray(image)
