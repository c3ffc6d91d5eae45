"""The control API's platform routes (CONTRACTS.md): POST /api/v1/platform-events (the generic
connector's inbound route), GET /api/v1/comments?since=SEQ (the merged queue), GET
/api/v1/orders, and ``viewers`` in GET /api/v1/state — against the real server and show."""
from __future__ import annotations

import json

from studio.control.validation import ApiDescription
from tests.studio.control.conftest import TOKEN
from tests.studio.control.test_server import _request, run

AUTH = {"Authorization": f"Bearer {TOKEN}"}
EVENTS = [
    {"platform": "tiktok", "type": "comment", "id": "c-1", "author": "amira", "text": "is it silk?"},
    {"platform": "tiktok", "type": "viewers", "id": "v-1", "count": 1204},
    {"platform": "lazada", "type": "order", "id": "o-1", "sku": "SKU-1", "quantity": 2, "amount": "39.98",
     "currency": "USD", "buyer": "budi"},
    {"platform": "tiktok", "type": "like", "id": "l-1", "count": 40},
]


def test_platform_events_reach_the_queue_the_orders_and_the_viewer_counts(server, live):
    status, state = run(_request("GET", server.url + "/api/v1/state", AUTH))
    assert status == 200 and state["viewers"] == {}
    status, body = run(_request("POST", server.url + "/api/v1/platform-events", AUTH, EVENTS))
    assert status == 200 and body["event"] == {"accepted": 4, "duplicates": 0, "errors": []}, body
    # The same events again (a bridge's retry): counted, never taken twice.
    status, body = run(_request("POST", server.url + "/api/v1/platform-events", AUTH, EVENTS[:3]))
    assert body["event"]["duplicates"] == 3 and body["event"]["accepted"] == 0

    live.add_comment({"id": "own-1", "user": "team", "text": "welcome!"})
    status, queue = run(_request("GET", server.url + "/api/v1/comments?since=0", AUTH))
    assert status == 200 and isinstance(queue, list)
    assert [(c["platform"], c["author"], c["text"]) for c in queue] == [("tiktok", "amira", "is it silk?"), ("api", "team", "welcome!")]
    assert queue[0]["is_question"] and queue[0]["seq"] < queue[1]["seq"]
    status, later = run(_request("GET", server.url + f"/api/v1/comments?since={queue[0]['seq']}", AUTH))
    assert [c["text"] for c in later] == ["welcome!"]

    status, orders = run(_request("GET", server.url + "/api/v1/orders", AUTH))
    assert status == 200 and [(o["platform"], o["sku"], o["quantity"], o["amount"]) for o in orders] == [("lazada", "SKU-1", 2, "39.98")]
    status, none_after = run(_request("GET", server.url + f"/api/v1/orders?since={orders[0]['seq']}", AUTH))
    assert none_after == []
    status, state = run(_request("GET", server.url + "/api/v1/state", AUTH))
    assert state["viewers"] == {"tiktok": 1204}
    assert live.store.count_events("platform.like") == 1


def test_a_bad_platform_event_is_refused_in_words_and_nothing_changes(server, live):
    before = live.store.count_events()
    status, body = run(_request("POST", server.url + "/api/v1/platform-events", AUTH,
                                {"platform": "tiktok", "type": "order", "id": "o-2", "quantity": 1}))
    assert status == 400 and "sku" in body["error"], body
    status, body = run(_request("POST", server.url + "/api/v1/platform-events", AUTH,
                                [{"platform": "tiktok", "type": "viewers", "id": "v-9", "count": 5},
                                 {"platform": "tiktok", "type": "comment", "id": "c-9", "author": "x"}]))
    assert status == 400 and live.store.count_events() == before, body  # the document refuses the list whole
    status, body = run(_request("POST", server.url + "/api/v1/platform-events", {}, EVENTS[:1]))
    assert status == 401 and live.store.count_events() == before


def test_the_documents_platform_event_is_the_schema_file():
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    schema = json.loads((root / "resources" / "schemas" / "platform-event.schema.json").read_text(encoding="utf-8"))
    copy = ApiDescription.load().document["components"]["schemas"]["PlatformEvent"]
    assert copy == {k: v for k, v in schema.items() if k not in ("$schema", "$id")}
