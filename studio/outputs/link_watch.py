"""Is the WHIP session's connection up, and is it still up?

:func:`wait_connected` waits for ICE and then DTLS, each with its own time-out.
:class:`LossWatch` decides when a live connection is lost: aiortc's ``failed``/``closed``
states, or — since aioice's consent checks take ~30 s to notice a dead path — the server
falling silent while we send (no RTCP for ``rtcp_silence_s``, still none after a
``disconnect_grace_s`` grace).  Both return typed :class:`~studio.outputs.errors.OutputError`s.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Iterable

from studio.core.i18n import _
from studio.outputs.errors import OutputError, StopReason

log = logging.getLogger(__name__)

POLL_CONNECTING_S = 0.02
POLL_LIVE_S = 0.1
# Nothing sent for this long: nothing for the server to report on, so its silence means nothing.
IDLE_SEND_S = 1.0


async def wait_connected(pc: Any, ice_timeout_s: float, dtls_timeout_s: float) -> None:
    """ICE within ``ice_timeout_s``, then DTLS within ``dtls_timeout_s``, or OutputError."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ice_timeout_s
    while pc.iceConnectionState not in ("completed", "connected"):
        if pc.iceConnectionState in ("failed", "closed") or loop.time() > deadline:
            raise OutputError(StopReason.ICE_FAILED)
        await asyncio.sleep(POLL_CONNECTING_S)
    deadline = loop.time() + dtls_timeout_s
    while pc.connectionState != "connected":
        if pc.connectionState in ("failed", "closed") or loop.time() > deadline:
            if pc.iceConnectionState == "failed":
                raise OutputError(StopReason.ICE_FAILED)
            raise OutputError(StopReason.DTLS_FAILED)
        await asyncio.sleep(POLL_CONNECTING_S)


class LossWatch:
    """Notices a lost connection while live.

    ``senders()`` returns the senders that count (published layers and audio, current at
    each call); ``video`` is the session's ``SimulcastVideo`` (its transport-cc feedback
    count); ``is_transport_cc`` whether transport-wide CC was negotiated.
    """

    def __init__(
        self,
        *,
        video: Any,
        senders: Callable[[], Iterable[Any]],
        is_transport_cc: bool,
        rtcp_silence_s: float,
        disconnect_grace_s: float,
    ) -> None:
        self.video = video
        self.senders = senders
        self.is_transport_cc = bool(is_transport_cc)
        self.rtcp_silence_s = float(rtcp_silence_s)
        self.disconnect_grace_s = float(disconnect_grace_s)

    async def wait_until_lost(self, pc: Any) -> OutputError:
        """Return (never raise) the loss once the connection is gone: aiortc's states, or no
        RTCP at all from the server for ``rtcp_silence_s`` while we send, still silent after a
        ``disconnect_grace_s`` grace."""
        loop = asyncio.get_running_loop()
        heard_mark = self.rtcp_heard()
        sent_mark = self.packets_sent()
        now = loop.time()
        heard_at = sent_at = now
        suspect_since: float | None = None
        while True:
            if pc.connectionState in ("failed", "closed") or pc.iceConnectionState in ("failed", "closed"):
                return OutputError(StopReason.DISCONNECTED)
            now = loop.time()
            heard = self.rtcp_heard()
            if heard != heard_mark:
                heard_mark, heard_at = heard, now
                if suspect_since is not None:
                    log.info("the server is answering again after %.1f s of silence", now - suspect_since + self.rtcp_silence_s)
                    suspect_since = None
            sent = self.packets_sent()
            if sent != sent_mark:
                sent_mark, sent_at = sent, now
            if now - sent_at > IDLE_SEND_S:
                heard_at = max(heard_at, now - IDLE_SEND_S)  # nothing going out: nothing to report on
            elif now - heard_at >= self.rtcp_silence_s:
                if suspect_since is None:
                    suspect_since = now
                    log.warning(
                        "no RTCP from the server for %.1f s while sending; waiting %.1f s before reconnecting",
                        now - heard_at, self.disconnect_grace_s,
                    )
                elif now - suspect_since >= self.disconnect_grace_s:
                    seconds = int(round(now - heard_at))
                    return OutputError(
                        StopReason.DISCONNECTED,
                        _("No answer from the server for {seconds} s; the network may be down").format(seconds=seconds),
                    )
            await asyncio.sleep(POLL_LIVE_S)

    def rtcp_heard(self) -> int:
        """Grows while the server is receiving us.

        With transport-wide CC negotiated, the server's feedback (every ~100 ms, only about
        packets it received) and NACKs are the proof: receiver reports, REMB and PLIs keep
        coming on a timer even when nothing of ours arrives (Janus does so; measured).
        Without it, any RTCP message counts."""
        senders = list(self.senders())
        total = 0
        if self.is_transport_cc:
            total += int(getattr(self.video, "transport_feedbacks", 0) or 0)
            return total + sum(sender.counters.nacks for sender in senders)
        for sender in senders:
            counters = sender.counters
            total += counters.reports + counters.remb_updates + counters.nacks + counters.keyframe_requests
        return total

    def packets_sent(self) -> int:
        return sum(sender.counters.packets for sender in self.senders())


__all__ = ["LossWatch", "wait_connected"]
