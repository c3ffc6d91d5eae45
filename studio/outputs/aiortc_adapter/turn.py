"""TURN for the publisher: every TURN URL used (UDP, TCP, TLS), and ICE servers learned late.

Two limits of aiortc 1.16 / aioice 0.13 this module works around, touching aioice privates
(``Connection._local_candidates``/``_protocols``/``_local_candidates_start`` and
``aioice.ice.relayed_candidate``; :func:`check_internals` verifies them):

* **One TURN URL only.** aiortc's ``connection_kwargs`` keeps the *first* ``turn:``/``turns:``
  URL and drops the rest, so a list such as RFC 9725's example (``turn:…?transport=udp``,
  ``turn:…?transport=tcp``, ``turns:…?transport=tcp``) allocates over UDP only — useless where
  a firewall drops UDP, which is exactly where TURN matters.  Here every TURN URL gets its own
  allocation, in parallel, into the one aioice ``Connection`` (what browsers do); the relay
  candidates are ranked UDP > TCP > TLS by local preference (RFC 8445 §5.1.2.1: a relay over
  TCP/TLS adds head-of-line blocking, so it is taken only when UDP does not work).  A TURN
  server that gives no relay (wrong credentials, unreachable, TLS refused) costs only its own
  candidate: the others and the host candidates still go.
* **Servers known only after the offer.** aiortc gathers once, inside
  ``setLocalDescription``, and has neither ``setConfiguration`` nor ``restartIce``.  When the
  WHIP endpoint names TURN servers in its answer's ``Link`` header and the host configured
  none, :func:`regather` gives the ICE transport a fresh aioice ``Connection`` *before the
  answer is applied*: same ufrag/password (those are in the offer the server holds), same
  role, host candidates plus a relay per TURN URL.  No signalling is needed: the server
  learns the relay address as a peer-reflexive candidate from our first connectivity check
  (RFC 8445 §7.3.1.3) — how OBS's WHIP output uses the Link header's servers (see
  :mod:`studio.outputs.whip_session` for the choice and its sources).

Credentials never reach a log line: servers are logged by scheme, host, port and transport.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import ssl
import weakref
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

log = logging.getLogger(__name__)

RELAY_GATHER_TIMEOUT_S = 5.0  # aioice's own budget for a relay allocation
TURN_CA_FILE_ENV = "BRIDGECAST_TURN_CA_FILE"
RELAY_GRACE_S = 1.0  # after the first relay, how long the slower ones may still take
# Local preference of a relay candidate by how it reaches the TURN server (RFC 8445 §5.1.2.1).
RELAY_LOCAL_PREFERENCE = {"udp": 65535, "tcp": 32767, "tls": 0}
_TURN_URL = re.compile(r"(?P<scheme>turns?):(?P<host>\[[^\]]+\]|[^?:]+)(:(?P<port>[0-9]+))?(\?transport=(?P<transport>[a-z]+))?$")
# The TURN server that gave each relay candidate, by the aioice protocol that sends through it.
_RELAY_ORIGIN: "weakref.WeakKeyDictionary[Any, TurnServer]" = weakref.WeakKeyDictionary()
# Every TURN server a connection should allocate on (kept for an ICE restart's new connection).
_CONNECTION_TURN: "weakref.WeakKeyDictionary[Any, tuple[TurnServer, ...]]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class TurnServer:
    """One TURN URL with its long-term credentials (RFC 7065)."""

    host: str
    port: int
    transport: str  # "udp" or "tcp" (the connection to the TURN server)
    is_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        """How the relay reaches the TURN server: ``udp``, ``tcp`` or ``tls``."""
        return "tls" if self.is_tls else self.transport

    @property
    def label(self) -> str:
        """The URL without credentials, for logs and stats."""
        return f"{'turns' if self.is_tls else 'turn'}:{self.host}:{self.port}?transport={self.transport}"


def _urls(server: Any) -> list[str]:
    urls = getattr(server, "urls", None)
    if urls is None and isinstance(server, dict):
        urls = server.get("urls")
    return [urls] if isinstance(urls, str) else list(urls or [])


def _attribute(server: Any, name: str) -> Any:
    return server.get(name) if isinstance(server, dict) else getattr(server, name, None)


def parse_turn_url(url: str, username: str | None = None, password: str | None = None) -> TurnServer | None:
    """A ``turn:``/``turns:`` URL (RFC 7065) as a :class:`TurnServer`; None when it is not one
    or names a transport aioice cannot use (only UDP and TCP; ``turns`` is TLS over TCP)."""
    match = _TURN_URL.match(url.strip())
    if match is None:
        return None
    scheme, transport = match["scheme"], match["transport"]
    is_tls = scheme == "turns"
    transport = transport or ("tcp" if is_tls else "udp")
    if transport not in ("udp", "tcp") or (is_tls and transport != "tcp"):
        return None
    port = int(match["port"]) if match["port"] else (5349 if is_tls else 3478)
    return TurnServer(match["host"].strip("[]"), port, transport, is_tls, username, password)


def turn_servers(servers: Iterable[Any]) -> list[TurnServer]:
    """Every usable TURN URL of ``servers`` (``RTCIceServer``, ``IceServer`` or dicts), UDP
    first, then TCP, then TLS; password credentials only (RFC 9725 §4.6)."""
    found: list[TurnServer] = []
    for server in servers:
        credential_type = _attribute(server, "credentialType") or "password"
        if str(credential_type).lower() != "password":
            continue
        for url in _urls(server):
            parsed = parse_turn_url(url, _attribute(server, "username"), _attribute(server, "credential"))
            if parsed is not None and parsed not in found:
                found.append(parsed)
    order = list(RELAY_LOCAL_PREFERENCE)
    return sorted(found, key=lambda turn: order.index(turn.kind))


def without_turn(servers: Iterable[Any]) -> list[Any]:
    """``servers`` as aiortc ``RTCIceServer`` objects keeping only their STUN URLs: the TURN
    URLs are allocated here, all of them, instead of aiortc's first one."""
    from aiortc import RTCIceServer

    kept = []
    for server in servers:
        server = server.to_aiortc() if hasattr(server, "to_aiortc") else server
        stun = [url for url in _urls(server) if url.startswith("stun:")]
        if stun:
            kept.append(RTCIceServer(urls=stun))
    return kept


def stun_server(servers: Iterable[Any]) -> tuple[str, int] | None:
    """The first ``stun:`` server of ``servers`` as (host, port), or None."""
    for server in servers:
        for url in _urls(server.to_aiortc() if hasattr(server, "to_aiortc") else server):
            match = re.match(r"stun:(?P<host>[^?:]+)(:(?P<port>[0-9]+))?$", url)
            if match:
                return match["host"], int(match["port"] or 3478)
    return None


def check_internals() -> list[str]:
    """What is missing for the relays here in the installed aioice ([] = all there)."""
    problems = []
    try:
        import aioice
        from aioice import ice
    except ImportError as exc:  # pragma: no cover - aiortc depends on it
        return [f"import failed: {exc}"]
    if not callable(getattr(ice, "relayed_candidate", None)):
        problems.append("aioice.ice.relayed_candidate() is gone")
    names = set(aioice.Connection.__init__.__code__.co_names)
    for name in ("_local_candidates", "_protocols", "_local_candidates_start", "_nominated"):
        if name not in names:
            problems.append(f"aioice.Connection no longer has {name}")
    return problems


def tls_context() -> ssl.SSLContext:
    """How a ``turns:`` server's certificate is checked: against the system's trust store and
    the URL's host name, or against the PEM bundle ``BRIDGECAST_TURN_CA_FILE`` names instead (a
    self-hosted TURN server with a private CA; the tests' coturn)."""
    return ssl.create_default_context(cafile=os.environ.get(TURN_CA_FILE_ENV) or None)


async def _relay(connection: Any, turn: TurnServer) -> tuple[Any, Any]:
    from aioice import ice
    from aioice.candidate import candidate_foundation, candidate_priority

    candidate, protocol = await ice.relayed_candidate(
        component=1,
        hide_related_address=False,
        protocol_factory=lambda: ice.StunProtocol(connection),
        turn_server=(turn.host, turn.port),
        turn_username=turn.username,
        turn_password=turn.password,
        turn_ssl=tls_context() if turn.is_tls else False,  # aioice hands it to create_connection
        turn_transport=turn.transport,
    )
    candidate.priority = candidate_priority(1, "relay", RELAY_LOCAL_PREFERENCE[turn.kind])
    # One foundation per way to the TURN server (RFC 8445 §5.1.1.3), not one for all three.
    candidate.foundation = candidate_foundation("relay", turn.kind, candidate.host)
    return candidate, protocol


async def add_relays(connection: Any, turns: Sequence[TurnServer], *, timeout_s: float = RELAY_GATHER_TIMEOUT_S) -> list[TurnServer]:
    """Allocate a relay on every TURN server in ``turns`` (in parallel) and add the relay
    candidates to ``connection`` (gathered, not connected yet).  Returns the servers that gave
    one; the others are logged (without credentials) and skipped."""
    _CONNECTION_TURN[connection] = tuple(turns)
    if not turns:
        return []
    tasks = [asyncio.ensure_future(_relay(connection, turn)) for turn in turns]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    done, pending = await asyncio.wait(tasks, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    # Once one relay is there, the others get a short grace, not the whole budget: where a
    # firewall drops UDP, its allocation never answers and would hold the show up for 5 s.
    while pending and loop.time() < deadline:
        has_relay = any(task.exception() is None for task in done)
        wait_s = min(RELAY_GRACE_S, deadline - loop.time()) if has_relay else deadline - loop.time()
        more, pending = await asyncio.wait(pending, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED)
        if not more:
            break
        done |= more
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(BaseException):
            await task
    allocated = []
    for turn, task in zip(turns, tasks):
        if task in done and task.exception() is None:
            candidate, protocol = task.result()
            connection._protocols.append(protocol)
            connection._local_candidates.append(candidate)
            _RELAY_ORIGIN[protocol] = turn
            allocated.append(turn)
            log.info("TURN relay %s:%d allocated on %s", candidate.host, candidate.port, turn.label)
        else:
            reason = "no answer in time" if task not in done else type(task.exception()).__name__
            detail = str(task.exception()) if task in done and task.exception() is not None else ""
            log.warning("TURN server %s gave no relay: %s %s", turn.label, reason, _no_secrets(detail, turn))
    return allocated


def _no_secrets(text: str, turn: TurnServer) -> str:
    for secret in (turn.password, turn.username):
        if secret:
            text = text.replace(secret, "***")
    return text


def turn_servers_of(connection: Any) -> tuple[TurnServer, ...]:
    """The TURN servers ``connection`` allocated on (for an ICE restart's new connection)."""
    return _CONNECTION_TURN.get(connection, ())


def ice_transports(pc: Any) -> list[Any]:
    """The distinct ``RTCIceTransport`` objects of ``pc`` (one with max-bundle)."""
    found: dict[int, Any] = {}
    for transceiver in pc.getTransceivers():
        dtls = getattr(transceiver.sender, "transport", None)
        if dtls is not None:
            found.setdefault(id(dtls.transport), dtls.transport)
    sctp = getattr(pc, "sctp", None)
    if sctp is not None and getattr(sctp, "transport", None) is not None:
        found.setdefault(id(sctp.transport.transport), sctp.transport.transport)
    return list(found.values())


async def gather_with_relays(pc: Any, turns: Sequence[TurnServer]) -> list[TurnServer]:
    """Before ``setLocalDescription``: gather host (and STUN) candidates and a relay per TURN
    server, so the offer carries them all (aiortc's own gathering then finds it done)."""
    allocated: list[TurnServer] = []
    for transport in ice_transports(pc):
        connection = transport.iceGatherer._connection
        await connection.gather_candidates()
        allocated = await add_relays(connection, turns)
    return allocated


async def regather(pc: Any, turns: Sequence[TurnServer], *, stun: tuple[str, int] | None = None) -> list[TurnServer]:
    """After the offer, before the answer is applied: a fresh aioice connection with the same
    ICE credentials and role, its host (and STUN) candidates and a relay per TURN server,
    swapped in under the ICE transport; the old one is closed.  Returns the servers that gave
    a relay ([]: nothing was swapped, the old connection stays)."""
    import aioice

    swapped: list[TurnServer] = []
    for transport in ice_transports(pc):
        if transport.state != "new":
            continue  # checks started: only an ICE restart may change candidates now
        old = transport._connection
        new = aioice.Connection(
            ice_controlling=old.ice_controlling,
            components=1,
            stun_server=stun or old.stun_server,
            local_username=old.local_username,
            local_password=old.local_password,
        )
        try:
            await new.gather_candidates()
            allocated = await add_relays(new, turns)
        except BaseException:
            with contextlib.suppress(Exception):
                await new.close()
            raise
        if not allocated:
            await new.close()
            continue
        transport._connection = new
        transport.iceGatherer._connection = new
        transport._recv = new.recv
        transport._send = new.send
        with contextlib.suppress(Exception):
            await old.close()
        swapped = allocated
    return swapped


def selected_path(pc: Any) -> dict[str, Any] | None:
    """The nominated ICE pair in words for stats: local/remote candidate types, the local
    candidate's transport and, for a relay, how it reaches its TURN server.  None before one."""
    for transport in ice_transports(pc):
        connection = getattr(transport, "_connection", None)
        pair = getattr(connection, "_nominated", {}).get(1) if connection is not None else None
        if pair is None:
            continue
        local, remote = pair.local_candidate, pair.remote_candidate
        turn = _RELAY_ORIGIN.get(pair.protocol)
        return {
            "local_candidate_type": local.type,
            "remote_candidate_type": remote.type,
            "protocol": local.transport,
            "relay_transport": turn.kind if turn is not None else None,
            "turn_server": turn.label if turn is not None else None,
        }
    return None


__all__ = [
    "RELAY_LOCAL_PREFERENCE",
    "TurnServer",
    "add_relays",
    "check_internals",
    "gather_with_relays",
    "ice_transports",
    "parse_turn_url",
    "regather",
    "selected_path",
    "stun_server",
    "turn_servers",
    "turn_servers_of",
    "without_turn",
]
