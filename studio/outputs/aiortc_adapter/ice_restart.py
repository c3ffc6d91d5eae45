"""ICE restart for a live aiortc PeerConnection, keeping DTLS, SRTP and every sender.

aiortc 1.16 has no ``restartIce()``: an ``RTCIceTransport`` owns one ``aioice.Connection`` for
life.  What this module does instead (the publisher calls it through WHIP PATCH, RFC 9725 §4.4):

1. gather a *new* ``aioice.Connection`` (new ufrag/pwd, new sockets, same role and servers);
2. send its credentials and candidates to the server (``WhipClient.ice_restart``) and take the
   server's new credentials back;
3. connect it (checks against the server's candidates: the answer's, else the old ones);
4. swap it under the ``RTCIceTransport``: ``_connection``, the gatherer's ``_connection`` and the
   bound ``_recv``/``_send`` that ``RTCDtlsTransport`` calls for every datagram; restart the
   transport's connection monitor on the new connection; wake the DTLS receive loop (which is
   awaiting the *old* connection's queue) with one datagram it ignores (first byte 0, neither
   DTLS nor SRTP), so its next read goes to the new connection; then close the old one.

DTLS keys, SRTP contexts, SSRCs, sequence numbers and the senders' state never change, so the
server (which restarts only ICE) decrypts on as before.

The private names touched: ``RTCIceTransport._connection/_recv/_send/_monitor`` and its
name-mangled ``__monitor_task``, ``RTCIceGatherer._connection``, ``RTCDtlsTransport.transport``,
and ``aioice.Connection._queue``/``_query_consent_task``.  :func:`check_internals` verifies them.
Upstream shape: ``RTCPeerConnection.restartIce()`` + ``RTCIceTransport.restart()``.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

log = logging.getLogger(__name__)

_MONITOR_TASK = "_RTCIceTransport__monitor_task"
WAKE_DATAGRAM = b"\x00"  # RTCDtlsTransport ignores a first byte outside 20..63 and 128..191


class IceRestartUnavailable(RuntimeError):
    """The installed aiortc/aioice do not look as this adapter expects."""


def check_internals() -> list[str]:
    """What is missing for an ICE restart in the installed aiortc/aioice ([] = all there)."""
    problems: list[str] = []
    try:
        import aioice
        from aiortc.rtcdtlstransport import RTCDtlsTransport
        from aiortc.rtcicetransport import RTCIceGatherer, RTCIceTransport
    except ImportError as exc:  # pragma: no cover - aiortc is a dependency
        return [f"import failed: {exc}"]
    for name in ("_monitor",):
        if not callable(getattr(RTCIceTransport, name, None)):
            problems.append(f"RTCIceTransport.{name}() is gone")
    init_names = set(RTCIceTransport.__init__.__code__.co_names)
    for name in ("_connection", "_recv", "_send", _MONITOR_TASK):
        if name not in init_names:
            problems.append(f"RTCIceTransport.__init__ no longer sets {name}")
    if "_connection" not in set(RTCIceGatherer.__init__.__code__.co_names):
        problems.append("RTCIceGatherer no longer keeps its aioice Connection in _connection")
    recv_names = set(RTCDtlsTransport._recv_next.__code__.co_names)
    if "_recv" not in recv_names or "transport" not in recv_names:
        problems.append("RTCDtlsTransport._recv_next() no longer reads self.transport._recv()")
    connection_init = set(aioice.Connection.__init__.__code__.co_names)
    for name in ("_queue", "_query_consent_task"):
        if name not in connection_init:
            problems.append(f"aioice.Connection no longer has {name}")
    return problems


def _bundled_dtls(pc: Any) -> Any:
    """The one DTLS transport every transceiver shares (max-bundle)."""
    for transceiver in pc.getTransceivers():
        transport = getattr(transceiver.sender, "transport", None)
        if transport is not None:
            return transport
    return None


class IceRestarter:
    """Restarts ICE on one live connection.  Make it with :meth:`for_connection`."""

    def __init__(self, pc: Any, dtls: Any, *, allow_loopback: bool = False) -> None:
        self.pc = pc
        self.dtls = dtls
        self.allow_loopback = allow_loopback
        self.restarts = 0

    @classmethod
    def for_connection(cls, pc: Any, *, allow_loopback: bool = False) -> "IceRestarter | None":
        """A restarter for ``pc``, or None when it cannot be done (closed connection, an
        aiortc whose internals differ, no bundled transport)."""
        problems = check_internals()
        if problems:
            log.info("ICE restart unavailable: %s", "; ".join(problems))
            return None
        dtls = _bundled_dtls(pc)
        if dtls is None or getattr(dtls, "state", None) != "connected":
            return None
        return cls(pc, dtls, allow_loopback=allow_loopback)

    @property
    def ice_transport(self) -> Any:
        return self.dtls.transport

    def stop_consent_checks(self) -> None:
        """Stop the old connection's consent checks: after 30 s of a dead network they would
        close it, and with it DTLS — which the restart wants to keep."""
        task = getattr(self.ice_transport._connection, "_query_consent_task", None)
        if task is not None and not task.done():
            task.cancel()

    async def restart(self, client: Any, resource: Any, *, timeout_s: float = 8.0, patch_timeout_s: float = 4.0) -> None:
        """PATCH new credentials through ``client`` (a WhipClient), connect, swap.

        Raises :class:`~studio.outputs.errors.OutputError`: the PATCH's own errors (no answer:
        UNREACHABLE/TIMEOUT; refused: with a status), or ICE_FAILED when the new pair does not
        connect within ``timeout_s`` or the DTLS session is already gone."""
        import aioice

        from studio.outputs.aiortc_adapter.receive import loopback_candidates
        from studio.outputs.aiortc_adapter.turn import add_relays, turn_servers_of
        from studio.outputs.errors import OutputError, StopReason
        from studio.outputs.whip import SdpFragment

        if self.dtls.state != "connected" or self.ice_transport.state == "closed":
            raise OutputError(StopReason.ICE_FAILED)
        self.stop_consent_checks()
        old = self.ice_transport._connection
        new = aioice.Connection(
            ice_controlling=old.ice_controlling,
            components=1,
            stun_server=old.stun_server,
            turn_server=old.turn_server,
            turn_username=old.turn_username,
            turn_password=old.turn_password,
            turn_ssl=old.turn_ssl,
            turn_transport=old.turn_transport,
        )
        is_swapped = False
        try:
            with loopback_candidates(self.allow_loopback):
                await new.gather_candidates()
                await add_relays(new, turn_servers_of(old))  # every TURN URL, as on the first gathering
            mid = next((t.mid for t in self.pc.getTransceivers() if t.mid is not None), None)
            local = SdpFragment(
                ice_ufrag=new.local_username,
                ice_pwd=new.local_password,
                candidates=["candidate:" + c.to_sdp() for c in new.local_candidates],
                mid=mid,
                is_end_of_candidates=True,
            )
            try:
                answer = await asyncio.wait_for(client.ice_restart(resource, local), patch_timeout_s)
            except asyncio.TimeoutError:
                raise OutputError.timeout(patch_timeout_s) from None
            new.remote_username = answer.ice_ufrag
            new.remote_password = answer.ice_pwd
            new.remote_is_lite = old.remote_is_lite
            remote = [aioice.Candidate.from_sdp(c.split(":", 1)[1]) for c in answer.candidates]
            for candidate in remote or old.remote_candidates:
                await new.add_remote_candidate(candidate)
            await new.add_remote_candidate(None)
            try:
                await asyncio.wait_for(new.connect(), timeout_s)
            except (asyncio.TimeoutError, ConnectionError):
                raise OutputError(StopReason.ICE_FAILED) from None
            if self.dtls.state != "connected":
                raise OutputError(StopReason.ICE_FAILED)
            await self._swap(old, new)
            is_swapped = True
            self.restarts += 1
        finally:
            if not is_swapped:
                with contextlib.suppress(Exception):
                    await new.close()

    async def _swap(self, old: Any, new: Any) -> None:
        transport = self.ice_transport
        monitor = getattr(transport, _MONITOR_TASK, None)
        transport._connection = new
        transport.iceGatherer._connection = new
        transport._recv = new.recv
        transport._send = new.send
        if monitor is not None:
            monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await monitor
        setattr(transport, _MONITOR_TASK, asyncio.ensure_future(transport._monitor()))
        # The DTLS loop is parked in old.recv(): hand it one datagram it ignores so that its
        # next read is from the new connection, and only then close the old one (closing
        # first would raise ConnectionError there and end DTLS).
        old._queue.put_nowait((WAKE_DATAGRAM, 1))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 0.5
        while not old._queue.empty() and loop.time() < deadline:
            await asyncio.sleep(0)
        for _ in range(3):
            await asyncio.sleep(0)
        with contextlib.suppress(Exception):
            await old.close()
        log.info("ICE restarted: new local credentials, DTLS and SRTP kept")
