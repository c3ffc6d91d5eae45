"""Signing a platform account in with OAuth, so nobody pastes tokens by hand.

One :class:`SignInFlow` per platform: YouTube (Google's installed-app flow with a loopback
redirect and PKCE, :mod:`studio.connectors.signin_google`), Twitch (the Device Code Grant) and
Facebook (Login for Devices) (:mod:`studio.connectors.signin_device`).  A flow runs on its own
asyncio loop (:meth:`SignInFlow.run_blocking`, from a worker thread), tells the caller what to
show through ``on_prompt`` (a URL to open in the browser, a code to type there), and ends with
a :class:`SignInResult` — the tokens already in the secrets store under the names
:mod:`studio.connectors.credentials` reads — or a :class:`~studio.connectors.errors.SignInError`
in words.  :meth:`SignInFlow.cancel` may be called from any thread.

Tokens never reach a message, a log line or the result's ``repr``: the result carries the
account's name and which fields were stored, not their values.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Callable

import aiohttp

from studio import secrets_store
from studio.connectors.credentials import Credentials, secret_name
from studio.connectors.errors import PlatformUnavailable, SignInCancelled, SignInError
from studio.core.i18n import _

log = logging.getLogger(__name__)

SIGN_IN_HTTP_TIMEOUT_S = 20.0
# The name shown for a signed-in account lives beside its tokens (it is no secret, but it belongs
# to the same sign-in and is forgotten with it).
ACCOUNT_FIELD = "account"


class PromptKind(StrEnum):
    BROWSER = "browser"  # open ``url``; the answer comes back to us by itself
    CODE = "code"  # open ``url`` and type ``user_code`` there


@dataclass(frozen=True)
class SignInPrompt:
    """What the user must see or do now."""

    platform: str
    kind: PromptKind
    url: str
    user_code: str | None = None
    expires_in_s: float | None = None


@dataclass
class PageChoice:
    """One Facebook Page the signed-in account manages (its token stays in the flow)."""

    page_id: str
    name: str


@dataclass
class SignInResult:
    """A finished sign-in: who is connected and which fields went to the secrets store."""

    platform: str
    account: str
    stored: tuple[str, ...] = ()
    pages: list[PageChoice] = field(default_factory=list)  # Facebook: several Pages → the user chooses

    @property
    def needs_choice(self) -> bool:
        return len(self.pages) > 1


OnPrompt = Callable[[SignInPrompt], None]


class SignInFlow(ABC):
    """One sign-in attempt for one platform; run it once."""

    platform: str
    display_name: str

    def __init__(self, credentials: Credentials, on_prompt: OnPrompt | None = None) -> None:
        self.credentials = credentials
        self.on_prompt = on_prompt or (lambda prompt: None)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[SignInResult] | None = None
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    @abstractmethod
    async def sign_in(self, http: aiohttp.ClientSession) -> SignInResult:
        """The platform's own steps; raise a SignInError (or PlatformUnavailable) in words."""

    def missing(self) -> str | None:
        """What the user must give before signing in (the app's client id…), in words, or None."""
        if not self.credentials.client_id:
            return _("Signing in to {platform} needs the OAuth client ID of your app (Credentials → OAuth client ID)."
                     ).format(platform=self.display_name)
        return None

    # ------------------------------------------------------------------ running

    async def run(self) -> SignInResult:
        problem = self.missing()
        if problem:
            raise SignInError(problem)
        timeout = aiohttp.ClientTimeout(total=SIGN_IN_HTTP_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            try:
                return await self.sign_in(http)
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as err:
                log.info("%s sign-in: no answer (%s)", self.platform, type(err).__name__)
                raise PlatformUnavailable(_("{platform}'s sign-in service does not answer; check the connection and "
                                            "try again.").format(platform=self.display_name)) from err

    def run_blocking(self) -> SignInResult:
        """Run the flow on a fresh loop in the calling (worker) thread; returns or raises in words."""
        async def main() -> SignInResult:
            with self._lock:
                self._loop = asyncio.get_running_loop()
                self._task = asyncio.current_task()  # type: ignore[assignment]
            if self._cancelled.is_set():
                raise SignInCancelled(_("Sign-in cancelled."))
            return await self.run()

        try:
            return asyncio.run(main())
        except asyncio.CancelledError as err:
            raise SignInCancelled(_("Sign-in cancelled.")) from err
        finally:
            with self._lock:
                self._loop = self._task = None

    def cancel(self) -> None:
        """Stop waiting (any thread); :meth:`run_blocking` then raises SignInCancelled."""
        self._cancelled.set()
        with self._lock:
            loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:
                pass  # the loop closed meanwhile: the flow has ended anyway

    @property
    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()

    def prompt(self, prompt: SignInPrompt) -> None:
        try:
            self.on_prompt(prompt)
        except Exception:  # the caller's display failed: the flow goes on, the log says why
            log.exception("%s sign-in: showing the prompt failed", self.platform)

    # ------------------------------------------------------------------ shared helpers

    def store(self, token: str, refresh_token: str | None, account: str, **more: str | None) -> SignInResult:
        """Keep the tokens (and the client id/secret they belong to) in the secrets store."""
        values: dict[str, str | None] = {"token": token, "refresh_token": refresh_token,
                                         "client_id": self.credentials.client_id,
                                         "client_secret": self.credentials.client_secret, ACCOUNT_FIELD: account, **more}
        stored = []
        for name, value in values.items():
            if value:
                secrets_store.set_secret(secret_name(self.platform, name), value)
                stored.append(name)
        if not refresh_token:  # an older refresh token belongs to another grant: do not pair it with this one
            secrets_store.set_secret(secret_name(self.platform, "refresh_token"), None)
        self.credentials.token, self.credentials.refresh_token = token, refresh_token
        log.info("%s sign-in: account connected (%s stored)", self.platform, ", ".join(stored))
        return SignInResult(platform=self.platform, account=account, stored=tuple(stored))

    async def post_form(self, http: aiohttp.ClientSession, url: str, form: dict[str, str]) -> tuple[int, Any]:
        """POST a form; (status, JSON body or None)."""
        async with http.post(url, data=form, headers={"Accept": "application/json"}) as response:
            return response.status, await _json_or_none(response)

    async def get_json(self, http: aiohttp.ClientSession, url: str, *, params: dict[str, str] | None = None,
                       headers: dict[str, str] | None = None) -> tuple[int, Any]:
        async with http.get(url, params=params, headers=headers) as response:
            return response.status, await _json_or_none(response)

    def bad_answer(self, status: int) -> SignInError:
        """The platform answered something that is not what its reference describes."""
        if status >= 500:
            return PlatformUnavailable(_("{platform}'s sign-in service answered with a server error ({status}); try "
                                         "again in a moment.").format(platform=self.display_name, status=status))
        return SignInError(_("{platform}'s sign-in service gave an answer we cannot read ({status}); nothing was "
                             "stored.").format(platform=self.display_name, status=status))


async def _json_or_none(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return None


def stored_account(platform: str) -> str | None:
    """The name of the account signed in for ``platform`` (worker thread: the keyring may be slow)."""
    return secrets_store.get_secret(secret_name(platform, ACCOUNT_FIELD))


SIGN_IN_PLATFORMS = ("youtube", "twitch", "facebook")


def flow_for(platform: str, credentials: Credentials, on_prompt: OnPrompt | None = None) -> SignInFlow:
    """The sign-in flow of ``platform`` (its endpoints from the credentials' API/OAuth base)."""
    if platform == "youtube":
        from studio.connectors.signin_google import GoogleLoopbackSignIn

        return GoogleLoopbackSignIn(credentials, on_prompt)
    if platform == "twitch":
        from studio.connectors.signin_device import TwitchDeviceSignIn

        return TwitchDeviceSignIn(credentials, on_prompt)
    if platform == "facebook":
        from studio.connectors.signin_device import FacebookDeviceSignIn

        return FacebookDeviceSignIn(credentials, on_prompt)
    raise SignInError(_("{platform} has no sign-in here: paste its token instead.").format(platform=platform))
