"""The Live panel's promotions: the coupon list with its New coupon dialog, and the flash sale."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDateTime, QEvent, QLocale, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateTimeEdit, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QProgressBar,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from ui.live_panel.controller import LivePanelController
from ui.live_panel.models import clock_text


def locale_time(seconds: float, locale: str) -> str:
    """A wall-clock time in this computer's time zone, written the way ``locale`` writes it (CLDR)."""
    from datetime import datetime

    from babel.dates import format_datetime

    moment = datetime.fromtimestamp(seconds).astimezone()
    try:
        return format_datetime(moment, format="short", locale=locale)
    except (ValueError, LookupError):
        return format_datetime(moment, format="short", locale="en_US")


class CouponDialog(QDialog):
    """Code, kind, value, quantity, per-viewer cap, referral, optional start/end; ``values()`` are
    ``Coupons.create`` kwargs.  Times are entered and shown in the show's region locale."""

    def __init__(self, parent: QWidget | None = None, locale: str = "en_US") -> None:
        super().__init__(parent)
        self.setObjectName("couponDialog")
        self.setWindowTitle(self.tr("New coupon"))
        form = QFormLayout(self)
        self.code_edit = QLineEdit(self)
        self.code_edit.setPlaceholderText("LIVE10")
        self.kind_box = QComboBox(self)
        for kind, text in (("percent", self.tr("Percent off")), ("amount", self.tr("Amount off")), ("free_shipping", self.tr("Free shipping"))):
            self.kind_box.addItem(text, kind)
        self.value_spin = QDoubleSpinBox(self)
        self.value_spin.setRange(0, 100_000)
        self.value_spin.setValue(10)
        self.quantity_spin = QSpinBox(self)
        self.quantity_spin.setRange(0, 1_000_000)
        self.quantity_spin.setSpecialValueText(self.tr("Unlimited"))
        self.cap_spin = QSpinBox(self)
        self.cap_spin.setRange(1, 100)
        self.referral_box = QCheckBox(self.tr("Referral coupon (inviter and invitee both get one)"), self)
        region = QLocale(locale)
        now = QDateTime.currentDateTime()
        self.starts_box = QCheckBox(self.tr("Starts at:"), self)
        self.ends_box = QCheckBox(self.tr("Ends at:"), self)
        self.starts_edit, self.ends_edit = QDateTimeEdit(self), QDateTimeEdit(self)
        for box, edit, value in ((self.starts_box, self.starts_edit, now), (self.ends_box, self.ends_edit, now.addSecs(3600))):
            edit.setLocale(region)
            edit.setDisplayFormat(region.dateTimeFormat(QLocale.FormatType.ShortFormat))
            edit.setCalendarPopup(True)
            edit.setDateTime(value)
            edit.setEnabled(False)
            box.toggled.connect(edit.setEnabled)
            box.toggled.connect(lambda _on: self._validate())
            edit.dateTimeChanged.connect(lambda _value: self._validate())
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("couponProblem")
        self.problem_label.setStyleSheet("color: #ff6b6b;")
        self.problem_label.setWordWrap(True)
        form.addRow(self.tr("Code:"), self.code_edit)
        form.addRow(self.tr("Kind:"), self.kind_box)
        form.addRow(self.tr("Value:"), self.value_spin)
        form.addRow(self.tr("Quantity:"), self.quantity_spin)
        form.addRow(self.tr("Per viewer:"), self.cap_spin)
        form.addRow(self.referral_box)
        form.addRow(self.starts_box, self.starts_edit)
        form.addRow(self.ends_box, self.ends_edit)
        form.addRow(self.problem_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self._validate()

    def problems(self) -> list[str]:
        """What is wrong with the times, in words (the engine checks everything else)."""
        found = []
        starts, ends = self.values()["starts_at"], self.values()["ends_at"]
        if ends is not None and ends <= QDateTime.currentSecsSinceEpoch():
            found.append(self.tr("The end time has already passed."))
        if starts is not None and ends is not None and ends <= starts:
            found.append(self.tr("The coupon must end after it starts."))
        return found

    def _validate(self) -> bool:
        found = self.problems()
        self.problem_label.setText("\n".join(found))
        self.problem_label.setVisible(bool(found))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not found)
        return not found

    def accept(self) -> None:
        if self._validate():
            super().accept()

    def values(self) -> dict[str, Any]:
        starts = self.starts_edit.dateTime().toSecsSinceEpoch() if self.starts_box.isChecked() else None
        ends = self.ends_edit.dateTime().toSecsSinceEpoch() if self.ends_box.isChecked() else None
        return {"code": self.code_edit.text(), "kind": self.kind_box.currentData(), "value": self.value_spin.value(),
                "quantity": self.quantity_spin.value() or None, "per_viewer_cap": self.cap_spin.value(),
                "is_referral": self.referral_box.isChecked(), "starts_at": starts, "ends_at": ends}


class CouponsBox(QGroupBox):
    """The show's coupons (state, claims, validity) with New / Show / Hide / End."""

    def __init__(self, controller: LivePanelController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.live = controller.live
        coupons = QVBoxLayout(self)
        self.coupon_list = QListWidget(self)
        self.coupon_list.setObjectName("couponList")
        self.coupon_list.setMaximumHeight(90)
        coupons.addWidget(self.coupon_list)
        row = QHBoxLayout()
        self.new_coupon_button = QPushButton(self)
        self.new_coupon_button.clicked.connect(self.open_coupon_dialog)
        self.show_coupon_button = QPushButton(self)
        self.show_coupon_button.clicked.connect(self.show_selected_coupon)
        self.hide_coupon_button = QPushButton(self)
        self.hide_coupon_button.clicked.connect(lambda: self.controller.run_command(lambda: self.live.coupons.show(None)))
        self.end_coupon_button = QPushButton(self)
        self.end_coupon_button.clicked.connect(self.end_selected_coupon)
        for button in (self.new_coupon_button, self.show_coupon_button, self.hide_coupon_button, self.end_coupon_button):
            row.addWidget(button)
        coupons.addLayout(row)
        self.coupon_dialog: CouponDialog | None = None
        controller.snapshot_changed.connect(self.present)
        self.retranslate()

    # -- commands ------------------------------------------------------------------------------------
    def open_coupon_dialog(self) -> None:
        dialog = CouponDialog(self, locale=self.controller.locale)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.create_coupon(**dialog.values()))
        dialog.destroyed.connect(lambda *_a: setattr(self, "coupon_dialog", None))
        self.coupon_dialog = dialog
        dialog.open()

    def create_coupon(self, **values: Any) -> None:
        self.controller.run_command(lambda: self.live.coupons.create(**values))

    def _selected_coupon(self) -> str | None:
        item = self.coupon_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def show_selected_coupon(self) -> None:
        code = self._selected_coupon()
        if code:
            self.controller.run_command(lambda: self.live.coupons.show(code))

    def end_selected_coupon(self) -> None:
        code = self._selected_coupon()
        if code:
            self.controller.run_command(lambda: self.live.coupons.end(code))

    # -- presenting ----------------------------------------------------------------------------------
    def present(self, snapshot: dict[str, Any]) -> None:
        locale = self.controller.locale
        kinds = {"percent": self.tr("{value}% off"), "amount": self.tr("{value} off"), "free_shipping": self.tr("free shipping")}
        rows = []
        for coupon in snapshot.get("coupons", []):
            value = coupon["value"].rstrip("0").rstrip(".") if "." in coupon["value"] else coupon["value"]
            state = self.tr("ended") if coupon["is_ended"] else self.tr("on screen") if coupon["is_shown"] else self.tr("active") if coupon["is_active"] else self.tr("inactive")
            quantity = "∞" if coupon["quantity"] is None else str(coupon["quantity"])
            text = self.tr("{code} · {kind} · claimed {claimed}/{quantity} · {state}").format(
                code=coupon["code"], kind=kinds.get(coupon["kind"], coupon["kind"]).format(value=value),
                claimed=coupon["claimed"], quantity=quantity, state=state)
            starts, ends = coupon.get("starts_at"), coupon.get("ends_at")
            if starts is not None and ends is not None:
                text += " · " + self.tr("{start} – {end}").format(start=locale_time(starts, locale), end=locale_time(ends, locale))
            elif starts is not None:
                text += " · " + self.tr("from {start}").format(start=locale_time(starts, locale))
            elif ends is not None:
                text += " · " + self.tr("until {end}").format(end=locale_time(ends, locale))
            rows.append((coupon["code"], text))
        if rows == [(self.coupon_list.item(i).data(Qt.ItemDataRole.UserRole), self.coupon_list.item(i).text()) for i in range(self.coupon_list.count())]:
            return
        selected = self._selected_coupon()
        self.coupon_list.clear()
        for code, text in rows:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, code)
            self.coupon_list.addItem(item)
            if code == selected:
                self.coupon_list.setCurrentItem(item)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setTitle(self.tr("Coupons"))
        self.new_coupon_button.setText(self.tr("New coupon…"))
        self.show_coupon_button.setText(self.tr("Show"))
        self.hide_coupon_button.setText(self.tr("Hide"))
        self.end_coupon_button.setText(self.tr("End"))
        if self.controller.snapshot:
            self.present(self.controller.snapshot)


class FlashSaleBox(QGroupBox):
    """Start a flash sale (product, stock, price, pre-roll, window, per-buyer cap); its countdown and stock."""

    def __init__(self, controller: LivePanelController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.live = controller.live
        flash = QFormLayout(self)
        self.flash_product_box = QComboBox(self)
        self.flash_product_box.setModel(controller.product_model)  # shows the SKU; its data is the SKU
        self.flash_stock_spin = QSpinBox(self)
        self.flash_stock_spin.setRange(1, 1_000_000)
        self.flash_stock_spin.setValue(50)
        self.flash_price_edit = QLineEdit(self)
        self.flash_preroll_spin = QSpinBox(self)
        self.flash_preroll_spin.setRange(10, 300)
        self.flash_preroll_spin.setSuffix(" s")
        self.flash_window_spin = QSpinBox(self)
        self.flash_window_spin.setRange(1, 20)
        self.flash_window_spin.setValue(5)
        self.flash_window_spin.setSuffix(" min")
        self.flash_cap_spin = QSpinBox(self)
        self.flash_cap_spin.setRange(1, 100)
        self.flash_product_label, self.flash_stock_label, self.flash_price_label = QLabel(), QLabel(), QLabel()
        self.flash_preroll_label, self.flash_window_label, self.flash_cap_label = QLabel(), QLabel(), QLabel()
        flash.addRow(self.flash_product_label, self.flash_product_box)
        pair = QHBoxLayout()
        pair.addWidget(self.flash_stock_spin)
        pair.addWidget(self.flash_price_label)
        pair.addWidget(self.flash_price_edit)
        flash.addRow(self.flash_stock_label, pair)
        pair = QHBoxLayout()
        pair.addWidget(self.flash_preroll_spin)
        pair.addWidget(self.flash_window_label)
        pair.addWidget(self.flash_window_spin)
        pair.addWidget(self.flash_cap_label)
        pair.addWidget(self.flash_cap_spin)
        flash.addRow(self.flash_preroll_label, pair)
        row = QHBoxLayout()
        self.flash_start_button = QPushButton(self)
        self.flash_start_button.clicked.connect(self.start_flash_sale)
        self.flash_stop_button = QPushButton(self)
        self.flash_stop_button.clicked.connect(lambda: self.controller.run_command(self.live.flash_sale.stop))
        self.flash_clear_button = QPushButton(self)
        self.flash_clear_button.clicked.connect(lambda: self.controller.run_command(self.live.flash_sale.clear))
        row.addWidget(self.flash_start_button)
        row.addWidget(self.flash_stop_button)
        row.addWidget(self.flash_clear_button)
        flash.addRow(row)
        self.flash_status_label = QLabel(self)
        self.flash_status_label.setObjectName("flashStatus")
        self.flash_remaining_bar = QProgressBar(self)
        self.flash_remaining_bar.setObjectName("flashRemaining")
        flash.addRow(self.flash_status_label, self.flash_remaining_bar)
        controller.snapshot_changed.connect(self.present)
        self.retranslate()

    def start_flash_sale(self) -> None:
        sku = self.flash_product_box.currentData()
        if not sku:
            self.controller.report(self.tr("Load a catalog and choose a product first."))
            return
        kwargs = {"sku": sku, "stock": self.flash_stock_spin.value(), "price": self.flash_price_edit.text().strip() or None,
                  "preroll_s": self.flash_preroll_spin.value(), "window_s": self.flash_window_spin.value() * 60,
                  "per_buyer_cap": self.flash_cap_spin.value()}
        self.controller.run_command(lambda: self.live.flash_sale.start(**kwargs))

    def present(self, snapshot: dict[str, Any]) -> None:
        sale = snapshot.get("flash_sale")
        if not sale:
            self.flash_status_label.setText(self.tr("No flash sale"))
            self.flash_remaining_bar.setRange(0, 1)
            self.flash_remaining_bar.setValue(0)
            self.flash_remaining_bar.setFormat("")
            return
        countdown = clock_text(sale["countdown_s"])
        if sale["phase"] == "preroll":
            text = self.tr("{sku}: starts in {countdown}").format(sku=sale["sku"], countdown=countdown)
        elif sale["phase"] == "live":
            text = self.tr("{sku}: ends in {countdown}").format(sku=sale["sku"], countdown=countdown)
        else:
            reasons = {"sold_out": self.tr("sold out"), "time": self.tr("time is up"), "stopped": self.tr("stopped")}
            text = self.tr("{sku}: ended ({reason})").format(sku=sale["sku"], reason=reasons.get(sale["end_reason"], sale["end_reason"]))
        self.flash_status_label.setText(text)
        self.flash_remaining_bar.setRange(0, max(1, sale["stock"]))
        self.flash_remaining_bar.setValue(sale["remaining"])
        self.flash_remaining_bar.setFormat(self.tr("{remaining} of {stock} left").format(remaining=sale["remaining"], stock=sale["stock"]))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setTitle(self.tr("Flash sale"))
        self.flash_product_label.setText(self.tr("Product:"))
        self.flash_stock_label.setText(self.tr("Stock:"))
        self.flash_price_label.setText(self.tr("Price:"))
        self.flash_price_edit.setPlaceholderText(self.tr("catalog price"))
        self.flash_preroll_label.setText(self.tr("Pre-roll:"))
        self.flash_window_label.setText(self.tr("Window:"))
        self.flash_cap_label.setText(self.tr("Per buyer:"))
        self.flash_start_button.setText(self.tr("Start"))
        self.flash_stop_button.setText(self.tr("Stop"))
        self.flash_clear_button.setText(self.tr("Clear card"))
        if self.controller.snapshot:
            self.present(self.controller.snapshot)
        else:
            self.flash_status_label.setText(self.tr("No flash sale"))
