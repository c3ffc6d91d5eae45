"""Show-day readiness in the app (#13/#14): catalog problems asked about, sold-out pins warned,
"New show", the restore question at launch, and pairing over the LAN on a kept port."""
from __future__ import annotations

import socket

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication

from studio.control.launch import LiveControl, lan_addresses
from studio.settings import load_settings, save_settings
from ui import i18n as ui_i18n
from ui.app import create_live_control, create_studio, shutdown
from ui.live_panel import LivePanelDock
from ui.live_panel.show_start import ControlAddressKeeper, start_live_show

CATALOG = ("sku,title,price,currency,stock\n"
           "SKU-1,Silk scarf,19.99,USD,50\n"
           "SKU-2,Travel mug,12.50,EUR,0\n"
           "SKU-3,Linen shirt,29.00,USD,12\n")


@pytest.fixture
def studio(settings):
    engine = create_studio(settings)
    yield engine
    shutdown(engine, settings, save=False)


@pytest.fixture
def control(studio, tmp_path):
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    live_control = LiveControl(studio, tmp_path / "show.db", catalog=catalog, port=None, token="tok-secret-123")
    live_control.start()
    yield live_control
    live_control.stop()


@pytest.fixture
def panel(qtbot, control):
    ui_i18n.switch_language("en")
    dock = LivePanelDock(control)
    qtbot.addWidget(dock)
    dock.resize(560, 640)
    dock.show()
    qtbot.waitExposed(dock)
    qtbot.waitUntil(lambda: dock.products_page.product_proxy.rowCount() == 3)
    yield dock
    dock.detach()
    QThreadPool.globalInstance().waitForDone(5000)


def _skus(dock):
    model = dock.controller.product_model
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def _has_product_card(studio):
    return any(overlay.overlay_id == "live.product" for overlay in studio.compositor.overlays)


def _table(dialog):
    table = dialog.table
    return [tuple(table.item(row, column).text() for column in range(3)) for row in range(table.rowCount())]


def test_a_catalog_with_bad_rows_is_listed_and_replaces_only_when_confirmed(qtbot, panel, control, tmp_path):
    page = panel.products_page
    page.pin_row(2)  # SKU-3, which the new file lacks
    qtbot.waitUntil(lambda: control.live.shelf.pinned_sku == "SKU-3", timeout=3000)
    qtbot.waitUntil(lambda: _has_product_card(control.studio), timeout=3000)
    partly = tmp_path / "partly.csv"
    partly.write_text("sku,title,price,currency,colour\nSKU-1,Scarf,9.99,USD,red\nSKU-9,Mug,ten,USD,\n,Hat,5,USD,\n",
                      encoding="utf-8")

    page.load_catalog(partly)
    qtbot.waitUntil(lambda: page.catalog_dialog is not None and page.catalog_dialog.isVisible(), timeout=3000)
    dialog = page.catalog_dialog
    assert _table(dialog) == [("header", "colour", "Unknown column “colour” is ignored."),
                              ("2", "price", "Row 2: “ten” is not a price."),
                              ("3", "sku", "Row 3: the SKU is missing.")]
    assert "partly.csv: 1 product can be imported. 2 rows have problems" in dialog.summary_label.text()
    dialog.reject()  # Cancel
    qtbot.waitUntil(lambda: page.catalog_dialog is None, timeout=3000)
    QApplication.processEvents()
    assert _skus(panel) == ["SKU-1", "SKU-2", "SKU-3"] and control.live.shelf.pinned_sku == "SKU-3"

    page.load_catalog(partly)
    qtbot.waitUntil(lambda: page.catalog_dialog is not None and page.catalog_dialog.isVisible(), timeout=3000)
    page.catalog_dialog.replace_button.click()  # Replace anyway
    qtbot.waitUntil(lambda: _skus(panel) == ["SKU-1"], timeout=3000)
    assert control.live.shelf.pinned_sku is None
    qtbot.waitUntil(lambda: not _has_product_card(control.studio), timeout=3000)  # off the program
    qtbot.waitUntil(lambda: "SKU-3 is not in the new catalog" in page.notice_label.text(), timeout=3000)
    assert "2 catalog rows were skipped." in page.notice_label.text()
    qtbot.waitUntil(lambda: panel.pinned_label.text() == "No product on screen", timeout=3000)


def test_a_catalog_that_imports_nothing_only_explains(qtbot, panel, control, tmp_path):
    page = panel.products_page
    binary = tmp_path / "products.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    page.load_catalog(binary)
    qtbot.waitUntil(lambda: "not a text catalog" in panel.error_label.text(), timeout=3000)
    broken = tmp_path / "broken.csv"
    broken.write_text("sku,title,price,currency\nSKU-1,Scarf,free,USD\n", encoding="utf-8")
    page.load_catalog(broken)
    qtbot.waitUntil(lambda: page.catalog_dialog is not None and page.catalog_dialog.isVisible(), timeout=3000)
    dialog = page.catalog_dialog
    assert dialog.replace_button is None and not dialog.can_replace
    assert _table(dialog) == [("1", "price", "Row 1: “free” is not a price.")]
    assert "Nothing in broken.csv can be imported" in dialog.summary_label.text()
    assert "kept" in page.notice_label.text()
    dialog.reject()
    assert _skus(panel) == ["SKU-1", "SKU-2", "SKU-3"]


def test_pinning_a_sold_out_product_warns(qtbot, panel, control):
    page = panel.products_page
    page.pin_row(1)  # SKU-2, stock 0
    qtbot.waitUntil(lambda: "SKU-2 is sold out" in page.notice_label.text(), timeout=3000)
    assert page.notice_label.isVisible()
    assert control.live.shelf.pinned.is_sold_out  # what the card renderer is given
    page.pin_row(0)
    qtbot.waitUntil(lambda: not page.notice_label.isVisible(), timeout=3000)


def test_new_show_asks_then_clears_the_program(qtbot, panel, control):
    live = control.live
    panel.products_page.pin_row(0)
    live.coupons.create("SAVE10", "percent", 10)
    live.coupons.show("SAVE10")
    qtbot.waitUntil(lambda: panel.pinned_label.text().startswith("On screen: SKU-1"), timeout=3000)
    panel.new_show_button.click()
    dialog = panel.new_show_button.confirm_dialog
    assert dialog is not None and dialog.isVisible()
    start = next(b for b in dialog.buttons() if b.text() == "Start new show")
    start.click()
    qtbot.waitUntil(lambda: live.shelf.pinned_sku is None and live.coupons.shown_code is None, timeout=3000)
    qtbot.waitUntil(lambda: "A new show has started" in panel.products_page.notice_label.text(), timeout=3000)
    qtbot.waitUntil(lambda: panel.pinned_label.text() == "No product on screen", timeout=3000)
    assert _skus(panel) == ["SKU-1", "SKU-2", "SKU-3"]  # the catalog stays


def _previous_show(studio, db, catalog, is_clean):
    """A show with a product and a coupon on screen, closed cleanly or left as a crash leaves it."""
    earlier = LiveControl(studio, db, catalog=catalog, port=None, token="t")
    earlier.start()
    earlier.live.shelf.pin("SKU-1")
    earlier.live.coupons.create("SAVE10", "percent", 10)
    earlier.live.coupons.show("SAVE10")
    if is_clean:
        earlier.stop()
    else:
        earlier.live._stop.set()
        earlier.live._thread.join(3)
        earlier.live.layout.clear_leaving()
        earlier.live.layout.close()
        earlier.live.store.close()  # no "closed" mark: what a crash leaves behind


@pytest.mark.parametrize("choice", ["new", "continue"])
def test_launch_asks_before_bringing_back_a_cleanly_ended_show(qtbot, window, tmp_path, choice):
    window.resize(1366, 768)
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    db = tmp_path / "show.db"
    _previous_show(window.studio, db, catalog, is_clean=True)
    control = LiveControl(window.studio, db, port=0, token="t")
    started = []
    control.status.connect(lambda **status: started.append(status["state"]))
    try:
        dock = window.mount_live_panel(control)
        start_live_show(window, control, dock)
        qtbot.waitUntil(lambda: getattr(window, "restore_show_dialog", None) is not None, timeout=3000)
        dialog = window.restore_show_dialog
        assert "product SKU-1 on screen" in dialog.text() and "coupon SAVE10 on screen" in dialog.text()
        assert started == []  # nothing starts before the answer
        (dialog.new_button if choice == "new" else dialog.continue_button).click()
        qtbot.waitUntil(lambda: started == ["listening"], timeout=5000)
        expected = None if choice == "new" else "SKU-1"
        assert control.live.shelf.pinned_sku == expected
        assert control.live.coupons.shown_code == (None if choice == "new" else "SAVE10")
    finally:
        dock.detach()
        QThreadPool.globalInstance().waitForDone(5000)
        control.stop()


def test_launch_after_a_crash_restores_without_asking(qtbot, window, tmp_path):
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    db = tmp_path / "show.db"
    _previous_show(window.studio, db, catalog, is_clean=False)
    control = LiveControl(window.studio, db, port=0, token="t")
    started = []
    control.status.connect(lambda **status: started.append(status["state"]))
    try:
        dock = window.mount_live_panel(control)
        start_live_show(window, control, dock)
        qtbot.waitUntil(lambda: started == ["listening"], timeout=5000)
        assert window.restore_show_dialog is None
        assert control.live.shelf.pinned_sku == "SKU-1"
        qtbot.waitUntil(lambda: "did not end cleanly" in window.statusBar().currentMessage(), timeout=3000)
    finally:
        dock.detach()
        QThreadPool.globalInstance().waitForDone(5000)
        control.stop()


def _launch(qtbot, studio, settings, window):
    """What the app does at launch: the control from settings, the keeper, the start."""
    control = create_live_control(studio, settings)
    keeper = ControlAddressKeeper(control, settings, parent=window)
    control.start()
    qtbot.waitUntil(lambda: keeper.saves >= 1 or settings.control_port == control.server.port, timeout=5000)
    QThreadPool.globalInstance().waitForDone(5000)
    return control, keeper


def test_pairing_gives_a_lan_address_on_a_port_kept_across_launches(qtbot, window, settings):
    assert lan_addresses(), "this test needs a non-loopback IPv4 address"
    settings.control_port = 0  # never chosen yet
    settings.control_lan = False
    save_settings(settings)
    first, keeper = _launch(qtbot, window.studio, settings, window)
    try:
        dock = window.mount_live_panel(first)
        dock.pair_button.click()
        dialog = dock.pair_dialog
        assert dialog.pages.currentWidget() is dialog.lan_page  # LAN access is off: say so first
        assert "127.0.0.1" in dialog.lan_off_label.text()
        assert "anyone on this network" in dialog.security_label.text()
        dialog.lan_button.click()
        qtbot.waitUntil(lambda: dialog.pages.currentWidget() is dialog.pair_page, timeout=5000)
        port = first.server.port
        address = lan_addresses()[0][0]
        assert dialog.url == f"http://{address}:{port}/#token={first.token}"
        assert not address.startswith("127.")
        assert str(port) in dialog.port_label.text()
        qtbot.waitUntil(lambda: load_settings()[0].control_lan, timeout=5000)
        dialog.close()
        dock.detach()
        QThreadPool.globalInstance().waitForDone(5000)
    finally:
        keeper.stop()
        first.stop()
    saved, warning = load_settings()
    assert warning is None and (saved.control_port, saved.control_lan) == (port, True)

    second, keeper = _launch(qtbot, window.studio, saved, window)
    try:
        assert second.server.port == port and second.port_notice is None
        assert second.pairing_url == f"http://{lan_addresses()[0][0]}:{port}/#token={second.token}"
    finally:
        keeper.stop()
        second.stop()

    with socket.socket() as squatter:  # another program took the port meanwhile
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("0.0.0.0", port))
        squatter.listen()
        third, keeper = _launch(qtbot, window.studio, saved, window)
        try:
            new_port = third.server.port
            assert new_port != port and third.url is not None
            assert f"Port {port} is used by another program" in third.port_notice
            qtbot.waitUntil(lambda: load_settings()[0].control_port == new_port, timeout=5000)
        finally:
            keeper.stop()
            third.stop()


def _fake_interfaces(monkeypatch):
    from collections import namedtuple

    import psutil

    from studio.control import launch

    entry = namedtuple("Address", "family address netmask broadcast ptp")  # psutil's fields

    def address(text, family=socket.AF_INET):
        return entry(family, text, "255.255.255.0", None, None)

    monkeypatch.setattr(psutil, "net_if_addrs", lambda: {
        "lo": [address("127.0.0.1")],
        "eth0": [address("10.0.0.5"), address("fe80::1", socket.AF_INET6)],
        "wlan0": [address("192.168.1.23")],
        "usb0": [address("169.254.3.4")],
    })
    monkeypatch.setattr(launch, "lan_address", lambda: "192.168.1.23")  # the default route's


def test_lan_addresses_put_the_default_route_first_and_skip_unreachable_ones(monkeypatch):
    _fake_interfaces(monkeypatch)
    assert lan_addresses() == [("192.168.1.23", "wlan0"), ("10.0.0.5", "eth0")]


def test_with_several_addresses_the_host_chooses_which_the_code_carries(qtbot, studio, tmp_path, monkeypatch):
    _fake_interfaces(monkeypatch)
    control = LiveControl(studio, tmp_path / "show.db", port=0, host="0.0.0.0", token="tok-secret-123")
    control.start()
    try:
        from ui.live_panel.pairing import PairDialog

        dialog = PairDialog(control)
        qtbot.addWidget(dialog)
        assert dialog.pages.currentWidget() is dialog.pair_page
        assert not dialog.address_box.isHidden() and dialog.address_box.count() == 2
        port = control.server.port
        assert dialog.url == f"http://192.168.1.23:{port}/#token=tok-secret-123"
        dialog.address_box.setCurrentIndex(1)
        assert dialog.url == f"http://10.0.0.5:{port}/#token=tok-secret-123"
        assert "tok-secret-123" not in dialog.url_edit.text()
    finally:
        control.stop()
