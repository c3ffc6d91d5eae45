"""A dark Fusion look: a studio is used in dim rooms and the picture should stand out."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from ui.icons import ICONS_DIR

_COLOURS = {
    QPalette.ColorRole.Window: "#23262d",
    QPalette.ColorRole.WindowText: "#e3e5ea",
    QPalette.ColorRole.Base: "#1a1c21",
    QPalette.ColorRole.AlternateBase: "#262930",
    QPalette.ColorRole.ToolTipBase: "#2e323a",
    QPalette.ColorRole.ToolTipText: "#e3e5ea",
    QPalette.ColorRole.PlaceholderText: "#80858f",
    QPalette.ColorRole.Text: "#e3e5ea",
    QPalette.ColorRole.Button: "#2e323a",
    QPalette.ColorRole.ButtonText: "#e3e5ea",
    QPalette.ColorRole.BrightText: "#ff5a5f",
    QPalette.ColorRole.Link: "#58a6ff",
    QPalette.ColorRole.Highlight: "#1f6feb",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Light: "#3a3f48",
    QPalette.ColorRole.Midlight: "#32363e",
    QPalette.ColorRole.Mid: "#2a2d34",
    QPalette.ColorRole.Dark: "#16181c",
    QPalette.ColorRole.Shadow: "#0d0e10",
}
_DISABLED = {
    QPalette.ColorRole.WindowText: "#6b7079",
    QPalette.ColorRole.Text: "#6b7079",
    QPalette.ColorRole.ButtonText: "#6b7079",
    QPalette.ColorRole.HighlightedText: "#9aa0aa",
}

STYLE_SHEET = """
QDockWidget::title { padding: 4px 6px; background: #2b2f37; }
QListWidget { border: 1px solid #33373f; }
QListWidget::item { padding: 3px 2px; }
QListWidget::indicator, QCheckBox::indicator, QGroupBox::indicator { width: 13px; height: 13px; border: 1px solid #6b7079; border-radius: 3px; background: #1a1c21; }
QListWidget::indicator:checked, QCheckBox::indicator:checked, QGroupBox::indicator:checked { background: #1f6feb; border-color: #1f6feb; image: url("@CHECK@"); }
QCheckBox::indicator:disabled, QGroupBox::indicator:disabled { border-color: #3a3f48; }
QStatusBar QLabel { padding: 0 8px; color: #b9bec8; }
QFrame#channelStrip, QFrame#masterStrip { background: #272a31; border: 1px solid #33373f; border-radius: 4px; }
QFrame#masterStrip { background: #2b2f37; }
"""


def apply_style(app: QApplication) -> None:
    style = QStyleFactory.create("Fusion")
    if style is not None:
        app.setStyle(style)
    palette = QPalette()
    for role, colour in _COLOURS.items():
        palette.setColor(role, QColor(colour))
    for role, colour in _DISABLED.items():
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    app.setPalette(palette)
    check = (ICONS_DIR / "check.svg").as_posix()
    app.setStyleSheet(STYLE_SHEET.replace("@CHECK@", check))
