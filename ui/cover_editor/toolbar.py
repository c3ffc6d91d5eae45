"""The cover editor's toolbar: templates, open, save, undo/redo, the preset shown, safe zones,
snapping and guides.  The file actions are connected by the window (they belong to ``CoverFiles``)."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QMenu, QToolBar, QToolButton, QWidget

from cover_designer.presets import PRESETS
from ui.cover_canvas import CoverCanvas
from ui.cover_editor.labels import preset_label
from ui.cover_model import CoverEditorModel


class CoverToolbar(QToolBar):
    """Tool buttons over the canvas; the preset combo follows the model and sets its preset."""

    def __init__(self, model: CoverEditorModel, undo_stack: QUndoStack, canvas: CoverCanvas,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cover_toolbar")
        self.model = model
        self.canvas = canvas
        self.new_action = QAction(self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.templates_action = QAction(self)
        self.open_action = QAction(self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.save_action = QAction(self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_as_action = QAction(self)
        self.save_as_action.setShortcut(QKeySequence.StandardKey.SaveAs)
        # Our own Undo/Redo actions, not QUndoStack's: its "Undo %1" comes from Qt's catalogs, which
        # have no Thai, Indonesian or Vietnamese (the button stayed English there).
        self.undo_stack = undo_stack
        self.undo_action = QAction(self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.triggered.connect(undo_stack.undo)
        self.redo_action = QAction(self)
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.redo_action.triggered.connect(undo_stack.redo)
        undo_stack.canUndoChanged.connect(self.undo_action.setEnabled)
        undo_stack.canRedoChanged.connect(self.redo_action.setEnabled)
        self._undo_text, self._redo_text = undo_stack.undoText(), undo_stack.redoText()
        undo_stack.undoTextChanged.connect(self._on_undo_text)
        undo_stack.redoTextChanged.connect(self._on_redo_text)
        self.undo_action.setEnabled(undo_stack.canUndo())
        self.redo_action.setEnabled(undo_stack.canRedo())
        self.preset_label = QLabel()
        self.preset_combo = QComboBox()
        for preset in PRESETS.values():
            self.preset_combo.addItem(preset_label(preset), preset.id)
        self.preset_combo.currentIndexChanged.connect(lambda _i: model.set_preset(self.preset_combo.currentData()))
        model.preset_changed.connect(self.show_preset)
        self.safe_check = QCheckBox()
        self.safe_check.setChecked(True)
        self.safe_check.toggled.connect(self._toggle_safe_zones)
        self.snap_check = QCheckBox()
        self.snap_check.setChecked(True)
        self.snap_check.toggled.connect(lambda on: setattr(canvas, "snapping", on))
        self.addAction(self.new_action)
        self.addAction(self.templates_action)
        self.addAction(self.open_action)
        self.addAction(self.save_action)
        self.addAction(self.save_as_action)
        self.addSeparator()
        self.addAction(self.undo_action)
        self.addAction(self.redo_action)
        self.addSeparator()
        self.addWidget(self.preset_label)
        self.addWidget(self.preset_combo)
        self.addWidget(self.safe_check)
        self.addWidget(self.snap_check)
        self.guides_button = QToolButton()
        self.guides_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        guides_menu = QMenu(self.guides_button)
        self.add_vertical_guide = guides_menu.addAction("", lambda: canvas.add_guide("x"))
        self.add_horizontal_guide = guides_menu.addAction("", lambda: canvas.add_guide("y"))
        self.clear_guides_action = guides_menu.addAction("", canvas.clear_guides)
        self.guides_button.setMenu(guides_menu)
        self.addWidget(self.guides_button)

    def show_preset(self, preset_id: str) -> None:
        """Show ``preset_id`` in the combo without setting it again."""
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(preset_id))
        self.preset_combo.blockSignals(False)

    def _toggle_safe_zones(self, on: bool) -> None:
        self.canvas.show_safe_zones = on
        self.canvas.update()

    def _on_undo_text(self, text: str) -> None:
        self._undo_text = text
        self._show_undo_texts()

    def _on_redo_text(self, text: str) -> None:
        self._redo_text = text
        self._show_undo_texts()

    def _show_undo_texts(self) -> None:
        undo, redo = self._undo_text, self._redo_text
        self.undo_action.setText(self.tr("Undo {action}").format(action=undo) if undo else self.tr("Undo"))
        self.redo_action.setText(self.tr("Redo {action}").format(action=redo) if redo else self.tr("Redo"))

    def retranslate(self) -> None:
        self._show_undo_texts()
        self.setWindowTitle(self.tr("Cover tools"))
        self.new_action.setText(self.tr("&New"))
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
