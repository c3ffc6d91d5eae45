"""The team's plan and prime-time edits: saved, read back, conflicts found, and a damaged file never
overwritten or lost."""
from __future__ import annotations

from datetime import timedelta

import pytest

from studio.schedule import ScheduleDataError, parse_market_weights, parse_start, plan_show
from studio.schedule import store


def _show(title: str, start_text: str, minutes: int = 120) -> store.PlannedShow:
    return store.PlannedShow(title=title, start=parse_start(start_text, "Asia/Shanghai").at, duration_min=minutes, markets=["TH"])


def test_planned_shows_are_kept_and_overlaps_are_conflicts(isolated_settings):
    store.add_planned_show(_show("Beauty night", "2026-11-10T20:00"))
    store.add_planned_show(_show("Morning deals", "2026-11-11T09:00", 60))
    plan = store.load_team_plan()
    assert [s.title for s in plan.shows] == ["Beauty night", "Morning deals"]
    assert store.team_plan_path().parent == isolated_settings / "schedule"
    # A Bangkok show at 21:00 starts at 22:00 in Shanghai, as "Beauty night" (20:00-22:00 there) ends;
    # one at 19:30 Bangkok (20:30 Shanghai) overlaps it.
    start = parse_start("2026-11-10T21:00", "Asia/Bangkok").at
    result = plan_show(start, parse_market_weights("TH"), 60, team=plan)
    assert [c.title for c in result.conflicts] == []
    start = parse_start("2026-11-10T19:30", "Asia/Bangkok").at
    result = plan_show(start, parse_market_weights("TH"), 60, team=plan)
    assert [c.title for c in result.conflicts] == ["Beauty night"]
    # The show itself is no conflict with its own entry.
    own = plan.shows[0]
    assert plan_show(own.start, parse_market_weights("TH"), 60, team=plan, show_id=own.id).conflicts == ()
    # Back to back is fine.
    after = own.start + timedelta(minutes=own.duration_min)
    assert plan_show(after, parse_market_weights("TH"), 30, team=plan).conflicts == ()


def test_a_damaged_plan_is_said_in_words_and_never_overwritten(isolated_settings):
    path = store.team_plan_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"shows": [{"title": "half', encoding="utf-8")
    with pytest.raises(ScheduleDataError, match="cannot be read"):
        store.load_team_plan()
    with pytest.raises(ScheduleDataError):
        store.add_planned_show(_show("New", "2026-11-10T20:00"))
    assert path.read_text(encoding="utf-8") == '{"shows": [{"title": "half'


def test_prime_time_edits_replace_the_defaults_and_a_damaged_file_is_kept_aside(isolated_settings):
    assert store.load_prime_time_edits().windows == {}
    path = store.prime_time_path()
    path.parent.mkdir(parents=True)
    path.write_text("not json", encoding="utf-8")
    with pytest.raises(ScheduleDataError):
        store.load_prime_time_edits()
    kept = store.save_prime_time_edits(store.PrimeTimeEdits(windows={"TH": ["19:00-22:00"]}))
    assert kept is not None and kept.read_text(encoding="utf-8") == "not json"
    assert store.load_prime_time_edits().windows == {"TH": ["19:00-22:00"]}
    with pytest.raises(ValueError):
        store.PrimeTimeEdits(windows={"TH": ["7pm-10pm"]})
    with pytest.raises(ValueError):
        store.PrimeTimeEdits(windows={"XX": ["19:00-22:00"]})
