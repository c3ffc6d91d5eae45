"""Why an output stopped: a typed reason plus a sentence for the user (OBS's stop codes).

``str(err)`` is the translated sentence (``bridgecast live`` prints it after ``error:``);
``err.reason`` is the :class:`StopReason` code for logic and stats.  Anything that comes from
a server or an exception goes through :func:`redact` first, so a stream token never reaches
a message or a log line.
"""
from __future__ import annotations

import math
import urllib.parse
from enum import Enum
from typing import Iterable

from studio.core.errors import StudioError
from studio.core.i18n import _

REDACTED = "***"


class StopReason(str, Enum):
    """Why a publishing session ended (or could not start)."""

    BAD_TOKEN = "bad_token"
    NOT_FOUND = "not_found"
    SERVER_BUSY = "server_busy"
    UNSUPPORTED_MEDIA = "unsupported_media"
    MALFORMED_ANSWER = "malformed_answer"
    NO_COMMON_CODEC = "no_common_codec"
    ICE_FAILED = "ice_failed"
    DTLS_FAILED = "dtls_failed"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    SERVER_ERROR = "server_error"
    DISCONNECTED = "disconnected"
    ENCODE_ERROR = "encode_error"
    REDIRECT_LOOP = "redirect_loop"


# Worth trying again later (with back-off): the same request may well succeed.
_RETRYABLE = frozenset(
    {
        StopReason.SERVER_BUSY,
        StopReason.UNREACHABLE,
        StopReason.TIMEOUT,
        StopReason.SERVER_ERROR,
        StopReason.DISCONNECTED,
        StopReason.ICE_FAILED,
    }
)


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (and its URL-encoded forms) replaced by ``***``.

    Longest secrets first, so a secret containing another is hidden whole.
    """
    forms: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        forms.update({secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)})
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    return text


def format_seconds(seconds: float) -> str:
    """``10`` for whole seconds, ``2.5`` otherwise (no trailing zeros)."""
    if float(seconds).is_integer():
        return str(int(seconds))
    return f"{seconds:.1f}".rstrip("0").rstrip(".")


def _default_message(reason: StopReason, status: int | None, retry_after_s: float | None, detail: str | None) -> str:
    if reason is StopReason.BAD_TOKEN:
        if status is None:
            return _("WHIP server refused the token")
        return _("WHIP server refused the token ({status})").format(status=status)
    if reason is StopReason.NOT_FOUND:
        if status is None:
            return _("WHIP endpoint not found — check the URL")
        return _("WHIP endpoint not found ({status}) — check the URL").format(status=status)
    if reason is StopReason.SERVER_BUSY:
        if status is None:
            return _("WHIP server is busy; try again later")
        if retry_after_s is None:
            return _("WHIP server is busy ({status}); try again later").format(status=status)
        seconds = max(0, math.ceil(retry_after_s))
        return _("WHIP server is busy ({status}); retry in {seconds} s").format(status=status, seconds=seconds)
    if reason is StopReason.UNSUPPORTED_MEDIA:
        if status is None:
            return _("WHIP server does not accept this media")
        return _("WHIP server does not accept this media ({status})").format(status=status)
    if reason is StopReason.MALFORMED_ANSWER:
        if detail:
            return _("WHIP server sent an invalid answer: {detail}").format(detail=detail)
        return _("WHIP server sent an invalid answer")
    if reason is StopReason.NO_COMMON_CODEC:
        if detail:
            return _("Server accepted no video codec we can send (offered {codecs})").format(codecs=detail)
        return _("Server accepted no video codec we can send")
    if reason is StopReason.ICE_FAILED:
        return _("No media connection to the server could be established (ICE failed)")
    if reason is StopReason.DTLS_FAILED:
        return _("The secure media handshake with the server failed (DTLS)")
    if reason is StopReason.UNREACHABLE:
        if detail:
            return _("Cannot reach the WHIP server ({detail})").format(detail=detail)
        return _("Cannot reach the WHIP server")
    if reason is StopReason.TIMEOUT:
        if detail:
            return _("WHIP server did not answer within {seconds} s").format(seconds=detail)
        return _("WHIP server did not answer in time")
    if reason is StopReason.SERVER_ERROR:
        if status is not None and detail:
            return _("WHIP server error ({status}): {detail}").format(status=status, detail=detail)
        if status is not None:
            return _("WHIP server error ({status})").format(status=status)
        if detail:
            return _("WHIP server error: {detail}").format(detail=detail)
        return _("WHIP server error")
    if reason is StopReason.DISCONNECTED:
        return _("The connection to the server was lost")
    if reason is StopReason.ENCODE_ERROR:
        if detail:
            return _("Video encoding failed: {detail}").format(detail=detail)
        return _("Video encoding failed")
    if reason is StopReason.REDIRECT_LOOP:
        if detail:
            return _("WHIP server redirected too many times ({count})").format(count=detail)
        return _("WHIP server redirected too many times")
    raise ValueError(reason)  # pragma: no cover - every member handled above


class OutputError(StudioError):
    """An output could not start or had to stop.  ``str(err)`` is the translated sentence.

    ``reason`` is the typed cause, ``status`` the HTTP status when one was received,
    ``retry_after_s`` the server's Retry-After (seconds from now) when it sent one.
    Without ``message``, a sentence is built from the reason, ``status``, ``retry_after_s``
    and ``detail`` (already redacted, already in words: for NO_COMMON_CODEC the offered
    codec names, for TIMEOUT the seconds, for REDIRECT_LOOP the count).
    """

    def __init__(
        self,
        reason: StopReason,
        message: str | None = None,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
        detail: str | None = None,
        is_patch_unsupported: bool = False,
    ) -> None:
        reason = StopReason(reason)
        # A message of its own (e.g. "… another server asks for the token") says more than the
        # reason's standard wording; callers keep it instead of rewording the reason.
        self.has_default_message = message is None
        if message is None:
            message = _default_message(reason, status, retry_after_s, detail)
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.retry_after_s = retry_after_s
        self.detail = detail
        self.is_patch_unsupported = is_patch_unsupported

    @property
    def is_retryable(self) -> bool:
        """True when trying again later may succeed (busy, unreachable, time-out, 5xx, lost)."""
        if self.is_patch_unsupported:
            return False
        return self.reason in _RETRYABLE

    @property
    def is_retryable_after_live(self) -> bool:
        """Once a stream has been live, everything but a refused token (and a broken encoder)
        is worth retrying: a restarting server answers 404/503 or refuses connections for a
        while, a vanished network times out, ICE/DTLS fail until it is back."""
        return self.reason not in (StopReason.BAD_TOKEN, StopReason.ENCODE_ERROR)

    def __repr__(self) -> str:
        return f"OutputError({self.reason.name}, status={self.status}, message={self.message!r})"

    # -- builders for the cases with fixed wording ------------------------------------------
    @classmethod
    def for_status(cls, status: int, *, retry_after_s: float | None = None, detail: str | None = None) -> "OutputError":
        """The error for an HTTP failure status from a WHIP endpoint or resource."""
        if status in (401, 403):
            return cls(StopReason.BAD_TOKEN, status=status)
        if status == 404:
            return cls(StopReason.NOT_FOUND, status=status)
        if status in (409, 429, 503):
            return cls(StopReason.SERVER_BUSY, status=status, retry_after_s=retry_after_s)
        if status in (415, 422):
            return cls(StopReason.UNSUPPORTED_MEDIA, status=status)
        return cls(StopReason.SERVER_ERROR, status=status, retry_after_s=retry_after_s, detail=detail)

    @classmethod
    def malformed_answer(cls, detail: str | None = None, *, status: int | None = None) -> "OutputError":
        return cls(StopReason.MALFORMED_ANSWER, status=status, detail=detail)

    @classmethod
    def no_common_codec(cls, offered_codecs: Iterable[str]) -> "OutputError":
        names = ", ".join(dict.fromkeys(offered_codecs))
        return cls(StopReason.NO_COMMON_CODEC, detail=names or None)

    @classmethod
    def unreachable(cls, detail: str | None = None) -> "OutputError":
        return cls(StopReason.UNREACHABLE, detail=detail)

    @classmethod
    def timeout(cls, timeout_s: float) -> "OutputError":
        return cls(StopReason.TIMEOUT, detail=format_seconds(timeout_s))

    @classmethod
    def redirect_loop(cls, count: int) -> "OutputError":
        return cls(StopReason.REDIRECT_LOOP, detail=str(count))

    @classmethod
    def token_revoked(cls, status: int | None) -> "OutputError":
        """401/403 after the stream had been live: the platform withdrew the stream key."""
        if status is None:
            message = _("WHIP server no longer accepts the token (revoked or expired); stream stopped")
        else:
            message = _("WHIP server no longer accepts the token ({status}: revoked or expired); stream stopped").format(
                status=status
            )
        return cls(StopReason.BAD_TOKEN, message, status=status)

    @classmethod
    def patch_unsupported(cls, status: int) -> "OutputError":
        message = _("WHIP server does not support updating the session ({status})").format(status=status)
        return cls(StopReason.SERVER_ERROR, message, status=status, is_patch_unsupported=True)
