"""The font family picker of the cover designer's properties panel.

It lists "Automatic" (the Noto fonts for the text's language) and every OFL family the renderer
can use on this machine (``cover_designer.text.family_names``, read once on a pool thread: font
discovery opens every font file).  A family the document names but this machine lacks stays in
the list, marked as not installed, so opening such a cover never silently changes it.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QComboBox, QWidget

from cover_designer import text as textlib

AUTOMATIC = "sans"
MISSING_COLOR = "#B26A00"


class FontFamilyPicker(QComboBox):
    """Choose ``font.family``; ``family_chosen(name)`` fires when the user picks another one."""

    family_chosen = Signal(str)
    families_loaded = Signal()

    def __init__(self, parent: QWidget | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.families: list[str] | None = None  # None until the pool thread has listed them
        self._current = AUTOMATIC
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        self.activated.connect(self._on_activated)
        self._fill()
        from ui.workers import run_in_background

        run_in_background(textlib.family_names, self._on_families, self._on_failed, receiver=self, pool=pool)

    # -- list
    def _on_families(self, names: list[str]) -> None:
        self.families = list(names)
        self._fill()
        self.families_loaded.emit()

    def _on_failed(self, error: BaseException) -> None:
        self.families = []
        self._fill()
        self.setToolTip(self.tr("The installed fonts could not be listed: {reason}").format(reason=error))
        self.families_loaded.emit()

    def is_missing(self, name: str) -> bool:
        """True for a named family that this machine does not have (once the list is known)."""
        if textlib.is_automatic_family(name) or self.families is None:
            return False
        wanted = textlib.family_key(name)
        return not any(textlib.family_key(family) == wanted for family in self.families)

    def _fill(self) -> None:
        self.blockSignals(True)
        self.clear()
        self.addItem(self.tr("Automatic (Noto for the text's language)"), AUTOMATIC)
        self.setItemData(0, self.tr("The Noto fonts chosen by the layer's language: Latin, Arabic, Thai, CJK"),
                         Qt.ItemDataRole.ToolTipRole)
        if self.families or not textlib.is_automatic_family(self._current):
            self.insertSeparator(1)
        for name in self.families or []:
            self.addItem(name, name)
        if self.families is None and not textlib.is_automatic_family(self._current):
            self.addItem(self._current, self._current)  # shown as it is until the list is known
        elif self.is_missing(self._current):
            # Kept, marked: choosing another font is the user's decision, not the picker's.
            self.addItem(self.tr("{family} (not installed)").format(family=self._current), self._current)
            index = self.count() - 1
            font = QFont(self.font())
            font.setItalic(True)
            self.setItemData(index, font, Qt.ItemDataRole.FontRole)
            self.setItemData(index, QColor(MISSING_COLOR), Qt.ItemDataRole.ForegroundRole)
            self.setItemData(index, self.tr("This font is not installed here; the cover is drawn with the Noto "
                                            "fonts instead. Pick an installed font or install this one."),
                             Qt.ItemDataRole.ToolTipRole)
        self._select(self._current)
        self.blockSignals(False)

    def _select(self, name: str) -> None:
        wanted = textlib.family_key(name)
        index = 0
        if not textlib.is_automatic_family(name):
            index = next((i for i in range(1, self.count())
                          if self.itemData(i) is not None and textlib.family_key(str(self.itemData(i))) == wanted), 0)
        self.setCurrentIndex(index)
        missing = self.is_missing(name)
        self.setStyleSheet(f"QComboBox {{ color: {MISSING_COLOR}; }}" if missing else "")
        self.setToolTip(self.itemData(index, Qt.ItemDataRole.ToolTipRole) or self.tr("Font family of the layer's text"))

    # -- model → widget
    def set_family(self, name: str | None) -> None:
        """Show the layer's family (no signal)."""
        name = name or AUTOMATIC
        if name != self._current:
            self._current = name
            self._fill()

    def current_family(self) -> str:
        return self._current

    # -- widget → command
    def _on_activated(self, index: int) -> None:
        if self.itemData(index) is None:  # the separator
            return
        name = str(self.itemData(index))
        if textlib.family_key(name) != textlib.family_key(self._current):
            self.family_chosen.emit(name)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self._fill()
        super().changeEvent(event)
