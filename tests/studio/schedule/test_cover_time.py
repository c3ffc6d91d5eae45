"""What the cover variable {start_time_local} shows per market: the market's zone (DST-safe) in its
viewers' locale, whatever the operator's UI language is."""
from __future__ import annotations

from studio.core import i18n
from studio.schedule import market, markets_in_region, parse_start, start_time_local


def test_each_market_reads_its_own_clock_in_its_own_words():
    start = parse_start("2026-11-11T20:00", "Asia/Shanghai").at
    assert start_time_local(start, "US", market("US").locale) == "Wed, Nov 11, 2026, 7:00\u202fAM (GMT-05:00)"
    assert start_time_local(start, "CN", market("CN").locale) == "2026年11月11日周三 20:00 (GMT+08:00)"
    thai = start_time_local(start, "TH", market("TH").locale)
    assert "19:00" in thai and "พ.ย." in thai  # Thai month, Bangkok's clock
    try:
        i18n.set_language("zh_CN")  # the operator's language does not change what viewers read
        assert start_time_local(start, "US", "en_US") == "Wed, Nov 11, 2026, 7:00\u202fAM (GMT-05:00)"
    finally:
        i18n.set_language("en")


def test_the_us_clock_on_a_cover_moves_with_its_dst_switch():
    before = start_time_local(parse_start("2026-03-07T09:00", "Asia/Shanghai").at, "US", "en_US")
    after = start_time_local(parse_start("2026-03-09T09:00", "Asia/Shanghai").at, "US", "en_US")
    assert "8:00\u202fPM (GMT-05:00)" in before and "9:00\u202fPM (GMT-04:00)" in after


def test_region_packs_map_to_markets():
    assert {m.code for m in markets_in_region("sea")} == {"TH", "ID", "VN", "MY", "PH", "SG"}
    assert {m.code for m in markets_in_region("middle_east")} == {"SA", "AE"}


def test_cover_time_variables_for_a_market_and_an_unknown_one():
    import pytest

    from studio.schedule import ScheduleError, cover_time_variables

    start = parse_start("2026-03-28T21:00", "Asia/Jakarta").at  # the night before the EU clocks go forward
    values = cover_time_variables(start, "de", "Ramadan live")
    assert values["time_zone"] == "Europe/Berlin" and values["start_clock_local"] == "15:00"
    assert values["start_time_local"] == start_time_local(start, "DE", market("DE").locale)
    assert values["show_title"] == "Ramadan live"
    assert cover_time_variables(parse_start("2026-03-29T21:00", "Asia/Jakarta").at, "DE")["start_clock_local"] == "16:00"
    with pytest.raises(ScheduleError, match="ZZ"):
        cover_time_variables(start, "ZZ")
