"""Send live events to a platform webhook: retried with backoff, never blocking the show.

``WebhookDelivery(url).attach(live_show)`` forwards every event (the JSON of
``resources/schemas/live-events.schema.json``).  Events wait in a bounded queue; when the
platform is down longer than the queue lasts, the oldest are dropped and counted — the
journal in SQLite still has them all.
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import hashlib
import hmac
import json
import logging
import threading
import time
from typing import Any

from urllib.parse import urlsplit

import aiohttp

from studio.core.i18n import _
from studio.core.loop_thread import LoopThread
from studio.live.errors import LiveError

log = logging.getLogger(__name__)


def validate_webhook_url(url: str) -> str:
    """The address stripped, or :class:`LiveError` in words when it is not an http(s) URL with a host."""
    url = str(url or "").strip()
    try:
        parts = urlsplit(url)
        has_host = bool(parts.hostname)
    except ValueError:  # e.g. a malformed IPv6 literal
        has_host = False
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not has_host:
        raise LiveError(_("The webhook address must start with https:// (or http://) and name a server."))
    return url


class WebhookDelivery:
    """POST each event as JSON; 2xx = delivered, anything else is retried up to ``max_attempts``.

    With ``secret`` each request carries ``X-Bridgecast-Signature: sha256=HMAC(secret, body)``
    so the platform can check the sender.
    """

    def __init__(self, url: str, secret: str | None = None, max_attempts: int = 5, first_backoff_s: float = 0.5,
                 timeout_s: float = 5.0, queue_limit: int = 10_000) -> None:
        self.url = url
        self._secret = secret.encode() if secret else None
        self.max_attempts = max_attempts
        self.first_backoff_s = first_backoff_s
        self.timeout_s = timeout_s
        self._queue: collections.deque[dict[str, Any]] = collections.deque(maxlen=queue_limit)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._loop_thread: LoopThread | None = None
        self._done: concurrent.futures.Future[None] | None = None
        self._live: Any = None
        self.delivered = 0
        self.failed = 0
        self.dropped = 0
        self._drain_deadline_s = 2.0

    def attach(self, live_show: Any) -> "WebhookDelivery":
        self._live = live_show
        live_show.event.connect(self.submit)
        self._loop_thread = LoopThread("webhook-delivery").start()
        self._done = self._loop_thread.submit(self._run())
        return self

    def submit(self, event: dict[str, Any]) -> None:
        """Called on the emitting thread: O(1), never waits for the network."""
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(event)
        self._wake.set()

    def stop(self, drain_timeout_s: float = 2.0) -> None:
        if self._live is not None:
            self._live.event.disconnect(self.submit)
        self._drain_deadline_s = drain_timeout_s
        self._stop.set()
        self._wake.set()
        loop_thread, self._loop_thread = self._loop_thread, None
        if loop_thread is not None:
            budget_s = drain_timeout_s + self.timeout_s + 1
            deadline = time.monotonic() + budget_s
            if self._done is not None:
                concurrent.futures.wait([self._done], timeout=budget_s)  # it drains, then ends
            loop_thread.stop(max(deadline - time.monotonic(), 0.5))

    async def _run(self) -> None:
        try:
            await self._main()
        except Exception:
            log.exception("webhook delivery stopped unexpectedly")
        finally:
            log.info("webhook delivery stopped (delivered %d, failed %d, dropped %d)", self.delivered, self.failed, self.dropped)

    async def _main(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        loop = asyncio.get_running_loop()
        stop_deadline: float | None = None
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                if self._stop.is_set():
                    stop_deadline = stop_deadline or loop.time() + self._drain_deadline_s
                    if loop.time() > stop_deadline:  # shutting down: what is left stays in the journal only
                        self.dropped += len(self._queue)
                        self._queue.clear()
                        return
                if not self._queue:
                    if self._stop.is_set():
                        return
                    await asyncio.get_running_loop().run_in_executor(None, self._wake.wait, 0.5)
                    self._wake.clear()
                    continue
                event = self._queue.popleft()
                await self._deliver(session, event)

    async def _deliver(self, session: aiohttp.ClientSession, event: dict[str, Any]) -> None:
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-Bridgecast-Event": str(event.get("type", "")),
                   "Idempotency-Key": f"{event.get('seq')}"}
        if self._secret is not None:
            headers["X-Bridgecast-Signature"] = "sha256=" + hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        backoff = self.first_backoff_s
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with session.post(self.url, data=body, headers=headers) as response:
                    if 200 <= response.status < 300:
                        self.delivered += 1
                        return
                    reason = f"HTTP {response.status}"
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as err:
                reason = type(err).__name__
            if attempt == self.max_attempts or self._stop.is_set():
                break
            log.info("webhook delivery of event %s failed (%s); retry %d in %.1f s", event.get("seq"), reason, attempt, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
        self.failed += 1
        log.warning("webhook gave up on event %s after %d attempts (%s)", event.get("seq"), attempt, reason)
