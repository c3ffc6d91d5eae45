"""Text tiles: a string laid out, shaped and drawn into its box as an RGBA tile (with stroke,
shadow and plate), and price tiles (the price formatted by CLDR, the old price struck through above
it and kept clear of the price's plate).  ``render`` composes these with the other layer kinds."""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from PIL import Image, ImageDraw, ImageFilter

from studio.core import limits
from studio.core.i18n import _

from . import text as textlib
from .document import CoverDocument, fill
from .errors import CoverError
from .presets import Preset, Rect

REFERENCE_SIDE = 1080.0


def parse_color(value: str) -> tuple[int, int, int, int]:
    value = value.lstrip("#")
    r, g, b = int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    a = int(value[6:8], 16) if len(value) == 8 else 255
    return r, g, b, a


@dataclass
class Tile:
    """A layer drawn on its own: RGBA pixels, their canvas offset and what lint needs to know."""

    image: Image.Image | None
    x: int
    y: int
    info: dict


def scale_for(preset: Preset) -> float:
    # Geometric mean of the sides: tall 9:16 canvases get proportionally larger type than 16:9 ones.
    return math.sqrt(preset.width * preset.height) / REFERENCE_SIDE


def text_tile(content: str, frame: Rect, preset: Preset, font, color: str, language: str | None, direction: str,
               align: str, valign: str, max_lines: int, auto_fit: bool, stroke=None, shadow=None, plate=None,
               extra_info: dict | None = None, legible_floor: bool = True) -> Tile:
    scale = scale_for(preset)
    size_px = round(font.size * scale)
    floor_px = round(font.min_size * scale)
    if legible_floor:
        # Auto-fit never shrinks text below what L2 calls legible; it overflows instead (L8 reports it).
        floor_px = min(size_px, max(floor_px, round(preset.min_text_height_px() + 0.5)))
    layout = textlib.layout_text(content, frame.w, frame.h, size_px, floor_px,
                                 font.weight, language, direction, max_lines, auto_fit, font.family)
    stroke_px = round(stroke.width * scale) if stroke and stroke.width else 0
    pad = round(layout.size_px * 0.6) + stroke_px + (round(abs(shadow.dx) + abs(shadow.dy) + shadow.blur * 2) if shadow else 0)
    w, h = round(frame.w) + 2 * pad, round(frame.h) + 2 * pad
    top = pad + {"top": 0, "middle": (frame.h - layout.height) / 2, "bottom": frame.h - layout.height}[valign]
    align = textlib.resolve_align(align, layout.direction)
    glyphs = Image.new("RGBA", (w, h))
    draw = ImageDraw.Draw(glyphs)
    textlib.draw_layout(draw, layout, pad, top, frame.w, align, parse_color(color), language, stroke_px,
                        parse_color(stroke.color) if stroke_px else None)
    glyph_alpha = glyphs.getchannel("A")
    ink_box = glyph_alpha.getbbox()
    glyph_pixels = glyph_alpha.point(lambda v: 255 if v > 96 else 0).histogram()[255] if ink_box else 0
    tile = Image.new("RGBA", (w, h))
    if plate and ink_box:
        pad_px = plate.padding * layout.size_px
        ImageDraw.Draw(tile).rounded_rectangle(
            [ink_box[0] - pad_px, ink_box[1] - pad_px, ink_box[2] + pad_px, ink_box[3] + pad_px],
            radius=plate.radius * layout.size_px, fill=parse_color(plate.color))
    if shadow and ink_box:
        alpha = glyphs.getchannel("A")
        shade = Image.new("RGBA", (w, h), parse_color(shadow.color)[:3] + (0,))
        shade_alpha = alpha.point(lambda v, a=parse_color(shadow.color)[3]: v * a // 255)
        shade.putalpha(shade_alpha)
        shade = shade.transform((w, h), Image.AFFINE, (1, 0, -shadow.dx * scale, 0, 1, -shadow.dy * scale))
        if shadow.blur:
            shade = shade.filter(ImageFilter.GaussianBlur(shadow.blur * scale))
        tile.alpha_composite(shade)
    tile.alpha_composite(glyphs)
    info = {
        "text": content, "font_px": layout.size_px, "text_fits": layout.fits, "missing_glyphs": layout.missing,
        "has_stroke": bool(stroke_px), "has_plate": plate is not None,
        "stroke_color": parse_color(stroke.color) if stroke_px else None, "color": parse_color(color),
        "language": language, "glyph_pixels": glyph_pixels,
        # A family the document names but this machine does not have: drawn with the fallback (L5).
        "font_family_missing": font.family if textlib.is_missing_family(font.family) else None,
        # Letters (+ stroke) only, without plate or shadow: what L8 measures.
        "glyph_ink": Rect(round(frame.x) - pad + ink_box[0], round(frame.y) - pad + ink_box[1],
                          ink_box[2] - ink_box[0], ink_box[3] - ink_box[1]) if ink_box else None,
    }
    info.update(extra_info or {})
    return Tile(tile, round(frame.x) - pad, round(frame.y) - pad, info)


def _shortened(text: str, keep: int = 24) -> str:
    """A long value quoted in a message: its start, then an ellipsis."""
    return text if len(text) <= keep else text[:keep] + "…"


def format_price(amount: str, currency: str, locale: str) -> str:
    """Amount + ISO currency formatted by CLDR (Babel) for a locale."""
    from babel import Locale, UnknownLocaleError
    from babel.numbers import UnknownCurrencyError, format_currency

    try:
        number = Decimal(str(amount).strip().replace(",", "")) if str(amount).strip() else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise CoverError(_("“{amount}” is not a price (use digits, e.g. 1299.99).").format(amount=_shortened(str(amount))))
    if abs(number) > limits.MAX_AMOUNT:
        raise CoverError(_("A price is at most {limit}; “{amount}” is larger.").format(
            limit=f"{limits.MAX_AMOUNT:,}", amount=_shortened(str(amount))))
    try:
        Locale.parse(locale.replace("-", "_"))
        return format_currency(number, currency.upper(), locale=locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise CoverError(_("Unknown locale “{locale}” for prices.").format(locale=locale)) from None
    except InvalidOperation:  # digits past the decimal context (1E-999999999): no price has them
        raise CoverError(_("“{amount}” is not a price (use digits, e.g. 1299.99).").format(
            amount=_shortened(str(amount)))) from None
    except UnknownCurrencyError:
        raise CoverError(_("Unknown currency “{currency}”.").format(currency=currency)) from None


def render_price(layer, frame: Rect, preset: Preset, doc: CoverDocument, values: dict) -> Tile:
    currency = fill(layer.currency, values).strip() or "USD"
    locale = fill(layer.locale, values).strip() or "en_US"
    price = format_price(fill(layer.amount, values), currency, locale)
    original_text = fill(layer.original, values).strip() if layer.original else ""
    original = format_price(original_text, currency, locale) if original_text and "{" not in original_text else ""
    language = locale.replace("_", "-").split("-")[0]
    main_frame = Rect(frame.x, frame.y + (frame.h * 0.32 if original else 0), frame.w, frame.h * (0.68 if original else 1))
    main = text_tile(price, main_frame, preset, layer.font, layer.color, language, "auto", layer.align, "middle", 1, True,
                      plate=layer.plate, extra_info={"role": "price"})
    if not original:
        return main
    small_font = layer.font.model_copy(update={"size": layer.font.size * 0.45, "min_size": layer.font.min_size * 0.45,
                                               "weight": "regular"})
    orig_frame = Rect(frame.x, frame.y, frame.w, frame.h * 0.30)
    orig = text_tile(original, orig_frame, preset, small_font, layer.original_color, language, "auto", layer.align,
                      "bottom", 1, True, legible_floor=False)
    # Strike through the original price across its ink.
    draw = ImageDraw.Draw(orig.image)
    box = orig.image.getchannel("A").getbbox()
    if box:
        mid = (box[1] + box[3]) / 2
        draw.line([box[0] - 4, mid, box[2] + 4, mid], fill=parse_color(layer.original_color),
                  width=max(2, orig.info["font_px"] // 12))
    orig = _clear_of(orig, main, gap_px=max(2, round(orig.info["font_px"] * 0.15)))
    left, top = min(main.x, orig.x), min(main.y, orig.y)
    right = max(main.x + main.image.width, orig.x + orig.image.width)
    bottom = max(main.y + main.image.height, orig.y + orig.image.height)
    combined = Image.new("RGBA", (right - left, bottom - top))
    combined.alpha_composite(orig.image, (orig.x - left, orig.y - top))
    combined.alpha_composite(main.image, (main.x - left, main.y - top))
    info = dict(main.info, text=f"{original} {price}", price_parts={"original": _ink(orig), "price": _ink(main)})
    return Tile(combined, left, top, info)


def _ink(tile: Tile) -> Rect | None:
    box = tile.image.getchannel("A").getbbox() if tile.image is not None else None
    return Rect(tile.x + box[0], tile.y + box[1], box[2] - box[0], box[3] - box[1]) if box else None


def _clear_of(above: Tile, below: Tile, gap_px: int) -> Tile:
    """``above`` moved up until its ink ends ``gap_px`` over the ink of ``below``: a large price's
    plate (padding grows with the font) would otherwise cover the struck-through old price."""
    top_ink, bottom_ink = _ink(above), _ink(below)
    if top_ink is None or bottom_ink is None:
        return above
    overlap = math.ceil(top_ink.bottom + gap_px - bottom_ink.y)
    return Tile(above.image, above.x, above.y - overlap, above.info) if overlap > 0 else above

