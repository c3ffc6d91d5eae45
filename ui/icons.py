"""Icons from ``resources/icons/*.svg`` (cached), with an empty icon if one is missing.

Icons that point along the reading direction (:data:`MIRRORED_IN_RTL`: next, previous) are
drawn mirrored while the application's layout is right to left.  The engine decides when it
paints, so a live language switch flips them without any view asking for its icons again.
Up and down, and every other icon, never mirror.
"""
from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QIconEngine, QPainter, QPixmap

ICONS_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"

# Arrows that mean "forward"/"back" in reading order; in Arabic forward points left.
MIRRORED_IN_RTL = frozenset({"next", "previous"})


class ReadingDirectionIconEngine(QIconEngine):
    """Draws ``path``'s icon, mirrored left to right while the application is right to left."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self._path = path
        self._icon = QIcon(path)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:  # noqa: D102
        pixmap = self._icon.pixmap(size, mode, state)
        if QGuiApplication.layoutDirection() != Qt.LayoutDirection.RightToLeft or pixmap.isNull():
            return pixmap
        mirrored = QPixmap.fromImage(pixmap.toImage().flipped(Qt.Orientation.Horizontal))
        mirrored.setDevicePixelRatio(pixmap.devicePixelRatio())
        return mirrored

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:  # noqa: D102
        painter.drawPixmap(rect, self.pixmap(rect.size(), mode, state))

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:  # noqa: N802, D102
        return self._icon.actualSize(size, mode, state)

    def clone(self) -> QIconEngine:  # noqa: D102
        return ReadingDirectionIconEngine(self._path)


@functools.lru_cache(maxsize=64)
def icon(name: str) -> QIcon:
    path = ICONS_DIR / f"{name}.svg"
    if not path.exists():
        return QIcon()
    if name in MIRRORED_IN_RTL:
        return QIcon(ReadingDirectionIconEngine(str(path)))
    return QIcon(str(path))
