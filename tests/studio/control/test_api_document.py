"""The OpenAPI document describes exactly what the server serves, agrees with the engine's
limits, and requests that do not match it are refused in words with nothing changed."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import jsonschema
import pytest
import schemathesis

from studio.control.errors import RequestShapeError
from studio.control.validation import DISPLAY_TEXT, DOCUMENT_PATH, MAX_JSON_DEPTH, ApiDescription, is_display_text
from studio.core import limits
from tests.studio.control.conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
DOCUMENT = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
SCHEMAS = DOCUMENT["components"]["schemas"]


def run(coro):
    return asyncio.run(coro)


async def _request(method, url, headers=None, body=None, data=None):
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url, headers=headers or {}, json=body, data=data) as response:
            raw = await response.read()
            return response.status, json.loads(raw) if "json" in response.headers.get("Content-Type", "") else raw


def stable_state(state: dict) -> dict:
    """The snapshot without what moves on its own (the clock, timers)."""
    state = dict(state)
    state.pop("t", None)
    if state.get("segment"):
        state["segment"] = {k: v for k, v in state["segment"].items() if k not in ("elapsed_s", "remaining_s", "is_overtime")}
    return state


def test_every_served_route_is_documented_and_every_documented_one_served(server):
    served = set()
    for resource in server._runner.app.router.resources():
        for route in resource:
            if route.method != "HEAD":
                served.add((route.method, resource.canonical))
    documented = {(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item}
    assert served == documented


def test_the_document_is_openapi_3_1_with_valid_schemas():
    assert DOCUMENT["openapi"].startswith("3.1")
    for name, schema in SCHEMAS.items():
        jsonschema.Draft202012Validator.check_schema(schema)
    schema = schemathesis.openapi.from_dict(DOCUMENT)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(item) for item in DOCUMENT["paths"].values())
    public = {(op.method.upper(), op.path) for op in operations if op.definition.raw.get("security") == []}
    assert {path for _, path in public if path.startswith("/api/")} == {"/api/v1/openapi.json"}


def test_the_documents_limits_are_the_engines():
    props = lambda name: SCHEMAS[name]["properties"]  # noqa: E731
    assert props("GiveawayOpen")["keyword"]["maxLength"] == limits.MAX_KEYWORD_CHARS
    assert props("GiveawayOpen")["prize"]["maxLength"] == limits.MAX_PRIZE_CHARS
    assert SCHEMAS["ViewerName"]["maxLength"] == limits.MAX_VIEWER_NAME_CHARS
    assert props("CouponClaim")["invited_by"]["maxLength"] == limits.MAX_VIEWER_NAME_CHARS
    assert props("CommentAnswer")["answer"]["maxLength"] == limits.MAX_ANSWER_CHARS
    assert props("QuickReplySave")["text"]["maxLength"] == limits.MAX_QUICK_REPLY_CHARS
    assert props("QuickReplySave")["title"]["maxLength"] == limits.MAX_QUICK_REPLY_TITLE_CHARS
    assert props("InboundComment")["id"]["maxLength"] == limits.MAX_COMMENT_ID_CHARS
    assert SCHEMAS["Amount"]["maximum"] == limits.MAX_AMOUNT
    assert props("FlashSaleStart")["stock"]["maximum"] == limits.MAX_UNITS
    assert (SCHEMAS["Moment"]["minimum"], SCHEMAS["Moment"]["maximum"]) == (limits.MIN_TIMESTAMP_S, limits.MAX_TIMESTAMP_S)
    excluded = props("GiveawayConditions")["excluded_users"]["oneOf"][0]
    assert excluded["maxItems"] == limits.MAX_EXCLUDED_USERS and excluded["items"]["maxLength"] == limits.MAX_VIEWER_NAME_CHARS


def test_document_served_without_the_token_and_is_the_file(server):
    status, served = run(_request("GET", server.url + "/api/v1/openapi.json"))
    assert status == 200 and served == DOCUMENT
    assert run(_request("GET", server.url + "/api/v1/openapi.json", {"Host": "evil.example"}))[0] == 403


REFUSED = [
    # (method, path, body or raw bytes, words the answer must have)
    ("POST", "/coupons", b'{"code": "BIG", "kind": "amount", "value": 1e400}', "“value” must be between 0 and"),
    ("POST", "/coupons", b'{"code": "NAN", "kind": "amount", "value": NaN}', "not valid JSON"),
    ("POST", "/coupons", {"code": "Q", "kind": "amount", "value": 5, "quantity": 1.5}, "“quantity” must be"),
    ("POST", "/coupons", {"code": "SAVE", "kind": "amount", "value": 5, "colour": "red"}, "“colour” is not a field"),
    ("POST", "/coupons", {"kind": "amount", "value": 5}, "“code” is required"),
    ("POST", "/coupons", {"code": "SAVE", "kind": "bogus"}, "one of: percent, amount, free_shipping"),
    ("POST", "/coupons", {"code": "SAVE", "value": 5, "ends_at": 99}, "between 1,000,000,000 and 4,102,444,800"),
    ("POST", "/coupons", [1, 2], "must be an object"),
    ("POST", "/coupons", b"\xff\xfe", "not valid JSON"),
    ("POST", "/coupons", None, "needs a JSON body"),
    ("POST", "/giveaway", {"keyword": "k" * 100_000}, "at most 50 characters; this one has 100000"),
    ("POST", "/giveaway", {"keyword": "win", "winners": 0}, "between 1 and 100"),
    ("POST", "/giveaway", {"keyword": "a\x01b"}, "“keyword” has a control, private-use or unassigned character"),
    ("POST", "/giveaway", {"keyword": "win", "prize": "\ue000"}, "“prize” has a control"),
    ("POST", "/giveaway", {"keyword": "y\U0007fdbc"}, "unassigned character"),
    ("POST", "/giveaway", b'{"keyword": "\\ud800"}', "not valid Unicode"),
    ("POST", "/comments/x/answer", {"answer": "tab\tin"}, "“answer” has a control"),
    ("POST", "/giveaway", {"keyword": "win", "conditions": {"vip": True}}, "“conditions.vip”"),
    ("POST", "/flash-sale", {"sku": "SKU-1", "stock": 5, "price": -1}, "“price”"),
    ("POST", "/flash-sale", {"sku": "SKU-1", "stock": 5, "window_s": 5}, "between 60 and 1,200"),
    ("POST", "/segments", {"segments": [{"name": "A", "actions": [{"explode": 1}]}]}, "segments[0].actions[0]"),
    ("POST", "/segments", {"segments": [{"planned_s": 60}]}, "“segments[0].name” is required"),
    ("POST", "/products/unpin", {"please": True}, "“please” is not a field"),
    ("POST", "/comments", {"id": "x" * 200, "user": "u", "text": "hi"}, "at most 128 characters"),
    ("POST", "/comments", b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), "nested more than"),
    ("POST", "/comments", b"[" * 100_000, "not valid JSON"),
    ("GET", "/comments?limit=5000", None, "between 1 and 1,000"),
    ("GET", "/comments?limit=ten", None, "must be a whole number"),
    ("GET", "/comments?since=3&since=4", None, "“since” is given more than once"),
    ("GET", "/comments?questions=1&questions=0", None, "more than once"),
    ("GET", "/state?debug=1", None, "Unknown query parameter “debug”"),
    ("POST", "/coupons/NOT%20A%20CODE/show", None, "expected form"),
    ("POST", "/users/" + "u" * 65 + "/block", {"is_blocked": True}, "at most 64 characters"),
]


@pytest.mark.parametrize("method, path, body, words", REFUSED, ids=[f"{m} {p[:30]} {w[:20]}" for m, p, _, w in REFUSED])
def test_requests_not_matching_the_document_get_400_in_words_and_change_nothing(server, live, method, path, body, words):
    url = server.url + "/api/v1"
    before_state = stable_state(run(_request("GET", url + "/state", AUTH))[1])
    before_journal = live.store.count_events()
    if isinstance(body, bytes):
        status, answer = run(_request(method, url + path, AUTH | {"Content-Type": "application/json"}, data=body))
    else:
        status, answer = run(_request(method, url + path, AUTH, body))
    assert status == 400 and words in answer["error"], answer
    assert "Traceback" not in answer["error"] and len(answer["error"]) < 300
    assert live.store.count_events() == before_journal
    assert stable_state(run(_request("GET", url + "/state", AUTH))[1]) == before_state


def test_documented_requests_still_work_as_the_tablet_sends_them(server, live):
    url = server.url + "/api/v1"
    # The tablet's forms send digits as numbers and other text as it was typed.
    assert run(_request("POST", url + "/coupons", AUTH, {"code": "save5", "kind": "amount", "value": 5, "quantity": 10,
                                                         "is_referral": True}))[0] == 200
    assert run(_request("POST", url + "/coupons", AUTH, {"code": "TEXT5", "kind": "percent", "value": "5.5",
                                                         "quantity": "10", "currency": "usd"}))[0] == 200
    assert run(_request("POST", url + "/flash-sale", AUTH, {"sku": "SKU-1", "stock": 2, "price": "9.99",
                                                            "preroll_s": 10, "window_s": 300}))[0] == 200
    assert run(_request("POST", url + "/giveaway", AUTH, {"keyword": "win", "winners": 2,
                                                          "conditions": {"excluded_users": "ann, bob"}}))[0] == 200
    assert run(_request("POST", url + "/giveaway/draw", AUTH, {}))[0] == 400  # no entries yet: the engine says so
    assert run(_request("POST", url + "/products/unpin", AUTH, None))[0] == 200
    assert run(_request("GET", url + "/comments?questions=1&limit=5", AUTH))[0] == 200
    plan = {"segments": [{"name": "Open", "planned_s": "60", "talking_points": ["hi"],
                          "actions": [{"pin": "SKU-2"}, {"show_coupon": "SAVE5"}, {"unpin": True}]}]}
    assert run(_request("POST", url + "/segments", AUTH, plan))[0] == 200
    assert live.coupons.by_code["TEXT5"].currency == "USD"


def test_on_screen_text_fields_all_refuse_undrawable_characters():
    def texts(schema, path):
        if isinstance(schema, dict):
            if schema.get("type") in ("string", ["string", "null"]) and schema.get("format") != DISPLAY_TEXT \
                    and "pattern" not in schema:  # a pattern (a coupon code) allows only drawable characters
                yield path
            for key, value in schema.items():
                yield from texts(value, f"{path}/{key}")
        elif isinstance(schema, list):
            for index, value in enumerate(schema):
                yield from texts(value, f"{path}/{index}")
    commands = {name: SCHEMAS[name] for name in ("GiveawayOpen", "GiveawayConditions", "CommentAnswer", "CommentReply",
                                                 "QuickReplySave", "Segment", "SegmentAction", "CouponClaim", "FlashSalePurchase")}
    assert list(texts(commands, "")) == []
    assert not is_display_text("a\x01b") and not is_display_text("y\U0007fdbc") and not is_display_text("\ue000")
    assert is_display_text("Hi Maria 👋\n你好 مرحبا ¿Qué?") and is_display_text(5)


def test_the_description_checks_parameters_without_a_server():
    api = ApiDescription.load()
    operation = api.operation("GET", "/api/v1/comments")
    assert api.check(operation, {}, [("limit", "20"), ("questions", "true")], None) == {}
    pin = api.operation("POST", "/api/v1/products/{sku}/pin")
    assert api.check(pin, {"sku": "SKU-1"}, [], b"") == {} and api.check(pin, {"sku": "SKU-1"}, [], b" \n") == {}
    with pytest.raises(RequestShapeError, match="must be an object"):
        api.check(pin, {"sku": "SKU-1"}, [], b"null")
    assert api.operation("DELETE", "/api/v1/state") is None
