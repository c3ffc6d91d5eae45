"""The .ics invitations are valid RFC 5545: parsed back by the icalendar library to the same instant,
with UID, DTSTAMP, a VTIMEZONE that agrees with the tz database, escaped TEXT and folded lines."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import icalendar
import pytest

from studio.schedule import ScheduleError, parse_start
from studio.schedule.ics import calendar_text, escape_text, fold, show_uid, write_ics

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


def _event(text: str) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(text)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


@pytest.mark.parametrize(("start_text", "zone_key"), [
    ("2026-03-28T20:00", "Europe/Berlin"),      # the day before the EU switch
    ("2026-03-29T20:00", "Europe/Berlin"),      # the day of it
    ("2026-03-08T20:00", "America/New_York"),   # the US switch day
    ("2026-11-11T20:00", "Asia/Bangkok"),       # no DST at all
    ("2026-11-01T01:30-05:00", "America/New_York"),  # the second 01:30 of the US fall-back night
])
def test_the_invitation_parses_back_to_the_same_instant(start_text, zone_key):
    start = parse_start(start_text, zone_key).at
    text = calendar_text(start, 90, "Flash sale", zone_key, now=NOW)
    event = _event(text)
    assert event["DTSTART"].dt.astimezone(timezone.utc) == start.astimezone(timezone.utc)
    assert event["DTEND"].dt.astimezone(timezone.utc) == start.astimezone(timezone.utc) + timedelta(minutes=90)
    # The second 01:30 of a fall-back night is written in UTC: RFC 5545 reads a TZID time there as the first.
    assert event["DTSTART"].params.get("TZID") == (None if start.fold else zone_key)
    assert str(event["UID"]) == show_uid(start, "Flash sale")
    assert event["DTSTAMP"].dt == NOW
    # The VTIMEZONE alone (not the zone name) must give the right offset: calendars that do not
    # know the IANA name rely on it.
    vtimezone = next(iter(icalendar.Calendar.from_ical(text).walk("VTIMEZONE")))
    own = vtimezone.to_tz(lookup_tzid=False)
    local = start.replace(tzinfo=None)
    assert own.utcoffset(local) == start.utcoffset()


def test_utc_invitations_need_no_vtimezone():
    start = parse_start("2026-06-01T12:00", "UTC").at
    text = calendar_text(start, 60, "Show", "UTC", now=NOW)
    assert "VTIMEZONE" not in text and "DTSTART:20260601T120000Z" in text
    assert _event(text)["DTSTART"].dt == start


def test_text_is_escaped_folded_and_crlf_terminated():
    title = "Flash sale; 50% off, Bangkok\\Jakarta — 限时秒杀 " + "ลดราคา " * 12
    description = "TH: 20:00\nID: 20:00, SA: 16:00"
    start = parse_start("2026-11-11T20:00", "Asia/Bangkok").at
    text = calendar_text(start, 120, title, "Asia/Bangkok", description, now=NOW)
    raw = text.encode("utf-8")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # no character split across a fold
    event = _event(text)
    assert str(event["SUMMARY"]) == title.strip()
    assert str(event["DESCRIPTION"]) == description
    assert escape_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
    assert fold("x" * 80) == "x" * 75 + "\r\n " + "x" * 5


def test_writing_refuses_a_missing_folder_and_keeps_the_old_file_on_success(tmp_path):
    start = parse_start("2026-11-11T20:00", "Asia/Bangkok").at
    with pytest.raises(ScheduleError, match="does not exist"):
        write_ics(tmp_path / "nowhere" / "show.ics", calendar_text(start, 60, "Show", "Asia/Bangkok", now=NOW))
    path = write_ics(tmp_path / "show.ics", calendar_text(start, 60, "Show", "Asia/Bangkok", now=NOW))
    assert _event(path.read_text(encoding="utf-8"))["SUMMARY"] == "Show"
    assert [p.name for p in tmp_path.iterdir()] == ["show.ics"]  # no temporary file left behind
    with pytest.raises(ScheduleError, match="title"):
        calendar_text(start, 60, "  ", "Asia/Bangkok")
