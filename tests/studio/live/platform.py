"""A real HTTP "platform" that receives webhook POSTs (aiohttp on its own loop thread)."""
from __future__ import annotations

import asyncio
import json
import threading

from aiohttp import web


class FlakyPlatform:
    """A real HTTP server on its own loop thread that refuses the first ``failures`` requests."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict, dict]] = []
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="fake-platform")
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=503)
        self.received.append((json.loads(body), dict(request.headers), body))
        return web.Response(status=204)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        runner = web.AppRunner(app, access_log=None)
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self.runner = runner
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    def __enter__(self):
        self.thread.start()
        self.ready.wait(5)
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def wait_for(self, event_type: str, timeout_s: float = 10.0) -> dict:
        """The first received event of ``event_type`` (AssertionError after ``timeout_s``)."""
        import time

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for event, _headers, _body in list(self.received):
                if event.get("type") == event_type:
                    return event
            time.sleep(0.02)
        raise AssertionError(f"no {event_type} event; got {[e.get('type') for e, _h, _b in self.received]}")
