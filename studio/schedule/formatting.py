"""Dates and times of a plan in words, through CLDR (Babel) in the operator's UI language."""
from __future__ import annotations

from datetime import date, datetime

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, get_timezone_gmt

from studio.core import i18n


def ui_locale(language: str | None = None) -> Locale:
    """The Babel locale for the UI language in use (``en``, ``zh_CN``, …); English if unknown."""
    try:
        return Locale.parse(language or i18n.current_language())
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def format_local(moment: datetime, language: str | None = None) -> str:
    """``Thu, Mar 19, 2026, 8:00 PM (GMT-04:00)`` in the zone ``moment`` carries, in the UI language."""
    locale = ui_locale(language)
    tz = moment.tzinfo
    # CLDR's own way of joining a date and a time ("{1}, {0}", "{1} {0}", "{1}، {0}") for the locale.
    joined = str(locale.datetime_formats["medium"]).format(
        format_time(moment, "short", tzinfo=tz, locale=locale), format_skeleton("yMMMEd", moment, tzinfo=tz, locale=locale))
    return f"{joined} ({get_timezone_gmt(moment, 'long', locale=locale)})"


def format_clock(moment: datetime, language: str | None = None) -> str:
    """Only the wall-clock time (``8:00 PM``, ``20:00``)."""
    return format_time(moment, "short", tzinfo=moment.tzinfo, locale=ui_locale(language))


def format_day(day: date, language: str | None = None) -> str:
    return format_date(day, "medium", locale=ui_locale(language))
