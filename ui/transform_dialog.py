"""Position, size, opacity and crop of one scene item, in canvas pixels."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QGridLayout, QGroupBox, QLabel, QSpinBox, QVBoxLayout, QWidget

from studio.scene import Crop, SceneItem


class ItemTransformDialog(QDialog):
    """Edit an item's x, y, width, height, opacity and crop; ``fields()`` gives ``Studio.items.update`` kwargs."""

    def __init__(self, item: SceneItem, source_name: str, canvas_size: tuple[int, int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transformDialog")
        self._source_name = source_name
        canvas_w, canvas_h = canvas_size
        layout = QVBoxLayout(self)

        self.place_box = QGroupBox(self)
        form = QFormLayout(self.place_box)
        self.x_spin = self._spin(-canvas_w * 4, canvas_w * 4, item.x)
        self.y_spin = self._spin(-canvas_h * 4, canvas_h * 4, item.y)
        self.width_spin = self._spin(1, 16384, item.width)
        self.height_spin = self._spin(1, 16384, item.height)
        self.opacity_spin = self._spin(0, 100, round(item.opacity * 100))
        self.labels = {key: QLabel(self) for key in ("x", "y", "width", "height", "opacity", "left", "top", "right", "bottom")}
        for key, spin in (("x", self.x_spin), ("y", self.y_spin), ("width", self.width_spin), ("height", self.height_spin), ("opacity", self.opacity_spin)):
            self.labels[key].setBuddy(spin)  # a label shows its "&" shortcut only with a buddy
            form.addRow(self.labels[key], spin)
        layout.addWidget(self.place_box)

        self.crop_box = QGroupBox(self)
        grid = QGridLayout(self.crop_box)
        self.crop_spins = {
            "left": self._spin(0, 16384, item.crop.left),
            "top": self._spin(0, 16384, item.crop.top),
            "right": self._spin(0, 16384, item.crop.right),
            "bottom": self._spin(0, 16384, item.crop.bottom),
        }
        for row, key in enumerate(("left", "top", "right", "bottom")):
            grid.addWidget(self.labels[key], row // 2, (row % 2) * 2)
            grid.addWidget(self.crop_spins[key], row // 2, (row % 2) * 2 + 1)
            self.labels[key].setBuddy(self.crop_spins[key])
        layout.addWidget(self.crop_box)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.retranslate()

    def _spin(self, low: int, high: int, value: int) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setRange(low, high)
        spin.setValue(value)
        return spin

    def fields(self) -> dict[str, Any]:
        return {
            "x": self.x_spin.value(),
            "y": self.y_spin.value(),
            "width": self.width_spin.value(),
            "height": self.height_spin.value(),
            "opacity": self.opacity_spin.value() / 100.0,
            "crop": Crop(**{key: spin.value() for key, spin in self.crop_spins.items()}),
        }

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Transform: {name}").format(name=self._source_name))
        self.place_box.setTitle(self.tr("Position and size (canvas pixels)"))
        self.crop_box.setTitle(self.tr("Crop (source pixels)"))
        texts = {
            "x": self.tr("&X"),
            "y": self.tr("&Y"),
            "width": self.tr("&Width"),
            "height": self.tr("&Height"),
            "opacity": self.tr("&Opacity"),
            "left": self.tr("&Left"),
            "top": self.tr("&Top"),
            "right": self.tr("&Right"),
            "bottom": self.tr("&Bottom"),
        }
        for key, label in self.labels.items():
            label.setText(texts[key])
        self.opacity_spin.setSuffix(self.tr(" %"))
        for spin in (self.x_spin, self.y_spin, self.width_spin, self.height_spin):
            spin.setSuffix(self.tr(" px"))
