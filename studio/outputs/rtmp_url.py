"""RTMP/RTMPS addresses: what to connect to, and the stream key kept out of every word we print.

A platform's ingest address is ``rtmp[s]://host[:port]/app[/…]/KEY[?query]``: the stream key
is the last path segment and is a secret (whoever has it can broadcast on the channel), so
logs, errors and stats only ever show :func:`mask_stream_url` (``…/live/****``).  Query values
and a password in the address are treated as secrets too (some services put tokens there).
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Iterable

MASK = "****"
RTMP_DEFAULT_PORT = 1935
RTMPS_DEFAULT_PORT = 443
SCHEMES = ("rtmp", "rtmps")
MIN_QUERY_SECRET_CHARS = 4


def _split(url: str) -> urllib.parse.SplitResult:
    return urllib.parse.urlsplit(url.strip())


def stream_key(url: str) -> str:
    """The stream key: the URL's last path segment ('' when the path ends with '/')."""
    path = _split(url).path
    return path.rsplit("/", 1)[-1] if "/" in path else path


def url_secrets(url: str) -> list[str]:
    """Every secret in ``url``: the key (as written and decoded), query values, a password."""
    parts = _split(url)
    secrets: list[str] = []
    key = stream_key(url)
    if key:
        secrets += [key, urllib.parse.unquote(key)]
    for _name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=False):
        # Short values (``?live=1``) are flags, not tokens: hiding every "1" in a sentence
        # would garble it.  The URL itself still shows every query value masked.
        if len(value) >= MIN_QUERY_SECRET_CHARS:
            secrets += [value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)]
    if parts.password:
        secrets += [parts.password, urllib.parse.unquote(parts.password)]
    return [secret for secret in dict.fromkeys(secrets) if secret]


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``****`` (longest first, so a secret that
    contains another is hidden whole)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def mask_stream_url(url: str) -> str:
    """``url`` safe to show: the last path segment (the key), every query value and any
    password replaced by ``****``; scheme, host, port and application stay readable.

    >>> mask_stream_url("rtmp://live.example.com/app/abc123?auth=xyz")
    'rtmp://live.example.com/app/****?auth=****'
    """
    try:
        parts = _split(url)
    except ValueError:
        return MASK
    path = parts.path
    if "/" in path:
        head, key = path.rsplit("/", 1)
        path = f"{head}/{MASK}" if key else path
    elif path:
        path = MASK
    query = parts.query
    if query:
        pieces = []
        for piece in query.split("&"):
            name, sep, value = piece.partition("=")
            pieces.append(f"{name}={MASK}" if sep and value else piece)
        query = "&".join(pieces)
    netloc = parts.netloc
    if parts.password is not None:
        user = parts.username or ""
        host = netloc.rsplit("@", 1)[-1]
        netloc = f"{user}:{MASK}@{host}"
    masked = urllib.parse.urlunsplit((parts.scheme, netloc, path, query, parts.fragment and MASK))
    # A secret may also appear elsewhere (e.g. the key repeated in the app path).
    return mask_text(masked, url_secrets(url))


@dataclass(frozen=True)
class RtmpAddress:
    """A parsed ingest address.  ``repr`` and ``str`` show only the masked form."""

    url: str = field(repr=False)
    scheme: str
    host: str
    port: int
    path_and_query: str = field(repr=False)

    @property
    def is_tls(self) -> bool:
        return self.scheme == "rtmps"

    @property
    def masked(self) -> str:
        return mask_stream_url(self.url)

    @property
    def secrets(self) -> list[str]:
        return url_secrets(self.url)

    def __str__(self) -> str:
        return self.masked


def parse_rtmp_url(url: str) -> RtmpAddress:
    """Parse an ``rtmp://`` or ``rtmps://`` address; ``ValueError`` (masked) when it is not one."""
    parts = _split(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        raise ValueError(f"not an RTMP or RTMPS address: {mask_stream_url(url)}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"invalid port in {mask_stream_url(url)}") from exc
    if port is None:
        port = RTMPS_DEFAULT_PORT if scheme == "rtmps" else RTMP_DEFAULT_PORT
    path_and_query = parts.path or "/"
    if parts.query:
        path_and_query += "?" + parts.query
    return RtmpAddress(url=url.strip(), scheme=scheme, host=parts.hostname, port=port, path_and_query=path_and_query)


__all__ = ["MASK", "RtmpAddress", "mask_stream_url", "mask_text", "parse_rtmp_url", "stream_key", "url_secrets"]
