"""The phone feed preview dock: the cover as small as a viewer sees it in a phone feed."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QWidget


class PhoneFeedPreview(QWidget):
    """The cover at the size a viewer sees it in a phone feed (the preset's smallest display width)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnail: QImage | None = None
        self.caption = ""
        self.setMinimumSize(260, 220)

    def set_thumbnail(self, image: QImage, caption: str) -> None:
        self.thumbnail = image
        self.caption = caption
        self.setMinimumHeight(image.height() + 64)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#F2F3F5"))
        painter.setPen(QColor("#202124"))
        if self.thumbnail is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("Rendering…"))
            painter.end()
            return
        painter.drawText(QRectF(8, 6, self.width() - 16, 36), Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap,
                         self.caption)
        x = (self.width() - self.thumbnail.width()) // 2
        # Drawn 1:1 in device-independent pixels: this is the real thumbnail size.
        painter.fillRect(QRectF(x - 6, 42, self.thumbnail.width() + 12, self.thumbnail.height() + 12), QColor("#FFFFFF"))
        painter.drawImage(QPointF(x, 48), self.thumbnail)
        painter.end()
