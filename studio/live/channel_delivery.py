"""Send live events to the platform over the WHIP session's data channel, never blocking the show.

``delivery = ChannelDelivery()`` · ``LiveSession(..., **delivery.publisher_options())`` ·
``delivery.attach(live_show)``.  The publisher offers an ordered, reliable data channel
(``bridgecast-events``) with the media; when the server accepts it and it opens, every event
the show emits (the JSON of ``resources/schemas/live-events.schema.json``) goes out as one
text message in an envelope (``resources/schemas/events_channel.schema.json``)::

    {"kind": "bridgecast.live_event", "version": 1, "stream": "<hex id>", "seq": 7,
     "event": {"seq": 42, "t": 1800000000.0, "type": "product.pinned", "data": {...}}}

``seq`` counts 1, 2, 3 … per ``stream`` (one delivery = one show run, across reconnects): an
envelope is numbered when the show emits the event, so a gap at the platform means events
were dropped here (the journal in SQLite still has them all).  The first message is the
show's current state (event type ``state``, journal seq 0).  "Sent" means handed to SCTP,
which is reliable and ordered while the session lasts; what was still in flight when a
session died is not re-sent by the next one (the platform sees the gap).

Threads: :meth:`submit` runs on whatever thread emitted (the show's, the control API's): it
numbers, serialises and appends to a bounded queue (oldest dropped and counted when full) and
asks the publisher's asyncio loop, with ``call_soon_threadsafe``, to flush.  Sending happens
only on that loop.  While the channel is not open (connecting, reconnecting, refused) events
wait in the queue and go out in order when it (re)opens.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import threading
import time
import uuid
from typing import Any

from studio.core.events import Signal

log = logging.getLogger(__name__)

ENVELOPE_KIND = "bridgecast.live_event"
ENVELOPE_VERSION = 1
DEFAULT_QUEUE_LIMIT = 10_000
# RFC 8841 §6: without a=max-message-size the peer takes 64 KiB; aiortc says the same.
DEFAULT_MAX_MESSAGE_BYTES = 65_536
# Back-pressure: stop handing messages to SCTP while this much is still unsent.
HIGH_WATER_BYTES = 1_048_576
LOW_WATER_BYTES = 262_144

# Delivery states (``stats()["state"]``).
WAITING = "waiting"  # no channel yet (the publisher is connecting)
OPEN = "open"
UNAVAILABLE = "unavailable"  # the server declined the channel (or it never opened)
RECONNECTING = "reconnecting"  # it was open; the session is being re-established
STOPPED = "stopped"


class ChannelDelivery:
    """Forward every ``LiveShow`` event over the publisher's events data channel.

    ``queue_limit`` bounds what waits while the channel is not open (the newest kept, drops
    counted); ``max_message_bytes`` bounds one message: a larger envelope goes out with the
    event's ``seq``/``t``/``type`` only and ``"truncated": true`` (the sequence stays whole).
    """

    def __init__(self, queue_limit: int = DEFAULT_QUEUE_LIMIT, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
                 stream_id: str | None = None) -> None:
        if queue_limit < 1:
            raise ValueError("queue_limit must be at least 1")
        self.stream_id = stream_id or uuid.uuid4().hex
        self.max_message_bytes = int(max_message_bytes)
        self.channel_signal = Signal()  # handed to the publisher as on_events_channel
        self.channel_signal.connect(self._on_channel)
        self._lock = threading.Lock()
        self._queue: collections.deque[tuple[int, str]] = collections.deque(maxlen=queue_limit)
        self._seq = 0
        self._state = WAITING
        self._reason: str | None = None
        self._channel: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._is_flush_scheduled = False
        self._live: Any = None
        self.sent = 0
        self.dropped = 0
        self.truncated = 0
        self.opens = 0
        self.send_errors = 0
        self.last_sent_seq = 0
        self.last_sent_at: float | None = None

    # ------------------------------------------------------------------ wiring

    def publisher_options(self) -> dict[str, Any]:
        """Keyword options for ``WhipPublisher``/``LiveSession``: offer the channel, report to us."""
        return {"events_channel": True, "on_events_channel": self.channel_signal}

    def attach(self, live_show: Any, send_state: bool = True) -> "ChannelDelivery":
        """Subscribe to ``live_show.event``; returns self.

        With ``send_state`` the first message is the show's current state (``{"seq": 0,
        "type": "state", "data": snapshot}``, as the control API's WebSocket starts), so the
        platform knows what is pinned/running before the first change arrives.
        """
        self._live = live_show
        live_show.event.connect(self.submit)
        if send_state:
            self.submit({"seq": 0, "t": time.time(), "type": "state", "data": live_show.snapshot()})
        return self

    def detach(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.event.disconnect(self.submit)

    # ------------------------------------------------------------------ any thread

    @property
    def state(self) -> str:
        return self._state

    def submit(self, event: dict[str, Any]) -> None:
        """Called on the emitting thread: numbers and queues the event; never waits."""
        with self._lock:
            if self._state == STOPPED:
                return
            self._seq += 1
            seq = self._seq
            text = self._envelope(seq, event)
            if len(self._queue) == self._queue.maxlen:
                self.dropped += 1  # the oldest goes: the platform sees the gap in seq
            self._queue.append((seq, text))
            loop = self._loop if self._state == OPEN else None
            should_schedule = loop is not None and not self._is_flush_scheduled
            if should_schedule:
                self._is_flush_scheduled = True
        if should_schedule:
            self._call_on_loop(loop, self._flush)

    def stop(self, drain_timeout_s: float = 1.0) -> None:
        """Stop taking events; give an open channel up to ``drain_timeout_s`` to send what is
        queued (call before the publisher stops).  What is left is counted as dropped."""
        self.detach()
        deadline = time.monotonic() + max(0.0, drain_timeout_s)
        while time.monotonic() < deadline:
            with self._lock:
                loop = self._loop if self._state == OPEN else None
                is_drained = not self._queue and (self._channel is None or self._buffered_bytes() == 0)
            if is_drained or loop is None:
                break
            self._call_on_loop(loop, self._flush)
            time.sleep(0.02)
        with self._lock:
            self.dropped += len(self._queue)
            self._queue.clear()
            self._state = STOPPED
            self._channel = None
            self._loop = None
        log.info("events channel delivery stopped (sent %d, dropped %d)", self.sent, self.dropped)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "state": self._state,
                "reason": self._reason,
                "stream": self.stream_id,
                "sent": self.sent,
                "dropped": self.dropped,
                "truncated": self.truncated,
                "queued": len(self._queue),
                "last_seq": self._seq,
                "last_sent_seq": self.last_sent_seq,
                "opens": self.opens,
                "send_errors": self.send_errors,
            }

    # ------------------------------------------------------------------ the publisher's loop

    def _on_channel(self, state: str, channel: Any = None, reason: str | None = None, **_ignored: Any) -> None:
        """The publisher's ``on_events_channel`` (its network thread, inside its loop)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self._lock:
            if self._state == STOPPED:
                return
            was_open = self._channel is not None
            self._channel = None
            if state == "open" and channel is not None and loop is not None:
                self._channel, self._loop = channel, loop
                self._state, self._reason = OPEN, None
                self.opens += 1
                self._is_flush_scheduled = False
            elif state == "unavailable":
                self._state, self._reason = UNAVAILABLE, reason
            elif was_open or self._state == RECONNECTING:
                self._state = RECONNECTING  # closed, then connecting again: still an outage
            elif state == "connecting":
                self._state, self._reason = WAITING, None  # a new session may accept it
        if state == "open" and channel is not None:
            with contextlib.suppress(Exception):  # flush again once SCTP has caught up
                channel.bufferedAmountLowThreshold = LOW_WATER_BYTES
                channel.on("bufferedamountlow", self._flush)
            log.info("events channel open; %d queued event(s) to send", len(self._queue))
            self._flush()

    def _flush(self) -> None:
        """Send queued envelopes in order while the channel is open and not backed up."""
        while True:
            with self._lock:
                self._is_flush_scheduled = False
                channel = self._channel
                if channel is None or not self._queue:
                    return
                if self._buffered_bytes() > HIGH_WATER_BYTES:
                    return  # "bufferedamountlow" calls us again
                seq, text = self._queue.popleft()
            try:
                channel.send(text)
            except Exception as exc:  # closed under us: keep it for the next open
                with self._lock:
                    self.send_errors += 1
                    if len(self._queue) < (self._queue.maxlen or 0):
                        self._queue.appendleft((seq, text))
                    else:
                        self.dropped += 1
                    if self._channel is channel:
                        self._channel = None
                        self._state = RECONNECTING
                log.info("events channel send failed (%s); keeping event %d for the next open", type(exc).__name__, seq)
                return
            with self._lock:
                self.sent += 1
                self.last_sent_seq = seq
                self.last_sent_at = time.time()

    # ------------------------------------------------------------------ helpers

    def _buffered_bytes(self) -> int:
        channel = self._channel
        return int(getattr(channel, "bufferedAmount", 0) or 0) if channel is not None else 0

    def _envelope(self, seq: int, event: dict[str, Any]) -> str:
        envelope = {"kind": ENVELOPE_KIND, "version": ENVELOPE_VERSION, "stream": self.stream_id, "seq": seq, "event": event}
        text = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), default=str)
        if len(text.encode("utf-8")) <= self.max_message_bytes:
            return text
        self.truncated += 1
        envelope["event"] = {key: event.get(key) for key in ("seq", "t", "type")}
        envelope["truncated"] = True
        return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), default=str)

    @staticmethod
    def _call_on_loop(loop: asyncio.AbstractEventLoop, callback: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the next open flushes
            loop.call_soon_threadsafe(callback)
