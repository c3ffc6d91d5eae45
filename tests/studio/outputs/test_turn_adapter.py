"""The TURN part of the aiortc adapter without the SFU: which URLs become relays, in what order,
what a TURN server that gives nothing costs (a notice in words, never the password), and the
Link header's servers taken on the first session (tests/studio/outputs/test_turn_janus.py has
the real relays through coturn with UDP blocked)."""
from __future__ import annotations

import random
import socket

import pytest
from aiortc import RTCIceServer

from encoders.ladder import LayerSpec
from studio.outputs.aiortc_adapter import turn
from studio.outputs.publisher import WhipPublisher
from studio.outputs.reconnect import Backoff
from studio.outputs.whip import IceServer
from tests.studio.outputs.whip_test_server import ThreadedWhipTestServer

TOKEN = "turn-test-token"
PASSWORD = "tUrN-pa55word"
LAYERS = [LayerSpec("h", 320, 180, 300_000, 30)]


def test_every_turn_url_becomes_a_server_udp_then_tcp_then_tls():
    servers = turn.turn_servers([
        RTCIceServer(urls=["turns:t.example.net?transport=tcp", "stun:s.example.net"], username="u", credential=PASSWORD),
        IceServer(["turn:t.example.net:3478?transport=tcp", "turn:t.example.net"], "u", PASSWORD),
        {"urls": "turn:[2001:db8::1]:3479", "username": "u", "credential": PASSWORD},
    ])
    assert [(s.kind, s.host, s.port) for s in servers] == [
        ("udp", "t.example.net", 3478), ("udp", "2001:db8::1", 3479), ("tcp", "t.example.net", 3478),
        ("tls", "t.example.net", 5349),
    ]
    assert all(PASSWORD not in (s.label + repr(s)) for s in servers)
    assert servers[-1].label == "turns:t.example.net:5349?transport=tcp"


@pytest.mark.parametrize("url", [
    "turn:t.example.net?transport=sctp",  # not a transport aioice has
    "turns:t.example.net?transport=udp",  # DTLS to the TURN server: not in aioice
    "stun:s.example.net", "http://t.example.net", "turn:",
])
def test_urls_aioice_cannot_use_are_left_out(url):
    assert turn.parse_turn_url(url) is None


def test_only_password_credentials_count():
    oauth = RTCIceServer(urls="turn:t.example.net", username="u", credential="c", credentialType="oauth")
    assert turn.turn_servers([oauth]) == []


def test_aiortc_gets_only_the_stun_urls():
    kept = turn.without_turn([IceServer(["stun:s.example.net:19302", "turn:t.example.net"], "u", PASSWORD)])
    assert [server.urls for server in kept] == [["stun:s.example.net:19302"]]
    assert turn.stun_server(kept) == ("s.example.net", 19302)


def test_relays_rank_udp_over_tcp_over_tls():
    from aioice.candidate import candidate_priority

    priorities = [candidate_priority(1, "relay", turn.RELAY_LOCAL_PREFERENCE[kind]) for kind in ("udp", "tcp", "tls")]
    assert priorities == sorted(priorities, reverse=True) and len(set(priorities)) == 3
    assert max(priorities) < candidate_priority(1, "srflx")  # any direct path first


def test_the_adapter_finds_the_aioice_internals_it_uses():
    assert turn.check_internals() == []


# ----------------------------------------------------------------------------------------------
# Through the publisher, against an endpoint that really connects (on this machine)
def closed_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once closed: connection refused


@pytest.fixture
def media_server():
    server = ThreadedWhipTestServer(token=TOKEN)
    server.media = True
    server.start_in_thread()
    yield server
    server.stop_thread()


def publish(server, **options) -> tuple[WhipPublisher, list[dict]]:
    publisher = WhipPublisher(server.endpoint_url, TOKEN, layers=LAYERS, simulcast="off", ice_timeout_s=10,
                              backoff=Backoff(0.05, 0.4, rng=random.Random(3)), **options)
    notices: list[dict] = []
    publisher.notices.connect(lambda **notice: notices.append(notice))
    return publisher, notices


def test_a_configured_turn_server_that_refuses_costs_a_notice_not_the_show(media_server, caplog):
    url = f"turn:127.0.0.1:{closed_tcp_port()}?transport=tcp"
    publisher, notices = publish(media_server, ice_servers=[IceServer([url], "user", PASSWORD)])
    publisher.start()
    try:
        assert publisher.wait_live(20), publisher.failure
        assert publisher.stats()["ice"]["local_candidate_type"] == "host"
    finally:
        publisher.stop()
    turn_notices = [n for n in notices if n["code"] == "turn_unavailable"]
    assert len(turn_notices) == 1 and url in turn_notices[0]["message"]
    assert PASSWORD not in caplog.text and all(PASSWORD not in n["message"] for n in notices)


def test_the_link_headers_turn_servers_are_tried_on_the_first_session(media_server, caplog):
    port = closed_tcp_port()
    media_server.links = [f'<turn:127.0.0.1:{port}?transport=tcp>; rel="ice-server"; username="user"; '
                          f'credential="{PASSWORD}"; credential-type="password"']
    publisher, notices = publish(media_server)
    publisher.start()
    try:
        assert publisher.wait_live(20), publisher.failure
        assert publisher.sessions == 1
    finally:
        publisher.stop()
    # Tried at once (the relay failed, so the host path carried on, unchanged): in words.
    assert [n["code"] for n in notices if n["code"] == "turn_unavailable"] == ["turn_unavailable"]
    assert f"127.0.0.1:{port}" in caplog.text and PASSWORD not in caplog.text


def test_turns_certificates_are_checked_against_the_system_store_or_the_named_bundle(tmp_path, monkeypatch):
    from bench.testbed.turn import write_test_certificate

    monkeypatch.delenv(turn.TURN_CA_FILE_ENV, raising=False)
    system = turn.tls_context()
    assert system.check_hostname and system.verify_mode.name == "CERT_REQUIRED"
    cert, _key = write_test_certificate(tmp_path, "198.18.0.1")
    monkeypatch.setenv(turn.TURN_CA_FILE_ENV, str(cert))
    private = turn.tls_context()
    assert private.check_hostname and [c["subject"] for c in private.get_ca_certs()] == [
        ((("commonName", "Bridgecast test TURN"),),)
    ]
