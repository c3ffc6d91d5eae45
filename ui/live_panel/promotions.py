"""The Live panel's promotions: the coupon list with its New coupon dialog, and the flash sale.

A refused coupon or flash sale is said in words where it was entered (the dialog stays open, the
flash-sale form keeps its values); a flash sale at no discount asks "start anyway?" first.
"""
from __future__ import annotations

from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QDateTime, QEvent, QLocale, QSize, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateTimeEdit, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QProgressBar,
                               QPushButton, QScrollArea, QSizePolicy, QSpinBox, QVBoxLayout, QWidget)

from studio.live.errors import LiveError
from studio.live.promotions import NoDiscountError
from ui.live_panel.controller import LivePanelController
from ui.live_panel.models import clock_text

PROBLEM_STYLE = "color: #ff6b6b;"


class Outcome:
    """A show command's result, or its refusal (a :class:`LiveError`) for the form that sent it."""

    def __init__(self, result: Any = None, error: LiveError | None = None) -> None:
        self.result = result
        self.error = error


def attempt(work: Callable[[], Any]) -> Callable[[], Outcome]:
    """``work`` for :meth:`LivePanelController.run_command` whose refusal comes back to the caller
    (to show in its own form) instead of the panel's error line."""
    def run() -> Outcome:
        try:
            return Outcome(result=work())
        except LiveError as error:
            return Outcome(error=error)
    return run


class ElidedLabel(QLabel):
    """One line that never asks for more width than it is given: the text is cut with "…" to fit
    (the whole of it in the tooltip), so a long SKU or a ticking countdown never widens the dock.
    ``text()`` is the whole text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full_text = text
        self._elide()

    def text(self) -> str:
        return self._full_text

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full_text, Qt.TextElideMode.ElideRight, max(0, self.width()))
        if shown != super().text():
            super().setText(shown)
        self.setToolTip(self._full_text if shown != self._full_text else "")


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
    ``Coupons.create`` kwargs.  Times are entered and shown in the show's region locale.

    With ``submit``, OK hands the values to it and the dialog stays open until :meth:`finish`
    (created) or :meth:`show_refusal` (the engine's words shown here, every input kept).
    """

    def __init__(self, parent: QWidget | None = None, locale: str = "en_US",
                 submit: Callable[["CouponDialog", dict[str, Any]], None] | None = None) -> None:
        super().__init__(parent)
        self._submit = submit
        self._refusal = ""
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
        self.problem_label.setStyleSheet(PROBLEM_STYLE)
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
        for edited in (self.code_edit.textChanged, self.kind_box.currentIndexChanged, self.value_spin.valueChanged,
                       self.quantity_spin.valueChanged, self.cap_spin.valueChanged, self.referral_box.toggled):
            edited.connect(self._forget_refusal)
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
        shown = found + ([self._refusal] if self._refusal else [])
        self.problem_label.setText("\n".join(shown))
        self.problem_label.setVisible(bool(shown))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not found)
        return not found

    def _forget_refusal(self, *_args: Any) -> None:
        """An edit answers the engine's refusal: it was about the values before."""
        if self._refusal:
            self._refusal = ""
            self._validate()

    def accept(self) -> None:
        if not self._validate():
            return
        if self._submit is None:
            super().accept()
            return
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)  # until the engine answers
        self._submit(self, self.values())

    def show_refusal(self, message: str) -> None:
        """The engine refused the values: say why here; every input stays as typed."""
        self._refusal = message
        self._validate()

    def finish(self) -> None:
        """The coupon was created: close as accepted."""
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
        dialog = CouponDialog(self, locale=self.controller.locale, submit=self.submit_coupon)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_a: setattr(self, "coupon_dialog", None))
        self.coupon_dialog = dialog
        dialog.open()

    def create_coupon(self, **values: Any) -> None:
        self.controller.run_command(lambda: self.live.coupons.create(**values))

    def submit_coupon(self, dialog: CouponDialog, values: dict[str, Any]) -> None:
        """Create the coupon off the GUI thread; the dialog closes once it exists, or shows why not."""
        def answered(outcome: Outcome) -> None:
            if not shiboken6.isValid(dialog):  # cancelled meanwhile
                return
            if outcome.error is not None:
                dialog.show_refusal(str(outcome.error))
            else:
                dialog.finish()

        self.controller.run_command(attempt(lambda: self.live.coupons.create(**values)), answered)

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
        self.flash_preroll_spin.setSuffix(self.tr(" s"))
        self.flash_window_spin = QSpinBox(self)
        self.flash_window_spin.setRange(1, 20)
        self.flash_window_spin.setValue(5)
        self.flash_window_spin.setSuffix(self.tr(" min"))
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
        # Why the last start was refused (or that it gives no discount), with "Start anyway" then.
        self.flash_problem_label = QLabel(self)
        self.flash_problem_label.setObjectName("flashProblem")
        self.flash_problem_label.setStyleSheet(PROBLEM_STYLE)
        self.flash_problem_label.setWordWrap(True)
        self.flash_problem_label.hide()
        self.flash_confirm_button = QPushButton(self)
        self.flash_confirm_button.setObjectName("flashConfirm")
        self.flash_confirm_button.clicked.connect(self.start_anyway)
        self.flash_confirm_button.hide()
        flash.addRow(self.flash_problem_label)
        flash.addRow(self.flash_confirm_button)
        self.flash_status_label = ElidedLabel(self)  # the countdown ticks: it must never widen the dock
        self.flash_status_label.setObjectName("flashStatus")
        self.flash_remaining_bar = QProgressBar(self)
        self.flash_remaining_bar.setObjectName("flashRemaining")
        status = QHBoxLayout()
        status.addWidget(self.flash_status_label, 3)
        status.addWidget(self.flash_remaining_bar, 2)
        flash.addRow(status)
        self._unconfirmed: dict[str, Any] | None = None  # the values "Start anyway" would start
        for edited in (self.flash_product_box.currentIndexChanged, self.flash_stock_spin.valueChanged,
                       self.flash_price_edit.textChanged, self.flash_preroll_spin.valueChanged,
                       self.flash_window_spin.valueChanged, self.flash_cap_spin.valueChanged):
            edited.connect(self._forget_problem)
        controller.snapshot_changed.connect(self.present)
        self.retranslate()

    def start_flash_sale(self) -> None:
        """Start with a discount required: a refusal or a no-discount question shows here."""
        sku = self.flash_product_box.currentData()
        if not sku:
            self._show_problem(self.tr("Load a catalog and choose a product first."))
            return
        kwargs = {"sku": sku, "stock": self.flash_stock_spin.value(), "price": self.flash_price_edit.text().strip() or None,
                  "preroll_s": self.flash_preroll_spin.value(), "window_s": self.flash_window_spin.value() * 60,
                  "per_buyer_cap": self.flash_cap_spin.value()}
        self._request(kwargs, require_discount=True)

    def start_anyway(self) -> None:
        """The assistant confirmed a sale without a discount, for the values they were asked about."""
        if self._unconfirmed is not None:
            self._request(self._unconfirmed, require_discount=False)

    def _request(self, kwargs: dict[str, Any], require_discount: bool) -> None:
        self.flash_start_button.setEnabled(False)
        self.flash_confirm_button.setEnabled(False)

        def answered(outcome: Outcome) -> None:
            self.flash_start_button.setEnabled(True)
            self.flash_confirm_button.setEnabled(True)
            if outcome.error is None:
                self._forget_problem()
            elif isinstance(outcome.error, NoDiscountError):
                self._show_problem(str(outcome.error), confirm=kwargs)
            else:
                self._show_problem(str(outcome.error))

        self.controller.run_command(
            attempt(lambda: self.live.flash_sale.start(**kwargs, require_discount=require_discount)), answered)

    def _show_problem(self, message: str, confirm: dict[str, Any] | None = None) -> None:
        self._unconfirmed = confirm
        self.flash_problem_label.setText(message)
        self.flash_problem_label.show()
        self.flash_confirm_button.setVisible(confirm is not None)
        QTimer.singleShot(0, self, self._reveal_problem)  # once the layout has made room for it

    def _reveal_problem(self) -> None:
        """On a small screen the dock scrolls: bring the words (and "Start anyway") into view."""
        shown = self.flash_confirm_button if self.flash_confirm_button.isVisible() else self.flash_problem_label
        if not shown.isVisible():
            return
        scroll = self.parentWidget()
        while scroll is not None and not isinstance(scroll, QScrollArea):
            scroll = scroll.parentWidget()
        if scroll is not None:
            scroll.ensureWidgetVisible(shown, 0, 8)

    def _forget_problem(self, *_args: Any) -> None:
        """An edit withdraws the refusal and the question: both were about the values before."""
        self._unconfirmed = None
        self.flash_problem_label.hide()
        self.flash_problem_label.clear()
        self.flash_confirm_button.hide()

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
        self.flash_confirm_button.setText(self.tr("Start anyway (no discount)"))
        if self.controller.snapshot:
            self.present(self.controller.snapshot)
        else:
            self.flash_status_label.setText(self.tr("No flash sale"))
