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
import json
import logging
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from aiohttp import WSCloseCode, WSMsgType, web

from studio.control.edge import (MAX_BODY_BYTES, WS_MAX_MESSAGE_BYTES, WS_MAX_MESSAGES_PER_S, HostCheck, RateLimiter,
                                 same_token, token_warning)
from studio.control.errors import ControlUnavailableError
from studio.control.routes import JSON_BODY, ControlRoutes
from studio.control.validation import ApiDescription
from studio.core.i18n import _
from studio.core.loop_thread import LoopThread
from studio.live.errors import LiveError, NotFoundError

log = logging.getLogger(__name__)

TOKEN_ENV = "BRIDGECAST_CONTROL_TOKEN"
WS_PROTOCOL = "bridgecast.v1"
WS_TOKEN_PREFIX = "bearer."
WS_QUEUE_LIMIT = 2000
# The one /api/ document served without the token (see the document's own description).
PUBLIC_DOCUMENT = "/api/v1/openapi.json"


def resolve_token(explicit: str | None = None, settings_token: str | None = None) -> str:
    """``--control-token`` beats the environment, which beats settings; else a fresh random token."""
    return explicit or os.environ.get(TOKEN_ENV) or settings_token or secrets.token_urlsafe(24)


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
        token = token or resolve_token()
        self._token = token.encode()
        # Words for a guessable token (None when strong); the token itself is never logged.
        self.token_warning = token_warning(token)
        if self.token_warning:
            log.warning("%s", self.token_warning)
        self.allowed_origins = tuple(o.rstrip("/") for o in allowed_origins)
        self._limiter = RateLimiter(rate_per_s, burst)
        self._hosts = HostCheck(host)
        self._api = ApiDescription.load()
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
        app = web.Application(middlewares=[self._guard], client_max_size=MAX_BODY_BYTES)
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
        return same_token(candidate, self._token)

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
        """Every request passes here: Host, budget, token, Origin, size, then the API document; a
        refusal answers in words before the handler (and so the show) sees the request."""
        if not self._hosts.allows(request.headers.get("Host")):
            return _error(403, _("This server answers only to its own address (the Host header names another)."))
        wait_s = self._limiter.wait_s(request.remote or "?")
        if wait_s:
            return _error(429, _("Too many requests; slow down."), {"Retry-After": str(wait_s)})
        is_api = request.path.startswith("/api/")
        if is_api and request.path != PUBLIC_DOCUMENT:
            if not self._authorized(request):
                return _error(401, _("Missing or wrong control token."), {"WWW-Authenticate": "Bearer"})
            if not self._origin_ok(request):
                return _error(403, _("Requests from another site are not allowed."))
        try:
            refusal = await self._check_shape(request)
            if refusal is not None:
                return refusal
            response = await handler(request)
        except NotFoundError as err:
            return _error(404, err.message)
        except LiveError as err:
            return _error(400, err.message)
        except web.HTTPRequestEntityTooLarge:
            return _too_large()
        except web.HTTPException as err:  # aiohttp's own 404/405/…: the same JSON in words as ours
            if err.status < 400:
                raise
            return _error(err.status, _("No such request in the control API (see /api/v1/openapi.json).")
                          if err.status in (404, 405) else err.reason)
        if isinstance(response, web.Response):
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    async def _check_shape(self, request: web.Request) -> web.Response | None:
        """None when the request matches the API document (its JSON body is then in
        ``request[JSON_BODY]``), else the refusal; raises :class:`LiveError` in words."""
        resource = request.match_info.route.resource
        operation = None if resource is None else self._api.operation(request.method, resource.canonical)
        if operation is None:
            return None
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _too_large()
        raw = await request.read() if request.method != "GET" and request.can_read_body else None
        path_params, query = dict(request.match_info), list(request.query.items())
        body = await self._offload(lambda: self._api.check(operation, path_params, query, raw))
        request[JSON_BODY] = body
        return None

    # -- routes ----------------------------------------------------------------------------------
    def _add_routes(self, app: web.Application) -> None:
        ControlRoutes(self.live, self.studio, self._offload).add_to(app.router)
        app.router.add_get("/api/v1/events", self._events)

    async def _offload(self, fn: Callable[[], Any]) -> Any:
        # SQLite commits and overlay renders stay off the event loop.
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        ws = web.WebSocketResponse(protocols=(WS_PROTOCOL,) if WS_PROTOCOL in offered else (), heartbeat=20,
                                   max_msg_size=WS_MAX_MESSAGE_BYTES)
        if not ws.can_prepare(request).ok:
            return _error(426, _("This address is a WebSocket: connect with a WebSocket client."), {"Upgrade": "websocket"})
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
        window_start, count = time.monotonic(), 0
        try:
            async for message in ws:  # the client only pings; commands go over HTTP
                if message.type == WSMsgType.ERROR:  # e.g. over WS_MAX_MESSAGE_BYTES: aiohttp closed it (1009)
                    break
                now = time.monotonic()
                if now - window_start >= 1.0:
                    window_start, count = now, 0
                count += 1
                if count > WS_MAX_MESSAGES_PER_S:
                    await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"too many messages")
                    break
        finally:
            self._sockets.discard(queue)
            sender.cancel()
            try:
                await sender
            except (asyncio.CancelledError, ConnectionError):
                pass
        return ws


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    response = web.json_response({"error": message}, status=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def _too_large() -> web.Response:
    return _error(413, _("The request is larger than {size} KiB; nothing was changed.").format(size=MAX_BODY_BYTES // 1024))
