"""Shopping festivals per market as data (resources/schedule/festivals.json), each with its source.

Lunar and Islamic dates are copied per year from published calendars, never computed here; a year
outside the data is said plainly rather than guessed.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from studio.core.i18n import N_, _
from studio.core.paths import RESOURCES_DIR
from studio.schedule.errors import ScheduleDataError

FESTIVALS_FILE = RESOURCES_DIR / "schedule" / "festivals.json"
NEAR_DAYS = 7

# The names people read, translatable; the data file's English name is the fallback for a new id.
FESTIVAL_NAMES: dict[str, str] = {
    "singles_day": N_("Singles' Day (Double 11)"),
    "sea_11_11": N_("11.11 mega sale"),
    "sea_12_12": N_("12.12 sale"),
    "sea_9_9": N_("9.9 sale"),
    "sea_10_10": N_("10.10 sale"),
    "jd_618": N_("618 shopping festival"),
    "black_friday": N_("Black Friday"),
    "cyber_monday": N_("Cyber Monday"),
    "dia_do_consumidor": N_("Consumer Day (Dia do Consumidor)"),
    "songkran": N_("Songkran"),
    "lunar_new_year": N_("Lunar New Year (Spring Festival, Tết)"),
    "seollal": N_("Seollal (Korean New Year)"),
    "chuseok": N_("Chuseok"),
    "ramadan": N_("Ramadan"),
    "eid_al_fitr_gulf": N_("Eid al-Fitr"),
    "hari_raya_aidilfitri": N_("Hari Raya Aidilfitri (Lebaran)"),
    "eid_al_adha_gulf": N_("Eid al-Adha"),
    "idul_adha_id": N_("Idul Adha"),
    "hari_raya_haji": N_("Hari Raya Haji"),
    "saudi_national_day": N_("Saudi National Day sales"),
    "hatsuuri": N_("New Year sales (hatsuuri, fukubukuro)"),
}


@dataclass(frozen=True)
class Festival:
    """One festival: fixed ("11-11") or dated per year; ``days`` long (per year for Ramadan)."""

    id: str
    english_name: str
    markets: tuple[str, ...]
    source: str
    fixed: tuple[int, int] | None = None
    dates: dict[int, date] = field(default_factory=dict)
    days: int = 1
    days_by_year: dict[int, int] = field(default_factory=dict)
    estimated_years: frozenset[int] = frozenset()

    @property
    def name(self) -> str:
        """The festival's name in the operator's language."""
        return _(FESTIVAL_NAMES[self.id]) if self.id in FESTIVAL_NAMES else self.english_name

    def occurrence(self, year: int) -> tuple[date, date] | None:
        """First and last day in ``year``; None where the data has no date for that year."""
        if self.fixed is not None:
            start = date(year, *self.fixed)
        elif year in self.dates:
            start = self.dates[year]
        else:
            return None
        return start, start + timedelta(days=self.days_by_year.get(year, self.days) - 1)


@dataclass(frozen=True)
class FestivalNear:
    """A festival within reach of a show: its days, the show's markets it concerns, how far away."""

    festival: Festival
    first_day: date
    last_day: date
    markets: tuple[str, ...]
    days_away: int  # 0 while it runs; negative when it ended before the show
    is_estimated: bool


@dataclass(frozen=True)
class FestivalData:
    festivals: tuple[Festival, ...]
    years_covered: tuple[int, ...]


@functools.lru_cache(maxsize=1)
def load_festivals() -> FestivalData:
    """The shipped festival data (read once); ScheduleDataError in words if it is damaged."""
    try:
        data = json.loads(FESTIVALS_FILE.read_text(encoding="utf-8"))
        festivals = []
        for row in data["festivals"]:
            fixed = None
            if "fixed" in row:
                month, day = (int(p) for p in row["fixed"].split("-"))
                date(2024, month, day)  # a real month and day (2024: 29 February would pass)
                fixed = (month, day)
            dates = {int(year): date.fromisoformat(text) for year, text in row.get("dates", {}).items()}
            if fixed is None and not dates:
                raise ValueError(f"festival {row['id']} has neither a fixed day nor dates")
            festivals.append(Festival(
                id=row["id"], english_name=row["name"], markets=tuple(row["markets"]), source=row["source"], fixed=fixed,
                dates=dates, days=int(row.get("days", 1)),
                days_by_year={int(y): int(n) for y, n in row.get("days_by_year", {}).items()},
                estimated_years=frozenset(int(y) for y in row.get("estimated_years", []))))
        return FestivalData(tuple(festivals), tuple(int(y) for y in data["years_covered"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScheduleDataError(_("the festival data {path} cannot be read: {reason}").format(path=FESTIVALS_FILE, reason=exc)) from exc


def festivals_near(day_by_market: dict[str, date], within_days: int = NEAR_DAYS) -> list[FestivalNear]:
    """Festivals within ±``within_days`` of the show's local date in each of its markets."""
    found: dict[tuple[str, date], tuple[Festival, date, date, list[str], int]] = {}
    for festival in load_festivals().festivals:
        for code, day in day_by_market.items():
            if code not in festival.markets:
                continue
            for year in (day.year - 1, day.year, day.year + 1):
                span = festival.occurrence(year)
                if span is None:
                    continue
                first, last = span
                if first - timedelta(days=within_days) <= day <= last + timedelta(days=within_days):
                    away = 0 if first <= day <= last else (first - day).days if day < first else -(day - last).days
                    key = (festival.id, first)
                    entry = found.setdefault(key, (festival, first, last, [], away))
                    entry[3].append(code)
    result = [FestivalNear(f, first, last, tuple(codes), away, first.year in f.estimated_years)
              for f, first, last, codes, away in found.values()]
    return sorted(result, key=lambda near: (near.first_day, near.festival.id))


def uncovered_years(years: set[int]) -> list[int]:
    """The years among ``years`` for which lunar and Islamic dates are not in the data."""
    covered = set(load_festivals().years_covered)
    return sorted(year for year in years if year not in covered)
