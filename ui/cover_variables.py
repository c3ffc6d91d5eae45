"""The cover's variables panel: ``{product_name}``, ``{price}`` … and their values.

The values live in the document (``CoverDocument.variables``), so the preview fills them in on its
next render and every edit is one undo step.  Variables a layer uses but that have no value yet are
listed too, marked as not set (the cover then shows the ``{name}`` placeholder and lint points at it).
"Fill from CSV…" reads a product CSV (the one ``bridgecast cover batch`` takes) off the GUI thread and
fills the variables from a chosen row, so the designer sees the cover with real product data.
"Fill from product…" does the same from the live catalog file (CSV/JSON, the live panel's format):
the product's fields fill ``{product_name}``, ``{price}`` … and its photo the photo placeholders.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEvent, Qt, QThreadPool, QTimer
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from cover_designer.document import CoverDocument, variables_used

VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def with_variable(doc: CoverDocument, name: str, value: str | None) -> CoverDocument:
    """A copy of ``doc`` with one variable set (``None`` removes it)."""
    variables = dict(doc.variables)
    if value is None:
        variables.pop(name, None)
    else:
        variables[name] = value
    return doc.model_copy(update={"variables": variables}, deep=True)


def row_variables(row: dict[str, str], csv_folder: Path | None = None) -> dict[str, str]:
    """A CSV row → variables (``discount`` worked out from the prices); photo paths relative to the
    CSV's folder become absolute so the preview finds them wherever the cover file is."""
    from cover_designer.variables import product_variables

    values = product_variables(row)
    if csv_folder is not None:
        for name, value in values.items():
            if name.endswith("image") and value and not Path(value).is_absolute() and (csv_folder / value).is_file():
                values[name] = str((csv_folder / value).resolve())
    return values


class VariablesPanel(QWidget):
    """Edits the open cover's variables; ``push(after, text)`` records each change as an undo step."""

    def __init__(self, model, push: Callable[[CoverDocument, str], None], parent: QWidget | None = None,
                 pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._push = push
        self._pool = pool
        self.csv_rows: list[dict[str, str]] = []
        self.csv_folder: Path | None = None
        self.csv_button = QPushButton()
        self.csv_button.clicked.connect(self.choose_csv)
        self.row_combo = QComboBox()
        self.row_combo.setVisible(False)
        self.row_combo.activated.connect(self.apply_row)
        self.catalog = None  # cover_designer.products.ProductCatalog once a catalog file is read
        self.product_dialog = None
        self.product_button = QPushButton()
        self.product_button.clicked.connect(self.choose_product)
        self.show_button = QPushButton()
        self.show_button.setObjectName("fillFromShowButton")
        self.show_button.clicked.connect(self.choose_show)
        self.planned_shows: list = []  # the team's planned shows, once read
        self.show_dialog = None
        self.table = QTableWidget(0, 2)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setMinimumHeight(220)
        self.table.itemChanged.connect(self._on_item_changed)
        self.name_edit = QLineEdit()
        self.name_edit.returnPressed.connect(self.add_from_field)
        self.add_button = QPushButton()
        self.add_button.clicked.connect(self.add_from_field)
        self.remove_button = QPushButton()
        self.remove_button.clicked.connect(self.remove_selected)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #C62828")
        row = QHBoxLayout()
        row.addWidget(self.name_edit, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(row)
        # One under the other: side by side the three "Fill from…" buttons are wider than the dock
        # on a 1366×768 screen (and longer still in Thai or Vietnamese).
        for button in (self.csv_button, self.product_button, self.show_button):
            layout.addWidget(button)
        layout.addWidget(self.row_combo)  # shown once a CSV is read
        layout.addWidget(self.error)
        model.document_changed.connect(self.refresh)
        self.retranslate()
        self.refresh()

    def names(self) -> list[str]:
        """Rows in order: every variable with a value or used by a layer."""
        doc = self.model.document
        return sorted(set(doc.variables) | variables_used(doc))

    def refresh(self) -> None:
        doc = self.model.document
        used = variables_used(doc)
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for name in self.names():
            row = self.table.rowCount()
            self.table.insertRow(row)
            key = QTableWidgetItem("{" + name + "}")
            key.setData(Qt.ItemDataRole.UserRole, name)
            key.setFlags(key.flags() & ~Qt.ItemFlag.ItemIsEditable)
            value = QTableWidgetItem(doc.variables.get(name, ""))
            if name not in doc.variables:
                font = QFont(value.font())
                font.setItalic(True)
                key.setFont(font)
                key.setForeground(QColor("#B26A00"))
                key.setToolTip(self.tr("Not set: the cover shows the placeholder."))
            elif name not in used:
                key.setToolTip(self.tr("No layer uses this variable."))
            self.table.setItem(row, 0, key)
            self.table.setItem(row, 1, value)
        self.table.blockSignals(False)

    def set_value(self, name: str, value: str) -> None:
        """Give ``name`` a value (one undo step; nothing happens if it already has it)."""
        doc = self.model.document
        if doc.variables.get(name) == value and name in doc.variables:
            return
        self.error.setText("")
        self._push(with_variable(doc, name, value), self.tr("Edit variable"))

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != 1:
            return
        name = self.table.item(item.row(), 0).data(Qt.ItemDataRole.UserRole)
        text = item.text()
        # The edit rebuilds the table; do it after Qt has finished with the item it is signalling about.
        QTimer.singleShot(0, self, lambda: self.set_value(name, text))

    def add_from_field(self) -> None:
        name = self.name_edit.text().strip().strip("{}")
        if not VARIABLE_NAME.match(name):
            self.error.setText(self.tr("A variable name uses letters, digits and _ and does not start with a digit."))
            return
        if name in self.model.document.variables:
            self.error.setText(self.tr("The variable {name} already exists.").format(name="{" + name + "}"))
            return
        self.name_edit.clear()
        self.error.setText("")
        self._push(with_variable(self.model.document, name, ""), self.tr("Add variable"))
        row = self.names().index(name)
        self.table.setCurrentCell(row, 1)
        self.table.editItem(self.table.item(row, 1))

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            return
        name = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        if name in self.model.document.variables:
            self._push(with_variable(self.model.document, name, None), self.tr("Remove variable"))

    def choose_csv(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("Product CSV"), str(self.csv_folder or Path.home()),
                                                    self.tr("CSV files (*.csv)"))
        if path:
            self.load_csv(Path(path))

    def load_csv(self, path: Path) -> None:
        """Read the CSV on a pool thread; then list its rows and fill the variables from the first."""
        from cover_designer.batch import read_products
        from ui.workers import run_in_background

        self.error.setText(self.tr("Reading {name}…").format(name=path.name))
        run_in_background(lambda: read_products(path), lambda rows: self._on_csv(path, rows), self._on_csv_failed,
                          receiver=self, pool=self._pool)

    def _on_csv(self, path: Path, rows: list[dict[str, str]]) -> None:
        if not rows:
            self.error.setText(self.tr("The CSV file has no product rows."))
            return
        self.csv_rows = rows
        self.csv_folder = path.resolve().parent
        self.row_combo.clear()
        for number, row in enumerate(rows, start=1):
            label = " · ".join(part for part in (row.get("sku") or row.get("id"), row.get("product_name")) if part)
            self.row_combo.addItem(f"{number}. {label}" if label else str(number))
        self.row_combo.setVisible(True)
        self.row_combo.setToolTip(str(path))
        self.error.setText("")
        self.apply_row(0)

    def _on_csv_failed(self, error: BaseException) -> None:
        self.error.setText(str(getattr(error, "message", None) or error))

    def apply_row(self, index: int) -> None:
        """Fill the variables from CSV row ``index`` (one undo step; other variables are kept)."""
        if not 0 <= index < len(self.csv_rows):
            return
        self.row_combo.setCurrentIndex(index)
        doc = self.model.document
        values = row_variables(self.csv_rows[index], self.csv_folder)
        if all(doc.variables.get(name) == value for name, value in values.items()):
            return
        after = doc.model_copy(update={"variables": {**doc.variables, **values}}, deep=True)
        self._push(after, self.tr("Fill from CSV row"))

    # -- fill from a product of the live catalog
    def choose_product(self) -> None:
        """Pick a product of the catalog already read, or choose a catalog file first."""
        if self.catalog is None:
            self.choose_catalog()
        else:
            self.open_product_picker()

    def choose_catalog(self) -> None:
        folder = str(self.catalog.folder if self.catalog is not None else (self.csv_folder or Path.home()))
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("Product catalog"), folder,
                                                    self.tr("Product catalogs (*.csv *.json)"))
        if path:
            self.load_catalog(Path(path))

    def load_catalog(self, path: Path) -> None:
        """Read a catalog file on a pool thread (the live panel's loader), then offer its products."""
        from cover_designer.products import load_catalog
        from ui.cover_catalog import read_live_catalog
        from ui.workers import run_in_background

        self.error.setText(self.tr("Reading {name}…").format(name=path.name))
        run_in_background(lambda: load_catalog(path, read_live_catalog), self._on_catalog, self._on_catalog_failed,
                          receiver=self, pool=self._pool)

    def _on_catalog(self, catalog) -> None:
        self.catalog = catalog
        self.error.setText("")
        self.product_button.setToolTip(self.tr("Products from {path}").format(path=catalog.path))
        self.open_product_picker()

    def _on_catalog_failed(self, error: BaseException) -> None:
        self.error.setText(str(getattr(error, "message", None) or error))

    def open_product_picker(self) -> None:
        from ui.cover_products import ProductPickerDialog

        if self.catalog is None:
            return
        doc = self.model.document
        if self.product_dialog is not None:
            self.product_dialog.deleteLater()
        dialog = ProductPickerDialog(self.catalog, doc.language, doc.variables.get("locale", "en_US"), self)
        current = doc.variables.get("sku")
        if current:
            dialog.select_sku(current)
        dialog.product_chosen.connect(self.apply_product)
        dialog.other_catalog_requested.connect(self.choose_catalog)
        self.product_dialog = dialog
        dialog.open()

    def apply_product(self, sku: str) -> None:
        """Fill the cover from the catalog's product ``sku`` (one undo step)."""
        from cover_designer.errors import CoverError
        from cover_designer.products import apply_product, photo_note

        if self.catalog is None:
            return
        try:
            product = self.catalog.find(sku)
        except CoverError as exc:
            self.error.setText(exc.message)
            return
        note = photo_note(product, self.catalog.folder)
        self.error.setText(note or "")
        self._push(apply_product(self.model.document, product, self.catalog.folder), self.tr("Fill from product"))

    # -- fill the show's times from the team's plan
    def choose_show(self) -> None:
        """Read the team's plan off the GUI thread, then pick a show and the viewers' market."""
        from studio.schedule.store import load_team_plan
        from ui.workers import run_in_background

        self.error.setText(self.tr("Reading the team's show plan…"))
        run_in_background(load_team_plan, self._on_team_plan, self._on_csv_failed, receiver=self, pool=self._pool)

    def _on_team_plan(self, plan) -> None:
        from ui.cover_show_time import ShowTimeDialog

        self.planned_shows = list(plan.shows)
        if not self.planned_shows:
            self.error.setText(self.tr("No show is planned yet: plan one with “Schedule a show…” first."))
            return
        self.error.setText("")
        doc = self.model.document
        if self.show_dialog is not None:
            self.show_dialog.deleteLater()
        dialog = ShowTimeDialog(self.planned_shows, doc.variables.get("locale"), doc.region, self)
        dialog.chosen.connect(self.apply_show)
        self.show_dialog = dialog
        dialog.open()

    def apply_show(self, show_id: str, market_code: str) -> None:
        """Fill the show's times as the chosen market's viewers read them (one undo step)."""
        from studio.schedule import ScheduleError, cover_time_variables

        show = next((s for s in self.planned_shows if s.id == show_id), None)
        if show is None:
            return
        try:
            values = cover_time_variables(show.start, market_code, show.title)
        except ScheduleError as exc:
            self.error.setText(str(exc))
            return
        doc = self.model.document
        if all(doc.variables.get(name) == value for name, value in values.items()):
            return
        after = doc.model_copy(update={"variables": {**doc.variables, **values}}, deep=True)
        self._push(after, self.tr("Fill from a planned show"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([self.tr("Variable"), self.tr("Value")])
        self.name_edit.setPlaceholderText(self.tr("new variable, e.g. product_name"))
        self.add_button.setText(self.tr("Add"))
        self.remove_button.setText(self.tr("Remove"))
        self.show_button.setText(self.tr("Fill from a planned show…"))
        self.show_button.setToolTip(self.tr("The start time of a show on the team's plan, in the cover's market's "
                                            "time zone and words ({start_time_local} and the like)"))
        self.csv_button.setText(self.tr("Fill from CSV…"))
        self.csv_button.setToolTip(self.tr("Preview the cover with a product row from a CSV file (the same file the "
                                           "batch export takes)"))
        self.row_combo.setToolTip(self.tr("Product row"))
        self.product_button.setText(self.tr("Fill from product…"))
        if self.catalog is None:
            self.product_button.setToolTip(self.tr("Preview the cover with a product from the live catalog file "
                                                   "(CSV or JSON, as the live panel imports it)"))
