"""One show after another (#13): a new show starts with nothing on air, the old one is kept for
review, and a show that was not closed cleanly is known to have been interrupted."""
from __future__ import annotations

import sqlite3

import pytest

from studio.live import LiveShow
from studio.live.review import summarize


@pytest.fixture
def db(tmp_path):
    return tmp_path / "live" / "show.db"


def _busy_show(db, catalog_csv, clock):
    show = LiveShow(None, db, catalog=catalog_csv, clock=clock)
    show.shelf.pin("SKU-1")
    show.coupons.create("SAVE10", "percent", 10)
    show.coupons.show("SAVE10")
    show.giveaway.open("win")
    show.comments.add({"id": "c1", "user": "ana", "text": "price?"})
    show.comments.pin_answer("c1", "19.99")
    show.quick_replies.save("Thanks {name}!", "Thanks")
    show.rundown.set([{"name": "Warm-up", "planned_s": 60}, {"name": "Scarf", "planned_s": 600}])
    show.rundown.advance()
    return show


def test_new_show_clears_what_was_on_air_and_keeps_the_old_show_for_review(db, catalog_csv, clock):
    show = _busy_show(db, catalog_csv, clock)
    try:
        assert show.previous_show()  # something to ask about
        event = show.new_show()
        assert event["type"] == "show.new"
        state = show.snapshot()
        assert state["pinned_sku"] is None and state["shown_coupon"] is None and state["coupons"] == []
        assert state["giveaway"] is None and state["pinned_answer"] is None and state["flash_sale"] is None
        assert state["segment"] is None
        assert [s["name"] for s in state["plan"]] == ["Warm-up", "Scarf"]  # the plan, from the top
        assert [p["sku"] for p in show.shelf.to_json()] == ["SKU-1", "SKU-2"]  # the catalog carries over
        assert [r.title for r in show.quick_replies.replies] == ["Thanks"]
        assert show.comments.recent() == []
        assert show.previous_show() == []
        assert [e["type"] for e in show.store.events()] == ["show.new"]
        archive = event["data"]["archive"]
        old = summarize(archive)
        assert [p["sku"] for p in old["pins"]] == ["SKU-1"]
        with sqlite3.connect(archive) as archived:
            assert archived.execute("SELECT COUNT(*) FROM comments").fetchone()[0] == 1
        # Still a working show.
        show.shelf.pin("SKU-2")
        assert show.snapshot()["pinned_sku"] == "SKU-2"
    finally:
        show.stop()
    reopened = LiveShow(None, db, clock=clock)
    try:
        assert reopened.snapshot()["pinned_sku"] == "SKU-2"
        assert reopened.was_interrupted is False
    finally:
        reopened.stop()


def test_two_new_shows_in_one_second_keep_both_archives(db, catalog_csv, clock):
    show = LiveShow(None, db, catalog=catalog_csv, clock=clock)
    try:
        first = show.new_show()["data"]["archive"]
        second = show.new_show()["data"]["archive"]
        assert first != second
    finally:
        show.stop()


def test_clean_stop_versus_interrupted_run(db, catalog_csv, clock, tmp_path):
    show = _busy_show(db, catalog_csv, clock)
    assert show.was_interrupted is False  # a fresh database
    show.stop()
    after_clean_quit = LiveShow(None, db, clock=clock)
    assert after_clean_quit.was_interrupted is False
    assert "product SKU-1 on screen" in after_clean_quit.previous_show()
    # No stop(): what a crash leaves behind (the store connection is simply dropped).
    after_clean_quit.store.close()
    after_crash = LiveShow(None, db, clock=clock)
    try:
        assert after_crash.was_interrupted is True
        assert after_crash.snapshot()["pinned_sku"] == "SKU-1"
    finally:
        after_crash.stop()
