"""Render a cover document to an RGBA image with Pillow.

Each layer renders to its own RGBA tile (cached by a hash of its content, frame and inputs) and
tiles are stacked with ``alpha_composite``.  Problems with one layer (a corrupt image, a bad
price) are recorded and that layer is skipped; the rest of the cover still renders.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFilter

from studio.core import limits
from studio.core.i18n import _

from . import text as textlib
from .document import ANCHOR_POINTS, MIRRORED_ANCHOR, CoverDocument, Frame, bounded_qr_payload, bounded_text, fill
from .errors import CoverError, ImageLoadError
from .presets import Preset, Rect, get_preset
from .text_tiles import (  # noqa: F401 - format_price, parse_color and Tile are used from here too
    REFERENCE_SIDE, Tile, format_price, parse_color, render_price, scale_for, text_tile,
)

# Larger images are refused before decoding (decompression bombs); 40 MP is ~7700x5200.
MAX_IMAGE_PIXELS = limits.MAX_IMAGE_PIXELS
MAX_IMAGE_BYTES = 60 * 1024 * 1024
SAFE_MARGIN = 0.035


@dataclass
class Problem:
    """Something that went wrong while rendering one layer (shown to the user; the cover goes on)."""

    layer_id: str
    path: str
    message: str


@dataclass
class LayerInfo:
    """Where a layer ended up: its frame and the real ink bounds (alpha > 0) in canvas pixels."""

    layer_id: str
    index: int
    type: str
    frame: Rect
    ink: Rect | None
    text: str = ""
    font_px: int = 0
    text_fits: bool = True
    missing_glyphs: list[str] = field(default_factory=list)
    has_stroke: bool = False
    has_plate: bool = False
    color: tuple[int, int, int, int] | None = None
    stroke_color: tuple[int, int, int, int] | None = None
    language: str | None = None
    role: str = ""
    face_box: Rect | None = None
    ink_pixels: int = 0
    glyph_ink: Rect | None = None
    # Clockwise degrees as drawn (already turned the other way for mirrored layouts) and the
    # axis-aligned bounds of the turned box; ``frame`` stays the unturned box.
    rotation_deg: float = 0.0
    bounds: Rect | None = None
    # The layer's own RGBA tile and its canvas offset (face detection looks at photos through it).
    tile_image: Image.Image | None = field(default=None, repr=False, compare=False)
    tile_origin: tuple[int, int] = (0, 0)
    # Image and logo layers: the photo's size in pixels after loading (None for placeholders).
    photo_size: tuple[int, int] | None = None
    # Text, badge and price layers whose ``font.family`` is not installed here (drawn with the fallback).
    font_family_missing: str | None = None


@dataclass
class RenderResult:
    image: Image.Image
    preset: Preset
    layers: list[LayerInfo]
    problems: list[Problem]
    # Composite of every layer below a given layer id (for contrast checks); filled on request.
    below: dict[str, Image.Image] = field(default_factory=dict)



_cache: "OrderedDict[str, Tile]" = OrderedDict()
_cache_lock = threading.Lock()
CACHE_TILES = 256


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _cutout_cache.clear()


def resolve_frame(frame: Frame, preset: Preset, mirror: bool) -> Rect:
    """Frame fractions → canvas pixels (mirrored horizontally for right-to-left layouts)."""
    if frame.relative_to == "safe":
        # A small margin inside the safe area keeps strokes and shadows off the edges.
        safe = preset.safe_rect()
        margin = SAFE_MARGIN * min(preset.width, preset.height)
        area = Rect(safe.x + margin, safe.y + margin, safe.w - 2 * margin, safe.h - 2 * margin)
    else:
        area = Rect(0, 0, preset.width, preset.height)
    anchor = MIRRORED_ANCHOR[frame.anchor] if mirror else frame.anchor
    dx = -frame.dx if mirror else frame.dx
    ax, ay = ANCHOR_POINTS[anchor]
    w, h = frame.w * area.w, frame.h * area.h
    if frame.aspect:
        if w / h > frame.aspect:
            w = h * frame.aspect
        else:
            h = w / frame.aspect
    px = area.x + ax * area.w + dx * area.w
    py = area.y + ay * area.h + frame.dy * area.h
    return Rect(px - ax * w, py - ay * h, w, h)


def layer_frame(layer, preset: Preset, doc: CoverDocument) -> Rect:
    frame = layer.frame_by_aspect.get(preset.aspect_class, layer.frame)
    return resolve_frame(frame, preset, doc.direction == "rtl" and not layer.mirror_exempt)


def layer_rotation(layer, doc: CoverDocument) -> float:
    """Clockwise degrees as drawn: a mirrored (right-to-left) layout turns layers the other way."""
    mirrored = doc.direction == "rtl" and not layer.mirror_exempt
    return -layer.rotation_deg if mirrored else layer.rotation_deg


# ---------------------------------------------------------------- rotation geometry
def rotate_point(x: float, y: float, cx: float, cy: float, degrees: float) -> tuple[float, float]:
    """(x, y) turned clockwise on screen (y grows downwards) by ``degrees`` about (cx, cy)."""
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    return cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos


def rotated_corners(rect: Rect, degrees: float, center: tuple[float, float] | None = None) -> list[tuple[float, float]]:
    """The four corners of ``rect`` (top-left, top-right, bottom-right, bottom-left) turned about
    ``center`` (default: the rectangle's own centre)."""
    cx, cy = center or (rect.x + rect.w / 2, rect.y + rect.h / 2)
    corners = [(rect.x, rect.y), (rect.right, rect.y), (rect.right, rect.bottom), (rect.x, rect.bottom)]
    return [rotate_point(x, y, cx, cy, degrees) for x, y in corners]


def rotated_bounds(rect: Rect, degrees: float, center: tuple[float, float] | None = None) -> Rect:
    """Axis-aligned bounds of ``rect`` turned by ``degrees`` (what lint checks against the zones)."""
    if not degrees % 360:
        return rect
    points = rotated_corners(rect, degrees, center)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return Rect(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _rotate_tile(tile: Tile, frame: Rect, degrees: float) -> Tile:
    """Turn a tile about the centre of the layer's box: the canvas grows to hold the corners
    (expand), colours are interpolated premultiplied so transparent edges do not go dark."""
    image = tile.image
    cx, cy = frame.x + frame.w / 2, frame.y + frame.h / 2
    local_x, local_y = cx - tile.x, cy - tile.y
    # Pad so the box centre is the image centre: Pillow turns about the image centre.
    half_w = math.ceil(max(local_x, image.width - local_x, 1))
    half_h = math.ceil(max(local_y, image.height - local_y, 1))
    padded = Image.new("RGBA", (2 * half_w, 2 * half_h))
    padded.paste(image, (round(half_w - local_x), round(half_h - local_y)))
    turned = padded.convert("RGBa").rotate(-degrees, resample=Image.Resampling.BICUBIC, expand=True).convert("RGBA")
    left, top = cx - turned.width / 2, cy - turned.height / 2
    box = turned.getchannel("A").getbbox()
    info = dict(tile.info)
    for key in ("glyph_ink", "face_box"):
        if info.get(key) is not None:
            info[key] = rotated_bounds(info[key], degrees, (cx, cy))
    if box is None:
        return Tile(None, round(left), round(top), info)
    return Tile(turned.crop(box), round(left) + box[0], round(top) + box[1], info)


# ---------------------------------------------------------------- images
_image_cache: "OrderedDict[tuple, Image.Image]" = OrderedDict()


def load_image(path: str) -> Image.Image:
    """Open an image safely: size and pixel limits first, then decode; RGBA out."""
    try:
        stat = os.stat(path)
    except OSError:
        raise ImageLoadError(_("Image file not found: {path}").format(path=path)) from None
    key = (path, stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        if key in _image_cache:
            _image_cache.move_to_end(key)
            return _image_cache[key]
    if stat.st_size > MAX_IMAGE_BYTES:
        raise ImageLoadError(_("Image file is too large ({megabytes} MB): {path}").format(
            megabytes=stat.st_size // (1024 * 1024), path=path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as probe:
                width, height = probe.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ImageLoadError(_("Image is too large to open safely ({width}×{height} pixels): {path}").format(
                        width=width, height=height, path=path))
                probe.load()
                image = probe.convert("RGBA")
                if image.getchannel("A").getextrema() == (255, 255):
                    # Opaque photos stay RGB: resizing RGBA costs a premultiply round trip.
                    image = image.convert("RGB")
    except ImageLoadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError(_("Image is too large to open safely: {path}").format(path=path)) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageLoadError(_("Image file is damaged or not an image: {path} ({reason})").format(
            path=path, reason=exc)) from None
    with _cache_lock:
        _image_cache[key] = image
        while len(_image_cache) > 16:
            _image_cache.popitem(last=False)
    return image


def remove_background(image: Image.Image) -> Image.Image:
    """Local background removal with OpenCV GrabCut (subject assumed inside a 5% margin)."""
    import cv2
    import numpy as np

    small = image.copy()
    small.thumbnail((320, 320))
    rgb = np.array(small.convert("RGB"))[:, :, ::-1].copy()
    h, w = rgb.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    rect = (max(1, w // 20), max(1, h // 20), max(2, w - w // 10), max(2, h - h // 10))
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(rgb, mask, rect, bgd, fgd, 3, cv2.GC_INIT_WITH_RECT)
    alpha = np.where((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD), 255, 0).astype("uint8")
    alpha_img = Image.fromarray(alpha, "L").resize(image.size, Image.BILINEAR).filter(ImageFilter.GaussianBlur(1))
    out = image.convert("RGBA")
    out.putalpha(Image.fromarray(np.minimum(np.array(out.getchannel("A")), np.array(alpha_img)), "L"))
    return out


def _crop_window(sw: int, sh: int, w: int, h: int, mode: str, fx: float, fy: float,
                 zoom: float = 1.0) -> tuple[tuple[float, float, float, float], float]:
    """Which part of a ``sw``×``sh`` photo fills a ``w``×``h`` box: (left, top, right, bottom) in
    photo pixels and the photo→box scale.  ``zoom`` > 1 crops closer around the focal point."""
    scale = {"fit": min(w / sw, h / sh), "fill": max(w / sw, h / sh)}.get(mode, 1.0) * zoom
    cw, ch = w / scale, h / scale
    left = min(max(0.0, fx * sw - cw / 2), max(0.0, sw - cw))
    top = min(max(0.0, fy * sh - ch / 2), max(0.0, sh - ch))
    return (left, top, left + min(cw, sw), top + min(ch, sh)), scale


def _box_to_photo(u: float, v: float, size: tuple[int, int], box_size: tuple[int, int], mode: str, fx: float,
                  fy: float, zoom: float = 1.0) -> tuple[float, float]:
    """A point as fractions of the layer box → photo pixels, for the crop given by focal point and zoom."""
    (sw, sh), (w, h) = size, box_size
    (left, top, right, bottom), scale = _crop_window(sw, sh, w, h, mode, fx, fy, zoom)
    offset_x, offset_y = (w - (right - left) * scale) / 2, (h - (bottom - top) * scale) / 2
    return left + (u * w - offset_x) / scale, top + (v * h - offset_y) / scale


def _photo_to_box(x: float, y: float, size: tuple[int, int], box_size: tuple[int, int], mode: str, fx: float,
                  fy: float, zoom: float = 1.0) -> tuple[float, float]:
    """Photo pixels → fractions of the layer box, for the crop given by focal point and zoom."""
    (sw, sh), (w, h) = size, box_size
    (left, top, right, bottom), scale = _crop_window(sw, sh, w, h, mode, fx, fy, zoom)
    offset_x, offset_y = (w - (right - left) * scale) / 2, (h - (bottom - top) * scale) / 2
    return (offset_x + (x - left) * scale) / w, (offset_y + (y - top) * scale) / h


def _fit_image(source: Image.Image, w: int, h: int, mode: str, fx: float, fy: float, zoom: float = 1.0) -> Image.Image:
    sw, sh = source.size
    if mode == "fit" and zoom == 1.0:
        scale = min(w / sw, h / sh)
        resized = source.resize((max(1, round(sw * scale)), max(1, round(sh * scale))), Image.BILINEAR, reducing_gap=2.0)
        out = Image.new("RGBA", (w, h))
        out.alpha_composite(resized.convert("RGBA"), ((w - resized.width) // 2, (h - resized.height) // 2))
        return out
    box, scale = _crop_window(sw, sh, w, h, mode, fx, fy, zoom)
    cropped = source.resize((max(1, round((box[2] - box[0]) * scale)), max(1, round((box[3] - box[1]) * scale))),
                            Image.BILINEAR, box=box, reducing_gap=2.0)
    if cropped.size == (w, h):
        return cropped.convert("RGBA")
    out = Image.new("RGBA", (w, h))
    out.alpha_composite(cropped.convert("RGBA"), ((w - cropped.width) // 2, (h - cropped.height) // 2))
    return out


def view_focal(layer, photo_size: tuple[int, int], box_size: tuple[int, int]) -> tuple[float, float]:
    """The focal point the image layer's crop is centred on, as fractions of the photo.

    Usually the layer's own ``focal_x``/``focal_y``; a zoomed layer with a marked face centres on
    the face instead (the face was marked on the designed crop at zoom 1)."""
    fx, fy = layer.focal_x, layer.focal_y
    face = layer.face
    if face and layer.zoom != 1.0:
        corners = [_box_to_photo(u, v, photo_size, box_size, layer.fit, fx, fy)
                   for u, v in ((face[0], face[1]), (face[0] + face[2], face[1] + face[3]))]
        fx = min(1.0, max(0.0, (corners[0][0] + corners[1][0]) / 2 / photo_size[0]))
        fy = min(1.0, max(0.0, (corners[0][1] + corners[1][1]) / 2 / photo_size[1]))
    return fx, fy


def box_point_to_photo(layer, photo_size: tuple[int, int], box_size: tuple[int, int], u: float,
                       v: float) -> tuple[float, float]:
    """A point of the image layer's box as drawn (fractions of the box) → photo pixels."""
    fx, fy = view_focal(layer, photo_size, box_size)
    return _box_to_photo(u, v, photo_size, box_size, layer.fit, fx, fy, layer.zoom)


def photo_point_to_box(layer, photo_size: tuple[int, int], box_size: tuple[int, int], x: float, y: float,
                       as_designed: bool = False) -> tuple[float, float]:
    """Photo pixels → fractions of the image layer's box as drawn (``as_designed``: at zoom 1 with
    the layer's own focal point, the view a face box is marked in)."""
    if as_designed:
        return _photo_to_box(x, y, photo_size, box_size, layer.fit, layer.focal_x, layer.focal_y)
    fx, fy = view_focal(layer, photo_size, box_size)
    return _photo_to_box(x, y, photo_size, box_size, layer.fit, fx, fy, layer.zoom)


_cutout_cache: "OrderedDict[tuple, Image.Image]" = OrderedDict()


def _cutout(path: str, source: Image.Image) -> Image.Image:
    """``remove_background`` of a file's photo, remembered per file version: GrabCut takes a good
    fraction of a second and the photo stays the same while the layer is moved or resized."""
    try:
        stat = os.stat(path)
        key: tuple | None = (path, stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None
    with _cache_lock:
        if key in _cutout_cache:
            _cutout_cache.move_to_end(key)
            return _cutout_cache[key]
    out = remove_background(source)
    if key is not None:
        with _cache_lock:
            _cutout_cache[key] = out
            while len(_cutout_cache) > 8:
                _cutout_cache.popitem(last=False)
    return out


def _render_image(layer, frame: Rect, values: dict, base_dir: str | None) -> Tile:
    w, h = max(1, round(frame.w)), max(1, round(frame.h))
    src = fill(layer.src, values).strip()
    face = layer.face
    info: dict = {}
    if not src or "{" in src:
        tile = Image.new("RGBA", (w, h), parse_color(layer.placeholder_color))
    else:
        path = src if os.path.isabs(src) or not base_dir else os.path.join(base_dir, src)
        source = load_image(path)
        if layer.remove_background:
            source = _cutout(path, source)
        size, box = source.size, (w, h)
        info["photo_size"] = size
        fx, fy = view_focal(layer, size, box)
        if face and layer.zoom != 1.0:
            # The face box follows the face into the closer crop.
            corners = [_box_to_photo(u, v, size, box, layer.fit, layer.focal_x, layer.focal_y)
                       for u, v in ((face[0], face[1]), (face[0] + face[2], face[1] + face[3]))]
            (x0, y0), (x1, y1) = (_photo_to_box(x, y, size, box, layer.fit, fx, fy, layer.zoom) for x, y in corners)
            face = (x0, y0, x1 - x0, y1 - y0)
        tile = _fit_image(source, w, h, layer.fit, fx, fy, layer.zoom)
    if layer.corner_radius:
        mask = Image.new("L", (w, h), 0)
        ImageDraw.Draw(mask).rounded_rectangle([0, 0, w - 1, h - 1], radius=layer.corner_radius * min(w, h), fill=255)
        alpha = tile.getchannel("A")
        tile.putalpha(Image.composite(alpha, mask, mask) if alpha.getextrema() != (255, 255) else mask)
    if face:
        fx, fy, fw, fh = face
        info["face_box"] = Rect(frame.x + fx * frame.w, frame.y + fy * frame.h, fw * frame.w, fh * frame.h)
    return Tile(tile, round(frame.x), round(frame.y), info)


# ---------------------------------------------------------------- text
def _render_text(layer, frame: Rect, preset: Preset, doc: CoverDocument, values: dict) -> Tile:
    # Variables ({product_name} from a catalog, --set) can make a short text long: bound it filled.
    content = bounded_text(fill(layer.text, values))
    if layer.uppercase:
        content = content.upper()
    direction = layer.direction
    language = layer.language or doc.language
    align = layer.align
    if doc.direction == "rtl" and not layer.mirror_exempt and align in ("left", "right"):
        align = "right" if align == "left" else "left"
    return text_tile(content, frame, preset, layer.font, layer.color, language, direction, align, layer.valign,
                      layer.max_lines, layer.auto_fit, layer.stroke, layer.shadow, layer.plate, {"role": layer.role})


def _star(cx: float, cy: float, outer: float, inner: float, points: int) -> list[tuple[float, float]]:
    out = []
    for i in range(points * 2):
        radius = outer if i % 2 == 0 else inner
        angle = math.pi * i / points - math.pi / 2
        out.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return out


def _render_shape(layer, frame: Rect, preset: Preset, doc: CoverDocument, values: dict) -> Tile:
    w, h = max(1, round(frame.w)), max(1, round(frame.h))
    tile = Image.new("RGBA", (w, h))
    draw = ImageDraw.Draw(tile)
    fill_rgba = parse_color(layer.fill)
    outline = parse_color(layer.outline) if layer.outline else None
    width = round(layer.outline_width * scale_for(preset))
    inner = Rect(0, 0, w, h)
    if layer.shape == "rect":
        draw.rectangle([0, 0, w - 1, h - 1], fill=fill_rgba, outline=outline, width=width)
    elif layer.shape == "pill":
        draw.rounded_rectangle([0, 0, w - 1, h - 1], radius=min(w, h) / 2, fill=fill_rgba, outline=outline, width=width)
        inner = Rect(h * 0.3, 0, max(1, w - h * 0.6), h)
    elif layer.shape == "circle":
        draw.ellipse([0, 0, w - 1, h - 1], fill=fill_rgba, outline=outline, width=width)
        inner = Rect(w * 0.15, h * 0.15, w * 0.7, h * 0.7)
    elif layer.shape == "burst":
        draw.polygon(_star(w / 2, h / 2, min(w, h) / 2, min(w, h) * 0.40, 16), fill=fill_rgba, outline=outline)
        inner = Rect(w * 0.2, h * 0.2, w * 0.6, h * 0.6)
    elif layer.shape == "ribbon":
        notch = h * 0.35
        draw.polygon([(0, 0), (w, 0), (w - notch, h / 2), (w, h), (0, h), (notch, h / 2)], fill=fill_rgba, outline=outline)
        inner = Rect(notch, 0, max(1, w - 2 * notch), h)
    info: dict = {"role": "badge", "has_plate": True, "color": None, "text": ""}
    content = bounded_text(fill(layer.text, values))
    if content.strip():
        sub = Rect(frame.x + inner.x, frame.y + inner.y, inner.w, inner.h)
        badge_text = text_tile(content, sub, preset, layer.font, layer.text_color, layer.language or doc.language,
                               "auto", "center", "middle", 2, True)
        tile_full = Image.new("RGBA", (w + 2 * 400, h + 2 * 400))
        tile_full.alpha_composite(tile, (400, 400))
        ox, oy = badge_text.x - round(frame.x) + 400, badge_text.y - round(frame.y) + 400
        if ox >= 0 and oy >= 0 and ox + badge_text.image.width <= tile_full.width and oy + badge_text.image.height <= tile_full.height:
            tile_full.alpha_composite(badge_text.image, (ox, oy))
        bbox = tile_full.getbbox() or (400, 400, 400 + w, 400 + h)
        tile = tile_full.crop(bbox)
        info = dict(badge_text.info, role="badge", has_plate=True)
        return Tile(tile, round(frame.x) - 400 + bbox[0], round(frame.y) - 400 + bbox[1], info)
    return Tile(tile, round(frame.x), round(frame.y), info)


def _render_qr(layer, frame: Rect, values: dict) -> Tile:
    import qrcode

    from qrcode.exceptions import DataOverflowError

    data = bounded_qr_payload(fill(layer.data, values).strip())
    side = max(1, round(min(frame.w, frame.h)))
    if not data or "{" in data:
        raise CoverError(_("The QR code has no link (set {variable}).").format(variable="{share_url}"))
    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data)
    try:
        qr.make(fit=True)
    except (DataOverflowError, ValueError):  # the encoder's own overhead can tip a payload near the limit over
        raise CoverError(_("A QR code holds at most {limit} bytes; this link has {count}. Use a shorter link.").format(
            limit=limits.MAX_QR_PAYLOAD_BYTES, count=len(data.encode("utf-8", "surrogatepass")))) from None
    matrix = qr.get_matrix()
    n = len(matrix)
    small = Image.new("RGBA", (n, n), parse_color(layer.background))
    fg = parse_color(layer.foreground)
    pixels = small.load()
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[x, y] = fg
    tile = small.resize((side, side), Image.NEAREST)
    return Tile(tile, round(frame.x + (frame.w - side) / 2), round(frame.y + (frame.h - side) / 2), {})


# ---------------------------------------------------------------- the document
def _tile_key(layer, frame: Rect, preset: Preset, doc: CoverDocument, values: dict, base_dir: str | None) -> str:
    payload = {
        "layer": layer.model_dump(mode="json"), "frame": [round(frame.x, 2), round(frame.y, 2), round(frame.w, 2), round(frame.h, 2)],
        "canvas": [preset.width, preset.height], "values": values, "language": doc.language, "dir": doc.direction,
        "base": base_dir,
    }
    font = getattr(layer, "font", None)
    if font is not None:
        # The family as named and what it resolves to here: installing it later changes the tile.
        payload["font_family"] = [font.family, textlib.family_signature(font.family)]
    src = getattr(layer, "src", "")
    if src:
        path = fill(src, values)
        if base_dir and not os.path.isabs(path):
            path = os.path.join(base_dir, path)
        try:
            stat = os.stat(path)
            payload["mtime"] = [stat.st_mtime_ns, stat.st_size]
        except OSError:
            payload["mtime"] = None
    return hashlib.sha1(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def render_layer(layer, preset: Preset, doc: CoverDocument, values: dict, base_dir: str | None = None) -> Tile:
    """One layer on its own (RGBA tile + canvas offset), cached by content hash."""
    frame = layer_frame(layer, preset, doc)
    key = _tile_key(layer, frame, preset, doc, values, base_dir)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    if layer.type in ("image", "logo"):
        tile = _render_image(layer, frame, values, base_dir)
    elif layer.type == "text":
        tile = _render_text(layer, frame, preset, doc, values)
    elif layer.type == "shape":
        tile = _render_shape(layer, frame, preset, doc, values)
    elif layer.type == "price":
        tile = render_price(layer, frame, preset, doc, values)
    elif layer.type == "qr":
        tile = _render_qr(layer, frame, values)
    else:  # pragma: no cover - the schema forbids other types
        raise CoverError(_("Unknown layer type “{type}”.").format(type=layer.type))
    if tile.image is not None and layer.opacity < 1:
        alpha = tile.image.getchannel("A").point(lambda v: round(v * layer.opacity))
        tile.image.putalpha(alpha)
    rotation = layer_rotation(layer, doc)
    if tile.image is not None and rotation % 360:
        tile = _rotate_tile(tile, frame, rotation)
    tile.info["frame"] = frame
    tile.info["rotation_deg"] = rotation
    tile.info["bounds"] = rotated_bounds(frame, rotation)
    with _cache_lock:
        _cache[key] = tile
        while len(_cache) > CACHE_TILES:
            _cache.popitem(last=False)
    return tile


def _background(doc: CoverDocument, preset: Preset) -> Image.Image:
    import numpy as np

    start = parse_color(doc.background.color)
    if not doc.background.gradient_to:
        return Image.new("RGBA", preset.size, start)
    end = parse_color(doc.background.gradient_to)
    full_w, full_h = preset.size
    angle = math.radians(doc.background.gradient_angle)
    a, b = np.array(start, np.float32), np.array(end, np.float32)
    if abs(math.cos(angle)) < 1e-6:
        # Vertical ramp (the common case): one column, broadcast across the width.
        t = np.linspace(0, 1, full_h, dtype=np.float32)
        if math.sin(angle) < 0:
            t = t[::-1]
        column = (a * (1 - t[:, None]) + b * t[:, None] + 0.5).astype(np.uint8)
        pixels = np.ascontiguousarray(np.broadcast_to(column[:, None, :], (full_h, full_w, 4)))
        return Image.fromarray(pixels, "RGBA")
    # Any other angle: compute at 1/8 size in RGB and let bilinear resampling fill in (much cheaper).
    w, h = max(2, full_w // 8), max(2, full_h // 8)
    xs = (np.arange(w, dtype=np.float32) / max(1, w - 1) - 0.5) * math.cos(angle)
    ys = (np.arange(h, dtype=np.float32) / max(1, h - 1) - 0.5) * math.sin(angle)
    span = abs(math.cos(angle)) + abs(math.sin(angle)) or 1.0
    t = np.clip((ys[:, None] + xs[None, :]) / span + 0.5, 0, 1)[..., None]
    pixels = (a * (1 - t) + b * t + 0.5).astype(np.uint8)
    if start[3] == 255 and end[3] == 255:
        return Image.fromarray(np.ascontiguousarray(pixels[..., :3]), "RGB").resize((full_w, full_h), Image.BILINEAR).convert("RGBA")
    return Image.fromarray(pixels, "RGBA").resize((full_w, full_h), Image.BILINEAR)


def _paste(canvas: Image.Image, tile: Tile) -> None:
    """alpha_composite a tile at its offset, clipped to the canvas."""
    image = tile.image
    if image is None:
        return
    x, y = tile.x, tile.y
    left, top = max(0, -x), max(0, -y)
    right, bottom = min(image.width, canvas.width - x), min(image.height, canvas.height - y)
    if right <= left or bottom <= top:
        return
    part = image if (left, top, right, bottom) == (0, 0, image.width, image.height) else image.crop((left, top, right, bottom))
    canvas.alpha_composite(part, (x + left, y + top))


def render(doc: CoverDocument, preset: Preset | str | None = None, values: dict | None = None,
           base_dir: str | None = None, keep_below: bool = False) -> RenderResult:
    """Render ``doc`` at a preset (default: the document's own).  Never raises for one bad layer."""
    preset = get_preset(preset or doc.preset) if not isinstance(preset, Preset) else preset
    merged = dict(doc.variables)
    merged.update({k: str(v) for k, v in (values or {}).items()})
    canvas = _background(doc, preset)
    infos: list[LayerInfo] = []
    problems: list[Problem] = []
    below: dict[str, Image.Image] = {}
    index_of = {id(layer): i for i, layer in enumerate(doc.layers)}
    for layer in doc.ordered_layers():
        index = index_of[id(layer)]
        if layer.hidden:
            continue
        try:
            tile = render_layer(layer, preset, doc, merged, base_dir)
        except CoverError as exc:
            field_name = {"image": "src", "logo": "src", "price": "amount", "qr": "data"}.get(layer.type, "")
            problems.append(Problem(layer.id, f"layers[{index}]" + (f".{field_name}" if field_name else ""), exc.message))
            continue
        if keep_below:
            below[layer.id] = canvas.copy()
        _paste(canvas, tile)
        ink = None
        ink_pixels = 0
        if tile.image is not None:
            box = tile.image.getchannel("A").getbbox()
            if box:
                ink = Rect(tile.x + box[0], tile.y + box[1], box[2] - box[0], box[3] - box[1])
        info = tile.info
        ink_pixels = int(info.get("glyph_pixels", 0))
        infos.append(LayerInfo(
            layer_id=layer.id, index=index, type=layer.type, frame=info["frame"], ink=ink, text=info.get("text", ""),
            font_px=info.get("font_px", 0), text_fits=info.get("text_fits", True),
            missing_glyphs=list(info.get("missing_glyphs", [])), has_stroke=info.get("has_stroke", False),
            has_plate=info.get("has_plate", False), color=info.get("color"), stroke_color=info.get("stroke_color"),
            language=info.get("language"), role=info.get("role", ""), face_box=info.get("face_box"),
            ink_pixels=ink_pixels, glyph_ink=info.get("glyph_ink"), rotation_deg=info.get("rotation_deg", 0.0),
            bounds=info.get("bounds", info["frame"]), tile_image=tile.image, tile_origin=(tile.x, tile.y),
            photo_size=info.get("photo_size"), font_family_missing=info.get("font_family_missing")))
    return RenderResult(canvas, preset, infos, problems, below)
