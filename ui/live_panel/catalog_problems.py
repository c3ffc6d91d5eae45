"""The dialog that lists a catalog file's row problems before it may replace the catalog in use."""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from studio.core.i18n import ngettext


class CatalogProblemsDialog(QDialog):
    """Row number, column and reason for every problem of a catalog file.

    With products to import (``can_replace``): "Replace anyway" (accept) or "Cancel" (the
    catalog in use stays).  With nothing to import: the problems and "Close" only.
    """

    def __init__(self, name: str, errors: list[Any], product_count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("catalogProblemsDialog")
        self.setWindowTitle(self.tr("Catalog problems"))
        self.can_replace = product_count > 0
        layout = QVBoxLayout(self)
        skipped = len({e.row for e in errors if e.row > 0})
        if self.can_replace:
            summary = " ".join((
                ngettext("{name}: {count} product can be imported.", "{name}: {count} products can be imported.",
                         product_count).format(name=name, count=product_count),
                ngettext("{count} row has a problem and would be left out.",
                         "{count} rows have problems and would be left out.", skipped).format(count=skipped),
                self.tr("“Replace anyway” swaps the catalog in use for this one; “Cancel” keeps it."),
            ))
        else:
            summary = self.tr("Nothing in {name} can be imported, so the catalog in use stays. "
                              "Fix the rows below and load the file again.").format(name=name)
        self.summary_label = QLabel(summary, self)
        self.summary_label.setWordWrap(True)
        layout.addWidget(self.summary_label)
        self.table = QTableWidget(len(errors), 3, self)
        self.table.setObjectName("catalogProblems")
        self.table.setHorizontalHeaderLabels([self.tr("Row"), self.tr("Column"), self.tr("Problem")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        for index, error in enumerate(errors):
            row_text = str(error.row) if error.row > 0 else self.tr("header")
            for column, text in enumerate((row_text, error.column or "", error.message)):
                self.table.setItem(index, column, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        hint = QLabel(self.tr("Rows are counted from the first line after the header."), self)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.buttons = QDialogButtonBox(self)
        self.replace_button: QPushButton | None = None
        if self.can_replace:
            self.replace_button = self.buttons.addButton(self.tr("Replace anyway"), QDialogButtonBox.ButtonRole.AcceptRole)
            self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        else:
            self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(640, 420)
