"""iCalendar (RFC 5545) invitations for a planned show.

Written by hand to the RFC rather than with a library: DTSTART/DTEND carry the organiser's TZID and a
VTIMEZONE built from the tz database's real transitions around the show (so a calendar that knows
no such zone still lands on the right instant), TEXT is escaped (``\\ ; , newline``), content lines
are folded at 75 octets without splitting a UTF-8 character, lines end in CRLF.
"""
from __future__ import annotations

import os
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from studio.core.i18n import _
from studio.schedule.errors import ScheduleError
from studio.schedule.zones import zone

PRODID = "-//Bridgecast Studio//Show schedule//EN"
MAX_LINE_OCTETS = 75


def escape_text(text: str) -> str:
    """RFC 5545 §3.3.11 TEXT escaping."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """RFC 5545 §3.1: at most 75 octets a line, continuation lines start with one space."""
    out: list[str] = []
    current, size, limit = [], 0, MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append("".join(current))
            current, size, limit = [" "], 1, MAX_LINE_OCTETS
        current.append(char)
        size += width
    out.append("".join(current))
    return "\r\n".join(out)


def _offset(delta: timedelta) -> str:
    total = int(delta.total_seconds())
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


def _transitions(tz: ZoneInfo, first: datetime, last: datetime) -> list[datetime]:
    """UTC instants (to the minute) where ``tz`` changes offset between ``first`` and ``last``."""
    found = []
    moment = first
    while moment < last:
        following = moment + timedelta(days=1)
        if moment.astimezone(tz).utcoffset() != following.astimezone(tz).utcoffset():
            low, high = moment, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if low.astimezone(tz).utcoffset() == middle.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.replace(second=0, microsecond=0))
        moment = following
    return found


def vtimezone(zone_key: str, start: datetime, end: datetime) -> list[str]:
    """A VTIMEZONE for ``zone_key`` covering a year either side of the show."""
    tz = zone(zone_key)
    first = (start - timedelta(days=366)).astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    last = (end + timedelta(days=366)).astimezone(timezone.utc)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone_key}"]

    def observance(at_utc: datetime, before: timedelta, after: timedelta) -> None:
        local = at_utc.astimezone(tz)
        kind = "DAYLIGHT" if local.dst() else "STANDARD"
        # DTSTART is the local time the observance begins, read in the offset before it.
        lines.extend([f"BEGIN:{kind}", f"DTSTART:{(at_utc + before).replace(tzinfo=None):%Y%m%dT%H%M%S}",
                      f"TZOFFSETFROM:{_offset(before)}", f"TZOFFSETTO:{_offset(after)}"])
        if local.tzname():
            lines.append(f"TZNAME:{escape_text(local.tzname())}")
        lines.append(f"END:{kind}")

    initial = first.astimezone(tz).utcoffset()
    observance(first, initial, initial)
    for moment in _transitions(tz, first, last):
        observance(moment, (moment - timedelta(minutes=1)).astimezone(tz).utcoffset(), moment.astimezone(tz).utcoffset())
    lines.append("END:VTIMEZONE")
    return lines


def _date_time(name: str, moment: datetime, tz: ZoneInfo, zone_key: str) -> str:
    """``NAME;TZID=zone:local`` — or UTC where the local time is the second of an autumn fold, which
    RFC 5545 §3.3.5 reads as the first occurrence."""
    local = moment.astimezone(tz)
    if local.replace(fold=0).astimezone(timezone.utc) != moment.astimezone(timezone.utc):
        return f"{name}:{moment.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"
    return f"{name};TZID={zone_key}:{local:%Y%m%dT%H%M%S}"


def show_uid(start: datetime, title: str) -> str:
    """The same show exported twice keeps its UID, so calendars update it instead of adding one."""
    stamp = start.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{uuid.uuid5(uuid.NAMESPACE_URL, f'bridgecast-show:{stamp}:{title}')}@bridgecast.studio"


def calendar_text(start: datetime, duration_min: int, title: str, zone_key: str, description: str = "",
                  now: datetime | None = None) -> str:
    """One VEVENT in a VCALENDAR; times in ``zone_key`` (``UTC`` writes UTC times, no VTIMEZONE)."""
    if start.tzinfo is None:
        raise ScheduleError(_("a show start needs its time zone"))
    if not title.strip():
        raise ScheduleError(_("an invitation needs a title (--title)"))
    end = start + timedelta(minutes=duration_min)
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    if zone_key == "UTC":
        when = [f"DTSTART:{start.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}", f"DTEND:{end.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"]
    else:
        tz = zone(zone_key)
        lines += vtimezone(zone_key, start, end)
        when = [_date_time("DTSTART", start, tz, zone_key), _date_time("DTEND", end, tz, zone_key)]
    lines += ["BEGIN:VEVENT", f"UID:{show_uid(start, title)}", f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}", *when,
              f"SUMMARY:{escape_text(title.strip())}"]
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    lines += ["TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


def write_ics(path: Path, text: str) -> Path:
    """Write atomically (a half-written invitation never replaces a good one)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ScheduleError(_("cannot write {path}: the folder {folder} does not exist").format(path=path, folder=path.parent))
    handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
