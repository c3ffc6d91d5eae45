from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from studio.live import LiveShow
from studio.live import giveaway as draw
from studio.live.errors import LiveError, NotFoundError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture
def show(tmp_path, clock, catalog_csv):
    live = LiveShow(None, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    events = []
    live.event.connect(lambda event: events.append(event))
    live.events_seen = events
    yield live
    live.stop()


def test_pin_unpin_emits_and_journals(show):
    show.pin("SKU-1")
    assert show.snapshot()["pinned_sku"] == "SKU-1"
    show.unpin()
    assert show.snapshot()["pinned_sku"] is None
    assert [e["type"] for e in show.events_seen] == ["product.pinned", "product.unpinned"]
    journal = [e["type"] for e in show.store.events()]
    assert journal[-2:] == ["product.pinned", "product.unpinned"]
    with pytest.raises(NotFoundError):
        show.pin("nope")


def test_coupons_caps_quantity_window_and_referral(show, clock):
    show.create_coupon("save10", "percent", 10, quantity=2, per_viewer_cap=1)
    show.claim_coupon("SAVE10", "ann")
    with pytest.raises(LiveError):
        show.claim_coupon("SAVE10", "ann")  # per-viewer cap
    show.claim_coupon("SAVE10", "bob")
    with pytest.raises(LiveError):
        show.claim_coupon("SAVE10", "cid")  # quantity used up
    show.create_coupon("LATER", "amount", "5", starts_at=clock.t + 60, ends_at=clock.t + 120)
    with pytest.raises(LiveError):
        show.claim_coupon("LATER", "ann")
    clock.advance(61)
    show.claim_coupon("LATER", "ann")
    clock.advance(60)
    with pytest.raises(LiveError):
        show.claim_coupon("LATER", "bob")
    show.create_coupon("FRIEND", "free_shipping", is_referral=True)
    event = show.claim_coupon("FRIEND", "newbie", invited_by="ann")
    assert event["data"]["inviter"] == "ann" and event["data"]["inviter_reward"]
    with pytest.raises(LiveError):
        show.create_coupon("BAD", "percent", 150)
    with pytest.raises(LiveError):
        show.create_coupon("X Y", "percent", 5)


def test_flash_sale_phases_caps_and_sold_out(show, clock):
    with pytest.raises(LiveError):
        show.start_flash_sale("SKU-1", stock=3, preroll_s=5)
    with pytest.raises(LiveError):
        show.start_flash_sale("SKU-1", stock=3, window_s=30)
    show.start_flash_sale("SKU-1", stock=3, price="9.99", preroll_s=10, window_s=60, per_buyer_cap=2)
    assert show.snapshot()["flash_sale"]["phase"] == "preroll"
    with pytest.raises(LiveError):
        show.purchase("ann")
    clock.advance(10)
    show.tick()
    sale = show.snapshot()["flash_sale"]
    assert sale["phase"] == "live" and sale["countdown_s"] == 60
    show.purchase("ann", 2)
    with pytest.raises(LiveError):
        show.purchase("ann", 1)  # per-buyer cap
    show.purchase("bob", 1)
    sale = show.snapshot()["flash_sale"]
    assert sale["phase"] == "ended" and sale["end_reason"] == "sold_out" and sale["remaining"] == 0
    types = [e["type"] for e in show.events_seen]
    assert types.count("flash_sale.ended") == 1 and "flash_sale.opened" in types


def test_flash_sale_window_ends_by_time(show, clock):
    show.start_flash_sale("SKU-2", stock=10, preroll_s=10, window_s=60)
    clock.advance(71)
    show.tick()
    show.tick()
    assert show.snapshot()["flash_sale"]["end_reason"] == "time"
    assert [e["data"]["reason"] for e in show.events_seen if e["type"] == "flash_sale.ended"] == ["time"]


def test_giveaway_commit_reveal_is_verifiable(show):
    opened = show.open_giveaway("lucky", prize="Scarf", winners=2)
    commitment = opened["data"]["commitment"]
    assert opened["data"]["seed"] is None  # not revealed before the draw
    for i in range(20):
        show.add_comment({"id": f"c{i}", "user": f"user{i:02d}", "text": "LUCKY me!" if i % 2 else "hello"})
    show.add_comment({"id": "dup", "user": "user01", "text": "lucky again"})
    assert show.snapshot()["giveaway"]["entry_count"] == 10
    first = show.draw_giveaway()["data"]
    assert len(first["winners"]) == 2
    revealed = show.snapshot()["giveaway"]["seed"]
    assert revealed and draw.commitment(bytes.fromhex(revealed)) == commitment
    # Anyone can recompute: seed + sorted entries + round.
    assert draw.verify(revealed, commitment, first["entries"], first["winners"], round_number=1)
    assert draw.draw_winners(bytes.fromhex(revealed), list(reversed(first["entries"])), 2, 1) == first["winners"]
    second = show.draw_giveaway(count=3)["data"]
    assert not set(second["winners"]) & set(first["winners"])  # winners excluded from re-draws
    assert draw.verify(revealed, commitment, second["entries"], second["winners"], 2, set(second["excluded"]))
    assert not draw.verify("00" * 32, commitment, first["entries"], first["winners"])
    audit = [e for e in show.store.events(event_type="giveaway.drawn")]
    assert [a["data"]["round"] for a in audit] == [1, 2]


def test_comments_queue_highlight_hide_block(show):
    show.add_comment({"id": "1", "author": {"name": "ann"}, "message": "What is the price?"})
    show.add_comment({"id": "2", "username": "spam", "content": "buy followers"})
    show.add_comment({"id": "3", "user": "bob", "text": "nice"})
    assert show.add_comment({"id": "3", "user": "bob", "text": "nice"}) is None  # dedup platform retries
    questions = show.comment_list(only_questions=True)
    assert [c["id"] for c in questions] == ["1"] and "price" in questions[0]["highlights"]
    show.block_user("spam")
    assert [c["id"] for c in show.comment_list()] == ["1", "3"]
    show.add_comment({"id": "4", "user": "spam", "text": "again"})
    assert "4" not in [c["id"] for c in show.comment_list()]
    show.update_comment("3", is_question=True)
    show.pin_answer("1", "$19.99 today only")
    assert show.snapshot()["pinned_answer"]["answer"] == "$19.99 today only"
    assert [c["id"] for c in show.comment_list(only_questions=True)] == ["3"]
    with pytest.raises(LiveError):
        show.add_comment({"user": "x"})


def test_run_of_show_actions_and_overtime(show, clock):
    show.create_coupon("WELCOME", "percent", 5)
    show.set_plan([
        {"name": "Warm-up", "kind": "warmup", "planned_s": 900, "actions": [{"show_coupon": "WELCOME"}]},
        {"name": "Scarf", "planned_s": 600, "actions": [{"pin": "SKU-1"}, {"flash_sale": {"sku": "SKU-1", "stock": 5}}, {"pin": "missing"}],
         "overtime_actions": [{"unpin": True}]},
    ])
    show.advance()
    assert show.snapshot()["shown_coupon"] == "WELCOME"
    clock.advance(120)
    show.advance()
    state = show.snapshot()
    assert state["pinned_sku"] == "SKU-1" and state["flash_sale"]["phase"] == "preroll"
    assert state["segment"]["name"] == "Scarf" and state["segment"]["remaining_s"] == 600
    assert any(e["type"] == "segment.action_failed" for e in show.events_seen)
    clock.advance(601)
    show.tick()
    show.tick()
    assert [e["type"] for e in show.events_seen].count("segment.overtime") == 1
    assert show.snapshot()["pinned_sku"] is None
    with pytest.raises(LiveError):
        show.advance()


CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from studio.live import LiveShow
    T0 = {t0!r}
    show = LiveShow(None, {db!r}, catalog={catalog!r}, clock=lambda: T0)
    show.pin("SKU-1")
    show.start_flash_sale("SKU-1", stock=40, preroll_s=10, window_s=60, per_buyer_cap=3)
    show.add_comment({{"id": "q1", "user": "ann", "text": "size?"}})
    T0 += 15  # the sale is open now
    show.tick()
    show.purchase("bob", 3)
    print("ready", flush=True)
    time.sleep(60)
""")


def test_sigkill_and_restart_restores_pin_and_countdown(tmp_path, catalog_csv):
    t0 = 1_800_000_000.0
    db = tmp_path / "show.db"
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=ROOT, t0=t0, db=str(db), catalog=str(catalog_csv))],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    # Restart 30 s after the show's t0: the 60 s window opened at t0+10, so 40 s remain.
    restarted = LiveShow(None, db, clock=lambda: t0 + 30)
    try:
        state = restarted.snapshot()
        assert state["pinned_sku"] == "SKU-1"
        sale = state["flash_sale"]
        assert sale["phase"] == "live" and sale["countdown_s"] == pytest.approx(40.0)
        assert sale["remaining"] == 37
        assert [c["id"] for c in restarted.comment_list(only_questions=True)] == ["q1"]
        with pytest.raises(LiveError):
            restarted.purchase("bob", 1)  # the per-buyer cap survived too
    finally:
        restarted.stop()


def test_every_journaled_event_matches_the_schema(show, clock):
    import json
    from pathlib import Path

    jsonschema = pytest.importorskip("jsonschema")  # test extra; see pyproject
    schema = json.loads((Path(ROOT) / "resources" / "schemas" / "live-events.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    show.pin("SKU-1"); show.unpin()
    show.create_coupon("REF", "percent", 10, is_referral=True); show.show_coupon("REF"); show.claim_coupon("REF", "b", invited_by="a")
    show.show_coupon(None); show.end_coupon("REF")
    show.start_flash_sale("SKU-1", stock=1, preroll_s=10, window_s=60); clock.advance(10); show.tick(); show.purchase("x")
    show.open_giveaway("go"); show.add_comment({"id": "1", "user": "u", "text": "go go?"}); show.draw_giveaway(); show.close_giveaway()
    show.update_comment("1", is_hidden=True); show.pin_answer("1", "yes"); show.unpin_answer(); show.block_user("u"); show.block_user("u", False)
    show.set_plan([{"name": "A", "planned_s": 1, "actions": [{"bogus": 1}]}]); show.advance(); clock.advance(2); show.tick()
    events = list(show.store.events())
    assert {e["type"] for e in events} >= set(schema["properties"]["type"]["enum"]) - {"state"}
    for event in events:
        validator.validate(event)
    validator.validate({"seq": 0, "t": clock.t, "type": "state", "data": show.snapshot()})


def test_review_summary_reads_the_journal(show, clock, tmp_path):
    from studio.live.review import summarize

    show.pin("SKU-1"); clock.advance(30); show.pin("SKU-2"); clock.advance(30); show.unpin()
    show.create_coupon("A1", "percent", 5); show.claim_coupon("A1", "x")
    show.start_flash_sale("SKU-1", stock=2, preroll_s=10, window_s=60); clock.advance(10); show.tick()
    show.purchase("p", 1); show.purchase("q", 1)
    show.add_comment({"id": "c", "user": "u", "text": "size?"})
    summary = summarize(show.store.path)
    assert [(p["sku"], p["until"] - p["from"]) for p in summary["pins"]] == [("SKU-1", 30), ("SKU-2", 30)]
    assert summary["flash_sales"] == [{"sku": "SKU-1", "stock": 2, "sold": 2, "end_reason": "sold_out"}]
    assert summary["coupon_claims"] == {"A1": 1} and summary["questions"] == 1
