"""The "starting soon" scene of a planned show: a full-canvas text source that counts down to the
start, with the show's title and its start in the viewers' market's time — in the viewers'
words (the market's locale), never the operator's UI language."""
from __future__ import annotations

from typing import Any

from studio.core.i18n import translator_for
from studio.schedule.markets import market
from studio.schedule.report import start_time_local
from studio.schedule.store import PlannedShow

BACKGROUND = "#101218FF"
TITLE_COLOUR = "#FFFFFF"


def starting_soon_settings(show: PlannedShow, market_code: str, width: int, height: int) -> dict[str, Any]:
    """Text-source settings (``studio.sources.text``) for ``show``'s countdown scene on a
    ``width``×``height`` canvas, for viewers in ``market_code``; ScheduleError for an unknown market."""
    found = market(market_code)
    words = translator_for(found.locale)
    lines = [show.title.strip() or words.gettext("Starting soon"),
             words.gettext("Starting in {countdown}"),  # the text source fills {countdown} in
             start_time_local(show.start, found.code, found.locale)]
    return {
        "text": "\n".join(lines),
        "language": found.locale,
        "width": width,
        "height": height,
        "size_px": max(24, height // 12),
        "max_lines": 6,
        "color": TITLE_COLOUR,
        "shadow_px": max(2, height // 270),
        "box_color": BACKGROUND,
        "box_radius": 0,  # the whole canvas: square corners
        "align": "center",
        "countdown_to": show.start.isoformat(),
    }
