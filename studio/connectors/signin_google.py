"""YouTube sign-in: Google's OAuth 2.0 flow for desktop apps, loopback redirect + PKCE.

Written from Google's reference, "OAuth 2.0 for Mobile & Desktop Apps"
(https://developers.google.com/identity/protocols/oauth2/native-app), RFC 8252 (OAuth 2.0 for
Native Apps, §7.3 loopback interface redirection) and RFC 7636 (PKCE):

1. a code verifier (43–128 unreserved characters) and its S256 challenge
   (BASE64URL(SHA256(verifier)) without padding), and a random ``state``;
2. a one-shot HTTP listener on ``127.0.0.1`` at a port the system picks; ``redirect_uri`` is
   ``http://127.0.0.1:<port>``;
3. the system browser opens ``https://accounts.google.com/o/oauth2/v2/auth`` with
   ``client_id``, ``redirect_uri``, ``response_type=code``, ``scope``, ``code_challenge``,
   ``code_challenge_method=S256`` and ``state``;
4. Google redirects the browser to the listener with ``?code=…&state=…`` — or
   ``?error=access_denied`` when the user says no; a ``state`` that is not ours is refused;
5. ``POST https://oauth2.googleapis.com/token`` with ``code``, ``client_id``,
   ``client_secret``, ``redirect_uri``, ``grant_type=authorization_code`` and
   ``code_verifier`` → ``{"access_token", "expires_in", "refresh_token", "scope",
   "token_type"}``; an error is ``{"error": "invalid_grant" | "invalid_client" | …,
   "error_description"}`` (RFC 6749 §5.2);
6. the channel's name from ``channels.list?part=snippet&mine=true``
   (https://developers.google.com/youtube/v3/docs/channels/list), to say who is connected.

Google's device flow ("TVs and Limited Input devices") does not offer the
``youtube.force-ssl`` scope that posting and moderating chat needs, so YouTube signs in here.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import logging
import secrets
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from studio.connectors.errors import SignInDenied, SignInError, SignInExpired, SignInRefused
from studio.connectors.signin import PromptKind, SignInFlow, SignInPrompt, SignInResult
from studio.core.i18n import _

log = logging.getLogger(__name__)

AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"
API_ORIGIN = "https://www.googleapis.com"
AUTH_PATH = "/o/oauth2/v2/auth"  # under another OAuth origin (the tests' stand-in)
SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"  # read, post and moderate live chat
BROWSER_WAIT_S = 600.0


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) per RFC 7636 §4.1–4.2 with S256."""
    verifier = secrets.token_urlsafe(64)[:96]  # 96 characters of [A-Za-z0-9_-]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")
    return verifier, challenge


class GoogleLoopbackSignIn(SignInFlow):
    """Sign a YouTube channel in through the browser; the answer comes back to a local port."""

    platform = "youtube"
    display_name = "YouTube"

    def __init__(self, credentials, on_prompt=None, *, browser_wait_s: float = BROWSER_WAIT_S) -> None:
        super().__init__(credentials, on_prompt)
        base = credentials.oauth_base
        self.auth_url = base + AUTH_PATH if base else AUTH_URL
        self.token_url = base + "/token" if base else TOKEN_URL
        self.api = (credentials.api_base or API_ORIGIN) + "/youtube/v3"
        self.browser_wait_s = float(browser_wait_s)

    def missing(self) -> str | None:
        problem = super().missing()
        if problem is None and not self.credentials.client_secret:
            return _("Signing in to YouTube needs the client secret of your Google desktop-app client "
                     "(Credentials → OAuth client secret).")
        return problem

    async def sign_in(self, http: aiohttp.ClientSession) -> SignInResult:
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        listener = _Listener(state)
        redirect_uri = await listener.start()
        try:
            query = {"client_id": self.credentials.client_id or "", "redirect_uri": redirect_uri,
                     "response_type": "code", "scope": SCOPE, "code_challenge": challenge,
                     "code_challenge_method": "S256", "state": state, "access_type": "offline", "prompt": "consent"}
            self.prompt(SignInPrompt(self.platform, PromptKind.BROWSER, f"{self.auth_url}?{urlencode(query)}",
                                     expires_in_s=self.browser_wait_s))
            try:
                code = await asyncio.wait_for(listener.answer, self.browser_wait_s)
            except asyncio.TimeoutError as err:
                raise SignInExpired(_("No answer came back from the browser in {minutes:.0f} minutes; sign in again."
                                      ).format(minutes=self.browser_wait_s / 60)) from err
        finally:
            await listener.stop()
        return await self._trade(http, code, verifier, redirect_uri)

    async def _trade(self, http: aiohttp.ClientSession, code: str, verifier: str, redirect_uri: str) -> SignInResult:
        form = {"code": code, "client_id": self.credentials.client_id or "",
                "client_secret": self.credentials.client_secret or "", "redirect_uri": redirect_uri,
                "grant_type": "authorization_code", "code_verifier": verifier}
        status, body = await self.post_form(http, self.token_url, form)
        if status != 200 or not isinstance(body, dict):
            raise self._token_error(status, body)
        token, refresh = body.get("access_token"), body.get("refresh_token")
        if not isinstance(token, str) or not token:
            raise self.bad_answer(status)
        return self.store(token, refresh if isinstance(refresh, str) else None, await self._channel_name(http, token))

    def _token_error(self, status: int, body: Any) -> SignInError:
        error = body.get("error") if isinstance(body, dict) else None
        if error == "invalid_client":
            return SignInRefused(_("Google does not accept this OAuth client ID and secret; check them in the Google "
                                   "Cloud console (a Desktop app client)."))
        if error in ("invalid_grant", "invalid_request", "unauthorized_client"):
            return SignInRefused(_("Google refused the sign-in code ({error}); nothing was stored. Sign in again.")
                                 .format(error=error))
        return self.bad_answer(status)

    async def _channel_name(self, http: aiohttp.ClientSession, token: str) -> str:
        """The channel's title; a lookup that fails leaves a plain name (the tokens are good)."""
        try:
            status, body = await self.get_json(http, self.api + "/channels", params={"part": "snippet", "mine": "true"},
                                               headers={"Authorization": f"Bearer {token}"})
            items = body.get("items") if isinstance(body, dict) and status == 200 else None
            title = ((items[0].get("snippet") or {}).get("title")) if items and isinstance(items[0], dict) else None
            if isinstance(title, str) and title.strip():
                return title.strip()[:100]
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
            log.info("youtube sign-in: the channel name could not be read")
        return _("your YouTube channel")


class _Listener:
    """A one-shot HTTP server on 127.0.0.1 that takes Google's redirect (RFC 8252 §7.3)."""

    def __init__(self, state: str) -> None:
        self.state = state
        self.answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._redirected)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        if not self.answer.done():
            self.answer.cancel()

    async def _redirected(self, request: web.Request) -> web.Response:
        query = request.query
        if not any(name in query for name in ("code", "error", "state")):
            return web.Response(status=404)  # the browser's /favicon.ico and the like: not the answer
        if self.answer.done():
            return _page(_("This sign-in is already finished; you can close this tab."), status=410)
        if query.get("state") != self.state:
            # Not the answer to our request (a stale tab, or a page trying to slip us its code).
            self.answer.set_exception(SignInRefused(_("The browser brought back an answer that does not belong to this "
                                                      "sign-in; nothing was stored. Sign in again.")))
            return _page(_("This answer does not belong to the sign-in Bridgecast Studio started. Nothing was stored."),
                         status=400)
        error = query.get("error")
        if error == "access_denied":
            self.answer.set_exception(SignInDenied(_("The YouTube sign-in was declined in the browser; nothing was "
                                                     "stored.")))
            return _page(_("Sign-in declined. You can close this tab."))
        if error or not query.get("code"):
            self.answer.set_exception(SignInRefused(_("Google ended the sign-in with an error ({error}); nothing was "
                                                      "stored.").format(error=(error or "no code")[:60])))
            return _page(_("The sign-in did not finish. You can close this tab."), status=400)
        self.answer.set_result(query["code"])
        return _page(_("Signed in. You can close this tab and go back to Bridgecast Studio."))


def _page(text: str, status: int = 200) -> web.Response:
    body = (f"<!doctype html><html><head><meta charset='utf-8'><title>Bridgecast Studio</title></head>"
            f"<body style='font-family:sans-serif;margin:3em'><p>{html.escape(text)}</p></body></html>")
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
