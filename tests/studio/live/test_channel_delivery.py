"""ChannelDelivery over a real aiortc data channel (two peers on this machine, loopback ICE).

The publisher side reports its channel the way ``WhipPublisher`` does — ``on_events_channel``
emitted on its loop thread with ``state`` and ``channel`` — and a "platform" peer records
what arrives.  The Janus end-to-end test is tests/studio/outputs/test_events_channel_janus.py.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from pathlib import Path

import pytest

from studio.live import LiveShow
from studio.live.channel_delivery import OPEN, RECONNECTING, UNAVAILABLE, WAITING, ChannelDelivery
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parents[3]
LABEL = "bridgecast-events"


class Link:
    """A publisher-side peer with the events channel and a platform peer, on one loop thread.

    ``connect()`` opens a fresh pair and reports ``open`` to the delivery from the loop;
    ``drop()`` reports ``closed`` and closes both peers (a lost session).
    """

    def __init__(self, delivery: ChannelDelivery) -> None:
        self.delivery = delivery
        self.received: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="channel-link", daemon=True)
        self.thread.start()
        self._pcs: list = []

    def run(self, coro, timeout: float = 20.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def connect(self) -> None:
        self.run(self._connect())

    async def _connect(self) -> None:
        from aiortc import RTCPeerConnection

        from studio.outputs.aiortc_adapter.receive import loopback_candidates

        publisher, platform = RTCPeerConnection(), RTCPeerConnection()
        self._pcs = [publisher, platform]
        channel = publisher.createDataChannel(LABEL, ordered=True)
        opened = asyncio.Event()
        channel.on("open", opened.set)

        @platform.on("datachannel")
        def on_datachannel(remote) -> None:
            remote.on("message", self.received.append)

        self.delivery.channel_signal.emit(state="connecting", channel=None, reason=None)
        with loopback_candidates():
            await publisher.setLocalDescription(await publisher.createOffer())
            await platform.setRemoteDescription(publisher.localDescription)
            await platform.setLocalDescription(await platform.createAnswer())
            await publisher.setRemoteDescription(platform.localDescription)
        await asyncio.wait_for(opened.wait(), 15)
        self.delivery.channel_signal.emit(state="open", channel=channel, reason=None)

    def drop(self) -> None:
        async def _drop() -> None:
            self.delivery.channel_signal.emit(state="closed", channel=None, reason=None)
            for pc in self._pcs:
                await pc.close()
            self._pcs = []

        self.run(_drop())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.drop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def show(tmp_path, catalog_csv, clock):
    live = LiveShow(None, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    yield live
    live.stop()


def envelopes(texts: list[str]) -> list[dict]:
    return [json.loads(text) for text in texts]


def test_events_wait_for_the_channel_then_arrive_in_order_with_sequence_numbers(show):
    jsonschema = pytest.importorskip("jsonschema")
    delivery = ChannelDelivery().attach(show)
    link = Link(delivery)
    try:
        show.pin("SKU-1")  # before any channel: queued after the state snapshot
        show.unpin()
        assert delivery.state == WAITING and delivery.stats()["queued"] == 3
        link.connect()
        show.pin("SKU-2")
        assert wait_until(lambda: len(link.received) == 4, 10), link.received
        assert delivery.state == OPEN
    finally:
        delivery.stop()
        link.close()
    got = envelopes(link.received)
    assert [e["seq"] for e in got] == [1, 2, 3, 4]
    assert [e["event"]["type"] for e in got] == ["state", "product.pinned", "product.unpinned", "product.pinned"]
    assert got[0]["event"]["seq"] == 0 and got[0]["event"]["data"]["pinned_sku"] is None  # where the show stood
    assert got[1]["event"]["data"]["sku"] == "SKU-1" and got[3]["event"]["data"]["sku"] == "SKU-2"
    assert {e["stream"] for e in got} == {delivery.stream_id}
    assert all(e["kind"] == "bridgecast.live_event" and e["version"] == 1 for e in got)
    # Documented: the envelope schema, with the live-event schema for "event".
    schemas = ROOT / "resources" / "schemas"
    envelope_schema = json.loads((schemas / "events_channel.schema.json").read_text(encoding="utf-8"))
    event_schema = json.loads((schemas / "live-events.schema.json").read_text(encoding="utf-8"))
    from referencing import Registry, Resource

    registry = Registry().with_resources([(event_schema["$id"], Resource.from_contents(event_schema))])
    validator = jsonschema.Draft202012Validator(envelope_schema, registry=registry)
    for envelope in got:
        validator.validate(envelope)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**got[0], "seq": 0})
    stats = delivery.stats()
    assert stats["sent"] == 4 and stats["dropped"] == 0 and stats["last_sent_seq"] == 4 and stats["opens"] == 1


def test_a_full_queue_keeps_the_latest_and_the_gap_shows_in_seq(show):
    delivery = ChannelDelivery(queue_limit=3).attach(show, send_state=False)
    link = Link(delivery)
    try:
        for sku in ("SKU-1", "SKU-2", "SKU-1", "SKU-2", "SKU-1"):
            show.pin(sku)
        assert delivery.stats()["dropped"] == 2
        link.connect()
        assert wait_until(lambda: len(link.received) == 3, 10), link.received
    finally:
        delivery.stop()
        link.close()
    got = envelopes(link.received)
    assert [e["seq"] for e in got] == [3, 4, 5]  # 1 and 2 were dropped: a visible gap
    assert [e["event"]["data"]["sku"] for e in got] == ["SKU-1", "SKU-2", "SKU-1"]


def test_events_during_a_reconnect_are_buffered_and_flushed_on_reopen(show):
    delivery = ChannelDelivery().attach(show, send_state=False)
    link = Link(delivery)
    try:
        link.connect()
        show.pin("SKU-1")
        assert wait_until(lambda: len(link.received) == 1, 10)
        first = list(link.received)
        link.drop()
        assert delivery.state == RECONNECTING
        show.unpin()
        show.pin("SKU-2")
        assert delivery.stats()["queued"] == 2 and delivery.stats()["sent"] == 1
        link.received.clear()
        link.connect()  # a new session, a new channel
        assert wait_until(lambda: len(link.received) == 2, 10), link.received
        assert delivery.state == OPEN and delivery.stats()["opens"] == 2
    finally:
        delivery.stop()
        link.close()
    assert [e["seq"] for e in envelopes(first + link.received)] == [1, 2, 3]


def test_submit_never_waits_for_a_busy_network_loop(show):
    delivery = ChannelDelivery().attach(show, send_state=False)
    link = Link(delivery)
    try:
        link.connect()
        release = threading.Event()
        link.loop.call_soon_threadsafe(release.wait, 5)  # the network thread is stuck
        started = time.monotonic()
        for _ in range(200):
            delivery.submit({"seq": 0, "t": 0.0, "type": "comment.received", "data": {"text": "x" * 200}})
        elapsed = time.monotonic() - started
        release.set()
        assert elapsed < 0.5, f"200 submits took {elapsed:.3f} s"
        assert wait_until(lambda: len(link.received) == 200, 15), len(link.received)
    finally:
        delivery.stop()
        link.close()
    assert [e["seq"] for e in envelopes(link.received)] == list(range(1, 201))


def test_refused_channel_and_oversized_events_are_reported(show):
    delivery = ChannelDelivery(queue_limit=2, max_message_bytes=300).attach(show, send_state=False)
    try:
        reason = "The server did not accept the events data channel; the stream goes on without it."
        delivery.channel_signal.emit(state="connecting", channel=None, reason=None)
        delivery.channel_signal.emit(state="unavailable", channel=None, reason=reason)
        show.pin("SKU-1")
        show.add_comment({"id": "c1", "user": "u", "text": "long " * 200})
        show.unpin()
        stats = delivery.stats()
        assert stats["state"] == UNAVAILABLE and stats["reason"] == reason
        assert stats["queued"] == 2 and stats["dropped"] == 1 and stats["truncated"] == 1
        # The session ending does not make a refused channel look like an outage.
        delivery.channel_signal.emit(state="closed", channel=None, reason=None)
        assert delivery.state == UNAVAILABLE
        queued = [json.loads(text) for _seq, text in delivery._queue]
        truncated = next(e for e in queued if e.get("truncated"))
        assert truncated["event"]["type"] == "comment.received" and "data" not in truncated["event"]
        assert len(json.dumps(truncated).encode()) <= 300
    finally:
        delivery.stop(drain_timeout_s=0)
    assert delivery.stats()["state"] == "stopped" and delivery.stats()["dropped"] == 3
    show.pin("SKU-2")  # detached: nothing more is taken
    assert delivery.stats()["last_seq"] == 3
