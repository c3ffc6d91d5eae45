"""The WHIP publisher's settings, grouped by what they govern.

``WhipPublisher.__init__`` still takes every setting as a keyword (callers pass them so); it
groups them into these typed values, which are what the publisher's parts receive: the
negotiation and the connection checks get :class:`PublisherTimeouts`, the reconnection loop and
the loss detector get :class:`ReconnectPolicy`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from studio.outputs.reconnect import Backoff

DEFAULT_REQUEST_TIMEOUT_S = 10.0
DEFAULT_ICE_TIMEOUT_S = 15.0
DEFAULT_DTLS_TIMEOUT_S = 10.0
DEFAULT_STOP_TIMEOUT_S = 5.0
# Loss detection beyond aiortc's states (aioice's consent checks take ~30 s to fail): the
# server's RTCP (receiver reports, REMB, NACK/PLI, transport-cc) arrives several times a second
# while we send; this long without any of it means the path is gone.  Then a short grace to
# see whether it comes back by itself before tearing anything down.
RTCP_SILENCE_S = 3.0
DISCONNECT_GRACE_S = 2.0


@dataclass(frozen=True)
class PublisherTimeouts:
    """How long each step of publishing may take before it counts as failed."""

    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S  # one WHIP HTTP request
    ice_timeout_s: float = DEFAULT_ICE_TIMEOUT_S  # answer applied -> an ICE pair connected
    dtls_timeout_s: float = DEFAULT_DTLS_TIMEOUT_S  # ICE connected -> DTLS connected
    stop_timeout_s: float = DEFAULT_STOP_TIMEOUT_S  # stop(): DELETE, close, join

    def __post_init__(self) -> None:
        for name in ("request_timeout_s", "ice_timeout_s", "dtls_timeout_s", "stop_timeout_s"):
            object.__setattr__(self, name, float(getattr(self, name)))


BUSY_RETRIES_BEFORE_LIVE = 3
BUSY_WAIT_MAX_S = 30.0  # a Retry-After longer than this before the show started looks like a hang


@dataclass(frozen=True)
class ReconnectPolicy:
    """How a stream that has been live notices a loss and comes back.

    ``attempts``: tries per outage (None: forever, until stop()); ``backoff``: the delays;
    ``rtcp_silence_s`` + ``disconnect_grace_s``: how long the server may be silent while we
    send before it counts as a loss; ``ice_restart``: heal the same WHIP session with an ICE
    restart (PATCH) first when the server supports it.
    """

    attempts: int | None = None
    backoff: Backoff = field(default_factory=Backoff)
    rtcp_silence_s: float = RTCP_SILENCE_S
    disconnect_grace_s: float = DISCONNECT_GRACE_S
    ice_restart: bool = True
    # A first POST answered 503/429 (409) — "busy, come back later" (RFC 9725 §4.2, RFC 9110
    # Retry-After): tried this many more times, waiting as told (capped), before Go live fails.
    busy_retries_before_live: int = BUSY_RETRIES_BEFORE_LIVE

    def __post_init__(self) -> None:
        if self.busy_retries_before_live < 0:
            raise ValueError("busy_retries_before_live cannot be negative")
        object.__setattr__(self, "busy_retries_before_live", int(self.busy_retries_before_live))
        object.__setattr__(self, "attempts", None if self.attempts is None else int(self.attempts))
        object.__setattr__(self, "rtcp_silence_s", float(self.rtcp_silence_s))
        object.__setattr__(self, "disconnect_grace_s", float(self.disconnect_grace_s))
        object.__setattr__(self, "ice_restart", bool(self.ice_restart))

    def is_exhausted(self, attempt: int) -> bool:
        """True when ``attempt`` tries of this outage are all the policy allows."""
        return self.attempts is not None and attempt >= self.attempts


__all__ = [
    "BUSY_RETRIES_BEFORE_LIVE",
    "BUSY_WAIT_MAX_S",
    "DEFAULT_DTLS_TIMEOUT_S",
    "DEFAULT_ICE_TIMEOUT_S",
    "DEFAULT_REQUEST_TIMEOUT_S",
    "DEFAULT_STOP_TIMEOUT_S",
    "DISCONNECT_GRACE_S",
    "PublisherTimeouts",
    "RTCP_SILENCE_S",
    "ReconnectPolicy",
]
