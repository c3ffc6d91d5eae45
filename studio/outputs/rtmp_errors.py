"""Why an RTMP destination could not publish, in words, with the stream key masked.

:class:`RtmpError` carries a typed :class:`RtmpFailure` and the sentence the host reads.  How
the cases arise (:mod:`studio.outputs.rtmp_client`, measured against nginx-rtmp in the test bed):

* a refused stream key: the server answers ``connect``/``publish`` with an error status
  (``NetStream.Publish.BadName``, ``NetConnection.Connect.Rejected`` — its own words are
  shown), or, like nginx-rtmp after a failed ``on_publish`` check, simply hangs up after
  ``publish``.  For comparison, FFmpeg's own rtmp protocol reports the latter as a bare
  ``OSError`` errno 5 (EIO) with nothing logged at error level;
* a certificate that does not verify (RTMPS): :class:`ssl.SSLCertVerificationError`
  ("self-signed certificate", "Hostname mismatch…", "unable to get local issuer
  certificate").  FFmpeg's rtmps would not have noticed: it never verifies;
* server down: ``ConnectionRefusedError``; unknown host: :class:`socket.gaierror`; no answer:
  a time-out; a connection lost while live: EOF, reset, or a send that stalls.
"""
from __future__ import annotations

import errno
import socket
import ssl
from enum import StrEnum
from typing import Iterable

from studio.core.errors import StudioError
from studio.core.i18n import _
from studio.outputs.rtmp_url import mask_text


class RtmpFailure(StrEnum):
    """The typed reason (``stats()["failure_reason"]``); its sentence is the error's ``str()``."""

    REFUSED = "refused"  # the server answered but would not take the stream (key, app)
    CERTIFICATE = "certificate"  # RTMPS: the server's certificate did not verify
    TLS = "tls"  # RTMPS: the secure handshake failed for another reason
    DNS = "dns"
    UNREACHABLE = "unreachable"  # connection refused, no route, network down
    TIMEOUT = "timeout"
    DISCONNECTED = "disconnected"  # was publishing, the connection ended
    SEND_FAILED = "send_failed"  # the muxer refused our data


# Never retried before the destination was ever live: the host must fix the key or the trust.
_FINAL_BEFORE_LIVE = frozenset({RtmpFailure.REFUSED, RtmpFailure.CERTIFICATE})
# Never retried at all: a certificate that does not verify will not start verifying by itself,
# and trying again every few seconds would only hand the stream to whoever intercepts it.
_FINAL_ALWAYS = frozenset({RtmpFailure.CERTIFICATE})


class RtmpError(StudioError):
    """An RTMP destination failed; ``str(err)`` is the translated sentence (key masked)."""

    def __init__(self, reason: RtmpFailure, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.reason = RtmpFailure(reason)
        self.detail = detail

    @property
    def is_final_before_live(self) -> bool:
        """A refused key or a bad certificate before the first live: stop trying, say why."""
        return self.reason in _FINAL_BEFORE_LIVE

    @property
    def is_final(self) -> bool:
        """Not worth retrying even after having been live."""
        return self.reason in _FINAL_ALWAYS

    def __repr__(self) -> str:
        return f"RtmpError({self.reason.name}, {self.message!r})"

    # ------------------------------------------------------------------ builders

    @classmethod
    def refused(cls, server_says: str | None = None) -> "RtmpError":
        if server_says:
            return cls(RtmpFailure.REFUSED, _("The RTMP server refused the stream: {detail}").format(detail=server_says),
                       detail=server_says)
        return cls(RtmpFailure.REFUSED, _("The RTMP server refused the stream key (it closed the connection when asked to "
                                          "publish); check the stream key and the address"))

    @classmethod
    def certificate(cls, host: str, detail: str | None = None) -> "RtmpError":
        if detail:
            message = _("The server's certificate could not be verified for {host} ({detail})").format(host=host, detail=detail)
        else:
            message = _("The server's certificate could not be verified for {host}").format(host=host)
        return cls(RtmpFailure.CERTIFICATE, message, detail=detail)

    @classmethod
    def tls(cls, host: str, detail: str) -> "RtmpError":
        return cls(RtmpFailure.TLS, _("The secure connection to {host} failed ({detail})").format(host=host, detail=detail),
                   detail=detail)

    @classmethod
    def dns(cls, host: str, detail: str | None = None) -> "RtmpError":
        message = _("Cannot find the RTMP server {host} (DNS lookup failed)").format(host=host)
        return cls(RtmpFailure.DNS, message, detail=detail)

    @classmethod
    def unreachable(cls, host: str, port: int, detail: str | None = None) -> "RtmpError":
        if detail:
            message = _("Cannot reach the RTMP server {host}:{port} ({detail})").format(host=host, port=port, detail=detail)
        else:
            message = _("Cannot reach the RTMP server {host}:{port}").format(host=host, port=port)
        return cls(RtmpFailure.UNREACHABLE, message, detail=detail)

    @classmethod
    def timeout(cls, host: str, seconds: float) -> "RtmpError":
        return cls(RtmpFailure.TIMEOUT, _("The RTMP server {host} did not answer within {seconds} s").format(
            host=host, seconds=f"{seconds:g}"))

    @classmethod
    def disconnected(cls, detail: str | None = None) -> "RtmpError":
        if detail:
            message = _("The connection to the RTMP server was lost ({detail})").format(detail=detail)
        else:
            message = _("The connection to the RTMP server was lost")
        return cls(RtmpFailure.DISCONNECTED, message, detail=detail)

    @classmethod
    def send_failed(cls, detail: str) -> "RtmpError":
        return cls(RtmpFailure.SEND_FAILED, _("Sending the stream failed ({detail})").format(detail=detail), detail=detail)


# ---------------------------------------------------------------------------------------------
# Classification


_LOST_ERRNOS = {errno.EIO, errno.EPIPE, errno.ECONNRESET, errno.ECONNABORTED, errno.ENOTCONN, errno.ESHUTDOWN,
                errno.ETIMEDOUT, errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN}


def _errno_of(exc: BaseException) -> int | None:
    code = getattr(exc, "errno", None)
    return int(code) if isinstance(code, int) else None


def _strerror(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc or type(exc).__name__)


def classify_send_error(exc: BaseException, *, secrets: Iterable[str]) -> RtmpError:
    """The :class:`RtmpError` for a failure of the FLV muxer while publishing (``mux()``)."""
    if isinstance(exc, RtmpError):
        return exc
    code = _errno_of(exc)
    detail = mask_text(_strerror(exc), list(secrets))
    if code in _LOST_ERRNOS or isinstance(exc, EOFError):
        return RtmpError.disconnected(detail.lower())
    return RtmpError.send_failed(detail)


def classify_socket_error(exc: BaseException, *, host: str, port: int, timeout_s: float) -> RtmpError:
    """The :class:`RtmpError` for the socket's connect and TLS handshake."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or str(exc)
        return RtmpError.certificate(host, str(detail))
    if isinstance(exc, ssl.SSLError):
        return RtmpError.tls(host, str(getattr(exc, "reason", None) or exc))
    if isinstance(exc, socket.gaierror):
        return RtmpError.dns(host, str(exc))
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return RtmpError.timeout(host, timeout_s)
    if isinstance(exc, OSError):
        return RtmpError.unreachable(host, port, _strerror(exc).lower())
    return RtmpError.disconnected(str(exc))


__all__ = ["RtmpError", "RtmpFailure", "classify_send_error", "classify_socket_error"]
