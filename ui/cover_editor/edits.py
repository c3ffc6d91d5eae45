"""Edits of the open cover as undo steps: every view sends its changes through ``CoverEdits``."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from cover_designer.document import CoverDocument
from cover_designer.editing import edit_layer
from ui.cover_model import CoverEditorModel, DocumentCommand


class CoverEdits(QObject):
    """Turns a changed document into one undo command (none when nothing changed), and a field edit
    of a layer into a validated document; ``problem`` says why a value was refused ("" once valid)."""

    problem = Signal(str)

    def __init__(self, model: CoverEditorModel, undo_stack: QUndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.undo_stack = undo_stack

    def push(self, after: CoverDocument, text: str) -> None:
        """``after`` becomes the document, as one undo step named ``text``."""
        if after.model_dump() != self.model.document.model_dump():
            self.undo_stack.push(DocumentCommand(self.model, self.model.document, after, text))

    def commit(self, field_name: str, value, text: str | None = None) -> None:
        """One field of the selected layer (``font_size``/``font_weight``/``font_family`` reach into its font)."""
        layer_id = self.model.selected
        if not self.model.layer(layer_id):
            return
        self.push_fields(layer_id, {field_name: value}, text or self.tr("Edit layer"))

    def push_fields(self, layer_id: str, fields: dict, text: str) -> None:
        """Several fields of one layer in one undo step (e.g. both coordinates of a focal point)."""
        if self.model.layer(layer_id) is None:
            return
        try:
            after = edit_layer(self.model.document, layer_id, **fields)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            self.problem.emit(self.tr("Not a valid value: {reason}").format(reason=str(exc).splitlines()[-1].strip()))
            return
        self.problem.emit("")
        self.push(after, text)
