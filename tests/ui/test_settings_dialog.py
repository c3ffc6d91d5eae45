"""Settings → Live control…: control API port/LAN/token, overlay locale and the platform webhook,
over a real LiveControl (SQLite journal, aiohttp control API) and a real local webhook receiver."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket

import aiohttp
import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QDialogButtonBox

from studio.control.launch import CONTROL_TOKEN_SECRET, WEBHOOK_SECRET_NAME, LiveControl
from studio.secrets_store import get_secret, set_secret
from studio.settings import load_settings, settings_path
from tests.studio.live.platform import FlakyPlatform
from ui import i18n as ui_i18n
from ui.app import create_studio, shutdown
from ui.settings_dialog import LiveSettingsDialog

CATALOG = "sku,title,price,currency,stock\nSKU-1,Silk scarf,19.99,USD,50\n"


@pytest.fixture
def studio(settings):
    engine = create_studio(settings)
    yield engine
    shutdown(engine, settings, save=False)


@pytest.fixture
def control(studio, tmp_path):
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    live_control = LiveControl(studio, tmp_path / "show.db", catalog=catalog, port=0, token="first-token")
    live_control.start()
    yield live_control
    live_control.stop()


@pytest.fixture
def dialog_for(qtbot, settings):
    ui_i18n.switch_language("en")
    made = []

    def make(control):
        dialog = LiveSettingsDialog(settings, control)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        made.append(dialog)
        return dialog

    yield make
    QThreadPool.globalInstance().waitForDone(10_000)


def _status(url: str, token: str) -> int:
    async def get() -> int:
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "/api/v1/state", headers={"Authorization": f"Bearer {token}"}) as response:
                return response.status
    return asyncio.run(get())


def _save(qtbot, dialog) -> None:
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def test_lan_access_is_off_by_default_and_warns_when_on(dialog_for, control, settings):
    dialog = dialog_for(control)
    assert not dialog.lan_box.isChecked() and settings.control_lan is False
    assert "Only this computer" in dialog.lan_warning.text()
    assert control.url in dialog.address_label.text()
    dialog.lan_box.setChecked(True)
    assert "anyone on this network" in dialog.lan_warning.text() and "color" in dialog.lan_warning.styleSheet()


def test_webhook_and_secret_are_saved_apart_and_events_arrive_signed(qtbot, dialog_for, control, settings, caplog):
    with FlakyPlatform(failures=0) as platform:
        dialog = dialog_for(control)
        dialog.webhook_edit.setText(f"http://127.0.0.1:{platform.port}/hook")
        dialog.webhook_edit.textEdited.emit(dialog.webhook_edit.text())
        dialog.secret_edit.setText("dlg-SECRET-8")
        dialog.secret_edit.textEdited.emit("dlg-SECRET-8")
        assert dialog.secret_edit.echoMode() == dialog.secret_edit.EchoMode.Password
        _save(qtbot, dialog)
        assert control.webhook is not None
        control.live.pin("SKU-1")
        event = platform.wait_for("product.pinned")
    assert event["data"]["sku"] == "SKU-1"
    _event, headers, body = next(r for r in platform.received if r[0]["type"] == "product.pinned")
    assert headers["X-Bridgecast-Signature"] == "sha256=" + hmac.new(b"dlg-SECRET-8", body, hashlib.sha256).hexdigest()
    saved, _warning = load_settings()
    assert saved.webhook_url == f"http://127.0.0.1:{platform.port}/hook" and saved.webhook_secret_ref == WEBHOOK_SECRET_NAME
    assert "SECRET" not in settings_path().read_text(encoding="utf-8")
    assert get_secret(WEBHOOK_SECRET_NAME) == "dlg-SECRET-8"
    assert "SECRET" not in caplog.text


def test_saved_secret_loads_masked_and_clearing_the_address_stops_sending(qtbot, dialog_for, control, settings):
    set_secret(WEBHOOK_SECRET_NAME, "old-SECRET")
    settings.webhook_url, settings.webhook_secret_ref = "http://127.0.0.1:9/hook", WEBHOOK_SECRET_NAME
    control.apply_webhook_settings(settings)
    dialog = dialog_for(control)
    qtbot.waitUntil(lambda: dialog.secret_edit.text() == "old-SECRET" and dialog.secret_edit.isEnabled(), timeout=5000)
    dialog.webhook_edit.setText("")
    dialog.webhook_edit.textEdited.emit("")
    _save(qtbot, dialog)
    assert control.webhook is None and settings.webhook_url is None and settings.webhook_secret_ref is None
    assert get_secret(WEBHOOK_SECRET_NAME) is None


def test_bad_webhook_address_blocks_saving(dialog_for, control, settings):
    dialog = dialog_for(control)
    dialog.webhook_edit.setText("ftp://example.com/hook")
    dialog.webhook_edit.textEdited.emit(dialog.webhook_edit.text())
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
    assert "https://" in dialog.problems_label.text()
    assert settings.webhook_url is None and control.webhook is None


def test_regenerate_token_locks_out_the_old_one(qtbot, dialog_for, control):
    dialog = dialog_for(control)
    assert _status(control.url, "first-token") == 200
    dialog.token_button.click()
    qtbot.waitUntil(lambda: "new token is in use" in dialog.token_label.text(), timeout=10_000)
    new_token = get_secret(CONTROL_TOKEN_SECRET)
    assert new_token and new_token != "first-token" and control.token == new_token
    assert _status(control.url, "first-token") == 401
    assert _status(control.url, new_token) == 200
    assert new_token not in dialog.token_label.text() and new_token not in dialog.address_label.text()


def test_port_lan_and_locale_apply_to_the_running_show(qtbot, dialog_for, control, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dialog = dialog_for(control)
    dialog.port_spin.setValue(port)
    dialog.lan_box.setChecked(True)
    dialog.locale_box.setCurrentIndex(dialog.locale_box.findData("de_DE"))
    _save(qtbot, dialog)
    assert control.host == "0.0.0.0" and control.server.port == port and control.state == "listening"
    assert _status(f"http://127.0.0.1:{port}", "first-token") == 200
    assert control.live.locale == "de_DE"
    saved = json.loads(settings_path().read_text(encoding="utf-8"))
    assert saved["control_port"] == port and saved["control_lan"] is True and saved["locale"] == "de_DE"


def test_new_port_in_use_is_reported_and_the_show_goes_on(qtbot, dialog_for, control, settings):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        dialog = dialog_for(control)
        dialog.port_spin.setValue(port)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
        qtbot.waitUntil(lambda: "already in use" in dialog.problems_label.text(), timeout=10_000)
        assert dialog.isVisible() and settings.control_port == port  # saved; the running API says why it is off
        assert "already in use" in dialog.address_label.text()
        control.live.pin("SKU-1")
        assert control.live.snapshot()["pinned_sku"] == "SKU-1"
    finally:
        blocker.close()


def test_main_window_menu_opens_the_dialog(window, qtbot):
    assert window.live_settings_action in window.settings_menu.actions()
    window.live_settings_action.trigger()
    dialog = window.live_settings_dialog
    assert isinstance(dialog, LiveSettingsDialog) and dialog.control is None
    assert "next start" in dialog.address_label.text()
    dialog.reject()


def test_region_choice_styles_the_cards_and_automatic_follows_the_locale(qtbot, dialog_for, control, settings):
    from cover_designer.regions import REGIONS

    control.live.pin("SKU-1")
    dialog = dialog_for(control)
    assert dialog.region_box.currentData() == "" and "North America / Europe" in dialog.region_box.currentText()
    assert [dialog.region_box.itemData(i) for i in range(1, dialog.region_box.count())] == list(REGIONS)
    dialog.locale_box.setCurrentIndex(dialog.locale_box.findData("ar_SA"))
    assert dialog.region_box.currentData() == "" and "Middle East" in dialog.region_box.currentText()  # automatic, named
    dialog.region_box.setCurrentIndex(dialog.region_box.findData("sea"))
    _save(qtbot, dialog)
    assert control.live.region == "sea" and control.live.overlay_region == "sea" and control.live.locale == "ar_SA"
    accent = tuple(int(REGIONS["sea"].palette["accent"][i:i + 2], 16) for i in (1, 3, 5))
    card = next(o for o in control.studio.compositor.overlays if o.overlay_id == "live.product")
    assert ((card.rgba[..., :3] == accent).all(-1) & (card.rgba[..., 3] == 255)).sum() > 100  # drawn with the SEA pack
    saved = json.loads(settings_path().read_text(encoding="utf-8"))
    assert saved["region"] == "sea" and load_settings()[0].region == "sea"
    # Back to automatic: saved as no choice, and the show follows its locale again.
    again = dialog_for(control)
    assert again.region_box.currentData() == "sea"
    again.region_box.setCurrentIndex(0)
    _save(qtbot, again)
    assert settings.region is None and control.live.region is None and control.live.overlay_region == "middle_east"
