""""Fill from product…": pick a product of a live catalog file (CSV/JSON) for the cover's variables.

The catalog is read on a pool thread by the variables panel (``cover_designer.products.load_catalog``
with the live panel's own reader, ``ui.cover_catalog.read_live_catalog``); this dialog only lists the
products it got, with a search field, and says which rows of the file were skipped and why.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from cover_designer.products import ProductCatalog, product_image_path

COLUMNS = ("sku", "name", "price", "original", "photo")


def price_text(amount: str | None, currency: str, locale: str) -> str:
    """A price as the cover shows it (CLDR via Babel); the plain amount if the locale is unusable."""
    if not amount:
        return ""
    from cover_designer.errors import CoverError
    from cover_designer.render import format_price

    try:
        return format_price(amount, currency, locale)
    except CoverError:
        return f"{amount} {currency}"


class ProductPickerDialog(QDialog):
    """Lists a catalog's products; ``product_chosen(sku)`` when the user fills the cover from one."""

    product_chosen = Signal(str)
    other_catalog_requested = Signal()

    def __init__(self, catalog: ProductCatalog, language: str = "", locale: str = "en_US",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.language = language
        self.locale = locale if locale and "{" not in locale else "en_US"
        self.setMinimumSize(620, 420)
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("color: #B26A00")
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)  # long names are elided; the full name is the tooltip
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("name"), QHeaderView.ResizeMode.Stretch)
        self.table.itemDoubleClicked.connect(lambda _item: self.accept())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.other_button = QPushButton()
        self.other_button.clicked.connect(self._other_catalog)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.source_label)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        # "Other catalog…" on its own at the left, away from the buttons that close the dialog.
        bottom = QHBoxLayout()
        bottom.addWidget(self.other_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        self._fill()
        self.retranslate()
        if self.table.rowCount():
            self.table.selectRow(0)
        self._update_buttons()

    def _fill(self) -> None:
        self.table.setRowCount(0)
        for product in self.catalog.products:
            row = self.table.rowCount()
            self.table.insertRow(row)
            photo = product_image_path(product, self.catalog.folder)
            values = {"sku": product.sku, "name": product.title(self.language.replace("-", "_")),
                      "price": price_text(product.price, product.currency, self.locale),
                      "original": price_text(product.original_price, product.currency, self.locale),
                      "photo": "✓" if photo else "—"}
            for column, key in enumerate(COLUMNS):
                item = QTableWidgetItem(values[key])
                item.setData(Qt.ItemDataRole.UserRole, product.sku)
                if key in ("price", "original"):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if key == "name":
                    item.setToolTip(values[key])
                if key == "photo":
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    item.setToolTip(photo or product.image or "")
                self.table.setItem(row, column, item)

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        first_visible = -1
        for row in range(self.table.rowCount()):
            haystack = " ".join(self.table.item(row, column).text() for column in (0, 1)).casefold()
            hidden = bool(needle) and needle not in haystack
            self.table.setRowHidden(row, hidden)
            if not hidden and first_visible < 0:
                first_visible = row
        current = self.table.currentRow()
        if current < 0 or self.table.isRowHidden(current):
            if first_visible >= 0:
                self.table.selectRow(first_visible)
            else:
                self.table.clearSelection()
        self._update_buttons()

    def selected_sku(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.table.isRowHidden(rows[0].row()):
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def select_sku(self, sku: str) -> bool:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == sku:
                self.table.selectRow(row)
                return True
        return False

    def _update_buttons(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.selected_sku() is not None)

    def accept(self) -> None:
        sku = self.selected_sku()
        if sku is None:
            return
        super().accept()
        self.product_chosen.emit(sku)

    def _other_catalog(self) -> None:
        self.reject()
        self.other_catalog_requested.emit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Fill from product"))
        self.source_label.setText(self.tr("{count} products in {name}. The cover takes the chosen product's name, "
                                          "prices, discount, SKU, link and photo.").format(
            count=len(self.catalog.products), name=self.catalog.path.name))
        self.source_label.setToolTip(str(self.catalog.path))
        problems = self.catalog.problems()
        self.problems_label.setVisible(bool(problems))
        if problems:
            shown = "\n".join(problems[:3]) + ("\n…" if len(problems) > 3 else "")
            self.problems_label.setText(self.tr("Some rows of the file were skipped or have problems:") + "\n" + shown)
            self.problems_label.setToolTip("\n".join(problems))
        self.search.setPlaceholderText(self.tr("Search by SKU or name"))
        self.table.setHorizontalHeaderLabels([self.tr("SKU"), self.tr("Product"), self.tr("Price"), self.tr("Was"),
                                              self.tr("Photo")])
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Fill the cover"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.other_button.setText(self.tr("Other catalog…"))
