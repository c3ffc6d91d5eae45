"""The selected layer's properties (name, text, font, colour, opacity, position, rotation, anchor,
align): a view of the model's selected layer; each change is one undo step through ``CoverEdits``.

Rows that do not apply to the kind of layer are hidden; with no layer selected the panel hides and
the background panel (in the same dock) shows instead."""
from __future__ import annotations

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QLabel, QLineEdit, QPushButton, QWidget,
)

from cover_designer.document import ANCHOR_POINTS
from cover_designer.editing import ALIGN_SIDES, color_field, own_frames
from cover_designer.geometry import (
    active_frame, frame_key, frame_pixels, frame_with_pixels, reanchored_frame, with_frame,
)
from ui.cover_editor.edits import CoverEdits
from ui.cover_editor.labels import aspect_labels
from ui.cover_editor.layer_commands import LayerCommands
from ui.cover_fonts import FontFamilyPicker
from ui.cover_model import CoverEditorModel


class PropertiesPanel(QWidget):
    """The form of the selected layer's fields; refreshed when the document, selection or preset changes."""

    def __init__(self, model: CoverEditorModel, edits: CoverEdits, commands: LayerCommands,
                 pool: QThreadPool | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.edits = edits
        form = QFormLayout(self)
        self.prop_labels: dict[str, QLabel] = {}
        self.name_edit = QLineEdit()
        self.text_edit = QLineEdit()
        self.font_size = QDoubleSpinBox()
        self.font_size.setRange(1, 1000)
        self.font_size.setDecimals(0)
        self.color_edit = QLineEdit()
        self.color_edit.setPlaceholderText("#RRGGBB")
        # The font list is read on a pool thread; picking a family is one undo step and re-renders
        # off the GUI thread like every other edit.
        self.family_combo = FontFamilyPicker(pool=pool)
        self.family_combo.family_chosen.connect(lambda name: edits.commit("font_family", name, self.tr("Change font")))
        self.weight_combo = QComboBox()
        for weight in ("regular", "medium", "bold", "black"):
            self.weight_combo.addItem("", weight)
        self.weight_combo.activated.connect(lambda _i: edits.commit("font_weight", self.weight_combo.currentData()))
        self.align_combo = QComboBox()
        for align in ("start", "left", "center", "right", "end"):
            self.align_combo.addItem("", align)
        self.align_combo.activated.connect(lambda _i: edits.commit("align", self.align_combo.currentData()))
        self.opacity = QDoubleSpinBox()
        self.opacity.setRange(0, 1)
        self.opacity.setSingleStep(0.05)
        self.rotation_spin = QDoubleSpinBox()
        self.rotation_spin.setRange(-360, 360)
        self.rotation_spin.setDecimals(1)
        self.rotation_spin.setSuffix("°")
        self.rotation_spin.editingFinished.connect(
            lambda: edits.commit("rotation_deg", round(self.rotation_spin.value(), 2), self.tr("Rotate layer")))
        # Anchors: which point of the canvas (or safe area) the layer keeps its distance to when the
        # cover is re-laid out for another preset.  Changing them leaves the layer where it is.
        self.anchor_combo = QComboBox()
        for anchor in ANCHOR_POINTS:
            self.anchor_combo.addItem("", anchor)
        self.anchor_combo.activated.connect(lambda _i: self._commit_anchor())
        self.relative_combo = QComboBox()
        for area in ("canvas", "safe"):
            self.relative_combo.addItem("", area)
        self.relative_combo.activated.connect(lambda _i: self._commit_anchor())
        self.own_frame_check = QCheckBox()
        self.own_frame_check.clicked.connect(self._toggle_own_frame)
        self.frame_spins: dict[str, QDoubleSpinBox] = {}
        # Offsets and size in pixels of the preset shown (the document keeps fractions of its area).
        for key in ("dx", "dy", "w", "h"):
            spin = QDoubleSpinBox()
            spin.setDecimals(0)
            spin.setSingleStep(1)
            spin.setSuffix(" px")
            spin.editingFinished.connect(lambda key=key: self._commit_frame(key))
            self.frame_spins[key] = spin
        self.name_edit.editingFinished.connect(lambda: edits.commit("name", self.name_edit.text()))
        self.text_edit.editingFinished.connect(lambda: edits.commit("text", self.text_edit.text()))
        self.font_size.editingFinished.connect(lambda: edits.commit("font_size", self.font_size.value()))
        self.color_edit.editingFinished.connect(self._commit_color)
        self.opacity.editingFinished.connect(lambda: edits.commit("opacity", round(self.opacity.value(), 3)))
        self.align_buttons: dict[str, QPushButton] = {}
        align_grid = QWidget()
        grid = QGridLayout(align_grid)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        for index, side in enumerate(ALIGN_SIDES):
            button = QPushButton()
            button.clicked.connect(lambda _checked=False, side=side: commands.align_layer(side))
            self.align_buttons[side] = button
            grid.addWidget(button, index // 3, index % 3)
        rows = [("name", self.name_edit), ("text", self.text_edit), ("font_family", self.family_combo),
                ("font_size", self.font_size),
                ("font_weight", self.weight_combo), ("align", self.align_combo), ("color", self.color_edit), ("opacity", self.opacity)] + list(self.frame_spins.items()) + [
                    ("rotation", self.rotation_spin), ("anchor", self.anchor_combo), ("relative_to", self.relative_combo),
                    ("own_frame", self.own_frame_check), ("align_to", align_grid)]
        for key, widget in rows:
            label = QLabel()
            self.prop_labels[key] = label
            form.addRow(label, widget)
        self.prop_error = QLabel()
        self.prop_error.setWordWrap(True)
        self.prop_error.setStyleSheet("color: #C62828")
        form.addRow(self.prop_error)
        self.properties_form = form
        self.setMinimumWidth(260)
        edits.problem.connect(self.prop_error.setText)
        model.document_changed.connect(self.refresh)
        model.selection_changed.connect(lambda _layer_id: self.refresh())
        model.preset_changed.connect(lambda _preset_id: self.refresh())

    def refresh(self) -> None:
        """Show the selected layer's fields (or hide the form when none is selected)."""
        layer = self.model.layer(self.model.selected)
        self.setEnabled(layer is not None)
        self.setVisible(layer is not None)  # the background panel shows instead
        if layer is None:
            return
        widgets = [self.name_edit, self.text_edit, self.family_combo, self.font_size, self.weight_combo, self.align_combo, self.color_edit,
                   self.opacity, self.rotation_spin, self.anchor_combo, self.relative_combo, self.own_frame_check,
                   *self.frame_spins.values()]
        for widget in widgets:
            widget.blockSignals(True)
        self.name_edit.setText(layer.name)
        has_text = hasattr(layer, "text")
        # Rows that do not apply to this kind of layer are hidden, not greyed out: less to read.
        applies = {"text": has_text, "font_family": hasattr(layer, "font"), "font_size": hasattr(layer, "font"),
                   "font_weight": hasattr(layer, "font"),
                   "align": hasattr(layer, "align"),
                   "color": color_field(layer) is not None and layer.type not in ("image", "logo")}
        for key, visible in applies.items():
            self.properties_form.setRowVisible(self.prop_labels[key], visible)
        self.text_edit.setEnabled(has_text)
        self.text_edit.setText(getattr(layer, "text", ""))
        has_font = hasattr(layer, "font")
        self.font_size.setEnabled(has_font)
        self.font_size.setValue(layer.font.size if has_font else 0)
        self.family_combo.setEnabled(has_font)
        self.family_combo.set_family(layer.font.family if has_font else None)
        self.weight_combo.setEnabled(has_font)
        self.weight_combo.setCurrentIndex(max(0, self.weight_combo.findData(layer.font.weight if has_font else "")))
        has_align = hasattr(layer, "align")
        self.align_combo.setEnabled(has_align)
        self.align_combo.setCurrentIndex(max(0, self.align_combo.findData(getattr(layer, "align", ""))))
        field_name = color_field(layer)
        self.color_edit.setEnabled(field_name is not None)
        self.color_edit.setText(getattr(layer, field_name) if field_name else "")
        self.opacity.setValue(layer.opacity)
        self.rotation_spin.setValue(layer.rotation_deg)
        frame = active_frame(layer, self.model.preset)
        self.anchor_combo.setCurrentIndex(max(0, self.anchor_combo.findData(frame.anchor)))
        self.relative_combo.setCurrentIndex(max(0, self.relative_combo.findData(frame.relative_to)))
        self.own_frame_check.setChecked(frame_key(layer, self.model.preset) is not None)
        self.own_frame_check.setText(self.tr("Own {shape} position").format(
            shape=aspect_labels(self)[self.model.preset.aspect_class]))
        for key, (value_px, low_px, high_px) in frame_pixels(frame, self.model.preset).items():
            self.frame_spins[key].setRange(low_px, high_px)
            self.frame_spins[key].setValue(round(value_px))
        tip = (self.tr("Line the layer up with the safe area") if frame.relative_to == "safe"
               else self.tr("Line the layer up with the canvas"))
        for button in self.align_buttons.values():
            button.setToolTip(tip)
            button.setEnabled(not layer.locked)
        for widget in widgets:
            widget.blockSignals(False)
        self.prop_error.setText("")

    def _commit_color(self) -> None:
        layer = self.model.layer(self.model.selected)
        field_name = color_field(layer) if layer else None
        if field_name:
            text = self.color_edit.text().strip()
            self.edits.commit(field_name, text if text.startswith("#") else "#" + text)

    def _commit_frame(self, key: str) -> None:
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        frame = active_frame(layer, self.model.preset)
        value_px = self.frame_spins[key].value()
        if abs(frame_pixels(frame, self.model.preset)[key][0] - value_px) < 0.5:
            return  # the same whole pixel: no undo step for a field left unchanged
        new_frame = frame_with_pixels(frame, self.model.preset, key, value_px)
        self.edits.push(with_frame(self.model.document, layer.id, self.model.preset, new_frame), self.tr("Move layer"))

    def _commit_anchor(self) -> None:
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        preset = self.model.preset
        frame = reanchored_frame(active_frame(layer, preset), preset, self.model.is_mirrored(layer),
                                 self.anchor_combo.currentData(), self.relative_combo.currentData())
        self.edits.push(with_frame(self.model.document, layer.id, preset, frame), self.tr("Change anchor"))

    def _toggle_own_frame(self, on: bool) -> None:
        """Give the layer its own frame for this preset's shape (16:9, 9:16 or 1:1), or drop it."""
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        key = self.model.preset.aspect_class
        self.edits.commit("frame_by_aspect", own_frames(layer, key, on), self.tr("Own {shape} position").format(
            shape=aspect_labels(self)[key]) if on else self.tr("Shared position"))

    def retranslate(self) -> None:
        labels = {"name": self.tr("Name"), "text": self.tr("Text"), "font_size": self.tr("Font size"),
                  "color": self.tr("Colour"), "opacity": self.tr("Opacity"), "dx": self.tr("Offset X"),
                  "dy": self.tr("Offset Y"), "w": self.tr("Width"), "h": self.tr("Height"), "rotation": self.tr("Rotation"),
                  "anchor": self.tr("Anchor"), "relative_to": self.tr("Relative to"), "own_frame": "",
                  "align_to": self.tr("Align")}
        labels.update({"font_weight": self.tr("Weight"), "align": self.tr("Alignment"), "font_family": self.tr("Font")})
        for key, label in self.prop_labels.items():
            label.setText(labels[key])
        weights = {"regular": self.tr("Regular"), "medium": self.tr("Medium"), "bold": self.tr("Bold"),
                   "black": self.tr("Black")}
        for index in range(self.weight_combo.count()):
            self.weight_combo.setItemText(index, weights[self.weight_combo.itemData(index)])
        aligns = {"start": self.tr("Start of line"), "left": self.tr("Left"), "center": self.tr("Centre"),
                  "right": self.tr("Right"), "end": self.tr("End of line")}
        for index in range(self.align_combo.count()):
            self.align_combo.setItemText(index, aligns[self.align_combo.itemData(index)])
        anchors = {"top_left": self.tr("Top left"), "top": self.tr("Top"), "top_right": self.tr("Top right"),
                   "left": self.tr("Left"), "center": self.tr("Centre"), "right": self.tr("Right"),
                   "bottom_left": self.tr("Bottom left"), "bottom": self.tr("Bottom"),
                   "bottom_right": self.tr("Bottom right")}
        for index in range(self.anchor_combo.count()):
            self.anchor_combo.setItemText(index, anchors[self.anchor_combo.itemData(index)])
        areas = {"canvas": self.tr("Whole canvas"), "safe": self.tr("Safe area")}
        for index in range(self.relative_combo.count()):
            self.relative_combo.setItemText(index, areas[self.relative_combo.itemData(index)])
        sides = {"left": self.tr("Left"), "center": self.tr("Centre"), "right": self.tr("Right"), "top": self.tr("Top"),
                 "middle": self.tr("Middle"), "bottom": self.tr("Bottom")}
        for side, button in self.align_buttons.items():
            button.setText(sides[side])
        self.refresh()  # tooltips that depend on the layer
