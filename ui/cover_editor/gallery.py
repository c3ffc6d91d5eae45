"""The template gallery: templates filtered by region and category, each shown rendered at the
chosen platform preset (read and rendered on pool threads, one picture at a time)."""
from __future__ import annotations

from PIL import Image
from PySide6.QtCore import QSize, Qt, QThreadPool
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget,
)

from cover_designer.presets import PRESETS
from ui.cover_editor.labels import category_labels, region_labels
from ui.cover_editor.rendering import qimage
from ui.workers import run_in_background

THUMBNAIL_PX = 96  # template gallery pictures


def template_thumbnail(template_id: str, preset_id: str, side_px: int) -> QImage:
    """Runs on a pool thread: a template rendered at a preset, shrunk to fit a square of ``side_px``."""
    from cover_designer.render import render
    from cover_designer.resize import for_preset
    from cover_designer.templates import load_template

    preset = PRESETS[preset_id]
    image = render(for_preset(load_template(template_id), preset), preset).image
    image.thumbnail((side_px, side_px), Image.Resampling.LANCZOS)
    return qimage(image)


class TemplateGallery(QDialog):
    """Templates filtered by region and category, opened at the chosen platform preset."""

    def __init__(self, parent: QWidget | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Template gallery"))
        self.rows: list[dict] = []
        self.region = QComboBox()
        self.category = QComboBox()
        self.platform = QComboBox()
        self.region.addItem(self.tr("All regions"), "")
        for key, label in region_labels(self).items():
            self.region.addItem(label, key)
        self.category.addItem(self.tr("All categories"), "")
        for key, label in category_labels(self).items():
            self.category.addItem(label, key)
        for preset in PRESETS.values():
            self.platform.addItem(preset.name, preset.id)
        self.list = QListWidget()
        self.status = QLabel(self.tr("Loading templates…"))
        self.thumbnails: dict[tuple[str, str], QImage] = {}
        self._thumbnail_busy = False
        self._pool = pool
        self.list.setIconSize(QSize(THUMBNAIL_PX, THUMBNAIL_PX))
        self.platform.currentIndexChanged.connect(self._refilter)
        filters = QHBoxLayout()
        for label, combo in ((self.tr("Region"), self.region), (self.tr("Category"), self.category),
                             (self.tr("Platform"), self.platform)):
            filters.addWidget(QLabel(label))
            filters.addWidget(combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.list)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.region.currentIndexChanged.connect(self._refilter)
        self.category.currentIndexChanged.connect(self._refilter)
        self.resize(620, 460)
        from cover_designer.templates import list_templates

        run_in_background(list_templates, self._on_rows, self._on_failed, receiver=self, pool=pool)

    def _on_rows(self, rows: list[dict]) -> None:
        self.rows = rows
        self.status.setText("")
        self._refilter()

    def _next_thumbnail(self) -> None:
        """Render the first listed template without a picture; one at a time, so closing stops the chain."""
        if self._thumbnail_busy:
            return
        preset_id = self.platform.currentData()
        for row in range(self.list.count()):
            item = self.list.item(row)
            key = (item.data(Qt.ItemDataRole.UserRole), preset_id)
            if key in self.thumbnails:
                item.setIcon(QIcon(QPixmap.fromImage(self.thumbnails[key])))
                continue
            self._thumbnail_busy = True
            run_in_background(lambda key=key: (key, template_thumbnail(*key, THUMBNAIL_PX)), self._on_thumbnail,
                              lambda _error: None, receiver=self, pool=self._pool)
            return

    def _on_thumbnail(self, result) -> None:
        key, image = result
        self._thumbnail_busy = False
        self.thumbnails[key] = image
        self._next_thumbnail()

    def _on_failed(self, error: BaseException) -> None:
        self.status.setText(self.tr("Could not read the templates: {reason}").format(reason=error))

    def _refilter(self) -> None:
        region, category = self.region.currentData(), self.category.currentData()
        self.list.clear()
        regions, categories = region_labels(self), category_labels(self)
        for row in self.rows:
            if (region and row["region"] != region) or (category and row["category"] != category):
                continue
            item = QListWidgetItem(f"{row['name']}\n{categories.get(row['category'], row['category'])} · {row['language']}")
            item.setToolTip(f"{regions.get(row['region'], row['region'])} · {row['id']}")
            item.setData(Qt.ItemDataRole.UserRole, row["id"])
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self._next_thumbnail()

    def set_filters(self, region: str, category: str) -> None:
        """Show the region and category filters chosen last time ("" = all; an unknown key = all)."""
        self.region.setCurrentIndex(max(0, self.region.findData(region)))
        self.category.setCurrentIndex(max(0, self.category.findData(category)))

    def filters(self) -> tuple[str, str]:
        """The region and category filters shown ("" = all)."""
        return self.region.currentData() or "", self.category.currentData() or ""

    def chosen(self) -> tuple[str, str]:
        item = self.list.currentItem()
        return (item.data(Qt.ItemDataRole.UserRole) if item else ""), self.platform.currentData()
