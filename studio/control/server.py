"""Control API for assistant devices and automation (aiohttp on its own asyncio loop thread).

Contract (../shared/CONTRACTS.md): ``GET /api/v1/state``, ``GET /api/v1/products``,
``POST /api/v1/products/{sku}/pin``, ``POST /api/v1/products/unpin``, ``GET /api/v1/program.jpg``,
WebSocket ``/api/v1/events``; plus coupons, flash sale, giveaway, comments and run-of-show in the
same style.  Every ``/api/`` request needs ``Authorization: Bearer TOKEN`` (compared in constant
time) or gets 401 and changes nothing.  Browsers cannot set headers on a WebSocket, so the socket
also accepts the token as a ``bearer.TOKEN`` subprotocol; its Origin must be this server's own.
The token never reaches a log: aiohttp's access log is off and errors never echo headers.

This module holds the server (loop thread, security, the event WebSocket); the route table and
its handlers live in :mod:`studio.control.routes`.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from aiohttp import WSMsgType, web

from studio.control.errors import ControlUnavailableError
from studio.control.routes import ControlRoutes
from studio.core.i18n import _
from studio.core.loop_thread import LoopThread
from studio.live.errors import LiveError, NotFoundError

log = logging.getLogger(__name__)

TOKEN_ENV = "BRIDGECAST_CONTROL_TOKEN"
WS_PROTOCOL = "bridgecast.v1"
WS_TOKEN_PREFIX = "bearer."
WS_QUEUE_LIMIT = 2000


def resolve_token(explicit: str | None = None, settings_token: str | None = None) -> str:
    """``--control-token`` beats the environment, which beats settings; else a fresh random token."""
    return explicit or os.environ.get(TOKEN_ENV) or settings_token or secrets.token_urlsafe(24)


class _RateLimiter:
    """Token bucket per client address; cheap enough to run on every request."""

    def __init__(self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate_per_s, self.burst, self.clock = rate_per_s, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate_per_s)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > 10_000:  # forget idle clients
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
        return True


class ControlServer:
    """Serve the control API and the assistant page for one ``LiveShow``.

    ``start()`` blocks until the socket listens (``url`` is then valid); ``stop()`` joins the thread.
    """

    def __init__(self, live_show: Any, studio: Any | None = None, host: str = "127.0.0.1", port: int = 0,
                 token: str | None = None, allowed_origins: tuple[str, ...] = (), rate_per_s: float = 30.0,
                 burst: int = 120) -> None:
        self.live = live_show
        self.studio = studio
        self.host = host
        self.port = port
        self._token = (token or resolve_token()).encode()
        self.allowed_origins = tuple(o.rstrip("/") for o in allowed_origins)
        self._limiter = _RateLimiter(rate_per_s, burst)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: LoopThread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._sockets: set[asyncio.Queue] = set()
        self._executor: ThreadPoolExecutor | None = None
        self.dropped_events = 0

    def __repr__(self) -> str:  # never show the token
        return f"ControlServer(url={self.url!r})"

    @property
    def token(self) -> str:
        return self._token.decode()

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Listen; raises :class:`ControlUnavailableError` (port in use, …) and then holds no thread."""
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="control-worker")
        self._ready.clear()
        self._loop_thread = LoopThread("control-api")
        try:
            self._loop = self._loop_thread.start(10).loop
            # The bind result travels in the return value; a failed bind leaves its OSError.
            if not self._loop_thread.run(self._serve(), 10):
                raise self._start_error or OSError("the control API did not start")
        except Exception as err:  # port in use, …: report it and hold no thread
            self._start_error = None
            self.stop()
            raise ControlUnavailableError.from_os_error(err, self.host, self.port)
        self.live.event.connect(self._on_event)

    def stop(self) -> None:
        self.live.event.disconnect(self._on_event)
        loop_thread, self._loop_thread = self._loop_thread, None
        if loop_thread is not None:
            if loop_thread.is_running:
                try:
                    loop_thread.run(self._shutdown(), 10)
                except Exception:  # stopping must finish; the loop thread still stops below
                    log.exception("control API shutdown failed")
            loop_thread.stop(10)
            self._loop = None
            log.info("control API stopped")
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def _serve(self) -> bool:
        app = web.Application(middlewares=[self._guard], client_max_size=2 * 1024 * 1024)
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        try:
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        except OSError as err:
            self._start_error = err
            await self._runner.cleanup()
            self._ready.set()
            return False
        self._ready.set()
        return True

    async def _shutdown(self) -> None:
        for queue in list(self._sockets):
            queue.put_nowait(None)
        if self._runner is not None:
            await self._runner.cleanup()

    # -- events to WebSockets ------------------------------------------------------------------
    def _on_event(self, event: dict[str, Any]) -> None:
        loop = self._loop
        if not self._sockets:  # nobody listening: skip the JSON work on the emitting thread
            return
        if loop is not None and not loop.is_closed():
            text = json.dumps(event, ensure_ascii=False)
            try:
                loop.call_soon_threadsafe(self._fan_out, text)
            except RuntimeError:  # loop closing
                pass

    def _fan_out(self, text: str) -> None:
        for queue in self._sockets:
            if queue.full():  # a slow tablet loses the oldest events, not the show
                queue.get_nowait()
                self.dropped_events += 1
            queue.put_nowait(text)

    # -- security --------------------------------------------------------------------------------
    def _is_token(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self._token)

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer " and self._is_token(header[7:].strip()):
            return True
        if request.path == "/api/v1/events":
            for proto in request.headers.get("Sec-WebSocket-Protocol", "").split(","):
                proto = proto.strip()
                if proto.startswith(WS_TOKEN_PREFIX) and self._is_token(proto[len(WS_TOKEN_PREFIX):]):
                    return True
        return False

    def _origin_ok(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:  # not a browser (curl, automation)
            return True
        origin = origin.rstrip("/")
        return origin == f"{request.scheme}://{request.host}" or origin in self.allowed_origins

    @web.middleware
    async def _guard(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        peer = request.remote or "?"
        if not self._limiter.allow(peer):
            return web.json_response({"error": _("Too many requests; slow down.")}, status=429)
        if request.path.startswith("/api/"):
            if not self._authorized(request):
                return web.json_response({"error": _("Missing or wrong control token.")}, status=401,
                                         headers={"WWW-Authenticate": "Bearer"})
            if not self._origin_ok(request):
                return web.json_response({"error": _("Requests from another site are not allowed.")}, status=403)
        try:
            response = await handler(request)
        except NotFoundError as err:
            return web.json_response({"error": err.message}, status=404)
        except LiveError as err:
            return web.json_response({"error": err.message}, status=400)
        if isinstance(response, web.Response):
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    # -- routes ----------------------------------------------------------------------------------
    def _add_routes(self, app: web.Application) -> None:
        ControlRoutes(self.live, self.studio, self._offload).add_to(app.router)
        app.router.add_get("/api/v1/events", self._events)

    async def _offload(self, fn: Callable[[], Any]) -> Any:
        # SQLite commits and overlay renders stay off the event loop.
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def _events(self, request: web.Request) -> web.WebSocketResponse:
        offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        ws = web.WebSocketResponse(protocols=(WS_PROTOCOL,) if WS_PROTOCOL in offered else (), heartbeat=20)
        await ws.prepare(request)
        queue: asyncio.Queue = asyncio.Queue(maxsize=WS_QUEUE_LIMIT)
        snapshot = await self._offload(self.live.snapshot)
        await ws.send_str(json.dumps({"seq": 0, "t": time.time(), "type": "state", "data": snapshot}, ensure_ascii=False))
        self._sockets.add(queue)

        async def pump() -> None:
            while True:
                text = await queue.get()
                if text is None:
                    await ws.close()
                    return
                await ws.send_str(text)

        sender = asyncio.create_task(pump())
        try:
            async for message in ws:  # the client only pings; commands go over HTTP
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            self._sockets.discard(queue)
            sender.cancel()
            try:
                await sender
            except (asyncio.CancelledError, ConnectionError):
                pass
        return ws
