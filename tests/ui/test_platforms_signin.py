"""Settings → Platforms… → Sign in…, in the real MainWindow at 1366×768 against the stand-ins:
YouTube through the browser (loopback redirect), Twitch with a code typed on its page (shown
in the dialog, with Cancel), Facebook with a Page to choose; each says in words who is
connected — or why not — and never shows a token."""
from __future__ import annotations

import pytest
import shiboken6
from PySide6.QtCore import QThreadPool

from bench.testbed.platforms.facebook import FacebookStandIn
from bench.testbed.platforms.twitch import TwitchStandIn
from bench.testbed.platforms.youtube import YouTubeStandIn
from studio import secrets_store
from tests.studio.connectors.browser import Browser
from tests.ui.test_live_panel_platforms import control, panel  # noqa: F401 - the running show's fixtures
from ui.platforms_dialog import PlatformsDialog

SCREEN = (1366, 768)


@pytest.fixture
def youtube(monkeypatch):
    server = YouTubeStandIn().start()
    monkeypatch.setenv("BRIDGECAST_YOUTUBE_API_BASE", server.origin)
    yield server
    server.stop()


@pytest.fixture
def twitch(monkeypatch):
    server = TwitchStandIn().start()
    server.device_interval_s = 0  # the flow still waits its 1 s floor between polls
    monkeypatch.setenv("BRIDGECAST_TWITCH_API_BASE", server.origin)
    yield server
    server.stop()


@pytest.fixture
def facebook(monkeypatch):
    server = FacebookStandIn().start()
    server.device_interval_s = 0
    monkeypatch.setenv("BRIDGECAST_FACEBOOK_API_BASE", server.origin)
    yield server
    server.stop()


@pytest.fixture
def browser(monkeypatch):
    browser = Browser()
    monkeypatch.setattr("ui.platform_signin.open_browser", browser.open_url)
    yield browser
    browser.join()


@pytest.fixture
def dialog(qtbot, window):
    window.resize(*SCREEN)
    assert (window.width(), window.height()) == SCREEN
    window.platforms_action.trigger()
    dialog = window.platforms_dialog
    assert isinstance(dialog, PlatformsDialog)
    qtbot.waitUntil(lambda: "youtube" in dialog.stored)
    yield dialog
    if shiboken6.isValid(dialog):
        dialog.reject()
    QThreadPool.globalInstance().waitForDone(5000)


def choose(dialog: PlatformsDialog, key: str, **typed: str) -> None:
    dialog.credentials_box.setCurrentIndex(dialog.credentials_box.findData(key))
    for name, value in typed.items():
        assert dialog.fields[name].isVisibleTo(dialog), name
        dialog.fields[name].setText(value)


def shown_text(dialog: PlatformsDialog) -> str:
    from PySide6.QtWidgets import QLabel, QLineEdit

    return " ".join([label.text() for label in dialog.findChildren(QLabel)]
                    + [edit.text() for edit in dialog.findChildren(QLineEdit)])


def test_youtube_signs_in_through_the_browser_and_the_dialog_says_which_channel(qtbot, dialog, youtube, browser):
    box = dialog.signin_box
    choose(dialog, "twitch")
    assert box.isVisibleTo(dialog)
    choose(dialog, "youtube", client_id=youtube.client_id, client_secret=youtube.client_secret)
    box.sign_in_button.click()
    assert not box.sign_in_button.isEnabled()  # one sign-in at a time
    qtbot.waitUntil(lambda: "Connected as Silk Road Shop" in box.status_label.text(), timeout=15_000)
    assert browser.urls and browser.urls[0].startswith(youtube.origin + "/o/oauth2/v2/auth?")
    token = secrets_store.get_secret("connector.youtube.token")
    assert token in youtube.valid_tokens
    assert secrets_store.get_secret("connector.youtube.client_secret") == youtube.client_secret
    qtbot.waitUntil(lambda: "Signed in as Silk Road Shop" in dialog.stored_label.text())
    assert box.sign_in_button.isEnabled() and not box.cancel_button.isVisibleTo(dialog)
    assert all(not edit.text() for edit in dialog.fields.values())  # typed values went to the store
    for secret in (token, youtube.client_secret, secrets_store.get_secret("connector.youtube.refresh_token")):
        assert secret not in shown_text(dialog)


def test_youtube_declined_in_the_browser_is_said_in_words(qtbot, dialog, youtube, browser):
    youtube.consent = "deny"
    choose(dialog, "youtube", client_id=youtube.client_id, client_secret=youtube.client_secret)
    dialog.signin_box.sign_in_button.click()
    qtbot.waitUntil(lambda: "declined" in dialog.signin_box.status_label.text(), timeout=15_000)
    assert "ff6b6b" in dialog.signin_box.status_label.styleSheet()
    assert secrets_store.get_secret("connector.youtube.token") is None
    assert "Traceback" not in dialog.signin_box.status_label.text()


def test_twitch_shows_the_code_cancel_stops_it_and_an_approved_code_connects(qtbot, dialog, twitch, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr("ui.platform_signin.open_browser", lambda url: opened.append(url) or True)
    box = dialog.signin_box
    choose(dialog, "twitch", client_id=twitch.client_id)
    box.sign_in_button.click()
    qtbot.waitUntil(lambda: box.code_label.isVisibleTo(dialog) and bool(box.code_label.text()), timeout=10_000)
    code = box.code_label.text()
    assert "https://www.twitch.tv/activate" in box.status_label.text() and "30 min" in box.status_label.text()
    assert opened == [box.last_prompt.url] and f"device-code={code}" in opened[0]
    assert box.cancel_button.isVisibleTo(dialog)
    box.cancel_button.click()
    qtbot.waitUntil(lambda: box.status_label.text() == "Sign-in cancelled.", timeout=10_000)
    assert box.sign_in_button.isEnabled() and not box.code_label.isVisibleTo(dialog)
    assert secrets_store.get_secret("connector.twitch.token") is None

    box.sign_in_button.click()  # the client id typed before is still staged
    qtbot.waitUntil(lambda: box.code_label.isVisibleTo(dialog) and box.code_label.text() not in ("", code),
                    timeout=10_000)
    twitch.device_answer(box.code_label.text(), "approve")
    qtbot.waitUntil(lambda: f"Connected as {twitch.bot_login}" in box.status_label.text(), timeout=15_000)
    assert secrets_store.get_secret("connector.twitch.nick") == twitch.bot_login
    assert secrets_store.get_secret("connector.twitch.token") in twitch.valid_tokens


def test_facebook_with_two_pages_asks_which_one(qtbot, dialog, facebook, monkeypatch):
    facebook.pages.append({"id": "2233", "name": "Silk Road Outlet", "access_token": "EAAB-outlet-token"})
    monkeypatch.setattr("ui.platform_signin.open_browser", lambda url: True)
    asked: list[list[str]] = []

    def pick_second(parent, title, label, items, current, editable):
        asked.append(list(items))
        return items[1], True

    monkeypatch.setattr("ui.platform_signin.QInputDialog.getItem", pick_second)
    box = dialog.signin_box
    choose(dialog, "facebook", client_id=facebook.app_id, client_secret=facebook.client_token)
    box.sign_in_button.click()
    qtbot.waitUntil(lambda: box.code_label.isVisibleTo(dialog) and bool(box.code_label.text()), timeout=10_000)
    facebook.device_approve(box.code_label.text())
    qtbot.waitUntil(lambda: "Connected as Silk Road Outlet" in box.status_label.text(), timeout=15_000)
    assert asked == [["Silk Road Shop (1122)", "Silk Road Outlet (2233)"]]
    assert secrets_store.get_secret("connector.facebook.token") == "EAAB-outlet-token"
    assert "EAAB" not in shown_text(dialog)


def test_sign_in_needs_the_client_id_and_closing_the_dialog_cancels_a_waiting_one(qtbot, window, dialog, twitch,
                                                                                    monkeypatch):
    monkeypatch.setattr("ui.platform_signin.open_browser", lambda url: True)
    box = dialog.signin_box
    choose(dialog, "twitch")
    box.sign_in_button.click()
    qtbot.waitUntil(lambda: "OAuth client ID" in box.status_label.text(), timeout=10_000)
    choose(dialog, "twitch", client_id=twitch.client_id)
    box.sign_in_button.click()
    qtbot.waitUntil(lambda: box.code_label.isVisibleTo(dialog) and bool(box.code_label.text()), timeout=10_000)
    polls = twitch.device_polls
    dialog.reject()  # closing the dialog stops the wait: the pool thread ends, nothing is stored
    assert QThreadPool.globalInstance().waitForDone(5000)
    assert twitch.device_polls <= polls + 1 and secrets_store.get_secret("connector.twitch.token") is None



def test_signing_in_during_the_show_reconnects_the_platform_with_the_new_token(qtbot, window, panel, youtube, browser):
    window.settings.platforms = [f"youtube:{youtube.broadcast_id}"]
    panel.refresh()  # the show opens with YouTube listed but no token yet
    link = panel.controller.platforms
    qtbot.waitUntil(lambda: bool(link.statuses()) and link.statuses()[0]["state"] == "failed", timeout=10_000)
    assert "No YouTube access token" in link.statuses()[0]["message"]

    window.platforms_action.trigger()
    dialog = window.platforms_dialog
    qtbot.waitUntil(lambda: "youtube" in dialog.stored)
    choose(dialog, "youtube", client_id=youtube.client_id, client_secret=youtube.client_secret)
    dialog.signin_box.sign_in_button.click()
    qtbot.waitUntil(lambda: "Connected as Silk Road Shop" in dialog.signin_box.status_label.text(), timeout=15_000)
    # Without saving the dialog: the running show reconnected YouTube with what sign-in stored.
    qtbot.waitUntil(lambda: [s["state"] for s in link.statuses()] == ["live"], timeout=15_000)
    youtube.add_message("Aiko", "hello after sign-in")
    qtbot.waitUntil(lambda: any(comment["text"] == "hello after sign-in" for comment in panel.live.comments.recent()),
                    timeout=15_000)
    dialog.reject()
