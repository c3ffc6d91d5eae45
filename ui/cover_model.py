"""The cover designer's model and undo command (no widgets): the open document, preset and selection;
one undo command per edit.  The document edits themselves need no Qt and live in
``cover_designer.editing``; their names stay importable from here."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand

from cover_designer.document import CoverDocument
from cover_designer.editing import (
    ALIGN_SIDES, NEW_LAYER_KINDS, aligned_frame, duplicated_layer, edit_layer, new_layer,
)
from cover_designer.presets import PRESETS, Preset

__all__ = ["CoverEditorModel", "DocumentCommand", "ALIGN_SIDES", "NEW_LAYER_KINDS", "aligned_frame",
           "duplicated_layer", "edit_layer", "new_layer"]


class CoverEditorModel(QObject):
    """The open cover, the preset it is shown at and the selected layer (no widgets)."""

    document_changed = Signal()
    selection_changed = Signal(str)
    preset_changed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = CoverDocument()
        self.preset: Preset = PRESETS["youtube"]
        self.selected: str = ""

    def set_document(self, doc: CoverDocument) -> None:
        self.document = doc
        if self.selected and self.layer(self.selected) is None:
            self.select("")
        self.document_changed.emit()

    def set_preset(self, preset_id: str) -> None:
        if preset_id in PRESETS and PRESETS[preset_id] is not self.preset:
            self.preset = PRESETS[preset_id]
            self.preset_changed.emit(preset_id)
            self.document_changed.emit()

    def select(self, layer_id: str) -> None:
        if layer_id != self.selected:
            self.selected = layer_id
            self.selection_changed.emit(layer_id)

    def layer(self, layer_id: str):
        return next((layer for layer in self.document.layers if layer.id == layer_id), None)

    def is_mirrored(self, layer) -> bool:
        return self.document.direction == "rtl" and not layer.mirror_exempt


class DocumentCommand(QUndoCommand):
    """One edit: the whole document before and after (documents are small; undo is exact)."""

    def __init__(self, model: CoverEditorModel, before: CoverDocument, after: CoverDocument, text: str) -> None:
        super().__init__(text)
        self.model = model
        self.before = before.model_copy(deep=True)
        self.after = after.model_copy(deep=True)

    def redo(self) -> None:
        self.model.set_document(self.after.model_copy(deep=True))

    def undo(self) -> None:
        self.model.set_document(self.before.model_copy(deep=True))
