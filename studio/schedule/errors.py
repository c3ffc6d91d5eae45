"""The schedule's typed errors: each carries the reason in words the user reads (CLI line, dialog)."""
from __future__ import annotations

from studio.core.errors import StudioError


class ScheduleError(StudioError, ValueError):
    """A show cannot be planned as asked: unknown zone or market, a start that does not exist."""


class ScheduleDataError(StudioError):
    """A schedule file (shipped data, the team's plan, prime-time edits) is unreadable or invalid."""
