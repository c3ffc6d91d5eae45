"""Live-show events over the WHIP session's data channel, through the real Janus VideoRoom.

Publishing: test pattern → compositor → x264 → WhipPublisher (``--events-channel``) →
simple-whip-server → Janus; a subscriber joins the room with the data stream
(bench/testbed/data_subscriber.py) and reads the JSON envelopes a ``LiveShow`` sends as products
are pinned.  A server that declines or lacks the data channel still gets the video, and the
stats say the channel is unavailable.
"""
from __future__ import annotations

import json
import re
import time

import pytest

from encoders.ladder import LayerSpec
from studio.compositor import Compositor, LayerPlan
from studio.live import LiveShow
from studio.live.channel_delivery import OPEN, UNAVAILABLE, ChannelDelivery
from studio.outputs.publisher import (
    EVENTS_CHANNEL_LABEL,
    FAILED,
    LIVE,
    STOPPED,
    WhipPublisher,
)
from studio.golive.session import LiveSession
from studio.sources.testpattern import TestPatternSource
from bench.testbed.data_subscriber import JanusDataSubscriber
from bench.testbed.harness import call_in_netns
from tests.helpers import wait_until
from tests.studio.outputs.whip_test_server import ThreadedWhipTestServer, answer_for_offer

FPS = 30
WIDTH, HEIGHT = 320, 180


@pytest.fixture
def program():
    source = TestPatternSource("tp", "Test pattern", {"width": WIDTH, "height": HEIGHT, "fps": FPS})
    compositor = Compositor(WIDTH, HEIGHT, FPS, {"tp": source}.get)
    compositor.set_plan([LayerPlan("item", "tp", 0, 0, WIDTH, HEIGHT)])
    source.start()
    compositor.start()
    yield compositor
    compositor.stop()
    source.stop()


@pytest.fixture
def show(tmp_path):
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(
        "sku,title,price,original_price,currency,stock\n"
        "SKU-1,Silk scarf,19.99,39.99,USD,50\n"
        "SKU-2,Travel mug,12.50,,EUR,20\n",
        encoding="utf-8",
    )
    live = LiveShow(None, tmp_path / "show.db", catalog=catalog)
    yield live
    live.stop()


def one_layer() -> list[LayerSpec]:
    return [LayerSpec("h", WIDTH, HEIGHT, 300_000, FPS)]


def envelopes(messages) -> list[dict]:
    return [json.loads(message.data) for message in messages]


# ----------------------------------------------------------------------------------------------
def test_pinned_products_reach_a_janus_subscriber_over_the_data_channel(sfu, whip_endpoint, program, show):  # noqa: F811
    endpoint_id, url = whip_endpoint
    delivery = ChannelDelivery().attach(show)
    show.pin("SKU-1")  # before going live: waits in the queue, goes out when the channel opens
    session = LiveSession(program, url, None, one_layer(), "h264", "libx264", **delivery.publisher_options())
    channel_states: list[str] = []
    session_started = False
    try:
        call_in_netns(sfu.client_ns, session.start, timeout=30)
        session_started = True
        session.publisher.on_events_channel.connect(lambda state, **_: channel_states.append(state))
        assert session.wait_live(25), f"state {session.state}: {session.failure}"
        assert wait_until(lambda: delivery.state == OPEN, 10), delivery.stats()
        assert wait_until(lambda: delivery.stats()["sent"] == 2, 5), delivery.stats()  # state + the queued pin
        channel = session.stats()["events_channel"]
        assert channel == {"requested": True, "label": EVENTS_CHANNEL_LABEL, "state": "open", "is_available": True,
                           "reason": None}

        with JanusDataSubscriber(sfu.janus, display=endpoint_id) as sub:
            assert sub.has_data_stream, "Janus offered the subscriber no data stream"
            sub.wait_frames(2, timeout=15)  # the video goes through as ever
            # Janus forwards only once the subscriber's own data path is up: knock until
            # something arrives, then check an ordered run of real events.
            deadline = time.monotonic() + 15
            while not sub.messages and time.monotonic() < deadline:
                show.pin("SKU-2")
                sub.wait_frames(1, timeout=5)  # ~33 ms; lets Janus settle without a bare sleep
            assert sub.messages, f"no data-channel message reached the subscriber: {delivery.stats()}"
            seen = len(sub.messages)
            show.unpin()
            show.pin("SKU-1")
            show.create_coupon("SAVE5", "amount", 5)
            messages = sub.wait_messages(seen + 3, timeout=10)
    finally:
        delivery.stop()
        if session_started:
            session.stop()
    got = envelopes(messages)
    seqs = [e["seq"] for e in got]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs  # in order, no gap
    assert [e["event"]["type"] for e in got[seen:]] == ["product.unpinned", "product.pinned", "coupon.created"]
    assert got[seen + 1]["event"]["data"]["sku"] == "SKU-1"
    assert {e["stream"] for e in got} == {delivery.stream_id}
    assert all(e["kind"] == "bridgecast.live_event" and e["version"] == 1 for e in got)
    # The journal's own numbering rides along unchanged inside the envelope.
    journal = {event["seq"]: event["type"] for event in show.store.events()}
    assert all(journal[e["event"]["seq"]] == e["event"]["type"] for e in got)
    stats = delivery.stats()
    assert stats["dropped"] == 0 and stats["sent"] == stats["last_seq"] == seqs[-1]
    assert channel_states[-1] == "closed" and session.state == STOPPED
    assert wait_until(lambda: not sfu.janus.publishers(), 5), sfu.janus.list_participants()


def _declined(answer_sdp: str) -> str:
    """What a server without data channels answers: port 0, no transport attributes, not
    bundled (pion/libwebrtc style)."""
    out, in_app = [], False
    for line in answer_sdp.split("\r\n"):
        if line.startswith("m="):
            in_app = line.startswith("m=application")
            if in_app:
                line = re.sub(r"^m=application \d+ ", "m=application 0 ", line)
        if in_app and line.startswith(("a=ice-", "a=setup:", "a=fingerprint:", "a=sctp-port:", "a=candidate:",
                                       "a=end-of-candidates", "a=max-message-size:")):
            continue
        if line.startswith("a=group:BUNDLE"):
            line = "a=group:BUNDLE " + " ".join(mid for mid in line.split()[1:] if mid != _app_mid(answer_sdp))
        out.append(line)
    return "\r\n".join(out)


def _missing(answer_sdp: str) -> str:
    """A server that leaves the section out altogether."""
    mid = _app_mid(answer_sdp)
    out, in_app = [], False
    for line in answer_sdp.split("\r\n"):
        if line.startswith("m="):
            in_app = line.startswith("m=application")
        if in_app and line:
            continue
        if line.startswith("a=group:BUNDLE"):
            line = "a=group:BUNDLE " + " ".join(m for m in line.split()[1:] if m != mid)
        out.append(line)
    return "\r\n".join(out)


def _app_mid(answer_sdp: str) -> str | None:
    section = answer_sdp[answer_sdp.find("m=application"):] if "m=application" in answer_sdp else ""
    match = re.search(r"^a=mid:(\S+)", section, re.M)
    return match.group(1) if match else None


@pytest.mark.parametrize("bend", [_declined, _missing], ids=["declined", "missing"])
def test_a_server_without_the_data_channel_still_gets_the_video(sfu, whip_endpoint, program, show, bend):  # noqa: F811
    from studio.outputs.sdp import parse_answer
    from studio.outputs.whip import WhipClient

    class NoDataChannelClient(WhipClient):
        async def publish(self, offer_sdp):
            resource = await super().publish(offer_sdp)
            resource.answer_sdp = bend(resource.answer_sdp)
            resource.answer = parse_answer(resource.answer_sdp)
            return resource

    endpoint_id, url = whip_endpoint
    delivery = ChannelDelivery().attach(show)
    session = LiveSession(
        program, url, None, one_layer(), "h264", "libx264",
        client_factory=lambda u, t, timeout_s: NoDataChannelClient(u, t, timeout_s=timeout_s),
        **delivery.publisher_options(),
    )
    notices: list[str] = []
    session.notices.connect(lambda code, message: notices.append(code))
    session_started = False
    try:
        call_in_netns(sfu.client_ns, session.start, timeout=30)
        session_started = True
        assert session.wait_live(25), f"state {session.state}: {session.failure}"
        with JanusDataSubscriber(sfu.janus, display=endpoint_id) as sub:
            frames = sub.wait_frames(5, timeout=15)
            assert (frames[-1].width, frames[-1].height) == (WIDTH, HEIGHT)
        channel = session.stats()["events_channel"]
        assert channel["state"] == "unavailable" and channel["is_available"] is False
        assert "did not accept the events data channel" in channel["reason"]
        assert "events_channel_unavailable" in notices
        show.pin("SKU-1")
        stats = delivery.stats()
        assert stats["state"] == UNAVAILABLE and stats["sent"] == 0 and stats["queued"] == 2  # state + pin
        assert session.state == LIVE and session.failure is None
    finally:
        delivery.stop(drain_timeout_s=0)
        if session_started:
            session.stop()
    assert session.state == STOPPED
    assert wait_until(lambda: not sfu.janus.publishers(), 5), sfu.janus.list_participants()


# ----------------------------------------------------------------------------------------------
# Without a media server: what is offered, and an answer declining it is no failure.
def test_the_channel_is_opt_in_and_a_declining_answer_is_read_at_once():
    server = ThreadedWhipTestServer(token=None).start_in_thread()
    server.answer_sdp = lambda offer: answer_for_offer(offer).replace("m=application 9 ", "m=application 0 ")
    states: list[tuple[str, str | None]] = []
    plain = WhipPublisher(server.endpoint_url, layers=one_layer(), ice_timeout_s=30)
    with_channel = WhipPublisher(server.endpoint_url, layers=one_layer(), ice_timeout_s=30, events_channel=True)
    with_channel.on_events_channel.connect(lambda state, reason=None, **_: states.append((state, reason)))
    try:
        plain.start()
        assert wait_until(lambda: len(server.requests_of("POST")) == 1, 10)
        assert "m=application" not in server.requests_of("POST")[0].body
        assert plain.stats()["events_channel"]["state"] == "off"
        with_channel.start()
        assert wait_until(lambda: len(server.requests_of("POST")) == 2, 10)
        offer = server.requests_of("POST")[1].body
        assert re.search(r"^m=application \d+ UDP/DTLS/SCTP webrtc-datachannel\r\n", offer, re.M), offer
        assert "a=sctp-port:5000" in offer
        assert wait_until(lambda: with_channel.events_channel_state == "unavailable", 10), states
        assert [state for state, _reason in states] == ["connecting", "unavailable"]
        # Still connecting its media (nothing connects to this test server), not failed.
        assert with_channel.state == "connecting" and with_channel.failure is None
    finally:
        plain.stop()
        with_channel.stop()
        server.stop_thread()
    assert with_channel.state == STOPPED and with_channel.state != FAILED
    assert with_channel.stats()["events_channel"]["state"] == "unavailable"


# ----------------------------------------------------------------------------------------------
def test_bridgecast_live_events_channel_carries_control_api_pins(sfu, whip_endpoint, tmp_path):  # noqa: F811
    """``bridgecast live --events-channel --catalog … --control-port …``: a pin through the
    control API reaches the platform's subscriber as an envelope; stats say so."""
    import random
    import threading

    from studio.headless import LiveOptions, run_live
    from bench.testbed.harness import http_request_in_netns

    endpoint_id, url = whip_endpoint
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,title,price,currency,stock\nSKU-1,Silk scarf,19.99,USD,5\nSKU-2,Mug,9.50,EUR,3\n", encoding="utf-8")
    port = random.randint(20_000, 30_000)
    options = LiveOptions(
        source="testpattern", canvas=(WIDTH, HEIGHT), fps=FPS, whip=url, layers=("h",), encoder="libx264",
        stats_jsonl=tmp_path / "stats.jsonl", has_audio=False, catalog=catalog, control_port=port,
        control_token="tok-for-tests", show_db=tmp_path / "show.db", events_channel=True,
    )
    stop = threading.Event()
    result: dict = {}

    def run() -> None:
        try:
            result["code"] = call_in_netns(sfu.client_ns, run_live, options, stop, lambda line: result.setdefault("err", []).append(line), timeout=90)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            result["error"] = exc

    def pin(sku: str | None) -> int:
        path = f"/api/v1/products/{sku}/pin" if sku else "/api/v1/products/unpin"
        return http_request_in_netns(sfu.client_ns, "POST", f"http://127.0.0.1:{port}{path}",
                                     headers={"Authorization": "Bearer tok-for-tests"}, body={}).status

    runner = threading.Thread(target=run, name="headless-live")
    runner.start()
    try:
        assert wait_until(lambda: [p for p in sfu.janus.publishers() if p.get("display") == endpoint_id], 30), result
        with JanusDataSubscriber(sfu.janus, display=endpoint_id) as sub:
            sub.wait_frames(2, timeout=15)
            deadline = time.monotonic() + 15
            while not sub.messages and time.monotonic() < deadline:
                assert pin("SKU-2") == 200
                sub.wait_frames(1, timeout=5)
            assert sub.messages, f"no event over the data channel: {result}"
            seen = len(sub.messages)
            assert pin("SKU-1") == 200 and pin(None) == 200
            got = envelopes(sub.wait_messages(seen + 2, timeout=10))
        # One stats line a second: wait for one written while live with the channel open.
        assert wait_until(lambda: open_lines(tmp_path / "stats.jsonl"), 5)
    finally:
        stop.set()
        runner.join(60)
    assert result.get("code") == 0, result
    assert [(e["event"]["type"], e["event"]["data"].get("sku")) for e in got[seen:]] == [
        ("product.pinned", "SKU-1"), ("product.unpinned", "SKU-1")]
    seqs = [e["seq"] for e in got]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    live_records = open_lines(tmp_path / "stats.jsonl")
    assert live_records[-1]["events_channel"]["delivery"]["state"] == "open"
    assert live_records[-1]["events_channel"]["delivery"]["dropped"] == 0
    records = [json.loads(line) for line in (tmp_path / "stats.jsonl").read_text(encoding="utf-8").splitlines()]
    assert records[-1]["state"] == "stopped"


def open_lines(path) -> list[dict]:
    """The ``--stats-jsonl`` lines written while live with the events channel open."""
    if not path.exists():
        return []
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in records if r["state"] == "live" and (r.get("events_channel") or {}).get("state") == "open"]


def test_events_wait_through_a_reconnect_and_go_out_on_the_new_channel(sfu, whip_endpoint, program, show):  # noqa: F811
    """The endpoint goes away while live: the channel closes with the session, pins made
    meanwhile wait, and the next session's channel (offered again) carries them, in order."""
    endpoint_id, url = whip_endpoint
    delivery = ChannelDelivery().attach(show, send_state=False)
    session = LiveSession(program, url, None, one_layer(), "h264", "libx264", **delivery.publisher_options())
    session_started = False
    try:
        call_in_netns(sfu.client_ns, session.start, timeout=30)
        session_started = True
        assert session.wait_live(25), f"state {session.state}: {session.failure}"
        assert wait_until(lambda: delivery.state == OPEN, 10), delivery.stats()
        show.pin("SKU-1")
        assert wait_until(lambda: delivery.stats()["sent"] == 1, 5), delivery.stats()

        sfu.whip.destroy_endpoint(endpoint_id)
        assert session.publisher.wait_for_state("reconnecting", FAILED, timeout=20), session.state
        assert wait_until(lambda: delivery.state == "reconnecting", 5), delivery.stats()
        show.unpin()
        show.pin("SKU-2")
        assert delivery.stats()["queued"] == 2 and delivery.stats()["sent"] == 1
        sfu.whip.create_endpoint(endpoint_id)
        assert wait_until(lambda: session.state == LIVE and delivery.state == OPEN, 30), (session.state, delivery.stats())
        assert wait_until(lambda: delivery.stats()["sent"] == 3, 5), delivery.stats()
        assert session.publisher.sessions >= 2 and delivery.stats()["opens"] == 2
        assert session.stats()["events_channel"]["state"] == "open"
        with JanusDataSubscriber(sfu.janus, display=endpoint_id) as sub:
            deadline = time.monotonic() + 15
            while not sub.messages and time.monotonic() < deadline:
                show.pin("SKU-1")
                sub.wait_frames(1, timeout=5)
            assert sub.messages, delivery.stats()
    finally:
        delivery.stop()
        if session_started:
            session.stop()
    stats = delivery.stats()
    assert stats["dropped"] == 0 and stats["last_sent_seq"] == stats["last_seq"]
    assert json.loads(sub.messages[0].data)["seq"] >= 4  # numbering went on across sessions
    assert wait_until(lambda: not sfu.janus.publishers(), 5), sfu.janus.list_participants()
