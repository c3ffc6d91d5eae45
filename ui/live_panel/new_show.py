"""The Live panel's "New show" action: a fresh show state, the current show kept for review."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from ui.live_panel.controller import LivePanelController


class NewShowButton(QPushButton):
    """Asks first, then starts a new show through the controller (off the GUI thread)."""

    def __init__(self, controller: LivePanelController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newShowButton")
        self.controller = controller
        self.confirm_dialog: QMessageBox | None = None
        self.clicked.connect(self.ask)
        controller.command_failed.connect(lambda _message: self.setEnabled(True))  # said in the panel
        self.retranslate()

    def ask(self) -> None:
        dialog = QMessageBox(QMessageBox.Icon.Question, self.tr("New show"),
                             self.tr("Start a new show?"), QMessageBox.StandardButton.NoButton, self)
        dialog.setObjectName("newShowDialog")
        dialog.setInformativeText(self.tr(
            "Everything on the program goes off (product, coupon, flash sale, giveaway, pinned answer) and comments, "
            "coupons and winners start empty. The catalog, quick replies and the run-of-show plan stay. The current "
            "show is kept for the post-show review."))
        start = dialog.addButton(self.tr("Start new show"), QMessageBox.ButtonRole.AcceptRole)
        dialog.addButton(QMessageBox.StandardButton.Cancel)
        dialog.setDefaultButton(QMessageBox.StandardButton.Cancel)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _code: self._answered(dialog.clickedButton() is start))
        self.confirm_dialog = dialog
        dialog.open()

    def _answered(self, is_confirmed: bool) -> None:
        self.confirm_dialog = None
        if is_confirmed:
            self.start_new_show()

    def start_new_show(self) -> None:
        """No question asked (the caller asked)."""
        self.setEnabled(False)
        live = self.controller.live
        self.controller.run_command(live.new_show, self._started)

    def _started(self, _event: dict[str, Any]) -> None:
        self.setEnabled(True)  # the panel says what happened when the show.new event arrives

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setText(self.tr("New show…"))
        self.setToolTip(self.tr("Start a fresh show: nothing on screen, no comments or winners; the current show is kept for review"))

