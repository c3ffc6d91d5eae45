"""An aiohttp server on its own loop thread that can go down and come back on the same port."""
from __future__ import annotations

import threading
from typing import Any

from aiohttp import web

from studio.core.loop_thread import LoopThread


class StandInServer:
    """Base: subclasses build their routes in :meth:`make_app` (a fresh app per start)."""

    name = "platform-standin"

    def __init__(self) -> None:
        self.port = 0
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, path, query) — no headers, no tokens
        self._loop_thread: LoopThread | None = None
        self._runner: web.AppRunner | None = None
        self.valid_tokens: set[str] = set()  # the access tokens the platform takes now
        self._devices: dict[str, dict[str, Any]] = {}  # device-code sign-ins under way, by device code

    def make_app(self) -> web.Application:
        raise NotImplementedError

    # -- test controls every stand-in shares ------------------------------------------------------
    def expire_token(self) -> None:
        """Every access token stops working (the client must refresh)."""
        with self.lock:
            self.valid_tokens.clear()

    def expire_device_codes(self) -> None:
        """Every device-code sign-in under way runs out of time."""
        with self.lock:
            for device in self._devices.values():
                device["expires_at"] = 0.0

    def _device_for(self, user_code: str) -> dict[str, Any]:
        """The sign-in waiting for ``user_code`` (call under the lock); KeyError if none."""
        for device in self._devices.values():
            if device["user_code"] == user_code:
                return device
        raise KeyError(user_code)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "StandInServer":
        self._loop_thread = LoopThread(self.name).start()
        self._loop_thread.run(self._listen(), 10)
        return self

    def stop(self) -> None:
        loop_thread, self._loop_thread = self._loop_thread, None
        if loop_thread is not None:
            if self._runner is not None:
                loop_thread.run(self._close(), 10)
            loop_thread.stop()

    def go_down(self) -> None:
        """The platform goes away: every connection drops and new ones are refused."""
        assert self._loop_thread is not None
        self._loop_thread.run(self._close(), 10)

    def come_back(self) -> None:
        """The platform answers again on the same port."""
        assert self._loop_thread is not None
        self._loop_thread.run(self._listen(), 10)

    def call(self, coro_fn, *args):
        """Run ``coro_fn(*args)`` on the server's loop and return its result."""
        assert self._loop_thread is not None
        return self._loop_thread.run(coro_fn(*args), 10)

    @web.middleware
    async def _record(self, request: web.Request, handler):
        with self.lock:
            self.requests.append((request.method, request.path, dict(request.query)))
        return await handler(request)

    async def _listen(self) -> None:
        app = self.make_app()
        app.middlewares.append(self._record)
        # No access log: a platform that takes its token in the URL (Shopee) would have it printed.
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if not self.port:
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await self.before_close()
            await runner.cleanup()

    async def before_close(self) -> None:
        """Close long-lived connections (WebSockets) before the runner goes."""
