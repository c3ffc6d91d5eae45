"""The cover designer window: the canvas in the middle and one dock per panel around it.

It only assembles: the model (``CoverEditorModel``), the undo stack and the controllers
(``CoverEdits``, ``LayerCommands``, ``CoverFiles``, ``RenderQueue``) are made here and handed to
the views (toolbar, layers, properties, checks, phone preview, export), which subscribe to the
model themselves.  What is left here is what spans panels: opening a document, the title, the
status bar and the keyboard focus for typing into a layer.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import shiboken6
from PySide6.QtCore import QEvent, Qt, QThreadPool
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QDialog, QDockWidget, QGroupBox, QMainWindow, QScrollArea, QVBoxLayout, QWidget

from cover_designer.document import CoverDocument
from cover_designer.preferences import CoverPreferences, load_preferences, save_preferences
from cover_designer.presets import PRESETS
from ui.cover_canvas import CoverCanvas
from ui.cover_editor.edits import CoverEdits
from ui.cover_editor.export_panel import ExportPanel
from ui.cover_editor.files import CoverFiles
from ui.cover_editor.gallery import TemplateGallery
from ui.cover_editor.layer_commands import LayerCommands
from ui.cover_editor.labels import document_title
from ui.cover_editor.layers_panel import LayersPanel
from ui.cover_editor.lint_panel import LintPanel
from ui.cover_editor.phone_preview import PhoneFeedPreview
from ui.cover_editor.properties_panel import PropertiesPanel
from ui.cover_editor.rendering import RenderOutput, RenderQueue
from ui.cover_editor.toolbar import CoverToolbar
from ui.cover_editor.unsaved import UnsavedChanges
from ui.cover_image_panel import ImagePropertiesPanel
from ui.cover_model import CoverEditorModel
from ui.cover_style_panel import BackgroundPanel, StylePanel
from ui.cover_variables import VariablesPanel
from ui.workers import run_in_background


class CoverEditorWindow(QMainWindow):
    """The cover designer: one window, docks around the canvas."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = CoverEditorModel(self)
        self.undo_stack = QUndoStack(self)
        # A pool of our own: closing the window waits for it, so no render outlives the editor.
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self.edits = CoverEdits(self.model, self.undo_stack, self)
        self.layer_commands = LayerCommands(self.model, self.edits, self)
        self.layer_commands.problem.connect(self._show_problem)
        self.files = CoverFiles(self.model, self.undo_stack, self.edits, self.pool, self.open_document, self)
        self.files.message.connect(self._show_problem)
        self.unsaved = UnsavedChanges(self.model, self.undo_stack, self.files, self)
        self._may_close_now = False  # set once the user answered the unsaved-changes question
        self.renders = RenderQueue(self._render_snapshot, self.pool, self)
        self.renders.rendered.connect(self._on_rendered)
        self.renders.failed.connect(
            lambda reason: self._show_problem(self.tr("The cover could not be drawn: {reason}").format(reason=reason)))
        self._checked_untitled_copy = False
        self.preferences = CoverPreferences()  # replaced by the saved ones once read (pool thread)
        self.preferences_loaded = False
        self._remembered_before_load: dict[str, str] = {}

        self.canvas = CoverCanvas(self)
        self.setCentralWidget(self.canvas)
        self.toolbar = CoverToolbar(self.model, self.undo_stack, self.canvas, self)
        self.addToolBar(self.toolbar)
        self.toolbar.new_action.triggered.connect(self.new_document)
        self.toolbar.templates_action.triggered.connect(self.choose_template)
        self.toolbar.open_action.triggered.connect(self.choose_file_to_open)
        self.toolbar.save_action.triggered.connect(self.files.save)
        self.toolbar.save_as_action.triggered.connect(self.files.choose_file_to_save)

        self.layers_panel = LayersPanel(self.model, self.layer_commands)
        for action in self.layers_panel.window_actions():
            self.addAction(action)
        # Delete works on the canvas and the layer list only: in a text field it deletes characters.
        self.canvas.addAction(self.layers_panel.delete_action)
        self.layers_dock = self._dock("cover_layers", self.layers_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._build_properties_dock()
        self.lint_list = LintPanel(self.model)
        self.lint_dock = self._dock("cover_lint", self.lint_list, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.phone_preview = PhoneFeedPreview()
        scroller = QScrollArea()
        scroller.setWidgetResizable(True)
        scroller.setWidget(self.phone_preview)
        self.preview_dock = self._dock("cover_phone", scroller, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.splitDockWidget(self.layers_dock, self.preview_dock, Qt.Orientation.Vertical)
        self.export_panel = ExportPanel(self.model, lambda: self.files.base_dir, self.pool)
        self.export_panel.folder_chosen.connect(lambda folder: self.remember(export_folder=folder))
        self.export_dock = self._dock("cover_export", self.export_panel, Qt.DockWidgetArea.BottomDockWidgetArea)

        # The panels above subscribed to the model first: they show the new document before it renders.
        self.model.document_changed.connect(self._on_document_changed)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        # After the stack has moved (while a command runs, the stack still counts as clean).
        self.undo_stack.indexChanged.connect(self._on_undo_index_changed)
        self.retranslate()
        # 1500x920 where the screen has room; never larger than the screen (a 1366x768 laptop).
        room = self.screen().availableGeometry() if self.screen() is not None else None
        self.resize(min(1500, room.width()) if room else 1500, min(920, room.height()) if room else 920)
        self.resizeDocks([self.lint_dock, self.export_dock], [190, 190], Qt.Orientation.Vertical)
        # Layers above the phone preview on the left; the properties get the whole right side.
        self.resizeDocks([self.layers_dock, self.properties_dock], [250, 380], Qt.Orientation.Horizontal)
        self.resizeDocks([self.layers_dock, self.preview_dock], [360, 300], Qt.Orientation.Vertical)
        run_in_background(_read_preferences, self._on_preferences, lambda _error: None, receiver=self, pool=self.pool)

    # -- building
    def _dock(self, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_properties_dock(self) -> None:
        """The right dock: the layer's properties (or the background), its style, photo and the variables."""
        self.properties_panel = PropertiesPanel(self.model, self.edits, self.layer_commands, pool=self.pool)
        self.image_panel = ImagePropertiesPanel(self)
        self.style_panel = StylePanel(self)
        self.background_panel = BackgroundPanel(self)
        self.canvas.tool_changed.connect(self.image_panel.set_tool_checked)
        self.variables_box = QGroupBox()
        self.variables_panel = VariablesPanel(self.model, self.edits.push, self.variables_box, pool=self.pool)
        QVBoxLayout(self.variables_box).addWidget(self.variables_panel)
        container = QWidget()
        column = QVBoxLayout(container)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.properties_panel)
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

    # -- opening
    def open_document(self, doc: CoverDocument, preset_id: str | None = None, path: Path | None = None) -> None:
        """Show ``doc`` (a fresh undo history) at ``preset_id`` or the document's own preset.

        Unsaved changes to the cover shown so far are written to its autosave copy first."""
        self.files.flush_autosave()
        self.undo_stack.clear()
        self.files.set_path(path)
        preset_id = preset_id or doc.preset
        self.model.selected = ""
        self.model.document = doc
        if preset_id in PRESETS:
            # Set quietly: the document below is new too, and one document_changed redraws both.
            self.toolbar.show_preset(preset_id)
            self.model.preset = PRESETS[preset_id]
        self.model.set_document(doc)
        self.model.selection_changed.emit("")
        self._update_title()

    def open_template(self, template_id: str, preset_id: str | None = None) -> None:
        """Read a template on a pool thread, then open it (unsaved changes: asked first)."""
        from cover_designer.templates import load_template

        self.unsaved.ask(lambda: run_in_background(
            lambda: load_template(template_id), lambda doc: self.open_document(doc, preset_id),
            lambda error: self._show_problem(str(getattr(error, "message", error))), receiver=self, pool=self.pool))

    def new_document(self) -> None:
        """A blank cover at the preset shown (unsaved changes: asked first)."""
        def blank() -> None:
            current = self.model.document
            doc = CoverDocument(preset=self.model.preset.id, language=current.language, direction=current.direction,
                                region=current.region)
            self.open_document(doc, self.model.preset.id)

        self.unsaved.ask(blank)

    def choose_file_to_open(self) -> None:
        """Pick a cover file to open (unsaved changes: asked first)."""
        self.unsaved.ask(self.files.choose_file_to_open)

    def choose_template(self) -> None:
        gallery = TemplateGallery(self, self.pool)
        self.gallery = gallery
        index = gallery.platform.findData(self.model.preset.id)
        gallery.platform.setCurrentIndex(max(0, index))
        gallery.set_filters(self.preferences.gallery_region, self.preferences.gallery_category)
        accepted = gallery.exec() == QDialog.DialogCode.Accepted
        region, category = gallery.filters()  # kept for next time, chosen or cancelled
        if (region, category) != (self.preferences.gallery_region, self.preferences.gallery_category):
            self.remember(gallery_region=region, gallery_category=category)
        if accepted:
            template_id, preset_id = gallery.chosen()
            if template_id:
                self.open_template(template_id, preset_id)
        self.gallery = None
        gallery.deleteLater()

    # -- preferences (export folder, gallery filters)
    def _on_preferences(self, result: tuple[CoverPreferences, bool]) -> None:
        preferences, folder_exists = result
        # Anything the user changed while the file was being read wins over what it says.
        self.preferences = preferences.model_copy(update=self._remembered_before_load)
        self.preferences_loaded = True
        if preferences.export_folder and folder_exists and "export_folder" not in self._remembered_before_load:
            self.export_panel.set_folder(preferences.export_folder)

    def remember(self, **changes: str) -> None:
        """Keep ``changes`` in the cover designer's preferences (written on a pool thread)."""
        if not self.preferences_loaded:
            self._remembered_before_load.update(changes)
        self.preferences = self.preferences.model_copy(update=changes)
        snapshot = self.preferences.model_copy()
        run_in_background(lambda: save_preferences(snapshot), lambda _path: None,
                          lambda error: self._show_problem(self.tr("Could not remember the setting: {reason}").format(
                              reason=error)), receiver=self, pool=self.pool)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._checked_untitled_copy:
            self._checked_untitled_copy = True
            self.files.check_untitled_copy()

    def _show_problem(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    # -- rendering (newest request wins)
    def _render_snapshot(self):
        return self.model.document.model_copy(deep=True), self.model.preset, self.files.base_dir

    def _on_rendered(self, output: RenderOutput) -> None:
        self.canvas.set_render(output.image, output.boxes, output.rotations, output.photo_sizes, output.faces)
        self.phone_preview.set_thumbnail(output.thumbnail, self.tr("{preset}: {width} px wide in the feed").format(
            preset=self.model.preset.name, width=output.thumbnail.width()))
        self.lint_list.show_findings(output.findings)

    def is_idle(self) -> bool:
        """No render running or waiting (tests and the screenshot wait for this)."""
        return self.renders.is_idle()

    # -- model → window
    def _on_document_changed(self) -> None:
        self._update_title()
        self.renders.request()

    def _on_undo_index_changed(self, _index: int) -> None:
        if shiboken6.isValid(self.undo_stack) and not self.undo_stack.isClean():
            self.files.edited()

    def _on_clean_changed(self, _clean: bool) -> None:
        if shiboken6.isValid(self.undo_stack):  # the stack says "clean" once more while being deleted
            self._update_title()

    def _update_title(self) -> None:
        name = document_title(self, self.model.document) or self.tr("Untitled cover")
        mark = "" if self.undo_stack.isClean() else " *"
        self.setWindowTitle(self.tr("Cover designer — {name}").format(name=name) + mark)

    def focus_text_field(self) -> None:
        """Put the cursor in the selected layer's words (text, badge) or amount (price), all selected."""
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        field = (self.properties_panel.text_edit if hasattr(layer, "text")
                 else self.style_panel.amount if layer.type == "price" else None)
        if field is not None and field.isEnabled():
            self.properties_dock.show()
            self.properties_dock.raise_()
            field.setFocus(Qt.FocusReason.MouseFocusReason)
            field.selectAll()

    # -- window
    def may_close(self, then: Callable[[], None] | None = None) -> bool:
        """True when the editor can close now; else the unsaved-changes question is asked and False
        returned: after Save or Discard the editor closes and ``then`` runs (the app's quit)."""
        if self._may_close_now or not self.unsaved.has_unsaved_changes():
            return True
        self.files.flush_autosave()  # kept while the question is open, should the program stop meanwhile

        def answered() -> None:
            self._may_close_now = True
            self.close()
            self._may_close_now = False
            if then is not None:
                then()

        self.unsaved.ask(answered)
        return False

    def closeEvent(self, event) -> None:  # noqa: N802
        # Unsaved work goes to the autosave copy now, not 2 s from now: the next editor offers it back.
        self.files.flush_autosave()
        if not self.may_close():
            event.ignore()
            return
        self.pool.waitForDone(10000)
        super().closeEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self._update_title()
        self.toolbar.retranslate()
        self.layers_dock.setWindowTitle(self.tr("Layers"))
        self.layers_panel.retranslate()
        self.properties_dock.setWindowTitle(self.tr("Properties"))
        self.properties_panel.retranslate()
        self.variables_box.setTitle(self.tr("Variables"))
        self.image_panel.retranslate()
        self.style_panel.retranslate()
        self.background_panel.retranslate()
        self.lint_dock.setWindowTitle(self.tr("Checks"))
        self.preview_dock.setWindowTitle(self.tr("Phone feed preview"))
        self.export_dock.setWindowTitle(self.tr("Export"))
        self.export_panel.retranslate()


def _read_preferences() -> tuple[CoverPreferences, bool]:
    """Runs on a pool thread: the saved preferences and whether their export folder still exists."""
    preferences = load_preferences()
    return preferences, bool(preferences.export_folder) and Path(preferences.export_folder).is_dir()
