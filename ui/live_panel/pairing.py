"""Pairing a tablet with the show: LAN access first (with its risk in words), then the QR code,
the LAN address (chosen among this computer's addresses) and the kept port."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QStackedWidget, QVBoxLayout, QWidget)

from studio.control.launch import LAN_HOST, lan_addresses
from ui.workers import run_in_background

WARNING_STYLE = "background: #4a3b12; color: #ffe3a3; border-radius: 6px; padding: 8px;"
PROBLEM_STYLE = "color: #ff6b6b;"


def mask_token(url: str) -> str:
    """The pairing URL with its token hidden (screens get shared and recorded)."""
    base, marker, _token = url.partition("#token=")
    return f"{base}{marker}{'•' * 10}" if marker else url


class PairDialog(QDialog):
    """Leads the host from "LAN access is off" to a QR code a tablet on the same network can scan.

    Page 1 (LAN access off): why the tablet cannot connect, the security warning, and "Turn on
    LAN access" (the control API restarts on all addresses; the app saves it in settings).
    Page 2: the QR code and address for the chosen LAN address (the default route's first), the
    token masked until asked, and the port, which stays the same next launch.
    """

    def __init__(self, control: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pairDialog")
        self.setWindowTitle(self.tr("Pair a tablet"))
        self.control = control
        self.url = ""
        self.addresses: list[tuple[str, str]] = []
        layout = QVBoxLayout(self)
        self.pages = QStackedWidget(self)
        layout.addWidget(self.pages, 1)
        self.lan_page = self._build_lan_page()
        self.pair_page = self._build_pair_page()
        self.pages.addWidget(self.lan_page)
        self.pages.addWidget(self.pair_page)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        self.present()

    # -- pages ---------------------------------------------------------------------------------------
    def _build_lan_page(self) -> QWidget:
        page = QWidget(self)
        column = QVBoxLayout(page)
        title = QLabel(self.tr("<b>Step 1 of 2: let the tablet reach this computer</b>"), page)
        column.addWidget(title)
        self.lan_off_label = QLabel(self.tr(
            "LAN access is off: the control API only answers this computer itself (127.0.0.1), so a tablet "
            "cannot connect. Turn LAN access on to let devices on your local network reach it."), page)
        self.lan_off_label.setWordWrap(True)
        column.addWidget(self.lan_off_label)
        self.security_label = QLabel(self.tr(
            "Security: with LAN access on, anyone on this network who has the pairing code (the QR code or the "
            "address with its token) can run the show: pin products, launch coupons, flash sales and giveaways. "
            "Turn it on only on a network you trust — not on public or guest Wi-Fi. You can turn it off again in "
            "Settings → Live control…, where “Regenerate token” also unpairs every tablet."), page)
        self.security_label.setObjectName("pairSecurityWarning")
        self.security_label.setWordWrap(True)
        self.security_label.setStyleSheet(WARNING_STYLE)
        column.addWidget(self.security_label)
        self.lan_button = QPushButton(self.tr("Turn on LAN access"), page)
        self.lan_button.setObjectName("lanButton")
        self.lan_button.clicked.connect(self.enable_lan)
        row = QHBoxLayout()
        row.addWidget(self.lan_button)
        row.addStretch(1)
        column.addLayout(row)
        self.lan_problem_label = QLabel(page)
        self.lan_problem_label.setWordWrap(True)
        self.lan_problem_label.setStyleSheet(PROBLEM_STYLE)
        column.addWidget(self.lan_problem_label)
        column.addStretch(1)
        return page

    def _build_pair_page(self) -> QWidget:
        page = QWidget(self)
        column = QVBoxLayout(page)
        self.pair_title = QLabel(self.tr("<b>Step 2 of 2: scan the code with the tablet</b>"), page)
        column.addWidget(self.pair_title)
        self.hint_label = QLabel(self.tr("Scan the code with the tablet's camera, or open the address below in its "
                                         "browser. The tablet must be on the same network as this computer. Anyone "
                                         "with this address can control the show."), page)
        self.hint_label.setWordWrap(True)
        column.addWidget(self.hint_label)
        address_row = QHBoxLayout()
        self.address_caption = QLabel(self.tr("Network address:"), page)
        self.address_box = QComboBox(page)
        self.address_box.setObjectName("pairAddress")
        self.address_box.currentIndexChanged.connect(lambda _index: self._show_url())
        self.address_caption.setBuddy(self.address_box)
        address_row.addWidget(self.address_caption)
        address_row.addWidget(self.address_box, 1)
        column.addLayout(address_row)
        self.qr_label = QLabel(page)
        self.qr_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr_label.setFrameShape(QFrame.Shape.NoFrame)
        column.addWidget(self.qr_label, 1)
        row = QHBoxLayout()
        self.url_edit = QLineEdit(page)
        self.url_edit.setReadOnly(True)
        self.url_edit.setObjectName("pairUrl")
        self.show_button = QPushButton(self.tr("Show token"), page)
        self.show_button.setCheckable(True)
        self.show_button.toggled.connect(self._on_show_toggled)
        row.addWidget(self.url_edit, 1)
        row.addWidget(self.show_button)
        column.addLayout(row)
        self.port_label = QLabel(page)
        self.port_label.setObjectName("pairPort")
        self.port_label.setWordWrap(True)
        column.addWidget(self.port_label)
        self.problem_label = QLabel(page)
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(PROBLEM_STYLE)
        self.problem_label.hide()
        column.addWidget(self.problem_label)
        return page

    # -- presenting ----------------------------------------------------------------------------------
    @property
    def chosen_address(self) -> str | None:
        data = self.address_box.currentData()
        return str(data) if data else None

    def present(self) -> None:
        """The page for the control API's current state."""
        control = self.control
        is_listening = getattr(control, "url", None) is not None
        self.pages.setCurrentWidget(self.pair_page if (control.is_lan or not is_listening) else self.lan_page)
        self.lan_button.setEnabled(is_listening)
        self.addresses = lan_addresses() if control.is_lan else []
        self.address_box.blockSignals(True)
        self.address_box.clear()
        for address, interface in self.addresses:
            self.address_box.addItem(f"{address} ({interface})" if interface else address, address)
        self.address_box.blockSignals(False)
        is_choice = len(self.addresses) > 1
        self.address_caption.setVisible(is_choice)
        self.address_box.setVisible(is_choice)
        self._show_url()

    def _show_url(self) -> None:
        control = self.control
        self.url = control.pairing_url_for(self.chosen_address) or ""
        self.show_button.setChecked(False)
        self.url_edit.setText(mask_token(self.url))
        self.url_edit.setMinimumWidth(self.url_edit.fontMetrics().horizontalAdvance(self.url) + 24)
        self.url_edit.setCursorPosition(0)
        qr_rgba = control.pairing_qr(address=self.chosen_address) if self.url else None
        if qr_rgba is not None:
            h, w = qr_rgba.shape[:2]
            image = QImage(qr_rgba.tobytes(), w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
            self.qr_label.setPixmap(QPixmap.fromImage(image))
        else:
            self.qr_label.setPixmap(QPixmap())
            self.qr_label.setText(self.tr("No QR code available (the control API is off or qrcode is not installed)."))
        problems = []
        port = getattr(control.server, "port", None) if control.server is not None else None
        if control.url is None:
            error = getattr(control, "control_error", None)
            problems.append(str(error) if error is not None else self.tr("The control API is off, so no tablet can pair."))
        elif control.is_lan and not self.addresses:
            problems.append(self.tr("This computer has no network address a tablet could reach. Connect it to the same "
                                    "Wi-Fi or network as the tablet, then open this window again."))
        if port:
            self.port_label.setText(self.tr("Port {port} is kept for the next launches, so a paired tablet stays paired "
                                            "after a restart. If the tablet cannot open the page, allow incoming "
                                            "connections on port {port} in this computer's firewall.").format(port=port))
        notice = getattr(control, "port_notice", None)
        if notice:
            problems.append(notice)
        self.problem_label.setText("\n".join(problems))
        self.problem_label.setVisible(bool(problems))

    # -- commands ------------------------------------------------------------------------------------
    def enable_lan(self) -> None:
        """Restart the control API on every address (off the GUI thread); the app saves the choice."""
        self.lan_button.setEnabled(False)
        self.lan_problem_label.setText(self.tr("Turning on LAN access…"))
        control = self.control
        run_in_background(lambda: control.reconfigure(host=LAN_HOST), self._on_lan_enabled,
                          lambda error: self._on_lan_failed(str(error)), receiver=self)

    def _on_lan_enabled(self, error: Any) -> None:
        if error is not None:
            self._on_lan_failed(str(error))
            return
        self.lan_problem_label.clear()
        self.present()

    def _on_lan_failed(self, message: str) -> None:
        self.lan_button.setEnabled(True)
        self.lan_problem_label.setText(message)

    def _on_show_toggled(self, is_shown: bool) -> None:
        self.url_edit.setText(self.url if is_shown else mask_token(self.url))
        self.url_edit.setCursorPosition(0)
        self.show_button.setText(self.tr("Hide token") if is_shown else self.tr("Show token"))
