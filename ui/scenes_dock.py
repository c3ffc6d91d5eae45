"""The scenes dock: the show's scenes; a click puts one on the program with the transition."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSignalBlocker, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine import Studio
from ui.bridge import StudioBridge
from ui.icons import icon
from ui.stinger_dialog import StingerDialog, StingerStatus
from ui.vertical_layout_panel import VerticalCanvasControls

SCENE_ID_ROLE = Qt.ItemDataRole.UserRole
TRANSITION_KINDS = ("cut", "fade", "slide", "swipe", "stinger")

SCENE_HOTKEYS = 9  # Ctrl+1 … Ctrl+9


class ScenesDock(QDockWidget):
    """List of scenes (add, remove, rename with double-click/F2) plus the transition controls."""

    def __init__(self, studio: Studio, bridge: StudioBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.setObjectName("scenesDock")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable | QDockWidget.DockWidgetFeature.DockWidgetClosable)

        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)

        self.list = QListWidget(body)
        self.list.setObjectName("sceneList")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.currentItemChanged.connect(self._on_current_item_changed)
        self.list.itemChanged.connect(self._on_item_renamed)
        layout.addWidget(self.list, 1)

        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        self.add_action = QAction(icon("add"), "", self)
        self.add_action.triggered.connect(self.add_scene)
        self.remove_action = QAction(icon("remove"), "", self)
        self.remove_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.remove_action.triggered.connect(self.remove_selected_scene)
        self.rename_action = QAction(icon("rename"), "", self)
        self.rename_action.triggered.connect(self.rename_selected_scene)
        self.starting_soon_action = QAction(icon("countdown"), "", self)
        self.starting_soon_action.setObjectName("startingSoonAction")
        self.starting_soon_action.triggered.connect(self.add_starting_soon_scene)
        self.starting_soon_dialog = None  # ui.cover_show_time.ShowTimeDialog while open
        self.list.addAction(self.remove_action)
        for action in (self.add_action, self.remove_action, self.rename_action, self.starting_soon_action):
            button = QToolButton(body)
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        transition_row = QHBoxLayout()
        transition_row.setSpacing(6)
        self.transition_label = QLabel(body)
        self.transition_combo = QComboBox(body)
        self.transition_combo.setObjectName("transitionCombo")
        for kind in TRANSITION_KINDS:
            self.transition_combo.addItem("", kind)
        self.duration_spin = QSpinBox(body)
        self.duration_spin.setObjectName("transitionDuration")
        self.duration_spin.setRange(0, 10_000)
        self.duration_spin.setSingleStep(50)
        self.transition_label.setBuddy(self.transition_combo)
        transition_row.addWidget(self.transition_label)
        transition_row.addWidget(self.transition_combo, 1)
        transition_row.addWidget(self.duration_spin)
        self.stinger_button = QToolButton(body)  # the stinger's video and cut point (studio mode has one too)
        self.stinger_button.setObjectName("stingerButton")
        self.stinger_button.clicked.connect(self.choose_stinger)
        transition_row.addWidget(self.stinger_button)
        layout.addLayout(transition_row)
        self.stinger_status = StingerStatus(studio, body)
        layout.addWidget(self.stinger_status)
        self.transition_combo.currentIndexChanged.connect(self._on_transition_edited)
        self.duration_spin.valueChanged.connect(self._on_transition_edited)

        # The vertical (9:16) canvas and this scene's layout on it, where scenes are edited.
        self.vertical_controls = VerticalCanvasControls(studio, bridge, body)
        layout.addWidget(self.vertical_controls)

        self.setWidget(body)
        # Ctrl+1 … Ctrl+9: the first nine scenes from anywhere in the window (in studio mode, into the
        # preview; Ctrl+Enter takes it), as a host switches without reaching for the mouse mid-show.
        self.scene_shortcuts = []
        for number in range(1, SCENE_HOTKEYS + 1):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), parent or self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda row=number - 1: self.switch_to_row(row))
            self.scene_shortcuts.append(shortcut)
        bridge.collection_changed.connect(self._on_collection_changed)
        bridge.current_scene_changed.connect(self._on_current_scene_changed)
        self.retranslate()
        self.refresh()

    # -- model → view ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Make the list match the collection, updating rows in place when only names changed.

        In place matters: a rename arrives while Qt is still inside the edited row's
        ``setData``, and deleting that row then would pull it out from under Qt.
        """
        collection = self.studio.collection
        scene_ids = [scene.id for scene in collection.scenes]
        shown_ids = [self.list.item(row).data(SCENE_ID_ROLE) for row in range(self.list.count())]
        with QSignalBlocker(self.list):
            if shown_ids != scene_ids:
                self.list.clear()
                for scene in collection.scenes:
                    item = QListWidgetItem(scene.name)
                    item.setData(SCENE_ID_ROLE, scene.id)
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                    self.list.addItem(item)
            for row, scene in enumerate(collection.scenes):
                item = self.list.item(row)
                if item.text() != scene.name:
                    item.setText(scene.name)
                hint = self.tr("Ctrl+{number} switches to this scene").format(number=row + 1) if row < SCENE_HOTKEYS else ""
                if item.toolTip() != hint:
                    item.setToolTip(hint)
                if scene.id == self.selected_scene_id() and self.list.currentItem() is not item:
                    self.list.setCurrentItem(item)
                font = item.font()
                if font.bold() != (scene.id == collection.current_scene and self.studio.studio_mode.is_on):
                    font.setBold(not font.bold())  # in studio mode the scene on air is in bold
                    item.setFont(font)
        self._show_transition()
        self._update_actions()

    def _show_transition(self) -> None:
        transition = self.studio.collection.transition
        with QSignalBlocker(self.transition_combo), QSignalBlocker(self.duration_spin):
            self.transition_combo.setCurrentIndex(max(0, TRANSITION_KINDS.index(transition.kind) if transition.kind in TRANSITION_KINDS else 0))
            self.duration_spin.setValue(transition.duration_ms)
            self.duration_spin.setEnabled(transition.kind not in ("cut", "stinger"))  # a stinger lasts as long as its video
        self.stinger_button.setVisible(transition.kind == "stinger")

    def _on_collection_changed(self, what: str) -> None:
        if what in ("scenes", "collection"):
            self.refresh()
        elif what == "transition":
            self._show_transition()

    def selected_scene_id(self) -> str | None:
        """The scene the list selects: the preview's in studio mode, else the program's."""
        mode = self.studio.studio_mode
        return mode.scene_id if mode.is_on else self.studio.collection.current_scene

    def _on_current_scene_changed(self, scene_id: str) -> None:
        if self.studio.studio_mode.is_on:  # the list follows the preview; the program's scene is bold
            self.refresh()
            return
        with QSignalBlocker(self.list):
            for row in range(self.list.count()):
                item = self.list.item(row)
                if item.data(SCENE_ID_ROLE) == scene_id:
                    self.list.setCurrentItem(item)
                    break
        self._update_actions()

    def _update_actions(self) -> None:
        has_selection = self.list.currentItem() is not None
        self.remove_action.setEnabled(has_selection and self.list.count() > 1)
        self.rename_action.setEnabled(has_selection)

    # -- view → model ----------------------------------------------------------------------------
    def item_for_scene(self, scene_id: str) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            if self.list.item(row).data(SCENE_ID_ROLE) == scene_id:
                return self.list.item(row)
        return None

    def _on_current_item_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.switch_to(current.data(SCENE_ID_ROLE))
        self._update_actions()

    def switch_to_row(self, row: int) -> None:
        """The scene at ``row`` of the list (a hotkey); nothing when there is no such scene."""
        if 0 <= row < self.list.count():
            self.list.setCurrentRow(row)

    def switch_to(self, scene_id: str) -> None:
        """Put ``scene_id`` on the program with the transition chosen in this dock — or, in studio
        mode, in the preview (the program changes on Take)."""
        if self.studio.studio_mode.is_on:
            self.studio.studio_mode.set_scene(scene_id)
            return
        kind = self.transition_combo.currentData() or "fade"
        self.studio.switch_scene(scene_id, transition=kind, duration_ms=self.duration_spin.value())

    def take(self) -> None:
        """Studio mode: the preview scene goes on the program with the transition chosen here."""
        kind = self.transition_combo.currentData() or "fade"
        self.studio.studio_mode.take(kind, self.duration_spin.value())

    def _on_item_renamed(self, item: QListWidgetItem) -> None:
        scene_id = item.data(SCENE_ID_ROLE)
        name = item.text().strip()
        scene = self.studio.collection.scene(scene_id)
        if scene is None:
            return
        if not name:
            with QSignalBlocker(self.list):
                item.setText(scene.name)  # an empty name is refused; show the old one again
            return
        if name != scene.name:
            self.studio.rename_scene(scene_id, name)

    def _on_transition_edited(self, *_args: object) -> None:
        kind = self.transition_combo.currentData() or "fade"
        self.duration_spin.setEnabled(kind not in ("cut", "stinger"))
        self.studio.set_transition(kind, self.duration_spin.value())
        self.stinger_button.setVisible(kind == "stinger")
        if kind == "stinger" and self.studio.collection.transition.stinger is None:
            self.choose_stinger()

    def choose_stinger(self) -> StingerDialog:
        """The stinger's video and cut point (OK keeps "stinger" as the transition)."""
        dialog = StingerDialog(self.studio, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def add_scene(self) -> None:
        """Add a scene with a free default name and open its name for editing."""
        names = {scene.name for scene in self.studio.collection.scenes}
        number = len(self.studio.collection.scenes) + 1
        while self.tr("Scene {number}").format(number=number) in names:
            number += 1
        scene = self.studio.add_scene(self.tr("Scene {number}").format(number=number))
        item = self.item_for_scene(scene.id)
        if item is not None:
            self.list.scrollToItem(item)
            if self.isVisible():
                self.list.editItem(item)

    def add_starting_soon_scene(self) -> None:
        """A "starting soon" scene counting down to a show on the team's plan (read off the GUI thread)."""
        from studio.schedule.store import load_team_plan
        from ui.workers import run_in_background

        run_in_background(load_team_plan, self._on_team_plan, self._on_team_plan_failed, receiver=self)

    def _on_team_plan(self, plan) -> None:
        from ui.cover_show_time import ShowTimeDialog

        shows = list(plan.shows)
        if not shows:
            QMessageBox.information(self, self.tr("Starting soon"),
                                    self.tr("No show is planned yet: plan one with “Schedule a show…” first."))
            return
        if self.starting_soon_dialog is not None:
            self.starting_soon_dialog.deleteLater()
        settings = self.studio.settings
        dialog = ShowTimeDialog(shows, settings.locale, settings.region, self)  # the show's viewers by default
        dialog.setWindowTitle(self.tr("Starting soon"))
        dialog.chosen.connect(lambda show_id, code: self._make_starting_soon(next(s for s in shows if s.id == show_id), code))
        self.starting_soon_dialog = dialog
        dialog.open()

    def _on_team_plan_failed(self, error: BaseException) -> None:
        QMessageBox.warning(self, self.tr("Starting soon"), str(getattr(error, "message", None) or error))

    def _make_starting_soon(self, show, market_code: str) -> None:
        from studio.schedule.starting_soon import starting_soon_settings

        canvas = self.studio.collection.canvas
        settings = starting_soon_settings(show, market_code, canvas.width, canvas.height)
        scene = self.studio.add_scene(self.tr("Starting soon: {title}").format(title=show.title))
        self.studio.add_source("text", self.tr("Countdown"), settings, scene.id)
        item = self.item_for_scene(scene.id)
        if item is not None:
            self.list.scrollToItem(item)

    def remove_selected_scene(self) -> None:
        item = self.list.currentItem()
        if item is None or self.list.count() <= 1:
            return  # a show always keeps one scene for the program
        self.studio.remove_scene(item.data(SCENE_ID_ROLE))

    def rename_selected_scene(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    # -- language -------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Scenes"))
        self.add_action.setText(self.tr("Add scene"))
        self.add_action.setToolTip(self.tr("Add a scene"))
        self.remove_action.setText(self.tr("Remove scene"))
        self.remove_action.setToolTip(self.tr("Remove the selected scene"))
        self.rename_action.setText(self.tr("Rename scene"))
        self.rename_action.setToolTip(self.tr("Rename the selected scene (F2 or double-click)"))
        self.starting_soon_action.setText(self.tr("Add a “starting soon” scene…"))
        self.starting_soon_action.setToolTip(self.tr("A scene that counts down to a show on the team's plan, "
                                                     "in the viewers' language and time"))
        self.transition_label.setText(self.tr("&Transition"))
        self.transition_combo.setItemText(0, self.tr("Cut"))
        self.transition_combo.setItemText(1, self.tr("Fade"))
        self.transition_combo.setItemText(2, self.tr("Slide"))
        self.transition_combo.setItemText(3, self.tr("Swipe"))
        self.transition_combo.setItemText(4, self.tr("Stinger"))
        self.stinger_button.setText(self.tr("Video…"))
        self.stinger_button.setToolTip(self.tr("The stinger's video (with transparency) and its cut point"))
        self.duration_spin.setSuffix(self.tr(" ms"))
        self.duration_spin.setToolTip(self.tr("Transition duration in milliseconds"))
        self.list.setToolTip(self.tr("Click a scene to put it on the program"))
        if self.list.count():
            self.refresh()  # the scenes' hotkey hints
