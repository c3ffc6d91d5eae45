"""The right-to-left UI (Arabic): the whole layout mirrors, live, except what reads left to right.

Qt mirrors every layout, dock, menu and tab once the application's layout direction is
right to left.  Pictures (program previews, cover canvas) set left-to-right themselves.
What else stays left to right is decided here, per widget (:func:`reads_left_to_right`):
number and time boxes (unless their prefix or suffix is in words of the language, like
"Winners: 1"), secrets (stream keys and tokens, shown as dots), address fields and sliders
(a fader sits beside its left-to-right level meter; media controls are not mirrored).

Word-wrapped labels are also measured with the font that draws their Arabic: Noto Sans Arabic
becomes their first family, else Qt sizes them with the Latin font's line height while the taller
fallback draws each line, and a two-line label loses half its last line.  Only wrapped labels:
the whole UI in that font would grow every row by half at 1366×768.
"""
from __future__ import annotations

import unicodedata

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLabel, QLineEdit, QSlider, QWidget

# Placeholders that show a field takes an address or a code, not words (they stay untranslated).
_ADDRESS_HINTS = ("://", "#RRGGBB")
# Appended to the application's style sheet while right to left: the style sheet's group-box title
# otherwise loses its first letter at the right edge.
RTL_STYLE_SHEET = "\n/* right-to-left */\nQGroupBox::title { padding-right: 3px; }\n"
# The family that draws the right-to-left script (registered by ui.app_fonts).
RTL_FONT_FAMILY = "Noto Sans Arabic"
# Set on the widgets this module turned left to right, so that they can follow the UI again.
_PINNED = "bridgecastPinnedLeftToRight"
# The font a wrapped label had before it was given the right-to-left family first.
_FONT_BEFORE = "bridgecastFontBeforeRightToLeft"


def _has_right_to_left_letters(text: str) -> bool:
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)


def reads_left_to_right(widget: QWidget) -> bool:
    """Whether ``widget`` keeps a left-to-right layout in a right-to-left UI."""
    if isinstance(widget, QSlider):
        return True
    if isinstance(widget, QAbstractSpinBox):
        affixes = f"{getattr(widget, 'prefix', lambda: '')()}{getattr(widget, 'suffix', lambda: '')()}"
        return not _has_right_to_left_letters(affixes)
    if isinstance(widget, QLineEdit):
        if widget.echoMode() != QLineEdit.EchoMode.Normal:
            return True
        return any(mark in widget.placeholderText() for mark in _ADDRESS_HINTS) or "://" in widget.text()
    return False


def orient(widget: QWidget) -> None:
    """Pin ``widget`` left to right if it reads so, or let it follow the UI again."""
    if reads_left_to_right(widget):
        widget.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        widget.setProperty(_PINNED, True)
    elif widget.property(_PINNED):
        widget.unsetLayoutDirection()
        widget.setProperty(_PINNED, False)


class LeftToRightFields(QObject):
    """Installed on the application while the UI is right to left: orients each widget when it
    is first polished, and again after a language change (its prefix may now be in words)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802, D102
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(watched, QWidget):
            orient(watched)
            measure_with_script_font(watched)
        elif kind == QEvent.Type.LanguageChange and isinstance(watched, QAbstractSpinBox):
            # The view retranslates after this filter: look once it has.
            QTimer.singleShot(0, watched, lambda widget=watched: orient(widget))
        return False


_filter: LeftToRightFields | None = None


def measure_with_script_font(widget: QWidget) -> None:
    """Give a word-wrapped label :data:`RTL_FONT_FAMILY` as its first family (once)."""
    if (isinstance(widget, QLabel) and widget.wordWrap() and widget.property(_FONT_BEFORE) is None
            and RTL_FONT_FAMILY in QFontDatabase.families()):
        before = QFont(widget.font())
        font = QFont(before)
        font.setFamilies([RTL_FONT_FAMILY, *[family for family in before.families() if family != RTL_FONT_FAMILY]])
        widget.setProperty(_FONT_BEFORE, before)
        widget.setFont(font)


def _restore_font(widget: QWidget) -> None:
    before = widget.property(_FONT_BEFORE)
    if before is not None:
        widget.setFont(before)
        widget.setProperty(_FONT_BEFORE, None)


def apply_layout_direction(app: QGuiApplication, is_rtl: bool) -> None:
    """Mirror the whole UI for a right-to-left language, or turn it back, live."""
    global _filter
    if not isinstance(app, QApplication):
        app.setLayoutDirection(Qt.LayoutDirection.RightToLeft if is_rtl else Qt.LayoutDirection.LeftToRight)
        return
    # The style sheet first: applying it re-polishes every widget (and gives back the fonts the
    # style sheet saw), so the fonts are restored after it.
    sheet = app.styleSheet().replace(RTL_STYLE_SHEET, "")
    if app.styleSheet() != (sheet + RTL_STYLE_SHEET if is_rtl else sheet):
        app.setStyleSheet(sheet + RTL_STYLE_SHEET if is_rtl else sheet)
    if is_rtl and _filter is None:
        _filter = LeftToRightFields(app)
        app.installEventFilter(_filter)
        # Widgets polished before the switch, once their views have retranslated.
        QTimer.singleShot(0, _filter, lambda: [(orient(widget), measure_with_script_font(widget))
                                               for widget in QApplication.allWidgets()])
    elif not is_rtl and _filter is not None:
        # Only right-to-left UIs pay for an application-wide filter.
        app.removeEventFilter(_filter)
        _filter.deleteLater()
        _filter = None
        for widget in QApplication.allWidgets():
            if widget.property(_PINNED):
                widget.unsetLayoutDirection()
                widget.setProperty(_PINNED, False)
            _restore_font(widget)
    app.setLayoutDirection(Qt.LayoutDirection.RightToLeft if is_rtl else Qt.LayoutDirection.LeftToRight)
