"""Target markets as data (resources/schedule/markets.json): zone, region pack, locale and the default
prime-time windows with where each comes from."""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import time

from studio.core.i18n import _
from studio.core.paths import RESOURCES_DIR
from studio.schedule.errors import ScheduleDataError, ScheduleError

MARKETS_FILE = RESOURCES_DIR / "schedule" / "markets.json"
_WINDOW = re.compile(r"\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*")
MAX_WEIGHT = 100.0


@dataclass(frozen=True)
class TimeWindow:
    """A daily window in local wall-clock time; ``end`` at or before ``start`` runs past midnight."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> "TimeWindow":
        match = _WINDOW.fullmatch(text or "")
        if match is None:
            raise ScheduleError(_("a prime-time window is written HH:MM-HH:MM (e.g. 19:00-23:00), not “{value}”").format(value=text))
        hour_a, minute_a, hour_b, minute_b = (int(g) for g in match.groups())
        if (hour_a, minute_a) == (hour_b, minute_b):
            raise ScheduleError(_("a prime-time window cannot start and end at the same time (“{value}”)").format(value=text))
        return cls(time(hour_a, minute_a), time(hour_b, minute_b))

    @property
    def length_min(self) -> int:
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        return (end - start) % (24 * 60)

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Market:
    """One target market: ISO 3166 code, IANA zone, the cover designer's region pack, the viewers'
    locale and its default prime time (``source`` says where those hours come from)."""

    code: str
    zone_key: str
    region: str
    locale: str
    prime_time: tuple[TimeWindow, ...]
    source: str


@functools.lru_cache(maxsize=1)
def load_markets() -> dict[str, Market]:
    """Every shipped market by code (read once)."""
    try:
        data = json.loads(MARKETS_FILE.read_text(encoding="utf-8"))
        result = {}
        for row in data["markets"]:
            code = str(row["code"]).upper()
            result[code] = Market(code, row["zone"], row["region"], row["locale"],
                                  tuple(TimeWindow.parse(w) for w in row["prime_time"]), row["source"])
        return result
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScheduleDataError(_("the market data {path} cannot be read: {reason}").format(path=MARKETS_FILE, reason=exc)) from exc


def market(code: str) -> Market:
    """The market ``code`` ("TH", case-insensitive); ScheduleError naming the known ones."""
    markets = load_markets()
    found = markets.get((code or "").strip().upper())
    if found is None:
        raise ScheduleError(_("unknown market “{code}” (known: {known})").format(code=code, known=", ".join(markets)))
    return found


def markets_in_region(region: str) -> list[Market]:
    """The markets a cover designer region pack ("sea", "middle_east", …) is made for."""
    return [m for m in load_markets().values() if m.region == region]


def parse_market_weights(text: str) -> list[tuple[Market, float]]:
    """``TH:2,ID,VN`` → each market with its weight in the score (1 unless given)."""
    result: list[tuple[Market, float]] = []
    seen: set[str] = set()
    for part in (text or "").split(","):
        if not part.strip():
            continue
        code, _sep, weight_text = part.partition(":")
        found = market(code)
        weight = 1.0
        if weight_text.strip():
            try:
                weight = float(weight_text)
            except ValueError:
                weight = -1.0
            if not 0 < weight <= MAX_WEIGHT:
                raise ScheduleError(_("a market's weight is a number above 0 and at most 100 (“{value}”)").format(value=part.strip()))
        if found.code in seen:
            raise ScheduleError(_("market {code} is listed twice").format(code=found.code))
        seen.add(found.code)
        result.append((found, weight))
    if not result:
        raise ScheduleError(_("name at least one target market, e.g. --markets TH,ID,VN"))
    return result
