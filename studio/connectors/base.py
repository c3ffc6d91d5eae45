"""The connector contract: one platform target, run with the show, events out, replies in.

A :class:`Connector` runs on the hub's asyncio loop (:meth:`Connector.run` until cancelled).
Each platform module implements :meth:`Connector.session` — connect, read events, hand them
to ``emit`` — and raises a typed error from :mod:`studio.connectors.errors` when something
goes wrong; the loop here decides what follows (refresh, wait, reconnect, or stop) with the
project's :class:`~studio.outputs.reconnect.Backoff`, and keeps a :class:`ConnectorStatus`
the host can read in words.  Nothing here logs a token: messages and logs go through
:func:`~studio.connectors.credentials.mask`.
"""
from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Awaitable, Callable, ClassVar

import aiohttp

from studio.connectors.credentials import Credentials, mask
from studio.connectors.errors import (AuthError, ConnectorError, NotLiveYet, NotSupported, PlatformUnavailable,
                                      RateLimited, TokenExpired)
from studio.connectors.events import PlatformEvent
from studio.core.i18n import _
from studio.outputs.reconnect import NO_ANSWER_BACKOFF_MAX_S, Backoff

log = logging.getLogger(__name__)

Emit = Callable[[PlatformEvent], Awaitable[None]]
CONNECTOR_BACKOFF_INITIAL_S = 1.0
CONNECTOR_BACKOFF_MAX_S = 60.0
# No broadcast live yet: look again at this pace (a list call costs quota, so not faster).
NOT_LIVE_RETRY_S = 15.0
HTTP_TIMEOUT_S = 15.0


class ConnectorState(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    LIVE = "live"
    WAITING = "waiting"  # no live broadcast/chat yet
    RATE_LIMITED = "rate_limited"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    STOPPED = "stopped"


class Action(StrEnum):
    REPLY = "reply"
    PIN = "pin"
    DELETE = "delete"
    BAN = "ban"
    HIDE = "hide"  # hidden from everyone but its author, and can be shown again (Facebook)
    UNHIDE = "unhide"
    UNBAN = "unban"


@dataclass
class ConnectorStatus:
    """What the host reads about one connector (JSON-ready through :meth:`to_dict`)."""

    platform: str
    target: str
    state: ConnectorState = ConnectorState.IDLE
    message: str = ""
    quota: str | None = None
    next_retry_at: float | None = None  # time.monotonic()
    events: int = 0
    reconnects: int = 0
    token_refreshes: int = 0
    rate_limited: int = 0

    def to_dict(self) -> dict[str, Any]:
        next_in = None if self.next_retry_at is None else max(0.0, self.next_retry_at - time.monotonic())
        return {"platform": self.platform, "target": self.target, "state": self.state.value, "message": self.message,
                "quota": self.quota, "next_retry_in_s": None if next_in is None else round(next_in, 1),
                "events": self.events, "reconnects": self.reconnects, "token_refreshes": self.token_refreshes,
                "rate_limited": self.rate_limited}


class Connector(ABC):
    """One platform target (a broadcast, a channel, a named bridge) for the length of a show."""

    platform: ClassVar[str]
    display_name: ClassVar[str]
    actions: ClassVar[frozenset[Action]] = frozenset()

    def __init__(self, target: str, credentials: Credentials, *, backoff: Backoff | None = None,
                 not_live_retry_s: float = NOT_LIVE_RETRY_S) -> None:
        self.target = target
        self.credentials = credentials
        # A platform's own "come back in N s" (a used-up quota: minutes) is honoured up to 15 min.
        self.backoff = backoff or Backoff(CONNECTOR_BACKOFF_INITIAL_S, CONNECTOR_BACKOFF_MAX_S, retry_after_max_s=900.0)
        self.not_live_retry_s = float(not_live_retry_s)
        self.status = ConnectorStatus(platform=self.platform, target=target)
        self._attempt = 0
        self._http: aiohttp.ClientSession | None = None
        self._refresh_task: asyncio.Future[None] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.target!r}, state={self.status.state.value})"

    @property
    def name(self) -> str:
        """``platform:target`` as on the command line."""
        return f"{self.platform}:{self.target}"

    # ------------------------------------------------------------------ the platform's part

    @abstractmethod
    async def session(self, emit: Emit) -> None:
        """Connect and hand events to ``emit`` until the platform ends the session (return) or
        something fails (raise a :class:`ConnectorError` subclass or an aiohttp/OS error)."""

    async def refresh_token(self) -> None:
        """Get a new access token with the refresh token (OAuth platforms override this)."""
        raise AuthError(_("{platform} refused the access token and none can be refreshed: connect the account again.")
                        .format(platform=self.display_name))

    async def reply(self, text: str, to: PlatformEvent | None = None) -> None:
        """Post ``text`` in the platform's chat (answering ``to`` where the platform threads replies)."""
        raise NotSupported(_("{platform} does not let us post messages.").format(platform=self.display_name))

    async def moderate(self, action: Action, event: PlatformEvent) -> None:
        """Pin, delete or ban (the author of) ``event``, where the platform allows it."""
        raise NotSupported(_("{platform} has no API to {action} a message.").format(
            platform=self.display_name, action=action.value))

    # ------------------------------------------------------------------ shared helpers

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S))
        return self._http

    def serves(self, platform: str) -> bool:
        """Whether events of ``platform`` come from (and are answered through) this connector."""
        return platform == self.platform

    def mark_live(self, message: str) -> None:
        """The session works (reset the back-off; count a reconnect when there was an outage)."""
        if self._attempt:
            self.status.reconnects += 1
        self._attempt = 0
        self._set(ConnectorState.LIVE, message)
        self.status.next_retry_at = None

    def note_quota(self, words: str | None) -> None:
        self.status.quota = words

    def _set(self, state: ConnectorState, message: str) -> None:
        self.status.state = state
        self.status.message = mask(message, self.credentials.secrets())

    def credential_problem(self) -> str | None:
        """What is missing to connect, in words (None when nothing is): for a check before going live."""
        if not self.credentials.token:
            return _("No {platform} access token: connect the account or set {env}.").format(
                platform=self.display_name, env=f"BRIDGECAST_{self.platform.upper()}_TOKEN")
        return None

    def require_token(self) -> str:
        problem = self.credential_problem()
        if problem is not None or not self.credentials.token:
            raise AuthError(problem or "")
        return self.credentials.token

    # ------------------------------------------------------------------ the loop

    async def run(self, emit: Emit) -> None:
        """Run sessions until cancelled or refused for good; never raises but CancelledError."""
        async def counted(event: PlatformEvent) -> None:
            self.status.events += 1
            await emit(event)

        self._set(ConnectorState.CONNECTING, _("Connecting to {platform}…").format(platform=self.display_name))
        try:
            while True:
                delay: float | None = None
                token_used = self.credentials.token
                try:
                    await self.session(counted)
                    delay = self._wait_not_live(None)
                except TokenExpired:
                    self._set(ConnectorState.CONNECTING, _("{platform} access token expired; getting a new one…").format(
                        platform=self.display_name))
                    await self.renew_token(token_used)  # AuthError ends run()
                    continue
                except NotLiveYet as err:
                    delay = self._wait_not_live(err)
                except RateLimited as err:
                    delay = self._wait_rate_limited(err)
                except AuthError as err:
                    self._set(ConnectorState.FAILED, str(err))
                    log.warning("%s stopped: %s", self.name, self.status.message)
                    return
                except (PlatformUnavailable, aiohttp.ClientError, OSError, asyncio.TimeoutError, ConnectorError) as err:
                    delay = self._wait_unavailable(err)
                self.status.next_retry_at = time.monotonic() + delay
                await asyncio.sleep(delay)
                self.status.next_retry_at = None
        except AuthError as err:
            self._set(ConnectorState.FAILED, str(err))
            log.warning("%s stopped: %s", self.name, self.status.message)
        except Exception:  # a bug of ours: say it stopped, keep the traceback for the log only
            log.exception("%s stopped after an unexpected error", self.name)
            self._set(ConnectorState.FAILED, _("{platform} stopped after an unexpected error (details in the log).")
                      .format(platform=self.display_name))
        finally:
            if self.status.state is not ConnectorState.FAILED:
                self._set(ConnectorState.STOPPED, _("Disconnected from {platform}.").format(platform=self.display_name))
            if self._http is not None:
                await self._http.close()
                self._http = None

    async def renew_token(self, refused: str | None) -> None:
        """Refresh the token that was refused — once, however many requests saw it refused at the
        same time, and shielded from their cancellation: a platform that rotates refresh tokens
        refuses the old one after a refresh whose answer we dropped."""
        if self.credentials.token != refused:
            return  # another request already got a new one
        task = self._refresh_task
        if task is None or task.done():
            task = self._refresh_task = asyncio.ensure_future(self._refresh_counted())
        await asyncio.shield(task)

    async def _refresh_counted(self) -> None:
        await self.refresh_token()
        self.status.token_refreshes += 1
        log.info("%s: access token refreshed", self.name)

    async def with_fresh_token(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """``await call()``; when the token was refused, renew it and call once more."""
        used = self.credentials.token
        try:
            return await call()
        except TokenExpired:
            await self.renew_token(used)
            return await call()

    def _wait_not_live(self, err: ConnectorError | None) -> float:
        message = str(err) if err is not None else _("{platform} ended the live chat.").format(platform=self.display_name)
        self._set(ConnectorState.WAITING, message + " " + _("Looking again in {s:.0f} s.").format(s=self.not_live_retry_s))
        return self.not_live_retry_s

    def _wait_rate_limited(self, err: RateLimited) -> float:
        self._attempt += 1
        self.status.rate_limited += 1
        delay = self.backoff.delay_s(self._attempt, err.retry_after_s)
        self.note_quota(str(err))
        self._set(ConnectorState.RATE_LIMITED, str(err) + " " + _("Trying again in {s:.0f} s.").format(s=delay))
        log.info("%s rate-limited: waiting %.1f s", self.name, delay)
        return delay

    def _wait_unavailable(self, err: BaseException) -> float:
        self._attempt += 1
        no_answer = isinstance(err, (aiohttp.ClientConnectionError, OSError, asyncio.TimeoutError))
        delay = self.backoff.delay_s(self._attempt, max_s=NO_ANSWER_BACKOFF_MAX_S if no_answer else None)
        reason = str(err) if isinstance(err, ConnectorError) else _("{platform} does not answer.").format(
            platform=self.display_name)
        self._set(ConnectorState.RECONNECTING, reason + " " + _("Reconnecting in {s:.0f} s.").format(s=delay))
        log.info("%s unavailable (%s); reconnecting in %.1f s", self.name, type(err).__name__, delay)
        return delay


async def read_json(response: aiohttp.ClientResponse) -> Any:
    """The response's JSON body, or None when it has none or it is not JSON."""
    try:
        return await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return None
