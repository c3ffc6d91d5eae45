"""Settings → Destinations…: RTMP(S) destinations from platform presets, the stream key kept in the
secrets store and masked, the canvas taken from the preset."""
from __future__ import annotations

import json

from PySide6.QtCore import QPoint, Qt

from studio.secrets_store import get_secret
from studio.settings import Destination, settings_path
from ui.destinations_dialog import DestinationsDialog

KEY = "live_8842_sEcReTkEy"


def _choose(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def test_an_rtmp_destination_from_a_preset(qtbot, settings):
    dialog = DestinationsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
    draft = dialog.add_destination()
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "Shop YouTube")
    _choose(dialog.kind_combo, "rtmp")
    # RTMP rows only: no WHIP URL, codec or layers.
    assert dialog.server_edit.isVisible() and dialog.platform_combo.isVisible()
    assert not dialog.url_edit.isVisible() and not dialog.codec_combo.isVisible()
    assert dialog.token_caption.text() == "Stream key:"

    _choose(dialog.platform_combo, "youtube")
    assert dialog.server_edit.text() == "rtmps://a.rtmps.youtube.com/live2"  # the preset's server
    assert dialog.canvas_combo.currentData() == "horizontal"
    assert "YouTube Studio" in dialog.platform_hint.text()
    assert "Enter the stream key." in dialog.problems_label.text()
    assert not save.isEnabled()
    qtbot.keyClicks(dialog.token_edit, KEY)
    assert dialog.token_edit.echoMode() == dialog.token_edit.EchoMode.Password
    dialog.show_token.setChecked(True)
    assert dialog.token_edit.echoMode() == dialog.token_edit.EchoMode.Normal
    dialog.show_token.setChecked(False)

    # A platform with a per-account URL: the old platform's server goes, the canvas turns vertical.
    _choose(dialog.platform_combo, "tiktok")
    assert dialog.server_edit.text() == "" and dialog.canvas_combo.currentData() == "vertical"
    assert "TikTok LIVE Studio" in dialog.platform_hint.text()
    assert "Enter the server URL" in dialog.problems_label.text()
    qtbot.keyClicks(dialog.server_edit, "https://push.example/live")
    assert "rtmp:// or rtmps://" in dialog.problems_label.text()
    dialog.server_edit.clear()
    qtbot.keyClicks(dialog.server_edit, "rtmp://push-rtmp.tiktok.example/live/")
    assert save.isEnabled(), dialog.problems_label.text()
    save.click()
    qtbot.waitUntil(lambda: bool(settings.destinations), timeout=5000)

    [saved] = settings.destinations
    assert (saved.id, saved.name, saved.kind, saved.platform, saved.canvas, saved.is_enabled) == (
        draft.id, "Shop YouTube", "rtmp", "tiktok", "vertical", True)
    assert saved.rtmp_server == "rtmp://push-rtmp.tiktok.example/live/" and saved.whip_url is None
    assert get_secret(saved.token_ref) == KEY
    text = settings_path().read_text(encoding="utf-8")
    assert KEY not in text and json.loads(text)["destinations"][0]["kind"] == "rtmp"


def test_an_rtmp_destination_reopens_masked_and_a_host_typed_server_stays(qtbot, settings):
    from studio.secrets_store import set_secret

    settings.destinations = [Destination(id="k", name="Kick", kind="rtmp", platform="custom",
                                         rtmp_server="rtmp://my.server.example/app", token_ref="destination:k",
                                         is_enabled=False)]
    set_secret("destination:k", KEY)
    dialog = DestinationsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.token_edit.isEnabled() and dialog.token_edit.text() == KEY, timeout=5000)
    assert dialog.token_edit.echoMode() == dialog.token_edit.EchoMode.Password
    assert dialog.kind_combo.currentData() == "rtmp" and not dialog.enabled_check.isChecked()
    _choose(dialog.platform_combo, "kick")  # a server the host typed is not overwritten
    assert dialog.server_edit.text() == "rtmp://my.server.example/app"
    # On the box itself: a form row makes the check box wider than its label.
    qtbot.mouseClick(dialog.enabled_check, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.enabled_check.height() // 2))
    assert dialog.enabled_check.isChecked()
    # Nothing on screen shows the key while it is masked.
    from PySide6.QtWidgets import QLabel, QListWidget

    shown = [label.text() for label in dialog.findChildren(QLabel)]
    shown += [dialog.findChild(QListWidget).item(i).text() for i in range(dialog.findChild(QListWidget).count())]
    assert not any(KEY in text for text in shown)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: settings.destinations[0].is_enabled, timeout=5000)
    assert settings.destinations[0].platform == "kick"
