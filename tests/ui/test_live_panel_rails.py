"""The Live panel's safety rails (issue #13): a refused flash sale or coupon says why in the panel and
keeps everything the assistant typed; a countdown never widens the dock (real window, 1366×768)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QThreadPool

from studio.control.launch import LiveControl
from ui import i18n as ui_i18n
from ui.live_panel import LivePanelDock

SCREEN_W, SCREEN_H = 1366, 768
LONG_SKU = "SKU-LINEN-SHIRT-OVERSIZED-NATURAL-WHITE-XXL-2026"
CATALOG = ("sku,title,price,original_price,currency,stock\n"
           "SKU-1,Silk scarf,19.99,39.99,USD,40\n"
           f"{LONG_SKU},Linen shirt with a very long name for the countdown,29.00,45.00,USD,12\n")


def _control(studio, tmp_path):
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    control = LiveControl(studio, tmp_path / "show.db", catalog=catalog, port=None, token="tok-secret-123")
    control.start()
    return control


@pytest.fixture
def live_window(window, tmp_path, qtbot):
    control = _control(window.studio, tmp_path)
    try:
        dock = window.mount_live_panel(control)
        qtbot.waitUntil(lambda: dock.products_page.product_proxy.rowCount() == 2, timeout=3000)
        yield window
    finally:
        window.live_panel.detach()
        control.stop()


@pytest.fixture
def panel(qtbot, window, tmp_path):
    """A panel over a live show (``window`` provides the running engine)."""
    ui_i18n.switch_language("en")
    control = _control(window.studio, tmp_path)
    dock = LivePanelDock(control)
    qtbot.addWidget(dock)
    dock.resize(520, 700)
    dock.show()
    qtbot.waitExposed(dock)
    qtbot.waitUntil(lambda: dock.products_page.product_proxy.rowCount() == 2, timeout=3000)
    dock.tabs.setCurrentWidget(dock.promotions_page)
    try:
        yield dock
    finally:
        dock.detach()
        QThreadPool.globalInstance().waitForDone(5000)
        control.stop()


def _fill_flash(box, sku, stock, price):
    box.flash_product_box.setCurrentIndex(box.flash_product_box.findData(sku))
    box.flash_stock_spin.setValue(stock)
    box.flash_price_edit.setText(price)
    box.flash_preroll_spin.setValue(20)
    box.flash_window_spin.setValue(3)


def _inputs(box):
    return (box.flash_product_box.currentData(), box.flash_stock_spin.value(), box.flash_price_edit.text(),
            box.flash_preroll_spin.value(), box.flash_window_spin.value(), box.flash_cap_spin.value())


def test_the_dock_keeps_its_width_when_a_countdown_starts(live_window, qtbot):
    window = live_window
    window.resize(SCREEN_W, SCREEN_H)
    qtbot.waitUntil(lambda: window.width() == SCREEN_W and window.height() == SCREEN_H, timeout=2000)
    dock = window.live_panel
    dock.raise_()
    dock.tabs.setCurrentWidget(dock.promotions_page)
    qtbot.wait(100)
    width, window_width = dock.width(), window.width()
    box = dock.flash_box
    _fill_flash(box, LONG_SKU, 12, "19.00")
    box.flash_start_button.click()
    qtbot.waitUntil(lambda: "starts in" in box.flash_status_label.text(), timeout=3000)
    qtbot.waitUntil(lambda: "ends in" in box.flash_status_label.text() or box.flash_status_label.text() != "", timeout=3000)
    qtbot.wait(200)  # queued layout requests
    assert LONG_SKU in box.flash_status_label.text()  # the whole text is kept (tooltip), only the drawing is cut
    assert dock.width() == width, f"the Live panel widened from {width} to {dock.width()} px"
    assert window.width() == window_width
    dock.controller.run_command(dock.live.flash_sale.stop)
    qtbot.waitUntil(lambda: "ended" in box.flash_status_label.text(), timeout=3000)
    qtbot.wait(200)
    assert dock.width() == width


def test_more_than_in_stock_is_refused_in_the_box_and_the_inputs_stay(panel, qtbot):
    box = panel.flash_box
    _fill_flash(box, "SKU-1", 50, "9.99")
    before = _inputs(box)
    box.flash_start_button.click()
    qtbot.waitUntil(lambda: box.flash_problem_label.isVisible(), timeout=3000)
    assert "Only 40 of SKU-1 are in stock" in box.flash_problem_label.text()
    assert _inputs(box) == before
    assert panel.live.flash_sale.current is None
    assert not box.flash_confirm_button.isVisible()


@pytest.mark.parametrize("price,words", [("0", "above zero"), ("-3", "above zero"), ("nan", "not an amount"),
                                         ("abc", "not an amount")])
def test_a_bad_price_is_refused_in_the_box(panel, qtbot, price, words):
    box = panel.flash_box
    _fill_flash(box, "SKU-1", 10, price)
    before = _inputs(box)
    box.flash_start_button.click()
    qtbot.waitUntil(lambda: box.flash_problem_label.isVisible(), timeout=3000)
    assert words in box.flash_problem_label.text()
    assert _inputs(box) == before and panel.live.flash_sale.current is None


def test_no_discount_asks_before_starting(panel, qtbot):
    box = panel.flash_box
    _fill_flash(box, "SKU-1", 10, "")  # the catalog price: no discount
    box.flash_start_button.click()
    qtbot.waitUntil(lambda: box.flash_confirm_button.isVisible(), timeout=3000)
    assert "no discount" in box.flash_problem_label.text() and "$19.99" in box.flash_problem_label.text()
    assert panel.live.flash_sale.current is None
    # Changing a value withdraws the question: it was asked about the old values.
    box.flash_price_edit.setText("25")
    assert not box.flash_confirm_button.isVisible() and not box.flash_problem_label.isVisible()
    box.flash_start_button.click()
    qtbot.waitUntil(lambda: box.flash_confirm_button.isVisible(), timeout=3000)
    assert "$25.00" in box.flash_problem_label.text()
    box.flash_confirm_button.click()
    qtbot.waitUntil(lambda: panel.live.flash_sale.current is not None, timeout=3000)
    assert panel.live.flash_sale.current.price == "25" and panel.live.flash_sale.current.stock == 10
    qtbot.waitUntil(lambda: not box.flash_problem_label.isVisible() and not box.flash_confirm_button.isVisible(), timeout=3000)


def test_a_discounted_sale_starts_without_a_question(panel, qtbot):
    box = panel.flash_box
    _fill_flash(box, "SKU-1", 40, "14.99")
    box.flash_start_button.click()
    qtbot.waitUntil(lambda: panel.live.flash_sale.current is not None, timeout=3000)
    assert not box.flash_confirm_button.isVisible() and not box.flash_problem_label.isVisible()


def test_a_refused_coupon_keeps_the_dialog_and_its_inputs(panel, qtbot):
    boxes = panel.coupons_box
    boxes.new_coupon_button.click()
    dialog = boxes.coupon_dialog
    dialog.code_edit.setText("x")  # too short
    dialog.kind_box.setCurrentIndex(dialog.kind_box.findData("amount"))
    dialog.value_spin.setValue(7.5)
    dialog.quantity_spin.setValue(25)
    dialog.cap_spin.setValue(2)
    dialog.referral_box.setChecked(True)
    dialog.accept()
    qtbot.waitUntil(lambda: "coupon code" in dialog.problem_label.text(), timeout=3000)
    assert dialog.isVisible() and boxes.coupon_dialog is dialog
    assert dialog.problem_label.isVisible()
    values = dialog.values()
    assert (values["code"], values["kind"], values["value"], values["quantity"], values["per_viewer_cap"],
            values["is_referral"]) == ("x", "amount", 7.5, 25, 2, True)
    assert dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()  # fix it and try again
    dialog.code_edit.setText("SAVE7")
    assert not dialog.problem_label.isVisible()  # the refusal was about the old code
    dialog.accept()
    qtbot.waitUntil(lambda: "SAVE7" in panel.live.coupons.by_code, timeout=3000)
    qtbot.waitUntil(lambda: boxes.coupon_dialog is None, timeout=3000)
    coupon = panel.live.coupons.by_code["SAVE7"]
    assert coupon.kind == "amount" and coupon.value == "7.5" and coupon.quantity == 25 and coupon.is_referral


def test_a_refusal_scrolls_into_view_on_a_laptop_screen(live_window, qtbot):
    """At 1366×768 the Live panel scrolls: the words and "Start anyway" must not land below the fold."""
    window = live_window
    window.resize(SCREEN_W, SCREEN_H)
    qtbot.waitUntil(lambda: window.width() == SCREEN_W and window.height() == SCREEN_H, timeout=2000)
    dock = window.live_panel
    dock.raise_()
    dock.tabs.setCurrentWidget(dock.promotions_page)
    box = dock.flash_box
    _fill_flash(box, "SKU-1", 10, "")
    box.flash_start_button.click()
    qtbot.waitUntil(lambda: box.flash_confirm_button.isVisible(), timeout=3000)
    qtbot.waitUntil(lambda: box.flash_confirm_button.visibleRegion().boundingRect().height()
                    == box.flash_confirm_button.height(), timeout=2000)
    assert not box.flash_problem_label.visibleRegion().isEmpty()
