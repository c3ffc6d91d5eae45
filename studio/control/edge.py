"""The control API's edge: who may ask (token, Host, Origin), how often, and how much.

Each check is a small pure piece the server's guard runs before any handler, so a refused
request never reaches the show:

- the token is compared in constant time on bytes (any header text, even undecodable bytes,
  gives "wrong token", never an exception);
- the Host header must name this computer, which defeats DNS rebinding: a page on
  ``evil.example`` whose name is re-pointed at 127.0.0.1 still sends ``Host: evil.example``;
- every client has a token bucket (429 with ``Retry-After``);
- a token a person could guess is accepted, with a warning in words where it is set.
"""
from __future__ import annotations

import hmac
import ipaddress
import math
import socket
import time
from typing import Callable

from studio.core.i18n import _, ngettext

# A JSON command is a few hundred bytes; the largest legitimate one is a giveaway's exclusion
# list (limits.MAX_EXCLUDED_USERS names) or a batch of inbound comments.
MAX_BODY_BYTES = 256 * 1024
# The event socket's client only pings: its messages are tiny and rare.
WS_MAX_MESSAGE_BYTES = 4 * 1024
WS_MAX_MESSAGES_PER_S = 20
# Below this a token can be guessed or shoulder-surfed (the app's own tokens have 32).
MIN_TOKEN_CHARS = 16
MIN_TOKEN_DISTINCT_CHARS = 6
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})
_ADDRESS_REFRESH_S = 5.0


def same_token(candidate: str, expected: bytes) -> bool:
    """Constant-time comparison on bytes.  Header text that came from bytes that are not UTF-8
    carries lone surrogates; ``surrogatepass`` encodes them to bytes no real token has."""
    return hmac.compare_digest(candidate.encode("utf-8", "surrogatepass"), expected)


def token_warning(token: str) -> str | None:
    """Words for a control token someone could guess (None for a strong one).  Weak tokens are
    still accepted: the user chose it, and may be testing on their own computer."""
    if len(token) < MIN_TOKEN_CHARS:
        reason = ngettext("it has only {count} character", "it has only {count} characters", len(token)).format(count=len(token))
    elif len(set(token)) < MIN_TOKEN_DISTINCT_CHARS:
        reason = _("it repeats a few characters")
    else:
        return None
    return _("warning: the control token is weak ({reason}); anyone who guesses it can control the show. "
             "Use at least {count} random characters, or set none and a random token is made.").format(
        reason=reason, count=MIN_TOKEN_CHARS)


class RateLimiter:
    """Token bucket per client address; cheap enough to run on every request."""

    def __init__(self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate_per_s, self.burst, self.clock = rate_per_s, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        return self.wait_s(key) == 0

    def wait_s(self, key: str) -> int:
        """0 when the request may go on (and is counted), else whole seconds until it may."""
        now = self.clock()
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate_per_s)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate_per_s)) if self.rate_per_s > 0 else 3600
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > 10_000:  # forget idle clients
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
        return 0


def host_name(header: str) -> str:
    """The name part of a Host header, lower case, without port, brackets or a trailing dot."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header[1:]
    if header.count(":") == 1:
        header = header.split(":", 1)[0]
    return header.rstrip(".")


def is_loopback_name(name: str) -> bool:
    if name in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class HostCheck:
    """Which Host headers name this server: localhost and loopback addresses always; the bound
    address when it is a specific one; with LAN access on (bound to every interface), the
    addresses of this computer's interfaces — never a DNS name, which an attacker can point at us."""

    def __init__(self, bound_host: str, addresses: Callable[[], set[str]] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.is_lan = bound_host in ("", "0.0.0.0", "::")
        self.bound_host = host_name(bound_host)
        self._addresses = addresses or local_addresses
        self._clock = clock
        self._known: set[str] = set()
        self._known_at = -math.inf

    def allows(self, header: str | None) -> bool:
        if not header:
            return False
        name = host_name(header)
        if is_loopback_name(name) or (name and name == self.bound_host):
            return True
        if not self.is_lan or not _is_ip(name):
            return False
        if name in self._known:
            return True
        if self._clock() - self._known_at >= _ADDRESS_REFRESH_S:  # a new DHCP lease: look again, not on every request
            self._known = set(self._addresses())
            self._known_at = self._clock()
        return name in self._known


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def local_addresses() -> set[str]:
    """Every address of this computer's interfaces (IPv4 and IPv6, lower case)."""
    import psutil

    found: set[str] = set()
    try:
        interfaces = psutil.net_if_addrs()
    except OSError:
        return found
    for entries in interfaces.values():
        for entry in entries:
            if entry.family in (socket.AF_INET, socket.AF_INET6):
                found.add(entry.address.split("%", 1)[0].lower())
    return found
