"""Strict readers for the numbers, times and text the live show takes from outside (the control
API, the panel, platform events), applied before anything is journaled or drawn.

Each returns a clean value or raises :class:`LiveError` with the reason in words (the control
API answers 400 and nothing is saved).  A JSON number may be ``1e400`` (read as infinity), NaN
or ``1.5`` where a count belongs; none of those passes.  The limits are in
:mod:`studio.core.limits`.
"""
from __future__ import annotations

import math
import unicodedata
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from studio.core import limits
from studio.core.i18n import _
from studio.live.errors import LiveError

# Longer than any amount or count written by hand: not worth parsing.
_MAX_NUMBER_CHARS = 40
# How much of a refused value a message quotes.
_QUOTED_CHARS = 40
# Characters no card can show: controls, private use, unassigned, surrogates (a card drew
# them as empty boxes, and a box at a shrunk size failed the whole card).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Co", "Cn", "Cs"})


def quoted(value: Any) -> str:
    """A refused value as a message shows it: short, one line."""
    text = " ".join(str(value).split())
    return text if len(text) <= _QUOTED_CHARS else text[:_QUOTED_CHARS - 1] + "…"


def amount(value: Any, what: str) -> str:
    """A price or coupon amount ≥ 0 as exact decimal text (``"19.99"``, never an exponent), at
    most ``MAX_AMOUNT`` with at most ``MAX_AMOUNT_DECIMALS`` decimals."""
    number = finite_decimal(value)
    if number is None:
        raise LiveError(_("{what} “{value}” is not an amount; write it like 9.99.").format(what=what, value=quoted(value)))
    if number < 0:
        raise LiveError(_("{what} cannot be below zero.").format(what=what))
    if number > limits.MAX_AMOUNT:
        raise LiveError(_("{what} must be at most {limit}.").format(what=what, limit=f"{limits.MAX_AMOUNT:,}"))
    if _decimals(number) > limits.MAX_AMOUNT_DECIMALS:
        raise LiveError(_("{what} has more than {count} decimals.").format(what=what, count=limits.MAX_AMOUNT_DECIMALS))
    # Zero may carry any exponent ("0E-999999999"); other exponents are bounded by the checks above.
    return format(number if number else Decimal(0), "f")


def count(value: Any, what: str, low: int, high: int = limits.MAX_UNITS) -> int:
    """A whole number in ``low``..``high``: ``2``, ``2.0`` and ``"2"`` are 2; ``1.5``, ``true``,
    NaN, infinity and ``"lots"`` are refused."""
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if math.isfinite(value) and value.is_integer() else None
    elif isinstance(value, str) and len(value) <= _MAX_NUMBER_CHARS:
        text = value.strip()
        if text.lstrip("+-").isdigit() and text.isascii():
            number = int(text)
    if number is None:
        raise LiveError(_("{what} must be a whole number.").format(what=what))
    if not low <= number <= high:
        raise LiveError(_("{what} must be between {low} and {high}.").format(what=what, low=low, high=high))
    return number


def moment(value: Any, what: str) -> float | None:
    """A wall-clock time as Unix seconds: a number of seconds, or ISO 8601 text
    (``2026-12-24T20:00+08:00``; without an offset it is this computer's local time).  None
    and ``""`` are "not set"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # A huge int would overflow float(); it is out of range either way.
        seconds = float(value) if not abs(value) >= 1e300 else float(limits.MAX_TIMESTAMP_S + 1)
    elif isinstance(value, str) and len(value) <= _MAX_NUMBER_CHARS:
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            try:
                seconds = datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
            except (ValueError, OverflowError, OSError):
                seconds = None
    if seconds is None or not math.isfinite(seconds):
        raise LiveError(_("{what} “{value}” is not a time; give Unix seconds or a date and time like "
                          "2026-12-24T20:00+08:00.").format(what=what, value=quoted(value)))
    if not limits.MIN_TIMESTAMP_S <= seconds <= limits.MAX_TIMESTAMP_S:
        raise LiveError(_("{what} must be a time between the years 2001 and 2099.").format(what=what))
    return seconds


def text(value: Any, what: str, max_chars: int, required: bool = False) -> str:
    """One line or short text, stripped; refused in words past ``max_chars`` (never cut silently,
    so what the assistant typed is what goes on air)."""
    if value is None:
        value = ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise LiveError(_("{what} must be text.").format(what=what))
    cleaned = str(value).strip()
    if required and not cleaned:
        raise LiveError(_("{what} is required.").format(what=what))
    if len(cleaned) > max_chars:
        raise LiveError(_("{what} is at most {count} characters; this one has {length}.").format(
            what=what, count=max_chars, length=len(cleaned)))
    if printable(cleaned) != cleaned:
        raise LiveError(_("{what} holds a control or unassigned character; type it again without it.").format(what=what))
    return cleaned


def printable(text: str) -> str:
    """``text`` without characters no card can show (controls but the line break, private use,
    unassigned code points, lone surrogates): for text from platforms, kept rather than refused."""
    return "".join(char for char in text if char == "\n" or unicodedata.category(char) not in _INVISIBLE_CATEGORIES)


def _decimals(number: Decimal) -> int:
    """Significant decimals of a finite Decimal, exactly (``normalize`` would round 1E-999999999 to 0)."""
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return 0 if not any(digits) else max(0, -(exponent + trailing_zeros))


def finite_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a number or its text, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        return None
    if isinstance(value, str) and len(value.strip()) > _MAX_NUMBER_CHARS:
        return None
    if isinstance(value, int) and abs(value) > 10 ** _MAX_NUMBER_CHARS:
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None
