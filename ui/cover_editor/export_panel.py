"""The export dock: tick presets, pick a format and a folder, write one cover per preset (a numbered
set for presets that take several) on a pool thread; each preset's result is listed in words.
The files and their names are ``cover_designer.export_plan``'s."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget,
)

from cover_designer.export_plan import export_covers
from cover_designer.presets import PRESETS
from ui.cover_editor.labels import preset_label
from ui.cover_model import CoverEditorModel
from ui.workers import run_in_background


class ExportPanel(QWidget):
    """Exports the model's document; ``export_finished(rows)`` with one (preset, path, error) per file
    (an empty list when the export failed as a whole)."""

    export_finished = Signal(list)
    folder_chosen = Signal(str)  # the user picked another export folder (the window remembers it)

    def __init__(self, model: CoverEditorModel, base_dir: Callable[[], "str | None"], pool: QThreadPool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._base_dir = base_dir  # relative image paths of the cover resolve there
        self._pool = pool
        self._exporting = False
        self.export_rows: list = []  # ExportRow: preset id, path, error, warnings
        self.export_folder = str(Path.home())
        self.export_presets = QListWidget()
        for preset in PRESETS.values():
            item = QListWidgetItem(preset_label(preset))
            item.setData(Qt.ItemDataRole.UserRole, preset.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.export_presets.addItem(item)
        self.export_format = QComboBox()
        for fmt in ("jpeg", "png", "webp"):
            self.export_format.addItem(fmt.upper(), fmt)
        self.folder_button = QPushButton()
        self.folder_button.clicked.connect(self._choose_folder)
        self.export_button = QPushButton()
        self.export_button.clicked.connect(self.export_checked)
        self.export_status = QLabel()
        self.export_status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.export_format)
        row.addWidget(self.folder_button)
        row.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.export_presets)
        layout.addLayout(row)
        layout.addWidget(self.export_status)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Export folder"), self.export_folder)
        if folder:
            self.set_folder(folder)
            self.folder_chosen.emit(folder)

    def set_folder(self, folder: str) -> None:
        """Export into ``folder`` from now on."""
        self.export_folder = folder
        self.retranslate()

    def set_export_presets(self, preset_ids: list[str]) -> None:
        for row in range(self.export_presets.count()):
            item = self.export_presets.item(row)
            checked = item.data(Qt.ItemDataRole.UserRole) in preset_ids
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def export_checked(self) -> None:
        """Write one file per ticked preset into the export folder, on a pool thread."""
        preset_ids = [self.export_presets.item(row).data(Qt.ItemDataRole.UserRole)
                      for row in range(self.export_presets.count())
                      if self.export_presets.item(row).checkState() == Qt.CheckState.Checked]
        if not preset_ids:
            self.export_status.setText(self.tr("Tick at least one preset to export."))
            return
        if self._exporting:
            return
        self._exporting = True
        self.export_button.setEnabled(False)
        self.export_status.setText(self.tr("Exporting {count} covers…").format(count=len(preset_ids)))
        doc = self.model.document.model_copy(deep=True)
        folder = Path(self.export_folder)
        fmt = self.export_format.currentData()
        base_dir = self._base_dir()
        run_in_background(lambda: export_covers(doc, preset_ids, folder, fmt, base_dir), self._on_exported,
                          self._on_export_failed, receiver=self, pool=self._pool)

    def _on_exported(self, rows: list[tuple[str, str, str]]) -> None:
        self._exporting = False
        self.export_button.setEnabled(True)
        self.export_rows = rows
        lines = []
        for preset_id, path, error, *rest in rows:
            name = PRESETS[preset_id].name
            if error:
                lines.append(self.tr("{preset}: not written — {reason}").format(preset=name, reason=error))
            else:
                lines.append(self.tr("{preset}: written to {path}").format(preset=name, path=path))
                lines.extend(self.tr("  but: {warning}").format(warning=warning) for warning in (rest[0] if rest else ()))
        self.export_status.setText("\n".join(lines))
        self.export_finished.emit(rows)

    def _on_export_failed(self, error: BaseException) -> None:
        self._exporting = False
        self.export_button.setEnabled(True)
        self.export_status.setText(self.tr("Export failed: {reason}").format(reason=getattr(error, "message", error)))
        self.export_finished.emit([])

    def retranslate(self) -> None:
        self.folder_button.setText(self.tr("Folder: {name}").format(name=Path(self.export_folder).name or self.export_folder))
        self.folder_button.setToolTip(self.export_folder)
        self.export_button.setText(self.tr("Export ticked presets"))
        for row in range(self.export_presets.count()):
            item = self.export_presets.item(row)
            preset = PRESETS[item.data(Qt.ItemDataRole.UserRole)]
            label = preset_label(preset)
            if preset.cover_count > 1:
                # Say it up front: this preset writes a numbered set, not one file.
                label += " · " + self.tr("{count} covers").format(count=preset.cover_count)
            item.setText(label)
