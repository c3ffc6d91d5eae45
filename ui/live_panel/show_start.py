"""Starting the show at launch: ask before bringing the last show back, keep the control address.

- A show that ended cleanly (the app quit normally) comes back only if the host says so
  (:class:`RestoreShowDialog`); otherwise a new show starts and the old one is kept for review.
  A show that was interrupted (crash, power cut) comes back by itself: that is crash recovery.
- :class:`ControlAddressKeeper` saves the port the control API bound (and whether it serves
  the LAN) in settings, so a paired tablet finds the show at the same address next launch.
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from studio.settings import Settings, save_settings
from ui.workers import run_in_background

log = logging.getLogger(__name__)


class RestoreShowDialog(QMessageBox):
    """"Continue the last show" or "Start a new show" (the default; the last show is kept for review)."""

    def __init__(self, items: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("restoreShowDialog")
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle(self.tr("Last show"))
        self.setText(self.tr("The last show ended with: {items}.").format(items="; ".join(items)))
        self.setInformativeText(self.tr("Continue it, with these back on the program? Or start a new show with nothing on "
                                        "screen? The catalog and quick replies stay either way, and the last show is kept "
                                        "for the post-show review."))
        self.continue_button = self.addButton(self.tr("Continue last show"), QMessageBox.ButtonRole.RejectRole)
        self.new_button = self.addButton(self.tr("Start a new show"), QMessageBox.ButtonRole.AcceptRole)
        self.setDefaultButton(self.new_button)
        self.setEscapeButton(self.continue_button)  # closing the question changes nothing

    @property
    def is_new_show_chosen(self) -> bool:
        return self.clickedButton() is self.new_button


class ControlAddressKeeper(QObject):
    """Saves ``control_port``/``control_lan`` whenever the control API listens somewhere new."""

    _arrived = Signal(str, int)  # any thread → GUI thread

    def __init__(self, control: Any, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.saves = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one save at a time: both write the same temp file
        self._arrived.connect(self._keep, Qt.ConnectionType.QueuedConnection)
        self._control = control
        control.address_changed.connect(self._on_address)

    def stop(self) -> None:
        self._control.address_changed.disconnect(self._on_address)
        self._pool.waitForDone(5000)

    def _on_address(self, host: str, port: int) -> None:
        try:
            self._arrived.emit(host, port)
        except RuntimeError:  # the window is gone
            pass

    def _keep(self, host: str, port: int) -> None:
        is_lan = host in ("0.0.0.0", "", "::")
        if (self.settings.control_port, self.settings.control_lan) == (port, is_lan):
            return
        self.settings.control_port, self.settings.control_lan = port, is_lan
        snapshot = self.settings.model_copy(deep=True)
        run_in_background(lambda: save_settings(snapshot), self._saved,
                          lambda error: log.warning("could not save the control address: %s", error), receiver=self,
                          pool=self._pool)

    def _saved(self, _result: object) -> None:
        self.saves += 1


def start_live_show(window: Any, control: Any, panel: Any) -> None:
    """Open the show at launch without blocking the window: look at what the last show left
    (off the GUI thread), ask when it ended cleanly with something still going, then start."""
    live = control.live

    def inspect() -> tuple[bool, list[str]]:
        return live.was_interrupted, live.previous_show()

    def decide(found: tuple[bool, list[str]]) -> None:
        was_interrupted, items = found
        if not items or was_interrupted:
            if items:
                window.statusBar().showMessage(
                    window.tr("The last show did not end cleanly, so it was restored as it was."), 30_000)
            start(is_new_show=False)
            return
        dialog = RestoreShowDialog(items, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _code: start(is_new_show=dialog.is_new_show_chosen))
        window.restore_show_dialog = dialog
        dialog.open()

    def start(is_new_show: bool) -> None:
        window.restore_show_dialog = None

        def work() -> None:
            if is_new_show:
                live.new_show()
            control.start()

        run_in_background(work, started, failed, receiver=window)

    def started(_result: object) -> None:
        panel.refresh()
        if control.port_notice:
            window.statusBar().showMessage(control.port_notice, 60_000)

    def failed(error: BaseException) -> None:
        window.show_error(window.tr("Live panel"), str(error))

    window.restore_show_dialog = None
    run_in_background(inspect, decide, failed, receiver=window)
