"""The main window: composes the preview, the docks, the status bar and the menus.

It holds no show state of its own: each view presents the ``Studio`` it is given, and the
window only wires menus to engine commands.  Scene collection files are read on a pool
thread and applied here on the GUI thread; a file that fails to load changes nothing.

``MainWindow`` has about thirty methods, over the ~25 the team aims for: one small entry
point per menu command (open/save a show, Go live, destinations, platforms, review, layout
reset, language, latency probe, transition), each a few lines that open a dialog or call the
engine.  Their work lives in the dialogs and docks; grouping the entry points elsewhere would
only move the menu's wiring away from the menu.
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QInputDialog, QMainWindow, QMessageBox, QToolBar, QWidget

from studio.core import i18n
from studio.engine import Studio
from studio.core.errors import StudioError
from studio.scene import SceneCollection, unavailable_message, unavailable_sources
from studio.core.paths import config_dir
from studio.settings import Settings, save_settings
from ui import i18n as ui_i18n
from ui.bridge import StudioBridge
from ui.collection_files import read_collection
from ui.destinations_dialog import DestinationsDialog
from ui.golive import GoLiveController, GoLiveWidget
from ui.health_dock import HealthDock
from ui.icons import icon
from ui.mixer_dock import MixerDock
from ui.preview import ProgramPreview
from ui.rehearsal_dock import RehearsalDock
from ui.scenes_dock import TRANSITION_KINDS, ScenesDock
from ui.studio_mode import StudioModePanel
from ui.schedule_dialog import add_schedule_action
from ui.sources_dock import SourcesDock
from ui.status import StudioStatusBar
from ui.vertical_preview import CanvasPreviews
from ui.window_layout import DEFAULT_SIZE, arrange_default, fit_to_screen, make_scrollable
from ui.workers import run_in_background

log = logging.getLogger(__name__)

# 2: docks in scroll areas and a full-height right column (layouts saved before did not fit 1366×768).
WINDOW_STATE_VERSION = 2
COLLECTION_FILTER_PATTERN = "*.json"
GOLIVE_STATE_MIN_WIDTH_PX = 80


def window_settings() -> QSettings:
    """Window geometry and dock layout only (everything else is in the typed settings)."""
    return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    """Bridgecast's main window for one ``Studio`` and its ``Settings``."""

    def __init__(self, studio: Studio, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.settings = settings
        self.setObjectName("mainWindow")
        self.setWindowIcon(icon("bridgecast"))
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowNestedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.error_box: QMessageBox | None = None  # the last error shown (tests read it)
        self._load_request = 0  # newest "open collection" request wins

        self.bridge = StudioBridge(studio, self)
        self.preview = ProgramPreview(studio, settings.ui.preview_fps, self)
        # The vertical (9:16) canvas's preview sits beside the program while that canvas is on.
        self.canvas_previews = CanvasPreviews(studio, self.preview, settings.ui.preview_fps, self)
        self.setCentralWidget(self.canvas_previews)
        self.scenes_dock = ScenesDock(studio, self.bridge, self)
        self.sources_dock = SourcesDock(studio, self.bridge, self)
        # Studio mode: the preview scene (left of the program) and Take (hidden while off).
        self.studio_panel = StudioModePanel(studio, self.scenes_dock.take, settings.ui.preview_fps, self)
        self.canvas_previews.splitter.insertWidget(0, self.studio_panel)
        for index, stretch in enumerate((3, 3, 1)):  # preview and program alike, the 9:16 one narrower
            self.canvas_previews.splitter.setStretchFactor(index, stretch)
        self.studio_panel.changed.connect(self.scenes_dock.refresh)
        self.studio_panel.changed.connect(self.sources_dock.refresh)
        self.studio_panel.changed.connect(lambda: self.studio_mode_action.setChecked(self.studio.studio_mode.is_on))
        # One selection: a layer picked in the preview is the Sources row, and the other way round.
        self.preview.item_selected.connect(self.sources_dock.select_item)
        if self.preview.editor is not None:
            self.sources_dock.item_selected.connect(lambda item_id: self.preview.editor.select(item_id or None))
        self.mixer_dock = MixerDock(studio, self)
        self.docks: list[QDockWidget] = [self.scenes_dock, self.sources_dock, self.mixer_dock]
        # Go live: the controller owns the session; the button, health and rehearsal views present it.
        self.golive = GoLiveController(studio, settings, self)
        self.golive_widget = GoLiveWidget(self.golive, self)
        self.golive_toolbar = QToolBar(self)
        self.golive_toolbar.setObjectName("goLiveToolBar")
        self.golive_toolbar.setMovable(False)
        self.golive_toolbar.addWidget(self.golive_widget)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.golive_toolbar)
        # A long failure reason must not widen the window past the screen: the label is cut
        # at the window's edge; the whole reason is in its tooltip and in the health verdict.
        self.golive_widget.state_label.setMinimumWidth(GOLIVE_STATE_MIN_WIDTH_PX)
        self.health_dock = HealthDock(self.golive, self)
        self.rehearsal_dock = RehearsalDock(self.golive, self)
        self.docks.extend([self.health_dock, self.rehearsal_dock])
        self.live_panel: QDockWidget | None = None
        for dock in self.docks:
            make_scrollable(dock)  # no dock's contents may push the window past a laptop screen
        self.resize(DEFAULT_SIZE)
        self.reset_layout()
        self.destinations_dialog: DestinationsDialog | None = None
        self.golive_dialog = None  # ui.golive_dialog.GoLiveDialog while open
        self.golive_widget.destinations_requested.connect(self.open_golive_dialog)
        self.golive.notice.connect(lambda message: self.statusBar().showMessage(message, 15_000))
        self.golive.changed.connect(self.apply_preview_rate)
        self.status = StudioStatusBar(studio, self)
        self.setStatusBar(self.status)

        self._build_menus()
        self.bridge.collection_changed.connect(self._on_collection_changed)
        self.retranslate()
        self._show_transition_in_menu()
        self.restore_layout()

    # -- menus ------------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("")
        self.open_action = QAction(self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.choose_collection_to_open)
        self.save_as_action = QAction(self)
        self.save_as_action.setShortcut(QKeySequence.StandardKey.SaveAs)
        self.save_as_action.triggered.connect(self.choose_collection_to_save)
        self.quit_action = QAction(self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        self.file_menu.addAction(self.open_action)
        self.file_menu.addAction(self.save_as_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)

        self.settings_menu = bar.addMenu("")
        self.language_menu = self.settings_menu.addMenu("")
        self.language_group = QActionGroup(self)
        self.language_actions: dict[str, QAction] = {}
        for code in ("system", *i18n.LANGUAGES):
            action = QAction(self)
            action.setCheckable(True)
            action.setData(code)
            action.setChecked(code == (self.settings.language or "system"))
            action.triggered.connect(lambda _checked=False, code=code: self.set_language(code))
            self.language_group.addAction(action)
            self.language_menu.addAction(action)
            self.language_actions[code] = action
        self.transition_menu = self.settings_menu.addMenu("")
        self.transition_group = QActionGroup(self)
        self.transition_actions: dict[str, QAction] = {}
        for kind in TRANSITION_KINDS:
            action = QAction(self)
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, kind=kind: self.studio.set_transition(kind, self.studio.collection.transition.duration_ms))
            self.transition_group.addAction(action)
            self.transition_menu.addAction(action)
            self.transition_actions[kind] = action
        self.transition_menu.addSeparator()
        self.duration_action = QAction(self)
        self.duration_action.triggered.connect(self.choose_transition_duration)
        self.transition_menu.addAction(self.duration_action)
        self.probe_action = QAction(self)
        self.probe_action.setCheckable(True)
        self.probe_action.setChecked(self.studio.compositor.is_latency_probe_on)
        self.probe_action.toggled.connect(self.set_latency_probe)
        self.settings_menu.addAction(self.probe_action)
        self.destinations_action = QAction(self)
        self.destinations_action.triggered.connect(self.open_destinations)
        self.settings_menu.addAction(self.destinations_action)
        self.live_settings_action = QAction(self)
        self.live_settings_action.triggered.connect(self.open_live_settings)
        self.settings_menu.addAction(self.live_settings_action)
        self.platforms_action = QAction(self)
        self.platforms_action.setObjectName("platformsAction")
        self.platforms_action.triggered.connect(self.open_platforms)
        self.settings_menu.addAction(self.platforms_action)
        self.golive_settings_action = QAction(self)
        self.golive_settings_action.setObjectName("goLiveSettingsAction")
        self.golive_settings_action.triggered.connect(self.open_golive_settings)
        self.settings_menu.addAction(self.golive_settings_action)

        self.view_menu = bar.addMenu("")
        for dock in self.docks:
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        self.reset_layout_action = QAction(self)
        self.reset_layout_action.triggered.connect(self.reset_layout)
        self.view_menu.addAction(self.reset_layout_action)
        self.studio_mode_action = QAction(self)
        self.studio_mode_action.setObjectName("studioModeAction")
        self.studio_mode_action.setCheckable(True)
        self.studio_mode_action.toggled.connect(self.set_studio_mode)
        self.view_menu.addAction(self.studio_mode_action)
        self.view_menu.addSeparator()
        self.cover_designer_action = QAction(self)
        self.cover_designer_action.triggered.connect(self.open_cover_designer)
        self.view_menu.addAction(self.cover_designer_action)
        self.review_action = QAction(self)  # the show history and each show's review (ui/review_window.py)
        self.review_action.triggered.connect(self.open_review)
        self.view_menu.addAction(self.review_action)
        self.schedule_action = add_schedule_action(self, self.view_menu)  # ui/schedule_dialog.py

    def mount_live_panel(self, control: object) -> QDockWidget:
        """Add the Live panel dock for a ``LiveControl`` (the app owns and stops the control)."""
        from ui.live_panel import LivePanelDock

        self.live_panel = LivePanelDock(control, self, settings=self.settings)
        self.live_panel.platforms_requested.connect(self.open_platforms)
        # The show whose events Go live sends over the stream's data channel (when enabled).
        self.golive.live_show = getattr(control, "live", None)
        # A control API that cannot listen (port in use, …) is said in words; the show goes on.
        self.live_panel.control_notice.connect(lambda message: self.statusBar().showMessage(message, 30_000))
        if getattr(control, "control_error", None) is not None:
            self.statusBar().showMessage(str(control.control_error), 30_000)
        if self.settings.webhook_url and hasattr(control, "apply_webhook_settings"):
            # Events go to the platform's webhook too; the secret is read off the GUI thread.
            run_in_background(lambda: control.apply_webhook_settings(self.settings), lambda _result: None,
                              lambda error: self.statusBar().showMessage(str(error), 15_000), receiver=self)
        self.docks.append(self.live_panel)
        make_scrollable(self.live_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.live_panel)
        self.tabifyDockWidget(self.health_dock, self.live_panel)
        self.live_panel.raise_()
        state = window_settings().value(self._state_key())  # where the user left the dock last time
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state, WINDOW_STATE_VERSION)
        self.view_menu.insertAction(self.view_menu.actions()[len(self.docks) - 1], self.live_panel.toggleViewAction())
        return self.live_panel

    def open_cover_designer(self) -> None:
        """Show the cover designer window (one per main window; it opens on a template)."""
        from ui.cover_editor import CoverEditorWindow

        if getattr(self, "cover_editor", None) is None:
            self.cover_editor = CoverEditorWindow(self)
            self.cover_editor.setWindowFlag(Qt.WindowType.Window)
            self.cover_editor.open_template("na_eu-apparel", "youtube")
        self.cover_editor.show()
        self.cover_editor.raise_()

    def open_review(self) -> None:
        from ui.review_window import open_review_window

        open_review_window(self)

    # -- scene collection files ------------------------------------------------------------------------
    def choose_collection_to_open(self) -> None:
        start = self.settings.scene_collection or str(Path.home())
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("Open scene collection"), start, self._collection_filter())
        if path:
            self.open_collection(path)

    def choose_collection_to_save(self) -> None:
        start = self.settings.scene_collection or str(Path.home() / "scenes.json")
        path, _filter = QFileDialog.getSaveFileName(self, self.tr("Save scene collection"), start, self._collection_filter())
        if path:
            self.save_collection(path)

    def _collection_filter(self) -> str:
        return self.tr("Scene collections ({patterns})").format(patterns=COLLECTION_FILTER_PATTERN) + ";;" + self.tr("All files (*)")

    def open_collection(self, path: str | Path) -> None:
        """Read ``path`` on a pool thread, then apply it here; on failure nothing changes."""
        self._load_request += 1
        request = self._load_request
        path = Path(path)
        self.statusBar().showMessage(self.tr("Opening {name}…").format(name=path.name), 5000)
        run_in_background(
            lambda: _read_and_check(path),
            lambda read: self._on_collection_read(request, path, *read),
            lambda error: self._on_collection_failed(request, path, error),
            receiver=self,
        )

    def _on_collection_read(self, request: int, path: Path, collection: SceneCollection,
                            missing: dict[str, str] | None = None) -> None:
        if request != self._load_request:
            return  # a newer open request is under way
        try:
            self.studio.apply_collection(collection)
        except StudioError as exc:
            self._on_collection_failed(request, path, exc)
            return
        self.settings.scene_collection = str(path)
        self._save_settings()
        self.statusBar().showMessage(self.tr("Opened {name}").format(name=path.name), 5000)
        if missing:
            self.show_error(*unavailable_message(collection, missing))

    def _on_collection_failed(self, request: int, path: Path, error: BaseException) -> None:
        if request != self._load_request:
            return
        self.statusBar().clearMessage()
        reason = str(error) if isinstance(error, StudioError) else self.tr("Unexpected error: {reason}").format(reason=error)
        self.show_error(self.tr("Could not open the scene collection"), self.tr("{path}\n\n{reason}\n\nThe scenes you have open are unchanged.").format(path=path, reason=reason))

    def save_collection(self, path: str | Path) -> None:
        path = Path(path)
        try:
            self.studio.save_collection(path)
        except OSError as exc:
            self.show_error(self.tr("Could not save the scene collection"), self.tr("{path}\n\n{reason}").format(path=path, reason=exc.strerror or exc))
            return
        self.settings.scene_collection = str(path)
        self._save_settings()
        self.statusBar().showMessage(self.tr("Saved {name}").format(name=path.name), 5000)

    def show_error(self, title: str, text: str) -> QMessageBox:
        """A window-modal message that does not block the event loop."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("errorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: self._forget_error(box))
        self.error_box = box
        box.open()
        return box

    def _forget_error(self, box: QMessageBox) -> None:
        if self.error_box is box:
            self.error_box = None

    # -- settings -------------------------------------------------------------------------------------
    def set_language(self, code: str) -> None:
        """Switch the language of every view now ("system" follows the OS)."""
        self.settings.language = code
        action = self.language_actions.get(code)
        if action is not None:
            action.setChecked(True)
        ui_i18n.switch_language(code)
        self._save_settings()

    def set_latency_probe(self, is_on: bool) -> None:
        self.studio.set_latency_probe(is_on)
        self._save_settings()

    def choose_transition_duration(self) -> None:
        dialog = QInputDialog(self)
        dialog.setObjectName("durationDialog")
        dialog.setInputMode(QInputDialog.InputMode.IntInput)
        dialog.setIntRange(0, 10_000)
        dialog.setIntStep(50)
        dialog.setIntValue(self.studio.collection.transition.duration_ms)
        dialog.setWindowTitle(self.tr("Transition duration"))
        dialog.setLabelText(self.tr("Transition duration in milliseconds:"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.intValueSelected.connect(lambda value: self.studio.set_transition(self.studio.collection.transition.kind, value))
        dialog.open()

    def _on_collection_changed(self, what: str) -> None:
        if what in ("transition", "collection"):
            self._show_transition_in_menu()
            transition = self.studio.collection.transition
            # The next new show starts with the transition last chosen.
            self.settings.video.transition = transition.kind
            self.settings.video.transition_ms = transition.duration_ms
            self.settings.video.stinger_path = transition.stinger.path if transition.stinger else ""
            self.settings.video.stinger_cut_point_ms = transition.stinger.cut_point_ms if transition.stinger else 0
        if what == "collection":
            self._update_title()

    def _show_transition_in_menu(self) -> None:
        kind = self.studio.collection.transition.kind
        if kind in self.transition_actions:
            self.transition_actions[kind].setChecked(True)

    def _save_settings(self) -> None:
        try:
            save_settings(self.settings)
        except OSError as exc:
            log.warning("could not save settings: %s", exc)

    # -- layout --------------------------------------------------------------------------------------
    def _state_key(self) -> str:
        # A right-to-left (Arabic) UI keeps its own, mirrored dock arrangement.
        return "state_rtl" if self.isRightToLeft() else "state"

    def restore_layout(self) -> None:
        stored = window_settings()
        geometry = stored.value("geometry")
        state = stored.value(self._state_key())
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(DEFAULT_SIZE)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state, WINDOW_STATE_VERSION)
        fit_to_screen(self)  # never more than the screen offers (1366×768 laptops)

    def save_layout(self) -> None:
        stored = window_settings()
        stored.setValue("geometry", self.saveGeometry())
        stored.setValue(self._state_key(), self.saveState(WINDOW_STATE_VERSION))
        stored.sync()

    def reset_layout(self) -> None:
        """The default layout: scenes, sources and mixer under the preview; the Live panel
        tabbed over the stream health and the rehearsal viewer below them, on the right."""
        right_top = [self.health_dock] + ([self.live_panel] if self.live_panel is not None else [])
        arrange_default(self, [self.scenes_dock, self.sources_dock, self.mixer_dock], right_top, [self.rehearsal_dock])

    def set_studio_mode(self, is_on: bool) -> None:
        """View ▸ Studio mode: preview a scene and Take it to the program."""
        if is_on:
            self.studio.studio_mode.enable()
        else:
            self.studio.studio_mode.disable()

    def apply_preview_rate(self) -> None:
        """The preview's rate for now: the idle rate, or what Settings ▸ Go live… asks while live."""
        fps = self.settings.ui.preview_rate(self.golive.is_active)
        if fps != self.preview.preview_fps or (fps == 0) != self.preview.is_paused:
            self.canvas_previews.set_preview_fps(fps)
            self.studio_panel.preview.set_preview_fps(fps)

    def open_golive_settings(self) -> None:
        """Settings → Go live…: recording while live, the events channel, the preview while live."""
        from ui.golive_settings import GoLiveSettingsDialog

        dialog = GoLiveSettingsDialog(self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.apply_preview_rate)
        self.golive_settings_dialog = dialog
        dialog.open()

    def open_destinations(self) -> None:
        """Settings → Destinations…: edit the platform profiles (non-modal, one at a time)."""
        if self.destinations_dialog is not None:
            self.destinations_dialog.raise_()
            return
        dialog = DestinationsDialog(self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.golive_widget.reload_destinations)
        dialog.accepted.connect(lambda: self.golive_dialog.refresh() if self.golive_dialog is not None else None)
        dialog.destroyed.connect(lambda *_args: setattr(self, "destinations_dialog", None))
        self.destinations_dialog = dialog
        dialog.open()

    def open_golive_dialog(self) -> None:
        """The Go-live dialog (from the destinations button): pick destinations and canvases,
        watch each one, stop or start one while live (non-modal, one at a time)."""
        from ui.golive_dialog import GoLiveDialog

        if self.golive_dialog is not None:
            self.golive_dialog.show()
            self.golive_dialog.raise_()
            return
        dialog = GoLiveDialog(self.golive, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destinations_changed.connect(self.golive_widget.reload_destinations)
        dialog.edit_requested.connect(self.open_destinations)
        dialog.destroyed.connect(lambda *_args: setattr(self, "golive_dialog", None))
        self.golive_dialog = dialog
        dialog.show()

    def open_live_settings(self) -> None:
        """Settings → Live control…: control API port/LAN/token, overlay locale, webhook (one at a time)."""
        from ui.settings_dialog import LiveSettingsDialog

        if getattr(self, "live_settings_dialog", None) is not None:
            self.live_settings_dialog.raise_()
            return
        panel = getattr(self, "live_panel", None)
        dialog = LiveSettingsDialog(self.settings, panel.control if panel is not None else None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_args: setattr(self, "live_settings_dialog", None))
        self.live_settings_dialog = dialog
        dialog.open()

    def open_platforms(self) -> None:
        """Settings → Platforms…: the show's platform connectors and their tokens (one at a time)."""
        from ui.platforms_dialog import PlatformsDialog

        if getattr(self, "platforms_dialog", None) is not None:
            self.platforms_dialog.raise_()
            return
        panel = getattr(self, "live_panel", None)
        dialog = PlatformsDialog(self.settings, panel.controller.platforms if panel is not None else None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_args: setattr(self, "platforms_dialog", None))
        self.platforms_dialog = dialog
        dialog.open()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        editor = getattr(self, "cover_editor", None)
        if editor is not None and not editor.may_close(then=self.close):  # unsaved cover: asked first
            event.ignore()
            return
        self.golive.shutdown()  # WHIP DELETE and every output thread joined before the engine stops
        self.save_layout()
        self.bridge.detach()
        self.canvas_previews.detach()
        self.studio_panel.detach()
        self.mixer_dock.detach()
        super().closeEvent(event)

    # -- language -------------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        elif event.type() == QEvent.Type.LayoutDirectionChange:
            # The docks follow the reading direction: that direction's saved arrangement, or the
            # default; the arrangement being left is kept for the way back.
            stored = window_settings()
            stored.setValue("state" if self.isRightToLeft() else "state_rtl", self.saveState(WINDOW_STATE_VERSION))
            state = stored.value(self._state_key())
            if not (isinstance(state, QByteArray) and not state.isEmpty() and self.restoreState(state, WINDOW_STATE_VERSION)):
                self.reset_layout()
        super().changeEvent(event)

    def _update_title(self) -> None:
        self.setWindowTitle(self.tr("Bridgecast Studio — {collection}").format(collection=self.studio.collection.name))

    def retranslate(self) -> None:
        self._update_title()
        self.file_menu.setTitle(self.tr("&File"))
        self.open_action.setText(self.tr("&Open scene collection…"))
        self.save_as_action.setText(self.tr("Save scene collection &as…"))
        self.quit_action.setText(self.tr("&Quit"))
        self.settings_menu.setTitle(self.tr("&Settings"))
        self.language_menu.setTitle(self.tr("&Language"))
        for code, action in self.language_actions.items():
            # Each language in its own name, so anyone can find theirs.
            action.setText(self.tr("System language") if code == "system" else i18n.LANGUAGES[code])
        self.transition_menu.setTitle(self.tr("&Transition"))
        self.transition_actions["cut"].setText(self.tr("Cut"))
        self.transition_actions["fade"].setText(self.tr("Fade"))
        self.transition_actions["slide"].setText(self.tr("Slide"))
        self.transition_actions["swipe"].setText(self.tr("Swipe"))
        self.transition_actions["stinger"].setText(self.tr("Stinger"))
        self.duration_action.setText(self.tr("Transition &duration…"))
        self.probe_action.setText(self.tr("Latency p&robe (time-code strip)"))
        self.probe_action.setToolTip(self.tr("Stamp a time-code strip on the program to measure end-to-end latency"))
        self.destinations_action.setText(self.tr("&Destinations…"))
        self.golive_settings_action.setText(self.tr("&Go live…"))
        self.live_settings_action.setText(self.tr("Live &control…"))
        self.platforms_action.setText(self.tr("&Platforms…"))
        self.golive_toolbar.setWindowTitle(self.tr("Go live"))
        self.view_menu.setTitle(self.tr("&View"))
        self.studio_mode_action.setText(self.tr("S&tudio mode (preview, then take)"))
        self.reset_layout_action.setText(self.tr("&Reset layout"))
        self.cover_designer_action.setText(self.tr("&Cover designer…"))
        self.review_action.setText(self.tr("Show history and re&view…"))


def _read_and_check(path: Path) -> tuple[SceneCollection, dict[str, str]]:
    """On a pool thread: the collection and its sources whose file or camera is not here."""
    collection = read_collection(path)
    return collection, unavailable_sources(collection)
