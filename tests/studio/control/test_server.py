from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import cv2
import numpy as np
import pytest

from studio.control import ControlServer, resolve_token
from tests.studio.control.conftest import TOKEN, card_match, program_with_picture, wait_frame_after

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def run(coro):
    return asyncio.run(coro)


async def _request(method, url, headers=None, body=None):
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url, headers=headers or {}, json=body) as response:
            data = await response.read()
            ctype = response.headers.get("Content-Type", "")
            return response.status, (json.loads(data) if "json" in ctype else data)


def test_contract_endpoints_and_pin_reaches_program(server, live, studio):
    status, state = run(_request("GET", server.url + "/api/v1/state", AUTH))
    assert status == 200 and state["pinned_sku"] is None and "stream_state" in state and "segment" in state
    status, products = run(_request("GET", server.url + "/api/v1/products", AUTH))
    assert [p["sku"] for p in products] == ["SKU-1", "SKU-2"]
    before = program_with_picture(studio)
    status, body = run(_request("POST", server.url + "/api/v1/products/SKU-1/pin", AUTH))
    assert status == 200 and body["event"]["type"] == "product.pinned"
    # The overlay is set before the response is sent: two ticks later it must be on the program
    # (mid enter-motion: slid and blended exactly as its animation says for that frame) …
    sequence = studio.compositor.latest_program().sequence
    frame = wait_frame_after(studio, sequence)
    overlay = next(o for o in studio.compositor.overlays if o.overlay_id == "live.product")
    assert card_match(before.image, overlay) > 20  # not there before
    assert card_match(frame.image, overlay, frame.capture_ns, before.image) < 12
    # … and at rest, fully opaque in its place, once the 250 ms motion is over.
    time.sleep(overlay.animation.duration_ms / 1000)
    frame = wait_frame_after(studio, studio.compositor.latest_program().sequence)
    assert card_match(frame.image, overlay) < 12
    status, jpeg = run(_request("GET", server.url + "/api/v1/program.jpg", AUTH))
    assert status == 200
    picture = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert picture.shape == (360, 640, 3) and card_match(picture, overlay) < 20
    status, _ = run(_request("POST", server.url + "/api/v1/products/unpin", AUTH))
    assert status == 200 and live.shelf.pinned_sku is None
    leaving = next(o for o in studio.compositor.overlays if o.overlay_id == "live.product")
    assert leaving.is_leaving  # plays its exit motion, then the ticker takes it off
    deadline = time.monotonic() + 3
    while any(o.overlay_id == "live.product" for o in studio.compositor.overlays) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(o.overlay_id == "live.product" for o in studio.compositor.overlays)
    status, body = run(_request("POST", server.url + "/api/v1/products/NOPE/pin", AUTH))
    assert status == 404 and body["error"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": "Basic " + TOKEN}])
def test_without_token_401_and_nothing_changes(server, live, headers):
    journal = live.store.count_events()
    for method, path in [("POST", "/api/v1/products/SKU-1/pin"), ("POST", "/api/v1/products/unpin"), ("GET", "/api/v1/state"),
                         ("GET", "/api/v1/program.jpg"), ("POST", "/api/v1/coupons"), ("GET", "/api/v1/events")]:
        status, body = run(_request(method, server.url + path, headers, {"code": "X1", "kind": "percent", "value": 5} if method == "POST" else None))
        assert status == 401, path
    assert live.shelf.pinned_sku is None and live.coupons.by_code == {} and live.store.count_events() == journal


def test_events_websocket_header_subprotocol_and_origin(server, live):
    async def scenario():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(server.url + "/api/v1/events", headers=AUTH) as ws:
                hello = await ws.receive_json(timeout=5)
                assert hello["type"] == "state"
                async with session.post(server.url + "/api/v1/products/SKU-2/pin", headers=AUTH) as r:
                    assert r.status == 200
                event = await ws.receive_json(timeout=5)
                assert event["type"] == "product.pinned" and event["data"]["sku"] == "SKU-2" and event["seq"] > 0
            origin = {"Origin": server.url}
            async with session.ws_connect(server.url + "/api/v1/events", protocols=("bridgecast.v1", "bearer." + TOKEN), headers=origin) as ws:
                assert ws.protocol == "bridgecast.v1"
                assert (await ws.receive_json(timeout=5))["type"] == "state"
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(server.url + "/api/v1/events", headers={**AUTH, "Origin": "http://evil.example"})
            assert refused.value.status == 403
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(server.url + "/api/v1/events", protocols=("bridgecast.v1", "bearer.nope"))
            assert refused.value.status == 401
    run(scenario())


def test_commerce_endpoints(server, live):
    url = server.url + "/api/v1"
    assert run(_request("POST", url + "/coupons", AUTH, {"code": "SAVE5", "kind": "amount", "value": 5, "quantity": 10}))[0] == 200
    assert run(_request("POST", url + "/coupons/SAVE5/show", AUTH))[0] == 200
    assert run(_request("POST", url + "/coupons/SAVE5/claim", AUTH, {"viewer": "ann"}))[0] == 200
    status, body = run(_request("POST", url + "/coupons/SAVE5/claim", AUTH, {"viewer": "ann"}))
    assert status == 400 and "ann" in body["error"]
    assert run(_request("POST", url + "/coupons", AUTH, {"code": "BAD", "kind": "percent", "value": 500}))[0] == 400
    assert run(_request("POST", url + "/flash-sale", AUTH, {"sku": "SKU-1", "stock": 5, "preroll_s": 10, "window_s": 60}))[0] == 200
    assert run(_request("POST", url + "/flash-sale", AUTH, {"sku": "SKU-1"}))[0] == 400
    assert run(_request("POST", url + "/giveaway", AUTH, {"keyword": "win"}))[0] == 200
    status, body = run(_request("POST", url + "/comments", AUTH, [{"id": "a", "user": "u1", "text": "win please"},
                                                                  {"id": "b", "user": "u2", "text": "price?"}, {"user": "x"}]))
    assert status == 200 and body["event"]["accepted"] == 2 and len(body["event"]["errors"]) == 1
    status, body = run(_request("GET", url + "/comments?questions=1", AUTH))
    assert [c["id"] for c in body["comments"]] == ["b"]
    assert run(_request("POST", url + "/comments/b/answer", AUTH, {"answer": "19.99"}))[0] == 200
    status, body = run(_request("POST", url + "/giveaway/draw", AUTH, {}))
    assert status == 200 and body["event"]["data"]["winners"] == ["u1"]
    assert run(_request("POST", url + "/segments", AUTH, {"segments": [{"name": "Warm-up", "planned_s": 900}]}))[0] == 200
    assert run(_request("POST", url + "/segments/next", AUTH))[0] == 200
    status, state = run(_request("GET", url + "/state", AUTH))
    assert state["segment"]["name"] == "Warm-up" and state["flash_sale"]["phase"] == "preroll"
    assert state["shown_coupon"] == "SAVE5" and state["giveaway"]["seed"]
    assert run(_request("POST", url + "/flash-sale/stop", AUTH))[0] == 200
    assert run(_request("POST", url + "/users/u2/block", AUTH, {"is_blocked": True}))[0] == 200
    status, body = run(_request("POST", url + "/coupons", AUTH | {"Content-Type": "application/json"}, None))
    assert status == 400


def test_assistant_page_served_without_external_urls(server):
    status, html = run(_request("GET", server.url + "/"))
    assert status == 200 and b"/assets/assistant.js" in html
    for name in ("assistant.js", "assistant.css"):
        status, body = run(_request("GET", server.url + "/assets/" + name))
        assert status == 200 and b"http://" not in body and b"https://" not in body
    assert run(_request("GET", server.url + "/assets/../server.py"))[0] == 404
    from studio.core import i18n

    i18n.set_language("zh_CN")
    try:
        status, body = run(_request("GET", server.url + "/assets/strings.js"))
    finally:
        i18n.set_language("en")
    assert status == 200 and "置顶" in body.decode()


def test_rate_limit_and_token_resolution(live, studio, monkeypatch, caplog):
    control = ControlServer(live, studio, token=TOKEN, rate_per_s=0.001, burst=3)
    control.start()
    try:
        statuses = [run(_request("GET", control.url + "/api/v1/state", AUTH))[0] for _ in range(5)]
        assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
        assert TOKEN not in repr(control) and TOKEN not in caplog.text
    finally:
        control.stop()
    monkeypatch.setenv("BRIDGECAST_CONTROL_TOKEN", "from-env")
    assert resolve_token("cli", "settings") == "cli"
    assert resolve_token(None, "settings") == "from-env"
    monkeypatch.delenv("BRIDGECAST_CONTROL_TOKEN")
    assert resolve_token(None, "settings") == "settings"
    assert len(resolve_token()) >= 24


def test_quick_replies_and_giveaway_conditions_over_http(server, live):
    url = server.url + "/api/v1"
    status, body = run(_request("POST", url + "/quick-replies", AUTH, {"title": "Price", "text": "Hi {name}, {product} is {price} today!"}))
    assert status == 200 and body["event"]["type"] == "quick_reply.saved"
    reply_id = body["event"]["data"]["id"]
    status, body = run(_request("POST", url + "/quick-replies", AUTH, {"text": "Hi {nmae}"}))
    assert status == 400 and "{nmae}" in body["error"] and "{name}" in body["error"]
    status, body = run(_request("GET", url + "/quick-replies", AUTH))
    assert [r["id"] for r in body["quick_replies"]] == [reply_id]
    run(_request("POST", url + "/products/SKU-1/pin", AUTH))
    run(_request("POST", url + "/comments", AUTH, {"id": "q1", "user": "Maria", "text": "how much?"}))
    status, body = run(_request("POST", url + "/comments/q1/reply", AUTH, {"reply_id": reply_id, "pin": True}))
    assert status == 200 and body["event"]["data"]["text"] == "Hi Maria, Silk scarf is $19.99 today!"
    assert live.comments.pinned_answer.answer == "Hi Maria, Silk scarf is $19.99 today!"
    assert run(_request("POST", url + f"/quick-replies/{reply_id}/delete", AUTH))[0] == 200
    assert run(_request("POST", url + "/comments/q1/reply", AUTH, {"reply_id": reply_id}))[0] == 404
    status, body = run(_request("POST", url + "/giveaway", AUTH, {"keyword": "go", "conditions": {"followers_only": True}}))
    assert status == 200 and body["event"]["data"]["conditions"]["followers_only"] is True
    status, body = run(_request("POST", url + "/giveaway", AUTH, {"keyword": "go", "conditions": {"followers_only": True, "vip": 1}}))
    assert status == 400 and "vip" in body["error"]
