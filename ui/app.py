"""Starting and stopping the desktop app: ``run_app(argv) -> exit code``.

Order at start: settings → language → the autosaved scene collection (read before the
window exists) → the engine → the window.  At quit the engine stops (every capture thread
joined), then settings and the collection are saved for the next start.

``BRIDGECAST_SCREENSHOT=path.png`` saves a picture of the window after
``BRIDGECAST_QUIT_AFTER_S`` seconds (default 3) and quits — for docs and visual checks.
``BRIDGECAST_GO_LIVE_ON_START=1`` presses "Go live" once the window is up (to the chosen
destination, the built-in rehearsal receiver by default).
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QApplication

from studio.engine import Studio
from studio.core.errors import SceneFileError
from studio.scene import SceneCollection
from studio.core.paths import config_dir
from studio.settings import Settings, load_settings, save_settings
from ui import i18n as ui_i18n
from ui.app_fonts import register_renderer_fonts
from ui.bridge import StudioBridge
from ui.collection_files import read_collection
from ui.icons import icon
from ui.live_panel.show_start import ControlAddressKeeper, start_live_show
from ui.main_window import MainWindow
from ui.style import apply_style

if TYPE_CHECKING:
    from studio.control.launch import LiveControl

log = logging.getLogger(__name__)

AUTOSAVE_NAME = "scenes.json"
AUTOSAVE_DELAY_MS = 2000


def autosave_path() -> Path:
    return config_dir() / AUTOSAVE_NAME


def load_autosaved_collection(path: Path | None = None) -> tuple[SceneCollection | None, str | None]:
    """The collection saved at the last quit, or (None, warning) if it cannot be used.

    A broken file is kept aside (renamed), never overwritten by the next autosave.
    """
    path = path or autosave_path()
    if not path.exists():
        return None, None
    try:
        return read_collection(path), None
    except SceneFileError as exc:
        kept = path.with_name(f"{path.name}.broken-{int(time.time())}")
        try:
            path.replace(kept)
        except OSError:
            kept = path
        log.warning("autosaved scene collection unusable (%s); kept as %s", exc, kept)
        return None, QApplication.translate("App", "Your saved scenes could not be read, so the default scene is open. The old file is kept as {path}.\n\n{reason}").format(path=kept, reason=exc)


def create_studio(settings: Settings, collection: SceneCollection | None = None) -> Studio:
    """A started engine with working defaults (the test-pattern scene; the default mic if any)."""
    studio = Studio(settings, collection)
    studio.start()
    return studio


def create_live_control(studio: Studio, settings: Settings) -> LiveControl:
    """The show's live state and control API (127.0.0.1; port from settings, else any free one).

    Constructing opens the show database; ``start()`` (which binds the port) runs off the GUI thread.
    """
    from studio.control.launch import DEFAULT_CONTROL_PORT, LiveControl, default_show_db, stored_control_token

    # One port, kept across launches (a paired tablet's address must not change); see ControlAddressKeeper.
    return LiveControl(studio, db_path=default_show_db(), port=settings.control_port or DEFAULT_CONTROL_PORT,
                       host="0.0.0.0" if settings.control_lan else "127.0.0.1",
                       settings_token=stored_control_token(), locale=settings.locale or "en_US",
                       region=settings.region, may_change_port=True)


def open_live_control(studio: Studio, settings: Settings, ask_new_show: Callable[[str], bool]) -> "LiveControl | None":
    """The show's live control; when the show database cannot be opened (not a database, damaged),
    ``ask_new_show(words)`` decides: True keeps the damaged file beside it under a new name (never
    deleted) and starts a new show; False gives None (the app then quits without a traceback)."""
    from studio.control.launch import default_show_db
    from studio.live.store import ShowDatabaseError

    try:
        return create_live_control(studio, settings)
    except ShowDatabaseError as exc:
        path = default_show_db()
        kept = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        question = QApplication.translate(
            "App", "The show database cannot be opened:\n{reason}\n\nStart a new show? The damaged file is kept as "
            "{kept} (nothing is deleted).").format(reason=exc, kept=kept)
        if not ask_new_show(question):
            return None
        for suffix in ("", "-wal", "-shm", "-journal"):
            source = path.with_name(path.name + suffix)
            if source.exists():
                source.rename(kept.with_name(kept.name + suffix))
        log.warning("the show database %s could not be opened (%s); kept as %s, a new show starts", path, exc, kept)
        return create_live_control(studio, settings)


def _ask_new_show(question: str) -> bool:
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, QApplication.translate("App", "Bridgecast Studio"), question)
    start = box.addButton(QApplication.translate("App", "Start a new show"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QApplication.translate("App", "Quit"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(start)
    box.exec()
    return box.clickedButton() is start


def shutdown(studio: Studio, settings: Settings, save: bool = True) -> None:
    """Stop the engine (joins every thread), then save settings and the collection."""
    studio.stop()
    if not save:
        return
    try:
        studio.save_collection(autosave_path())
    except OSError as exc:
        log.error("could not autosave the scene collection: %s", exc)
    try:
        save_settings(settings)
    except OSError as exc:
        log.error("could not save settings: %s", exc)


class Autosaver(QObject):
    """Saves the collection to the config dir a moment after it changes (and at quit).

    A crash then loses at most the last ``AUTOSAVE_DELAY_MS`` of edits.  The file is small
    JSON written atomically, so saving on the GUI thread costs a few milliseconds.
    """

    mixer_changed = Signal()

    def __init__(self, studio: Studio, bridge: StudioBridge, path: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.path = path or autosave_path()
        self.saves = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_DELAY_MS)
        self._timer.timeout.connect(self.save_now)
        bridge.collection_changed.connect(lambda _what: self._timer.start())
        # Fader, mute and filter changes are saved with the collection but are not collection
        # events; the mixer reports them on the caller's thread, so hop to ours first.
        self._mixer = getattr(studio, "mixer", None)
        self.mixer_changed.connect(self._timer.start, Qt.ConnectionType.QueuedConnection)
        if self._mixer is not None:
            self._mixer.changed.connect(self._on_mixer_changed)

    def _on_mixer_changed(self, **_event: object) -> None:
        try:
            self.mixer_changed.emit()
        except RuntimeError:
            pass  # the window (and this saver) is gone

    def stop(self) -> None:
        """No more delayed saves (the final save happens at quit)."""
        self._timer.stop()
        if self._mixer is not None:
            self._mixer.changed.disconnect(self._on_mixer_changed)
            self._mixer = None

    def save_now(self) -> None:
        self._timer.stop()
        try:
            self.studio.save_collection(self.path)
            self.saves += 1
        except OSError as exc:
            log.error("could not autosave the scene collection: %s", exc)


def _schedule_screenshot(app: QApplication, window: MainWindow) -> None:
    path = os.environ.get("BRIDGECAST_SCREENSHOT")
    quit_after = os.environ.get("BRIDGECAST_QUIT_AFTER_S")
    if not path and not quit_after:
        return
    try:
        delay_s = float(quit_after) if quit_after else 3.0
    except ValueError:
        delay_s = 3.0

    def finish() -> None:
        if path:
            if window.grab().save(path):
                log.info("screenshot saved to %s", path)
            else:
                log.error("could not save the screenshot to %s", path)
        window.close()
        app.quit()

    QTimer.singleShot(int(delay_s * 1000), finish)


def run_app(argv: Sequence[str] | None = None) -> int:
    """Open the desktop app and run it until the window closes; returns the exit code."""
    argv = list(sys.argv if argv is None else argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("Bridgecast Studio")
    app.setOrganizationName("Bridgecast")
    app.setWindowIcon(icon("bridgecast"))
    apply_style(app)
    register_renderer_fonts()  # Thai, Arabic … in text fields and lists, not empty boxes

    settings, settings_warning = load_settings()
    ui_i18n.install(app, settings.language)
    collection, collection_warning = load_autosaved_collection()
    studio = create_studio(settings, collection)
    live_control = None
    try:
        live_control = open_live_control(studio, settings, _ask_new_show)
        if live_control is None:  # the show database cannot be opened and the host chose to quit
            return 1
        window = MainWindow(studio, settings)
        live_panel = window.mount_live_panel(live_control)
        autosaver = Autosaver(studio, window.bridge, parent=window)
        window.show()
        # The last show comes back after asking (automatically after a crash); the port is kept.
        ControlAddressKeeper(live_control, settings, parent=window)
        start_live_show(window, live_control, live_panel)
        for warning in (settings_warning, collection_warning):
            if warning:
                window.show_error(QApplication.translate("App", "Bridgecast Studio"), warning)
        _schedule_screenshot(app, window)
        if os.environ.get("BRIDGECAST_GO_LIVE_ON_START") == "1":
            QTimer.singleShot(500, window.golive.go_live)
        # Ctrl+C in the terminal quits cleanly; the timer lets Python run its signal handler.
        previous_handler = signal.signal(signal.SIGINT, lambda *_args: app.quit())
        wake = QTimer()
        wake.timeout.connect(lambda: None)
        wake.start(250)
        try:
            code = app.exec()
        finally:
            wake.stop()
            autosaver.stop()
            signal.signal(signal.SIGINT, previous_handler)
            window.close()
            QThreadPool.globalInstance().waitForDone(15_000)  # the control's start, if still under way
            live_panel.detach()
    finally:
        if live_control is not None:
            try:
                live_control.stop()  # its overlays and threads go before the engine's
            except Exception:
                log.exception("could not stop the live control")
        shutdown(studio, settings)
    return int(code)
