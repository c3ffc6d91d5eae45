"""The cover designer window: canvas, layers, properties, lint, templates, export, phone preview.

The views present a ``CoverEditorModel`` (the open document, the preset and the selection) and
send it commands through a ``QUndoStack``; every edit is a command holding the document before
and after, so undo restores it exactly.  Rendering follows the studio's rule: snapshot the
document, render and lint it on a pool thread, apply the result on the GUI thread; only the
newest request's result is shown.  Templates are read and covers exported off the GUI thread too.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import shiboken6
from PIL import Image
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QImage, QKeySequence, QPainter, QPixmap, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDockWidget, QDoubleSpinBox, QFileDialog,
    QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMainWindow, QMenu,
    QMessageBox, QPushButton, QScrollArea, QSizePolicy, QToolBar, QToolButton, QVBoxLayout, QWidget,
)

from cover_designer.document import ANCHOR_POINTS, CoverDocument
from cover_designer.presets import PRESETS, Preset, Rect
# The canvas, geometry and model live in their own modules; their names stay importable from here.
from ui.cover_canvas import GUIDE_GRAB_PX, HANDLE_PX, ROTATE_HANDLE_PX, SNAP_DISTANCE_PX, CoverCanvas  # noqa: F401
from ui.cover_geometry import (  # noqa: F401
    HANDLE_SIDES, MIN_BOX_PX, ROTATION_SNAP_DEG, active_frame, frame_for_rect, frame_key, handle_points, moved_frame,
    reanchored_frame, reference_area, resized_rect, rotation_from_drag, snap_offset, snap_resize, snap_turned_resize,
    with_frame,
)
from ui.cover_image_panel import ImagePropertiesPanel
from ui.cover_model import (  # noqa: F401
    ALIGN_SIDES, NEW_LAYER_KINDS, CoverEditorModel, DocumentCommand, aligned_frame, duplicated_layer, edit_layer,
    new_layer,
)
from ui.cover_fonts import FontFamilyPicker
from ui.cover_style_panel import BackgroundPanel, StylePanel
from ui.cover_variables import VariablesPanel
from ui.workers import run_in_background

log = logging.getLogger(__name__)

AUTOSAVE_DELAY_MS = 2000  # after the last edit
THUMBNAIL_PX = 96  # template gallery pictures


def _qimage(image: Image.Image) -> QImage:
    """PIL → QImage (a deep copy, safe to hand to the GUI thread)."""
    rgba = image.convert("RGBA")
    data = rgba.tobytes()
    return QImage(data, rgba.width, rgba.height, rgba.width * 4, QImage.Format.Format_RGBA8888).copy()


@dataclass
class RenderOutput:
    """What the pool thread hands back: the picture, the layer boxes, the lint findings."""

    request: int
    image: QImage
    thumbnail: QImage
    boxes: dict[str, Rect]
    findings: list
    problems: list
    rotations: dict[str, float] = field(default_factory=dict)  # clockwise degrees as drawn, per layer id
    photo_sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # image layers with a loaded photo
    faces: dict[str, Rect] = field(default_factory=dict)  # marked face boxes as drawn (unturned, canvas px)


def render_snapshot(request: int, doc: CoverDocument, preset: Preset, thumb_width: int,
                    base_dir: str | None = None) -> RenderOutput:
    """Runs on a pool thread: render, lint, scale the phone thumbnail."""
    from cover_designer.lint import lint
    from cover_designer.render import render
    from cover_designer.resize import for_preset

    target = for_preset(doc, preset)
    result = render(target, preset, base_dir=base_dir, keep_below=True)
    findings = lint(target, preset, base_dir=base_dir, result=result, check_file_size=False)
    thumb_height = max(1, round(preset.height * thumb_width / preset.width))
    thumbnail = result.image.resize((thumb_width, thumb_height), Image.Resampling.LANCZOS)
    boxes = {info.layer_id: info.frame for info in result.layers}
    rotations = {info.layer_id: info.rotation_deg for info in result.layers}
    photo_sizes = {info.layer_id: info.photo_size for info in result.layers if info.photo_size}
    faces = {info.layer_id: info.face_box for info in result.layers if info.face_box is not None}
    return RenderOutput(request, _qimage(result.image), _qimage(thumbnail), boxes, findings, result.problems, rotations,
                        photo_sizes, faces)


def template_thumbnail(template_id: str, preset_id: str, side_px: int) -> QImage:
    """Runs on a pool thread: a template rendered at a preset, shrunk to fit a square of ``side_px``."""
    from cover_designer.render import render
    from cover_designer.resize import for_preset
    from cover_designer.templates import load_template

    preset = PRESETS[preset_id]
    image = render(for_preset(load_template(template_id), preset), preset).image
    image.thumbnail((side_px, side_px), Image.Resampling.LANCZOS)
    return _qimage(image)


def export_covers(doc: CoverDocument, preset_ids: list[str], folder: Path, fmt: str,
                  base_dir: str | None = None) -> list[tuple[str, str, str]]:
    """Runs on a pool thread: one file per preset; returns (preset, path or "", error or "")."""
    from cover_designer.errors import CoverError
    from cover_designer.export import export
    from cover_designer.lint import lint
    from cover_designer.render import render
    from cover_designer.resize import for_preset

    from cover_designer.coverset import expand, numbered

    rows = []
    suffix = "jpg" if fmt == "jpeg" else fmt
    for preset_id in preset_ids:
        preset = PRESETS[preset_id]
        # Presets taking a cover set (Lazada: 3) get one numbered file per crop.
        for number, target in expand(for_preset(doc, preset), preset, base_dir=base_dir):
            path = numbered(folder / f"{doc.id or 'cover'}-{preset_id}.{suffix}", number)
            try:
                result = render(target, preset, base_dir=base_dir, keep_below=True)
                blocking = [f for f in lint(target, preset, base_dir=base_dir, result=result, check_file_size=False)
                            if f.rule in ("L6", "L7") and f.severity == "error"]
                if blocking:
                    rows.append((preset_id, "", blocking[0].message))
                    continue
                export(result.image, path, preset, fmt)
            except CoverError as exc:
                rows.append((preset_id, "", exc.message))
            except OSError as exc:
                rows.append((preset_id, "", str(exc)))
            else:
                rows.append((preset_id, str(path), ""))
    return rows


# ---------------------------------------------------------------- phone preview
class PhoneFeedPreview(QWidget):
    """The cover at the size a viewer sees it in a phone feed (the preset's smallest display width)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnail: QImage | None = None
        self.caption = ""
        self.setMinimumSize(260, 220)

    def set_thumbnail(self, image: QImage, caption: str) -> None:
        self.thumbnail = image
        self.caption = caption
        self.setMinimumHeight(image.height() + 64)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#F2F3F5"))
        painter.setPen(QColor("#202124"))
        if self.thumbnail is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("Rendering…"))
            painter.end()
            return
        painter.drawText(QRectF(8, 6, self.width() - 16, 36), Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap,
                         self.caption)
        x = (self.width() - self.thumbnail.width()) // 2
        # Drawn 1:1 in device-independent pixels: this is the real thumbnail size.
        painter.fillRect(QRectF(x - 6, 42, self.thumbnail.width() + 12, self.thumbnail.height() + 12), QColor("#FFFFFF"))
        painter.drawImage(QPointF(x, 48), self.thumbnail)
        painter.end()


# ---------------------------------------------------------------- template gallery
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
        for key, label in _region_labels(self).items():
            self.region.addItem(label, key)
        self.category.addItem(self.tr("All categories"), "")
        for key, label in _category_labels(self).items():
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
        regions, categories = _region_labels(self), _category_labels(self)
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

    def chosen(self) -> tuple[str, str]:
        item = self.list.currentItem()
        return (item.data(Qt.ItemDataRole.UserRole) if item else ""), self.platform.currentData()


def _region_labels(widget: QObject) -> dict[str, str]:
    return {"na_eu": widget.tr("North America / Europe"), "sea": widget.tr("Southeast Asia"),
            "middle_east": widget.tr("Middle East"), "latam": widget.tr("Latin America"),
            "jp_kr": widget.tr("Japan / Korea")}


def _category_labels(widget: QObject) -> dict[str, str]:
    return {"apparel": widget.tr("Apparel"), "beauty": widget.tr("Beauty"), "electronics": widget.tr("Electronics"),
            "home": widget.tr("Home"), "food": widget.tr("Food")}


# ---------------------------------------------------------------- the window
class CoverEditorWindow(QMainWindow):
    """The cover designer: one window, docks around the canvas."""

    export_finished = Signal(list)
    saved = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = CoverEditorModel(self)
        self.undo_stack = QUndoStack(self)
        # A pool of our own: closing the window waits for it, so no render outlives the editor.
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._request = 0
        self._in_flight = False
        self._pending = False
        self._exporting = False
        self.findings: list = []
        self.export_rows: list[tuple[str, str, str]] = []
        self.export_folder = str(Path.home())
        self.path: Path | None = None  # the file the cover was opened from or saved to
        self.base_dir: str | None = None  # relative image paths in the cover resolve here
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setSingleShot(True)
        self._autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self._autosave_timer.timeout.connect(self._autosave)
        # Covers with no file yet autosave here; the next editor offers the copy back.
        from studio.core.paths import config_dir

        self.untitled_autosave: Path = config_dir() / "covers" / "untitled.autosave.json"
        self.recovery_box: QMessageBox | None = None
        self._checked_untitled_copy = False

        self.canvas = CoverCanvas(self)
        self.setCentralWidget(self.canvas)
        self._build_toolbar()
        self._build_layers_dock()
        self._build_properties_dock()
        self._build_lint_dock()
        self._build_preview_dock()
        self._build_export_dock()

        self.model.document_changed.connect(self._on_document_changed)
        self.model.selection_changed.connect(self._on_selection_changed)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        # After the stack has moved (while a command runs, the stack still counts as clean).
        self.undo_stack.indexChanged.connect(self._on_undo_index_changed)
        self.retranslate()
        self.resize(1500, 920)
        self.resizeDocks([self.lint_dock, self.export_dock], [190, 190], Qt.Orientation.Vertical)
        # Layers above the phone preview on the left; the properties get the whole right side.
        self.resizeDocks([self.layers_dock, self.properties_dock], [250, 380], Qt.Orientation.Horizontal)
        self.resizeDocks([self.layers_dock, self.preview_dock], [360, 300], Qt.Orientation.Vertical)

    # -- building
    def _build_toolbar(self) -> None:
        bar = QToolBar(self)
        bar.setObjectName("cover_toolbar")
        self.addToolBar(bar)
        self.toolbar = bar
        self.templates_action = QAction(self)
        self.templates_action.triggered.connect(self.choose_template)
        self.open_action = QAction(self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.choose_file_to_open)
        self.save_action = QAction(self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self.save)
        self.save_as_action = QAction(self)
        self.save_as_action.setShortcut(QKeySequence.StandardKey.SaveAs)
        self.save_as_action.triggered.connect(self.choose_file_to_save)
        self.undo_action = self.undo_stack.createUndoAction(self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self)
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.preset_label = QLabel()
        self.preset_combo = QComboBox()
        for preset in PRESETS.values():
            self.preset_combo.addItem(_preset_label(preset), preset.id)
        self.preset_combo.currentIndexChanged.connect(lambda _i: self.model.set_preset(self.preset_combo.currentData()))
        self.model.preset_changed.connect(self._show_preset)
        self.safe_check = QCheckBox()
        self.safe_check.setChecked(True)
        self.safe_check.toggled.connect(self._toggle_safe_zones)
        self.snap_check = QCheckBox()
        self.snap_check.setChecked(True)
        self.snap_check.toggled.connect(lambda on: setattr(self.canvas, "snapping", on))
        bar.addAction(self.templates_action)
        bar.addAction(self.open_action)
        bar.addAction(self.save_action)
        bar.addAction(self.save_as_action)
        bar.addSeparator()
        bar.addAction(self.undo_action)
        bar.addAction(self.redo_action)
        bar.addSeparator()
        bar.addWidget(self.preset_label)
        bar.addWidget(self.preset_combo)
        bar.addWidget(self.safe_check)
        bar.addWidget(self.snap_check)
        self.guides_button = QToolButton()
        self.guides_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        guides_menu = QMenu(self.guides_button)
        self.add_vertical_guide = guides_menu.addAction("", lambda: self.canvas.add_guide("x"))
        self.add_horizontal_guide = guides_menu.addAction("", lambda: self.canvas.add_guide("y"))
        self.clear_guides_action = guides_menu.addAction("", self.canvas.clear_guides)
        self.guides_button.setMenu(guides_menu)
        bar.addWidget(self.guides_button)

    def _dock(self, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_layers_dock(self) -> None:
        panel = QWidget()
        self.layer_list = QListWidget()
        self.layer_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.layer_list.currentItemChanged.connect(self._on_layer_row)
        self.layer_list.itemChanged.connect(self._on_layer_item_changed)
        self.lock_button = QPushButton()
        self.lock_button.setCheckable(True)
        self.lock_button.clicked.connect(self._toggle_lock)
        self.up_button = QPushButton()
        self.up_button.clicked.connect(lambda: self.move_layer(+1))
        self.down_button = QPushButton()
        self.down_button.clicked.connect(lambda: self.move_layer(-1))
        self.add_button = QToolButton()
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.add_menu = QMenu(self.add_button)
        self.add_actions: dict[str, QAction] = {}
        for kind in NEW_LAYER_KINDS:
            action = self.add_menu.addAction("")
            action.triggered.connect(lambda _checked=False, kind=kind: self.add_layer(kind))
            self.add_actions[kind] = action
        self.add_button.setMenu(self.add_menu)
        self.duplicate_button = QPushButton()
        self.duplicate_button.clicked.connect(self.duplicate_layer)
        self.delete_button = QPushButton()
        self.delete_button.clicked.connect(self.delete_layer)
        self.duplicate_action = QAction(self)
        self.duplicate_action.setShortcut(QKeySequence("Ctrl+D"))
        self.duplicate_action.triggered.connect(self.duplicate_layer)
        self.delete_action = QAction(self)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_action.triggered.connect(self.delete_layer)
        self.addAction(self.duplicate_action)
        # Stacking shortcuts as in common design tools.
        self.front_action = QAction(self)
        self.front_action.setShortcut(QKeySequence("Ctrl+Shift+]"))
        self.front_action.triggered.connect(lambda: self.move_layer_to_end(True))
        self.raise_action = QAction(self)
        self.raise_action.setShortcut(QKeySequence("Ctrl+]"))
        self.raise_action.triggered.connect(lambda: self.move_layer(+1))
        self.lower_action = QAction(self)
        self.lower_action.setShortcut(QKeySequence("Ctrl+["))
        self.lower_action.triggered.connect(lambda: self.move_layer(-1))
        self.back_action = QAction(self)
        self.back_action.setShortcut(QKeySequence("Ctrl+Shift+["))
        self.back_action.triggered.connect(lambda: self.move_layer_to_end(False))
        for action in (self.front_action, self.raise_action, self.lower_action, self.back_action):
            self.addAction(action)
        # Delete works on the canvas and the layer list only: in a text field it deletes characters.
        self.canvas.addAction(self.delete_action)
        self.layer_list.addAction(self.delete_action)
        edit_row = QHBoxLayout()
        for button in (self.add_button, self.duplicate_button, self.delete_button):
            edit_row.addWidget(button)
        self.add_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        buttons = QHBoxLayout()
        for button in (self.up_button, self.down_button, self.lock_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(panel)
        layout.addLayout(edit_row)
        layout.addWidget(self.layer_list)
        layout.addLayout(buttons)
        self.layers_dock = self._dock("cover_layers", panel, Qt.DockWidgetArea.LeftDockWidgetArea)

    def _build_properties_dock(self) -> None:
        panel = QWidget()
        form = QFormLayout(panel)
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
        self.family_combo = FontFamilyPicker(pool=self.pool)
        self.family_combo.family_chosen.connect(lambda name: self._commit("font_family", name, self.tr("Change font")))
        self.weight_combo = QComboBox()
        for weight in ("regular", "medium", "bold", "black"):
            self.weight_combo.addItem("", weight)
        self.weight_combo.activated.connect(lambda _i: self._commit("font_weight", self.weight_combo.currentData()))
        self.align_combo = QComboBox()
        for align in ("start", "left", "center", "right", "end"):
            self.align_combo.addItem("", align)
        self.align_combo.activated.connect(lambda _i: self._commit("align", self.align_combo.currentData()))
        self.opacity = QDoubleSpinBox()
        self.opacity.setRange(0, 1)
        self.opacity.setSingleStep(0.05)
        self.rotation_spin = QDoubleSpinBox()
        self.rotation_spin.setRange(-360, 360)
        self.rotation_spin.setDecimals(1)
        self.rotation_spin.setSuffix("°")
        self.rotation_spin.editingFinished.connect(
            lambda: self._commit("rotation_deg", round(self.rotation_spin.value(), 2), self.tr("Rotate layer")))
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
        for key, low, high in (("dx", -1, 1), ("dy", -1, 1), ("w", 0.01, 2), ("h", 0.01, 2)):
            spin = QDoubleSpinBox()
            spin.setRange(low, high)
            spin.setDecimals(3)
            spin.setSingleStep(0.01)
            spin.editingFinished.connect(lambda key=key: self._commit_frame(key))
            self.frame_spins[key] = spin
        self.name_edit.editingFinished.connect(lambda: self._commit("name", self.name_edit.text()))
        self.text_edit.editingFinished.connect(lambda: self._commit("text", self.text_edit.text()))
        self.font_size.editingFinished.connect(lambda: self._commit("font_size", self.font_size.value()))
        self.color_edit.editingFinished.connect(self._commit_color)
        self.opacity.editingFinished.connect(lambda: self._commit("opacity", round(self.opacity.value(), 3)))
        self.align_buttons: dict[str, QPushButton] = {}
        align_grid = QWidget()
        grid = QGridLayout(align_grid)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        for index, side in enumerate(ALIGN_SIDES):
            button = QPushButton()
            button.clicked.connect(lambda _checked=False, side=side: self.align_layer(side))
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
        self.properties_panel = panel
        self.properties_form = form
        panel.setMinimumWidth(260)
        self.image_panel = ImagePropertiesPanel(self)
        self.style_panel = StylePanel(self)
        self.background_panel = BackgroundPanel(self)
        self.canvas.tool_changed.connect(self.image_panel.set_tool_checked)
        self.variables_box = QGroupBox()
        self.variables_panel = VariablesPanel(self.model, self._push, self.variables_box, pool=self.pool)
        QVBoxLayout(self.variables_box).addWidget(self.variables_panel)
        container = QWidget()
        column = QVBoxLayout(container)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(panel)
        column.addWidget(self.background_panel)
        column.addWidget(self.style_panel)
        column.addWidget(self.image_panel)
        column.addWidget(self.variables_box)
        column.addStretch(1)
        scroller = QScrollArea()
        scroller.setWidgetResizable(True)
        # Rows wrap and shrink instead: a sideways scroll bar hides the ends of the fields.
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setWidget(container)
        self.properties_dock = self._dock("cover_properties", scroller, Qt.DockWidgetArea.RightDockWidgetArea)

    def _build_lint_dock(self) -> None:
        self.lint_list = QListWidget()
        self.lint_list.setWordWrap(True)
        self.lint_list.itemClicked.connect(self._on_finding_clicked)
        self.lint_dock = self._dock("cover_lint", self.lint_list, Qt.DockWidgetArea.BottomDockWidgetArea)

    def _build_preview_dock(self) -> None:
        self.phone_preview = PhoneFeedPreview()
        scroller = QScrollArea()
        scroller.setWidgetResizable(True)
        scroller.setWidget(self.phone_preview)
        self.preview_dock = self._dock("cover_phone", scroller, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.splitDockWidget(self.layers_dock, self.preview_dock, Qt.Orientation.Vertical)

    def _build_export_dock(self) -> None:
        panel = QWidget()
        self.export_presets = QListWidget()
        for preset in PRESETS.values():
            item = QListWidgetItem(_preset_label(preset))
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
        layout = QVBoxLayout(panel)
        layout.addWidget(self.export_presets)
        layout.addLayout(row)
        layout.addWidget(self.export_status)
        self.export_dock = self._dock("cover_export", panel, Qt.DockWidgetArea.BottomDockWidgetArea)

    # -- opening
    def open_document(self, doc: CoverDocument, preset_id: str | None = None, path: Path | None = None) -> None:
        """Show ``doc`` (a fresh undo history) at ``preset_id`` or the document's own preset.

        Unsaved changes to the cover shown so far are written to its autosave copy first."""
        self._flush_autosave()
        self.undo_stack.clear()
        self.path = path
        self.base_dir = str(path.resolve().parent) if path else None
        preset_id = preset_id or doc.preset
        self.model.selected = ""
        self.model.document = doc
        if preset_id in PRESETS:
            index = self.preset_combo.findData(preset_id)
            self.preset_combo.blockSignals(True)
            self.preset_combo.setCurrentIndex(index)
            self.preset_combo.blockSignals(False)
            self.model.preset = PRESETS[preset_id]
            self._show_preset(preset_id)
        self.model.set_document(doc)
        self.model.selection_changed.emit("")
        self._update_title()

    def open_template(self, template_id: str, preset_id: str | None = None) -> None:
        """Read a template on a pool thread, then open it."""
        from cover_designer.templates import load_template

        run_in_background(lambda: load_template(template_id), lambda doc: self.open_document(doc, preset_id),
                          lambda error: self._show_problem(str(getattr(error, "message", error))), receiver=self,
                          pool=self.pool)

    def choose_template(self) -> None:
        gallery = TemplateGallery(self, self.pool)
        index = gallery.platform.findData(self.model.preset.id)
        gallery.platform.setCurrentIndex(max(0, index))
        if gallery.exec() == QDialog.DialogCode.Accepted:
            template_id, preset_id = gallery.chosen()
            if template_id:
                self.open_template(template_id, preset_id)
        gallery.deleteLater()

    def choose_file_to_open(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("Open cover"), str(self.path or Path.home()),
                                                    self.tr("Cover files (*.json)"))
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path) -> None:
        """Read a cover file (or its newer autosave copy) on a pool thread, then open it."""
        from cover_designer.autosave import recover
        from cover_designer.document import load_document

        from cover_designer.autosave import autosave_path
        from cover_designer.errors import DocumentError

        def read() -> tuple[CoverDocument | None, CoverDocument | None, str]:
            recovered = recover(path)
            try:
                saved = load_document(path)
            except DocumentError:
                if recovered is None:
                    raise
                saved = None  # the saved file is damaged but the autosave copy is good
            return saved, recovered, str(autosave_path(path))

        def opened(result: tuple[CoverDocument | None, CoverDocument | None, str]) -> None:
            saved, recovered, copy_path = result
            if saved is not None:
                self.open_document(saved, None, path)
            if recovered is not None:
                self._offer_recovery(recovered, Path(copy_path), path)

        run_in_background(read, opened, self._on_file_failed, receiver=self, pool=self.pool)

    def _offer_recovery(self, recovered: CoverDocument, copy_path: Path, path: Path | None) -> None:
        """Ask whether to bring back changes autosaved before the program stopped (not modal to the app:
        the question waits in its own window-modal box)."""
        import datetime

        try:
            when = datetime.datetime.fromtimestamp(copy_path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        except OSError:
            when = "?"
        name = recovered.name or recovered.id or self.tr("Untitled cover")
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Recover unsaved changes"))
        box.setText(self.tr("“{name}” has changes from {time} that were not saved before the program stopped.").format(
            name=name, time=when))
        box.setInformativeText(self.tr("Recover them? You can still undo back to the saved version.")
                               if path is not None else self.tr("Recover them?"))
        recover_button = box.addButton(self.tr("Recover"), QMessageBox.ButtonRole.AcceptRole)
        discard_button = box.addButton(self.tr("Discard changes"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(recover_button)
        self.recovery_box = box

        def answered(button) -> None:
            self.recovery_box = None
            box.deleteLater()
            if button is recover_button:
                self._apply_recovery(recovered, path)
            elif button is discard_button:
                copy_path.unlink(missing_ok=True)
                self._show_problem(self.tr("Discarded the unsaved changes."))

        box.buttonClicked.connect(answered)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()

    def _apply_recovery(self, recovered: CoverDocument, path: Path | None) -> None:
        """Bring the autosaved cover back as one undo step over what is open (undo shows the saved one)."""
        if path is not None and self.path != path:
            self.open_document(recovered, None, path)  # the saved file could not be read
        else:
            self._push(recovered, self.tr("Recover unsaved changes"))
        self._update_title()
        self._show_problem(self.tr("Recovered changes that were not saved before the program stopped."))

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._checked_untitled_copy:
            self._checked_untitled_copy = True
            self.check_untitled_copy()

    def check_untitled_copy(self) -> None:
        """Offer the autosaved copy of a cover that was never saved, if the program stopped with one."""
        from cover_designer.autosave import read_copy

        target = self.untitled_autosave
        run_in_background(lambda: read_copy(target),
                          lambda doc: doc is not None and self._offer_recovery(doc, target, None),
                          self._on_file_failed, receiver=self, pool=self.pool)

    def save(self) -> None:
        if self.path is None:
            self.choose_file_to_save()
        else:
            self.save_to(self.path)

    def choose_file_to_save(self) -> None:
        suggested = self.path or Path.home() / f"{self.model.document.id or 'cover'}.json"
        path, _filter = QFileDialog.getSaveFileName(self, self.tr("Save cover as"), str(suggested),
                                                    self.tr("Cover files (*.json)"))
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        """Write the cover atomically on a pool thread; the undo history is marked clean when done."""
        from cover_designer.autosave import save

        doc = self.model.document.model_copy(deep=True)
        index = self.undo_stack.index()
        self._autosave_timer.stop()

        was_untitled = self.path is None
        untitled_copy = self.untitled_autosave

        def saved(_result) -> None:
            if was_untitled:
                untitled_copy.unlink(missing_ok=True)  # the cover has a file now; its own autosave takes over
            self.path = path
            self.base_dir = self.base_dir or str(path.resolve().parent)
            if self.undo_stack.index() == index:
                self.undo_stack.setClean()
            self._update_title()
            self._show_problem(self.tr("Saved {path}").format(path=path))
            self.saved.emit(str(path))

        run_in_background(lambda: save(doc, path), saved, self._on_file_failed, receiver=self, pool=self.pool)

    def _flush_autosave(self) -> None:
        self._autosave_timer.stop()
        self._autosave()

    def _autosave(self) -> None:
        from cover_designer.autosave import autosave, write_copy

        if self.undo_stack.isClean():
            return
        doc, path, untitled = self.model.document.model_copy(deep=True), self.path, self.untitled_autosave
        work = (lambda: autosave(doc, path)) if path is not None else (lambda: write_copy(doc, untitled))
        run_in_background(work, lambda _result: None, self._on_file_failed, receiver=self, pool=self.pool)

    def _on_file_failed(self, error: BaseException) -> None:
        self._show_problem(self.tr("The cover file could not be used: {reason}").format(
            reason=getattr(error, "message", None) or error))

    def _show_problem(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    # -- rendering (newest request wins)
    def request_render(self) -> None:
        self._request += 1
        if self._in_flight:
            self._pending = True  # the running job's result is dropped; one more job follows it
            return
        self._start_render()

    def _start_render(self) -> None:
        self._in_flight = True
        self._pending = False
        request = self._request
        doc = self.model.document.model_copy(deep=True)
        preset = self.model.preset
        width = preset.smallest_display_width_px
        base_dir = self.base_dir
        run_in_background(lambda: render_snapshot(request, doc, preset, width, base_dir), self._on_rendered,
                          self._on_render_failed, receiver=self, pool=self.pool)

    def _on_rendered(self, output: RenderOutput) -> None:
        self._in_flight = False
        if output.request == self._request:
            self.canvas.set_render(output.image, output.boxes, output.rotations, output.photo_sizes, output.faces)
            self.phone_preview.set_thumbnail(output.thumbnail, self.tr("{preset}: {width} px wide in the feed").format(
                preset=self.model.preset.name, width=output.thumbnail.width()))
            self._show_findings(output.findings)
        if self._pending:
            self._start_render()

    def _on_render_failed(self, error: BaseException) -> None:
        self._in_flight = False
        self._show_problem(self.tr("The cover could not be drawn: {reason}").format(reason=getattr(error, "message", error)))
        if self._pending:
            self._start_render()

    def is_idle(self) -> bool:
        """No render running or waiting (tests and the screenshot wait for this)."""
        return not self._in_flight and not self._pending

    # -- model → views
    def _on_document_changed(self) -> None:
        self._fill_layers()
        self._fill_properties()
        self._update_title()
        self.request_render()

    def _on_selection_changed(self, layer_id: str) -> None:
        for row in range(self.layer_list.count()):
            item = self.layer_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == layer_id:
                self.layer_list.blockSignals(True)
                self.layer_list.setCurrentItem(item)
                self.layer_list.blockSignals(False)
                break
        else:
            self.layer_list.clearSelection()
        self._fill_properties()

    def _fill_layers(self) -> None:
        self.layer_list.blockSignals(True)
        self.layer_list.clear()
        for layer in reversed(self.model.document.ordered_layers()):  # topmost first, like every editor
            name = layer.name or layer.id
            lock = " 🔒" if layer.locked else ""
            item = QListWidgetItem(f"{name} · {self._type_label(layer.type)}{lock}")
            item.setData(Qt.ItemDataRole.UserRole, layer.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if layer.hidden else Qt.CheckState.Checked)
            item.setToolTip(self.tr("Tick to show the layer"))
            self.layer_list.addItem(item)
            if layer.id == self.model.selected:
                self.layer_list.setCurrentItem(item)
        self.layer_list.blockSignals(False)

    def _type_label(self, kind: str) -> str:
        return {"text": self.tr("Text"), "image": self.tr("Image"), "logo": self.tr("Logo"), "shape": self.tr("Shape"),
                "price": self.tr("Price"), "qr": self.tr("QR code")}.get(kind, kind)

    def _fill_properties(self) -> None:
        layer = self.model.layer(self.model.selected)
        self.properties_panel.setEnabled(layer is not None)
        self.properties_panel.setVisible(layer is not None)  # the background panel shows instead
        self.lock_button.setChecked(bool(layer and layer.locked))
        for widget in (self.duplicate_button, self.delete_button, self.lock_button, self.up_button, self.down_button):
            widget.setEnabled(layer is not None)
        if layer is not None:
            self.delete_button.setEnabled(not layer.locked)
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
                   "color": _color_field(layer) is not None and layer.type not in ("image", "logo")}
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
        color_field = _color_field(layer)
        self.color_edit.setEnabled(color_field is not None)
        self.color_edit.setText(getattr(layer, color_field) if color_field else "")
        self.opacity.setValue(layer.opacity)
        self.rotation_spin.setValue(layer.rotation_deg)
        frame = active_frame(layer, self.model.preset)
        self.anchor_combo.setCurrentIndex(max(0, self.anchor_combo.findData(frame.anchor)))
        self.relative_combo.setCurrentIndex(max(0, self.relative_combo.findData(frame.relative_to)))
        self.own_frame_check.setChecked(frame_key(layer, self.model.preset) is not None)
        self.own_frame_check.setText(self.tr("Own {shape} position").format(
            shape=_aspect_labels(self)[self.model.preset.aspect_class]))
        for key, spin in self.frame_spins.items():
            spin.setValue(getattr(frame, key))
        tip = (self.tr("Line the layer up with the safe area") if frame.relative_to == "safe"
               else self.tr("Line the layer up with the canvas"))
        for button in self.align_buttons.values():
            button.setToolTip(tip)
            button.setEnabled(not layer.locked)
        for widget in widgets:
            widget.blockSignals(False)
        self.prop_error.setText("")

    def _show_findings(self, findings: list) -> None:
        self.findings = findings
        self.lint_list.clear()
        if not findings:
            self.lint_list.addItem(QListWidgetItem(self.tr("No problems found.")))
            return
        for finding in findings:
            label = self.tr("error") if finding.severity == "error" else self.tr("warning")
            item = QListWidgetItem(f"{finding.rule} {label}: {finding.message} — {finding.fix}")
            item.setData(Qt.ItemDataRole.UserRole, finding.layer or "")
            item.setForeground(QColor("#C62828") if finding.severity == "error" else QColor("#B26A00"))
            self.lint_list.addItem(item)

    def _show_preset(self, preset_id: str) -> None:
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(preset_id))
        self.preset_combo.blockSignals(False)
        self._fill_properties()

    def _on_undo_index_changed(self, _index: int) -> None:
        if shiboken6.isValid(self.undo_stack) and not self.undo_stack.isClean():
            self._autosave_timer.start()

    def _on_clean_changed(self, _clean: bool) -> None:
        if shiboken6.isValid(self.undo_stack):  # the stack says "clean" once more while being deleted
            self._update_title()

    def _update_title(self) -> None:
        name = self.model.document.name or self.model.document.id or self.tr("Untitled cover")
        mark = "" if self.undo_stack.isClean() else " *"
        self.setWindowTitle(self.tr("Cover designer — {name}").format(name=name) + mark)

    # -- views → commands
    def _push(self, after: CoverDocument, text: str) -> None:
        if after.model_dump() != self.model.document.model_dump():
            self.undo_stack.push(DocumentCommand(self.model, self.model.document, after, text))

    def _commit(self, field_name: str, value, text: str | None = None) -> None:
        layer_id = self.model.selected
        if not self.model.layer(layer_id):
            return
        try:
            after = edit_layer(self.model.document, layer_id, **{field_name: value})
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            self.prop_error.setText(self.tr("Not a valid value: {reason}").format(reason=str(exc).splitlines()[-1].strip()))
            return
        self.prop_error.setText("")
        self._push(after, text or self.tr("Edit layer"))

    def _push_fields(self, layer_id: str, fields: dict, text: str) -> None:
        """Several fields of one layer in one undo step (e.g. both coordinates of a focal point)."""
        if self.model.layer(layer_id) is None:
            return
        try:
            after = edit_layer(self.model.document, layer_id, **fields)
        except ValueError as exc:
            self.prop_error.setText(self.tr("Not a valid value: {reason}").format(reason=str(exc).splitlines()[-1].strip()))
            return
        self.prop_error.setText("")
        self._push(after, text)

    def _commit_color(self) -> None:
        layer = self.model.layer(self.model.selected)
        field_name = _color_field(layer) if layer else None
        if field_name:
            text = self.color_edit.text().strip()
            self._commit(field_name, text if text.startswith("#") else "#" + text)

    def _commit_frame(self, key: str) -> None:
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        frame = active_frame(layer, self.model.preset)
        value = round(self.frame_spins[key].value(), 5)
        if abs(getattr(frame, key) - value) < 1e-6:
            return
        new_frame = frame.model_copy(update={key: value})
        self._push(with_frame(self.model.document, layer.id, self.model.preset, new_frame), self.tr("Move layer"))

    def _commit_anchor(self) -> None:
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        preset = self.model.preset
        frame = reanchored_frame(active_frame(layer, preset), preset, self.model.is_mirrored(layer),
                                 self.anchor_combo.currentData(), self.relative_combo.currentData())
        self._push(with_frame(self.model.document, layer.id, preset, frame), self.tr("Change anchor"))

    def _toggle_own_frame(self, on: bool) -> None:
        """Give the layer its own frame for this preset's shape (16:9, 9:16 or 1:1), or drop it."""
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        key = self.model.preset.aspect_class
        frames = {name: frame.model_dump() for name, frame in layer.frame_by_aspect.items()}
        if on:
            frames[key] = layer.frame.model_dump()
        else:
            frames.pop(key, None)
        self._commit("frame_by_aspect", frames, self.tr("Own {shape} position").format(
            shape=_aspect_labels(self)[key]) if on else self.tr("Shared position"))

    def _on_layer_row(self, current: QListWidgetItem | None, _previous=None) -> None:
        self.model.select(current.data(Qt.ItemDataRole.UserRole) if current else "")

    def _on_layer_item_changed(self, item: QListWidgetItem) -> None:
        layer_id = item.data(Qt.ItemDataRole.UserRole)
        hidden = item.checkState() != Qt.CheckState.Checked
        layer = self.model.layer(layer_id)
        if layer is not None and layer.hidden != hidden:
            after = edit_layer(self.model.document, layer_id, hidden=hidden)
            self._push(after, self.tr("Hide layer") if hidden else self.tr("Show layer"))

    def _toggle_lock(self) -> None:
        layer = self.model.layer(self.model.selected)
        if layer is not None:
            after = edit_layer(self.model.document, layer.id, locked=not layer.locked)
            self._push(after, self.tr("Unlock layer") if layer.locked else self.tr("Lock layer"))

    def add_layer(self, kind: str) -> None:
        """Put a new layer of ``kind`` on top, in the middle of the canvas, and select it (one undo step)."""
        doc = self.model.document
        layer = new_layer(kind, doc, self._new_layer_text(kind))
        after = doc.model_copy(deep=True)
        after.layers = [*after.layers, layer]
        self._push(after, self.tr("Add {kind}").format(kind=self._type_label(layer.type)))
        self.model.select(layer.id)

    def _new_layer_text(self, kind: str) -> str:
        return {"text": self.tr("Your headline"), "shape": self.tr("NEW")}.get(kind, "")

    def duplicate_layer(self) -> None:
        """A copy of the selected layer just below and right of it, on top of the stack."""
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        doc = self.model.document
        copy = duplicated_layer(layer, doc)
        after = doc.model_copy(deep=True)
        after.layers = [*after.layers, copy]
        self._push(after, self.tr("Duplicate layer"))
        self.model.select(copy.id)

    def delete_layer(self) -> None:
        """Remove the selected layer (locked layers stay: unlock first)."""
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        if layer.locked:
            self._show_problem(self.tr("The layer is locked; unlock it to delete it."))
            return
        after = self.model.document.model_copy(deep=True)
        after.layers = [other for other in after.layers if other.id != layer.id]
        self.model.select("")
        self._push(after, self.tr("Delete layer"))

    def align_layer(self, side: str) -> None:
        """Line the selected layer up with a side or the centre of its canvas/safe area (one undo step)."""
        layer = self.model.layer(self.model.selected)
        if layer is None or layer.locked:
            return
        preset = self.model.preset
        frame = aligned_frame(layer, self.model.document, preset, side)
        self._push(with_frame(self.model.document, layer.id, preset, frame), self.tr("Align layer"))

    def focus_text_field(self) -> None:
        """Put the cursor in the selected layer's words (text, badge) or amount (price), all selected."""
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        field = self.text_edit if hasattr(layer, "text") else self.style_panel.amount if layer.type == "price" else None
        if field is not None and field.isEnabled():
            self.properties_dock.show()
            self.properties_dock.raise_()
            field.setFocus(Qt.FocusReason.MouseFocusReason)
            field.selectAll()

    def layer_menu(self, parent: QWidget | None = None) -> QMenu:
        """The selected layer's menu (the canvas shows it on a right click)."""
        layer = self.model.layer(self.model.selected)
        menu = QMenu(parent or self)
        if layer is None:
            return menu
        menu.addAction(self.duplicate_action)
        delete = menu.addAction(self.tr("Delete layer"), self.delete_layer)
        delete.setEnabled(not layer.locked)
        menu.addSeparator()
        menu.addAction(self.front_action)
        menu.addAction(self.raise_action)
        menu.addAction(self.lower_action)
        menu.addAction(self.back_action)
        menu.addSeparator()
        menu.addAction(self.tr("Unlock layer") if layer.locked else self.tr("Lock layer"), self._toggle_lock)
        menu.addAction(self.tr("Hide layer"), lambda: self._push(edit_layer(self.model.document, layer.id, hidden=True),
                                                               self.tr("Hide layer")))
        return menu

    def move_layer_to_end(self, to_front: bool) -> None:
        """Bring the selected layer to the front (top of the stack) or send it to the back."""
        ordered = [layer.id for layer in self.model.document.ordered_layers()]
        layer_id = self.model.selected
        if layer_id not in ordered or ordered[-1 if to_front else 0] == layer_id:
            return
        ordered.remove(layer_id)
        ordered = ordered + [layer_id] if to_front else [layer_id] + ordered
        after = self.model.document.model_copy(deep=True)
        for layer in after.layers:
            layer.z = ordered.index(layer.id)
        self._push(after, self.tr("Bring to front") if to_front else self.tr("Send to back"))

    def move_layer(self, step: int) -> None:
        """Raise (+1) or lower (-1) the selected layer one place in the stacking order."""
        ordered = [layer.id for layer in self.model.document.ordered_layers()]
        layer_id = self.model.selected
        if layer_id not in ordered:
            return
        index = ordered.index(layer_id)
        target = index + step
        if not 0 <= target < len(ordered):
            return
        ordered[index], ordered[target] = ordered[target], ordered[index]
        after = self.model.document.model_copy(deep=True)
        for layer in after.layers:
            layer.z = ordered.index(layer.id)
        self._push(after, self.tr("Raise layer") if step > 0 else self.tr("Lower layer"))

    def _on_finding_clicked(self, item: QListWidgetItem) -> None:
        layer_id = item.data(Qt.ItemDataRole.UserRole)
        if layer_id and self.model.layer(layer_id) is not None:
            self.model.select(layer_id)

    def _toggle_safe_zones(self, on: bool) -> None:
        self.canvas.show_safe_zones = on
        self.canvas.update()

    # -- export
    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Export folder"), self.export_folder)
        if folder:
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
        base_dir = self.base_dir
        run_in_background(lambda: export_covers(doc, preset_ids, folder, fmt, base_dir), self._on_exported,
                          self._on_export_failed, receiver=self, pool=self.pool)

    def _on_exported(self, rows: list[tuple[str, str, str]]) -> None:
        self._exporting = False
        self.export_button.setEnabled(True)
        self.export_rows = rows
        lines = []
        for preset_id, path, error in rows:
            name = PRESETS[preset_id].name
            if error:
                lines.append(self.tr("{preset}: not written — {reason}").format(preset=name, reason=error))
            else:
                lines.append(self.tr("{preset}: written to {path}").format(preset=name, path=path))
        self.export_status.setText("\n".join(lines))
        self.export_finished.emit(rows)

    def _on_export_failed(self, error: BaseException) -> None:
        self._exporting = False
        self.export_button.setEnabled(True)
        self.export_status.setText(self.tr("Export failed: {reason}").format(reason=getattr(error, "message", error)))
        self.export_finished.emit([])

    # -- window
    def closeEvent(self, event) -> None:  # noqa: N802
        # Unsaved work goes to the autosave copy now, not 2 s from now: the next editor offers it back.
        self._flush_autosave()
        self.pool.waitForDone(10000)
        super().closeEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self._update_title()
        self.toolbar.setWindowTitle(self.tr("Cover tools"))
        self.templates_action.setText(self.tr("&Templates…"))
        self.open_action.setText(self.tr("&Open…"))
        self.save_action.setText(self.tr("&Save"))
        self.save_as_action.setText(self.tr("Save &as…"))
        self.preset_label.setText(self.tr("Preset:"))
        self.safe_check.setText(self.tr("Safe zones"))
        self.snap_check.setText(self.tr("Snap"))
        self.guides_button.setText(self.tr("Guides"))
        self.guides_button.setToolTip(self.tr("Guides to line layers up with; drag one off the canvas to remove it"))
        self.add_vertical_guide.setText(self.tr("Add vertical guide"))
        self.add_horizontal_guide.setText(self.tr("Add horizontal guide"))
        self.clear_guides_action.setText(self.tr("Remove all guides"))
        self.layers_dock.setWindowTitle(self.tr("Layers"))
        self.up_button.setText(self.tr("Raise"))
        self.down_button.setText(self.tr("Lower"))
        self.lock_button.setText(self.tr("Lock"))
        self.add_button.setText(self.tr("Add ▾"))
        self.add_button.setToolTip(self.tr("Add a layer"))
        for kind, action in self.add_actions.items():
            action.setText({"text": self.tr("Text"), "image": self.tr("Photo"), "shape": self.tr("Badge"),
                            "price": self.tr("Price tag"), "qr": self.tr("QR code"), "logo": self.tr("Logo")}[kind])
        self.duplicate_button.setText(self.tr("Duplicate"))
        self.duplicate_button.setToolTip(self.tr("Duplicate the layer (Ctrl+D)"))
        self.delete_button.setText(self.tr("Delete"))
        self.duplicate_action.setText(self.tr("Duplicate layer"))
        self.front_action.setText(self.tr("Bring to front"))
        self.raise_action.setText(self.tr("Raise"))
        self.lower_action.setText(self.tr("Lower"))
        self.back_action.setText(self.tr("Send to back"))
        self.delete_action.setText(self.tr("Delete layer"))
        self.properties_dock.setWindowTitle(self.tr("Properties"))
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
        self._fill_properties()  # tooltips that depend on the layer
        self.variables_box.setTitle(self.tr("Variables"))
        self.image_panel.retranslate()
        self.style_panel.retranslate()
        self.background_panel.retranslate()
        self.lint_dock.setWindowTitle(self.tr("Checks"))
        self.preview_dock.setWindowTitle(self.tr("Phone feed preview"))
        self.export_dock.setWindowTitle(self.tr("Export"))
        self.folder_button.setText(self.tr("Folder: {name}").format(name=Path(self.export_folder).name or self.export_folder))
        self.folder_button.setToolTip(self.export_folder)
        self.export_button.setText(self.tr("Export ticked presets"))
        for row in range(self.export_presets.count()):
            item = self.export_presets.item(row)
            preset = PRESETS[item.data(Qt.ItemDataRole.UserRole)]
            label = _preset_label(preset)
            if preset.cover_count > 1:
                # Say it up front: this preset writes a numbered set, not one file.
                label += " · " + self.tr("{count} covers").format(count=preset.cover_count)
            item.setText(label)


def _aspect_labels(widget: QObject) -> dict[str, str]:
    return {"landscape": widget.tr("landscape"), "portrait": widget.tr("portrait"), "square": widget.tr("square")}


def _preset_label(preset: Preset) -> str:
    size = f"{preset.width}×{preset.height}"
    return preset.name if f"{preset.width}x{preset.height}" in preset.name else f"{preset.name} ({size})"


def _color_field(layer) -> str | None:
    for name in ("color", "fill", "foreground", "placeholder_color"):
        if hasattr(layer, name) and isinstance(getattr(layer, name), str):
            return name
    return None
