"""Registering the renderer's fonts with Qt, so text fields, tables and labels show Thai, Arabic,
Vietnamese and CJK with the same fonts the canvas and the cards draw with.

Some of those fonts come from Python packages (fontpkg wheels) that the system's font
configuration does not know; without them Qt's fallback finds no Thai font and draws empty boxes.
Registered once at start, before any window exists; Qt's fallback then picks them per script.
"""
from __future__ import annotations

import logging

from PySide6.QtGui import QFontDatabase

log = logging.getLogger(__name__)

_registered: dict[str, list[str]] = {}  # font file → the families Qt read from it


def register_renderer_fonts() -> dict[str, list[str]]:
    """Add every font file the renderer uses to Qt's application fonts (once per file); returns the
    families registered per file.  A file Qt cannot read is logged and skipped."""
    from studio.fonts import renderer_font_files

    for path in renderer_font_files():
        if path in _registered:
            continue
        font_id = QFontDatabase.addApplicationFont(path)
        if font_id < 0:
            log.warning("Qt could not read the font %s; its scripts may show as boxes in the interface", path)
            _registered[path] = []
            continue
        _registered[path] = list(QFontDatabase.applicationFontFamilies(font_id))
    return dict(_registered)
