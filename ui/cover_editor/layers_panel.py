"""The layers dock: the cover's layers topmost first (tick to show), with add, duplicate, delete,
raise/lower and lock, the stacking shortcuts and the canvas's layer menu.  A view of the model;
what the buttons do is ``LayerCommands``."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QListWidget, QListWidgetItem, QMenu, QPushButton, QSizePolicy, QToolButton,
    QVBoxLayout, QWidget,
)

from cover_designer.editing import NEW_LAYER_KINDS
from ui.cover_editor.labels import layer_type_label
from ui.cover_editor.layer_commands import LayerCommands
from ui.cover_model import CoverEditorModel


class LayersPanel(QWidget):
    """The layer list and its buttons; shows ``model``'s layers and selection, sends ``commands``."""

    def __init__(self, model: CoverEditorModel, commands: LayerCommands, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.commands = commands
        self.layer_list = QListWidget()
        self.layer_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.layer_list.currentItemChanged.connect(self._on_layer_row)
        self.layer_list.itemChanged.connect(self._on_layer_item_changed)
        self.lock_button = QPushButton()
        self.lock_button.setCheckable(True)
        self.lock_button.clicked.connect(commands.toggle_lock)
        self.up_button = QPushButton()
        self.up_button.clicked.connect(lambda: commands.move_layer(+1))
        self.down_button = QPushButton()
        self.down_button.clicked.connect(lambda: commands.move_layer(-1))
        self.add_button = QToolButton()
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.add_menu = QMenu(self.add_button)
        self.add_actions: dict[str, QAction] = {}
        for kind in NEW_LAYER_KINDS:
            action = self.add_menu.addAction("")
            action.triggered.connect(lambda _checked=False, kind=kind: commands.add_layer(kind))
            self.add_actions[kind] = action
        self.add_button.setMenu(self.add_menu)
        self.duplicate_button = QPushButton()
        self.duplicate_button.clicked.connect(commands.duplicate_layer)
        self.delete_button = QPushButton()
        self.delete_button.clicked.connect(commands.delete_layer)
        self.duplicate_action = QAction(self)
        self.duplicate_action.setShortcut(QKeySequence("Ctrl+D"))
        self.duplicate_action.triggered.connect(commands.duplicate_layer)
        self.delete_action = QAction(self)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_action.triggered.connect(commands.delete_layer)
        # Stacking shortcuts as in common design tools.
        self.front_action = QAction(self)
        self.front_action.setShortcut(QKeySequence("Ctrl+Shift+]"))
        self.front_action.triggered.connect(lambda: commands.move_layer_to_end(True))
        self.raise_action = QAction(self)
        self.raise_action.setShortcut(QKeySequence("Ctrl+]"))
        self.raise_action.triggered.connect(lambda: commands.move_layer(+1))
        self.lower_action = QAction(self)
        self.lower_action.setShortcut(QKeySequence("Ctrl+["))
        self.lower_action.triggered.connect(lambda: commands.move_layer(-1))
        self.back_action = QAction(self)
        self.back_action.setShortcut(QKeySequence("Ctrl+Shift+["))
        self.back_action.triggered.connect(lambda: commands.move_layer_to_end(False))
        # Delete works on the canvas and the layer list only: in a text field it deletes characters
        # (the window adds it to the canvas too).
        self.layer_list.addAction(self.delete_action)
        edit_row = QHBoxLayout()
        for button in (self.add_button, self.duplicate_button, self.delete_button):
            edit_row.addWidget(button)
        self.add_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        buttons = QHBoxLayout()
        for button in (self.up_button, self.down_button, self.lock_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(edit_row)
        layout.addWidget(self.layer_list)
        layout.addLayout(buttons)
        model.document_changed.connect(self.refresh)
        model.selection_changed.connect(self._on_selection_changed)

    def window_actions(self) -> list[QAction]:
        """The shortcuts that work anywhere in the editor window (the window adds them to itself)."""
        return [self.duplicate_action, self.front_action, self.raise_action, self.lower_action, self.back_action]

    def refresh(self) -> None:
        """List the document's layers again (topmost first) and enable the buttons for the selection."""
        self.layer_list.blockSignals(True)
        self.layer_list.clear()
        for layer in reversed(self.model.document.ordered_layers()):  # topmost first, like every editor
            name = layer.name or layer.id
            lock = " 🔒" if layer.locked else ""
            item = QListWidgetItem(f"{name} · {layer_type_label(self, layer.type)}{lock}")
            item.setData(Qt.ItemDataRole.UserRole, layer.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if layer.hidden else Qt.CheckState.Checked)
            item.setToolTip(self.tr("Tick to show the layer"))
            self.layer_list.addItem(item)
            if layer.id == self.model.selected:
                self.layer_list.setCurrentItem(item)
        self.layer_list.blockSignals(False)
        self._update_buttons()

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
        self._update_buttons()

    def _update_buttons(self) -> None:
        layer = self.model.layer(self.model.selected)
        self.lock_button.setChecked(bool(layer and layer.locked))
        for widget in (self.duplicate_button, self.delete_button, self.lock_button, self.up_button, self.down_button):
            widget.setEnabled(layer is not None)
        if layer is not None:
            self.delete_button.setEnabled(not layer.locked)

    def _on_layer_row(self, current: QListWidgetItem | None, _previous=None) -> None:
        self.model.select(current.data(Qt.ItemDataRole.UserRole) if current else "")

    def _on_layer_item_changed(self, item: QListWidgetItem) -> None:
        self.commands.set_hidden(item.data(Qt.ItemDataRole.UserRole), item.checkState() != Qt.CheckState.Checked)

    def layer_menu(self, parent: QWidget | None = None) -> QMenu:
        """The selected layer's menu (the canvas shows it on a right click)."""
        layer = self.model.layer(self.model.selected)
        menu = QMenu(parent or self)
        if layer is None:
            return menu
        menu.addAction(self.duplicate_action)
        delete = menu.addAction(self.tr("Delete layer"), self.commands.delete_layer)
        delete.setEnabled(not layer.locked)
        menu.addSeparator()
        menu.addAction(self.front_action)
        menu.addAction(self.raise_action)
        menu.addAction(self.lower_action)
        menu.addAction(self.back_action)
        menu.addSeparator()
        menu.addAction(self.tr("Unlock layer") if layer.locked else self.tr("Lock layer"), self.commands.toggle_lock)
        menu.addAction(self.tr("Hide layer"), lambda: self.commands.set_hidden(layer.id, True))
        return menu

    def retranslate(self) -> None:
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
