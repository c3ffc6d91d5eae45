"""The Live panel dock: products, comments/Q&A, coupons, flash sales, giveaways and the run-of-show.

A view of one ``LiveControl`` (its ``LiveShow``): it holds no show state of its own.  The
:class:`~ui.live_panel.controller.LivePanelController` runs the commands, drains the engine's
events and fetches snapshots; each tab (one module each) presents what it announces.  The dock
itself shows what is on screen, the control API's state and the last problem in words, and owns
the keyboard shortcuts (a shortcut fires only while its parent is visible: these work from every tab).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from ui.live_panel.comments import CommentsPage
from ui.live_panel.controller import LivePanelController
from ui.live_panel.giveaway import GiveawayBox
from ui.live_panel.models import HOTKEY_COUNT
from ui.live_panel.audience_row import AudienceRow
from ui.live_panel.new_show import NewShowButton
from ui.live_panel.pairing import PairDialog
from ui.live_panel.products import ProductsPage
from ui.live_panel.promotions import CouponsBox, FlashSaleBox
from ui.live_panel.referrals import ReferralsPage
from ui.live_panel.rundown import RunOfShowPage


class LivePanelDock(QDockWidget):
    """The desktop counterpart of the tablet page, for one ``LiveControl``."""

    control_notice = Signal(str)  # a control-API problem in words, for the window's status bar
    platforms_requested = Signal()  # "Platforms…": the window opens the Platforms dialog

    def __init__(self, control: Any, parent: QWidget | None = None, *, settings: Any | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("livePanelDock")
        self.control = control
        self.live = control.live
        self.settings = settings  # its ``platforms`` are connected once the show is open
        self.controller = LivePanelController(control, self)
        self._are_platforms_connected = False

        body = QWidget(self)
        outer = QVBoxLayout(body)
        outer.setContentsMargins(4, 4, 4, 4)
        header = QHBoxLayout()
        self.pinned_label = QLabel(body)
        self.pinned_label.setObjectName("pinnedLabel")
        self.pair_button = QPushButton(body)
        self.pair_button.clicked.connect(self.open_pairing)
        header.addWidget(self.pinned_label, 1)
        self.new_show_button = NewShowButton(self.controller, body)
        header.addWidget(self.new_show_button)
        header.addWidget(self.pair_button)
        outer.addLayout(header)
        self.audience_row = AudienceRow(self.controller, body)
        self.audience_row.platforms_button.clicked.connect(self.platforms_requested)
        outer.addWidget(self.audience_row)
        self.control_label = QLabel(body)
        self.control_label.setObjectName("controlStatus")
        self.control_label.setWordWrap(True)
        self.control_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.control_label)
        self._control_notice_shown: str | None = None
        self.error_label = QLabel(body)
        self.error_label.setObjectName("liveError")
        self.error_label.setStyleSheet("color: #ff6b6b;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        outer.addWidget(self.error_label)
        self.tabs = QTabWidget(body)
        outer.addWidget(self.tabs, 1)
        self.setWidget(body)

        self.products_page = ProductsPage(self.controller, self)
        self.comments_page = CommentsPage(self.controller, self)
        self.promotions_page = QWidget(self)
        promotions = QVBoxLayout(self.promotions_page)
        self.coupons_box = CouponsBox(self.controller, self.promotions_page)
        self.flash_box = FlashSaleBox(self.controller, self.promotions_page)
        self.giveaway_box = GiveawayBox(self.controller, self.promotions_page)
        for box in (self.coupons_box, self.flash_box, self.giveaway_box):
            promotions.addWidget(box)
        promotions.addStretch(1)
        self.show_page = RunOfShowPage(self.controller, self)
        self.referrals_page = ReferralsPage(self.controller, self)
        for page in (self.products_page, self.comments_page, self.promotions_page, self.show_page, self.referrals_page):
            self.tabs.addTab(page, "")

        self.hotkeys: list[QShortcut] = []
        for number in range(HOTKEY_COUNT):
            shortcut = QShortcut(QKeySequence(f"F{number + 1}"), self)
            shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
            shortcut.activated.connect(lambda row=number: self.products_page.pin_row(row))
            self.hotkeys.append(shortcut)
        self.advance_shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        self.advance_shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        self.advance_shortcut.activated.connect(self.show_page.advance)

        self.controller.command_failed.connect(self._show_error)
        self.controller.command_succeeded.connect(self.error_label.hide)
        self.controller.control_status_changed.connect(self._show_control_status)
        self.controller.snapshot_changed.connect(lambda _snapshot: self._show_pinned())
        self.controller.products_changed.connect(self._show_pinned)
        self.pair_dialog: PairDialog | None = None
        self.retranslate()
        self.attach()

    # -- lifecycle (the app mounts, refreshes and detaches the dock) ----------------------------------
    def attach(self) -> None:
        """Listen to the show and start the drain and snapshot timers."""
        self.controller.attach()
        self.referrals_page.referrals.attach()

    def detach(self) -> None:
        """Stop listening and wait for queued commands (call before the show stops)."""
        self.referrals_page.referrals.detach()
        self.controller.detach()

    def refresh(self) -> None:
        """Reload products, recent comments and state from the show (off the GUI thread).  The app
        calls this once the show is open: the first call also connects the show's platforms."""
        self.controller.refresh()
        if not self._are_platforms_connected and self.settings is not None:
            self._are_platforms_connected = True
            self.controller.connect_platforms(list(self.settings.platforms))

    # -- presenting ----------------------------------------------------------------------------------
    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def _show_control_status(self) -> None:
        """The control API's state in words; a port that cannot be bound is a notice, not a crash."""
        state = getattr(self.control, "state", "off")
        error = getattr(self.control, "control_error", None)
        if state == "unavailable" and error is not None:
            text = str(error)
            self.control_label.setText(text)
            self.control_label.setStyleSheet("color: #ff6b6b;")
            self.pair_button.setEnabled(False)
            self.pair_button.setToolTip(text)
            if self._control_notice_shown != text:
                self._control_notice_shown = text
                self.control_notice.emit(text)
            return
        self._control_notice_shown = None
        self.control_label.setStyleSheet("")
        url = getattr(self.control, "lan_url", None) or getattr(self.control, "url", None)
        if state == "listening" and url:
            self.control_label.setText(self.tr("Control API: {url}").format(url=url))
            self.pair_button.setEnabled(True)
            self.pair_button.setToolTip("")
        else:
            self.control_label.setText(self.tr("Control API off"))
            self.pair_button.setEnabled(False)
            self.pair_button.setToolTip(self.tr("The control API is off, so no tablet can pair."))

    def _show_pinned(self) -> None:
        snapshot = self.controller.snapshot
        sku = snapshot.get("pinned_sku")
        product = snapshot.get("pinned_product")
        if product:
            titles = product.get("titles") or {}
            title = titles.get(self.controller.locale) or titles.get("") or next(iter(titles.values()), sku)
            self.pinned_label.setText(self.tr("On screen: {sku} — {title}").format(sku=sku, title=title))
        else:
            self.pinned_label.setText(self.tr("No product on screen"))

    def open_pairing(self) -> None:
        if self.pair_dialog is not None:
            self.pair_dialog.raise_()
            return
        dialog = PairDialog(self.control, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_a: setattr(self, "pair_dialog", None))
        self.pair_dialog = dialog
        dialog.open()

    # -- language ------------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Live panel"))
        self.pair_button.setText(self.tr("Pair a tablet…"))
        self.tabs.setTabText(self.tabs.indexOf(self.products_page), self.tr("Products"))
        self.tabs.setTabText(self.tabs.indexOf(self.comments_page), self.tr("Comments"))
        self.tabs.setTabText(self.tabs.indexOf(self.promotions_page), self.tr("Promotions"))
        self.tabs.setTabText(self.tabs.indexOf(self.show_page), self.tr("Run-of-show"))
        self.tabs.setTabText(self.tabs.indexOf(self.referrals_page), self.tr("Referrals"))
        self._show_control_status()
        self._show_pinned()
