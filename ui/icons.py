"""Icons from ``resources/icons/*.svg`` (cached), with an empty icon if one is missing."""
from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtGui import QIcon

ICONS_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"


@functools.lru_cache(maxsize=64)
def icon(name: str) -> QIcon:
    path = ICONS_DIR / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()
