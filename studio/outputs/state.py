"""The states of an output and of its events data channel, defined once.

Each used to be a set of bare strings (``"connecting"``, ``"live"`` …) spelled again wherever
it was compared.  They are :class:`~enum.StrEnum`s now: members compare equal to their string
values and ``json.dumps`` writes them as those strings, so stats files, signals and the UI
that still compare with plain strings keep working while new code gets one typed name.
"""
from __future__ import annotations

from enum import StrEnum

from studio.core.i18n import N_, _


class OutputState(StrEnum):
    """Where a publishing output is: ``connecting`` → ``live`` (→ ``reconnecting`` → ``live``
    …) → ``stopped``, or ``failed`` with the output's typed failure."""

    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"
    FAILED = "failed"


class EventsChannelState(StrEnum):
    """The opt-in events data channel next to the media (never a reason to fail the stream)."""

    OFF = "off"  # not asked for
    CONNECTING = "connecting"  # offered; waiting for the answer / SCTP
    OPEN = "open"
    UNAVAILABLE = "unavailable"  # declined by the server, or never opened
    CLOSED = "closed"  # the session ended (a reconnect offers it again)


STATE_LABELS: dict[str, str] = {
    OutputState.CONNECTING: N_("Connecting"),
    OutputState.LIVE: N_("Live"),
    OutputState.RECONNECTING: N_("Reconnecting"),
    OutputState.STOPPED: N_("Stopped"),
    OutputState.FAILED: N_("Failed"),
}


def state_label(state: str) -> str:
    """The state in words, translated (for the Go-live button and the CLI)."""
    return _(STATE_LABELS.get(state, state))


__all__ = ["EventsChannelState", "OutputState", "STATE_LABELS", "state_label"]
