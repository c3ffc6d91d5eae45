"""A VideoRoom subscriber that also takes the publisher's data channel (the platform's view).

Janus 1.x relays a publisher's data-channel messages to every subscriber whose own data
channel is up: the subscription offer carries an ``m=application`` section, and — as janus.js
does for viewers — the subscriber must open a channel of its own before Janus marks its data
path ready.  Janus then opens one channel per source (labelled with the publisher's feed id)
and sends the messages there.  This subscriber does both and records every message::

    with JanusDataSubscriber(sfu.janus, display=endpoint_id) as sub:
        texts = sub.wait_messages(2, timeout=10)     # [ReceivedMessage(label, text, recv_ms), ...]

Video and audio are decoded as by :class:`bench.testbed.harness.JanusSubscriber` (same test API).
"""
from __future__ import annotations

import threading
import time
from typing import Any, NamedTuple

from bench.testbed.harness import JanusSubscriber

# The label janus.js gives the viewer's own channel; Janus accepts any.
SUBSCRIBER_CHANNEL_LABEL = "JanusDataChannel"


class ReceivedMessage(NamedTuple):
    label: str       # the channel it came on (Janus: the publisher's feed id)
    data: str | bytes
    recv_ms: int     # wall clock when aiortc handed it over


class JanusDataSubscriber(JanusSubscriber):
    """:class:`JanusSubscriber` plus the data stream: ``messages``, ``wait_messages``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.messages: list[ReceivedMessage] = []
        self.channel_labels: list[str] = []
        self.has_data_stream = False
        self._message_cond = threading.Condition()

    def _on_streams(self, streams: list[dict]) -> None:
        # Every stream of the feed is subscribed, the data stream included.
        self.has_data_stream = any(stream.get("type") == "data" for stream in streams)

    def _on_peer_connection(self, pc: Any) -> None:
        @pc.on("datachannel")
        def on_datachannel(channel: Any) -> None:
            self._listen(channel)

    def _before_answer(self, pc: Any) -> None:
        if self.has_data_stream:
            self._listen(pc.createDataChannel(SUBSCRIBER_CHANNEL_LABEL))

    def _listen(self, channel: Any) -> None:
        label = str(channel.label)
        self.channel_labels.append(label)

        @channel.on("message")
        def on_message(data: str | bytes) -> None:
            with self._message_cond:
                self.messages.append(ReceivedMessage(label, data, time.time_ns() // 1_000_000))
                self._message_cond.notify_all()

    def wait_messages(self, n: int, timeout: float = 10.0) -> list[ReceivedMessage]:
        """Block until at least ``n`` messages arrived in all; return them all (not consumed)."""
        deadline = time.monotonic() + timeout
        with self._message_cond:
            while len(self.messages) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    raise TimeoutError(
                        f"got {len(self.messages)}/{n} data-channel messages in {timeout}s "
                        f"(channels {self.channel_labels}, data stream {self.has_data_stream}): {self._diagnostics()}"
                    )
                self._message_cond.wait(remaining)
            return list(self.messages)

    def close(self) -> None:
        super().close()
        with self._message_cond:
            self._message_cond.notify_all()
