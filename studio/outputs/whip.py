"""WHIP client (RFC 9725): the HTTP half of publishing — POST the offer, PATCH, DELETE.

The media half (aiortc, simulcast senders) lives elsewhere; this module only speaks HTTP
and turns every failure into an :class:`~studio.outputs.errors.OutputError` with a typed
reason.  Every request has a time-out.  The bearer token never reaches a log line or an
error message: messages built from server responses go through ``redact`` and a filter on
this module's logger scrubs every token a live client holds.

Where the token goes.  The bearer token is sent only to the origin (scheme, host and port,
RFC 6454; ``https://h`` and ``https://h:443`` are one origin) of the URL the user configured
— on every request: the POST of the offer, PATCH (trickle ICE, ICE restart) and DELETE.
Redirects and the session URL from ``Location`` are followed like this:

* Same origin: followed, with the token.
* Another origin: followed *without* the token, and a warning says so.  RFC 9725 lets a
  WHIP endpoint (a load balancer) redirect to a media server that is not co-located ("Load
  Balancing and Redirections") and lets endpoints and sessions carry their authorisation in
  the URL instead of a bearer token ("Authentication and Authorization"); the session URL
  itself is meant to be unguessable (security considerations).  Real deployments that
  redirect across origins therefore work without our token, and the ones that do not
  answer 401/403, which becomes a sentence that says what happened ("…redirected to
  another server (X), which asks for the token; Bridgecast does not send your token
  there") instead of a misleading "wrong token".  Refusing every cross-origin redirect
  would be no safer for the token and would break the load-balanced deployments; sending
  the token along (what OBS does with ``CURLOPT_UNRESTRICTED_AUTH``) would hand the
  stream key to whatever host a compromised or misconfigured endpoint names.  A user who
  trusts that other server can configure its address directly: it is then the origin.
* https to http: never, token or not.  Beyond the token, the offer and answer carry the
  DTLS fingerprints that protect the media; over clear HTTP anyone on the path could swap
  them.  A redirect or a session ``Location`` that downgrades is refused in words.
* At most ``max_redirects`` redirects, and a URL seen before ends the chain at once
  (REDIRECT_LOOP, in words).

Use one client from one asyncio loop (its aiohttp session is bound to the loop it was
first used in)::

    async with WhipClient(url, token) as client:
        resource = await client.publish(offer_sdp)
        ...
        await client.delete(resource)
"""
from __future__ import annotations

import asyncio
import codecs
import collections
import email.utils
import json
import logging
import threading
import time
import urllib.parse
import weakref
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import aiohttp
from aiortc import RTCIceServer

from studio import __version__
from studio.core import limits
from studio.core.i18n import _
from studio.outputs.errors import OutputError, StopReason, redact
from studio.outputs.sdp import AnswerInfo, offered_codec_names, parse_answer, validate_answer

logger = logging.getLogger(__name__)

SDP_CONTENT_TYPE = "application/sdp"
SDPFRAG_CONTENT_TYPE = "application/trickle-ice-sdpfrag"
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_REDIRECTS = 5
DEFAULT_USER_AGENT = f"Bridgecast/{__version__}"
_MAX_DETAIL_CHARS = 160
_DEFAULT_PORTS = {"http": 80, "https": 443}


# ------------------------------------------------------------------------------------------
# Keeping tokens out of the log
class _SecretFilter(logging.Filter):
    """Rewrites each record of this module's logger with every registered secret redacted."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: collections.Counter[str] = collections.Counter()

    def add(self, secret: str | None) -> None:
        if secret:
            with self._lock:
                self._secrets[secret] += 1

    def discard(self, secret: str | None) -> None:
        if secret:
            with self._lock:
                self._secrets[secret] -= 1
                if self._secrets[secret] <= 0:
                    del self._secrets[secret]

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            secrets = list(self._secrets)
        if secrets:
            record.msg = redact(record.getMessage(), secrets)
            record.args = None
        return True


_secret_filter = _SecretFilter()
logger.addFilter(_secret_filter)


# ------------------------------------------------------------------------------------------
# Link headers (RFC 8288) and ICE servers (RFC 9725 §4.6)
@dataclass
class Link:
    """One link of a ``Link`` header: target URL (resolved), its relation types, parameters."""

    url: str
    rel: list[str]
    params: dict[str, str] = field(default_factory=dict)

    def has_rel(self, relation: str) -> bool:
        return relation.lower() in self.rel

    def __repr__(self) -> str:
        # TURN credentials ride in link parameters: keep them out of reprs and logs.
        shown = {k: ("***" if k == "credential" else v) for k, v in self.params.items()}
        return f"Link(url={self.url!r}, rel={self.rel!r}, params={shown!r})"


@dataclass
class IceServer:
    """A STUN/TURN server the WHIP endpoint told us to use."""

    urls: list[str]
    username: str | None = None
    credential: str | None = field(default=None, repr=False)

    def to_aiortc(self) -> RTCIceServer:
        return RTCIceServer(urls=list(self.urls), username=self.username, credential=self.credential, credentialType="password")


def parse_link_header(values: Iterable[str], base_url: str | None = None) -> list[Link]:
    """Every link in one or more ``Link`` header values (several links per value allowed).

    Targets without a scheme are resolved against ``base_url``; ``stun:``/``turn:`` URIs are
    kept as they are.  Parameter names are lower-cased; the first occurrence wins (RFC 8288 §3).
    """
    links: list[Link] = []
    for value in values:
        links.extend(_parse_link_value(value, base_url))
    return links


def _parse_link_value(text: str, base_url: str | None) -> list[Link]:
    links: list[Link] = []
    pos, size = 0, len(text)
    while pos < size:
        while pos < size and text[pos] in " \t,":
            pos += 1
        if pos >= size:
            break
        if text[pos] != "<":
            pos = _skip_to_next_link(text, pos)  # not a link: skip it
            continue
        close = text.find(">", pos)
        if close == -1:
            break
        target = text[pos + 1:close].strip()
        pos = close + 1
        params: dict[str, str] = {}
        while True:
            while pos < size and text[pos] in " \t":
                pos += 1
            if pos >= size or text[pos] != ";":
                break
            pos += 1
            while pos < size and text[pos] in " \t":
                pos += 1
            start = pos
            while pos < size and text[pos] not in "=;, \t":
                pos += 1
            name = text[start:pos].lower()
            while pos < size and text[pos] in " \t":
                pos += 1
            param = ""
            if pos < size and text[pos] == "=":
                pos += 1
                while pos < size and text[pos] in " \t":
                    pos += 1
                if pos < size and text[pos] == '"':
                    pos, param = _quoted_string(text, pos)
                else:
                    start = pos
                    while pos < size and text[pos] not in ";, \t":
                        pos += 1
                    param = text[start:pos]
            if name and name not in params:
                params[name] = param
        if pos < size and text[pos] not in ",":
            pos = _skip_to_next_link(text, pos)
        url = target
        try:
            if base_url and not urllib.parse.urlsplit(target).scheme:
                url = urllib.parse.urljoin(base_url, target)
        except ValueError:  # not a URL at all (e.g. "a://[" ): that link is left out
            logger.info("WHIP server sent a Link header with an unusable target; it is ignored")
            continue
        rel = [r.lower() for r in params.get("rel", "").split()]
        links.append(Link(url, rel, params))
    return links


def _quoted_string(text: str, pos: int) -> tuple[int, str]:
    """Parse a quoted-string starting at ``text[pos] == '"'``; returns (end, unescaped)."""
    pos += 1
    chars = []
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            chars.append(text[pos + 1])
            pos += 2
            continue
        if char == '"':
            return pos + 1, "".join(chars)
        chars.append(char)
        pos += 1
    return pos, "".join(chars)


def _skip_to_next_link(text: str, pos: int) -> int:
    is_quoted = False
    while pos < len(text):
        char = text[pos]
        if char == '"':
            is_quoted = not is_quoted
        elif char == "\\" and is_quoted:
            pos += 1
        elif char == "," and not is_quoted:
            return pos
        pos += 1
    return pos


def ice_servers_from_links(links: Iterable[Link]) -> list[IceServer]:
    """The ``rel="ice-server"`` links as ICE servers (password credentials only, RFC 9725 §4.6)."""
    servers = []
    for link in links:
        if not link.has_rel("ice-server"):
            continue
        credential_type = link.params.get("credential-type", "password").lower()
        if credential_type != "password":
            logger.info("ignoring ICE server %s: credential type %r is not supported", link.url, credential_type)
            continue
        servers.append(IceServer([link.url], link.params.get("username"), link.params.get("credential")))
    return servers


def parse_retry_after(value: str | None, *, now_s: float | None = None) -> float | None:
    """Retry-After as seconds from now: delay-seconds or an HTTP-date (RFC 9110 §10.2.3), at
    most ``MAX_RETRY_AFTER_S`` (a server cannot park a live show for a year); None when unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit also takes "²" and "٣"
        return min(float(limits.MAX_RETRY_AFTER_S), float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    now_s = time.time() if now_s is None else now_s
    return min(float(limits.MAX_RETRY_AFTER_S), max(0.0, when.timestamp() - now_s))


def _resolve(base_url: str, location: str) -> str | None:
    """A Location header resolved against the request's URL; None when it cannot be
    (``http://[::1``, a host that is not an address, a port that is not a number)."""
    try:
        resolved = urllib.parse.urljoin(base_url, location.strip())
        urllib.parse.urlsplit(resolved).port
    except ValueError:
        return None
    return resolved


def _known_charset(charset: str | None) -> str:
    """The response's charset when Python knows it, else UTF-8 (decoded with replacement)."""
    if not charset:
        return "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        return "utf-8"
    return charset


# ------------------------------------------------------------------------------------------
# Origins (RFC 6454): who may receive the token
def url_origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, default ports filled in; None when it has none.

    Hosts compare as written (lower-cased): ``localhost`` and ``127.0.0.1`` are two origins,
    which at worst withholds the token from a server that would have been allowed it."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def is_same_origin(url: str, other_url: str) -> bool:
    """True when both URLs have one scheme, host and port (and are http(s) at all)."""
    origin = url_origin(url)
    return origin is not None and origin == url_origin(other_url)


def origin_text(url: str) -> str:
    """The origin of ``url`` as people read it: ``https://host`` (the port only when not the default)."""
    origin = url_origin(url)
    if origin is None:
        try:
            return urllib.parse.urlsplit(url).netloc or url
        except ValueError:  # "http://[::1": show it as written
            return url
    scheme, host, port = origin
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{scheme}://{host}" if port == _DEFAULT_PORTS[scheme] else f"{scheme}://{host}:{port}"


def _is_downgrade(from_url: str, to_url: str) -> bool:
    try:
        return (
            urllib.parse.urlsplit(from_url).scheme.lower() == "https"
            and urllib.parse.urlsplit(to_url).scheme.lower() == "http"
        )
    except ValueError:  # not a URL at all: url_origin refuses it before any request
        return False


# ------------------------------------------------------------------------------------------
@dataclass
class WhipResource:
    """The session a WHIP endpoint created: where to PATCH/DELETE it and what it answered."""

    url: str  # absolute
    etag: str | None
    answer_sdp: str = field(repr=False)
    ice_servers: list[IceServer]
    links: list[Link]
    answer: AnswerInfo | None = field(default=None, repr=False)
    endpoint_url: str | None = None  # the endpoint that answered, after redirects
    accept_patch: str | None = None  # the answer's Accept-Patch header (RFC 9725 §4.4)

    @property
    def accepted_rids(self) -> list[str] | None:
        return self.answer.accepted_rids if self.answer is not None else None

    @property
    def supports_ice_restart(self) -> bool:
        """The server said it takes trickle-ICE/ICE-restart fragments (``Accept-Patch``)."""
        return bool(self.accept_patch) and SDPFRAG_CONTENT_TYPE in self.accept_patch.lower()


@dataclass
class SdpFragment:
    """An ``application/trickle-ice-sdpfrag`` body (RFC 8840): ICE credentials, candidates."""

    ice_ufrag: str | None = None
    ice_pwd: str | None = field(default=None, repr=False)
    candidates: list[str] = field(default_factory=list)  # "candidate:..." (no "a=")
    mid: str | None = None
    is_end_of_candidates: bool = False

    def to_text(self) -> str:
        lines = []
        if self.ice_ufrag:
            lines.append(f"a=ice-ufrag:{self.ice_ufrag}")
        if self.ice_pwd:
            lines.append(f"a=ice-pwd:{self.ice_pwd}")
        if self.candidates or self.is_end_of_candidates:
            # One media description carries the candidates of the whole BUNDLE group.
            lines.append("m=audio 9 UDP/TLS/RTP/SAVPF 0")
            if self.mid is not None:
                lines.append(f"a=mid:{self.mid}")
            lines.extend(f"a={candidate}" for candidate in self.candidates)
            if self.is_end_of_candidates:
                lines.append("a=end-of-candidates")
        return "\r\n".join(lines) + "\r\n"

    @classmethod
    def parse(cls, text: str) -> "SdpFragment":
        fragment = cls()
        for line in text.replace("\r\n", "\n").split("\n"):
            line = line.strip()
            if line.startswith("a=ice-ufrag:"):
                fragment.ice_ufrag = line[len("a=ice-ufrag:"):]
            elif line.startswith("a=ice-pwd:"):
                fragment.ice_pwd = line[len("a=ice-pwd:"):]
            elif line.startswith("a=candidate:"):
                fragment.candidates.append(line[2:])
            elif line.startswith("a=mid:") and fragment.mid is None:
                fragment.mid = line[len("a=mid:"):]
            elif line.startswith("a=end-of-candidates"):
                fragment.is_end_of_candidates = True
        return fragment


@dataclass
class _Response:
    status: int
    headers: Mapping[str, str]
    link_headers: list[str]
    content_type: str
    text: str


class WhipClient:
    """Talks WHIP to one endpoint.  Failures raise :class:`OutputError` (``publish``/``patch``);
    ``delete`` never raises, so stopping always finishes."""

    def __init__(
        self,
        endpoint_url: str,
        token: str | None = None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        user_agent: str = DEFAULT_USER_AGENT,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.token = token or None
        parts = urllib.parse.urlsplit(endpoint_url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise OutputError(
                StopReason.NOT_FOUND,
                _("The WHIP URL is not a valid http:// or https:// address: {url}").format(
                    url=redact(endpoint_url or "", [self.token])
                ),
            )
        self.endpoint_url = endpoint_url
        self.timeout_s = float(timeout_s)
        self.max_redirects = int(max_redirects)
        self.user_agent = user_agent
        self._session = session
        self._owns_session = session is None
        self._is_closed = False
        _secret_filter.add(self.token)
        # Unregister the token once, on close() or when the client is dropped unclosed.
        self._forget_token = weakref.finalize(self, _secret_filter.discard, self.token)

    def __repr__(self) -> str:
        return f"WhipClient({redact(self.endpoint_url, [self.token])!r}, token={'***' if self.token else None})"

    async def __aenter__(self) -> "WhipClient":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    # -- public API ----------------------------------------------------------------------------
    async def publish(self, offer_sdp: str) -> WhipResource:
        """POST the offer; returns the created resource, or raises OutputError."""
        url = self.endpoint_url
        visited = [url]
        redirects = 0
        while True:
            response = await self._request("POST", url, body=offer_sdp, content_type=SDP_CONTENT_TYPE)
            if response.status not in (307, 308):
                break
            location = response.headers.get("Location")
            if not location:
                raise OutputError.malformed_answer(_("a redirect without a Location header"), status=response.status)
            next_url = _resolve(url, location)
            if next_url is None:
                raise OutputError(StopReason.SERVER_ERROR, detail=_("redirect to an address that is not http(s)"))
            redirects += 1
            if next_url in visited or redirects > self.max_redirects:
                raise OutputError.redirect_loop(redirects)
            self._check_redirect_target(url, next_url)
            if self._is_token_withheld(next_url):
                logger.warning(
                    "WHIP endpoint redirected (%d) to another server, %s: following without the token "
                    "(it only goes to %s, the configured server)",
                    response.status, self._safe(next_url), self._safe(origin_text(self.endpoint_url)),
                )
            else:
                logger.info("WHIP endpoint redirected (%d) to %s", response.status, self._safe(next_url))
            visited.append(next_url)
            url = next_url

        if response.status in (401, 403) and self._is_token_withheld(url):
            raise self._token_withheld_error(url, response.status, is_session=False)
        if response.status != 201:
            self._raise_for_status(response, expected="201 Created")
        location = response.headers.get("Location")
        if not location:
            raise OutputError.malformed_answer(_("the answer has no Location header"), status=response.status)
        resource_url = _resolve(url, location)
        if resource_url is None:  # no address to give the session back to
            raise OutputError.malformed_answer(
                _("the session address in the Location header is not an http(s) address"), status=response.status
            )
        if self._is_token_withheld(resource_url):
            logger.warning(
                "WHIP session lives on another server, %s: its PATCH and DELETE requests go there without the token",
                self._safe(resource_url),
            )
        links = parse_link_header(response.link_headers, url)
        resource = WhipResource(
            url=resource_url,
            etag=response.headers.get("ETag"),
            answer_sdp=response.text,
            ice_servers=ice_servers_from_links(links),
            links=links,
            endpoint_url=url,
            accept_patch=response.headers.get("Accept-Patch"),
        )
        try:
            if url_origin(resource_url) is None:
                raise OutputError.malformed_answer(
                    _("the session address in the Location header is not an http(s) address"), status=response.status
                )
            if _is_downgrade(url, resource_url):
                # The DELETE that gives the session back is refused too (see _request): the
                # server drops a session whose media never connects.
                raise OutputError.malformed_answer(
                    _("the session address in the Location header uses insecure http, the endpoint https"),
                    status=response.status,
                )
            if response.content_type != SDP_CONTENT_TYPE:
                raise OutputError.malformed_answer(
                    _("the answer's content type is {content_type}, expected application/sdp").format(
                        content_type=self._safe(response.content_type or "none")
                    ),
                    status=response.status,
                )
            resource.answer = parse_answer(response.text)
            validate_answer(resource.answer, offered_codec_names(offer_sdp))
        except OutputError:
            # The server already made a session for us: give it back before reporting.
            await self.delete(resource)
            raise
        logger.info(
            "WHIP session created at %s (ETag %s, %d ICE server(s): %s)",
            self._safe(resource.url),
            resource.etag,
            len(resource.ice_servers),
            ", ".join(self._safe(u) for server in resource.ice_servers for u in server.urls) or "none",
        )
        return resource

    async def patch(self, resource: WhipResource, sdpfrag: str, if_match: str | None = None) -> str | None:
        """PATCH a trickle-ICE/ICE-restart fragment (RFC 9725 §4.3); returns the answer
        fragment (200) or None (204).  ``if_match`` defaults to the resource's ETag; pass
        ``"*"`` for an ICE restart.  A new ETag in the response updates ``resource.etag``.
        405/501 raise OutputError(SERVER_ERROR) with ``is_patch_unsupported``."""
        if_match = if_match if if_match is not None else resource.etag
        headers = {"If-Match": if_match} if if_match else {}
        response = await self._request("PATCH", resource.url, body=sdpfrag, content_type=SDPFRAG_CONTENT_TYPE, headers=headers)
        if response.status in (401, 403) and self._is_token_withheld(resource.url):
            raise self._token_withheld_error(resource.url, response.status, is_session=True)
        if response.status in (405, 501):
            raise OutputError.patch_unsupported(response.status)
        if response.status not in (200, 204):
            self._raise_for_status(response, expected="200 OK / 204 No Content")
        if response.headers.get("ETag"):
            resource.etag = response.headers["ETag"]
        if response.status == 204 or not response.text:
            return None
        return response.text

    async def ice_restart(self, resource: WhipResource, local: SdpFragment) -> SdpFragment:
        """Ask for an ICE restart (RFC 9725 §4.4): PATCH new ICE credentials (and candidates)
        with ``If-Match: "*"``; returns the server's new credentials (and candidates).

        Raises OutputError: 404 when the session is gone (start a new one), 405/501 with
        ``is_patch_unsupported``, or MALFORMED_ANSWER when the answer has no credentials."""
        answer = await self.patch(resource, local.to_text(), if_match='"*"')
        if not answer:
            raise OutputError.malformed_answer(_("the ICE restart answer has no ICE credentials"))
        fragment = SdpFragment.parse(answer)
        if not fragment.ice_ufrag or not fragment.ice_pwd:
            raise OutputError.malformed_answer(_("the ICE restart answer has no ICE credentials"))
        return fragment

    async def delete(self, resource: WhipResource | str) -> bool:
        """DELETE the session.  Never raises (bar cancellation): stopping must finish.
        True when the server confirmed or the session was already gone."""
        return bool(await self.try_delete(resource))

    async def try_delete(self, resource: WhipResource | str) -> bool | None:
        """Like :meth:`delete`, but tells apart "the server refused" (False) from "no answer
        at all" (None: unreachable, time-out — the session may still exist over there)."""
        url = resource.url if isinstance(resource, WhipResource) else resource
        try:
            response = await self._request("DELETE", url)
        except OutputError as error:
            logger.warning("WHIP DELETE of %s failed: %s", self._safe(url), error)
            return None
        except Exception as error:  # noqa: BLE001 - stopping must finish whatever went wrong
            logger.warning("WHIP DELETE of %s failed: %s", self._safe(url), self._safe(repr(error)))
            return None
        if 200 <= response.status < 300:
            logger.info("WHIP session %s deleted (%d)", self._safe(url), response.status)
            return True
        if response.status in (404, 405):
            logger.info("WHIP session %s already gone or not deletable (%d)", self._safe(url), response.status)
            return True
        if response.status in (401, 403) and self._is_token_withheld(url):
            logger.warning(
                "WHIP DELETE of %s answered %d: that server wants a token, and the token only goes to %s",
                self._safe(url), response.status, self._safe(origin_text(self.endpoint_url)),
            )
            return False
        logger.warning("WHIP DELETE of %s answered %d", self._safe(url), response.status)
        return False

    async def close(self) -> None:
        """Close the HTTP session (when the client made it).  Safe to call twice."""
        if self._is_closed:
            return
        self._is_closed = True
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None
        self._forget_token()

    # -- internals -----------------------------------------------------------------------------
    def _safe(self, text: str) -> str:
        return redact(text, [self.token])

    def _is_token_for(self, url: str) -> bool:
        """The token goes to the configured origin only (see the module docstring)."""
        return self.token is not None and is_same_origin(url, self.endpoint_url)

    def _is_token_withheld(self, url: str) -> bool:
        return self.token is not None and not self._is_token_for(url)

    def _token_withheld_error(self, url: str, status: int, *, is_session: bool) -> OutputError:
        """401/403 from a server we did not send the token to: say so, not "wrong token"."""
        origin = self._safe(origin_text(url))
        if is_session:
            message = _(
                "The WHIP session lives on another server ({origin}), which asks for the token ({status}); "
                "Bridgecast does not send your token there"
            )
        else:
            message = _(
                "WHIP server redirected to another server ({origin}), which asks for the token ({status}); "
                "Bridgecast does not send your token there"
            )
        logger.warning("WHIP %s answered %d without the token (it only goes to %s)",
                       origin, status, self._safe(origin_text(self.endpoint_url)))
        return OutputError(StopReason.BAD_TOKEN, message.format(origin=origin, status=status), status=status)

    def _check_redirect_target(self, current: str, target: str) -> None:
        if url_origin(target) is None:
            raise OutputError(StopReason.SERVER_ERROR, detail=_("redirect to an address that is not http(s)"))
        if _is_downgrade(current, target):
            # The token would not go (http is another origin), but the SDP carries the DTLS
            # fingerprints that protect the media: never step down from https.
            raise OutputError(StopReason.SERVER_ERROR, detail=_("redirect from https to insecure http refused"))

    def _get_session(self) -> aiohttp.ClientSession:
        if self._is_closed:
            raise RuntimeError("WhipClient is closed")
        if self._session is None:
            self._session = aiohttp.ClientSession(headers={"User-Agent": self.user_agent})
        return self._session

    async def _request(
        self,
        method: str,
        url: str,
        *,
        body: str | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> _Response:
        if _is_downgrade(self.endpoint_url, url):
            # Checked again here so no path (a resource URL made elsewhere, say) can step down.
            logger.warning("WHIP %s %s not sent: the WHIP URL uses https", method, self._safe(url))
            raise OutputError(StopReason.SERVER_ERROR, detail=_("request over insecure http refused (the WHIP URL uses https)"))
        request_headers = dict(headers or {})
        if self._is_token_for(url):
            request_headers["Authorization"] = f"Bearer {self.token}"
        if content_type:
            request_headers["Content-Type"] = content_type
        session = self._get_session()
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout_s):
                async with session.request(
                    method,
                    url,
                    data=body.encode("utf-8") if body is not None else None,
                    headers=request_headers,
                    allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                ) as resp:
                    raw = await resp.read()
                    charset = _known_charset(resp.charset)
                    response = _Response(
                        status=resp.status,
                        headers=resp.headers,
                        link_headers=list(resp.headers.getall("Link", [])),
                        content_type=(resp.content_type or "").lower(),
                        text=raw.decode(charset, errors="replace"),
                    )
        except TimeoutError:  # also aiohttp's ServerTimeoutError family
            logger.warning("WHIP %s %s: no answer within %.1f s", method, self._safe(url), self.timeout_s)
            raise OutputError.timeout(self.timeout_s) from None
        except aiohttp.ClientError as error:
            detail = self._connection_problem(error)
            logger.warning("WHIP %s %s failed: %s", method, self._safe(url), detail)
            raise OutputError.unreachable(detail) from None
        except OSError as error:
            detail = self._safe(error.strerror or str(error))
            logger.warning("WHIP %s %s failed: %s", method, self._safe(url), detail)
            raise OutputError.unreachable(detail) from None
        logger.info(
            "WHIP %s %s -> %d (%.0f ms)", method, self._safe(url), response.status, (time.monotonic() - started) * 1000
        )
        return response

    def _connection_problem(self, error: aiohttp.ClientError) -> str:
        """A short phrase for why a request got no HTTP answer."""
        if isinstance(error, aiohttp.ClientConnectorDNSError):
            return _("host name not found")
        if isinstance(error, aiohttp.ClientConnectorCertificateError):
            return _("the server's TLS certificate is not trusted")
        if isinstance(error, aiohttp.ClientSSLError):
            return _("TLS handshake failed")
        if isinstance(error, aiohttp.ClientConnectorError):
            os_error = error.os_error
            if isinstance(os_error, ConnectionRefusedError):
                return _("connection refused")
            return self._safe(os_error.strerror or str(os_error))
        if isinstance(error, aiohttp.ServerDisconnectedError):
            return _("the server closed the connection")
        if isinstance(error, aiohttp.InvalidURL):
            return _("invalid URL")
        return self._safe(str(error) or type(error).__name__)

    def _raise_for_status(self, response: _Response, *, expected: str) -> None:
        status = response.status
        if 200 <= status < 300:
            raise OutputError.malformed_answer(
                _("expected {expected}, got {status}").format(expected=expected, status=status), status=status
            )
        retry_after_s = parse_retry_after(response.headers.get("Retry-After"))
        error = OutputError.for_status(status, retry_after_s=retry_after_s, detail=self._body_detail(response))
        logger.warning("WHIP server refused (%d): %s", status, error)
        raise error

    def _body_detail(self, response: _Response) -> str | None:
        """A short, redacted reason from an error body (plain text or problem+json), if any."""
        text = response.text.strip()
        if not text:
            return None
        detail = None
        if response.content_type == "text/plain":
            detail = text.splitlines()[0]
        elif response.content_type in ("application/json", "application/problem+json"):
            try:
                data = json.loads(text)
            except ValueError:
                data = None
            if isinstance(data, dict):
                for key in ("detail", "title", "error", "message"):
                    if isinstance(data.get(key), str):
                        detail = data[key]
                        break
        if not detail:
            return None
        detail = self._safe(detail.strip())
        if len(detail) > _MAX_DETAIL_CHARS:
            detail = detail[: _MAX_DETAIL_CHARS - 1] + "…"
        return detail
