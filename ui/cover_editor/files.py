"""The cover's file: open (with the autosave copy offered back), save, save as, and autosave a
moment after the last edit.  All file work runs on pool threads; answers come back on the GUI thread."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from cover_designer.document import CoverDocument
from ui.cover_editor.edits import CoverEdits
from ui.cover_model import CoverEditorModel
from ui.workers import run_in_background

AUTOSAVE_DELAY_MS = 2000  # after the last edit

# Shows a document in the editor: (document, preset id or None, the file it came from or None).
OpenDocument = Callable[[CoverDocument, "str | None", "Path | None"], None]


class CoverFiles(QObject):
    """Where the open cover lives on disk and its autosave copy; ``message`` is a line for the status
    bar, ``saved(path)`` follows a save.  Covers with no file yet autosave to ``untitled_autosave``,
    and the next editor offers that copy back."""

    message = Signal(str)
    saved = Signal(str)

    def __init__(self, model: CoverEditorModel, undo_stack: QUndoStack, edits: CoverEdits, pool: QThreadPool,
                 open_document: OpenDocument, window: QWidget) -> None:
        super().__init__(window)
        self.model = model
        self.undo_stack = undo_stack
        self.edits = edits
        self.pool = pool
        self._open_document = open_document
        self._window = window  # parent of the file dialogs and the recovery question
        self.path: Path | None = None  # the file the cover was opened from or saved to
        self.base_dir: str | None = None  # relative image paths in the cover resolve here
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setSingleShot(True)
        self._autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self._autosave_timer.timeout.connect(self._autosave)
        from studio.core.paths import config_dir

        self.untitled_autosave: Path = config_dir() / "covers" / "untitled.autosave.json"
        self.recovery_box: QMessageBox | None = None

    def set_path(self, path: Path | None) -> None:
        """The cover now shown came from ``path`` (None: no file yet)."""
        self.path = path
        self.base_dir = str(path.resolve().parent) if path else None

    def edited(self) -> None:
        """The undo stack moved away from the saved state: autosave a moment after the last edit."""
        self._autosave_timer.start()

    # -- opening
    def choose_file_to_open(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self._window, self.tr("Open cover"), str(self.path or Path.home()),
                                                    self.tr("Cover files (*.json)"))
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path) -> None:
        """Read a cover file (or its newer autosave copy) on a pool thread, then open it."""
        from cover_designer.autosave import autosave_path, recover
        from cover_designer.document import load_document
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
                self._open_document(saved, None, path)
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
        box = QMessageBox(self._window)
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
                self.message.emit(self.tr("Discarded the unsaved changes."))

        box.buttonClicked.connect(answered)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()

    def _apply_recovery(self, recovered: CoverDocument, path: Path | None) -> None:
        """Bring the autosaved cover back as one undo step over what is open (undo shows the saved one)."""
        if path is not None and self.path != path:
            self._open_document(recovered, None, path)  # the saved file could not be read
        else:
            self.edits.push(recovered, self.tr("Recover unsaved changes"))
        self.message.emit(self.tr("Recovered changes that were not saved before the program stopped."))

    def check_untitled_copy(self) -> None:
        """Offer the autosaved copy of a cover that was never saved, if the program stopped with one."""
        from cover_designer.autosave import read_copy

        target = self.untitled_autosave
        run_in_background(lambda: read_copy(target),
                          lambda doc: doc is not None and self._offer_recovery(doc, target, None),
                          self._on_file_failed, receiver=self, pool=self.pool)

    # -- saving
    def save(self, then: Callable[[], None] | None = None) -> None:
        """Save to the cover's file (asking for one if it has none); ``then`` runs once it is written."""
        if self.path is None:
            self.choose_file_to_save(then)
        else:
            self.save_to(self.path, then)

    def choose_file_to_save(self, then: Callable[[], None] | None = None) -> None:
        suggested = self.path or Path.home() / f"{self.model.document.id or 'cover'}.json"
        path, _filter = QFileDialog.getSaveFileName(self._window, self.tr("Save cover as"), str(suggested),
                                                    self.tr("Cover files (*.json)"))
        if path:
            self.save_to(Path(path), then)

    def save_to(self, path: Path, then: Callable[[], None] | None = None) -> None:
        """Write the cover atomically on a pool thread; the undo history is marked clean when done,
        then ``then`` runs (not when the save failed)."""
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
            self.message.emit(self.tr("Saved {path}").format(path=path))
            self.saved.emit(str(path))
            if then is not None:
                then()

        run_in_background(lambda: save(doc, path), saved, self._on_file_failed, receiver=self, pool=self.pool)

    def stop_autosave(self) -> None:
        """No autosave for the edits made so far (they are being discarded)."""
        self._autosave_timer.stop()

    def flush_autosave(self) -> None:
        """Autosave now (unsaved edits only), not when the timer would."""
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
        self.message.emit(self.tr("The cover file could not be used: {reason}").format(
            reason=getattr(error, "message", None) or error))
