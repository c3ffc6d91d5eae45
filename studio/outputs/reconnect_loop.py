"""Staying live: the WHIP publisher's session loop, outages and retries.

``connecting → live (→ reconnecting → live …) → stopped``, or ``failed``.  Before the stream
was ever live a failure is final (the host fixes the URL, token or network and presses Go
live again) — except a server that answers "busy" (503/429 + Retry-After): asked again a few
times, as long as it says to wait (capped), the host told in words meanwhile.  Once live, every loss is retried — an ICE restart inside the same WHIP session
first (when the server takes PATCH: same DTLS and SRTP, the encoders untouched), then fresh
sessions with the capped, jittered back-off of :mod:`studio.outputs.reconnect`, honouring
Retry-After — until stop(); only a refused token (401/403) ends it.

:class:`ReconnectLoop` decides *when* to run a session and what an error means; the publisher
runs the sessions (``run_session``) and owns the state (``set_state``).  Runs on the
publisher's network loop.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from typing import Any, Awaitable, Callable

from studio.core.events import Signal
from studio.core.i18n import _
from studio.outputs.errors import OutputError, StopReason
from studio.outputs.link_watch import LossWatch
from studio.outputs.publisher_options import BUSY_WAIT_MAX_S, ReconnectPolicy
from studio.outputs.reconnect import NO_ANSWER_BACKOFF_MAX_S, ReconnectStatus
from studio.outputs.state import OutputState

log = logging.getLogger(__name__)

DELETE_TIMEOUT_S = 2.0
CLOSE_TIMEOUT_S = 2.0
ICE_RESTART_TIMEOUT_S = 8.0  # PATCH answered -> new ICE pair connected, or a fresh session
# Failures where nothing answered: they cost the server nothing, so a tighter back-off cap.
_NO_ANSWER_REASONS = (
    StopReason.UNREACHABLE, StopReason.TIMEOUT, StopReason.DISCONNECTED, StopReason.ICE_FAILED, StopReason.DTLS_FAILED
)

SetState = Callable[..., None]  # set_state(state, failure=None)


class ReconnectLoop:
    """Runs WHIP sessions until stop, retrying losses by ``policy``; progress in ``status``.

    ``set_state(state, failure=None)`` reports every transition; ``on_reconnect`` is emitted
    with ``status.snapshot()`` when an attempt is scheduled; ``use_learned_ice_servers()``
    switches to the STUN/TURN servers the endpoint named (True if it did) for one more try
    when ICE failed before the first live.
    """

    def __init__(
        self,
        *,
        policy: ReconnectPolicy,
        status: ReconnectStatus,
        set_state: SetState,
        on_reconnect: Signal,
        use_learned_ice_servers: Callable[[], bool],
        allow_loopback: bool,
        on_busy: Signal | None = None,
        request_timeout_s: float = 10.0,
    ) -> None:
        self.policy = policy
        self.status = status
        self.set_state = set_state
        self.on_reconnect = on_reconnect
        self.use_learned_ice_servers = use_learned_ice_servers
        self.allow_loopback = allow_loopback
        self.request_timeout_s = float(request_timeout_s)
        self.on_busy = on_busy if on_busy is not None else Signal()  # code=, message=: words for the host
        self.has_been_live = False
        self.live_since: float | None = None  # time.monotonic() of the last time it went live

    async def run(
        self,
        run_session: Callable[[], Awaitable[None]],
        stop_event: asyncio.Event,
        is_stop_requested: Callable[[], bool],
    ) -> None:
        """Sessions until stop or a final failure (reported as FAILED before returning)."""
        stop_waiter = asyncio.ensure_future(stop_event.wait())
        is_ice_retry_done = False
        busy_retries = 0
        try:
            while not is_stop_requested():
                session = asyncio.ensure_future(run_session())
                done, _pending = await asyncio.wait({session, stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
                if session not in done:  # stop requested: the session tears down in its finally
                    session.cancel()
                    # Up to a POST's whole answer time: a session created after the stop is deleted.
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await asyncio.wait_for(session, self.request_timeout_s + DELETE_TIMEOUT_S + CLOSE_TIMEOUT_S + 2.0)
                    break
                error = session.exception()
                if error is None or is_stop_requested():
                    break
                if not isinstance(error, OutputError):
                    log.error("WHIP session failed unexpectedly", exc_info=error)
                    error = OutputError(StopReason.SERVER_ERROR, detail=type(error).__name__)
                self.live_since = None
                if not self.has_been_live:
                    if error.reason is StopReason.ICE_FAILED and not is_ice_retry_done and self.use_learned_ice_servers():
                        is_ice_retry_done = True  # the endpoint named STUN/TURN servers: one more try through them
                        continue
                    if error.reason is StopReason.SERVER_BUSY and busy_retries < self.policy.busy_retries_before_live:
                        busy_retries += 1  # "come back later": wait as told, then ask again
                        if await self.wait_while_busy(error, stop_waiter, busy_retries):
                            break  # stop requested while waiting
                        continue
                    self.set_state(OutputState.FAILED, error)  # never live: fail fast with the typed reason
                    return
                if not error.is_retryable_after_live:
                    if error.reason is StopReason.BAD_TOKEN and error.has_default_message:
                        error = OutputError.token_revoked(error.status)  # not a server we never sent it to
                    self.set_state(OutputState.FAILED, error)
                    return
                if self.policy.is_exhausted(self.status.attempt):
                    self.set_state(OutputState.FAILED, error)
                    return
                if await self.wait_before_retry(error, stop_waiter):
                    break  # stop requested while waiting
        finally:
            stop_waiter.cancel()

    async def wait_before_retry(self, error: OutputError, stop_waiter: "asyncio.Future[Any] | None") -> bool:
        """Count the attempt, show reconnecting with the next-try time, and sleep the back-off.
        True when stop() was requested meanwhile."""
        status = self.status
        # Server answers (5xx, 404, busy) back off to the full cap; tries nothing answered
        # cost the server nothing and mostly wait for the network: a tighter cap.
        is_unanswered = error.status is None and error.reason in _NO_ANSWER_REASONS
        delay = self.policy.backoff.delay_s(
            status.attempt + 1, error.retry_after_s, max_s=NO_ANSWER_BACKOFF_MAX_S if is_unanswered else None
        )
        status.schedule(delay, error)
        self.set_state(OutputState.RECONNECTING)
        log.info(
            "reconnecting: attempt %d in %.1f s (%s: %s)", status.attempt, delay, error.reason.value, error
        )
        self.on_reconnect.emit(**status.snapshot())
        if stop_waiter is None:  # inside a session: stop() cancels the task
            await asyncio.sleep(delay)
            status.trying()
            return False
        try:
            await asyncio.wait_for(asyncio.shield(stop_waiter), delay)
            return True
        except asyncio.TimeoutError:
            status.trying()
            return False

    async def wait_while_busy(self, error: OutputError, stop_waiter: "asyncio.Future[Any]", retry: int) -> bool:
        """Before the first live, the server said it is busy (503/429): still connecting, tell
        the host in words how long we wait (its Retry-After, capped, or the back-off), and
        sleep.  True when stop() was requested meanwhile."""
        if error.retry_after_s is not None and error.retry_after_s > 0:
            delay = min(error.retry_after_s, BUSY_WAIT_MAX_S)  # as the server asked
        else:
            delay = min(self.policy.backoff.delay_s(retry), BUSY_WAIT_MAX_S)
        self.status.schedule(delay, error)
        status = f" ({error.status})" if error.status else ""
        message = _("The WHIP server is busy{status}; trying again in {seconds} s (try {n} of {total})").format(
            status=status, seconds=max(1, math.ceil(delay)), n=retry + 1,
            total=self.policy.busy_retries_before_live + 1)
        log.info("server busy before going live: %s", message)
        self.set_state(OutputState.CONNECTING)
        self.on_busy.emit(code="server_busy", message=message)
        try:
            await asyncio.wait_for(asyncio.shield(stop_waiter), delay)
            return True
        except asyncio.TimeoutError:
            self.status.trying()
            return False

    def went_live(self, how: str) -> None:
        """Bookkeeping when a session (or an ICE restart) is live: ends the outage, if any."""
        self.live_since = time.monotonic()
        self.has_been_live = True
        duration = self.status.recovered(how)
        if duration is not None:
            log.info("live again after %.1f s (%s, %d attempt(s))", duration, how.replace("_", " "),
                     self.status.history[-1]["attempts"])

    async def hold(self, pc: Any, client: Any, resource: Any, watch: LossWatch, on_live_again: Callable[[], None]) -> None:
        """Live until stop (the task is cancelled) or loss (raises OutputError).

        On loss, while the server still holds our session and said it takes ICE-restart
        PATCHes, first try to heal this very session (new ICE credentials, DTLS/SRTP and the
        encoders untouched); attempts whose PATCH got no answer (the network is still gone)
        back off like any other; a PATCH the server refuses or an ICE pair that never
        connects raises, and :meth:`run` starts fresh sessions.  ``on_live_again`` runs once
        a restart is live (the layers then ask for keyframes).
        """
        while True:
            error = await watch.wait_until_lost(pc)
            # Show it at once (the teardown's DELETE may take a while on a dead network).
            self.status.begin_outage(error)
            self.live_since = None
            self.set_state(OutputState.RECONNECTING)
            restarter = self._ice_restarter(pc, resource)
            if restarter is None:
                raise error
            restarter.stop_consent_checks()  # the old pair must not close DTLS meanwhile
            while True:
                if self.policy.is_exhausted(self.status.attempt):
                    raise error  # run() reports it (an attempt cap was set)
                await self.wait_before_retry(error, None)
                try:
                    await restarter.restart(client, resource, timeout_s=ICE_RESTART_TIMEOUT_S)
                except OutputError as restart_error:
                    if restart_error.status is None and restart_error.reason in (StopReason.UNREACHABLE, StopReason.TIMEOUT):
                        error = restart_error  # no answer: the network is still gone, try again
                        continue
                    # Refused (the session is gone: 404/403, no PATCH support) or no ICE pair:
                    # a fresh session decides (its POST tells a revoked token from a lost one).
                    log.info("ICE restart did not work (%s); starting a new WHIP session", restart_error)
                    raise error from None
                break
            self.went_live("ice_restart")
            self.set_state(OutputState.LIVE)
            on_live_again()  # the server's decoder lost packets: start clean

    def _ice_restarter(self, pc: Any, resource: Any) -> Any:
        """An ICE restarter for this session, or None (server without PATCH support, restart
        disabled, or an aiortc whose internals the adapter does not know)."""
        if not self.policy.ice_restart or resource is None or not getattr(resource, "supports_ice_restart", False):
            return None
        try:
            from studio.outputs.aiortc_adapter.ice_restart import IceRestarter
        except ImportError:
            return None
        return IceRestarter.for_connection(pc, allow_loopback=self.allow_loopback)


__all__ = ["CLOSE_TIMEOUT_S", "DELETE_TIMEOUT_S", "ICE_RESTART_TIMEOUT_S", "ReconnectLoop"]
