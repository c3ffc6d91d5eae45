"""Sources ▸ Filters…: the selected layer's picture tools — chroma key, colour correction, a
``.cube`` colour look, sharpen, virtual background (blur, picture or colour behind the person, no
green screen), beauty — added, ordered, tuned and removed, applied live on the program.

A view over ``SceneItem.filters`` (:mod:`studio.compositor.filters` does the work on the
compositor's thread).  Every change is one ``studio.items.update`` (validated by the engine);
a look file that cannot be used is said under the list and the picture stays on air.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QColorDialog, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QMenu, QPushButton, QSlider, QVBoxLayout, QWidget)

from pydantic import TypeAdapter

from studio.engine import Studio
from studio.scene import MAX_FILTERS, ItemFilter

KINDS = ("chroma_key", "color", "lut", "sharpen", "virtual_background", "beauty")
BACKGROUND_MODES = ("blur", "image", "color")
_FILTER = TypeAdapter(ItemFilter)  # built once: the dialog completes a filter on every slider move
KEY_COLOURS = (("green", "#00FF00"), ("blue", "#0047BB"))
SLIDER_STEPS = 1000
# name: (low, high) of each number a filter has (the engine's own ranges, studio/scene.py)
RANGES = {"similarity": (0.0, 1.0), "smoothness": (0.001, 1.0), "spill": (0.001, 1.0), "brightness": (-1.0, 1.0),
          "contrast": (-1.0, 1.0), "saturation": (0.0, 3.0), "gamma": (0.1, 3.0), "amount": (0.0, 3.0),
          "strength": (0.0, 1.0), "brightening": (0.0, 1.0)}
NUMBERS = {"chroma_key": ("similarity", "smoothness", "spill"), "color": ("brightness", "contrast", "saturation", "gamma"),
           "lut": ("amount",), "sharpen": ("amount",), "virtual_background": ("strength",), "beauty": ("strength", "brightening")}


class FiltersDialog(QDialog):
    def __init__(self, studio: Studio, scene_id: str, item_id: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filtersDialog")
        self.studio, self.scene_id, self.item_id, self.title = studio, scene_id, item_id, title
        self.filters: list[dict[str, Any]] = [f.model_dump(mode="json") for f in self._item().filters] if self._item() else []
        self.list = QListWidget(self)
        self.list.setObjectName("filterList")
        self.list.currentRowChanged.connect(self._show_form)
        self.add_button = QPushButton(self)
        self.add_menu = QMenu(self)
        for kind in KINDS:
            self.add_menu.addAction("", lambda kind=kind: self.add_filter(kind)).setData(kind)
        self.add_button.setMenu(self.add_menu)
        self.remove_button, self.up_button, self.down_button = QPushButton(self), QPushButton(self), QPushButton(self)
        self.remove_button.clicked.connect(self.remove_selected)
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(+1))
        self.form_host = QWidget(self)
        self.form = QFormLayout(self.form_host)
        self.problem = QLabel(self)
        self.problem.setObjectName("filterProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #ff6b6b;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            row.addWidget(button)
        row.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addLayout(row)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(self.form_host, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.sliders: dict[str, QSlider] = {}
        self.key_box: QComboBox | None = None
        self.path_edit: QLineEdit | None = None
        self.mode_box: QComboBox | None = None
        self.picture_button: QPushButton | None = None
        self.colour_button: QPushButton | None = None
        self._problem_timer = QTimer(self)
        self._problem_timer.setSingleShot(True)
        self._problem_timer.setInterval(400)
        self._problem_timer.timeout.connect(self._show_problem)
        self.retranslate()
        self._fill_list()

    def _item(self):
        scene = self.studio.collection.scene(self.scene_id)
        return next((i for i in scene.items if i.id == self.item_id), None) if scene else None

    # -- list ---------------------------------------------------------------------------------
    def _kind_name(self, kind: str) -> str:
        return {"chroma_key": self.tr("Chroma key"), "color": self.tr("Colour correction"),
                "lut": self.tr("Colour look (.cube)"), "sharpen": self.tr("Sharpen"),
                "virtual_background": self.tr("Virtual background"), "beauty": self.tr("Beauty filter")}[kind]

    def _fill_list(self, select: int | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for spec in self.filters:
            self.list.addItem(self._kind_name(spec["kind"]))
        self.list.blockSignals(False)
        row = select if select is not None else (0 if self.filters else -1)
        self.list.setCurrentRow(min(row, len(self.filters) - 1))
        self._show_form(self.list.currentRow())
        self.add_button.setEnabled(len(self.filters) < MAX_FILTERS)

    def add_filter(self, kind: str, path: str | None = None) -> None:
        if len(self.filters) >= MAX_FILTERS:
            return
        if kind == "lut" and path is None:
            path, _filter = QFileDialog.getOpenFileName(self, self.tr("Colour look"), "", self.tr("3D LUT files (*.cube)"))
            if not path:
                return
        spec: dict[str, Any] = {"kind": kind}
        if path:
            spec["path"] = path
        self.filters.append(spec)
        self._apply()
        self._fill_list(len(self.filters) - 1)

    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.filters):
            del self.filters[row]
            self._apply()
            self._fill_list(max(0, row - 1))

    def move_selected(self, steps: int) -> None:
        row = self.list.currentRow()
        target = row + steps
        if 0 <= row < len(self.filters) and 0 <= target < len(self.filters):
            self.filters.insert(target, self.filters.pop(row))
            self._apply()
            self._fill_list(target)

    # -- the selected filter's settings ------------------------------------------------------------
    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.sliders, self.key_box, self.path_edit = {}, None, None
        self.mode_box, self.picture_button, self.colour_button = None, None, None

    def _show_form(self, row: int) -> None:
        self._clear_form()
        for button in (self.remove_button, self.up_button, self.down_button):
            button.setEnabled(0 <= row < len(self.filters))
        if not 0 <= row < len(self.filters):
            return
        spec = self._complete(self.filters[row])
        if spec["kind"] == "chroma_key":
            self.key_box = QComboBox(self.form_host)
            self.key_box.setObjectName("keyColourBox")
            for name, colour in KEY_COLOURS:
                self.key_box.addItem(self.tr("Green") if name == "green" else self.tr("Blue"), colour)
            self.key_box.setCurrentIndex(max(0, self.key_box.findData(spec["color"].upper())))
            self.key_box.currentIndexChanged.connect(lambda _i: self._set(row, "color", self.key_box.currentData()))
            self.form.addRow(self.tr("Key colour:"), self.key_box)
        if spec["kind"] == "lut":
            self.path_edit = QLineEdit(spec["path"], self.form_host)
            self.path_edit.setReadOnly(True)
            self.form.addRow(self.tr("File:"), self.path_edit)
        if spec["kind"] == "virtual_background":
            self._background_rows(row, spec)
        labels = {"similarity": self.tr("Similarity"), "smoothness": self.tr("Smoothness"),
                  "spill": self.tr("Spill reduction"), "brightness": self.tr("Brightness"), "contrast": self.tr("Contrast"),
                  "saturation": self.tr("Saturation"), "gamma": self.tr("Gamma"), "amount": self.tr("Amount"),
                  "strength": self.tr("Blur strength") if spec["kind"] == "virtual_background" else self.tr("Smoothing"),
                  "brightening": self.tr("Brightening")}
        for name in NUMBERS[spec["kind"]]:
            if name == "strength" and spec["kind"] == "virtual_background" and spec["mode"] != "blur":
                continue
            low, high = (0.0, 1.0) if (spec["kind"], name) == ("lut", "amount") else RANGES[name]
            slider = QSlider(Qt.Orientation.Horizontal, self.form_host)
            slider.setObjectName(f"{name}Slider")
            slider.setRange(0, SLIDER_STEPS)
            slider.setMinimumWidth(180)
            slider.setValue(round((float(spec[name]) - low) / (high - low) * SLIDER_STEPS))
            slider.valueChanged.connect(lambda value, name=name, low=low, high=high:
                                        self._set(row, name, round(low + (high - low) * value / SLIDER_STEPS, 3)))
            self.sliders[name] = slider
            self.form.addRow(labels[name], slider)

    def _background_rows(self, row: int, spec: dict[str, Any]) -> None:
        """Virtual background: what goes behind the person, and the picture or colour it uses."""
        self.mode_box = QComboBox(self.form_host)
        self.mode_box.setObjectName("backgroundModeBox")
        names = {"blur": self.tr("Blur the room"), "image": self.tr("Picture"), "color": self.tr("Colour")}
        for mode in BACKGROUND_MODES:
            self.mode_box.addItem(names[mode], mode)
        self.mode_box.setCurrentIndex(max(0, self.mode_box.findData(spec["mode"])))
        self.mode_box.currentIndexChanged.connect(lambda _i: self._set(row, "mode", self.mode_box.currentData(), rebuild=True))
        self.form.addRow(self.tr("Background:"), self.mode_box)
        if spec["mode"] == "image":
            self.path_edit = QLineEdit(spec["image_path"], self.form_host)
            self.path_edit.setReadOnly(True)
            self.path_edit.setPlaceholderText(self.tr("No picture chosen"))
            self.picture_button = QPushButton(self.tr("Choose…"), self.form_host)
            self.picture_button.setObjectName("backgroundPictureButton")
            self.picture_button.clicked.connect(lambda: self._choose_picture(row))
            line = QHBoxLayout()
            line.addWidget(self.path_edit, 1)
            line.addWidget(self.picture_button)
            self.form.addRow(self.tr("Picture:"), line)
        elif spec["mode"] == "color":
            self.colour_button = QPushButton(spec["color"].upper(), self.form_host)
            self.colour_button.setObjectName("backgroundColourButton")
            self.colour_button.setStyleSheet(f"background: {spec['color']}; color: {self._ink(spec['color'])};")
            self.colour_button.clicked.connect(lambda: self._choose_colour(row))
            self.form.addRow(self.tr("Colour:"), self.colour_button)

    @staticmethod
    def _ink(hex_colour: str) -> str:
        """Black or white text, whichever reads on ``hex_colour``."""
        return "#000000" if QColor(hex_colour).lightnessF() > 0.55 else "#ffffff"

    def _choose_picture(self, row: int) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("Background picture"), "",
                                                    self.tr("Pictures (*.png *.jpg *.jpeg *.webp *.bmp)"))
        if path:
            self.set_background_picture(row, path)

    def set_background_picture(self, row: int, path: str) -> None:
        self._set(row, "image_path", path, rebuild=True)

    def _choose_colour(self, row: int) -> None:
        current = QColor(self._complete(self.filters[row])["color"])
        colour = QColorDialog.getColor(current, self, self.tr("Background colour"))
        if colour.isValid():
            self.set_background_colour(row, colour.name().upper())

    def set_background_colour(self, row: int, hex_colour: str) -> None:
        self._set(row, "color", hex_colour, rebuild=True)

    @staticmethod
    def _complete(spec: dict[str, Any]) -> dict[str, Any]:
        """The filter with its defaults filled in (the engine's models say what they are)."""
        return _FILTER.validate_python(spec).model_dump(mode="json")

    def _set(self, row: int, name: str, value: Any, rebuild: bool = False) -> None:
        if 0 <= row < len(self.filters):
            self.filters[row] = {**self._complete(self.filters[row]), name: value}
            self._apply()
            if rebuild:  # the form's rows depend on this value (the background's mode, picture, colour)
                QTimer.singleShot(0, lambda: self._show_form(self.list.currentRow()))

    def _apply(self) -> None:
        """Send the list to the engine (validated there; the program shows it on the next frame)."""
        from pydantic import ValidationError

        try:
            self.studio.items.update(self.scene_id, self.item_id, filters=list(self.filters))
        except ValidationError as exc:
            self.problem.setText(str(exc.errors()[0].get("msg", "")))
            return
        self.problem.setText("")
        self._problem_timer.start()

    def _show_problem(self) -> None:
        self.problem.setText(self.studio.compositor.filter_problem or "")

    # -- language -------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Filters: {name}").format(name=self.title))
        self.add_button.setText(self.tr("Add"))
        for action in self.add_menu.actions():
            action.setText(self._kind_name(action.data()) + ("…" if action.data() == "lut" else ""))
        self.remove_button.setText(self.tr("Remove"))
        self.up_button.setText(self.tr("Up"))
        self.down_button.setText(self.tr("Down"))
        if hasattr(self, "filters"):
            for row, spec in enumerate(self.filters):
                if self.list.item(row) is not None:
                    self.list.item(row).setText(self._kind_name(spec["kind"]))
            self._show_form(self.list.currentRow())
