"""Plan one show across markets: each market's local start and end, its prime time, a score for the
slot, conflicts with the team's other shows and the festivals around it.

All interval arithmetic is done on UTC instants: Python compares and subtracts two datetimes in the
same zone by wall clock, which is off by an hour across a DST change.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from studio.core.i18n import _
from studio.schedule.errors import ScheduleError
from studio.schedule.festivals import FestivalNear, festivals_near, uncovered_years
from studio.schedule.markets import Market, TimeWindow
from studio.schedule.store import PlannedShow, PrimeTimeEdits, TeamPlan
from studio.schedule.zones import zone

MAX_DURATION_MIN = 24 * 60


@dataclass(frozen=True)
class MarketSlot:
    """The show as one market sees it."""

    market: Market
    weight: float
    local_start: datetime
    local_end: datetime
    windows: tuple[TimeWindow, ...]
    is_team_window: bool  # the team's own windows rather than the shipped defaults
    is_start_in_prime: bool
    prime_minutes: int  # minutes of the show inside prime time
    fit: float  # 0..1: prime minutes / the most the show could have (its length or the windows')


@dataclass(frozen=True)
class ShowPlan:
    start: datetime
    duration_min: int
    slots: tuple[MarketSlot, ...]
    score: int  # 0..100, the weighted fit over the markets
    conflicts: tuple[PlannedShow, ...] = ()
    festivals: tuple[FestivalNear, ...] = ()
    uncovered_years: tuple[int, ...] = ()
    is_ambiguous: bool = False

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration_min)

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json`` (instants as ISO 8601 with their offsets)."""
        return {
            "start_utc": self.start.astimezone(timezone.utc).isoformat(),
            "duration_min": self.duration_min,
            "score": self.score,
            "is_ambiguous": self.is_ambiguous,
            "markets": [{
                "code": s.market.code, "zone": s.market.zone_key, "weight": s.weight,
                "local_start": s.local_start.isoformat(), "local_end": s.local_end.isoformat(),
                "prime_time": [str(w) for w in s.windows], "prime_time_source": "team" if s.is_team_window else s.market.source,
                "is_start_in_prime": s.is_start_in_prime, "prime_minutes": s.prime_minutes, "fit": round(s.fit, 3),
            } for s in self.slots],
            "conflicts": [{"id": c.id, "title": c.title, "start_utc": c.start.astimezone(timezone.utc).isoformat(),
                           "duration_min": c.duration_min, "markets": c.markets} for c in self.conflicts],
            "festivals": [{"id": f.festival.id, "name": f.festival.name, "first_day": f.first_day.isoformat(),
                           "last_day": f.last_day.isoformat(), "markets": list(f.markets), "days_away": f.days_away,
                           "is_estimated": f.is_estimated, "source": f.festival.source} for f in self.festivals],
            "festival_years_not_covered": list(self.uncovered_years),
        }


def window_spans(window: TimeWindow, zone_key: str, first: date, last: date) -> list[tuple[datetime, datetime]]:
    """The window's occurrences starting on each local day ``first``..``last``, as UTC instants."""
    tz = zone(zone_key)
    spans = []
    day = first
    while day <= last:
        end_day = day + timedelta(days=1) if window.crosses_midnight else day
        start = datetime.combine(day, window.start, tzinfo=tz).astimezone(timezone.utc)
        end = datetime.combine(end_day, window.end, tzinfo=tz).astimezone(timezone.utc)
        spans.append((start, end))
        day += timedelta(days=1)
    return spans


def _slot(market: Market, weight: float, start: datetime, duration_min: int, edits: PrimeTimeEdits | None) -> MarketSlot:
    tz = zone(market.zone_key)
    start_utc = start.astimezone(timezone.utc)
    end_utc = start_utc + timedelta(minutes=duration_min)
    team_windows = edits.windows_for(market.code) if edits is not None else None
    windows = team_windows or market.prime_time
    local_start, local_end = start_utc.astimezone(tz), end_utc.astimezone(tz)
    overlap = timedelta()
    is_start_in_prime = False
    for window in windows:
        for span_start, span_end in window_spans(window, market.zone_key, local_start.date() - timedelta(days=1), local_end.date()):
            is_start_in_prime = is_start_in_prime or span_start <= start_utc < span_end
            overlap += max(timedelta(), min(end_utc, span_end) - max(start_utc, span_start))
    prime_minutes = int(overlap.total_seconds() // 60)
    best = min(duration_min, sum(w.length_min for w in windows)) or 1
    return MarketSlot(market, weight, local_start, local_end, tuple(windows), team_windows is not None,
                      is_start_in_prime, prime_minutes, min(1.0, prime_minutes / best))


def plan_show(start: datetime, markets: list[tuple[Market, float]], duration_min: int = 120, *,
              edits: PrimeTimeEdits | None = None, team: TeamPlan | None = None, show_id: str | None = None,
              is_ambiguous: bool = False) -> ShowPlan:
    """The plan for a show starting at ``start`` (aware) for ``markets`` (with weights)."""
    if start.tzinfo is None:
        raise ScheduleError(_("a show start needs its time zone"))
    if not 1 <= duration_min <= MAX_DURATION_MIN:
        raise ScheduleError(_("a show lasts from 1 to 1440 minutes, not {minutes}").format(minutes=duration_min))
    if not markets:
        raise ScheduleError(_("name at least one target market, e.g. --markets TH,ID,VN"))
    slots = tuple(_slot(m, w, start, duration_min, edits) for m, w in markets)
    total_weight = sum(s.weight for s in slots)
    score = round(100 * sum(s.fit * s.weight for s in slots) / total_weight)
    end = start + timedelta(minutes=duration_min)
    conflicts = tuple(show for show in (team.shows if team else [])
                      if show.id != show_id and show.start < end and start < show.end)
    festivals = tuple(festivals_near({s.market.code: s.local_start.date() for s in slots}))
    years = {s.local_start.year for s in slots} | {s.local_end.year for s in slots}
    return ShowPlan(start, duration_min, slots, score, conflicts, festivals, tuple(uncovered_years(years)), is_ambiguous)
