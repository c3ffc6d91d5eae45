"""The Live panel's Products tab: search the catalog, pin a product.

F1–F12 pin the first twelve visible rows; the dock owns those shortcuts because a shortcut
only fires while its parent is visible, and the keys must work from every tab.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QTableView,
                               QVBoxLayout, QWidget)

from ui.live_panel.catalog_problems import CatalogProblemsDialog
from ui.live_panel.controller import LivePanelController
from ui.live_panel.models import ProductFilter


class ProductsPage(QWidget):
    """A view of the controller's catalog model; pins and loads through the controller."""

    def __init__(self, controller: LivePanelController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.live = controller.live
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.search_edit = QLineEdit(self)
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._on_search)
        self.load_catalog_button = QPushButton(self)
        self.load_catalog_button.clicked.connect(self.choose_catalog)
        row.addWidget(self.search_edit, 1)
        row.addWidget(self.load_catalog_button)
        layout.addLayout(row)
        self.notice_label = QLabel(self)
        self.notice_label.setObjectName("productsNotice")
        self.notice_label.setWordWrap(True)
        self.notice_label.setStyleSheet("color: #ffb31c;")  # amber: a warning, not a failure
        self.notice_label.hide()
        layout.addWidget(self.notice_label)  # above the table: seen without scrolling
        self.product_model = controller.product_model
        self.product_proxy = ProductFilter(self)
        self.product_proxy.setSourceModel(self.product_model)
        self.product_table = QTableView(self)
        self.product_table.setObjectName("productTable")
        self.product_table.setModel(self.product_proxy)
        self.product_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.product_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.product_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.product_table.horizontalHeader()
        for column in (0, 2, 3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.product_table.doubleClicked.connect(lambda index: self.pin_row(index.row()))
        layout.addWidget(self.product_table, 1)
        buttons = QHBoxLayout()
        self.pin_button = QPushButton(self)
        self.pin_button.clicked.connect(self.pin_selected)
        self.unpin_button = QPushButton(self)
        self.unpin_button.clicked.connect(self.unpin)
        buttons.addWidget(self.pin_button)
        buttons.addWidget(self.unpin_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.catalog_dialog: CatalogProblemsDialog | None = None
        controller.notice.connect(self.show_notice)
        controller.snapshot_changed.connect(self.present)
        controller.products_changed.connect(lambda: self.present(controller.snapshot))
        self.retranslate()

    # -- commands ------------------------------------------------------------------------------------
    def visible_sku(self, row: int) -> str | None:
        if not 0 <= row < self.product_proxy.rowCount():
            return None
        return self.product_proxy.index(row, 0).data()

    def pin_row(self, row: int) -> None:
        sku = self.visible_sku(row)
        if sku is not None:
            self.controller.run_command(lambda: self.live.shelf.pin(sku))

    def pin_selected(self) -> None:
        rows = self.product_table.selectionModel().selectedRows()
        if rows:
            self.pin_row(rows[0].row())

    def unpin(self) -> None:
        self.controller.run_command(self.live.shelf.unpin)

    def choose_catalog(self) -> None:
        dialog = QFileDialog(self, self.tr("Load product catalog"), str(Path.home()), self.tr("Catalogs (*.csv *.json)"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.load_catalog)
        dialog.open()

    def load_catalog(self, path: str | Path) -> None:
        """Read the file off the GUI thread; a file with problems is listed in a dialog first
        and replaces the catalog in use only on "Replace anyway"; one that imports nothing never does."""
        name = Path(path).name
        self.controller.run_command(lambda: self.live.shelf.read(path), lambda result: self._on_catalog_read(result, name))

    def _on_catalog_read(self, result: Any, name: str) -> None:
        if result.products and not result.skipped_rows:
            self._apply_catalog(result, name)
            return
        dialog = CatalogProblemsDialog(name, result.errors, len(result.products), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._apply_catalog(result, name))
        dialog.destroyed.connect(lambda *_args: setattr(self, "catalog_dialog", None))
        self.catalog_dialog = dialog
        if not result.products:
            self.show_notice(self.tr("Nothing in {name} could be imported; the catalog in use is kept.").format(name=name))
        dialog.open()

    def _apply_catalog(self, result: Any, name: str) -> None:
        # What the replacement did to the program (rows left out, a pin taken off) comes back as
        # the ``catalog.loaded`` event, which the controller turns into a notice.
        self.controller.run_command(lambda: self.live.shelf.apply(result, name))

    def show_notice(self, text: str) -> None:
        """A warning about the catalog or what is on air ("" hides it); stays until the next one."""
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))

    def _on_search(self, text: str) -> None:
        self.product_proxy.set_needle(text)

    # -- presenting ----------------------------------------------------------------------------------
    def present(self, snapshot: dict[str, Any]) -> None:
        self.product_model.set_pinned(snapshot.get("pinned_sku"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.search_edit.setPlaceholderText(self.tr("Search SKU or title"))
        self.load_catalog_button.setText(self.tr("Load catalog…"))
        self.product_model.set_headers([self.tr("SKU"), self.tr("Title"), self.tr("Price"), self.tr("Stock"), self.tr("Ordered")])
        self.pin_button.setText(self.tr("Pin"))
        self.pin_button.setToolTip(self.tr("Show the selected product's card on the program (F1–F12 pin the first twelve rows)"))
        self.unpin_button.setText(self.tr("Unpin"))
