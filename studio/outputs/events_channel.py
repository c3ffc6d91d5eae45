"""The opt-in events data channel of a WHIP session (live-show events to the platform).

Offered with the media, ordered and reliable; a server that declines it (or a channel that
never opens) costs nothing but the channel: the stream goes on and the host gets a notice.
:class:`EventsChannel` owns the channel's state across the sessions of one publisher and
reports it through ``on_events_channel.emit(state=, channel=, reason=)`` on the network
thread; :class:`studio.live.channel_delivery.ChannelDelivery` listens to send events.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from studio.core.events import Signal
from studio.core.i18n import _
from studio.outputs.state import EventsChannelState

log = logging.getLogger(__name__)

EVENTS_CHANNEL_LABEL = "bridgecast-events"
EVENTS_CHANNEL_OPEN_TIMEOUT_S = 10.0  # after the media are live


class EventsChannel:
    """The events channel's life across the sessions of one publisher.

    ``is_requested``: offer it at all.  ``notices`` is the publisher's signal for things the
    user should know; ``open_timeout_s`` how long an accepted channel may take to open (from
    the answer) before it counts as unavailable.  Used on the network thread only, except
    :meth:`stats` (any thread: a snapshot of plain values).
    """

    def __init__(
        self,
        *,
        is_requested: bool,
        notices: Signal,
        on_events_channel: Signal | None = None,
        open_timeout_s: float = EVENTS_CHANNEL_OPEN_TIMEOUT_S,
    ) -> None:
        self.is_requested = bool(is_requested)
        self.notices = notices
        self.on_events_channel = on_events_channel if on_events_channel is not None else Signal()
        self.open_timeout_s = float(open_timeout_s)
        self.state = EventsChannelState.OFF
        self.reason: str | None = None
        self._watch: asyncio.Task | None = None

    def _set_state(self, state: EventsChannelState, channel: Any = None, reason: str | None = None) -> None:
        if state == self.state and reason is None:
            return
        self.state = state
        self.reason = reason
        log.info("events data channel %s%s", state, f" ({reason})" if reason else "")
        self.on_events_channel.emit(state=state, channel=channel, reason=reason)

    def create(self, pc: Any) -> Any:
        """An ordered, reliable data channel on ``pc`` (before the offer: it adds the
        m=application section); its open/close drive ``on_events_channel``."""
        channel = pc.createDataChannel(EVENTS_CHANNEL_LABEL, ordered=True)

        @channel.on("open")
        def on_open() -> None:
            watch = self._watch
            if watch is not None:
                watch.cancel()
            self._set_state(EventsChannelState.OPEN, channel)

        @channel.on("close")
        def on_close() -> None:
            if self.state == EventsChannelState.OPEN:
                self._set_state(EventsChannelState.CLOSED)

        self._set_state(EventsChannelState.CONNECTING)
        return channel

    def settle(self, channel: Any, answer: Any, answer_sdp: str, offer: str) -> str:
        """Read whether the answer accepted the channel; return the answer SDP to apply (one
        that declines or omits the section is rewritten so aiortc still takes it)."""
        from studio.outputs.sdp import settle_declined_sections

        if answer.is_data_channel_accepted:
            self._watch = asyncio.ensure_future(self._watch_opening(channel))
            return answer_sdp
        reason = _("The server did not accept the events data channel; the stream goes on without it.")
        self._set_state(EventsChannelState.UNAVAILABLE, reason=reason)
        self.notices.emit(code="events_channel_unavailable", message=reason)
        channel.close()  # never opens; nothing may wait on it
        return settle_declined_sections(answer_sdp, offer)

    async def _watch_opening(self, channel: Any) -> None:
        """Accepted in the answer but never opened (SCTP blocked, a server bug): unavailable."""
        timeout_s = self.open_timeout_s
        await asyncio.sleep(timeout_s)
        if channel.readyState != "open" and self.state == EventsChannelState.CONNECTING:
            reason = _("The events data channel did not open within {seconds} s; the stream goes on without it.").format(
                seconds=int(timeout_s)
            )
            self._set_state(EventsChannelState.UNAVAILABLE, reason=reason)
            self.notices.emit(code="events_channel_unavailable", message=reason)

    def close(self, channel: Any) -> None:
        """The session ends: close ``channel`` and report the channel closed (if it was up)."""
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.cancel()
        with contextlib.suppress(Exception):
            channel.close()
        if self.state in (EventsChannelState.OPEN, EventsChannelState.CONNECTING):
            self._set_state(EventsChannelState.CLOSED)

    def stats(self) -> dict[str, Any]:
        """``stats()["events_channel"]``: whether it was asked for, its state and why."""
        return {
            "requested": self.is_requested,
            "label": EVENTS_CHANNEL_LABEL if self.is_requested else None,
            "state": self.state,
            "is_available": self.state == EventsChannelState.OPEN,
            "reason": self.reason,
        }


__all__ = ["EVENTS_CHANNEL_LABEL", "EVENTS_CHANNEL_OPEN_TIMEOUT_S", "EventsChannel"]
