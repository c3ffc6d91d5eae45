"""The show's units keep typed state that survives the store's JSON unchanged, and the facade stays small."""
from __future__ import annotations

import json

import pytest

from studio.live import LiveShow
from studio.live.giveaway import EntryConditions, GiveawayPhase, GiveawayState
from studio.live.promotions import Coupon, CouponKind, EndReason, FlashPhase, FlashSaleState
from studio.live.qa import Comment
from studio.live.rundown import Plan


@pytest.fixture
def show(tmp_path, clock, catalog_csv):
    live = LiveShow(None, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    yield live
    live.stop()


def _round_trip(data: dict) -> dict:
    return json.loads(json.dumps(data))


def test_typed_state_round_trips_through_the_store_json(show, clock):
    show.coupons.create("LIVE10", "percent", 10, quantity=5)
    show.coupons.claim("LIVE10", "ann")
    show.flash_sale.start("SKU-1", stock=3, preroll_s=10, window_s=60)
    show.giveaway.open("lucky", conditions={"min_comments": 1, "excluded_users": "staff, mods"})
    show.comments.add({"id": "c1", "user": "ann", "text": "lucky?", "is_follower": True})
    show.rundown.set([{"name": "Intro", "planned_s": 30, "actions": [{"pin": "SKU-1"}]}])
    saved = show.store.load_state()

    coupon = Coupon.from_state(saved["coupons"]["LIVE10"])
    assert coupon.kind is CouponKind.PERCENT and coupon.claims == {"ann": 1}
    assert _round_trip(coupon.to_state()) == saved["coupons"]["LIVE10"]
    sale = FlashSaleState.from_state(saved["flash_sale"])
    assert sale.phase(clock.t) is FlashPhase.PREROLL and sale.announced is FlashPhase.PREROLL
    assert _round_trip(sale.to_state()) == saved["flash_sale"]
    giveaway = GiveawayState.from_state(saved["giveaway"])
    assert giveaway.phase is GiveawayPhase.OPEN
    assert giveaway.conditions == EntryConditions(min_comments=1, excluded_users=("mods", "staff"))
    assert _round_trip(giveaway.to_state()) == saved["giveaway"]
    assert _round_trip(Plan.from_state(saved["plan"]).to_state()) == saved["plan"]
    stored = show.store.load_comments()[0]
    assert Comment.from_json(stored).to_json() == stored and stored["is_follower"] is True


def test_phases_are_enums_and_the_json_keeps_their_values(show, clock):
    show.flash_sale.start("SKU-1", stock=1, preroll_s=10, window_s=60)
    clock.advance(10)
    show.tick()
    show.flash_sale.purchase("ann")
    assert show.flash_sale.current.end_reason is EndReason.SOLD_OUT
    assert show.snapshot()["flash_sale"]["phase"] == "ended" and show.snapshot()["flash_sale"]["end_reason"] == "sold_out"
    show.giveaway.open("go")
    show.comments.add({"id": "g1", "user": "bob", "text": "go"})
    show.giveaway.draw()
    assert show.giveaway.current.phase is GiveawayPhase.DRAWN


def test_the_facade_stays_small():
    methods = [name for name, value in vars(LiveShow).items() if callable(value)]
    assert len(methods) < 25, methods
