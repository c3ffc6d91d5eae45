"""Finding fonts for engine-drawn text (slates, labels) without Qt.

Prefers fonts shipped in ``resources/fonts``, then system Noto CJK (Simplified Chinese
face) which also covers Latin, then DejaVu, then Pillow's built-in bitmap font.
"""
from __future__ import annotations

import functools
from pathlib import Path

from PIL import ImageFont

RESOURCE_FONTS = Path(__file__).resolve().parent.parent / "resources" / "fonts"
# (path, face index) candidates; index 2 of Noto Sans CJK .ttc is Simplified Chinese.
_CANDIDATES: list[tuple[str, int]] = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
]


@functools.lru_cache(maxsize=1)
def ui_font_path() -> tuple[str, int] | None:
    for path in sorted(RESOURCE_FONTS.glob("*.tt[cf]")) + sorted(RESOURCE_FONTS.glob("*.otf")):
        return str(path), 0
    for path, index in _CANDIDATES:
        if Path(path).exists():
            return path, index
    return None


@functools.lru_cache(maxsize=32)
def ui_font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    found = ui_font_path()
    if found is None:
        return ImageFont.load_default(size=size_px)
    return ImageFont.truetype(found[0], size_px, index=found[1])
