"""Properties of an image or logo layer: the photo, fit/fill/crop, zoom, focal point, face box,
background removal and rounded corners.

The panel presents the selected layer of a ``CoverEditorModel`` and sends every change as one undo
command.  The focal point and the face box are also set on the canvas (the panel's two "on the
canvas" buttons switch the canvas tool); the pure helpers below turn those clicks into document values.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QSlider, QWidget,
)

if TYPE_CHECKING:  # pragma: no cover
    from ui.cover_editor import CoverEditorWindow

ZOOM_SLIDER_STEPS = 100  # slider units per 1× of zoom
IMAGE_TYPES = ("image", "logo")
MIN_FACE_FRACTION = 0.02  # a face box smaller than this (of the layer box) is a slip of the mouse


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return min(high, max(low, value))


def focal_from_click(layer, photo_size: tuple[int, int] | None, box_size: tuple[int, int], u: float,
                     v: float) -> tuple[float, float]:
    """The focal point (fractions of the photo) that the user pointed at by clicking ``(u, v)`` of
    the layer box as drawn: the photo pixel under the mouse.  Without a photo, the box fractions."""
    from cover_designer.render import box_point_to_photo

    u, v = _clamp(u), _clamp(v)
    if not photo_size:
        return round(u, 4), round(v, 4)
    x, y = box_point_to_photo(layer, photo_size, box_size, u, v)
    return round(_clamp(x / photo_size[0]), 4), round(_clamp(y / photo_size[1]), 4)


def face_from_drag(layer, photo_size: tuple[int, int] | None, box_size: tuple[int, int],
                   start: tuple[float, float], end: tuple[float, float]) -> tuple[float, float, float, float] | None:
    """The face box (fractions of the layer box as designed: zoom 1, the layer's focal point) for a
    rectangle dragged from ``start`` to ``end`` (fractions of the box as drawn); ``None`` if too small."""
    from cover_designer.render import box_point_to_photo, photo_point_to_box

    corners = [(_clamp(start[0]), _clamp(start[1])), (_clamp(end[0]), _clamp(end[1]))]
    if photo_size:
        corners = [photo_point_to_box(layer, photo_size, box_size, *box_point_to_photo(layer, photo_size, box_size, u, v),
                                      as_designed=True) for u, v in corners]
        corners = [(_clamp(u), _clamp(v)) for u, v in corners]
    (u0, v0), (u1, v1) = corners
    left, top, right, bottom = min(u0, u1), min(v0, v1), max(u0, u1), max(v0, v1)
    if right - left < MIN_FACE_FRACTION or bottom - top < MIN_FACE_FRACTION:
        return None
    return round(left, 4), round(top, 4), round(right - left, 4), round(bottom - top, 4)


def focal_marker(layer, photo_size: tuple[int, int] | None, box_size: tuple[int, int]) -> tuple[float, float]:
    """Where the layer's focal point is drawn, as fractions of its box (outside [0, 1]: not in view)."""
    from cover_designer.render import photo_point_to_box

    if not photo_size:
        return layer.focal_x, layer.focal_y
    return photo_point_to_box(layer, photo_size, box_size, layer.focal_x * photo_size[0], layer.focal_y * photo_size[1])


class ImagePropertiesPanel(QGroupBox):
    """The image/logo part of the properties dock (hidden for other layers)."""

    def __init__(self, editor: "CoverEditorWindow", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.model = editor.model
        self._slider_before = None  # the document when a zoom-slider drag began
        self.labels: dict[str, QLabel] = {}

        self.source_edit = QLineEdit()
        self.source_edit.editingFinished.connect(self._commit_source)
        self.browse_button = QPushButton()
        self.browse_button.clicked.connect(self.choose_photo)
        source_row = QHBoxLayout()
        source_row.setContentsMargins(0, 0, 0, 0)
        source_row.addWidget(self.source_edit, 1)
        source_row.addWidget(self.browse_button)

        self.fit_combo = QComboBox()
        for mode in ("fill", "fit", "crop"):
            self.fit_combo.addItem("", mode)
        self.fit_combo.activated.connect(lambda _i: self._commit("fit", self.fit_combo.currentData(),
                                                                 self.tr("Change image fit")))

        self.zoom_slider = QSlider(Qt.Orientation.Horizontal)
        self.zoom_slider.setRange(ZOOM_SLIDER_STEPS, 8 * ZOOM_SLIDER_STEPS)
        self.zoom_slider.setPageStep(ZOOM_SLIDER_STEPS // 2)
        self.zoom_slider.sliderPressed.connect(self._zoom_drag_started)
        self.zoom_slider.valueChanged.connect(self._zoom_slider_moved)
        self.zoom_slider.sliderReleased.connect(self._zoom_drag_finished)
        self.zoom_spin = QDoubleSpinBox()
        self.zoom_spin.setRange(1, 8)
        self.zoom_spin.setDecimals(2)
        self.zoom_spin.setSingleStep(0.1)
        self.zoom_spin.setSuffix("×")
        self.zoom_spin.editingFinished.connect(lambda: self._commit("zoom", round(self.zoom_spin.value(), 2),
                                                                    self.tr("Zoom image")))
        zoom_row = QHBoxLayout()
        zoom_row.setContentsMargins(0, 0, 0, 0)
        zoom_row.addWidget(self.zoom_slider, 1)
        zoom_row.addWidget(self.zoom_spin)

        self.focal_x = QDoubleSpinBox()
        self.focal_y = QDoubleSpinBox()
        for spin in (self.focal_x, self.focal_y):
            spin.setRange(0, 1)
            spin.setDecimals(3)
            spin.setSingleStep(0.01)
            spin.editingFinished.connect(self._commit_focal_spins)
        self.focal_button = QPushButton()
        self.focal_button.setCheckable(True)
        self.focal_button.toggled.connect(lambda on: self._tool_toggled("focal", on))
        focal_row = QHBoxLayout()
        focal_row.setContentsMargins(0, 0, 0, 0)
        focal_row.addWidget(self.focal_x)
        focal_row.addWidget(self.focal_y)
        focal_row.addWidget(self.focal_button)

        self.face_label = QLabel()
        self.face_label.setWordWrap(True)
        self.face_button = QPushButton()
        self.face_button.setCheckable(True)
        self.face_button.toggled.connect(lambda on: self._tool_toggled("face", on))
        self.face_clear = QPushButton()
        self.face_clear.clicked.connect(lambda: self._commit("face", None, self.tr("Clear face box")))
        face_row = QHBoxLayout()
        face_row.setContentsMargins(0, 0, 0, 0)
        face_row.addWidget(self.face_button)
        face_row.addWidget(self.face_clear)

        self.remove_background = QCheckBox()
        self.remove_background.clicked.connect(
            lambda on: self._commit("remove_background", on,
                                    self.tr("Remove background") if on else self.tr("Keep background")))
        self.corner_radius = QDoubleSpinBox()
        self.corner_radius.setRange(0, 0.5)
        self.corner_radius.setDecimals(2)
        self.corner_radius.setSingleStep(0.05)
        self.corner_radius.editingFinished.connect(
            lambda: self._commit("corner_radius", round(self.corner_radius.value(), 3), self.tr("Round corners")))

        form = self.form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, field in (("source", source_row), ("fit", self.fit_combo), ("zoom", zoom_row),
                           ("focal", focal_row), ("face", self.face_label), ("face_tools", face_row),
                           ("background", self.remove_background), ("corner_radius", self.corner_radius)):
            label = QLabel()
            self.labels[key] = label
            form.addRow(label, field)
        self._value_widgets = [self.source_edit, self.fit_combo, self.zoom_slider, self.zoom_spin, self.focal_x,
                               self.focal_y, self.remove_background, self.corner_radius]
        self.model.selection_changed.connect(lambda _id: self.refresh())
        self.model.document_changed.connect(self.refresh)
        self.retranslate()
        self.refresh()

    # -- model → widgets
    def layer(self):
        layer = self.model.layer(self.model.selected)
        return layer if layer is not None and layer.type in IMAGE_TYPES else None

    def refresh(self) -> None:
        layer = self.layer()
        self.setVisible(layer is not None)
        if layer is None:
            return
        # A logo has no face to keep clear of the platform's buttons.
        is_photo = layer.type == "image"
        self.setTitle(self.tr("Photo") if is_photo else self.tr("Logo"))
        for key in ("face", "face_tools"):
            self.form.setRowVisible(self.labels[key], is_photo)
        for widget in self._value_widgets:
            widget.blockSignals(True)
        if not self.source_edit.hasFocus():
            self.source_edit.setText(layer.src)
        self.fit_combo.setCurrentIndex(max(0, self.fit_combo.findData(layer.fit)))
        if not self.zoom_slider.isSliderDown():
            self.zoom_slider.setValue(round(layer.zoom * ZOOM_SLIDER_STEPS))
        self.zoom_spin.setValue(layer.zoom)
        self.focal_x.setValue(layer.focal_x)
        self.focal_y.setValue(layer.focal_y)
        self.remove_background.setChecked(layer.remove_background)
        self.corner_radius.setValue(layer.corner_radius)
        for widget in self._value_widgets:
            widget.blockSignals(False)
        if layer.face:
            x, y, w, h = layer.face
            self.face_label.setText(self.tr("{width:.0%} × {height:.0%} at {left:.0%}, {top:.0%} of the box").format(
                width=w, height=h, left=x, top=y))
        else:
            self.face_label.setText(self.tr("None marked"))
        self.face_clear.setEnabled(layer.face is not None)
        # With a face marked, zoomed-in crops centre on the face rather than the focal point.
        zoomed_on_face = layer.face is not None and layer.zoom != 1.0
        tip = self.tr("Zoomed in with a face marked: the crop centres on the face.") if zoomed_on_face else ""
        for widget in (self.focal_x, self.focal_y, self.focal_button):
            widget.setToolTip(tip or self.tr("The part of the photo that stays in view when it is cropped."))

    def set_tool_checked(self, tool: str) -> None:
        """Show which canvas tool is on (the canvas turns its tool off after one use)."""
        for name, button in (("focal", self.focal_button), ("face", self.face_button)):
            button.blockSignals(True)
            button.setChecked(tool == name)
            button.blockSignals(False)

    # -- widgets → commands
    def _commit(self, field_name: str, value, text: str) -> None:
        self.editor.edits.commit(field_name, value, text)

    def _commit_source(self) -> None:
        layer = self.layer()
        if layer is not None and self.source_edit.text().strip() != layer.src:
            self._commit("src", self.source_edit.text().strip(), self.tr("Replace photo"))

    def choose_photo(self) -> None:
        start = self.editor.files.base_dir or str(Path.home())
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("Choose a photo"), start,
                                                    self.tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"))
        if path:
            self.set_photo(path)

    def set_photo(self, path: str) -> None:
        """Use the photo at ``path`` (relative to the cover file's folder when it lies inside it)."""
        if self.editor.files.base_dir:
            try:
                path = str(Path(path).resolve().relative_to(Path(self.editor.files.base_dir)))
            except ValueError:
                pass
        self.source_edit.setText(path)
        self._commit("src", path, self.tr("Replace photo"))

    def _commit_focal_spins(self) -> None:
        layer = self.layer()
        if layer is None:
            return
        focal = round(self.focal_x.value(), 4), round(self.focal_y.value(), 4)
        if focal != (layer.focal_x, layer.focal_y):
            self.editor.edits.push_fields(layer.id, {"focal_x": focal[0], "focal_y": focal[1]}, self.tr("Set focal point"))

    def _tool_toggled(self, tool: str, on: bool) -> None:
        self.editor.canvas.set_tool(tool if on else "")

    def _zoom_drag_started(self) -> None:
        self._slider_before = self.model.document.model_copy(deep=True)

    def _zoom_slider_moved(self, value: int) -> None:
        from cover_designer.editing import edit_layer

        layer = self.layer()
        if layer is None:
            return
        zoom = round(value / ZOOM_SLIDER_STEPS, 2)
        self.zoom_spin.blockSignals(True)
        self.zoom_spin.setValue(zoom)
        self.zoom_spin.blockSignals(False)
        if self._slider_before is not None:
            # Live while dragging; one undo step when the slider is let go.
            self.model.set_document(edit_layer(self.model.document, layer.id, zoom=zoom))
        else:
            self._commit("zoom", zoom, self.tr("Zoom image"))

    def _zoom_drag_finished(self) -> None:
        from ui.cover_model import DocumentCommand

        before, self._slider_before = self._slider_before, None
        if before is not None and before.model_dump() != self.model.document.model_dump():
            self.editor.undo_stack.push(DocumentCommand(self.model, before, self.model.document, self.tr("Zoom image")))

    def retranslate(self) -> None:
        labels = {"source": self.tr("File"), "fit": self.tr("Fit"), "zoom": self.tr("Zoom"),
                  "focal": self.tr("Focal point"), "face": self.tr("Face box"), "face_tools": "",
                  "background": "", "corner_radius": self.tr("Corners")}
        for key, label in self.labels.items():
            label.setText(labels[key])
        self.browse_button.setText(self.tr("Choose…"))
        self.source_edit.setPlaceholderText(self.tr("Photo file or {product_image}"))
        fits = {"fill": self.tr("Fill the box"), "fit": self.tr("Whole photo"), "crop": self.tr("Original size")}
        for index in range(self.fit_combo.count()):
            self.fit_combo.setItemText(index, fits[self.fit_combo.itemData(index)])
        self.fit_combo.setToolTip(self.tr("Fill crops the photo to cover the box; Whole photo leaves bars; "
                                          "Original size shows the photo's own pixels."))
        self.focal_x.setPrefix("X ")
        self.focal_y.setPrefix("Y ")
        self.focal_button.setText(self.tr("Pick"))
        self.focal_button.setToolTip(self.tr("Then click the photo on the canvas"))
        self.face_button.setText(self.tr("Draw box"))
        self.face_button.setToolTip(self.tr("Then drag a box around the face on the canvas (lint keeps it out of "
                                            "covered areas)"))
        self.face_clear.setText(self.tr("Clear"))
        self.remove_background.setText(self.tr("Remove background"))
        self.remove_background.setToolTip(self.tr("Cut the subject out on this computer (OpenCV GrabCut); nothing is "
                                                  "uploaded"))
        self.corner_radius.setToolTip(self.tr("Corner rounding as a fraction of the shorter side"))
        self.refresh()
