"""Slates drawn in place of a source that has no picture ("No signal — reconnecting")."""
from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageDraw

from studio.fonts import ui_font


@functools.lru_cache(maxsize=16)
def render_slate(width: int, height: int, title: str, detail: str = "") -> np.ndarray:
    """A dark BGR picture with centred text; cached because it only changes with its text."""
    image = Image.new("RGB", (width, height), (28, 30, 36))
    draw = ImageDraw.Draw(image)
    # Diagonal hatch so a slate is never mistaken for a black camera picture.
    step = max(12, width // 24)
    for offset in range(-height, width, step):
        draw.line([(offset, height), (offset + height, 0)], fill=(40, 43, 52), width=max(1, step // 6))
    title_font = ui_font(max(12, height // 12))
    detail_font = ui_font(max(10, height // 26))
    lines = [(title, title_font, (235, 235, 240))] + ([(detail, detail_font, (170, 175, 190))] if detail else [])
    heights = [draw.textbbox((0, 0), text, font=font)[3] for text, font, _ in lines]
    y = (height - sum(heights) - (len(lines) - 1) * height // 30) // 2
    for (text, font, colour), line_h in zip(lines, heights):
        text_w = draw.textlength(text, font=font)
        draw.text(((width - text_w) / 2, y), text, font=font, fill=colour)
        y += line_h + height // 30
    return np.ascontiguousarray(np.asarray(image)[..., ::-1])
