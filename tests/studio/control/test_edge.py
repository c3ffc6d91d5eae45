"""The control API's edge against a real server: Host (DNS rebinding), token bytes, body size,
rate limits, the event socket's limits, weak tokens and the show database's file mode."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import stat

import aiohttp
import pytest

from studio.control import ControlServer
from studio.control.edge import MAX_BODY_BYTES, WS_MAX_MESSAGES_PER_S, HostCheck, RateLimiter, host_name, token_warning
from studio.live.store import LiveStore
from tests.studio.control.conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def run(coro):
    return asyncio.run(coro)


async def _request(method, url, headers=None, body=None, data=None):
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url, headers=headers or {}, json=body, data=data) as response:
            raw = await response.read()
            is_json = "json" in response.headers.get("Content-Type", "")
            return response.status, (json.loads(raw) if is_json else raw), response.headers


async def _raw_request(server, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP/1.1 request written byte for byte (headers a client library would refuse to send)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(head + b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    await writer.drain()
    response = await reader.read()
    writer.close()
    status_line, _, rest = response.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def test_host_header_must_name_this_computer(server, live):
    before = live.store.count_events()
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1.evil.example", "192.0.2.7"):
        status, body, _ = run(_request("POST", server.url + "/api/v1/products/SKU-1/pin", AUTH | {"Host": host}))
        assert status == 403 and "Host" in body["error"], host
    status, body, _ = run(_request("GET", server.url + "/", {"Host": "rebound.example"}))
    assert status == 403  # the page too: a rebound page never loads from us
    assert live.store.count_events() == before and live.shelf.pinned_sku is None
    for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}", "LOCALHOST.", "[::1]:8765", "127.1.2.3"):
        assert run(_request("GET", server.url + "/api/v1/state", AUTH | {"Host": host}))[0] == 200, host


def test_host_check_with_lan_access_takes_this_computers_addresses_only():
    addresses = {"192.168.1.20", "fe80::1"}
    lookups = []
    check = HostCheck("0.0.0.0", addresses=lambda: lookups.append(1) or addresses, clock=lambda: 100.0)
    assert check.allows("192.168.1.20:8765") and check.allows("[fe80::1]:8765") and check.allows("localhost")
    assert not check.allows("192.168.1.21:8765") and not check.allows("studio.example:8765") and not check.allows(None)
    assert len(lookups) == 1  # an unknown address looks again at most every few seconds, not per request
    assert not HostCheck("127.0.0.1").allows("192.168.1.20") and HostCheck("192.168.1.20").allows("192.168.1.20:80")
    assert host_name("[::1]:80") == "::1" and host_name("Example.COM.:80") == "example.com"


def test_token_bytes_that_are_not_ascii_or_utf8_get_401_not_500(server, live):
    async def scenario():
        answers = []
        for token in ("tést-token".encode(), b"\xff\xfe\x80", TOKEN.encode() + b"\xc3"):
            head = b"GET /api/v1/state HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
            answers.append(await _raw_request(server, head))
        return answers
    for status, body in run(scenario()):
        assert status == 401 and json.loads(body)["error"]


def test_a_non_ascii_server_token_works(live, studio):
    control = ControlServer(live, studio, token="clé-du-studio-très-longue")
    control.start()
    try:
        head = b"GET /api/v1/state HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + "clé-du-studio-très-longue".encode()
        assert run(_raw_request(control, head))[0] == 200
    finally:
        control.stop()


def test_body_over_the_limit_gets_413_in_words_and_changes_nothing(server, live):
    before = live.store.count_events()
    big = {"keyword": "win", "prize": "x" * 10, "conditions": {"excluded_users": ["v" * 60] * (MAX_BODY_BYTES // 60)}}
    status, body, _ = run(_request("POST", server.url + "/api/v1/giveaway", AUTH, big))
    assert status == 413 and "KiB" in body["error"]

    async def chunked():  # no Content-Length: the limit holds while reading
        async def parts():
            for _ in range(MAX_BODY_BYTES // 1024 + 2):
                yield b" " * 1024
        async with aiohttp.ClientSession() as session:
            async with session.post(server.url + "/api/v1/comments", headers=AUTH, data=parts()) as response:
                return response.status, await response.json()
    status, body = run(chunked())
    assert status == 413 and body["error"]
    assert live.store.count_events() == before and live.giveaway.current is None


def test_rate_limit_says_when_to_come_back(live, studio):
    control = ControlServer(live, studio, token=TOKEN, rate_per_s=0.5, burst=2)
    control.start()
    try:
        answers = [run(_request("GET", control.url + "/api/v1/state", AUTH)) for _ in range(3)]
        assert [a[0] for a in answers] == [200, 200, 429]
        assert answers[2][1]["error"] and int(answers[2][2]["Retry-After"]) == 2
    finally:
        control.stop()
    clock = [0.0]
    limiter = RateLimiter(rate_per_s=1.0, burst=1, clock=lambda: clock[0])
    assert limiter.wait_s("a") == 0 and limiter.wait_s("a") == 1 and limiter.wait_s("b") == 0
    clock[0] = 1.0
    assert limiter.wait_s("a") == 0


def test_event_socket_limits_size_and_rate(server):
    async def scenario():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(server.url + "/api/v1/events", headers=AUTH) as ws:
                await ws.receive_json(timeout=5)
                await ws.send_str("x" * 10_000)
                closed = await ws.receive(timeout=5)
                big = (closed.type, ws.close_code)
            async with session.ws_connect(server.url + "/api/v1/events", headers=AUTH) as ws:
                await ws.receive_json(timeout=5)
                for _ in range(WS_MAX_MESSAGES_PER_S + 5):
                    await ws.send_str("ping")
                closed = await ws.receive(timeout=5)
                while closed.type == aiohttp.WSMsgType.TEXT:  # events may still arrive first
                    closed = await ws.receive(timeout=5)
                many = (closed.type, ws.close_code)
            async with session.get(server.url + "/api/v1/events", headers=AUTH) as response:
                plain = response.status, await response.json()
        return big, many, plain
    big, many, plain = run(scenario())
    assert big == (aiohttp.WSMsgType.CLOSE, aiohttp.WSCloseCode.MESSAGE_TOO_BIG)
    assert many == (aiohttp.WSMsgType.CLOSE, aiohttp.WSCloseCode.POLICY_VIOLATION)
    assert plain[0] == 426 and "WebSocket" in plain[1]["error"]


@pytest.mark.parametrize("token, is_weak", [("x", True), ("secret", True), ("aaaaaaaaaaaaaaaaaaaa", True),
                                            ("abababababababababab", True), ("kP3-v9Qz_77mW2xRtL0a", False)])
def test_weak_tokens_are_accepted_with_a_warning(token, is_weak):
    warning = token_warning(token)
    assert (warning is not None) == is_weak
    if warning:
        assert warning.startswith("warning:") and "16" in warning and token not in warning.replace("warning", "")


def test_a_one_character_token_works_and_is_warned_about_without_showing_it(live, studio, caplog):
    caplog.set_level(logging.WARNING)
    control = ControlServer(live, studio, token="7")
    control.start()
    try:
        assert control.token_warning and "1 character)" in control.token_warning
        assert run(_request("GET", control.url + "/api/v1/state", {"Authorization": "Bearer 7"}))[0] == 200
        assert run(_request("GET", control.url + "/api/v1/state", {"Authorization": "Bearer 8"}))[0] == 401
        assert "weak" in caplog.text and "Bearer 7" not in caplog.text
    finally:
        control.stop()


def test_show_database_and_its_side_files_are_owner_only(tmp_path):
    path = tmp_path / "live" / "show.db"
    store = LiveStore(path)
    store.append("giveaway.opened", {"commitment": "c"}, {"giveaway": {"seed": "s3cr3t"}})
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["show.db", "show.db-shm", "show.db-wal"]
    for name in files:
        assert stat.S_IMODE(os.stat(path.parent / name).st_mode) == 0o600, name
    archive = store.archive_to(tmp_path / "shows" / "old.db")
    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600
    with pytest.raises(FileExistsError):
        store.archive_to(archive)
    store.close()


def test_an_old_world_readable_show_database_is_made_owner_only(tmp_path):
    path = tmp_path / "show.db"
    LiveStore(path).close()
    for suffix in ("", "-wal"):
        (tmp_path / ("show.db" + suffix)).touch()
        os.chmod(tmp_path / ("show.db" + suffix), 0o644)
    store = LiveStore(path)
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(tmp_path / "show.db-wal").st_mode) == 0o600
    finally:
        store.close()


def test_bridgecast_live_warns_about_a_weak_control_token_and_runs(tmp_path):
    from studio.headless import LiveOptions, run_live

    lines: list[str] = []
    options = LiveOptions(canvas=(320, 180), fps=15, layers=("h",), has_audio=False, duration_s=1, control_port=0,
                          control_token="Q", show_db=tmp_path / "show.db")
    assert run_live(options, err=lines.append) == 0, lines
    assert len(lines) == 1 and lines[0].startswith("warning: the control token is weak (it has only 1 character)"), lines
