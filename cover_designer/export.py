"""Export a rendered cover as PNG/JPEG/WebP within a preset's byte limit.

Pixels are sRGB (everything is drawn in sRGB); no metadata is written (no EXIF, no text chunks),
so camera data or editor paths never leak into an uploaded cover.  JPEG/WebP search the highest
quality that fits; PNG tries lossless optimisation, then a 256-colour palette.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from studio.core.i18n import _

from .atomic import write_atomic
from .errors import ExportError
from .presets import Preset

FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP"}


@dataclass
class Encoded:
    data: bytes
    format: str
    quality: int | None
    fits: bool


def format_for(path: str | Path, default: str = "png") -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    return FORMATS.get(suffix, FORMATS[default]).lower()


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    base = Image.new("RGB", image.size, (255, 255, 255))
    base.paste(image, mask=image.getchannel("A") if image.mode == "RGBA" else None)
    return base


def _encode(image: Image.Image, fmt: str, quality: int | None) -> bytes:
    buffer = io.BytesIO()
    if fmt == "jpeg":
        q = quality or 92
        try:
            _flatten(image).save(buffer, "JPEG", quality=q, optimize=True, subsampling=0 if q >= 90 else 2)
        except OSError:  # libjpeg's optimiser can fail on tiny buffers; plain Huffman tables always work
            buffer = io.BytesIO()
            _flatten(image).save(buffer, "JPEG", quality=q, subsampling=0 if q >= 90 else 2)
    elif fmt == "webp":
        _flatten(image).save(buffer, "WEBP", quality=quality or 90, method=4)
    else:
        image.convert("RGB").save(buffer, "PNG", optimize=quality is None, compress_level=9)
    return buffer.getvalue()


def encode(image: Image.Image, fmt: str = "png", max_bytes: int | None = None) -> Encoded:
    """Encode, searching quality so the file fits ``max_bytes`` (``fits`` False if impossible)."""
    fmt = FORMATS.get(fmt.lower(), "PNG").lower()
    if fmt == "png":
        data = _encode(image, "png", None)
        if max_bytes is None or len(data) <= max_bytes:
            return Encoded(data, "png", None, True)
        buffer = io.BytesIO()
        image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(
            buffer, "PNG", optimize=True)
        data = buffer.getvalue()
        return Encoded(data, "png", 256, len(data) <= max_bytes)
    best = _encode(image, fmt, 92)
    if max_bytes is None or len(best) <= max_bytes:
        return Encoded(best, fmt, 92, True)
    low, high, found = 20, 91, None
    while low <= high:
        mid = (low + high) // 2
        data = _encode(image, fmt, mid)
        if len(data) <= max_bytes:
            found = (data, mid)
            low = mid + 1
        else:
            high = mid - 1
    if found:
        return Encoded(found[0], fmt, found[1], True)
    data = _encode(image, fmt, 20)
    return Encoded(data, fmt, 20, False)


def export(image: Image.Image, path: str | Path, preset: Preset, fmt: str | None = None) -> Encoded:
    """Write the cover atomically; raise ``ExportError`` if it cannot fit the preset's limit."""
    fmt = fmt or format_for(path)
    result = encode(image, fmt, preset.max_bytes)
    if not result.fits:
        raise ExportError(_("The cover is {size} KB but {preset} allows {limit} KB; simplify the background or use JPEG/WebP.").format(
            size=len(result.data) // 1024, preset=preset.name, limit=(preset.max_bytes or 0) // 1024))
    # Next to the target and renamed, so an earlier good file is never left half-written; 0644 like any program's.
    write_atomic(path, result.data)
    return result
