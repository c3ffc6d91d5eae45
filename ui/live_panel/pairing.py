"""Pairing a tablet with the show: the QR code and the address (its token masked until asked)."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget


def mask_token(url: str) -> str:
    """The pairing URL with its token hidden (screens get shared and recorded)."""
    base, marker, _token = url.partition("#token=")
    return f"{base}{marker}{'•' * 10}" if marker else url


class PairDialog(QDialog):
    """The pairing QR code and URL; the token stays masked until the user asks to see it."""

    def __init__(self, url: str | None, qr_rgba: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pairDialog")
        self.setWindowTitle(self.tr("Pair a tablet"))
        self.url = url or ""
        layout = QVBoxLayout(self)
        hint = QLabel(self.tr("Scan the code with the tablet's camera, or open the address below in its browser. Anyone with this address can control the show."), self)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.qr_label = QLabel(self)
        self.qr_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if qr_rgba is not None:
            h, w = qr_rgba.shape[:2]
            image = QImage(qr_rgba.tobytes(), w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
            self.qr_label.setPixmap(QPixmap.fromImage(image))
        else:
            self.qr_label.setText(self.tr("No QR code available (the control API is off or qrcode is not installed)."))
        layout.addWidget(self.qr_label)
        row = QHBoxLayout()
        self.url_edit = QLineEdit(mask_token(self.url), self)
        self.url_edit.setReadOnly(True)
        self.url_edit.setObjectName("pairUrl")
        self.url_edit.setMinimumWidth(self.url_edit.fontMetrics().horizontalAdvance(self.url) + 24)
        self.url_edit.setCursorPosition(0)
        self.show_button = QPushButton(self.tr("Show token"), self)
        self.show_button.setCheckable(True)
        self.show_button.toggled.connect(self._on_show_toggled)
        row.addWidget(self.url_edit, 1)
        row.addWidget(self.show_button)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _on_show_toggled(self, is_shown: bool) -> None:
        self.url_edit.setText(self.url if is_shown else mask_token(self.url))
        self.url_edit.setCursorPosition(0)
        self.show_button.setText(self.tr("Hide token") if is_shown else self.tr("Show token"))
