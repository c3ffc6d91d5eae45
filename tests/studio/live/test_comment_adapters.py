from __future__ import annotations

import asyncio
import json
import threading
import time

from aiohttp import web

from studio.live import LiveShow
from studio.live.comments import CommentSimulator, WebSocketCommentAdapter, parse_generic


def test_parse_generic_field_names():
    assert parse_generic({"comment_id": 5, "nickname": "李", "content": " 包邮吗 "})["text"] == "包邮吗"
    assert parse_generic({"author": {"id": "u9"}, "message": "hi"})["user"] == "u9"


def test_simulator_is_repeatable():
    a, b = CommentSimulator(seed=7), CommentSimulator(seed=7)
    assert [a.make_comment()["text"] for _ in range(5)] == [b.make_comment()["text"] for _ in range(5)]


def test_websocket_adapter_reads_platform_stream(tmp_path, clock):
    ready, done = threading.Event(), threading.Event()
    loop = asyncio.new_event_loop()
    port = {}

    async def stream(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps([{"id": "1", "user": "ann", "text": "price?"}, {"user": "bad"}]))
        await ws.send_str("not json")
        await ws.send_str(json.dumps({"id": "2", "user": "bob", "text": "hello"}))
        await ws.close()
        return ws

    def serve():
        asyncio.set_event_loop(loop)
        app = web.Application()
        app.router.add_get("/ws", stream)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port["n"] = site._server.sockets[0].getsockname()[1]
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()
        done.set()

    server = threading.Thread(target=serve, name="fake-platform-ws")
    server.start()
    ready.wait(5)
    show = LiveShow(None, tmp_path / "show.db", clock=clock)
    adapter = WebSocketCommentAdapter(f"http://127.0.0.1:{port['n']}/ws")
    try:
        show.add_comment_adapter(adapter)
        deadline = time.monotonic() + 10
        while len(show.comments.by_id) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert list(show.comments.by_id) == ["1", "2"]
        assert adapter.rejected >= 2  # the bad item and the non-JSON message (again on each reconnect)
    finally:
        show.stop()
        loop.call_soon_threadsafe(loop.stop)
        server.join(5)
