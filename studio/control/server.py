"""Control API for assistant devices and automation (aiohttp on its own asyncio loop thread).

Contract (../shared/CONTRACTS.md): ``GET /api/v1/state``, ``GET /api/v1/products``,
``POST /api/v1/products/{sku}/pin``, ``POST /api/v1/products/unpin``, ``GET /api/v1/program.jpg``,
WebSocket ``/api/v1/events``; plus coupons, flash sale, giveaway, comments and run-of-show in the
same style.  Every ``/api/`` request needs ``Authorization: Bearer TOKEN`` (compared in constant
time) or gets 401 and changes nothing.  Browsers cannot set headers on a WebSocket, so the socket
also accepts the token as a ``bearer.TOKEN`` subprotocol; its Origin must be this server's own.
The token never reaches a log: aiohttp's access log is off and errors never echo headers.
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
from pathlib import Path
from typing import Any, Callable

import cv2
from aiohttp import WSMsgType, web

from studio.control.errors import ControlUnavailableError
from studio.control.page import strings_js
from studio.core.i18n import _
from studio.core.loop_thread import LoopThread
from studio.live.errors import LiveError, NotFoundError

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "web"
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
        r = app.router
        r.add_get("/", self._page)
        r.add_get("/assistant", self._page)
        r.add_get("/assets/{name}", self._asset)
        r.add_get("/api/v1/state", self._state)
        r.add_get("/api/v1/products", self._products)
        r.add_get("/api/v1/catalog/errors", self._catalog_errors)
        r.add_post("/api/v1/products/unpin", self._call(lambda live, body, m: live.shelf.unpin()))
        r.add_post("/api/v1/products/{sku}/pin", self._call(lambda live, body, m: live.shelf.pin(m["sku"])))
        r.add_get("/api/v1/program.jpg", self._program)
        r.add_get("/api/v1/events", self._events)
        r.add_post("/api/v1/coupons", self._call(lambda live, body, m: live.coupons.create(**_pick(body, (
            "code", "kind", "value", "quantity", "per_viewer_cap", "starts_at", "ends_at", "is_referral", "currency")))))
        r.add_post("/api/v1/coupons/hide", self._call(lambda live, body, m: live.coupons.show(None)))
        r.add_post("/api/v1/coupons/{code}/show", self._call(lambda live, body, m: live.coupons.show(m["code"])))
        r.add_post("/api/v1/coupons/{code}/end", self._call(lambda live, body, m: live.coupons.end(m["code"])))
        r.add_post("/api/v1/coupons/{code}/claim", self._call(lambda live, body, m: live.coupons.claim(
            m["code"], _required(body, "viewer"), body.get("invited_by"))))
        r.add_post("/api/v1/flash-sale", self._call(lambda live, body, m: live.flash_sale.start(
            _required(body, "sku"), _required(body, "stock"), **_pick(body, ("price", "preroll_s", "window_s", "per_buyer_cap")))))
        r.add_post("/api/v1/flash-sale/stop", self._call(lambda live, body, m: live.flash_sale.stop()))
        r.add_post("/api/v1/flash-sale/clear", self._call(lambda live, body, m: live.flash_sale.clear()))
        r.add_post("/api/v1/flash-sale/purchase", self._call(lambda live, body, m: live.flash_sale.purchase(
            _required(body, "buyer"), body.get("quantity", 1))))
        r.add_post("/api/v1/giveaway", self._call(lambda live, body, m: live.giveaway.open(
            _required(body, "keyword"), body.get("prize", ""), body.get("winners", 1), body.get("conditions"))))
        r.add_post("/api/v1/giveaway/draw", self._call(lambda live, body, m: live.giveaway.draw(body.get("count"))))
        r.add_post("/api/v1/giveaway/close", self._call(lambda live, body, m: live.giveaway.close()))
        r.add_get("/api/v1/comments", self._comments)
        r.add_post("/api/v1/comments", self._call(self._inbound_comments))
        r.add_post("/api/v1/comments/{id}", self._call(lambda live, body, m: live.comments.update(
            m["id"], **_pick(body, ("is_question", "is_hidden", "is_answered")))))
        r.add_post("/api/v1/comments/{id}/answer", self._call(lambda live, body, m: live.comments.pin_answer(m["id"], _required(body, "answer"))))
        r.add_post("/api/v1/comments/{id}/reply", self._call(lambda live, body, m: live.comments.reply(
            m["id"], **_pick(body, ("reply_id", "text", "pin")))))
        r.add_get("/api/v1/quick-replies", self._quick_replies)
        r.add_post("/api/v1/quick-replies", self._call(lambda live, body, m: live.quick_replies.save(
            _required(body, "text"), body.get("title", ""), body.get("id"))))
        r.add_post("/api/v1/quick-replies/{id}/delete", self._call(lambda live, body, m: live.quick_replies.delete(m["id"])))
        r.add_post("/api/v1/answer/unpin", self._call(lambda live, body, m: live.comments.unpin_answer()))
        r.add_post("/api/v1/users/{user}/block", self._call(lambda live, body, m: live.comments.block_user(m["user"], bool(body.get("is_blocked", True)))))
        r.add_post("/api/v1/segments", self._call(lambda live, body, m: live.rundown.set(_required(body, "segments"))))
        r.add_post("/api/v1/segments/next", self._call(lambda live, body, m: live.rundown.advance()))

    async def _offload(self, fn: Callable[[], Any]) -> Any:
        # SQLite commits and overlay renders stay off the event loop.
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def _call(self, action: Callable[[Any, dict, Any], Any]) -> Callable:
        async def handler(request: web.Request) -> web.Response:
            body: Any = {}
            if request.can_read_body:
                try:
                    body = await request.json()
                except (json.JSONDecodeError, UnicodeDecodeError):
                    raise LiveError(_("The request body is not valid JSON.")) from None
            if body is None:
                body = {}
            if not isinstance(body, (dict, list)):
                raise LiveError(_("The request body must be a JSON object."))
            try:
                result = await self._offload(lambda: action(self.live, body, request.match_info))
            except TypeError:  # a field of the wrong shape (e.g. a list where a number belongs)
                log.warning("bad request body for %s", request.path, exc_info=True)
                raise LiveError(_("The request has a field of the wrong type.")) from None
            return web.json_response({"ok": True, "event": result})
        return handler

    @staticmethod
    def _inbound_comments(live: Any, body: Any, _match: Any) -> dict[str, Any]:
        items = body if isinstance(body, list) else [body]
        accepted = 0
        errors = []
        for index, item in enumerate(items):
            try:
                if live.comments.add(item) is not None:
                    accepted += 1
            except LiveError as err:
                errors.append({"index": index, "error": err.message})
        return {"accepted": accepted, "errors": errors}

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(await self._offload(self.live.snapshot))

    async def _products(self, request: web.Request) -> web.Response:
        # The contract's body is the catalog itself: a JSON array of products.
        return web.json_response(await self._offload(self.live.shelf.to_json))

    async def _quick_replies(self, request: web.Request) -> web.Response:
        return web.json_response({"quick_replies": self.live.quick_replies.to_json()})

    async def _catalog_errors(self, request: web.Request) -> web.Response:
        return web.json_response({"errors": self.live.shelf.catalog_errors})

    async def _comments(self, request: web.Request) -> web.Response:
        only_questions = request.query.get("questions") in ("1", "true")
        limit = max(1, min(1000, int(request.query.get("limit", "200")) if request.query.get("limit", "200").isdigit() else 200))
        return web.json_response({"comments": await self._offload(lambda: self.live.comments.recent(only_questions, limit=limit))})

    async def _program(self, request: web.Request) -> web.Response:
        def encode() -> bytes | None:
            if self.studio is None:
                return None
            frame = self.studio.compositor.latest_program()
            if frame is None:
                return None
            ok, data = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, 80])
            return data.tobytes() if ok else None

        data = await self._offload(encode)
        if data is None:
            return web.json_response({"error": _("No program frame yet.")}, status=503)
        return web.Response(body=data, content_type="image/jpeg")

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

    async def _page(self, request: web.Request) -> web.StreamResponse:
        return self._file("assistant.html")

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name == "strings.js":
            response = web.Response(body=strings_js(), content_type="text/javascript", charset="utf-8")
            response.headers["Content-Security-Policy"] = "default-src 'none'"
            return response
        if name not in ("assistant.js", "assistant.css"):
            raise web.HTTPNotFound()
        return self._file(name)

    @staticmethod
    def _file(name: str) -> web.StreamResponse:
        types = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
        path = WEB_DIR / name
        response = web.Response(body=path.read_bytes(), content_type=types[path.suffix], charset="utf-8")
        response.headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
        return response


def _pick(body: Any, names: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise LiveError(_("The request body must be a JSON object."))
    return {name: body[name] for name in names if name in body}


def _required(body: Any, name: str) -> Any:
    if not isinstance(body, dict) or body.get(name) in (None, ""):
        raise LiveError(_("“{field}” is required.").format(field=name))
    return body[name]
