"""When to try again after a live stream lost its server: back-off, jitter, Retry-After.

The WHIP publisher's state machine (``live → reconnecting → live/failed``) asks
:class:`Backoff` for the delay before each attempt of an outage and keeps what the user should
see in a :class:`ReconnectStatus` (attempt number, next try, last failure in words).  Nothing
here touches the network or a clock it was not given, so the schedule is unit-testable.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

BACKOFF_INITIAL_S = 0.5
BACKOFF_FACTOR = 2.0
BACKOFF_MAX_S = 30.0
# ±20 %: many publishers cut off by one server restart must not all come back in the same
# millisecond (thundering herd), yet the host still sees a predictable "next try in N s".
BACKOFF_JITTER = 0.2
# A server's Retry-After is honoured up to this; beyond it a live show would look dead.
RETRY_AFTER_MAX_S = 60.0
# When nothing answered at all (network gone, connection refused, ICE/DTLS silent) the tries
# cost the server nothing, and the back-off is what delays the show once the network is back
# (measured: 30 s outage, 8.6 s to live again with a 30 s cap): a tighter cap for those.
NO_ANSWER_BACKOFF_MAX_S = 5.0


class Backoff:
    """Exponential back-off: ``initial_s`` doubling (``factor``) up to ``max_s``, each delay
    spread by ``±jitter`` (a fraction) and never above ``max_s``; a server's Retry-After
    (capped at ``retry_after_max_s``) wins when it asks for longer.

    ``rng`` is any object with ``uniform(a, b)`` (tests pass a seeded ``random.Random``).
    """

    def __init__(
        self,
        initial_s: float = BACKOFF_INITIAL_S,
        max_s: float = BACKOFF_MAX_S,
        *,
        factor: float = BACKOFF_FACTOR,
        jitter: float = BACKOFF_JITTER,
        retry_after_max_s: float = RETRY_AFTER_MAX_S,
        rng: Any = None,
    ) -> None:
        if initial_s <= 0 or max_s < initial_s or factor < 1.0 or not 0.0 <= jitter < 1.0:
            raise ValueError("back-off needs 0 < initial_s <= max_s, factor >= 1 and 0 <= jitter < 1")
        self.initial_s = float(initial_s)
        self.max_s = float(max_s)
        self.factor = float(factor)
        self.jitter = float(jitter)
        self.retry_after_max_s = float(retry_after_max_s)
        self._rng = rng if rng is not None else random.Random()

    def base_delay_s(self, attempt: int, max_s: float | None = None) -> float:
        """The un-jittered delay before attempt ``attempt`` (1 = the first of an outage)."""
        if attempt < 1:
            raise ValueError("attempts count from 1")
        cap = self.max_s if max_s is None else min(self.max_s, max_s)
        # Capping the exponent keeps huge attempt numbers (days of outage) finite.
        exponent = min(attempt - 1, 64)
        return min(cap, self.initial_s * self.factor**exponent)

    def delay_s(self, attempt: int, retry_after_s: float | None = None, *, max_s: float | None = None) -> float:
        """The delay before attempt ``attempt``: jittered back-off (capped at ``max_s`` when
        given and lower than the back-off's own cap), or the server's Retry-After (capped)
        when that is longer."""
        cap = self.max_s if max_s is None else min(self.max_s, max_s)
        base = self.base_delay_s(attempt, cap)
        delay = base * (1.0 + self._rng.uniform(-self.jitter, self.jitter)) if self.jitter else base
        delay = min(cap, max(0.0, delay))
        if retry_after_s is not None and retry_after_s > 0:
            delay = max(delay, min(float(retry_after_s), self.retry_after_max_s))
        return delay


@dataclass
class ReconnectStatus:
    """What the host sees while reconnecting (and the totals afterwards).

    ``attempt`` counts attempts in the current outage (0 while live); ``next_retry_at`` is a
    ``time.monotonic()`` instant (None while an attempt is running or when live);
    ``last_error`` the latest failure (an ``OutputError``) — its ``str()`` is in words.
    """

    attempt: int = 0
    next_retry_at: float | None = None
    next_retry_wall: float | None = None
    outage_started: float | None = None
    reconnects: int = 0  # outages that ended live again
    attempts_total: int = 0
    ice_restarts: int = 0  # outages healed by an ICE restart (no new WHIP session)
    last_error: Any = None
    last_outage_s: float | None = None
    history: list[dict[str, Any]] = field(default_factory=list)  # the last few outages

    MAX_HISTORY = 20

    def begin_outage(self, error: Any, now: float | None = None) -> None:
        if self.outage_started is None:
            self.outage_started = time.monotonic() if now is None else now
            self.attempt = 0
        self.last_error = error

    def schedule(self, delay_s: float, error: Any, now: float | None = None) -> None:
        """Attempt ``attempt + 1`` starts in ``delay_s``."""
        now = time.monotonic() if now is None else now
        self.begin_outage(error, now)
        self.attempt += 1
        self.attempts_total += 1
        self.next_retry_at = now + delay_s
        self.next_retry_wall = time.time() + delay_s

    def trying(self) -> None:
        """The scheduled attempt is running now."""
        self.next_retry_at = None
        self.next_retry_wall = None

    def recovered(self, how: str, now: float | None = None) -> float | None:
        """Live again; returns how long the outage lasted (None if there was none)."""
        now = time.monotonic() if now is None else now
        if self.outage_started is None:
            return None
        duration = now - self.outage_started
        self.reconnects += 1
        if how == "ice_restart":
            self.ice_restarts += 1
        self.last_outage_s = duration
        self.history.append(
            {
                "outage_s": round(duration, 2),
                "attempts": self.attempt,
                "how": how,
                "last_failure": getattr(getattr(self.last_error, "reason", None), "value", None),
            }
        )
        del self.history[: -self.MAX_HISTORY]
        self.outage_started = None
        self.attempt = 0
        self.next_retry_at = None
        self.next_retry_wall = None
        return duration

    def next_retry_in_s(self, now: float | None = None) -> float | None:
        if self.next_retry_at is None:
            return None
        now = time.monotonic() if now is None else now
        return max(0.0, self.next_retry_at - now)

    def snapshot(self, now: float | None = None) -> dict[str, Any]:
        """The stats fields (JSON-ready)."""
        now = time.monotonic() if now is None else now
        next_in = self.next_retry_in_s(now)
        error = self.last_error
        return {
            "reconnect_attempt": self.attempt,
            "next_retry_in_s": round(next_in, 1) if next_in is not None else None,
            "next_retry_at": round(self.next_retry_wall, 3) if self.next_retry_wall is not None else None,
            "outage_s": round(now - self.outage_started, 1) if self.outage_started is not None else None,
            "reconnects": self.reconnects,
            "reconnect_attempts_total": self.attempts_total,
            "ice_restarts": self.ice_restarts,
            "last_outage_s": round(self.last_outage_s, 2) if self.last_outage_s is not None else None,
            "last_failure": error.reason.value if error is not None and hasattr(error, "reason") else None,
            "last_failure_message": str(error) if error is not None else None,
        }
