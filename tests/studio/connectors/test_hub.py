"""The hub: one numbered, deduplicated stream through a bounded hand-off; the generic inbound format."""
from __future__ import annotations

import json
import threading

import jsonschema
import pytest

from studio.connectors import ConnectorError, EventType, connector_from_spec, parse_spec
from studio.connectors.errors import EventFormatError
from studio.connectors.events import clean_text
from studio.connectors.generic import SCHEMA_PATH
from studio.connectors.hub import ConnectorHub
from tests.helpers import wait_until


def test_ingest_numbers_and_deduplicates_by_platform_and_id(hub, sink):
    hub.start()
    first = hub.ingest({"platform": "tiktok", "type": "comment", "id": "c1", "author": "Mai", "text": "Size M?"})
    assert first.seq == 1 and first.key == ("tiktok", "c1")
    assert hub.ingest({"platform": "tiktok", "type": "comment", "id": "c1", "author": "Mai", "text": "Size M?"}) is None
    second = hub.ingest({"platform": "lazada", "type": "comment", "id": "c1", "author": "Ali", "text": "Harga?"})
    assert second.seq == 2  # same id on another platform is another comment
    hub.ingest({"platform": "tiktok", "type": "viewers", "count": 1250})
    assert wait_until(lambda: len(sink.events) == 3)
    assert [e.seq for e in sink.events] == [1, 2, 3]
    assert hub.viewers() == {"tiktok": 1250} and hub.duplicates == 1
    assert sink.events[0].to_dict() == {"platform": "tiktok", "type": "comment", "id": "c1", "t": sink.events[0].to_dict()["t"],
                                        "seq": 1, "author": "Mai", "text": "Size M?"}


def test_a_restarted_show_continues_the_numbering_and_still_deduplicates(sink):
    hub = ConnectorHub(sink, last_seq=41, seen=[("tiktok", "c1")])
    hub.start()
    try:
        assert hub.ingest({"platform": "tiktok", "type": "comment", "id": "c1", "author": "a", "text": "x"}) is None
        assert hub.ingest({"platform": "tiktok", "type": "comment", "id": "c2", "author": "a", "text": "y"}).seq == 42
    finally:
        hub.stop()


def test_bad_events_are_refused_in_words_naming_the_field(hub, sink):
    hub.start()
    cases = {
        "not an object": ([1, 2], "JSON object"),
        "no text": ({"platform": "tiktok", "type": "comment", "author": "a"}, "'text' is missing (a comment event needs it)"),
        "typo": ({"platform": "tiktok", "type": "comment", "author": "a", "text": "x", "txt": "y"}, "'txt' is not a field"),
        "bad type": ({"platform": "tiktok", "type": "purchase"}, "'type' must be one of: comment, viewers"),
        "bad platform": ({"platform": "TikTok Shop", "type": "like"}, "'platform' must be lower-case letters"),
        "bad amount": ({"platform": "x", "type": "order", "sku": "S", "quantity": 1, "amount": "12,50"}, "'amount' must be a plain number"),
        "bad count": ({"platform": "x", "type": "viewers", "count": -3}, "'count' must be at least 0"),
        "count as text": ({"platform": "x", "type": "viewers", "count": "many"}, "'count' has the wrong type"),
        "currency": ({"platform": "x", "type": "order", "sku": "S", "quantity": 2, "currency": "usd"}, "three-letter ISO 4217"),
    }
    for name, (payload, words) in cases.items():
        with pytest.raises(EventFormatError) as caught:
            hub.ingest(payload)
        assert words in str(caught.value), (name, str(caught.value))
    assert sink.events == [] and hub.last_seq == 0


def test_order_amounts_are_exact_decimals(hub, sink):
    hub.start()
    order = hub.ingest({"platform": "lazada", "type": "order", "id": "o1", "sku": "SKU-1", "quantity": 2,
                        "amount": 39.98, "currency": "MYR", "buyer": "a***n"})
    assert (order.amount, order.currency, order.quantity, order.buyer) == ("39.98", "MYR", 2, "a***n")
    assert hub.ingest({"platform": "lazada", "type": "order", "id": "o2", "sku": "SKU-1", "quantity": 1,
                       "amount": "12"}).amount == "12"


def test_the_hand_off_is_bounded_and_loses_nothing_when_the_sink_is_slow(sink):
    release = threading.Event()
    seen = []

    def slow_sink(event):
        release.wait(10)
        seen.append(event.seq)

    hub = ConnectorHub(slow_sink, max_pending=3)
    hub.start()
    try:
        feeder = threading.Thread(target=lambda: [hub.ingest({"platform": "x", "type": "like", "id": str(i), "count": 1})
                                                  for i in range(20)], name="feeder")
        feeder.start()
        assert wait_until(lambda: hub.stalls > 0)  # the fifth event waits: the hand-off holds three
        assert hub.accepted < 20
        release.set()
        feeder.join(10)
        assert wait_until(lambda: len(seen) == 20)
        assert seen == list(range(1, 21))
    finally:
        release.set()
        hub.stop()


def test_a_failing_sink_does_not_stop_the_stream(caplog):
    calls = []

    def sink(event):
        calls.append(event.seq)
        if event.seq == 1:
            raise OSError("disk full")

    hub = ConnectorHub(sink).start()
    try:
        for i in range(3):
            hub.ingest({"platform": "x", "type": "share", "id": str(i)})
        assert wait_until(lambda: len(calls) == 3)
        assert hub.sink_errors == 1 and "the event sink failed" in caplog.text
    finally:
        hub.stop()


def test_calls_when_not_running_say_so():
    hub = ConnectorHub(lambda e: None)
    with pytest.raises(ConnectorError, match="not running"):
        hub.ingest({"platform": "x", "type": "like"})
    with pytest.raises(ConnectorError, match="is not connected"):
        hub.start().reply("youtube:nope", "hi")
    hub.stop()


def test_specs_are_checked_in_words():
    assert parse_spec("YouTube:abc") == ("youtube", "abc")
    for bad in ("youtube", "myspace:1", "twitch:", ""):
        with pytest.raises(ConnectorError, match="PLATFORM:ID"):
            parse_spec(bad)
    twitch = connector_from_spec("twitch:#SomeChannel", {})
    assert twitch.target == "somechannel" and twitch.name == "twitch:somechannel"


def test_the_schema_is_valid_and_its_examples_are_accepted():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    from studio.connectors.generic import event_from_payload

    for example in schema["examples"]:
        assert event_from_payload(example).platform == example["platform"]


def test_clean_text_bounds_and_never_splits_a_character_sequence():
    assert clean_text("a\tb\nc\x00") == ("a b c", False)
    text, cut = clean_text("é" * 10 + "e\u0301" * 600, 20)
    assert cut and len(text) <= 20 and not text[:-1].endswith("e")  # the accent stays with its letter
    flags = "🇻🇳" * 300
    text, cut = clean_text(flags, 101)
    assert cut and text[:-1] == "🇻🇳" * 50  # never half a flag? regional pairs: kept whole at an even cut


def test_a_generic_platform_is_answered_through_its_connector_in_words(hub, sink):
    hub.add(connector_from_spec("generic:tiktok", {}))
    hub.start()
    comment = hub.ingest({"platform": "tiktok", "type": "comment", "id": "c1", "author": "Mai", "text": "hi"})
    assert hub.connector_for(comment) == "generic:tiktok"
    with pytest.raises(ConnectorError, match="tiktok does not let us post messages"):
        hub.reply("generic:tiktok", "hello", to=comment)


class _Broken:
    """A connector with a bug: its session raises something no platform would."""

    @staticmethod
    def make():
        from studio.connectors.base import Connector
        from studio.connectors.credentials import Credentials

        class Broken(Connector):
            platform = "broken"
            display_name = "Broken"

            async def session(self, emit):
                raise KeyError("snippet")

        return Broken("x", Credentials("broken", token="t"))


def test_an_unexpected_error_stops_only_that_connector_and_says_so(hub, sink, caplog):
    broken = _Broken.make()
    hub.add(broken)
    hub.add(connector_from_spec("generic:tiktok", {}))
    hub.start()
    assert wait_until(lambda: broken.status.state.value == "failed")
    assert broken.status.message == "Broken stopped after an unexpected error (details in the log)."
    assert "Traceback" in caplog.text and "KeyError" in caplog.text
    assert hub.ingest({"platform": "tiktok", "type": "like", "id": "l1", "count": 3}).seq == 1


def test_no_answer_outages_retry_at_least_every_five_seconds():
    """After a 60 s outage the platform is tried again within 5 s of coming back."""
    import aiohttp

    from studio.connectors.base import ConnectorState
    from studio.outputs.reconnect import NO_ANSWER_BACKOFF_MAX_S

    connector = connector_from_spec("youtube:bc", {"BRIDGECAST_YOUTUBE_TOKEN": "t"})
    delays = [connector._wait_unavailable(aiohttp.ClientConnectionError()) for _ in range(30)]
    assert max(delays) <= NO_ANSWER_BACKOFF_MAX_S == 5.0 and delays[0] < delays[3]
    assert connector.status.state is ConnectorState.RECONNECTING
    assert "does not answer" in connector.status.message


def test_one_connector_can_be_removed_while_the_others_go_on(hub):
    tiktok, lazada = connector_from_spec("generic:tiktok", {}), connector_from_spec("generic:lazada", {})
    hub.add(tiktok)
    hub.add(lazada)
    hub.start()
    assert wait_until(lambda: tiktok.status.state.value == "live" and lazada.status.state.value == "live")
    hub.remove("generic:tiktok")
    assert wait_until(lambda: tiktok.status.state.value == "stopped")
    assert lazada.status.state.value == "live" and [s["target"] for s in hub.statuses()] == ["lazada"]
    with pytest.raises(ConnectorError, match="is not connected"):
        hub.remove("generic:tiktok")
