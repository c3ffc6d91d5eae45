"""The show's state as the host sees it (the Go-live button, the health dock, ``bridgecast live``).

One enum instead of bare strings repeated in every view.  Its values match the output states
of :mod:`studio.outputs.publisher` where they overlap, so a publisher state converts with
``ShowState(state)``; ``idle`` and ``stopping`` exist only here (nothing on air / tearing down).
"""
from __future__ import annotations

import enum


class ShowState(enum.StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    STOPPING = "stopping"
    FAILED = "failed"

    @property
    def is_on_air(self) -> bool:
        """Connecting, live or reconnecting: a show is running and Stop applies."""
        return self in (ShowState.CONNECTING, ShowState.LIVE, ShowState.RECONNECTING)
