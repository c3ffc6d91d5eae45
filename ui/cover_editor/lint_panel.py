"""The checks dock: the lint findings of the last render; clicking one selects its layer."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from ui.cover_model import CoverEditorModel


class LintPanel(QListWidget):
    """The findings (rule, severity, message, fix), errors in red and warnings in amber."""

    def __init__(self, model: CoverEditorModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.findings: list = []
        self.setWordWrap(True)
        self.itemClicked.connect(self._on_finding_clicked)

    def show_findings(self, findings: list) -> None:
        self.findings = findings
        self.clear()
        if not findings:
            self.addItem(QListWidgetItem(self.tr("No problems found.")))
            return
        for finding in findings:
            label = self.tr("error") if finding.severity == "error" else self.tr("warning")
            item = QListWidgetItem(f"{finding.rule} {label}: {finding.message} — {finding.fix}")
            item.setData(Qt.ItemDataRole.UserRole, finding.layer or "")
            item.setForeground(QColor("#C62828") if finding.severity == "error" else QColor("#B26A00"))
            self.addItem(item)

    def _on_finding_clicked(self, item: QListWidgetItem) -> None:
        layer_id = item.data(Qt.ItemDataRole.UserRole)
        if layer_id and self.model.layer(layer_id) is not None:
            self.model.select(layer_id)
