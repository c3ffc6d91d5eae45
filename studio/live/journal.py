"""``ShowJournal``: the one path every live-show unit takes to change state.

A unit validates, changes its own typed state, then calls :meth:`ShowJournal.commit` with the
event and the JSON of the state keys it changed; the journal writes both in one SQLite
transaction (:class:`~studio.live.store.LiveStore`) and emits the event on ``event``.  One lock
for the whole show, because some commands span units (a comment may enter the giveaway, a
run-of-show step pins a product and starts a flash sale) and must journal in order.
"""
from __future__ import annotations

import threading
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from studio.core.events import Signal
from studio.core.i18n import _
from studio.live.errors import LiveError
from studio.live.store import LiveStore


class ShowJournal:
    """The store, the event bus, the clock and the lock shared by a show's units."""

    def __init__(self, store: LiveStore, clock: Callable[[], float]) -> None:
        self.store = store
        self.clock = clock
        self.event = Signal()  # emit(event={"seq","t","type","data"})
        self.lock = threading.RLock()

    def commit(self, event_type: str, data: dict[str, Any], state: dict[str, Any] | None = None,
               comment: dict[str, Any] | None = None) -> dict[str, Any]:
        """Journal one event with the new ``state`` (store key → JSON) and announce it; returns the event."""
        event = self.store.append(event_type, data, state or {}, comment=comment, t=self.clock())
        self.event.emit(event=event)
        return event


def decimal_text(value: Any, what: str) -> str:
    """A non-negative finite decimal as text (prices stay exact); :class:`LiveError` in words otherwise."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise LiveError(_("{what} must be a number.").format(what=what)) from None
    if not number.is_finite() or number < 0:
        raise LiveError(_("{what} must be a number.").format(what=what))
    return str(number)


def whole_number(value: Any, what: str, low: int, high: int | None = None) -> int:
    """An int in ``low``..``high``; :class:`LiveError` in words otherwise."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise LiveError(_("{what} must be a whole number.").format(what=what)) from None
    if number < low or (high is not None and number > high):
        if high is None:
            raise LiveError(_("{what} must be at least {low}.").format(what=what, low=low))
        raise LiveError(_("{what} must be between {low} and {high}.").format(what=what, low=low, high=high))
    return number
