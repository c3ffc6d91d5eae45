"""A label that gives way: long names and messages are shortened with "…" to fit a narrow dock."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QWidget


class ElidedLabel(QLabel):
    """A label that shortens its text with "…" to the room it gets instead of widening the strip;
    ``text()`` is still the whole text and the tooltip shows it when it is cut."""

    def __init__(self, parent: QWidget | None = None, minimum_width: int = 40) -> None:
        super().__init__(parent)
        self._full_text = ""
        self.minimum_width = minimum_width

    def setText(self, text: str) -> None:  # noqa: N802
        self._full_text = str(text)
        self._show()
        self.updateGeometry()

    def text(self) -> str:
        return self._full_text

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self._full_text) + 4, hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(min(self.minimum_width, self.sizeHint().width()), super().minimumSizeHint().height())

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._show()

    def _show(self) -> None:
        shown = self.fontMetrics().elidedText(self._full_text, Qt.TextElideMode.ElideRight, max(0, self.width()))
        super().setText(shown)
