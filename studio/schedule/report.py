"""A plan in words: the lines ``bridgecast schedule plan`` prints and an invitation's description."""
from __future__ import annotations

from datetime import datetime

from studio.core.i18n import _, ngettext
from studio.schedule.formatting import format_day, format_local, ui_locale
from studio.schedule.markets import load_markets, market
from studio.schedule.planner import ShowPlan
from studio.schedule.zones import zone


def market_name(code: str, language: str | None = None) -> str:
    """The market's country name from CLDR in the UI language (``TH`` → Thailand / 泰国)."""
    return ui_locale(language).territories.get(code, code)


def start_time_local(start: datetime, market_code: str, language: str | None = None) -> str:
    """A show's start in one market's local time, formatted for people reading ``language`` (CLDR
    locale code; the UI language by default).  What the cover variable ``{start_time_local}`` shows
    for a market: pass the market's viewers' locale (``market(code).locale``) for a cover."""
    market = load_markets().get(market_code.upper())
    zone_key = market.zone_key if market else market_code
    return format_local(start.astimezone(zone(zone_key)), language)


def cover_time_variables(start: datetime, market_code: str, title: str = "") -> dict[str, str]:
    """The cover variables a planned show gives a cover made for one market: ``{start_time_local}``
    (as :func:`start_time_local` writes it for the market's viewers), ``{start_date_local}``,
    ``{start_clock_local}``, ``{time_zone}`` and ``{show_title}``; DST-safe through the zone's rules."""
    from cover_designer.variables import show_time_variables

    found = market(market_code)
    values = show_time_variables(start, found.zone_key, found.locale)
    values["start_time_local"] = start_time_local(start, found.code, found.locale)
    if title:
        values["show_title"] = title
    return values


def _festival_when(days_away: int) -> str:
    if days_away == 0:
        return _("during the show's day")
    if days_away > 0:
        return ngettext("in {count} day", "in {count} days", days_away).format(count=days_away)
    return ngettext("{count} day before the show", "{count} days before the show", -days_away).format(count=-days_away)


def plan_lines(plan: ShowPlan, language: str | None = None) -> list[str]:
    """The plan for a terminal or an invitation: one line a market, then conflicts and festivals."""
    lines = [_("Score: {score}/100 (how much of each market's prime time the show hits, weighted)").format(score=plan.score)]
    if plan.is_ambiguous:
        lines.append(_("Note: that wall-clock time happens twice (the clocks go back); the earlier one was taken — add an offset to --start for the later one"))
    for slot in plan.slots:
        windows = ", ".join(str(w) for w in slot.windows)
        mark = _("in prime time") if slot.is_start_in_prime else _("outside prime time")
        lines.append(_("{code} {name}: {start} — {mark} ({windows}; {minutes} of {duration} min in prime time)").format(
            code=slot.market.code, name=market_name(slot.market.code, language), start=format_local(slot.local_start, language),
            mark=mark, windows=windows, minutes=slot.prime_minutes, duration=plan.duration_min))
    lines += conflict_lines(plan, language) + festival_lines(plan, language)
    return lines


def conflict_lines(plan: ShowPlan, language: str | None = None) -> list[str]:
    """The team's shows that overlap this one (or a line saying there is none)."""
    lines: list[str] = []
    if plan.conflicts:
        lines.append(_("Conflicts with the team's other shows:"))
        for show in plan.conflicts:
            lines.append("  " + _("{title}: {start}, {minutes} min").format(
                title=show.title, start=format_local(show.start, language), minutes=show.duration_min))
    else:
        lines.append(_("No conflict with the team's other shows."))
    return lines


def festival_lines(plan: ShowPlan, language: str | None = None) -> list[str]:
    """The festivals within 7 days in the show's markets (or a line saying there is none)."""
    lines: list[str] = []
    if plan.festivals:
        lines.append(_("Festivals within 7 days:"))
        for near in plan.festivals:
            estimated = " " + _("(date estimated)") if near.is_estimated else ""
            days = format_day(near.first_day, language)
            if near.last_day != near.first_day:
                days = _("{first} – {last}").format(first=days, last=format_day(near.last_day, language))
            lines.append("  " + _("{name} ({markets}): {days}, {when}").format(
                name=near.festival.name, markets=", ".join(near.markets), days=days, when=_festival_when(near.days_away)) + estimated)
    else:
        lines.append(_("No shopping festival within 7 days in these markets."))
    if plan.uncovered_years:
        lines.append(_("Note: lunar and Islamic festival dates are not in the data for {years}; fixed-date festivals are still shown").format(
            years=", ".join(str(y) for y in plan.uncovered_years)))
    return lines
