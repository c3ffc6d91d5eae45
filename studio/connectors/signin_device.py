"""Twitch and Facebook sign-in with a code typed on the platform's own page (device flows).

The app asks for a code, shows it with the page to type it on (and opens that page), then
polls until the account holder has approved, honouring the platform's ``interval``.

Twitch — Device Code Grant flow
(https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#device-code-grant-flow, after
RFC 8628): ``POST https://id.twitch.tv/oauth2/device`` with ``client_id`` and ``scopes``
(space-separated) → ``{"device_code", "expires_in", "interval", "user_code",
"verification_uri"}``; then ``POST /oauth2/token`` with ``client_id``, ``scopes``,
``device_code`` and ``grant_type=urn:ietf:params:oauth:grant-type:device_code`` until it
answers ``{"access_token", "refresh_token", "expires_in", "scope", "token_type"}``.  While
waiting it answers 400 ``{"status": 400, "message": "authorization_pending"}``; RFC 8628 §3.5
adds ``slow_down`` (wait 5 s longer from then on), ``access_denied`` and ``expired_token``
(Twitch says ``invalid device code`` once the code has expired).  The login name comes from
``GET /oauth2/validate`` with ``Authorization: OAuth <token>``
(https://dev.twitch.tv/docs/authentication/validate-tokens/).

Facebook — Login for Devices (https://developers.facebook.com/docs/facebook-login/for-devices):
``POST /device/login`` with ``access_token=<APP_ID>|<CLIENT_TOKEN>`` and ``scope``
(comma-separated) → ``{"code", "user_code", "verification_uri", "expires_in", "interval"}``;
then ``POST /device/login_status`` with the same ``access_token`` and ``code`` until it
answers ``{"access_token", "expires_in"}``.  Errors are Graph errors whose
``error_subcode`` says 1349174 (authorization pending), 1349172 (polling too frequently) or
1349152 (code expired).  Live video comments are read with a Page token:
``GET /me/accounts`` lists the Pages the user manages with their tokens
(https://developers.facebook.com/docs/pages-api/getting-started); with several the user chooses.
"""
from __future__ import annotations

import asyncio
import logging
import time
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

import aiohttp

from studio.connectors.errors import SignInDenied, SignInError, SignInExpired, SignInRefused
from studio.connectors.signin import PageChoice, PromptKind, SignInFlow, SignInPrompt, SignInResult
from studio.core.i18n import _

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 5.0  # RFC 8628 §3.2: when the answer names none
SLOW_DOWN_STEP_S = 5.0  # RFC 8628 §3.5
DEFAULT_EXPIRES_S = 600.0


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    verification_uri: str
    expires_in_s: float
    interval_s: float


def _or(value: Any, default: float) -> Any:
    """``value`` unless the answer left it out (0 is a value)."""
    return default if value is None else value


class _Pending(Exception):
    """Not approved yet: poll again after the interval."""


class _SlowDown(Exception):
    """Polled too often: widen the interval."""


class DeviceSignIn(SignInFlow):
    """The shared loop: get a code, show it, poll at the platform's pace until approved."""

    def __init__(self, credentials, on_prompt=None, *, slow_down_step_s: float = SLOW_DOWN_STEP_S,
                 poll_floor_s: float = 1.0) -> None:
        super().__init__(credentials, on_prompt)
        self.slow_down_step_s = float(slow_down_step_s)
        self.poll_floor_s = float(poll_floor_s)
        self.interval_s = DEFAULT_INTERVAL_S
        self.polls = 0

    @abstractmethod
    async def request_code(self, http: aiohttp.ClientSession) -> DeviceCode: ...

    @abstractmethod
    async def poll_once(self, http: aiohttp.ClientSession, code: DeviceCode) -> dict[str, Any]:
        """The token answer, or raise _Pending / _SlowDown / a SignInError."""

    @abstractmethod
    async def finish(self, http: aiohttp.ClientSession, answer: dict[str, Any]) -> SignInResult: ...

    async def sign_in(self, http: aiohttp.ClientSession) -> SignInResult:
        code = await self.request_code(http)
        self.interval_s = max(self.poll_floor_s, code.interval_s)
        self.prompt(SignInPrompt(self.platform, PromptKind.CODE, code.verification_uri, user_code=code.user_code,
                                 expires_in_s=code.expires_in_s))
        deadline = time.monotonic() + code.expires_in_s
        while True:
            await asyncio.sleep(self.interval_s)
            if time.monotonic() > deadline:
                raise self.expired()
            self.polls += 1
            try:
                answer = await self.poll_once(http, code)
            except _Pending:
                continue
            except _SlowDown:
                self.interval_s += self.slow_down_step_s
                log.info("%s sign-in: asked to slow down; polling every %.1f s", self.platform, self.interval_s)
                continue
            return await self.finish(http, answer)

    def expired(self) -> SignInExpired:
        return SignInExpired(_("The {platform} sign-in code expired before it was approved; sign in again for a new "
                               "code.").format(platform=self.display_name))

    def denied(self) -> SignInDenied:
        return SignInDenied(_("The {platform} sign-in was declined; nothing was stored.").format(
            platform=self.display_name))

    def _device_code(self, status: int, body: Any, code_field: str) -> DeviceCode:
        if status != 200 or not isinstance(body, dict):
            raise self.refusal(status, body)
        try:
            return DeviceCode(device_code=str(body[code_field]), user_code=str(body["user_code"]),
                              verification_uri=str(body["verification_uri"]),
                              expires_in_s=float(_or(body.get("expires_in"), DEFAULT_EXPIRES_S)),
                              interval_s=float(_or(body.get("interval"), DEFAULT_INTERVAL_S)))
        except (KeyError, TypeError, ValueError):
            raise self.bad_answer(status) from None

    @abstractmethod
    def refusal(self, status: int, body: Any) -> SignInError:
        """A refused request in words (the platform's error shape)."""


class TwitchDeviceSignIn(DeviceSignIn):
    platform = "twitch"
    display_name = "Twitch"
    SCOPES = "chat:read chat:edit moderator:manage:chat_messages moderator:manage:banned_users"
    GRANT = "urn:ietf:params:oauth:grant-type:device_code"

    def __init__(self, credentials, on_prompt=None, **kwargs: Any) -> None:
        super().__init__(credentials, on_prompt, **kwargs)
        self.oauth = (credentials.oauth_base or "https://id.twitch.tv") + "/oauth2"

    async def request_code(self, http: aiohttp.ClientSession) -> DeviceCode:
        status, body = await self.post_form(http, self.oauth + "/device",
                                            {"client_id": self.credentials.client_id or "", "scopes": self.SCOPES})
        return self._device_code(status, body, "device_code")

    async def poll_once(self, http: aiohttp.ClientSession, code: DeviceCode) -> dict[str, Any]:
        form = {"client_id": self.credentials.client_id or "", "scopes": self.SCOPES, "device_code": code.device_code,
                "grant_type": self.GRANT}
        if self.credentials.client_secret:
            form["client_secret"] = self.credentials.client_secret
        status, body = await self.post_form(http, self.oauth + "/token", form)
        if status == 200 and isinstance(body, dict) and isinstance(body.get("access_token"), str):
            return body
        message = str((body.get("message") or body.get("error") or "") if isinstance(body, dict) else "").lower()
        if message == "authorization_pending":
            raise _Pending()
        if message == "slow_down":
            raise _SlowDown()
        if message in ("expired_token", "invalid device code"):
            raise self.expired()
        if message == "access_denied":
            raise self.denied()
        raise self.refusal(status, body)

    def refusal(self, status: int, body: Any) -> SignInError:
        message = str(body.get("message") or "") if isinstance(body, dict) else ""
        if status in (400, 401, 403) and message:
            return SignInRefused(_("Twitch refused the sign-in ({reason}); check the app's client ID in the Twitch "
                                   "developer console.").format(reason=message[:80]))
        return self.bad_answer(status)

    async def finish(self, http: aiohttp.ClientSession, answer: dict[str, Any]) -> SignInResult:
        token = answer["access_token"]
        refresh = answer.get("refresh_token")
        status, body = await self.get_json(http, self.oauth + "/validate", headers={"Authorization": f"OAuth {token}"})
        login = body.get("login") if status == 200 and isinstance(body, dict) else None
        if not isinstance(login, str) or not login:
            raise self.bad_answer(status)
        return self.store(token, refresh if isinstance(refresh, str) else None, login, nick=login.lower())


class FacebookDeviceSignIn(DeviceSignIn):
    platform = "facebook"
    display_name = "Facebook"
    SCOPE = "pages_show_list,pages_read_engagement,pages_read_user_content,pages_manage_engagement"
    PENDING, SLOW_DOWN, EXPIRED = 1349174, 1349172, 1349152

    def __init__(self, credentials, on_prompt=None, **kwargs: Any) -> None:
        super().__init__(credentials, on_prompt, **kwargs)
        from studio.connectors.facebook import API_ORIGIN, GRAPH_VERSION

        self.api = f"{credentials.api_base or API_ORIGIN}/{GRAPH_VERSION}"
        self._pages: dict[str, tuple[str, str]] = {}  # page id -> (name, page token); never shown
        self._user_name = ""

    def missing(self) -> str | None:
        if not (self.credentials.client_id and self.credentials.client_secret):
            return _("Signing in to Facebook needs your app's App ID (OAuth client ID) and its client token "
                     "(OAuth client secret), from the Meta app dashboard.")
        return None

    @property
    def _app_token(self) -> str:
        return f"{self.credentials.client_id}|{self.credentials.client_secret}"

    async def request_code(self, http: aiohttp.ClientSession) -> DeviceCode:
        status, body = await self.post_form(http, self.api + "/device/login",
                                            {"access_token": self._app_token, "scope": self.SCOPE})
        return self._device_code(status, body, "code")

    async def poll_once(self, http: aiohttp.ClientSession, code: DeviceCode) -> dict[str, Any]:
        status, body = await self.post_form(http, self.api + "/device/login_status",
                                            {"access_token": self._app_token, "code": code.device_code})
        if status == 200 and isinstance(body, dict) and isinstance(body.get("access_token"), str):
            return body
        error = body.get("error") if isinstance(body, dict) else None
        subcode = error.get("error_subcode") if isinstance(error, dict) else None
        if subcode == self.PENDING:
            raise _Pending()
        if subcode == self.SLOW_DOWN:
            raise _SlowDown()
        if subcode == self.EXPIRED:
            raise self.expired()
        raise self.refusal(status, body)

    def refusal(self, status: int, body: Any) -> SignInError:
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("code") is not None:
            return SignInRefused(_("Facebook refused the sign-in (error {code}); check the App ID and client token, "
                                   "and that Login from Devices is on for the app.").format(code=error.get("code")))
        return self.bad_answer(status)

    async def finish(self, http: aiohttp.ClientSession, answer: dict[str, Any]) -> SignInResult:
        headers = {"Authorization": f"Bearer {answer['access_token']}"}
        status, me = await self.get_json(http, self.api + "/me", params={"fields": "id,name"}, headers=headers)
        self._user_name = str(me.get("name") or "") if status == 200 and isinstance(me, dict) else ""
        status, body = await self.get_json(http, self.api + "/me/accounts",
                                           params={"fields": "id,name,access_token"}, headers=headers)
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise self.refusal(status, body) if isinstance(body, dict) and "error" in body else self.bad_answer(status)
        for page in body["data"]:
            if isinstance(page, dict) and page.get("id") and isinstance(page.get("access_token"), str):
                self._pages[str(page["id"])] = (str(page.get("name") or page["id"])[:100], page["access_token"])
        if not self._pages:
            raise SignInRefused(_("This Facebook account manages no Page (live video comments are read with a Page's "
                                  "token); nothing was stored."))
        if len(self._pages) == 1:
            return self.choose(next(iter(self._pages)))
        return SignInResult(platform=self.platform, account=self._user_name,
                            pages=[PageChoice(page_id, name) for page_id, (name, _token) in self._pages.items()])

    def choose(self, page_id: str) -> SignInResult:
        """Keep the token of the Page ``page_id`` (one of the result's ``pages``)."""
        if page_id not in self._pages:
            raise SignInError(_("That Page is not one this Facebook account manages."))
        name, token = self._pages[page_id]
        return self.store(token, None, name, page_id=page_id)
