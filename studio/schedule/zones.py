"""Time zones and show starts: IANA zones through ``zoneinfo``, wall-clock times checked against DST.

A local start that falls in a spring-forward gap does not exist and is refused in words; one that
falls in an autumn fold happens twice, so the earlier one is taken unless the text carries an offset
that picks the later one.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from studio.core.i18n import _
from studio.schedule.errors import ScheduleError

_ZONE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")


@functools.lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    """Every IANA zone name this machine knows (the system's tz database or the tzdata package)."""
    return frozenset(available_timezones())


@functools.lru_cache(maxsize=256)
def zone(key: str) -> ZoneInfo:
    """The IANA zone ``key`` ("Asia/Bangkok"); ScheduleError in words for anything else."""
    text = (key or "").strip()
    if not _ZONE_KEY.fullmatch(text) or (text not in zone_names() and text != "UTC"):
        raise ScheduleError(_("unknown time zone “{zone}” (use an IANA name such as Asia/Bangkok or America/Sao_Paulo)").format(zone=key))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(_("unknown time zone “{zone}” (use an IANA name such as Asia/Bangkok or America/Sao_Paulo)").format(zone=key)) from None


@dataclass(frozen=True)
class ParsedStart:
    """A show start: the instant, and whether its wall-clock time happens twice in its zone."""

    at: datetime  # aware, in the zone it was given in
    is_ambiguous: bool


def parse_start(text: str, zone_key: str) -> ParsedStart:
    """``2026-03-28T20:00`` (wall clock in ``zone_key``; an offset such as ``+01:00`` may pick one
    of the two times an autumn fold repeats) → the aware start.  ScheduleError for text that is no
    date and time, or a time the clocks skip."""
    tz = zone(zone_key)
    try:
        given = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise ScheduleError(_("--start takes a local date and time such as 2026-11-11T20:00, not “{value}”").format(value=text)) from None
    naive = given.replace(tzinfo=None, second=0, microsecond=0)
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if _wall_clock(first, tz) != naive:
        raise ScheduleError(_("{start} does not exist in {zone}: the clocks skip that hour (daylight saving starts); pick a time after the change").format(
            start=naive.strftime("%Y-%m-%d %H:%M"), zone=zone_key))
    is_ambiguous = first.utcoffset() != second.utcoffset()
    if given.tzinfo is not None:
        offset = given.utcoffset()
        for candidate in (first, second):
            if candidate.utcoffset() == offset:
                return ParsedStart(candidate, False)
        raise ScheduleError(_("the offset in --start does not match {zone} on that date").format(zone=zone_key))
    return ParsedStart(first, is_ambiguous)


def _wall_clock(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)


def local_start(start: datetime, zone_key: str) -> datetime:
    """``start`` (aware) as wall-clock time in ``zone_key``; the offset is the one in force then."""
    if start.tzinfo is None:
        raise ScheduleError(_("a show start needs its time zone"))
    return start.astimezone(zone(zone_key))
