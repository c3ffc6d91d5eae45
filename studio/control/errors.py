"""Typed control-API errors; ``str(err)`` is a translated message for the host."""
from __future__ import annotations

import errno

from studio.core.i18n import _
from studio.live.errors import LiveError

PORT_IN_USE = "port_in_use"
PERMISSION_DENIED = "permission_denied"
ADDRESS_UNAVAILABLE = "address_unavailable"
OTHER = "other"


class ControlUnavailableError(LiveError):
    """The control API could not start listening.  The show itself goes on without it.

    ``reason`` is one of ``port_in_use``, ``permission_denied``, ``address_unavailable`` or
    ``other`` (for callers that react to the kind); ``message`` says it in words.
    """

    def __init__(self, reason: str, host: str, port: int, detail: str | None = None) -> None:
        self.reason = reason
        self.host = host
        self.port = port
        if reason == PORT_IN_USE:
            cause = _("port {port} is already in use by another program").format(port=port)
        elif reason == PERMISSION_DENIED:
            cause = _("this user may not listen on port {port}").format(port=port)
        elif reason == ADDRESS_UNAVAILABLE:
            cause = _("{host} is not an address of this computer").format(host=host)
        else:
            cause = detail or _("unknown error")
        super().__init__(_("Control API unavailable: {cause}; the show goes on without it.").format(cause=cause))

    @classmethod
    def from_os_error(cls, error: BaseException, host: str, port: int) -> "ControlUnavailableError":
        code = getattr(error, "errno", None)
        if code == errno.EADDRINUSE:
            return cls(PORT_IN_USE, host, port)
        if code in (errno.EACCES, errno.EPERM):
            return cls(PERMISSION_DENIED, host, port)
        if code == errno.EADDRNOTAVAIL:
            return cls(ADDRESS_UNAVAILABLE, host, port)
        return cls(OTHER, host, port, getattr(error, "strerror", None) or type(error).__name__)


class RequestShapeError(LiveError):
    """A request that does not match the control API's document (a missing or unknown field, a
    wrong type, a value out of range); the message names the field.  Answered with 400 before
    the show sees the request."""
