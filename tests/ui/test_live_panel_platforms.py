"""Platforms in the Live panel, in the real MainWindow at 1366×768 over a real engine and show:
connectors set up in Settings → Platforms… (tokens to the secrets store), comments from the
YouTube and Twitch stand-ins and from the generic inbound route with their badges, replies
posted back on each comment's own platform, viewer counts per platform, orders per product."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QThreadPool, Qt
from PySide6.QtGui import QColor

from bench.testbed.platforms.twitch import TwitchStandIn
from bench.testbed.platforms.youtube import YouTubeStandIn
from studio import secrets_store
from studio.control.launch import LiveControl
from studio.settings import Settings, load_settings
from ui.live_panel.badges import BADGE_COLOURS, BADGE_TEXT_COLOUR, OTHER_COLOUR, contrast_ratio, platform_label
from ui.live_panel.models import CommentModel
from ui.platforms_dialog import PlatformsDialog

CATALOG = ("sku,title,price,original_price,currency,stock\n"
           "SKU-1,Silk scarf,19.99,39.99,USD,50\n"
           "SKU-2,Travel mug,12.50,,EUR,20\n")
SCREEN = (1366, 768)


@pytest.fixture
def youtube():
    server = YouTubeStandIn(polling_interval_ms=40).start()
    yield server
    server.stop()


@pytest.fixture
def twitch():
    server = TwitchStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def control(window, tmp_path):
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    live_control = LiveControl(window.studio, tmp_path / "show.db", catalog=catalog, port=None, token="tok-secret-123")
    live_control.start()
    yield live_control
    live_control.stop()


@pytest.fixture
def panel(qtbot, window, control):
    window.resize(*SCREEN)
    dock = window.mount_live_panel(control)
    qtbot.waitUntil(lambda: dock.products_page.product_proxy.rowCount() == 2)
    yield dock
    dock.detach()  # the platforms stop with the panel (as at quit)
    QThreadPool.globalInstance().waitForDone(5000)


def _open_platforms(qtbot, window) -> PlatformsDialog:
    window.platforms_action.trigger()
    dialog = window.platforms_dialog
    assert isinstance(dialog, PlatformsDialog)
    qtbot.waitUntil(lambda: dialog.stored is not None and "youtube" in dialog.stored)
    return dialog


def _add(dialog: PlatformsDialog, kind: str, target: str) -> None:
    dialog.kind_box.setCurrentIndex(dialog.kind_box.findData(kind))
    dialog.target_edit.setText(target)
    dialog.add_button.click()


def _paste(dialog: PlatformsDialog, key: str, **fields: str) -> None:
    dialog.credentials_box.setCurrentIndex(dialog.credentials_box.findData(key))
    for name, value in fields.items():
        assert dialog.fields[name].isVisibleTo(dialog), name
        dialog.fields[name].setText(value)


def _rows(dock) -> list[tuple[str | None, str]]:
    model = dock.controller.comment_model
    rows = []
    for row in range(model.rowCount()):
        comment = model.index(row).data(CommentModel.CommentRole)
        rows.append((model.index(row).data(CommentModel.PlatformRole), f"{comment['user']}: {comment['text']}"))
    return rows


def _select(dock, user: str) -> None:
    page = dock.comments_page
    for row in range(page.comment_proxy.rowCount()):
        index = page.comment_proxy.index(row, 0)
        if index.data(CommentModel.CommentRole)["user"] == user:
            page.comment_view.setCurrentIndex(index)
            return
    raise AssertionError(f"no comment from {user}")


def _has_colour(image, colour: QColor, tolerance: int = 6) -> bool:
    for y in range(0, image.height(), 2):
        for x in range(0, min(image.width(), 160)):
            pixel = image.pixelColor(x, y)
            if (abs(pixel.red() - colour.red()) <= tolerance and abs(pixel.green() - colour.green()) <= tolerance
                    and abs(pixel.blue() - colour.blue()) <= tolerance):
                return True
    return False


def test_platforms_set_up_in_the_dialog_bring_comments_viewers_orders_and_take_replies_back(
        qtbot, window, panel, youtube, twitch, monkeypatch):
    assert (window.width(), window.height()) == SCREEN
    monkeypatch.setenv("BRIDGECAST_YOUTUBE_API_BASE", youtube.origin)
    monkeypatch.setenv("BRIDGECAST_TWITCH_API_BASE", twitch.origin)
    youtube.concurrent_viewers = 1204
    twitch.viewer_count = 56
    panel.refresh()  # as the app does once the show is open (no platforms in settings yet: nothing starts)

    # Settings → Platforms…: three connectors and their credentials, as a host would enter them.
    dialog = _open_platforms(qtbot, window)
    _add(dialog, "youtube", youtube.broadcast_id)
    _add(dialog, "twitch", "#ShopChannel")
    _add(dialog, "generic", "tiktok")
    _add(dialog, "twitch", "shopchannel")
    assert dialog.message_label.isVisibleTo(dialog) and "already in the list" in dialog.message_label.text()
    _add(dialog, "facebook", "")
    assert "is not PLATFORM:ID" in dialog.message_label.text()
    assert dialog.specs == [f"youtube:{youtube.broadcast_id}", "twitch:shopchannel", "generic:tiktok"]
    _paste(dialog, "youtube", token="ya29.first-token", refresh_token=youtube.refresh_token,
           client_id=youtube.client_id, client_secret=youtube.client_secret)
    assert dialog.fields["token"].echoMode() == dialog.fields["token"].EchoMode.Password
    _paste(dialog, "twitch", token="oauth:first-access-token", client_id=twitch.client_id, nick=twitch.bot_login)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: window.platforms_dialog is None, timeout=10_000)

    # Saved: the list in settings, the tokens in the secrets store (and nowhere in settings.json).
    assert window.settings.platforms == [f"youtube:{youtube.broadcast_id}", "twitch:shopchannel", "generic:tiktok"]
    saved, _warning = load_settings()
    assert saved.platforms == window.settings.platforms
    from studio.settings import settings_path
    assert "ya29.first-token" not in settings_path().read_text(encoding="utf-8")
    assert secrets_store.get_secret("connector.youtube.token") == "ya29.first-token"
    assert secrets_store.get_secret("connector.twitch.nick") == twitch.bot_login

    link = panel.controller.platforms
    qtbot.waitUntil(lambda: {s["state"] for s in link.statuses()} == {"live"} and twitch.joined == 1, timeout=15_000)

    # A comment from each platform, and one posted through the generic inbound route.
    youtube.add_message("Aiko", "Is the scarf real silk?")
    twitch.say("Ronni", "how long is the mug warm?")
    assert link.audience.hub.ingest({"platform": "tiktok", "type": "comment", "id": "t-1", "author": "Mai",
                                     "text": "Size M?"}) is not None
    qtbot.waitUntil(lambda: {p for p, _t in _rows(panel)} >= {"youtube", "twitch", "tiktok"}, timeout=15_000)
    rows = dict((text, platform) for platform, text in _rows(panel))
    assert rows["Aiko: Is the scarf real silk?"] == "youtube" and rows["Ronni: how long is the mug warm?"] == "twitch"
    assert rows["Mai: Size M?"] == "tiktok"
    assert [platform_label(p) for p in ("youtube", "twitch", "tiktok")] == ["YouTube", "Twitch", "TikTok"]

    # The badges are painted: each platform's colour is on the comment list.
    panel.raise_()
    panel.tabs.setCurrentWidget(panel.comments_page)
    qtbot.waitUntil(lambda: panel.comments_page.comment_view.isVisible())
    image = panel.comments_page.comment_view.viewport().grab().toImage()
    for platform in ("youtube", "twitch", "tiktok"):
        assert _has_colour(image, BADGE_COLOURS[platform]), platform

    # Viewer counts per platform in the panel's header, written the show locale's way.
    label = panel.audience_row.viewers_label
    qtbot.waitUntil(lambda: "YouTube 1,204" in label.text() and "Twitch 56" in label.text(), timeout=15_000)
    assert label.isVisible()

    # An order as it comes in: the product's row counts it.
    assert link.audience.hub.ingest({"platform": "tiktok", "type": "order", "id": "o-1", "sku": "SKU-1", "quantity": 2,
                                     "amount": "39.98", "currency": "USD", "buyer": "amira"}) is not None
    model = panel.controller.product_model
    qtbot.waitUntil(lambda: model.index(0, model.ORDERS_COLUMN).data() == "2", timeout=5_000)
    assert model.headerData(model.ORDERS_COLUMN, Qt.Orientation.Horizontal) == "Ordered"

    # Replying from the panel (quick reply) answers on the comment's own platform.
    panel.live.quick_replies.save("Thanks {name}, yes!")
    page = panel.comments_page
    qtbot.waitUntil(lambda: page.quick_reply_box.count() == 1, timeout=5_000)
    _select(panel, "Aiko")
    page.reply_button.click()
    qtbot.waitUntil(lambda: bool(youtube.inserted), timeout=10_000)
    body = youtube.inserted[-1]["snippet"]
    assert body["liveChatId"] == youtube.live_chat_id and "Thanks Aiko, yes!" in body["textMessageDetails"]["messageText"]
    _select(panel, "Ronni")
    page.reply_button.click()
    qtbot.waitUntil(lambda: bool(twitch.received), timeout=10_000)
    tags, channel, text = twitch.received[-1]
    assert channel == "shopchannel" and text == "Thanks Ronni, yes!" and tags.get("reply-parent-msg-id")
    assert len(youtube.inserted) == 1  # the Twitch reply did not go to YouTube


def test_a_connector_without_a_token_says_what_is_missing_in_the_platforms_dialog(qtbot, window, panel):
    window.settings.platforms = ["facebook:1234567890"]
    panel.refresh()  # the show opens: the panel connects what settings list
    link = panel.controller.platforms
    qtbot.waitUntil(lambda: bool(link.statuses()) and link.statuses()[0]["state"] == "failed", timeout=10_000)
    # The panel says it too, without opening anything.
    qtbot.waitUntil(lambda: "No Facebook access token" in panel.audience_row.attention_label.text())
    dialog = _open_platforms(qtbot, window)
    qtbot.waitUntil(lambda: "No Facebook access token" in dialog.problem_of("facebook:1234567890"))
    assert dialog.problem_of("facebook:1234567890").startswith("Stopped: needs attention")
    dialog.credentials_box.setCurrentIndex(dialog.credentials_box.findData("facebook"))
    assert dialog.stored_label.text() == "No token stored yet."
    assert not dialog.fields["refresh_token"].isVisibleTo(dialog)  # Facebook takes a page token only
    dialog.reject()


def test_the_dialog_without_a_show_checks_credentials_and_never_shows_a_stored_token(qtbot, window):
    secrets_store.set_secret("connector.youtube.token", "ya29.stored-secret")
    window.settings.platforms = ["youtube:bc-9", "twitch:nobody"]
    dialog = _open_platforms(qtbot, window)
    qtbot.waitUntil(lambda: "No Twitch access token" in dialog.problem_of("twitch:nobody"))
    assert dialog.problem_of("youtube:bc-9").startswith("Not connected")
    dialog.credentials_box.setCurrentIndex(dialog.credentials_box.findData("youtube"))
    assert "A token is stored" in dialog.stored_label.text()
    assert all("ya29.stored-secret" not in edit.text() for edit in dialog.fields.values())
    dialog.remove_button.click()  # nothing selected: nothing removed
    assert len(dialog.specs) == 2
    dialog.table.selectRow(1)
    dialog.remove_button.click()
    assert dialog.specs == ["youtube:bc-9"]
    dialog.reject()
    assert window.settings.platforms == ["youtube:bc-9", "twitch:nobody"]  # Cancel keeps what was there


def test_badge_colours_keep_white_text_legible():
    for colour in [*BADGE_COLOURS.values(), OTHER_COLOUR]:
        assert contrast_ratio(BADGE_TEXT_COLOUR, colour) >= 4.5, colour.name()


def test_settings_keep_well_formed_platform_specs_only():
    settings = Settings.model_validate({"platforms": ["youtube:abc", "not a spec", 7, "twitch:shop", "youtube:abc"]})
    assert settings.platforms == ["youtube:abc", "twitch:shop"]
    assert Settings.model_validate({"platforms": "youtube:abc"}).platforms == []


def _connect(qtbot, window, panel, specs, credentials):
    """Settings → Platforms…: add ``specs`` with ``credentials`` {key: {field: value}} and save."""
    dialog = _open_platforms(qtbot, window)
    for spec in specs:
        kind, _sep, target = spec.partition(":")
        _add(dialog, kind, target)
    for key, fields in credentials.items():
        _paste(dialog, key, **fields)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: window.platforms_dialog is None, timeout=10_000)
    return panel.controller.platforms


def test_platforms_change_while_the_show_runs_and_a_reply_that_cannot_go_says_so(
        qtbot, window, panel, youtube, twitch, monkeypatch):
    monkeypatch.setenv("BRIDGECAST_YOUTUBE_API_BASE", youtube.origin)
    monkeypatch.setenv("BRIDGECAST_TWITCH_API_BASE", twitch.origin)
    panel.refresh()
    link = _connect(qtbot, window, panel, [f"youtube:{youtube.broadcast_id}", "twitch:shopchannel"],
                    {"youtube": {"token": "ya29.first-token"},
                     "twitch": {"token": "oauth:first-access-token", "client_id": twitch.client_id}})
    qtbot.waitUntil(lambda: len(link.statuses()) == 2 and {s["state"] for s in link.statuses()} == {"live"},
                    timeout=15_000)
    audience = link.audience

    # Twitch taken out of the list: disconnected, YouTube goes on in the same audience.
    dialog = _open_platforms(qtbot, window)
    dialog.table.selectRow(dialog.specs.index("twitch:shopchannel"))
    dialog.remove_button.click()
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: window.platforms_dialog is None, timeout=10_000)
    qtbot.waitUntil(lambda: [s["platform"] for s in link.statuses()] == ["youtube"], timeout=10_000)
    assert link.audience is audience and window.settings.platforms == [f"youtube:{youtube.broadcast_id}"]
    qtbot.waitUntil(lambda: twitch.joined == 0, timeout=10_000)

    # A new YouTube token pasted: YouTube reconnects with it (the stand-in accepts only the new one).
    youtube.valid_tokens = {"ya29.second-token"}
    dialog = _open_platforms(qtbot, window)
    _paste(dialog, "youtube", token="ya29.second-token")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: window.platforms_dialog is None, timeout=10_000)
    youtube.add_message("Aiko", "still here?")
    qtbot.waitUntil(lambda: any(p == "youtube" for p, _t in _rows(panel)), timeout=15_000)
    assert secrets_store.get_secret("connector.youtube.token") == "ya29.second-token"

    # YouTube goes away: the reply cannot be sent, and the panel says so in words (no traceback).
    youtube.go_down()
    try:
        panel.live.quick_replies.save("Yes {name}!")
        page = panel.comments_page
        qtbot.waitUntil(lambda: page.quick_reply_box.count() == 1, timeout=5_000)
        _select(panel, "Aiko")
        page.reply_button.click()
        qtbot.waitUntil(lambda: "was not sent" in panel.error_label.text(), timeout=30_000)
        assert "Aiko" in panel.error_label.text() and "Traceback" not in panel.error_label.text()
        assert "ya29" not in panel.error_label.text()
    finally:
        youtube.come_back()
