"""Shows with parts missing still give a review that says what is missing, and invent nothing."""
from __future__ import annotations

import sqlite3

import pytest

from studio.live.store import LiveStore
from studio.review import ReviewError, report, review_show
from tests.studio.review.rehearsal import T0, record_rehearsal


def _texts(review) -> str:
    return "\n".join(review.missing)


def test_without_a_platform_there_are_no_viewer_counts_and_it_says_so(tmp_path):
    recorded = record_rehearsal(tmp_path, has_platforms=False)
    review = review_show(recorded.db, stats_paths=[recorded.stats])
    assert "No viewer counts: no platform was connected" in _texts(review)
    assert "No orders: no platform reported any" in _texts(review)
    assert all(m.viewers == {} and m.viewers_total is None and m.orders == 0 for m in review.timeline)
    assert all(s.viewers_start is None and s.viewers_end is None and s.conversion_pct is None for s in review.segments)
    assert not [f for f in review.findings if f["kind"] in ("peak", "segment_drop", "pin_orders", "best_segment")]
    assert sum(m.comments for m in review.timeline) > 0  # what was recorded still counts
    page = report.to_html(review)
    assert "No viewer counts: no platform was connected" in page and page.count("<svg") == 4


def test_without_a_plan_there_are_no_segments_but_pins_still_count(tmp_path):
    recorded = record_rehearsal(tmp_path, has_plan=False)
    review = review_show(recorded.db, stats_paths=[recorded.stats])
    assert review.segments == []
    assert "No run-of-show" in _texts(review)
    assert {p.sku: p.pins for p in review.products} == {"A12": 1, "B07": 1, "C33": 1}
    assert any(f["kind"] == "pin_orders" for f in review.findings)
    assert "No run-of-show was used" in report.to_html(review)


def test_a_crash_mid_show_is_said_and_the_figures_stop_where_the_journal_stops(tmp_path):
    recorded = record_rehearsal(tmp_path, crash_at_s=700)
    review = review_show(recorded.db, stats_paths=[recorded.stats])
    assert "The show was not closed: it is on air now, or the app stopped without closing it" in _texts(review)
    assert review.end_unix <= T0 + 700
    assert [s.name for s in review.segments if s.actual_s is not None] == ["Warm-up", "Linen shirt", "Silk scarf"]
    assert [s.name for s in review.segments if s.actual_s is None] == ["Tea set", "Wrap-up"]
    assert any(f["kind"] == "plan_skipped" for f in review.findings)


def test_a_minute_of_lost_stats_is_unknown_not_zero(tmp_path):
    recorded = record_rehearsal(tmp_path, stats_lost_s=(300, 360))
    review = review_show(recorded.db, stats_paths=[recorded.stats])
    lost = review.timeline[5]
    assert lost.stats_s == 0 and lost.top_height is None and lost.frozen_s is None and lost.limited_s is None
    assert "Stream statistics were lost for 60 s (in the minutes starting 5:00)" in _texts(review)
    assert review.timeline[4].stats_s == 60 and review.timeline[6].stats_s == 60


def test_no_stats_at_all_says_stream_quality_is_unknown(tmp_path):
    recorded = record_rehearsal(tmp_path)
    review = review_show(recorded.db, stats_paths=[])
    assert "No stream statistics were found for this show" in _texts(review)
    assert all(m.stats_s == 0 and m.top_height is None for m in review.timeline)
    assert review.start_unix == T0 + 5  # without the stream: from the first segment


def test_an_empty_or_missing_database_is_refused_in_words(tmp_path):
    LiveStore(tmp_path / "empty.db").close()
    with pytest.raises(ReviewError, match="nothing to review"):
        review_show(tmp_path / "empty.db", stats_paths=[])
    with pytest.raises(ReviewError, match="There is no show database at"):
        review_show(tmp_path / "nowhere.db")
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(ReviewError, match="cannot be read"):
        review_show(tmp_path / "junk.db")


def test_reviewing_leaves_the_database_as_it_was(tmp_path):
    recorded = record_rehearsal(tmp_path)
    before = recorded.db.read_bytes()
    review_show(recorded.db, stats_paths=[recorded.stats])
    assert recorded.db.read_bytes() == before
    with sqlite3.connect(recorded.db) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_earlier_shows_are_compared_and_same_slot_marked(tmp_path):
    archive = tmp_path / "shows"
    week = 7 * 24 * 3600
    record_rehearsal(archive, start=T0 - week, name="show-a.db", has_platforms=True)
    record_rehearsal(archive, start=T0 - 24 * 3600, name="show-b.db", has_platforms=False)
    recorded = record_rehearsal(tmp_path)
    review = review_show(recorded.db, stats_paths=[recorded.stats], stats_dir=archive / "stats")
    rows = review.comparison
    assert [r["show"] for r in rows] == ["this show", "show-b.db", "show-a.db"]
    assert [r["same_slot"] for r in rows] == [True, False, True]
    assert rows[1]["peak_viewers"] is None and rows[1]["orders"] is None  # that show had no platform: unknown, not 0
    assert rows[2]["peak_viewers"] == rows[0]["peak_viewers"]
    finding = next(f for f in review.findings if f["kind"] == "comparison" and "average_viewers" in f["numbers"])
    assert finding["numbers"]["shows"] == 1 and finding["numbers"]["change_pct"] == 0  # only the same-slot show counts
    assert finding["numbers"]["same_slot_only"] is True
    assert finding["text"] == (f"Average viewers {rows[0]['average_viewers']:,} is +0 % against the last show on this weekday "
                               f"and hour ({rows[2]['average_viewers']:,}).")


def test_a_show_put_aside_by_new_show_is_not_called_a_crash(tmp_path):
    from studio.live.session import LiveShow

    recorded = record_rehearsal(tmp_path)
    show = LiveShow(None, recorded.db)  # the app opens it again (marked open) and the host starts a new show
    archive = show.new_show()["data"]["archive"]
    show.stop()
    review = review_show(archive, stats_paths=[recorded.stats])
    assert "not closed" not in _texts(review)
    assert len(review.segments) == 5 and sum(m.orders for m in review.timeline) == 48


@pytest.mark.parametrize("variant", [{"has_platforms": False}, {"has_plan": False}, {"crash_at_s": 700},
                                     {"stats_lost_s": (300, 360)}])
def test_every_incomplete_show_still_gets_all_three_files_saying_what_is_missing(tmp_path, variant):
    import html

    recorded = record_rehearsal(tmp_path / "show", **variant)
    review = review_show(recorded.db, stats_paths=[recorded.stats])
    assert review.missing
    page = report.write_html(review, tmp_path / "out" / "review.html").read_text(encoding="utf-8")
    for text in review.missing:
        assert html.escape(text) in page
    assert page.count("<svg") == 4
    assert report.write_pdf(review, tmp_path / "out" / "review.pdf").read_bytes().startswith(b"%PDF-")
    assert [p.name for p in report.write_csv(review, tmp_path / "out" / "csv")] == ["timeline.csv", "segments.csv", "products.csv"]


def test_a_platform_that_skips_a_minute_keeps_its_count_and_one_that_goes_silent_becomes_unknown():
    from studio.review.model import build_review
    from studio.review.sources import JournalEvent

    def viewers(s: float, platform: str, count: int) -> JournalEvent:
        data = {"platform": platform, "type": "viewers", "id": f"{platform}{s}", "t": T0 + s, "count": count}
        return JournalEvent(int(s), T0 + s, "platform.viewers", data, T0 + s)

    events = [viewers(5, "tiktok", 100), viewers(5, "twitch", 50), viewers(125, "tiktok", 120),  # tiktok every 2 min
              viewers(245, "tiktok", 90), viewers(599, "tiktok", 80)]  # twitch silent after 0:05
    review = build_review(events, {}, [], stats_unreadable=0)  # no stream, no plan: the show starts at its first event
    assert review.start_unix == T0 + 5
    assert [m.viewers for m in review.timeline] == [
        {"tiktok": 100, "twitch": 50}, {"tiktok": 100, "twitch": 50}, {"tiktok": 120, "twitch": 50},  # twitch: 180 s old
        {"tiktok": 120}, {"tiktok": 90}, {"tiktok": 90}, {"tiktok": 90}, {}, {}, {"tiktok": 80}]
    assert review.timeline[7].viewers_total is None  # unknown, not 0


def test_the_stats_files_of_a_show_are_the_ones_that_overlap_it(tmp_path):
    import json as json_module

    from studio.review.sources import stats_for_span

    def write(name: str, first: float, seconds: int, cut_tail: bool = False) -> None:
        lines = [json_module.dumps({"t": first + s, "state": "live", "layers": []}) for s in range(seconds)]
        text = "\n".join(lines) + "\n"
        (tmp_path / name).write_text(text[:-25] if cut_tail else text, encoding="utf-8")  # a crash cut the last line

    write("this-show.jsonl", T0, 4000)  # longer than the 64 KB read at each end
    write("crashed-attempt.jsonl", T0 + 3000, 600, cut_tail=True)
    write("last-week.jsonl", T0 - 7 * 86400, 4000)
    write("next-day.jsonl", T0 + 86400, 100)
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    chosen = stats_for_span(tmp_path, T0 - 60, T0 + 3500)
    assert [p.name for p in chosen] == ["crashed-attempt.jsonl", "this-show.jsonl"]
