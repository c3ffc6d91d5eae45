"""Typed encoder errors.  ``str(err)`` is a translated sentence for the user, never a stack trace.

``reason`` keeps the cause alone (e.g. "no NVIDIA driver (libcuda.so.1 not found)") so the
probe table and notices can reuse it; ``encoder`` names the FFmpeg encoder involved.  A
``Reason`` keeps the untranslated message and its arguments, so a cached probe result is shown
in whatever language the user picks later.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.core.errors import StudioError
from studio.core.i18n import _


@dataclass(frozen=True)
class Reason:
    """A user-facing cause: an English msgid (marked with ``N_``) plus its ``{placeholders}``."""

    msgid: str
    args: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, msgid: str, **args: Any) -> "Reason":
        return cls(msgid, tuple(sorted((key, str(value)) for key, value in args.items())))

    def text(self) -> str:
        """Translated into the current language."""
        return _(self.msgid).format(**dict(self.args))

    def __str__(self) -> str:
        return self.text()

    def to_json(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "args": dict(self.args)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Reason":
        return cls.of(str(data["msgid"]), **{str(k): str(v) for k, v in dict(data.get("args") or {}).items()})


class EncoderError(StudioError):
    """Base for every encoder problem the user may read about."""

    def __init__(self, message: str, *, encoder: str | None = None, reason: Reason | str | None = None) -> None:
        super().__init__(message)
        self.encoder = encoder
        self.cause = reason if isinstance(reason, Reason) else None
        self.reason = str(reason) if reason is not None else message


class EncoderUnavailable(EncoderError):
    """The encoder cannot be opened here (no driver, no device, no free session, not in this build)."""

    @classmethod
    def because(cls, encoder: str, reason: Reason | str) -> "EncoderUnavailable":
        return cls(_("The {encoder} encoder is not available: {reason}").format(encoder=encoder, reason=reason), encoder=encoder, reason=reason)


class EncoderFailed(EncoderError):
    """An open encoder stopped working mid-stream (driver reset, lost session, internal error)."""

    @classmethod
    def because(cls, encoder: str, reason: Reason | str) -> "EncoderFailed":
        return cls(_("The {encoder} encoder failed: {reason}").format(encoder=encoder, reason=reason), encoder=encoder, reason=reason)
