"""DST edges: shows planned across the US and EU switch dates come out right in every market."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from studio.schedule import ScheduleError, parse_market_weights, parse_start, plan_show
from studio.schedule.markets import TimeWindow, market
from studio.schedule.store import PrimeTimeEdits

# 2026: the US springs forward on Sunday 8 March and falls back on Sunday 1 November; the EU on the
# last Sundays of March (29th) and October (25th).  Between those dates New York and Berlin are
# five hours apart instead of six.


def _slots(start_text: str, zone_key: str, codes: str, minutes: int = 120):
    start = parse_start(start_text, zone_key).at
    return {s.market.code: s for s in plan_show(start, parse_market_weights(codes), minutes).slots}


def test_the_same_shanghai_slot_moves_an_hour_in_new_york_when_the_us_springs_forward():
    before = _slots("2026-03-07T09:00", "Asia/Shanghai", "US,DE,CN")
    after = _slots("2026-03-09T09:00", "Asia/Shanghai", "US,DE,CN")
    assert (before["US"].local_start.hour, before["US"].local_start.utcoffset()) == (20, timedelta(hours=-5))
    assert (after["US"].local_start.hour, after["US"].local_start.utcoffset()) == (21, timedelta(hours=-4))
    assert before["DE"].local_start.hour == after["DE"].local_start.hour == 2  # Berlin has not switched yet
    assert before["US"].prime_minutes == 120 and after["US"].prime_minutes == 120
    assert before["US"].is_start_in_prime and after["US"].is_start_in_prime


@pytest.mark.parametrize(("day", "gap_hours"), [
    ("2026-03-06", 6), ("2026-03-20", 5), ("2026-03-30", 6),   # spring: US first, EU three weeks later
    ("2026-10-23", 6), ("2026-10-28", 5), ("2026-11-02", 6),   # autumn: EU first, US a week later
])
def test_new_york_and_berlin_are_five_hours_apart_only_between_the_two_switches(day, gap_hours):
    slots = _slots(f"{day}T20:00", "Europe/Berlin", "DE,US")
    assert slots["DE"].local_start.hour == 20
    assert slots["US"].local_start.hour == 20 - gap_hours
    assert slots["DE"].local_start == slots["US"].local_start  # one instant, two wall clocks


def test_a_show_running_through_the_eu_spring_switch_lasts_its_real_minutes():
    slots = _slots("2026-03-29T01:30", "Europe/Berlin", "DE,GB", minutes=120)
    assert slots["DE"].local_start.strftime("%H:%M %z") == "01:30 +0100"
    assert slots["DE"].local_end.strftime("%H:%M %z") == "04:30 +0200"  # 2 h real, 3 h on the wall clock
    assert slots["GB"].local_end.strftime("%H:%M %z") == "03:30 +0100"
    # (Subtracting two times of one zone compares wall clocks in Python — 3 h here; UTC says 2 h.)
    real = slots["DE"].local_end.astimezone(timezone.utc) - slots["DE"].local_start.astimezone(timezone.utc)
    assert real == timedelta(hours=2)


def test_prime_time_on_the_us_fall_back_day_is_counted_in_real_minutes():
    # 1 November 2026: New York's 20:00-23:00 window is three real hours on a 25-hour day.
    slots = _slots("2026-11-01T20:00", "America/New_York", "US", minutes=180)
    assert slots["US"].prime_minutes == 180 and slots["US"].fit == 1.0
    # A show an hour earlier overlaps two hours of it.
    earlier = _slots("2026-11-01T19:00", "America/New_York", "US", minutes=180)
    assert earlier["US"].prime_minutes == 120 and not earlier["US"].is_start_in_prime


@pytest.mark.parametrize(("text", "zone_key"), [("2026-03-29T02:30", "Europe/Berlin"), ("2026-03-08T02:30", "America/New_York")])
def test_a_start_in_the_spring_gap_is_refused_in_words(text, zone_key):
    with pytest.raises(ScheduleError, match="does not exist in"):
        parse_start(text, zone_key)


def test_a_start_in_the_autumn_fold_takes_the_earlier_time_unless_an_offset_picks_the_later():
    first = parse_start("2026-10-25T02:30", "Europe/Berlin")
    assert first.is_ambiguous and first.at.utcoffset() == timedelta(hours=2)
    later = parse_start("2026-10-25T02:30+01:00", "Europe/Berlin")
    assert not later.is_ambiguous and later.at.utcoffset() == timedelta(hours=1)
    assert later.at.astimezone(timezone.utc) - first.at.astimezone(timezone.utc) == timedelta(hours=1)
    with pytest.raises(ScheduleError, match="offset"):
        parse_start("2026-10-25T02:30+05:00", "Europe/Berlin")


def test_a_prime_window_past_midnight_counts_both_sides_of_it():
    assert market("KR").prime_time == (TimeWindow.parse("19:00-00:00"),)
    late = _slots("2026-06-10T23:00", "Asia/Seoul", "KR", minutes=120)  # 23:00-01:00, window ends 00:00
    assert late["KR"].prime_minutes == 60 and late["KR"].is_start_in_prime
    edits = PrimeTimeEdits(windows={"KR": ["22:00-02:00"]})
    start = parse_start("2026-06-10T23:00", "Asia/Seoul").at
    slot = plan_show(start, parse_market_weights("KR"), 120, edits=edits).slots[0]
    assert slot.is_team_window and slot.prime_minutes == 120


def test_the_score_weights_each_market():
    start = parse_start("2026-07-01T20:00", "Asia/Bangkok").at  # prime in TH, 09:00 in New York
    assert plan_show(start, parse_market_weights("TH,US"), 120).score == 50
    assert plan_show(start, parse_market_weights("TH:3,US"), 120).score == 75


@pytest.mark.parametrize("key", ["Mars/Base", "../../etc/passwd", "", "Asia/"])
def test_unknown_zones_are_refused_in_words(key):
    with pytest.raises(ScheduleError, match="unknown time zone"):
        parse_start("2026-07-01T20:00", key)


def test_unknown_markets_and_bad_weights_are_refused_in_words():
    with pytest.raises(ScheduleError, match="unknown market “XX”"):
        parse_market_weights("TH,XX")
    with pytest.raises(ScheduleError, match="weight"):
        parse_market_weights("TH:0")
    with pytest.raises(ScheduleError, match="twice"):
        parse_market_weights("TH,th")


def test_every_market_has_a_real_zone_a_window_and_a_source():
    from studio.schedule import load_markets
    from studio.schedule.zones import zone

    markets = load_markets()
    assert set(markets) >= {"TH", "ID", "VN", "MY", "PH", "SG", "SA", "AE", "BR", "MX", "US", "GB", "DE", "CN", "JP", "KR"}
    for m in markets.values():
        zone(m.zone_key)
        assert m.prime_time and m.source.strip()
        assert m.region in {"sea", "middle_east", "latam", "na_eu", "jp_kr"}
    assert datetime(2026, 1, 1, tzinfo=zone("Asia/Bangkok")).utcoffset() == timedelta(hours=7)
