"""What the layers panel, its shortcuts and the canvas menu do to the selected layer: add, duplicate,
delete, restack, lock, hide and align, each one undo step (the document edits are in
``cover_designer.editing``)."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from cover_designer.editing import (
    aligned_frame, duplicated_layer, edit_layer, moved_in_stack, moved_to_end, new_layer, with_layer, without_layer,
)
from cover_designer.geometry import with_frame
from ui.cover_editor.edits import CoverEdits
from ui.cover_editor.labels import layer_type_label
from ui.cover_model import CoverEditorModel


class LayerCommands(QObject):
    """Layer-level commands on the selected layer; ``problem`` says in words why one was not done."""

    problem = Signal(str)

    def __init__(self, model: CoverEditorModel, edits: CoverEdits, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.edits = edits

    def add_layer(self, kind: str) -> None:
        """Put a new layer of ``kind`` on top, in the middle of the canvas, and select it (one undo step)."""
        doc = self.model.document
        layer = new_layer(kind, doc, self._new_layer_text(kind))
        self.edits.push(with_layer(doc, layer), self.tr("Add {kind}").format(kind=layer_type_label(self, layer.type)))
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
        self.edits.push(with_layer(doc, copy), self.tr("Duplicate layer"))
        self.model.select(copy.id)

    def delete_layer(self) -> None:
        """Remove the selected layer (locked layers stay: unlock first)."""
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        if layer.locked:
            self.problem.emit(self.tr("The layer is locked; unlock it to delete it."))
            return
        after = without_layer(self.model.document, layer.id)
        self.model.select("")
        self.edits.push(after, self.tr("Delete layer"))

    def align_layer(self, side: str) -> None:
        """Line the selected layer up with a side or the centre of its canvas/safe area (one undo step)."""
        layer = self.model.layer(self.model.selected)
        if layer is None or layer.locked:
            return
        preset = self.model.preset
        frame = aligned_frame(layer, self.model.document, preset, side)
        self.edits.push(with_frame(self.model.document, layer.id, preset, frame), self.tr("Align layer"))

    def move_layer(self, step: int) -> None:
        """Raise (+1) or lower (-1) the selected layer one place in the stacking order."""
        after = moved_in_stack(self.model.document, self.model.selected, step)
        if after is not None:
            self.edits.push(after, self.tr("Raise layer") if step > 0 else self.tr("Lower layer"))

    def move_layer_to_end(self, to_front: bool) -> None:
        """Bring the selected layer to the front (top of the stack) or send it to the back."""
        after = moved_to_end(self.model.document, self.model.selected, to_front)
        if after is not None:
            self.edits.push(after, self.tr("Bring to front") if to_front else self.tr("Send to back"))

    def toggle_lock(self) -> None:
        layer = self.model.layer(self.model.selected)
        if layer is not None:
            after = edit_layer(self.model.document, layer.id, locked=not layer.locked)
            self.edits.push(after, self.tr("Unlock layer") if layer.locked else self.tr("Lock layer"))

    def set_hidden(self, layer_id: str, hidden: bool) -> None:
        """Hide or show a layer (nothing when it already is)."""
        layer = self.model.layer(layer_id)
        if layer is not None and layer.hidden != hidden:
            after = edit_layer(self.model.document, layer_id, hidden=hidden)
            self.edits.push(after, self.tr("Hide layer") if hidden else self.tr("Show layer"))
