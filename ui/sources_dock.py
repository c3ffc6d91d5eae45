"""The sources dock: the program scene's layers, top of the list = top layer.

Each row has a visibility checkbox and shows its source's state ("no signal" with the
reason) as reported by the engine.  Adding opens ``SourceDialog``; changes go to the
engine, and the list is rebuilt from the engine's events, never kept as its own truth.
"""
from __future__ import annotations

import logging

from pydantic import ValidationError
from PySide6.QtCore import QEvent, QPoint, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDockWidget,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine import Studio
from studio.core.errors import StudioError
from studio.sources import source_kinds
from ui.bridge import StudioBridge
from ui.icons import icon
from ui.source_dialog import SourceDialog, kind_label
from ui.transform_dialog import ItemTransformDialog
from ui.vertical_layout_panel import VerticalItemPanel

log = logging.getLogger(__name__)

ITEM_ID_ROLE = Qt.ItemDataRole.UserRole
SOURCE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
# The order kinds appear in the "Add source" menu; kinds the engine adds later go last.
KIND_ORDER = ("camera", "media_file", "image", "testpattern")


class SourcesDock(QDockWidget):
    """Layers of the current scene: add, remove, properties, transform, z-order, visibility.

    ``item_selected(item_id)`` says which layer's row is selected ("" for none); the preview
    selects the same layer, and :meth:`select_item` follows a layer picked in the preview."""

    item_selected = Signal(str)

    def __init__(self, studio: Studio, bridge: StudioBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.setObjectName("sourcesDock")
        self.pending_dialog: QDialog | None = None  # the open add/properties/transform dialog
        self._states: dict[str, tuple[str, str]] = {}

        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.list = QListWidget(body)
        self.list.setObjectName("sourceList")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._show_context_menu)
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.itemDoubleClicked.connect(lambda _item: self.edit_properties())
        self.list.currentItemChanged.connect(lambda *_: self._on_selection_changed())
        layout.addWidget(self.list, 1)

        self.add_menu = QMenu(self)
        self.add_menu.aboutToShow.connect(self._fill_add_menu)
        self.add_button = QToolButton(body)
        self.add_button.setObjectName("addSourceButton")
        self.add_button.setIcon(icon("add"))
        self.add_button.setMenu(self.add_menu)
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setAutoRaise(True)

        self.remove_action = QAction(icon("remove"), "", self)
        self.remove_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.remove_action.triggered.connect(self.remove_selected)
        self.list.addAction(self.remove_action)
        self.properties_action = QAction(icon("properties"), "", self)
        self.properties_action.triggered.connect(self.edit_properties)
        self.transform_action = QAction(icon("transform"), "", self)
        self.transform_action.triggered.connect(self.edit_transform)
        self.filters_action = QAction(icon("properties"), "", self)
        self.filters_action.setObjectName("filtersAction")
        self.filters_action.triggered.connect(self.edit_filters)
        self.up_action = QAction(icon("up"), "", self)
        self.up_action.triggered.connect(lambda: self.move_selected(+1))
        self.down_action = QAction(icon("down"), "", self)
        self.down_action.triggered.connect(lambda: self.move_selected(-1))

        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        buttons.addWidget(self.add_button)
        for action in (self.remove_action, self.properties_action, self.transform_action, self.up_action, self.down_action):
            button = QToolButton(body)
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        # The selected layer's place on the vertical canvas (shown while that canvas is on).
        self.vertical_panel = VerticalItemPanel(studio, bridge, body)
        layout.addWidget(self.vertical_panel)
        self.setWidget(body)

        for source_id, source in list(studio.sources.items()):
            self._states[source_id] = (source.state.value, source.state_message)
        bridge.collection_changed.connect(self._on_collection_changed)
        bridge.current_scene_changed.connect(lambda _scene_id: self.refresh())
        bridge.source_state_changed.connect(self._on_source_state_changed)
        self.retranslate()
        self.refresh()

    # -- model → view ----------------------------------------------------------------------------
    def edited_scene(self):  # -> Scene | None
        return self.studio.collection.scene(self.scene_id() or "")

    def scene_id(self) -> str | None:
        """The scene being edited: the studio-mode preview's, else the program's."""
        mode = self.studio.studio_mode
        return mode.scene_id if mode.is_on else self.studio.collection.current_scene

    def refresh(self) -> None:
        """Make the rows match the current scene (top layer first), in place when possible.

        In place matters: a checkbox click arrives while Qt is inside that row's
        ``setData``; deleting the row then would pull it out from under Qt.
        """
        scene = self.edited_scene()
        items = list(reversed(scene.items)) if scene is not None else []
        wanted = [(item.id, item.source_id) for item in items]
        shown = [(self.list.item(i).data(ITEM_ID_ROLE), self.list.item(i).data(SOURCE_ID_ROLE)) for i in range(self.list.count())]
        current = self.list.currentItem()
        selected_item_id = current.data(ITEM_ID_ROLE) if current is not None else None
        with QSignalBlocker(self.list):
            if shown != wanted:
                self.list.clear()
                for scene_item in items:
                    row = QListWidgetItem()
                    row.setData(ITEM_ID_ROLE, scene_item.id)
                    row.setData(SOURCE_ID_ROLE, scene_item.source_id)
                    row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    self.list.addItem(row)
                    if scene_item.id == selected_item_id:
                        self.list.setCurrentItem(row)
            for index, scene_item in enumerate(items):
                row = self.list.item(index)
                state = Qt.CheckState.Checked if scene_item.is_visible else Qt.CheckState.Unchecked
                if row.checkState() != state:
                    row.setCheckState(state)
                self._show_row(row)
        self._on_selection_changed()

    def _on_selection_changed(self) -> None:
        current = self.list.currentItem()
        item_id = current.data(ITEM_ID_ROLE) if current is not None else None
        self.vertical_panel.show_item(item_id)
        self._update_actions()
        self.item_selected.emit(item_id or "")

    def select_item(self, item_id: str) -> None:
        """Make the layer ``item_id`` the selected row ("" or an unknown id: no selection)."""
        for index in range(self.list.count()):
            row = self.list.item(index)
            if row.data(ITEM_ID_ROLE) == item_id:
                if self.list.currentItem() is not row:
                    self.list.setCurrentItem(row)
                return
        if self.list.currentItem() is not None:
            self.list.setCurrentRow(-1)

    def _show_row(self, row: QListWidgetItem) -> None:
        source_id = row.data(SOURCE_ID_ROLE)
        spec = self.studio.collection.source(source_id)
        name = spec.name if spec is not None else source_id
        state, message = self._states.get(source_id, ("", ""))
        if state == "no_signal":
            row.setText(self.tr("{name} — no signal").format(name=name))
            row.setIcon(icon("warning"))
            row.setToolTip(message or self.tr("No signal; trying again…"))
        elif state == "failed":
            row.setText(self.tr("{name} — not working").format(name=name))
            row.setIcon(icon("error"))
            row.setToolTip(message or self.tr("This source cannot start with its settings."))
        elif state == "starting":
            row.setText(self.tr("{name} — starting…").format(name=name))
            row.setIcon(icon("blank"))
            row.setToolTip("")
        else:
            row.setText(name)
            row.setIcon(icon("blank"))
            kind = kind_label(spec.kind) if spec is not None else ""
            row.setToolTip(kind)

    def _on_collection_changed(self, what: str) -> None:
        if what in ("items", "sources", "scenes", "collection"):
            if what == "collection":
                self._states = {sid: (s.state.value, s.state_message) for sid, s in list(self.studio.sources.items())}
            self.refresh()

    def _on_source_state_changed(self, source_id: str, state: str, message: str) -> None:
        self._states[source_id] = (state, message)
        for index in range(self.list.count()):
            row = self.list.item(index)
            if row.data(SOURCE_ID_ROLE) == source_id:
                with QSignalBlocker(self.list):
                    self._show_row(row)

    def state_text(self, source_id: str) -> str:
        """The row text shown for ``source_id`` (first row using it), for tests and tooltips."""
        for index in range(self.list.count()):
            row = self.list.item(index)
            if row.data(SOURCE_ID_ROLE) == source_id:
                return row.text()
        return ""

    def _update_actions(self) -> None:
        row = self.list.currentRow()
        has_row = row >= 0
        for action in (self.remove_action, self.properties_action, self.transform_action, self.filters_action):
            action.setEnabled(has_row)
        self.up_action.setEnabled(has_row and row > 0)
        self.down_action.setEnabled(has_row and row < self.list.count() - 1)
        self.add_button.setEnabled(self.scene_id() is not None)

    # -- view → model ------------------------------------------------------------------------------
    def _selected(self) -> tuple[str, str] | None:
        row = self.list.currentItem()
        scene_id = self.scene_id()
        if row is None or scene_id is None:
            return None
        return row.data(ITEM_ID_ROLE), row.data(SOURCE_ID_ROLE)

    def _on_item_changed(self, row: QListWidgetItem) -> None:
        scene_id = self.scene_id()
        if scene_id is None:
            return
        is_visible = row.checkState() == Qt.CheckState.Checked
        scene = self.studio.collection.scene(scene_id)
        item = next((i for i in scene.items if i.id == row.data(ITEM_ID_ROLE)), None) if scene else None
        if item is not None and item.is_visible != is_visible:
            self.studio.items.update(scene_id, item.id, is_visible=is_visible)

    def _fill_add_menu(self) -> None:
        self.add_menu.clear()
        kinds = source_kinds()
        ordered = [k for k in KIND_ORDER if k in kinds] + [k for k in kinds if k not in KIND_ORDER]
        for kind in ordered:
            action = self.add_menu.addAction(kind_label(kind))
            action.setData(kind)
            action.triggered.connect(lambda _checked=False, kind=kind: self.add_source(kind))

    def _unique_name(self, base: str) -> str:
        names = {spec.name for spec in self.studio.collection.sources}
        if base not in names:
            return base
        number = 2
        while self.tr("{name} {number}").format(name=base, number=number) in names:
            number += 1
        return self.tr("{name} {number}").format(name=base, number=number)

    def add_source(self, kind: str) -> SourceDialog:
        """Open the dialog for a new source of ``kind``; accepting adds it on top of the scene."""
        canvas = self.studio.collection.canvas
        dialog = SourceDialog(kind, self, name=self._unique_name(kind_label(kind)), canvas_size=(canvas.width, canvas.height, canvas.fps))
        dialog.accepted.connect(lambda: self._add_from_dialog(dialog))
        self._open_dialog(dialog)
        return dialog

    def _add_from_dialog(self, dialog: SourceDialog) -> None:
        name, settings = dialog.values()
        try:
            _spec, item = self.studio.add_source(dialog.kind, name, settings, scene_id=self.scene_id())
        except StudioError as exc:
            self._show_error(self.tr("Could not add the source"), str(exc))
            return
        if item is not None:
            self.select_item(item.id)

    def edit_properties(self) -> SourceDialog | None:
        selected = self._selected()
        spec = self.studio.collection.source(selected[1]) if selected else None
        if spec is None:
            return None
        canvas = self.studio.collection.canvas
        dialog = SourceDialog(spec.kind, self, name=spec.name, settings=spec.settings, canvas_size=(canvas.width, canvas.height, canvas.fps), is_new=False)
        source_id = spec.id

        def apply() -> None:
            current = self.studio.collection.source(source_id)
            if current is None:
                return
            name, settings = dialog.values()
            changed = {k: v for k, v in settings.items() if current.settings.get(k) != v}
            try:
                self.studio.update_source(source_id, name=name if name != current.name else None, settings=changed or None)
            except StudioError as exc:
                self._show_error(self.tr("Could not change the source"), str(exc))

        dialog.accepted.connect(apply)
        self._open_dialog(dialog)
        return dialog

    def edit_transform(self) -> ItemTransformDialog | None:
        selected = self._selected()
        scene = self.edited_scene()
        if selected is None or scene is None:
            return None
        item = next((i for i in scene.items if i.id == selected[0]), None)
        spec = self.studio.collection.source(selected[1])
        if item is None:
            return None
        canvas = self.studio.collection.canvas
        dialog = ItemTransformDialog(item, spec.name if spec else item.source_id, (canvas.width, canvas.height), self)
        scene_id, item_id = scene.id, item.id

        def apply() -> None:
            try:
                self.studio.items.update(scene_id, item_id, **dialog.fields())
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(part) for part in first.get("loc", ()))
                self._show_error(self.tr("Could not change the layer"), self.tr("{field}: {problem}").format(field=field, problem=first.get("msg", "")))

        dialog.accepted.connect(apply)
        self._open_dialog(dialog)
        return dialog

    def edit_filters(self):  # -> FiltersDialog | None
        """Sources ▸ Filters…: the selected layer's picture tools (applied live)."""
        from ui.filters_dialog import FiltersDialog

        selected = self._selected()
        scene = self.edited_scene()
        if selected is None or scene is None:
            return None
        spec = self.studio.collection.source(selected[1])
        dialog = FiltersDialog(self.studio, scene.id, selected[0], spec.name if spec else selected[1], self)
        self._open_dialog(dialog)
        return dialog

    def _open_dialog(self, dialog: QDialog) -> None:
        # open(), not exec(): window-modal without a nested event loop (and testable).
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self._forget_dialog(dialog))
        self.pending_dialog = dialog
        dialog.open()

    def _forget_dialog(self, dialog: QDialog) -> None:
        if self.pending_dialog is dialog:
            self.pending_dialog = None

    def remove_selected(self) -> None:
        """Remove the layer; the source goes too unless another scene still shows it."""
        selected = self._selected()
        scene_id = self.scene_id()
        if selected is None or scene_id is None:
            return
        item_id, source_id = selected
        is_used_elsewhere = any(item.source_id == source_id and not (scene.id == scene_id and item.id == item_id) for scene in self.studio.collection.scenes for item in scene.items)
        if is_used_elsewhere:
            self.studio.items.remove(scene_id, item_id)
        else:
            self.studio.remove_source(source_id)

    def move_selected(self, steps: int) -> None:
        """``steps`` > 0 raises the layer (moves it up the list)."""
        selected = self._selected()
        scene_id = self.scene_id()
        if selected is not None and scene_id is not None:
            self.studio.items.move(scene_id, selected[0], steps)

    def _show_error(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _show_context_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        add = menu.addMenu(icon("add"), self.tr("Add source"))
        kinds = source_kinds()
        for kind in [k for k in KIND_ORDER if k in kinds] + [k for k in kinds if k not in KIND_ORDER]:
            add.addAction(kind_label(kind), lambda kind=kind: self.add_source(kind))
        menu.addSeparator()
        for action in (self.properties_action, self.transform_action, self.filters_action, self.up_action, self.down_action,
                       self.remove_action):
            menu.addAction(action)
        menu.popup(self.list.viewport().mapToGlobal(position))

    # -- language -------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Sources"))
        self.add_button.setToolTip(self.tr("Add a source to this scene"))
        self.remove_action.setText(self.tr("Remove"))
        self.remove_action.setToolTip(self.tr("Remove the selected source from this scene"))
        self.properties_action.setText(self.tr("Properties…"))
        self.properties_action.setToolTip(self.tr("Change the selected source's settings"))
        self.transform_action.setText(self.tr("Transform…"))
        self.transform_action.setToolTip(self.tr("Position, size, opacity and crop of the selected layer"))
        self.filters_action.setText(self.tr("Filters…"))
        self.filters_action.setToolTip(self.tr("Chroma key, colour correction, colour looks and sharpening for the selected layer"))
        self.up_action.setText(self.tr("Move up"))
        self.up_action.setToolTip(self.tr("Move the layer up (in front)"))
        self.down_action.setText(self.tr("Move down"))
        self.down_action.setToolTip(self.tr("Move the layer down (behind)"))
        self.list.setToolTip(self.tr("Top of the list is the front layer; the checkbox shows or hides a layer"))
        with QSignalBlocker(self.list):
            for index in range(self.list.count()):
                self._show_row(self.list.item(index))
