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
    show.shelf.pin("SKU-1")
    assert show.snapshot()["pinned_sku"] == "SKU-1"
    show.shelf.unpin()
    assert show.snapshot()["pinned_sku"] is None
    assert [e["type"] for e in show.events_seen] == ["product.pinned", "product.unpinned"]
    journal = [e["type"] for e in show.store.events()]
    assert journal[-2:] == ["product.pinned", "product.unpinned"]
    with pytest.raises(NotFoundError):
        show.shelf.pin("nope")


def test_coupons_caps_quantity_window_and_referral(show, clock):
    show.coupons.create("save10", "percent", 10, quantity=2, per_viewer_cap=1)
    show.coupons.claim("SAVE10", "ann")
    with pytest.raises(LiveError):
        show.coupons.claim("SAVE10", "ann")  # per-viewer cap
    show.coupons.claim("SAVE10", "bob")
    with pytest.raises(LiveError):
        show.coupons.claim("SAVE10", "cid")  # quantity used up
    show.coupons.create("LATER", "amount", "5", starts_at=clock.t + 60, ends_at=clock.t + 120)
    with pytest.raises(LiveError):
        show.coupons.claim("LATER", "ann")
    clock.advance(61)
    show.coupons.claim("LATER", "ann")
    clock.advance(60)
    with pytest.raises(LiveError):
        show.coupons.claim("LATER", "bob")
    show.coupons.create("FRIEND", "free_shipping", is_referral=True)
    event = show.coupons.claim("FRIEND", "newbie", invited_by="ann")
    assert event["data"]["inviter"] == "ann" and event["data"]["inviter_reward"]
    with pytest.raises(LiveError):
        show.coupons.create("BAD", "percent", 150)
    with pytest.raises(LiveError):
        show.coupons.create("X Y", "percent", 5)


def test_flash_sale_phases_caps_and_sold_out(show, clock):
    with pytest.raises(LiveError):
        show.flash_sale.start("SKU-1", stock=3, preroll_s=5)
    with pytest.raises(LiveError):
        show.flash_sale.start("SKU-1", stock=3, window_s=30)
    show.flash_sale.start("SKU-1", stock=3, price="9.99", preroll_s=10, window_s=60, per_buyer_cap=2)
    assert show.snapshot()["flash_sale"]["phase"] == "preroll"
    with pytest.raises(LiveError):
        show.flash_sale.purchase("ann")
    clock.advance(10)
    show.tick()
    sale = show.snapshot()["flash_sale"]
    assert sale["phase"] == "live" and sale["countdown_s"] == 60
    show.flash_sale.purchase("ann", 2)
    with pytest.raises(LiveError):
        show.flash_sale.purchase("ann", 1)  # per-buyer cap
    show.flash_sale.purchase("bob", 1)
    sale = show.snapshot()["flash_sale"]
    assert sale["phase"] == "ended" and sale["end_reason"] == "sold_out" and sale["remaining"] == 0
    types = [e["type"] for e in show.events_seen]
    assert types.count("flash_sale.ended") == 1 and "flash_sale.opened" in types


def test_flash_sale_window_ends_by_time(show, clock):
    show.flash_sale.start("SKU-2", stock=10, preroll_s=10, window_s=60)
    clock.advance(71)
    show.tick()
    show.tick()
    assert show.snapshot()["flash_sale"]["end_reason"] == "time"
    assert [e["data"]["reason"] for e in show.events_seen if e["type"] == "flash_sale.ended"] == ["time"]


def test_giveaway_commit_reveal_is_verifiable(show):
    opened = show.giveaway.open("lucky", prize="Scarf", winners=2)
    commitment = opened["data"]["commitment"]
    assert opened["data"]["seed"] is None  # not revealed before the draw
    for i in range(20):
        show.comments.add({"id": f"c{i}", "user": f"user{i:02d}", "text": "LUCKY me!" if i % 2 else "hello"})
    show.comments.add({"id": "dup", "user": "user01", "text": "lucky again"})
    assert show.snapshot()["giveaway"]["entry_count"] == 10
    first = show.giveaway.draw()["data"]
    assert len(first["winners"]) == 2
    revealed = show.snapshot()["giveaway"]["seed"]
    assert revealed and draw.commitment(bytes.fromhex(revealed)) == commitment
    # Anyone can recompute: seed + sorted entries + round.
    assert draw.verify(revealed, commitment, first["entries"], first["winners"], round_number=1)
    assert draw.draw_winners(bytes.fromhex(revealed), list(reversed(first["entries"])), 2, 1) == first["winners"]
    second = show.giveaway.draw(count=3)["data"]
    assert not set(second["winners"]) & set(first["winners"])  # winners excluded from re-draws
    assert draw.verify(revealed, commitment, second["entries"], second["winners"], 2, set(second["excluded"]))
    assert not draw.verify("00" * 32, commitment, first["entries"], first["winners"])
    audit = [e for e in show.store.events(event_type="giveaway.drawn")]
    assert [a["data"]["round"] for a in audit] == [1, 2]


def test_comments_queue_highlight_hide_block(show):
    show.comments.add({"id": "1", "author": {"name": "ann"}, "message": "What is the price?"})
    show.comments.add({"id": "2", "username": "spam", "content": "buy followers"})
    show.comments.add({"id": "3", "user": "bob", "text": "nice"})
    assert show.comments.add({"id": "3", "user": "bob", "text": "nice"}) is None  # dedup platform retries
    questions = show.comments.recent(only_questions=True)
    assert [c["id"] for c in questions] == ["1"] and "price" in questions[0]["highlights"]
    show.comments.block_user("spam")
    assert [c["id"] for c in show.comments.recent()] == ["1", "3"]
    show.comments.add({"id": "4", "user": "spam", "text": "again"})
    assert "4" not in [c["id"] for c in show.comments.recent()]
    show.comments.update("3", is_question=True)
    show.comments.pin_answer("1", "$19.99 today only")
    assert show.snapshot()["pinned_answer"]["answer"] == "$19.99 today only"
    assert [c["id"] for c in show.comments.recent(only_questions=True)] == ["3"]
    with pytest.raises(LiveError):
        show.comments.add({"user": "x"})


def test_run_of_show_actions_and_overtime(show, clock):
    show.coupons.create("WELCOME", "percent", 5)
    show.rundown.set([
        {"name": "Warm-up", "kind": "warmup", "planned_s": 900, "actions": [{"show_coupon": "WELCOME"}]},
        {"name": "Scarf", "planned_s": 600, "actions": [{"pin": "SKU-1"}, {"flash_sale": {"sku": "SKU-1", "stock": 5}}, {"pin": "missing"}],
         "overtime_actions": [{"unpin": True}]},
    ])
    show.rundown.advance()
    assert show.snapshot()["shown_coupon"] == "WELCOME"
    clock.advance(120)
    show.rundown.advance()
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
        show.rundown.advance()


CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from studio.live import LiveShow
    T0 = {t0!r}
    show = LiveShow(None, {db!r}, catalog={catalog!r}, clock=lambda: T0)
    show.shelf.pin("SKU-1")
    show.flash_sale.start("SKU-1", stock=40, preroll_s=10, window_s=60, per_buyer_cap=3)
    show.comments.add({{"id": "q1", "user": "ann", "text": "size?"}})
    T0 += 15  # the sale is open now
    show.tick()
    show.flash_sale.purchase("bob", 3)
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
        assert [c["id"] for c in restarted.comments.recent(only_questions=True)] == ["q1"]
        with pytest.raises(LiveError):
            restarted.flash_sale.purchase("bob", 1)  # the per-buyer cap survived too
    finally:
        restarted.stop()


def test_every_journaled_event_matches_the_schema(show, clock, catalog_csv):
    import json
    from pathlib import Path

    jsonschema = pytest.importorskip("jsonschema")  # test extra; see pyproject
    schema = json.loads((Path(ROOT) / "resources" / "schemas" / "live-events.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    show.new_show(); show.shelf.load(catalog_csv)  # first: a new show starts the journal again
    show.shelf.pin("SKU-1"); show.shelf.unpin()
    show.coupons.create("REF", "percent", 10, is_referral=True); show.coupons.show("REF"); show.coupons.claim("REF", "b", invited_by="a")
    show.coupons.show(None); show.coupons.end("REF")
    show.flash_sale.start("SKU-1", stock=1, preroll_s=10, window_s=60); clock.advance(10); show.tick(); show.flash_sale.purchase("x")
    show.giveaway.open("go", conditions={"excluded_users": ["staff"]}); show.comments.add({"id": "s", "user": "staff", "text": "go"})
    show.comments.add({"id": "1", "user": {"name": "u", "is_follower": True, "created_at": "2020-01-01T00:00:00Z"}, "text": "go go?"})
    show.giveaway.draw(); show.giveaway.close()
    show.comments.update("1", is_hidden=True); show.comments.pin_answer("1", "yes"); show.comments.unpin_answer(); show.comments.block_user("u"); show.comments.block_user("u", False)
    show.rundown.set([{"name": "A", "planned_s": 1, "actions": [{"bogus": 1}]}]); show.rundown.advance(); clock.advance(2); show.tick()
    reply = show.quick_replies.save("Thanks {name}!", "Thanks")["data"]; show.comments.reply("1", reply["id"]); show.quick_replies.delete(reply["id"])
    from studio.connectors.events import EventType, make_event
    from studio.live.audience import ShowAudience

    audience = ShowAudience(show)  # what the connectors hear, journaled as platform.<type>
    for kind, fields in ((EventType.COMMENT, {"author": "v", "text": "hi?"}), (EventType.VIEWERS, {"count": 12}),
                         (EventType.ORDER, {"sku": "SKU-1", "quantity": 1, "amount": "9.99", "currency": "USD"}),
                         (EventType.LIKE, {"count": 3}), (EventType.SHARE, {}), (EventType.FOLLOW, {"author": "v"}),
                         (EventType.GIFT, {"count": 1}), (EventType.COUPON_CLAIM, {"coupon": "REF"})):
        audience._on_event(make_event("tiktok", kind, f"{kind.value}-1", **fields))
    events = list(show.store.events())
    assert {e["type"] for e in events} >= set(schema["properties"]["type"]["enum"]) - {"state"}
    for event in events:
        validator.validate(event)
    validator.validate({"seq": 0, "t": clock.t, "type": "state", "data": show.snapshot()})


def test_review_summary_reads_the_journal(show, clock, tmp_path):
    from studio.live.review import summarize

    show.shelf.pin("SKU-1"); clock.advance(30); show.shelf.pin("SKU-2"); clock.advance(30); show.shelf.unpin()
    show.coupons.create("A1", "percent", 5); show.coupons.claim("A1", "x")
    show.flash_sale.start("SKU-1", stock=2, preroll_s=10, window_s=60); clock.advance(10); show.tick()
    show.flash_sale.purchase("p", 1); show.flash_sale.purchase("q", 1)
    show.comments.add({"id": "c", "user": "u", "text": "size?"})
    summary = summarize(show.store.path)
    assert [(p["sku"], p["until"] - p["from"]) for p in summary["pins"]] == [("SKU-1", 30), ("SKU-2", 30)]
    assert summary["flash_sales"] == [{"sku": "SKU-1", "stock": 2, "sold": 2, "end_reason": "sold_out"}]
    assert summary["coupon_claims"] == {"A1": 1} and summary["questions"] == 1


def test_giveaway_conditions_are_enforced_journaled_and_verifiable(show, clock):
    day = 86_400
    conditions = {"followers_only": True, "min_account_age_days": 30, "min_comments": 2,
                  "excluded_users": ["staff_amy", " "], "entries_per_viewer": 2}
    opened = show.giveaway.open("win", prize="Mug", winners=2, conditions=conditions)["data"]
    assert opened["conditions"] == {"followers_only": True, "min_account_age_days": 30, "min_comments": 2,
                                    "excluded_users": ["staff_amy"], "entries_per_viewer": 2}
    old = clock.t - 400 * day

    def say(cid, user, text="win!", follower=True, created=old):
        profile = {"name": user}
        if follower is not None:
            profile["is_follower"] = follower
        if created is not None:
            profile["created_at"] = created
        show.comments.add({"id": cid, "user": profile, "text": text})

    say("a1", "ann", "hello")           # ann warms up: her next keyword comment is her 2nd
    say("a2", "ann")                    # entry 1
    say("a3", "ann")                    # entry 2 (two tickets per viewer)
    say("a4", "ann")                    # no third ticket
    say("b1", "bob")                    # first comment: too few comments …
    say("b2", "bob")                    # … now 2: entered, refusal lifted
    say("c1", "cat", follower=False); say("c2", "cat", follower=False)
    say("d1", "dan", created=clock.t - 3 * day); say("d2", "dan", created=clock.t - 3 * day)
    say("e1", "eve", created=None); say("e2", "eve", created=None)
    say("s1", "staff_amy"); say("s2", "staff_amy")
    state = show.snapshot()["giveaway"]
    assert state["entries"] == ["ann", "ann", "bob"] and state["entry_count"] == 3 and state["viewer_count"] == 2
    refusals = [(e["data"]["user"], e["data"]["reason"]) for e in show.store.events(event_type="giveaway.entry_refused")]
    assert refusals == [("bob", "too_few_comments"), ("cat", "not_follower"), ("dan", "account_too_new"),
                        ("eve", "account_age_unknown"), ("staff_amy", "excluded")]  # once per viewer and reason
    assert state["refused_count"] == 4  # bob entered later
    result = show.giveaway.draw()["data"]
    assert sorted(result["winners"]) == ["ann", "bob"]  # a viewer wins at most once, whatever the tickets
    assert result["conditions"] == opened["conditions"]
    assert result["refused"] == {"cat": "not_follower", "dan": "account_too_new", "eve": "account_age_unknown",
                                 "staff_amy": "excluded"}
    assert draw.verify(result["seed"], result["commitment"], result["entries"], result["winners"], 1, set(result["excluded"]))

    # Every decision can be recomputed from the journal alone: the comments as received, in order.
    counts, replayed = {}, {}
    for event in show.store.events(event_type="comment.received"):
        comment = event["data"]
        counts[comment["user"]] = counts.get(comment["user"], 0) + 1
        if "win" in comment["text"]:
            reason = draw.refusal(result["conditions"], comment, counts[comment["user"]], clock.t)
            replayed.setdefault(comment["user"], []).append(reason)
    assert replayed["ann"] == [None, None, None] and replayed["bob"] == ["too_few_comments", None]
    assert replayed["cat"] == ["not_follower", "not_follower"]


def test_giveaway_conditions_validation_and_restart(show, tmp_path, catalog_csv, clock):
    with pytest.raises(LiveError, match="Unknown giveaway condition"):
        show.giveaway.open("x", conditions={"vip_only": True})
    with pytest.raises(LiveError, match="between"):
        show.giveaway.open("x", conditions={"entries_per_viewer": 0})
    with pytest.raises(LiveError, match="whole number"):
        show.giveaway.open("x", conditions={"min_comments": "lots"})
    show.giveaway.open("x", conditions={"min_comments": 3, "excluded_users": "mod1, mod2"})
    show.comments.add({"id": "1", "user": "zed", "text": "x"})
    show.comments.add({"id": "2", "user": "zed", "text": "x"})
    db = show.store.path
    show.stop()
    again = LiveShow(None, db, clock=clock)  # the per-viewer comment counts come back from the journal
    try:
        assert again.snapshot()["giveaway"]["conditions"]["excluded_users"] == ["mod1", "mod2"]
        again.comments.add({"id": "3", "user": "zed", "text": "x"})
        assert again.snapshot()["giveaway"]["entries"] == ["zed"]
    finally:
        again.stop()


def test_parse_generic_reads_viewer_facts():
    from studio.live.comments import parse_generic

    comment = parse_generic({"id": "1", "user": {"name": "ann", "is_follower": True, "created_at": "2024-05-01T00:00:00Z"}, "text": "hi",
                             "created_at": 1.0})
    assert comment["is_follower"] is True and comment["account_created_at"] == 1714521600.0
    comment = parse_generic({"id": "2", "user": "bob", "text": "hi", "following": False, "account_created_at": 1714521600000})
    assert comment["is_follower"] is False and comment["account_created_at"] == 1714521600.0
    assert "account_created_at" not in parse_generic({"id": "3", "user": "c", "text": "hi", "created_at": 5})


def test_quick_replies_fill_variables_journal_and_survive_restart(show, clock):
    show.shelf.pin("SKU-2")
    show.coupons.create("MUG5", "amount", 5); show.coupons.show("MUG5")
    saved = show.quick_replies.save("Hi {name}! {product} ({sku}) is {price}; code {coupon}.", title="Mug")["data"]
    assert saved["title"] == "Mug" and show.snapshot()["quick_replies"] == [saved]
    show.comments.add({"id": "c1", "user": "Lena", "text": "price?"})
    event = show.comments.reply("c1", saved["id"])
    assert event["type"] == "comment.replied"
    assert event["data"] == {"id": "c1", "user": "Lena", "reply_id": saved["id"], "text": "Hi Lena! Travel mug (SKU-2) is €12.50; code MUG5."}
    assert show.comments.recent(only_questions=True) == []  # answered
    assert show.comments.pinned_answer is None  # a chat reply only; pin=True also shows it on screen
    show.comments.reply("c1", text="Sure {name}", pin=True)
    assert show.comments.pinned_answer.answer == "Sure Lena"
    edited = show.quick_replies.save("Bye {name}", reply_id=saved["id"])["data"]
    assert edited["id"] == saved["id"] and len(show.quick_replies.replies) == 1
    for bad, words in (("", "needs a text"), ("Hi {user}", "Unknown variable"), ("Hi {name", "curly"), ("{name.__class__}", "Unknown variable")):
        with pytest.raises(LiveError, match=words):
            show.quick_replies.save(bad)
    with pytest.raises(NotFoundError):
        show.comments.reply("c1", "nope")
    db = show.store.path
    show.stop()
    again = LiveShow(None, db, clock=clock)
    try:
        assert [r.text for r in again.quick_replies.replies] == ["Bye {name}"]
    finally:
        again.stop()
