"""Typed connector errors; ``str(err)`` is a translated message for the host or assistant.

A connector's loop sorts failures by what to do next: :class:`TokenExpired` → refresh the
OAuth token and go on; :class:`RateLimited` → wait (the platform's own hint when it gave
one) and say so; :class:`PlatformUnavailable` → back off and reconnect; :class:`AuthError`
→ stop and tell the user what to fix (retrying a refused credential only burns quota).
"""
from __future__ import annotations

from studio.core.errors import StudioError


class ConnectorError(StudioError):
    """A platform connector could not do what was asked."""


class AuthError(ConnectorError):
    """The platform refused our credentials for good (missing, revoked, no refresh possible)."""


class TokenExpired(ConnectorError):
    """The access token was refused (401); a refresh may fix it."""


class RateLimited(ConnectorError):
    """The platform asked us to slow down (rate limit) or the quota is used up."""

    def __init__(self, message: str, retry_after_s: float | None = None, *, is_quota: bool = False) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.is_quota = is_quota


class PlatformUnavailable(ConnectorError):
    """The platform did not answer or answered with a server error; try again later."""


class NotLiveYet(ConnectorError):
    """The broadcast or channel has no live chat yet (not started, or already ended)."""


class NotSupported(ConnectorError):
    """The platform has no API for this action (e.g. pinning a YouTube chat message)."""


class EventFormatError(ConnectorError, ValueError):
    """An inbound platform event does not follow the documented format; the message names the field."""


class SignInError(ConnectorError):
    """Signing an account in (OAuth) did not give us a token; nothing was stored."""


class SignInDenied(SignInError):
    """The account holder said no on the platform's consent page."""


class SignInExpired(SignInError):
    """The code shown to the user (or the wait for the browser) ran out of time."""


class SignInRefused(SignInError):
    """The platform or the browser answered something we must not accept (wrong state, a code
    the token endpoint refused, an unknown client)."""


class SignInCancelled(SignInError):
    """The user cancelled the sign-in."""
