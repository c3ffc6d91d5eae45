"""OAuth sign-in against the stand-ins: Google's loopback + PKCE flow for YouTube, Twitch's
Device Code Grant and Facebook's Login for Devices — each happy path and each documented
failure, tokens in the secrets store and nowhere in messages or logs."""
from __future__ import annotations

import logging
import socket
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web

from bench.testbed.platforms.facebook import FacebookStandIn
from bench.testbed.platforms.server import StandInServer
from bench.testbed.platforms.twitch import TwitchStandIn
from bench.testbed.platforms.youtube import YouTubeStandIn
from studio import secrets_store
from studio.connectors import EventType, connector_from_spec
from studio.connectors.credentials import Credentials, credentials_for
from studio.connectors.errors import (PlatformUnavailable, SignInCancelled, SignInDenied, SignInError, SignInExpired,
                                      SignInRefused)
from studio.connectors.signin import PromptKind, flow_for, stored_account
from studio.connectors.signin_device import FacebookDeviceSignIn, TwitchDeviceSignIn
from studio.connectors.signin_google import GoogleLoopbackSignIn, pkce_pair
from tests.helpers import wait_until
from tests.studio.connectors.browser import Browser


def closed_port_origin() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def stored(platform: str) -> dict[str, str]:
    names = ("token", "refresh_token", "client_id", "client_secret", "nick", "account", "page_id")
    return {name: value for name in names if (value := secrets_store.get_secret(f"connector.{platform}.{name}"))}


# ---------------------------------------------------------------------------------------------- YouTube


@pytest.fixture
def youtube():
    server = YouTubeStandIn(polling_interval_ms=40).start()
    yield server
    server.stop()


def google_credentials(youtube, **changes) -> Credentials:
    values = dict(platform="youtube", client_id=youtube.client_id, client_secret=youtube.client_secret,
                  api_base=youtube.origin, oauth_base=youtube.origin, persist=False)
    values.update(changes)
    return Credentials(**values)


def test_pkce_challenge_is_the_s256_of_the_verifier():
    import base64
    import hashlib

    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128 and set(verifier) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    assert challenge == base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert pkce_pair()[0] != verifier


def test_youtube_signs_in_through_the_browser_and_the_connector_reads_chat_with_the_new_token(youtube, hub, sink, caplog):
    caplog.set_level(logging.DEBUG)
    browser = Browser()
    result = GoogleLoopbackSignIn(google_credentials(youtube), browser).run_blocking()
    browser.join()

    assert result.account == "Silk Road Shop" and "token" in result.stored and "refresh_token" in result.stored
    prompt = browser.prompts[0]
    assert prompt.kind is PromptKind.BROWSER
    asked = youtube.authorizations[0]
    redirect = urlsplit(asked["redirect_uri"])
    assert redirect.scheme == "http" and redirect.hostname == "127.0.0.1" and redirect.port
    assert asked["code_challenge_method"] == "S256" and len(asked["state"]) >= 16
    assert asked["scope"] == "https://www.googleapis.com/auth/youtube.force-ssl"
    assert youtube.code_exchanges == 1
    assert browser.pages[0][0] == 200 and "Signed in" in browser.pages[0][1]
    saved = stored("youtube")
    assert saved["token"] in youtube.valid_tokens and saved["refresh_token"] == youtube.refresh_token
    assert saved["client_id"] == youtube.client_id and stored_account("youtube") == "Silk Road Shop"
    # The listener is gone once the answer came.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", redirect.port), timeout=1).close()
    # No token in the log or in the result's repr.
    for secret in (saved["token"], saved["refresh_token"], youtube.client_secret):
        assert secret not in caplog.text and secret not in repr(result)

    # The connector reads the chat with what sign-in stored (no token pasted anywhere).
    youtube.add_message("Aiko", "hello after sign-in")
    connector = connector_from_spec(f"youtube:{youtube.broadcast_id}", {"BRIDGECAST_YOUTUBE_API_BASE": youtube.origin})
    hub.add(connector)
    hub.start()
    assert wait_until(lambda: sink.of(EventType.COMMENT, "youtube"), 10), connector.status.to_dict()


def test_youtube_declined_in_the_browser_says_so_and_stores_nothing(youtube):
    youtube.consent = "deny"
    browser = Browser()
    with pytest.raises(SignInDenied, match="declined"):
        GoogleLoopbackSignIn(google_credentials(youtube), browser).run_blocking()
    browser.join()
    assert stored("youtube") == {} and youtube.code_exchanges == 0
    assert "declined" in browser.pages[0][1]


def test_an_answer_with_another_state_is_refused_and_its_code_never_traded(youtube):
    youtube.answer_state = "not-the-state-we-sent"
    browser = Browser()
    with pytest.raises(SignInRefused, match="does not belong to this sign-in"):
        GoogleLoopbackSignIn(google_credentials(youtube), browser).run_blocking()
    browser.join()
    assert youtube.code_exchanges == 0 and stored("youtube") == {}
    assert browser.pages[0][0] == 400


def test_a_client_secret_google_refuses_is_named(youtube):
    browser = Browser()
    with pytest.raises(SignInRefused, match="client ID and secret"):
        GoogleLoopbackSignIn(google_credentials(youtube, client_secret="wrong-secret"), browser).run_blocking()
    browser.join()
    assert stored("youtube") == {}


def test_token_endpoint_unreachable_after_the_browser_answered(youtube):
    browser = Browser(before_redirect=youtube.go_down)
    try:
        with pytest.raises(PlatformUnavailable, match="does not answer"):
            GoogleLoopbackSignIn(google_credentials(youtube), browser).run_blocking()
        browser.join()
    finally:
        youtube.come_back()
    assert stored("youtube") == {}


class GarbageTokenEndpoint(StandInServer):
    name = "garbage-token"

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/token", self._garbage)
        return app

    async def _garbage(self, request: web.Request) -> web.Response:
        return web.Response(text="<html>oops</html>", content_type="text/html")


def test_a_token_answer_that_is_not_json_is_an_error_in_words(youtube):
    garbage = GarbageTokenEndpoint().start()
    try:
        flow = GoogleLoopbackSignIn(google_credentials(youtube), Browser())
        flow.token_url = garbage.origin + "/token"
        with pytest.raises(SignInError, match="cannot read") as caught:
            flow.run_blocking()
        flow.on_prompt.join()
    finally:
        garbage.stop()
    assert "Traceback" not in str(caught.value) and stored("youtube") == {}


def test_no_answer_from_the_browser_expires_and_cancel_stops_the_wait(youtube):
    flow = GoogleLoopbackSignIn(google_credentials(youtube), Browser(follow=False), browser_wait_s=0.3)
    with pytest.raises(SignInExpired, match="No answer came back"):
        flow.run_blocking()

    browser = Browser(follow=False)
    flow = GoogleLoopbackSignIn(google_credentials(youtube), browser)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("error", _raises(flow.run_blocking)))
    worker.start()
    assert wait_until(lambda: browser.prompts, 5)
    port = parse_qs(urlsplit(browser.prompts[0].url).query)["redirect_uri"][0].rsplit(":", 1)[1]
    flow.cancel()
    worker.join(5)
    assert isinstance(outcome["error"], SignInCancelled)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()


def _raises(call):
    try:
        call()
    except Exception as err:  # noqa: BLE001 - the test inspects it
        return err
    return None


def test_what_is_missing_is_said_before_anything_is_opened(youtube):
    browser = Browser()
    with pytest.raises(SignInError, match="client secret"):
        GoogleLoopbackSignIn(google_credentials(youtube, client_secret=None), browser).run_blocking()
    with pytest.raises(SignInError, match="OAuth client ID"):
        flow_for("twitch", Credentials(platform="twitch", persist=False)).run_blocking()
    with pytest.raises(SignInError, match="client token"):
        flow_for("facebook", Credentials(platform="facebook", client_id="1", persist=False)).run_blocking()
    with pytest.raises(SignInError, match="paste its token"):
        flow_for("tiktok", Credentials(platform="tiktok"))
    assert browser.prompts == [] and youtube.authorizations == []


# ---------------------------------------------------------------------------------------------- Twitch


@pytest.fixture
def twitch():
    server = TwitchStandIn().start()
    server.device_interval_s = 0
    yield server
    server.stop()


def twitch_flow(twitch, on_prompt, **changes) -> TwitchDeviceSignIn:
    values = dict(platform="twitch", client_id=twitch.client_id, oauth_base=twitch.origin, api_base=twitch.origin,
                  persist=False)
    values.update(changes)
    return TwitchDeviceSignIn(Credentials(**values), on_prompt, slow_down_step_s=0.05, poll_floor_s=0.01)


def test_twitch_device_code_is_shown_then_approved_and_the_login_name_kept(twitch, caplog):
    caplog.set_level(logging.DEBUG)
    twitch.slow_down_left = 2
    prompts = []

    def approve(prompt):
        prompts.append(prompt)
        twitch.device_answer(prompt.user_code, "approve")

    flow = twitch_flow(twitch, approve)
    result = flow.run_blocking()
    prompt = prompts[0]
    assert prompt.kind is PromptKind.CODE and prompt.user_code and "twitch.tv/activate" in prompt.url
    assert prompt.expires_in_s == 1800
    assert flow.interval_s == pytest.approx(0.01 + 2 * 0.05)  # slow_down twice: 5 s (here 0.05) more each time
    assert twitch.device_polls == 3
    assert result.account == twitch.bot_login
    saved = stored("twitch")
    assert saved["token"] in twitch.valid_tokens and saved["refresh_token"] == twitch.refresh_token
    assert saved["nick"] == twitch.bot_login and saved["client_id"] == twitch.client_id
    assert saved["token"] not in caplog.text and saved["refresh_token"] not in caplog.text
    # The chat connector logs in with it.
    assert credentials_for("twitch", {}).token == saved["token"]


def test_twitch_keeps_polling_while_pending(twitch):
    def approve_later(prompt):
        threading.Thread(target=lambda: (wait_until(lambda: twitch.device_polls >= 3, 5),
                                         twitch.device_answer(prompt.user_code, "approve"))).start()

    result = twitch_flow(twitch, approve_later).run_blocking()
    assert result.account == twitch.bot_login and twitch.device_polls >= 4


@pytest.mark.parametrize("answer, error, words", [
    ("deny", SignInDenied, "declined"),
    ("expire", SignInExpired, "expired"),
])
def test_twitch_declined_or_expired_code(twitch, answer, error, words):
    def act(prompt):
        if answer == "expire":
            twitch.expire_device_codes()
        else:
            twitch.device_answer(prompt.user_code, answer)

    with pytest.raises(error, match=words):
        twitch_flow(twitch, act).run_blocking()
    assert stored("twitch") == {}


def test_twitch_code_that_outlives_its_expiry_stops_polling(twitch):
    twitch.device_expires_in_s = 0
    flow = twitch_flow(twitch, lambda prompt: None)
    with pytest.raises(SignInExpired):
        flow.run_blocking()
    assert twitch.device_polls == 0


def test_twitch_unknown_client_and_unreachable_service(twitch):
    with pytest.raises(SignInRefused, match="invalid client"):
        twitch_flow(twitch, lambda prompt: None, client_id="not-ours").run_blocking()
    with pytest.raises(PlatformUnavailable, match="does not answer"):
        twitch_flow(twitch, lambda prompt: None, oauth_base=closed_port_origin()).run_blocking()
    assert stored("twitch") == {}


def test_twitch_cancel_while_waiting_for_approval(twitch):
    prompts = []
    flow = twitch_flow(twitch, prompts.append)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("error", _raises(flow.run_blocking)))
    worker.start()
    assert wait_until(lambda: twitch.device_polls >= 1, 5)
    flow.cancel()
    worker.join(5)
    assert isinstance(outcome["error"], SignInCancelled) and stored("twitch") == {}


# ---------------------------------------------------------------------------------------------- Facebook


@pytest.fixture
def facebook():
    server = FacebookStandIn().start()
    server.device_interval_s = 0
    yield server
    server.stop()


def facebook_flow(facebook, on_prompt, **changes) -> FacebookDeviceSignIn:
    values = dict(platform="facebook", client_id=facebook.app_id, client_secret=facebook.client_token,
                  api_base=facebook.origin, persist=False)
    values.update(changes)
    return FacebookDeviceSignIn(Credentials(**values), on_prompt, slow_down_step_s=0.05, poll_floor_s=0.01)


def test_facebook_device_login_keeps_the_page_token_and_comments_are_read_with_it(facebook, hub, sink):
    facebook.slow_down_left = 1
    prompts = []

    def approve(prompt):
        prompts.append(prompt)
        facebook.device_approve(prompt.user_code)

    flow = facebook_flow(facebook, approve)
    result = flow.run_blocking()
    assert prompts[0].kind is PromptKind.CODE and prompts[0].url == "https://www.facebook.com/device"
    assert flow.interval_s == pytest.approx(0.06)
    assert result.account == "Silk Road Shop" and not result.needs_choice
    saved = stored("facebook")
    assert saved["token"] == "EAAB-page-token" and saved["page_id"] == "1122" and "refresh_token" not in saved

    facebook.add_comment("Lina", "Does it ship to Riyadh?")
    connector = connector_from_spec(f"facebook:{facebook.live_video_id}", {"BRIDGECAST_FACEBOOK_API_BASE": facebook.origin},
                                    poll_s=0.05)
    hub.add(connector)
    hub.start()
    assert wait_until(lambda: sink.of(EventType.COMMENT, "facebook"), 10), connector.status.to_dict()


def test_facebook_with_several_pages_the_user_chooses_one(facebook):
    facebook.pages.append({"id": "2233", "name": "Silk Road Outlet", "access_token": "EAAB-outlet-token"})
    flow = facebook_flow(facebook, lambda prompt: facebook.device_approve(prompt.user_code))
    result = flow.run_blocking()
    assert result.needs_choice and [(p.page_id, p.name) for p in result.pages] == [("1122", "Silk Road Shop"),
                                                                                  ("2233", "Silk Road Outlet")]
    assert "EAAB" not in repr(result) and stored("facebook") == {}
    chosen = flow.choose("2233")
    assert chosen.account == "Silk Road Outlet" and stored("facebook")["token"] == "EAAB-outlet-token"
    with pytest.raises(SignInError, match="not one this Facebook account manages"):
        flow.choose("9999")


def test_facebook_expired_code_wrong_app_token_and_no_page(facebook):
    with pytest.raises(SignInExpired, match="expired"):
        facebook_flow(facebook, lambda prompt: facebook.expire_device_codes()).run_blocking()
    with pytest.raises(SignInRefused, match="App ID and client token"):
        facebook_flow(facebook, lambda prompt: None, client_secret="wrong").run_blocking()
    facebook.pages.clear()
    with pytest.raises(SignInRefused, match="manages no Page"):
        facebook_flow(facebook, lambda prompt: facebook.device_approve(prompt.user_code)).run_blocking()
    assert stored("facebook") == {}
