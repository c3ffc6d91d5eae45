"""Numbers and text at the live show's edge: non-finite, absurd or non-whole numbers, times that are
not times and over-long text are refused in words before anything is saved (issue #14)."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime

import aiohttp
import pytest

from studio.control import ControlServer
from studio.core import limits
from studio.live import LiveShow
from studio.live.errors import LiveError

TOKEN = "bounded-inputs-token-1234"


@pytest.fixture
def show(tmp_path, clock, catalog_csv):  # SKU-1: 19.99 USD, 50 in stock
    live = LiveShow(None, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    yield live
    live.stop()


def refused(show, action) -> str:
    """The refusal's words; asserts the journal did not move."""
    before = show.store.count_events()
    with pytest.raises(LiveError) as error:
        action()
    assert show.store.count_events() == before
    return str(error.value)


@pytest.mark.parametrize("fields,words", [
    ({"kind": "amount", "value": "1e400"}, "The coupon value must be at most 1,000,000,000."),
    ({"kind": "amount", "value": float("inf")}, "The coupon value “inf” is not an amount; write it like 9.99."),
    ({"kind": "amount", "value": float("nan")}, "The coupon value “nan” is not an amount; write it like 9.99."),
    ({"kind": "amount", "value": "NaN"}, "The coupon value “NaN” is not an amount; write it like 9.99."),
    ({"kind": "amount", "value": "-3"}, "The coupon value cannot be below zero."),
    ({"kind": "amount", "value": "1.000001"}, "The coupon value has more than 4 decimals."),
    ({"kind": "amount", "value": "1E-999999999"}, "The coupon value has more than 4 decimals."),
    ({"kind": "amount", "value": [5]}, "The coupon value “[5]” is not an amount; write it like 9.99."),
    ({"kind": "percent", "value": 10, "quantity": 1.5}, "The quantity must be a whole number."),
    ({"kind": "percent", "value": 10, "quantity": float("inf")}, "The quantity must be a whole number."),
    ({"kind": "percent", "value": 10, "quantity": True}, "The quantity must be a whole number."),
    ({"kind": "percent", "value": 10, "per_viewer_cap": 10 ** 12}, "The per-viewer cap must be between 1 and 1000000."),
    ({"kind": "percent", "value": 10, "ends_at": "tomorrow"},
     "The end “tomorrow” is not a time; give Unix seconds or a date and time like 2026-12-24T20:00+08:00."),
    ({"kind": "percent", "value": 10, "starts_at": float("nan")},
     "The start “nan” is not a time; give Unix seconds or a date and time like 2026-12-24T20:00+08:00."),
    ({"kind": "percent", "value": 10, "ends_at": 1e300}, "The end must be a time between the years 2001 and 2099."),
    ({"kind": "percent", "value": 10, "currency": "dollars"}, "A currency is a three-letter code like USD or EUR."),
    ({"kind": ["percent"], "value": 10}, "Unknown coupon kind “['percent']”."),
])
def test_a_coupon_with_an_absurd_field_is_refused_and_not_saved(show, fields, words):
    assert refused(show, lambda: show.coupons.create("BAD1", **fields)) == words
    assert show.coupons.by_code == {}


def test_sensible_coupon_fields_still_read_as_before(show):
    data = show.coupons.create("GOOD", "amount", "5.50", quantity=2.0, per_viewer_cap="3", currency="usd",
                               starts_at="2027-01-15T16:00+08:00", ends_at=1_800_003_600)["data"]
    assert (data["value"], data["quantity"], data["per_viewer_cap"], data["currency"]) == ("5.50", 2, 3, "USD")
    assert data["starts_at"] == datetime.fromisoformat("2027-01-15T08:00:00+00:00").timestamp()
    assert data["ends_at"] == 1_800_003_600.0
    assert show.coupons.create("BIG", "amount", "1000000000")["data"]["value"] == "1000000000"
    assert show.coupons.create("EXP", "amount", "1e2")["data"]["value"] == "100"  # never an exponent


@pytest.mark.parametrize("price,words", [
    ("1e400", "The sale price must be at most 1,000,000,000."),
    ("9.99999", "The sale price has more than 4 decimals."),
    ("x" * 100_000, "The sale price “" + "x" * 39 + "…” is not an amount; write it like 9.99."),
])
def test_a_flash_sale_price_past_the_limits_is_refused(show, price, words):
    assert refused(show, lambda: show.flash_sale.start("SKU-1", stock=5, price=price)) == words
    assert show.flash_sale.current is None


@pytest.mark.parametrize("kwargs,words", [
    ({"stock": 1.5}, "The stock must be a whole number."),
    ({"stock": 5, "per_buyer_cap": float("nan")}, "The per-buyer cap must be a whole number."),
    ({"stock": 5, "window_s": 1e400}, "The sale window must be a whole number."),
    ({"stock": 5, "preroll_s": "10.5"}, "The pre-roll must be a whole number."),
])
def test_a_flash_sale_count_that_is_not_whole_is_refused(show, kwargs, words):
    assert refused(show, lambda: show.flash_sale.start("SKU-1", price="9.99", **kwargs)) == words
    assert show.flash_sale.current is None


def test_a_purchase_quantity_of_one_and_a_half_is_refused(show, clock):
    show.flash_sale.start("SKU-1", stock=5, price="9.99")
    clock.advance(11)
    assert refused(show, lambda: show.flash_sale.purchase("ana", 1.5)) == "The quantity must be a whole number."
    assert refused(show, lambda: show.flash_sale.purchase("b" * 65, 1)) == (
        "The buyer is at most 64 characters; this one has 65.")
    assert show.flash_sale.current.sold == 0
    assert show.flash_sale.purchase("ana", 1.0)["data"]["quantity"] == 1


def test_giveaway_keyword_prize_and_counts_are_bounded(show):
    long_keyword = "k" * 100_000
    assert refused(show, lambda: show.giveaway.open(long_keyword)) == (
        f"The entry keyword is at most {limits.MAX_KEYWORD_CHARS} characters; this one has 100000.")
    assert refused(show, lambda: show.giveaway.open("win", prize="p" * 201)) == (
        "The prize is at most 200 characters; this one has 201.")
    assert refused(show, lambda: show.giveaway.open("win", winners=1.5)) == "The number of winners must be a whole number."
    assert refused(show, lambda: show.giveaway.open("win", conditions={"min_comments": float("inf")})) == (
        "min_comments must be a whole number.")
    assert refused(show, lambda: show.giveaway.open("win", conditions={"excluded_users": ["x" * 65]})) == (
        "A viewer name is at most 64 characters; this one has 65.")
    assert show.giveaway.current is None
    opened = show.giveaway.open("win", prize="A mug", winners="2")["data"]
    assert opened["keyword"] == "win" and opened["winner_count"] == 2


def test_inbound_comments_are_cut_to_their_limits_and_odd_times_replaced(show, clock):
    show.comments.add({"id": "c1", "user": "u" * 1000, "text": "t" * 100_000, "t": float("nan")})
    comment = show.comments.get("c1")
    assert len(comment.user) == limits.MAX_VIEWER_NAME_CHARS and len(comment.text) == limits.MAX_COMMENT_CHARS
    assert comment.t == comment.t  # not NaN
    show.comments.add({"id": "c2", "user": "ana", "text": "hi", "t": 10 ** 400, "user_created_at": "9" * 400})
    assert show.comments.get("c2").t < 1e14
    assert refused(show, lambda: show.comments.add({"id": "i" * 129, "user": "a", "text": "b"})) == (
        "A comment id is at most 128 characters.")
    assert refused(show, lambda: show.comments.add({"id": "c3", "user": {"name": ["x"]}, "text": "b"})) == (
        "A comment's user must be a name or an id.")


def test_over_http_an_absurd_value_is_a_400_in_words_and_nothing_is_saved(show):
    """The control API maps the engine's LiveError to 400; JSON's 1e400 arrives as infinity."""
    control = ControlServer(show, None, token=TOKEN)
    control.start()
    try:
        async def post(path: str, raw: str):
            async with aiohttp.ClientSession() as session:
                async with session.post(control.url + path, data=raw.encode(),
                                        headers={"Authorization": f"Bearer {TOKEN}",
                                                 "Content-Type": "application/json"}) as response:
                    return response.status, json.loads(await response.read())

        before = show.store.count_events()
        for path, raw in [
            ("/api/v1/coupons", '{"code": "BIG", "kind": "amount", "value": 1e400}'),
            ("/api/v1/coupons", '{"code": "NAN", "kind": "amount", "value": NaN}'),
            ("/api/v1/coupons", '{"code": "TMR", "kind": "percent", "value": 10, "ends_at": "tomorrow"}'),
            ("/api/v1/coupons", '{"code": "QTY", "kind": "percent", "value": 10, "quantity": 1.5}'),
            ("/api/v1/flash-sale", '{"sku": "SKU-1", "stock": 5, "price": 1e400}'),
            ("/api/v1/giveaway", json.dumps({"keyword": "k" * 100_000})),
            ("/api/v1/quick-replies", json.dumps({"text": "{name:>1000000000}"})),
        ]:
            status, body = asyncio.run(post(path, raw))
            assert status == 400, (path, raw[:60], body)
            assert body["error"] and "Traceback" not in body["error"] and len(body["error"]) < 200
        assert show.store.count_events() == before
        assert show.coupons.by_code == {} and show.flash_sale.current is None and show.giveaway.current is None
    finally:
        control.stop()


def test_characters_no_card_can_show_are_refused_in_typed_text_and_dropped_from_platform_text(show):
    """A control, private-use or unassigned character failed every draw of the card it was on."""
    for keyword in ("win\x1b", "win\ue000", "win\u0378"):
        assert refused(show, lambda: show.giveaway.open(keyword)) == (
            "The entry keyword holds a control or unassigned character; type it again without it.")
    show.comments.add({"id": "c1", "user": "ana\x1b\ue000", "text": "how much?\x07\udfff"})
    comment = show.comments.get("c1")
    assert (comment.user, comment.text) == ("ana", "how much?")
    assert refused(show, lambda: show.comments.add({"id": "c2", "user": "bo", "text": "\x1b\x07"})) == "A comment needs a text."
    show.comments.pin_answer("c1", "It is $5\x1b")
    assert show.comments.pinned_answer.answer == "It is $5"
