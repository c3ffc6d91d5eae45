"""Asking before unsaved work is replaced or closed: "Save changes to …?" Save / Discard / Cancel.

Only the cover shown is autosaved, so opening a template, starting a new cover or closing the editor
would otherwise drop the edits of the one shown.  The question is a window-modal box opened with
``open()`` (the GUI thread never blocks in a nested loop, and tests click its buttons); the action
that asked runs only after Save has finished writing or Discard has dropped the copy.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QMessageBox, QWidget

from ui.cover_editor.files import CoverFiles
from ui.cover_editor.labels import document_title
from ui.cover_model import CoverEditorModel
from ui.workers import run_in_background


class UnsavedChanges(QObject):
    """``ask(then)`` runs ``then`` at once when nothing is unsaved, else after the user saved or
    discarded; Cancel (or a save that failed or was cancelled) runs nothing.  ``box`` is the open
    question, if any."""

    def __init__(self, model: CoverEditorModel, undo_stack: QUndoStack, files: CoverFiles, window: QWidget) -> None:
        super().__init__(window)
        self.model = model
        self.undo_stack = undo_stack
        self.files = files
        self._window = window
        self.box: QMessageBox | None = None

    def has_unsaved_changes(self) -> bool:
        return not self.undo_stack.isClean()

    def ask(self, then: Callable[[], None]) -> None:
        if not self.has_unsaved_changes():
            then()
            return
        if self.box is not None:  # already asking: that answer decides
            self.box.raise_()
            return
        name = document_title(self, self.model.document) or self.tr("Untitled cover")
        box = QMessageBox(self._window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Unsaved changes"))
        box.setText(self.tr("Save changes to “{name}”?").format(name=name))
        box.setInformativeText(self.tr("If you don't save, your changes to this cover will be lost."))
        box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                               | QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Save).setText(self.tr("Save"))
        box.button(QMessageBox.StandardButton.Discard).setText(self.tr("Discard"))
        box.button(QMessageBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        self.box = box

        def answered(button) -> None:
            choice = box.standardButton(button)
            self.box = None
            box.deleteLater()
            if choice == QMessageBox.StandardButton.Save:
                self.files.save(then=then)
            elif choice == QMessageBox.StandardButton.Discard:
                self.discard()
                then()

        box.buttonClicked.connect(answered)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()

    def discard(self) -> None:
        """Forget the unsaved edits: no autosave copy is written or offered back for them."""
        from cover_designer.autosave import autosave_path

        self.files.stop_autosave()
        copy = autosave_path(self.files.path) if self.files.path is not None else self.files.untitled_autosave
        self.undo_stack.clear()  # clean again: nothing left to autosave
        run_in_background(lambda: Path(copy).unlink(missing_ok=True), lambda _result: None,
                          lambda _error: None, receiver=self, pool=self.files.pool)
        self.files.message.emit(self.tr("Discarded the unsaved changes."))
