"""Every figure of the review's JSON, recomputed by an independent SQL query over the journal.

The rehearsal show is recorded through the engine's own API (catalog, run-of-show, pins, a
flash sale, a coupon, comments) with two platforms' viewer counts, likes, shares and orders
journaled as the connectors' events; the queries below know only the journal's table and the
event shapes documented in ``studio.review.sources``.
"""
from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

import pytest

from tests.studio.review.rehearsal import END_S, LIMITED_S, RECONNECT_S, SEGMENT_STARTS_S, T0

PLATFORM_T = "COALESCE(json_extract(data, '$.t'), t)"


@pytest.fixture(scope="module")
def db(rehearsal):
    recorded, _review = rehearsal
    connection = sqlite3.connect(f"file:{recorded.db}?mode=ro", uri=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def figures(rehearsal):
    return rehearsal[1].to_json()


def _per_minute(db, sql: str, *params) -> dict[int, float]:
    return {int(m): value for m, value in db.execute(sql, (T0, *params)).fetchall()}


def test_the_show_spans_the_stream_on_air(figures):
    assert figures["start_unix"] == T0
    assert figures["duration_s"] == END_S
    assert len(figures["timeline"]) == END_S // 60
    assert figures["platforms"] == ["tiktok", "youtube"]
    assert figures["currency"] == "USD"
    assert figures["missing"] == []


def test_timeline_counts_agree_with_the_journal(db, figures):
    minute = f"CAST(({{t}} - ?) / 60 AS INTEGER)"
    comments = _per_minute(db, f"SELECT {minute.format(t='t')}, COUNT(*) FROM events "
                               "WHERE type IN ('comment.received', 'platform.comment') GROUP BY 1")
    likes = _per_minute(db, f"SELECT {minute.format(t=PLATFORM_T)}, SUM(COALESCE(json_extract(data, '$.count'), 1)) "
                            "FROM events WHERE type = 'platform.like' GROUP BY 1")
    shares = _per_minute(db, f"SELECT {minute.format(t=PLATFORM_T)}, COUNT(*) FROM events WHERE type = 'platform.share' GROUP BY 1")
    orders = _per_minute(db, f"SELECT {minute.format(t=PLATFORM_T)}, COUNT(*) FROM events WHERE type = 'platform.order' GROUP BY 1")
    units = _per_minute(db, f"SELECT {minute.format(t=PLATFORM_T)}, SUM(json_extract(data, '$.quantity')) FROM events "
                            "WHERE type = 'platform.order' GROUP BY 1")
    gmv = _per_minute(db, f"SELECT {minute.format(t=PLATFORM_T)}, SUM(CAST(json_extract(data, '$.amount') AS REAL)) "
                          "FROM events WHERE type = 'platform.order' GROUP BY 1")
    claims = _per_minute(db, f"SELECT {minute.format(t='t')}, COUNT(*) FROM events "
                             "WHERE type IN ('coupon.claimed', 'platform.coupon_claim') GROUP BY 1")
    platforms = [p for (p,) in db.execute("SELECT DISTINCT json_extract(data, '$.platform') FROM events WHERE type = 'platform.viewers'")]

    def viewers(m: int) -> dict[str, int]:
        """Each platform's last count before the minute's end, at most 180 s old."""
        end, found = T0 + 60 * (m + 1), {}
        for platform in platforms:
            row = db.execute(f"SELECT json_extract(data, '$.count') FROM events WHERE type = 'platform.viewers' "
                             f"AND json_extract(data, '$.platform') = ? AND {PLATFORM_T} < ? AND {PLATFORM_T} >= ? "
                             f"ORDER BY {PLATFORM_T} DESC, seq DESC LIMIT 1", (platform, end, end - 180)).fetchone()
            if row:
                found[platform] = row[0]
        return found

    assert sum(comments.values()) > 300 and sum(orders.values()) == 48  # the show is not empty
    for row in figures["timeline"]:
        m = row["t"] // 60
        assert row["comments"] == comments.get(m, 0), m
        assert row["likes"] == likes.get(m, 0), m
        assert row["shares"] == shares.get(m, 0), m
        assert row["orders"] == orders.get(m, 0), m
        assert row["units"] == units.get(m, 0), m
        assert row["gmv"] == pytest.approx(gmv.get(m, 0.0), abs=0.005), m
        assert row["coupon_claims"] == claims.get(m, 0), m
        assert row["viewers"] == viewers(m), m
        assert row["viewers_total"] == sum(viewers(m).values())


def test_stream_quality_per_minute_agrees_with_the_stats_file(rehearsal, figures):
    recorded, _review = rehearsal
    limited, frozen, stats = defaultdict(int), defaultdict(int), defaultdict(int)
    for line in recorded.stats.read_text().splitlines():
        record = json.loads(line)
        m = int((record["t"] - T0) // 60)
        stats[m] += 1
        top = next((layer for layer in record["layers"] if layer["rid"] == "h"), None)
        limited[m] += record["state"] == "live" and top is not None and not top["active"]
        frozen[m] += record["state"] == "reconnecting"
    for row in figures["timeline"]:
        m = row["t"] // 60
        assert (row["stats_s"], row["limited_s"], row["frozen_s"]) == (stats[m], limited[m], frozen[m]), m
        assert row["top_height"] == (540 if limited[m] else 1080)
        assert row["reconnects"] == int(m == RECONNECT_S[0] // 60)
    assert sum(r["limited_s"] for r in figures["timeline"]) == LIMITED_S[1] - LIMITED_S[0]


def _viewers_at(db, t: float, field: str = "$.count") -> int:
    """Summed over platforms: each one's last report at or before ``t`` (else its first within 60 s)."""
    total = 0
    for (platform,) in db.execute("SELECT DISTINCT json_extract(data, '$.platform') FROM events WHERE type = 'platform.viewers'"):
        row = db.execute(f"SELECT json_extract(data, ?) FROM events WHERE type = 'platform.viewers' "
                         f"AND json_extract(data, '$.platform') = ? AND {PLATFORM_T} <= ? ORDER BY {PLATFORM_T} DESC, seq DESC LIMIT 1",
                         (field, platform, t)).fetchone()
        if row is None:
            row = db.execute(f"SELECT json_extract(data, ?) FROM events WHERE type = 'platform.viewers' "
                             f"AND json_extract(data, '$.platform') = ? AND {PLATFORM_T} > ? AND {PLATFORM_T} <= ? "
                             f"ORDER BY {PLATFORM_T}, seq LIMIT 1", (field, platform, t, t + 60)).fetchone()
        total += row[0] if row else 0
    return total


def _stats_between(stats_path, start: float, end: float) -> tuple[int, int]:
    """Seconds the top layer was paused while live, and the lowest top active layer sent, in [start, end)."""
    limited, lowest = 0, None
    for line in stats_path.read_text().splitlines():
        record = json.loads(line)
        if not start <= record["t"] < end or record["state"] != "live":
            continue
        height = max(layer["height"] for layer in record["layers"] if layer["active"])
        limited += height < 1080
        lowest = height if lowest is None else min(lowest, height)
    return limited, lowest


def test_segments_plan_against_actual_agree_with_the_journal(db, figures, rehearsal):
    entered = db.execute("SELECT t, json_extract(data, '$.name'), json_extract(data, '$.planned_s') FROM events "
                         "WHERE type = 'segment.entered' ORDER BY seq").fetchall()
    plan = json.loads(db.execute("SELECT data FROM events WHERE type = 'plan.set' ORDER BY seq DESC LIMIT 1").fetchone()[0])
    assert [t - T0 for t, _n, _p in entered] == SEGMENT_STARTS_S
    ends = [t for t, _n, _p in entered[1:]] + [T0 + END_S]
    planned_start = entered[0][0]
    assert len(figures["segments"]) == len(entered) == len(plan["segments"])
    for segment, (start, name, planned_s), end, planned in zip(figures["segments"], entered, ends, plan["segments"]):
        orders, gmv = db.execute(f"SELECT COUNT(*), COALESCE(SUM(CAST(json_extract(data, '$.amount') AS REAL)), 0) FROM events "
                                 f"WHERE type = 'platform.order' AND {PLATFORM_T} >= ? AND {PLATFORM_T} < ?", (start, end)).fetchone()
        assert segment["name"] == name == planned["name"]
        assert segment["planned_s"] == planned_s == planned["planned_s"]
        assert segment["planned_start_s"] == pytest.approx(planned_start - T0)
        assert segment["actual_start_s"] == pytest.approx(start - T0)
        assert segment["actual_s"] == pytest.approx(end - start)
        assert segment["viewers_start"] == _viewers_at(db, start)
        assert segment["viewers_end"] == _viewers_at(db, end)
        assert segment["orders"] == orders
        assert segment["gmv"] == pytest.approx(gmv, abs=0.005)
        comments, likes_shares = db.execute(
            f"SELECT SUM(type = 'comment.received'), SUM(CASE WHEN type IN ('platform.like', 'platform.share') "
            f"THEN COALESCE(json_extract(data, '$.count'), 1) ELSE 0 END) FROM events "
            f"WHERE {PLATFORM_T} >= ? AND {PLATFORM_T} < ?", (start, end)).fetchone()
        assert segment["comments"] == comments
        assert segment["interactions_per_min"] == pytest.approx((comments + likes_shares) / ((end - start) / 60), abs=0.005)
        moments = [start] + [t for (t,) in db.execute(f"SELECT {PLATFORM_T} FROM events WHERE type = 'platform.viewers' "
                                                      f"AND {PLATFORM_T} >= ? AND {PLATFORM_T} < ?", (start, end))]
        assert segment["viewers_peak"] == max(_viewers_at(db, t) for t in moments)
        viewers_in, viewers_out = _viewers_at(db, start), _viewers_at(db, end)
        assert segment["drop_pct"] == pytest.approx(round(100 * (viewers_in - viewers_out) / viewers_in, 1))
        unique = viewers_in + max(0, _viewers_at(db, end, "$.extra.unique_viewers") - _viewers_at(db, start, "$.extra.unique_viewers"))
        assert segment["unique_viewers"] == unique
        assert segment["conversion_pct"] == pytest.approx(round(100 * orders / unique, 2))
        assert (segment["limited_s"], segment["lowest_height"]) == _stats_between(rehearsal[0].stats, start, end)
        planned_start += planned_s


def test_products_pins_and_orders_agree_with_the_journal(db, figures, rehearsal):
    window_s = 60 * figures["pin_window_min"]
    pins = db.execute("SELECT json_extract(data, '$.sku'), t, LEAD(t) OVER (ORDER BY seq) FROM events "
                      "WHERE type IN ('product.pinned', 'product.unpinned') ORDER BY seq").fetchall()
    kinds = [kind for (kind,) in db.execute("SELECT type FROM events WHERE type IN ('product.pinned', 'product.unpinned') ORDER BY seq")]
    on_screen: dict[str, float] = defaultdict(float)
    pin_count: dict[str, int] = defaultdict(int)
    for (sku, start, following), kind in zip(pins, kinds):
        if kind == "product.pinned":
            pin_count[sku] += 1
            on_screen[sku] += (following if following is not None else T0 + END_S) - start
    spans = [{"sku": sku, "from_s": round(start - T0, 1), "until_s": round((following or T0 + END_S) - T0, 1)}
             for (sku, start, following), kind in zip(pins, kinds) if kind == "product.pinned"]
    assert figures["pins"] == spans
    by_sku = {p["sku"]: p for p in figures["products"]}
    assert set(by_sku) == {"A12", "B07", "C33"}
    for sku, product in by_sku.items():
        orders, units, gmv, with_coupon = db.execute(
            "SELECT COUNT(*), SUM(json_extract(data, '$.quantity')), SUM(CAST(json_extract(data, '$.amount') AS REAL)), "
            "COUNT(json_extract(data, '$.coupon')) FROM events WHERE type = 'platform.order' AND json_extract(data, '$.sku') = ?",
            (sku,)).fetchone()
        after_pin = db.execute(
            f"SELECT COUNT(*) FROM events o WHERE o.type = 'platform.order' AND json_extract(o.data, '$.sku') = ? AND EXISTS ("
            f"SELECT 1 FROM events p WHERE p.type = 'product.pinned' AND json_extract(p.data, '$.sku') = ? "
            f"AND json_extract(o.data, '$.t') >= p.t AND json_extract(o.data, '$.t') < p.t + ?)", (sku, sku, window_s)).fetchone()[0]
        flash_units = db.execute(
            "SELECT COALESCE(SUM(json_extract(s.data, '$.quantity')), 0) FROM events s JOIN events f "
            "ON f.type = 'flash_sale.scheduled' AND json_extract(f.data, '$.id') = json_extract(s.data, '$.id') "
            "WHERE s.type = 'flash_sale.sold' AND json_extract(f.data, '$.sku') = ?", (sku,)).fetchone()[0]
        assert product["pins"] == pin_count[sku]
        assert product["on_screen_s"] == pytest.approx(on_screen[sku])
        assert (product["orders"], product["units"], product["coupon_redemptions"]) == (orders, units, with_coupon)
        assert product["gmv"] == pytest.approx(gmv, abs=0.005)
        assert product["orders_after_pin"] == after_pin
        assert product["flash_sale_units"] == flash_units
    assert by_sku["A12"]["flash_sale_units"] == 12 and by_sku["A12"]["orders_after_pin"] < by_sku["A12"]["orders"]


def test_findings_say_what_the_figures_say(figures):
    texts = [f["text"] for f in figures["findings"]]
    drop = next(f for f in figures["findings"] if f["kind"] == "segment_drop" and f["numbers"]["segment"] == 3)
    numbers = drop["numbers"]
    assert numbers["drop_pct"] == round(100 * (numbers["viewers_before"] - numbers["viewers_after"]) / numbers["viewers_before"])
    assert numbers["limited_s"] == 90 and numbers["lowest_height"] == 540
    assert drop["text"] == (f"Segment 3 (Silk scarf) lost {numbers['drop_pct']} % of viewers in its first 2 minutes "
                            f"({numbers['viewers_before']:,} → {numbers['viewers_after']:,}); the stream was limited to 540p for 90 s of it.")
    pin = next(f for f in figures["findings"] if f["kind"] == "pin_orders" and f["numbers"]["sku"] == "A12")
    a12 = next(p for p in figures["products"] if p["sku"] == "A12")
    assert pin["numbers"]["orders_after_pin"] == a12["orders_after_pin"] and pin["numbers"]["orders"] == a12["orders"]
    assert f"Pins of A12 were followed by {round(100 * a12['orders_after_pin'] / a12['orders'])} % of its orders" in pin["text"]
    assert "Segment 3 (Silk scarf) ran 2:00 over its planned 5:00." in texts
    assert any(t.startswith("The stream froze for 4 s, reconnected once") for t in texts)
