"""Show scheduling across markets: local start times (zoneinfo, DST-safe), prime-time windows and a
score for a slot, conflicts with the team's other planned shows, shopping festivals as data, and
iCalendar invitations.  Qt-free: the CLI (``bridgecast schedule``), the Schedule dialog and the cover
designer's ``{start_time_local}`` all read it.
"""
from __future__ import annotations

from studio.schedule.errors import ScheduleDataError, ScheduleError
from studio.schedule.markets import Market, load_markets, market, markets_in_region, parse_market_weights
from studio.schedule.planner import MarketSlot, ShowPlan, plan_show
from studio.schedule.report import cover_time_variables, start_time_local
from studio.schedule.zones import local_start, parse_start, zone

__all__ = [
    "Market", "MarketSlot", "cover_time_variables", "ScheduleDataError", "ScheduleError", "ShowPlan", "load_markets", "local_start",
    "market", "markets_in_region", "parse_market_weights", "start_time_local", "parse_start", "plan_show", "zone",
]
