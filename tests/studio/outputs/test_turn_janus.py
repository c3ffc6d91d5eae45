"""TURN when UDP is blocked, against the real SFU and a real TURN server (issue 15, "Session
edges"): Janus + simple-whip-server + coturn in the server namespace; the publisher in the
client namespace, whose veth drops every UDP packet both ways (bench/testbed/turn.py).

* configured ``turn:…?transport=tcp`` / ``turns:…`` servers: live through a relay over TCP,
  and over TLS (coturn's test certificate trusted through ``BRIDGECAST_TURN_CA_FILE``: chain
  and host name checked as a real TURN provider's certificate is, against the system's store);
* no servers configured, the endpoint naming TURN over UDP, TCP and TLS in its ``Link``
  header (RFC 9725 §4.6): live on the *first* session, through the TCP relay;
* the network dropping TCP too for a while, then back: the show comes back over the relay;
* the control: the same blocked network without TURN never connects (ICE fails, in words).

A subscriber through Janus (in the server namespace, UDP there untouched) decodes the show in
each case; the publisher's stats name the relay and how it reaches its TURN server.
"""
from __future__ import annotations

import time

import pytest

from bench.testbed import harness
from bench.testbed.harness import CLIENT_IF, JanusSubscriber, call_in_netns
from bench.testbed.turn import RELAY_PORTS, block_udp, udp_dropped
from studio.golive.session import LiveSession
from studio.outputs.errors import StopReason
from studio.outputs.publisher import FAILED, LIVE, RECONNECTING
from studio.outputs.whip import IceServer
from tests.sfu.fixtures import require_sfu
from tests.studio.outputs.test_publish_janus import Program, three_layers

ICE_TIMEOUT_S = 15.0


@pytest.fixture(scope="module")
def turn_stack(tmp_path_factory):
    """A split SFU stack (the publisher's traffic crosses the veth) and coturn beside Janus."""
    require_sfu()
    workdir = tmp_path_factory.mktemp("turn-sfu")
    with harness.sfu_stack(workdir / "sfu", split=True) as sfu:
        with sfu.turn_server(workdir / "turn") as turn:
            yield sfu, turn


@pytest.fixture
def program():
    program = Program(640, 360).start()
    yield program
    program.stop()


@pytest.fixture
def udp_blocked(turn_stack):
    """The publisher's firewall (UDP dropped both ways; a test may block TCP too)."""
    sfu, _turn = turn_stack
    with block_udp(sfu.client_ns, CLIENT_IF) as firewall:
        yield firewall


def go_live(sfu, program, url: str, **options) -> LiveSession:
    session = LiveSession((program.compositor, program.mixer), url, None, three_layers(640, 360), "h264", "libx264",
                          ice_timeout_s=ICE_TIMEOUT_S, **options)
    session.started_at = time.monotonic()
    call_in_netns(sfu.client_ns, session.start, timeout=30)
    return session


def report(name: str, session: LiveSession) -> None:
    """Printed (run with -s), never asserted: how long Go live took through the relay."""
    print(f"{name}: live after {time.monotonic() - session.started_at:.1f} s, ice {session.publisher.stats()['ice']}")


def janus_sees_the_relay(sfu, turn) -> list[str]:
    """Janus's own view (admin API): every selected pair's remote end is a coturn relay address
    (``relay`` when the offer carried it, ``prflx`` when learned from our checks), never the
    publisher's own address."""
    pairs = sfu.janus.selected_pairs()
    remotes = [pair.split("<->")[1].strip() for pair in pairs]
    for remote in remotes:
        address, kind = remote.split(" ", 1)
        host, port = address.rsplit(":", 1)
        assert host == turn.ip and int(port) in RELAY_PORTS and sfu.netns.client_ip not in remote, pairs
        assert kind.startswith("[relay") or kind.startswith("[prflx"), pairs
    assert remotes, "Janus reports no selected ICE pair"
    return pairs


def decodes(sfu, display: str) -> int:
    with JanusSubscriber(sfu.janus, display=display) as sub:
        sub.wait_frames(10, timeout=20)
        return sub.total_frames


@pytest.mark.parametrize("kind", ["tcp", "tls"])
def test_udp_blocked_goes_live_through_a_configured_turn_server(turn_stack, udp_blocked, program, kind, monkeypatch):
    sfu, turn = turn_stack
    monkeypatch.setenv("BRIDGECAST_TURN_CA_FILE", str(turn.ca_path))  # trust the test TURN certificate
    endpoint = f"turn-configured-{kind}"
    url = sfu.whip.create_endpoint(endpoint)
    server = turn.ice_server(kind)
    session = go_live(sfu, program, url, ice_servers=[IceServer(server["urls"], server["username"], server["credential"])])
    try:
        assert session.wait_live(ICE_TIMEOUT_S + 15), f"state {session.state}: {session.failure}"
        report(f"configured {kind}", session)
        ice = session.publisher.stats()["ice"]
        assert ice["local_candidate_type"] == "relay", ice
        assert ice["relay_transport"] == kind and ice["turn_server"] == turn.url(kind), ice
        assert turn.password not in str(session.publisher.stats())
        janus_sees_the_relay(sfu, turn)  # before a subscriber adds a handle of its own
        assert decodes(sfu, endpoint) >= 10
        assert udp_dropped(sfu.client_ns, CLIENT_IF) > 0  # UDP was tried, and dropped
    finally:
        session.stop()
        sfu.whip.destroy_endpoint(endpoint)


def test_udp_blocked_goes_live_on_the_first_session_through_the_link_headers_turn(turn_stack, udp_blocked, program,
                                                                                  monkeypatch):
    sfu, turn = turn_stack
    monkeypatch.setenv("BRIDGECAST_TURN_CA_FILE", str(turn.ca_path))
    endpoint = "turn-link"
    # RFC 9725's example order: TURN over UDP first (useless here), then TCP, then TLS.
    url = sfu.whip.create_endpoint(endpoint, iceServers=turn.link_servers("udp", "tcp", "tls"))
    session = go_live(sfu, program, url)  # nothing configured
    try:
        assert session.wait_live(ICE_TIMEOUT_S + 15), f"state {session.state}: {session.failure}"
        report("link header", session)
        publisher = session.publisher
        assert publisher.sessions == 1, "live on the first attempt, not after an ICE failure"
        assert publisher.ice_servers == [], "the endpoint's servers were not turned into configured ones"
        ice = publisher.stats()["ice"]
        assert ice["local_candidate_type"] == "relay", ice
        assert ice["relay_transport"] == "tcp", ice  # preferred over TLS, UDP gave no relay
        print("link header: janus", janus_sees_the_relay(sfu, turn))
        assert decodes(sfu, endpoint) >= 10
    finally:
        session.stop()
        sfu.whip.destroy_endpoint(endpoint)


def test_udp_blocked_without_turn_never_connects(turn_stack, udp_blocked, program):
    sfu, _turn = turn_stack
    endpoint = "turn-none"
    url = sfu.whip.create_endpoint(endpoint)
    session = go_live(sfu, program, url)
    try:
        assert not session.wait_live(ICE_TIMEOUT_S + 15)
        assert session.publisher.state != LIVE
        assert session.publisher.failure is not None
        assert session.publisher.failure.reason is StopReason.ICE_FAILED, session.publisher.failure
        assert str(session.publisher.failure)  # in words
    finally:
        session.stop()
        sfu.whip.destroy_endpoint(endpoint)


def test_the_show_comes_back_over_turn_when_the_tcp_path_drops_for_a_while(turn_stack, udp_blocked, program):
    """UDP stays blocked; TCP goes too for a while (the TURN connection stalls), then returns:
    reconnecting, then live again through the TURN relay over TCP, nobody touching anything.

    Both ways back were seen here: when the TCP connection to the TURN server survives the
    stall, an ICE restart in the same WHIP session with a freshly allocated relay (the restart
    re-gathers every TURN relay, ``turn.turn_servers_of``: with UDP blocked nothing else could
    connect); when it ends in ETIMEDOUT, aioice closes the ICE connection and with it DTLS, so
    a fresh WHIP session (an ICE restart needs DTLS alive)."""
    sfu, turn = turn_stack
    endpoint = "turn-recover"
    url = sfu.whip.create_endpoint(endpoint)
    server = turn.ice_server("tcp")
    session = go_live(sfu, program, url, ice_servers=[IceServer(server["urls"], server["username"], server["credential"])])
    try:
        assert session.wait_live(ICE_TIMEOUT_S + 15), f"state {session.state}: {session.failure}"
        assert decodes(sfu, endpoint) >= 10
        udp_blocked.block("tcp")
        try:
            assert session.publisher.wait_for_state(RECONNECTING, FAILED, timeout=15), session.state
            time.sleep(3.0)  # tries go unanswered meanwhile
        finally:
            udp_blocked.unblock("tcp")
        assert session.publisher.wait_for_state(LIVE, FAILED, timeout=45), session.state
        assert session.state == LIVE, session.failure
        print(f"back over TURN after the TCP path dropped: history {session.publisher.reconnect.history}")
        assert session.publisher.reconnects == 1
        ice = session.publisher.stats()["ice"]
        assert ice["local_candidate_type"] == "relay" and ice["relay_transport"] == "tcp", ice
        assert decodes(sfu, endpoint) >= 10
    finally:
        session.stop()
        sfu.whip.destroy_endpoint(endpoint)
