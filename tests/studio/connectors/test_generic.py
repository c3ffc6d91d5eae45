"""The generic connector's WebSocket bridge and the CSV import of an order export."""
from __future__ import annotations

import json

import pytest
from aiohttp import WSMsgType, web

from bench.testbed.platforms.server import StandInServer
from studio.connectors import ConnectorError, ConnectorState, EventType, connector_from_spec
from tests.helpers import wait_until


class Bridge(StandInServer):
    """A team's own bridge: sends platform events over a WebSocket, as the schema documents."""

    name = "bridge-standin"

    def __init__(self, messages):
        super().__init__()
        self.messages = messages
        self.auth = []

    def make_app(self):
        app = web.Application()
        app.router.add_get("/events", self._events)
        return app

    async def _events(self, request):
        self.auth.append(request.headers.get("Authorization"))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for message in self.messages:
            await ws.send_str(message)
        async for frame in ws:
            if frame.type is WSMsgType.CLOSE:
                break
        return ws


def test_bridge_events_are_validated_and_bad_ones_said_in_words(hub, sink, fast_backoff):
    good = {"platform": "tiktok", "type": "comment", "id": "t1", "author": "Linh", "text": "Còn size M không?"}
    bridge = Bridge([json.dumps(good), "not json", json.dumps([{"platform": "tiktok", "type": "viewers", "count": 900},
                                                                {"platform": "tiktok", "type": "comment"}]),
                     json.dumps(good)]).start()
    try:
        env = {"BRIDGECAST_TIKTOK_API_BASE": f"ws://127.0.0.1:{bridge.port}/events", "BRIDGECAST_TIKTOK_TOKEN": "bridge-secret"}
        connector = connector_from_spec("generic:tiktok", env, backoff=fast_backoff())
        hub.add(connector)
        hub.start()
        assert wait_until(lambda: connector.rejected == 2 and len(sink.events) == 2, 10)
        assert [e.type for e in sink.events] == [EventType.COMMENT, EventType.VIEWERS]  # the repeat was a duplicate
        assert hub.viewers() == {"tiktok": 900} and hub.duplicates == 1
        assert "'author' is missing" in connector.status.message and "bridge-secret" not in connector.status.message
        assert bridge.auth == ["Bearer bridge-secret"]
    finally:
        hub.stop()
        bridge.stop()


def test_without_a_bridge_it_waits_for_posted_events(hub, sink):
    connector = connector_from_spec("generic:lazada", {})
    hub.add(connector)
    hub.start()
    assert wait_until(lambda: connector.status.state is ConnectorState.LIVE)
    assert "POST /api/v1/platform-events" in connector.status.message
    hub.ingest({"platform": "lazada", "type": "coupon_claim", "id": "c9", "coupon": "SALE15", "author": "Ali"})
    assert wait_until(lambda: sink.of(EventType.COUPON_CLAIM))


def test_order_export_import_lists_bad_rows_and_imports_the_rest(hub, sink, tmp_path):
    export = tmp_path / "tiktok-orders.csv"
    export.write_text(
        "\ufeffOrder ID,Seller SKU,Quantity,Order Amount,Buyer Username,Created Time\n"
        "5761,SKU-1,2,RM39.98,a***n,2026-12-07 10:15:00\n"
        "5762,SKU-2,1,\"1,299.00\",b***o,2026-12-07 10:16:00\n"
        "5763,,1,10.00,c***d,2026-12-07 10:17:00\n"
        "5764,SKU-1,zero,10.00,d***e,2026-12-07 10:18:00\n"
        "5765,SKU-1,1,ten,e***f,2026-12-07 10:19:00\n"
        ",,,,,\n", encoding="utf-8")
    hub.start()
    result = hub.import_orders(export, "tiktok")
    assert [(e.platform_id, e.sku, e.quantity, e.amount, e.currency) for e in result.events] == [
        ("5761/SKU-1", "SKU-1", 2, "39.98", "MYR"), ("5762/SKU-2", "SKU-2", 1, "1299.00", None)]
    assert [p.to_dict() for p in result.problems] == [
        {"row": 4, "column": "sku", "reason": "empty"},
        {"row": 5, "column": "quantity", "reason": "not a whole number of at least 1: 'zero'"},
        {"row": 6, "column": "amount", "reason": "not an amount: 'ten'"}]
    assert wait_until(lambda: len(sink.of(EventType.ORDER)) == 2)
    again = hub.import_orders(export, "tiktok")  # the same export twice adds nothing
    assert again.duplicates == 2 and len(sink.of(EventType.ORDER)) == 2


def test_an_export_without_the_needed_columns_says_which(hub, tmp_path):
    export = tmp_path / "x.csv"
    export.write_text("Order,Product,Qty\n1,2,3\n", encoding="utf-8")
    hub.start()
    with pytest.raises(ConnectorError, match="no column for: order_id, sku"):
        hub.import_orders(export, "shopee")
    with pytest.raises(ConnectorError, match="Cannot read"):
        hub.import_orders(tmp_path / "missing.csv", "shopee")
