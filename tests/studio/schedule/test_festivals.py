"""The festival data: every entry sourced and named, per-year dates for every covered year, dates
that agree with their published rules, and the ±7-day look-up around a show."""
from __future__ import annotations

from datetime import date, timedelta

from studio.core import i18n
from studio.schedule import load_markets
from studio.schedule.festivals import FESTIVAL_NAMES, festivals_near, load_festivals, uncovered_years


def _festival(festival_id: str):
    return next(f for f in load_festivals().festivals if f.id == festival_id)


def test_every_festival_has_a_source_known_markets_and_a_translatable_name():
    data = load_festivals()
    markets = set(load_markets())
    ids = [f.id for f in data.festivals]
    assert len(ids) == len(set(ids))
    for festival in data.festivals:
        assert festival.source.strip(), festival.id
        assert set(festival.markets) <= markets, festival.id
        assert festival.id in FESTIVAL_NAMES, f"{festival.id}: add its name to FESTIVAL_NAMES (translatable)"
        if festival.fixed is None:
            assert set(festival.dates) == set(data.years_covered), f"{festival.id} lacks a year"
    assert {"ramadan", "eid_al_fitr_gulf", "hari_raya_aidilfitri", "black_friday", "singles_day", "sea_11_11",
            "sea_12_12", "songkran", "lunar_new_year", "dia_do_consumidor"} <= set(ids)


def test_black_friday_and_cyber_monday_follow_us_thanksgiving():
    for year in load_festivals().years_covered:
        first_thursday = date(year, 11, 1) + timedelta(days=(3 - date(year, 11, 1).weekday()) % 7)
        thanksgiving = first_thursday + timedelta(weeks=3)
        assert _festival("black_friday").occurrence(year)[0] == thanksgiving + timedelta(days=1)
        assert _festival("cyber_monday").occurrence(year)[0] == thanksgiving + timedelta(days=4)


def test_islamic_dates_are_consistent_ramadan_ends_the_day_before_eid():
    ramadan, eid = _festival("ramadan"), _festival("eid_al_fitr_gulf")
    previous = None
    for year in load_festivals().years_covered:
        first, last = ramadan.occurrence(year)
        assert (last - first).days + 1 in (29, 30)  # a lunar month
        assert eid.occurrence(year)[0] == last + timedelta(days=1)
        # Southeast Asia's Hari Raya is the Gulf's Eid or a day after (moon sighting), never before.
        assert 0 <= (_festival("hari_raya_aidilfitri").occurrence(year)[0] - eid.occurrence(year)[0]).days <= 1
        if previous is not None:  # the Islamic year is 10-12 days shorter than the Gregorian one
            assert 10 <= (previous + timedelta(days=365) - first).days <= 12
        previous = first


def test_lunar_new_year_falls_between_21_january_and_20_february():
    for festival_id in ("lunar_new_year", "seollal"):
        for year in load_festivals().years_covered:
            first, _last = _festival(festival_id).occurrence(year)
            assert date(year, 1, 20) <= first <= date(year, 2, 20)


def test_festivals_within_seven_days_of_a_show_per_market():
    near = festivals_near({"TH": date(2026, 11, 4), "US": date(2026, 11, 4)})
    assert [n.festival.id for n in near] == ["sea_11_11"] and near[0].days_away == 7 and near[0].markets == ("TH",)
    assert "sea_11_11" not in [n.festival.id for n in festivals_near({"TH": date(2026, 11, 3)})]  # eight days away
    during = {n.festival.id: n for n in festivals_near({"SA": date(2026, 3, 1), "ID": date(2026, 3, 1)})}
    assert during["ramadan"].days_away == 0 and set(during["ramadan"].markets) == {"SA", "ID"}
    after = {n.festival.id: n for n in festivals_near({"BR": date(2026, 3, 20)})}
    assert after["dia_do_consumidor"].days_away == -5  # it ended five days before the show
    new_year = {n.festival.id: n for n in festivals_near({"BR": date(2026, 12, 28), "JP": date(2026, 12, 28)})}
    assert new_year["hatsuuri"].first_day == date(2027, 1, 1)  # across the year's end


def test_a_year_outside_the_data_is_said_and_fixed_festivals_still_show():
    assert uncovered_years({2026, 2029}) == [2029]
    assert [n.festival.id for n in festivals_near({"CN": date(2029, 11, 10)})] == ["singles_day"]
    assert all(n.festival.id != "ramadan" for n in festivals_near({"SA": date(2029, 1, 20)}))


def test_festival_names_follow_the_ui_language():
    try:
        i18n.set_language("zh_CN")
        assert _festival("black_friday").name != "Black Friday"
    finally:
        i18n.set_language("en")
    assert _festival("black_friday").name == "Black Friday"
