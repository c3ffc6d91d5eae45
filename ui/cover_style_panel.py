"""Style properties of the selected layer that the basic rows do not cover: text outline, shadow,
backing plate, shrink-to-fit, capitals, direction and language; a badge's shape and text colour; a
price tag's amounts, currency and locale; a QR code's link — and the cover's background when no
layer is selected.  Every change is one undo step through the editor.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox, QColorDialog, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QWidget,
)

if TYPE_CHECKING:  # pragma: no cover
    from ui.cover_editor import CoverEditorWindow

_COLOR = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def normalized_color(text: str) -> str | None:
    """``"ff0000"`` or ``"#FF0000"`` → ``"#FF0000"``; None if it is not a #RRGGBB(AA) colour."""
    text = text.strip()
    text = text if text.startswith("#") else "#" + text
    return text.upper() if _COLOR.match(text) else None


class ColorField(QWidget):
    """A #RRGGBB(AA) field with a swatch button that opens the colour picker."""

    committed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("#RRGGBB")
        self.edit.editingFinished.connect(self._typed)
        self.swatch = QPushButton()
        self.swatch.setFixedWidth(28)
        self.swatch.clicked.connect(self.pick)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.swatch)
        self.invalid = False

    def set_color(self, value: str | None) -> None:
        self.edit.blockSignals(True)
        self.edit.setText(value or "")
        self.edit.blockSignals(False)
        self.invalid = False
        self._paint(value)

    def _paint(self, value: str | None) -> None:
        color = value[:7] if value else "#00000000"
        self.swatch.setStyleSheet(f"background-color: {color}; border: 1px solid #888;")

    def _typed(self) -> None:
        value = normalized_color(self.edit.text())
        self.invalid = value is None
        if value is not None:
            self._paint(value)
            self.committed.emit(value)

    def pick(self) -> None:
        current = normalized_color(self.edit.text()) or "#FFFFFF"
        color = QColorDialog.getColor(QColor(current[:7]), self, self.tr("Choose a colour"))
        if color.isValid():
            value = color.name(QColor.NameFormat.HexRgb).upper() + (current[7:] if len(current) == 9 else "")
            self.set_color(value)
            self.committed.emit(value)


class StylePanel(QGroupBox):
    """The per-kind style rows of the selected layer (rows that do not apply are hidden)."""

    def __init__(self, editor: "CoverEditorWindow", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.model = editor.model
        self.form = QFormLayout(self)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.labels: dict[str, QLabel] = {}
        self.fields: dict[str, QWidget] = {}
        self._kinds: dict[str, tuple[str, ...]] = {}

        # Text effects.
        self.stroke_check = QCheckBox()
        self.stroke_check.clicked.connect(self._toggle_stroke)
        self.stroke_width = QDoubleSpinBox()
        self.stroke_width.setRange(0.5, 64)
        self.stroke_width.setDecimals(1)
        self.stroke_width.editingFinished.connect(lambda: self._nested("stroke", "width", round(self.stroke_width.value(), 1)))
        self.stroke_color = ColorField()
        self.stroke_color.committed.connect(lambda value: self._nested("stroke", "color", value))
        stroke_row = self._row(self.stroke_check, self.stroke_width, self.stroke_color)
        self.shadow_check = QCheckBox()
        self.shadow_check.clicked.connect(
            lambda on: self._set({"shadow": {} if on else None}, self.tr("Add shadow") if on else self.tr("Remove shadow")))
        self.plate_check = QCheckBox()
        self.plate_check.clicked.connect(self._toggle_plate)
        self.plate_color = ColorField()
        self.plate_color.committed.connect(lambda value: self._nested("plate", "color", value))
        plate_row = self._row(self.plate_check, self.plate_color)
        self.auto_fit = QCheckBox()
        self.auto_fit.clicked.connect(lambda on: self._set({"auto_fit": on}, self.tr("Shrink text to fit")))
        self.uppercase = QCheckBox()
        self.uppercase.clicked.connect(lambda on: self._set({"uppercase": on}, self.tr("Capitals")))
        self.valign = QComboBox()
        for value in ("top", "middle", "bottom"):
            self.valign.addItem("", value)
        self.valign.activated.connect(lambda _i: self._set({"valign": self.valign.currentData()}, self.tr("Edit layer")))
        self.direction = QComboBox()
        for value in ("auto", "ltr", "rtl"):
            self.direction.addItem("", value)
        self.direction.activated.connect(
            lambda _i: self._set({"direction": self.direction.currentData()}, self.tr("Text direction")))
        self.language = QLineEdit()
        self.language.editingFinished.connect(
            lambda: self._set({"language": self.language.text().strip() or None}, self.tr("Text language")))
        # Badges.
        self.shape = QComboBox()
        for value in ("pill", "rect", "circle", "burst", "ribbon"):
            self.shape.addItem("", value)
        self.shape.activated.connect(lambda _i: self._set({"shape": self.shape.currentData()}, self.tr("Badge shape")))
        self.text_color = ColorField()
        self.text_color.committed.connect(lambda value: self._set({"text_color": value}, self.tr("Edit layer")))
        # Price tags.
        self.amount = QLineEdit()
        self.amount.editingFinished.connect(lambda: self._text("amount", self.amount))
        self.original = QLineEdit()
        self.original.editingFinished.connect(
            lambda: self._set({"original": self.original.text().strip() or None}, self.tr("Edit price")))
        self.currency = QLineEdit()
        self.currency.editingFinished.connect(lambda: self._text("currency", self.currency))
        self.locale = QLineEdit()
        self.locale.editingFinished.connect(lambda: self._text("locale", self.locale))
        # QR codes.
        self.qr_data = QLineEdit()
        self.qr_data.editingFinished.connect(lambda: self._text("data", self.qr_data))

        for key, field, kinds in (
                ("stroke", stroke_row, ("text",)), ("shadow", self.shadow_check, ("text",)),
                ("plate", plate_row, ("text", "price")), ("auto_fit", self.auto_fit, ("text",)),
                ("uppercase", self.uppercase, ("text",)), ("valign", self.valign, ("text",)),
                ("direction", self.direction, ("text",)), ("language", self.language, ("text", "shape")),
                ("shape", self.shape, ("shape",)), ("text_color", self.text_color, ("shape",)),
                ("amount", self.amount, ("price",)), ("original", self.original, ("price",)),
                ("currency", self.currency, ("price",)), ("locale", self.locale, ("price",)),
                ("qr_data", self.qr_data, ("qr",))):
            label = QLabel()
            self.labels[key] = label
            self.fields[key] = field
            self._kinds[key] = kinds
            self.form.addRow(label, field)
        self._value_widgets: list[QWidget] = [
            self.stroke_check, self.stroke_width, self.shadow_check, self.plate_check, self.auto_fit, self.uppercase,
            self.valign, self.direction, self.language, self.shape, self.amount, self.original, self.currency,
            self.locale, self.qr_data]
        self.model.selection_changed.connect(lambda _id: self.refresh())
        self.model.document_changed.connect(self.refresh)
        self.retranslate()

    @staticmethod
    def _row(*widgets: QWidget) -> QWidget:
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            row.addWidget(widget, 1 if isinstance(widget, ColorField) else 0)
        return holder

    # -- model → widgets
    def refresh(self) -> None:
        layer = self.model.layer(self.model.selected)
        kind = layer.type if layer is not None else ""
        visible_rows = 0
        for key, kinds in self._kinds.items():
            shown = kind in kinds
            self.form.setRowVisible(self.labels[key], shown)
            visible_rows += shown
        self.setVisible(visible_rows > 0)
        if not visible_rows:
            return
        for widget in self._value_widgets:
            widget.blockSignals(True)
        get: Callable[[str, object], object] = lambda name, default=None: getattr(layer, name, default)  # noqa: E731
        stroke, plate = get("stroke"), get("plate")
        self.stroke_check.setChecked(stroke is not None)
        self.stroke_width.setEnabled(stroke is not None)
        self.stroke_color.setEnabled(stroke is not None)
        self.stroke_width.setValue(stroke.width if stroke else 4)
        self.stroke_color.set_color(stroke.color if stroke else None)
        self.shadow_check.setChecked(get("shadow") is not None)
        self.plate_check.setChecked(plate is not None)
        self.plate_color.setEnabled(plate is not None)
        self.plate_color.set_color(plate.color if plate else None)
        self.auto_fit.setChecked(bool(get("auto_fit", False)))
        self.uppercase.setChecked(bool(get("uppercase", False)))
        for combo, name in ((self.valign, "valign"), (self.direction, "direction"), (self.shape, "shape")):
            combo.setCurrentIndex(max(0, combo.findData(get(name, ""))))
        self.text_color.set_color(get("text_color"))
        for edit, name in ((self.language, "language"), (self.amount, "amount"), (self.original, "original"),
                           (self.currency, "currency"), (self.locale, "locale"), (self.qr_data, "data")):
            if not edit.hasFocus():
                edit.setText(get(name) or "")
        for widget in self._value_widgets:
            widget.blockSignals(False)

    # -- widgets → commands
    def _set(self, fields: dict, text: str) -> None:
        layer = self.model.layer(self.model.selected)
        if layer is not None and any(getattr(layer, name, object()) != value for name, value in fields.items()):
            self.editor.edits.push_fields(layer.id, fields, text)

    def _text(self, name: str, edit: QLineEdit) -> None:
        self._set({name: edit.text().strip()}, self.tr("Edit layer"))

    def _nested(self, name: str, key: str, value) -> None:
        layer = self.model.layer(self.model.selected)
        current = getattr(layer, name, None) if layer is not None else None
        if current is not None and getattr(current, key) != value:
            self.editor.edits.push_fields(layer.id, {name: {**current.model_dump(), key: value}}, self.tr("Edit layer"))

    def _toggle_stroke(self, on: bool) -> None:
        self._set({"stroke": {"width": 4, "color": "#000000"} if on else None},
                  self.tr("Add outline") if on else self.tr("Remove outline"))

    def _toggle_plate(self, on: bool) -> None:
        self._set({"plate": {} if on else None}, self.tr("Add backing plate") if on else self.tr("Remove backing plate"))

    def retranslate(self) -> None:
        self.setTitle(self.tr("Style"))
        labels = {"stroke": self.tr("Outline"), "shadow": self.tr("Shadow"), "plate": self.tr("Plate"),
                  "auto_fit": "", "uppercase": "", "valign": self.tr("Vertical"), "direction": self.tr("Direction"),
                  "language": self.tr("Language"), "shape": self.tr("Shape"), "text_color": self.tr("Text colour"),
                  "amount": self.tr("Price"), "original": self.tr("Was"), "currency": self.tr("Currency"),
                  "locale": self.tr("Locale"), "qr_data": self.tr("Link")}
        for key, label in self.labels.items():
            label.setText(labels[key])
        self.stroke_check.setText("")
        self.stroke_width.setSuffix(self.tr(" px"))
        self.stroke_check.setToolTip(self.tr("Outline around the letters (keeps text readable on busy photos)"))
        self.shadow_check.setText(self.tr("Drop shadow"))
        self.plate_check.setToolTip(self.tr("A solid plate behind the text"))
        self.auto_fit.setText(self.tr("Shrink to fit the box"))
        self.uppercase.setText(self.tr("All capitals"))
        valigns = {"top": self.tr("Top"), "middle": self.tr("Middle"), "bottom": self.tr("Bottom")}
        directions = {"auto": self.tr("From the text"), "ltr": self.tr("Left to right"), "rtl": self.tr("Right to left")}
        shapes = {"pill": self.tr("Pill"), "rect": self.tr("Rectangle"), "circle": self.tr("Circle"),
                  "burst": self.tr("Burst"), "ribbon": self.tr("Ribbon")}
        for combo, names in ((self.valign, valigns), (self.direction, directions), (self.shape, shapes)):
            for index in range(combo.count()):
                combo.setItemText(index, names[combo.itemData(index)])
        self.language.setPlaceholderText(self.tr("e.g. ar, th, vi, ja"))
        self.amount.setPlaceholderText("{price}")
        self.original.setPlaceholderText(self.tr("none"))
        self.currency.setPlaceholderText("USD")
        self.locale.setPlaceholderText("en_US")
        self.qr_data.setPlaceholderText("https://…")
        self.refresh()


class BackgroundPanel(QGroupBox):
    """The cover's background colour and optional gradient (shown when no layer is selected)."""

    def __init__(self, editor: "CoverEditorWindow", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.model = editor.model
        self.color = ColorField()
        self.color.committed.connect(lambda value: self._set("color", value))
        self.gradient_check = QCheckBox()
        self.gradient_check.clicked.connect(self._toggle_gradient)
        self.gradient_to = ColorField()
        self.gradient_to.committed.connect(lambda value: self._set("gradient_to", value))
        gradient_row = QWidget()
        row = QHBoxLayout(gradient_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.gradient_check)
        row.addWidget(self.gradient_to, 1)
        form = QFormLayout(self)
        self.color_label, self.gradient_label = QLabel(), QLabel()
        form.addRow(self.color_label, self.color)
        form.addRow(self.gradient_label, gradient_row)
        self.model.selection_changed.connect(lambda _id: self.refresh())
        self.model.document_changed.connect(self.refresh)
        self.retranslate()

    def refresh(self) -> None:
        self.setVisible(self.model.layer(self.model.selected) is None)
        background = self.model.document.background
        self.color.set_color(background.color)
        self.gradient_check.blockSignals(True)
        self.gradient_check.setChecked(background.gradient_to is not None)
        self.gradient_check.blockSignals(False)
        self.gradient_to.setEnabled(background.gradient_to is not None)
        self.gradient_to.set_color(background.gradient_to)

    def _set(self, name: str, value) -> None:
        doc = self.model.document
        if getattr(doc.background, name) == value:
            return
        after = doc.model_copy(deep=True)
        setattr(after.background, name, value)  # validated on assignment
        self.editor.edits.push(after, self.tr("Change background"))

    def _toggle_gradient(self, on: bool) -> None:
        self._set("gradient_to", "#000000" if on else None)

    def retranslate(self) -> None:
        self.setTitle(self.tr("Background"))
        self.color_label.setText(self.tr("Colour"))
        self.gradient_label.setText(self.tr("Gradient to"))
        self.refresh()
