"""Reconnection: the back-off schedule, the retry policy, and the publisher's state machine
against a WHIP endpoint that really connects (tests/studio/outputs/whip_test_server.py in
media mode: an aiortc peer answers, ICE over loopback, DTLS) and then drops the session,
refuses the token, answers 404/503 + Retry-After, or stops listening.

The Janus scenarios (server restart with recording, network vanishing, session dropped) are
in test_reconnect_janus.py.
"""
from __future__ import annotations

import logging
import random
import time

import pytest

from encoders.ladder import LayerSpec
from studio.outputs.errors import OutputError, StopReason
from studio.outputs.publisher import FAILED, LIVE, RECONNECTING, STOPPED, WhipPublisher
from studio.outputs.reconnect import Backoff, ReconnectStatus
from tests.helpers import wait_until
from tests.studio.outputs.whip_test_server import ThreadedWhipTestServer

TOKEN = "live-T0ken-never-shown"
LAYERS = [LayerSpec("h", 320, 180, 300_000, 30)]


# ----------------------------------------------------------------------------------------------
# The schedule
def test_backoff_doubles_from_half_a_second_to_a_30_second_cap_without_jitter():
    backoff = Backoff(jitter=0.0)
    assert [backoff.delay_s(n) for n in range(1, 10)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert backoff.delay_s(10_000) == 30.0  # days of outage stay finite


def test_backoff_jitter_spreads_each_delay_within_20_percent_and_never_above_the_cap():
    backoff = Backoff(rng=random.Random(7))
    for attempt in range(1, 12):
        base = backoff.base_delay_s(attempt)
        delays = [backoff.delay_s(attempt) for _ in range(200)]
        assert min(delays) >= base * 0.8 - 1e-9
        assert max(delays) <= min(30.0, base * 1.2) + 1e-9
        assert len({round(d, 6) for d in delays}) > 50  # really spread, not one value
    # Two publishers cut off by the same restart do not retry in lockstep.
    a, b = Backoff(rng=random.Random(1)), Backoff(rng=random.Random(2))
    assert [a.delay_s(3) for _ in range(5)] != [b.delay_s(3) for _ in range(5)]


def test_retry_after_wins_when_longer_and_is_capped():
    backoff = Backoff(jitter=0.0)
    assert backoff.delay_s(1, retry_after_s=7.0) == 7.0  # server asks for longer: honoured
    assert backoff.delay_s(6, retry_after_s=3.0) == 16.0  # shorter than the back-off: back-off
    assert backoff.delay_s(1, retry_after_s=3600.0) == 60.0  # an hour would look dead: capped
    assert Backoff(jitter=0.0, retry_after_max_s=10.0).delay_s(1, retry_after_s=45.0) == 10.0
    assert backoff.delay_s(2, retry_after_s=0.0) == 1.0


def test_tries_nothing_answered_back_off_to_a_lower_cap():
    backoff = Backoff(jitter=0.0)
    assert [backoff.delay_s(n, max_s=5.0) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert backoff.delay_s(9, max_s=60.0) == 30.0  # never above the back-off's own cap
    assert backoff.delay_s(9, retry_after_s=20.0, max_s=5.0) == 20.0  # the server's word still wins
    jittered = Backoff(rng=random.Random(5))
    assert all(jittered.delay_s(12, max_s=5.0) <= 5.0 for _ in range(100))


def test_backoff_rejects_nonsense():
    with pytest.raises(ValueError):
        Backoff(initial_s=0)
    with pytest.raises(ValueError):
        Backoff(initial_s=5, max_s=1)
    with pytest.raises(ValueError):
        Backoff(jitter=1.5)
    with pytest.raises(ValueError):
        Backoff().delay_s(0)


def test_reconnect_status_counts_attempts_per_outage_and_reports_next_try():
    status = ReconnectStatus()
    error = OutputError(StopReason.SERVER_BUSY, status=503, retry_after_s=4)
    status.schedule(4.0, error, now=100.0)
    snap = status.snapshot(now=101.0)
    assert snap["reconnect_attempt"] == 1 and snap["next_retry_in_s"] == 3.0
    assert snap["last_failure"] == "server_busy" and "503" in snap["last_failure_message"]
    assert snap["outage_s"] == 1.0 and snap["next_retry_at"] is not None
    status.trying()
    status.schedule(1.0, error, now=106.0)
    assert status.snapshot(now=106.5)["reconnect_attempt"] == 2
    assert status.recovered("new_session", now=110.0) == 10.0
    snap = status.snapshot(now=111.0)
    assert snap["reconnect_attempt"] == 0 and snap["next_retry_in_s"] is None and snap["outage_s"] is None
    assert snap["reconnects"] == 1 and snap["reconnect_attempts_total"] == 2 and snap["last_outage_s"] == 10.0
    assert status.recovered("new_session") is None  # no outage: nothing to count


# ----------------------------------------------------------------------------------------------
# The policy
@pytest.mark.parametrize("status", [401, 403])
def test_refused_token_is_final_once_live(status):
    error = OutputError.for_status(status)
    assert not error.is_retryable_after_live
    revoked = OutputError.token_revoked(status)
    assert revoked.reason is StopReason.BAD_TOKEN and str(status) in str(revoked) and "revoked" in str(revoked)


@pytest.mark.parametrize(
    "error",
    [
        OutputError.for_status(404),
        OutputError.for_status(503, retry_after_s=5),
        OutputError.for_status(500),
        OutputError.for_status(502),
        OutputError.unreachable("connection refused"),
        OutputError.timeout(10),
        OutputError(StopReason.ICE_FAILED),
        OutputError(StopReason.DTLS_FAILED),
        OutputError(StopReason.DISCONNECTED),
        OutputError.malformed_answer("garbage"),
    ],
    ids=lambda e: e.reason.value + (f"-{e.status}" if e.status else ""),
)
def test_everything_else_is_retried_once_live(error):
    assert error.is_retryable_after_live


# ----------------------------------------------------------------------------------------------
# The state machine against an endpoint that really connects
@pytest.fixture
def media_server():
    server = ThreadedWhipTestServer(token=TOKEN)
    server.media = True
    server.start_in_thread()
    yield server
    server.stop_thread()


def make_publisher(server, **options) -> WhipPublisher:
    options.setdefault("backoff", Backoff(0.05, 0.4, rng=random.Random(3)))
    return WhipPublisher(server.endpoint_url, TOKEN, layers=LAYERS, simulcast="off", ice_timeout_s=10, **options)


def record_states(publisher: WhipPublisher) -> list[str]:
    states: list[str] = []
    publisher.on_state.connect(lambda state, failure=None: states.append(state))
    return states


def test_server_dropping_the_session_is_recovered_with_a_new_session(media_server):
    publisher = make_publisher(media_server)
    states = record_states(publisher)
    publisher.start()
    try:
        assert publisher.wait_live(20), publisher.failure
        assert media_server.call(media_server.drop_sessions) == 1
        assert publisher.wait_for_state(RECONNECTING, FAILED, timeout=10), publisher.state
        assert publisher.wait_for_state(LIVE, FAILED, timeout=20)
        assert publisher.state == LIVE, publisher.failure
        assert publisher.sessions == 2 and publisher.reconnects == 1
        stats = publisher.stats()
        assert stats["reconnects"] == 1 and stats["reconnect_attempt"] == 0 and stats["next_retry_in_s"] is None
        assert stats["last_failure"] == "disconnected" and stats["last_outage_s"] > 0
    finally:
        publisher.stop()
    assert states[:4] == ["connecting", LIVE, RECONNECTING, LIVE] and states[-1] == STOPPED, states
    assert not media_server.sessions  # every session was DELETEd


def test_retries_forever_through_refused_connections_404_and_503_honouring_retry_after(media_server):
    publisher = make_publisher(media_server)
    publisher.start()
    try:
        assert publisher.wait_live(20), publisher.failure
        # The server goes away entirely: connection refused, again and again (more attempts
        # than the old fixed count of 3).
        media_server.call(media_server.stop)
        assert wait_until(lambda: publisher.reconnect.attempt >= 6, 20), publisher.stats()
        assert publisher.state == RECONNECTING
        assert publisher.stats()["last_failure"] in ("unreachable", "timeout", "disconnected")
        # Back, but the endpoint is not there yet (a platform still restoring it): 404.
        media_server.post_status = (404, {}, "no such endpoint")
        media_server.call(media_server.start)
        assert wait_until(lambda: publisher.stats()["last_failure"] == "not_found", 15), publisher.stats()
        # Busy with Retry-After: the next try waits that long although the back-off cap is 0.4 s.
        media_server.post_status = (503, {"Retry-After": "2"}, "busy")
        assert wait_until(lambda: publisher.stats()["last_failure"] == "server_busy", 15), publisher.stats()
        assert wait_until(lambda: (publisher.stats()["next_retry_in_s"] or 0) > 1.0, 5), publisher.stats()
        attempts = publisher.reconnect.attempt
        assert attempts >= 8 and publisher.state == RECONNECTING
        media_server.post_status = None
        assert publisher.wait_for_state(LIVE, FAILED, timeout=20)
        assert publisher.state == LIVE, publisher.failure
        assert publisher.reconnects == 1 and publisher.failure is None
        assert publisher.stats()["reconnect_attempts_total"] >= attempts
    finally:
        publisher.stop()
    assert publisher.state == STOPPED


def test_a_token_refused_after_being_live_fails_with_the_reason_in_words(media_server, caplog):
    caplog.set_level(logging.DEBUG)
    publisher = make_publisher(media_server)
    states = record_states(publisher)
    publisher.start()
    try:
        assert publisher.wait_live(20), publisher.failure
        media_server.token = "the-platform-revoked-it"
        media_server.call(media_server.drop_sessions)
        assert publisher.wait_for_state(FAILED, timeout=15), publisher.state
    finally:
        publisher.stop()
    assert publisher.failure.reason is StopReason.BAD_TOKEN
    assert str(publisher.failure) == OutputError.token_revoked(401).message
    assert "revoked" in str(publisher.failure) and "401" in str(publisher.failure)
    assert states == ["connecting", LIVE, RECONNECTING, FAILED], states
    assert TOKEN not in caplog.text and TOKEN not in str(publisher.stats())


def test_before_the_first_live_a_busy_server_is_waited_for_as_it_asks(media_server):
    media_server.post_status = (503, {"Retry-After": "1"}, "busy")
    media_server.post_status_once = True
    publisher = make_publisher(media_server)
    states = record_states(publisher)
    notices: list[tuple[str, str]] = []
    publisher.notices.connect(lambda code=None, message=None, **_: notices.append((code, message)))
    publisher.start()
    try:
        assert publisher.wait_live(20), publisher.failure
    finally:
        publisher.stop()
    assert len(media_server.requests_of("POST")) == 2
    assert states[:2] == ["connecting", LIVE], states  # never failed, never "reconnecting"
    busy = [message for code, message in notices if code == "server_busy"]
    assert len(busy) == 1 and "trying again in 1 s" in busy[0] and "try 2 of 4" in busy[0], busy
    assert TOKEN not in busy[0]


def test_before_the_first_live_a_server_that_stays_busy_fails_after_a_few_tries(media_server):
    media_server.post_status = (503, {"Retry-After": "0"}, "busy")
    publisher = make_publisher(media_server)
    publisher.start()
    try:
        assert publisher.wait_for_state(FAILED, timeout=15), publisher.state
    finally:
        publisher.stop()
    assert publisher.failure.reason is StopReason.SERVER_BUSY
    assert len(media_server.requests_of("POST")) == 1 + publisher.reconnect_policy.busy_retries_before_live


def test_before_the_first_live_other_failures_are_still_final(media_server):
    media_server.post_status = (404, {}, "no such endpoint")
    publisher = make_publisher(media_server)
    publisher.start()
    try:
        assert publisher.wait_for_state(FAILED, timeout=10), publisher.state
    finally:
        publisher.stop()
    assert publisher.failure.reason is not StopReason.SERVER_BUSY
    assert len(media_server.requests_of("POST")) == 1 and publisher.reconnect.attempts_total == 0


def test_stop_while_waiting_on_a_busy_server_stops_at_once(media_server):
    media_server.post_status = (503, {"Retry-After": "20"}, "busy")
    publisher = make_publisher(media_server)
    publisher.start()
    try:
        assert wait_until(lambda: publisher.reconnect.next_retry_in_s() is not None, 10)
        assert 15 < publisher.reconnect.next_retry_in_s() <= 20  # as the server asked
    finally:
        publisher.stop(timeout_s=3)
    assert publisher.state == STOPPED and len(media_server.requests_of("POST")) == 1


def test_an_attempt_cap_can_still_be_set(media_server):
    publisher = make_publisher(media_server, reconnect_attempts=2)
    publisher.start()
    try:
        assert publisher.wait_live(20), publisher.failure
        media_server.post_status = (500, {}, "broken")
        media_server.call(media_server.drop_sessions)
        assert publisher.wait_for_state(FAILED, timeout=15), publisher.state
    finally:
        publisher.stop()
    assert publisher.failure.status == 500 and publisher.reconnect.attempts_total == 2


def test_the_ice_restart_adapter_finds_every_aiortc_internal_it_touches():
    """Fails loudly when an aiortc/aioice upgrade moves what the ICE restart swaps."""
    from studio.outputs.aiortc_adapter.ice_restart import check_internals

    assert check_internals() == []


def test_stop_while_the_post_awaits_its_answer_deletes_the_session_created_after_all(media_server):
    # RFC 9725 §4.4: the server answers only after 10 s; the host stops after 2 s. A 201 that
    # arrives after the stop is a session on the server: it must be deleted, not left running.
    media_server.answer_delay_s = 10.0
    publisher = make_publisher(media_server, request_timeout_s=15)
    publisher.start()
    try:
        assert wait_until(lambda: len(media_server.requests_of("POST")) == 1, 10)
        assert wait_until(lambda: publisher._session is not None and publisher._session.is_posting, 5)
        time.sleep(2.0)  # the host waits 2 s, then presses Stop
    finally:
        publisher.stop()
    assert publisher.state == STOPPED, publisher.failure
    deletes = media_server.requests_of("DELETE")
    assert len(deletes) == 1 and media_server.sessions == set(), (deletes, media_server.sessions)
    assert deletes[0].path == media_server.last_resource_path
