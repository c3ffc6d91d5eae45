"""The WHIP client against a WHIP endpoint written here (tests/studio/outputs/whip_test_server.py).

Covers the issue's list: relative Location, 307/308 redirects, Link ICE servers with TURN
credentials, 401, 503 + Retry-After, malformed answers, an answer accepting only rids h and
m, a slow answer (time-out), DELETE returning 404 — plus unreachable servers, PATCH, and the
token never showing in a log line or a message.  Issue #14: the token only ever reaches the
configured origin (a second server on another port is another origin), redirects and
session URLs elsewhere go without it, and https never steps down to http.
"""
from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import socket
import time
from pathlib import Path

import aiohttp
import pytest
from aiortc import RTCIceServer, RTCPeerConnection

from studio.core import i18n
from studio.outputs.errors import OutputError, StopReason, format_seconds, redact
from studio.outputs.sdp import add_simulcast, parse_answer
from studio.outputs.whip import (
    DEFAULT_USER_AGENT,
    IceServer,
    SdpFragment,
    WhipClient,
    WhipResource,
    ice_servers_from_links,
    is_same_origin,
    origin_text,
    parse_link_header,
    parse_retry_after,
)
from tests.studio.outputs.whip_test_server import (
    DEFAULT_TOKEN,
    STUN_LINK,
    TURN_LINK,
    WhipTestServer,
    other_whip_server,
    tls_whip_server,
    whip_server,
)

ROOT = Path(__file__).resolve().parents[3]
# Fixtures are taken by name: reference them once so linters see the imports used.
FIXTURES = (whip_server, other_whip_server, tls_whip_server)


async def _simulcast_offer() -> str:
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("audio", direction="sendonly")
        pc.addTransceiver("video", direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        return add_simulcast(pc.localDescription.sdp)
    finally:
        await pc.close()


@pytest.fixture(scope="module")
def offer() -> str:
    """A real aiortc offer (audio + video) with h/m/l simulcast munged in."""
    return asyncio.run(_simulcast_offer())


def publish(url: str, offer: str, token: str | None = DEFAULT_TOKEN, **options) -> WhipResource:
    async def go() -> WhipResource:
        async with WhipClient(url, token, **options) as client:
            return await client.publish(offer)

    return asyncio.run(go())


def publish_error(url: str, offer: str, token: str | None = DEFAULT_TOKEN, **options) -> OutputError:
    with pytest.raises(OutputError) as caught:
        publish(url, offer, token, **options)
    return caught.value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------------------
# Happy path, Location, redirects
def test_publish_with_relative_location(whip_server, offer):
    resource = publish(whip_server.endpoint_url, offer)

    assert resource.url == whip_server.url("/whip/resource/1")
    assert resource.etag == '"etag-1"'
    assert resource.endpoint_url == whip_server.endpoint_url
    assert resource.answer is not None and resource.answer.video.mid == "1"
    assert resource.accepted_rids == ["h", "m", "l"]
    [post] = whip_server.requests
    assert (post.method, post.path, post.body) == ("POST", "/whip/endpoint", offer)
    assert post.headers["Content-Type"] == "application/sdp"
    assert post.headers["Authorization"] == f"Bearer {DEFAULT_TOKEN}"
    assert post.headers["User-Agent"] == DEFAULT_USER_AGENT and DEFAULT_USER_AGENT.startswith("Bridgecast/")


def test_publish_with_absolute_location_and_no_etag(whip_server, offer):
    whip_server.location = "absolute"
    whip_server.etag = None
    resource = publish(whip_server.endpoint_url, offer)
    assert resource.url == whip_server.url("/whip/resource/1") and resource.etag is None


@pytest.mark.parametrize("status", [307, 308])
def test_redirect_reposts_the_same_offer_and_resolves_against_the_final_url(whip_server, offer, status):
    whip_server.redirects = {
        "/whip/endpoint": (status, "/whip/other/ep"),  # relative
        "/whip/other/ep": (status, whip_server.url("/whip/final/ep")),  # absolute
    }
    whip_server.location = "../resource/7"  # relative to the final endpoint, not the first
    resource = publish(whip_server.endpoint_url, offer)

    assert resource.url == whip_server.url("/whip/resource/7")
    assert resource.endpoint_url == whip_server.url("/whip/final/ep")
    posts = whip_server.requests_of("POST")
    assert [p.path for p in posts] == ["/whip/endpoint", "/whip/other/ep", "/whip/final/ep"]
    assert all(p.body == offer and p.headers["Authorization"] == f"Bearer {DEFAULT_TOKEN}" for p in posts)
    assert all(p.headers["Content-Type"] == "application/sdp" for p in posts)


def test_redirect_loop(whip_server, offer):
    whip_server.redirects = {"/whip/endpoint": (307, "/whip/b"), "/whip/b": (308, "/whip/endpoint")}
    error = publish_error(whip_server.endpoint_url, offer)
    assert error.reason is StopReason.REDIRECT_LOOP
    assert str(error) == "WHIP server redirected too many times (2)"
    assert not error.is_retryable
    assert len(whip_server.requests) == 2


def test_too_many_redirects(whip_server, offer):
    whip_server.redirects = {f"/whip/{n}": (307, f"/whip/{n + 1}") for n in range(5)}
    error = publish_error(whip_server.url("/whip/0"), offer, max_redirects=3)
    assert error.reason is StopReason.REDIRECT_LOOP
    assert len(whip_server.requests) == 4  # the first POST and three redirects followed


# ------------------------------------------------------------------------------------------
# The token goes to the configured origin only (issue #14)
def _no_token_anywhere(*texts: str) -> None:
    for text in texts:
        assert DEFAULT_TOKEN not in text


def test_origins():
    assert is_same_origin("https://WHIP.example.com/a", "https://whip.example.com:443/b?c")
    assert is_same_origin("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/y")
    assert not is_same_origin("https://whip.example.com/a", "http://whip.example.com/a")  # scheme
    assert not is_same_origin("https://whip.example.com/a", "https://ingest.example.com/a")  # host
    assert not is_same_origin("https://whip.example.com/a", "https://whip.example.com:8443/a")  # port
    assert not is_same_origin("http://localhost:80/", "http://127.0.0.1:80/")  # names are not resolved
    assert not is_same_origin("ftp://whip.example.com/", "ftp://whip.example.com/")
    assert not is_same_origin("http://whip.example.com:port/", "http://whip.example.com:port/")
    assert origin_text("https://user@Whip.Example.com:443/a?b") == "https://whip.example.com"
    assert origin_text("http://[::1]:8080/whip") == "http://[::1]:8080"


def test_cross_origin_redirect_is_followed_without_the_token(whip_server, other_whip_server, offer, caplog):
    caplog.set_level(logging.INFO, logger="studio.outputs.whip")
    other_whip_server.token = None  # a media server that authorises by its (redirect) URL
    whip_server.redirects = {"/whip/endpoint": (307, other_whip_server.url("/whip/endpoint?session=abc"))}

    async def publish_then_delete():
        async with WhipClient(whip_server.endpoint_url, DEFAULT_TOKEN, timeout_s=5) as client:
            resource = await client.publish(offer)
            return resource, await client.delete(resource)

    resource, deleted = asyncio.run(publish_then_delete())
    assert deleted is True
    assert resource.url == other_whip_server.url("/whip/resource/1")
    [first_post] = whip_server.requests
    assert first_post.headers["Authorization"] == f"Bearer {DEFAULT_TOKEN}"
    assert [r.method for r in other_whip_server.requests] == ["POST", "DELETE"]
    assert other_whip_server.requests[0].query == {"session": "abc"} and other_whip_server.requests[0].body == offer
    assert all("Authorization" not in r.headers for r in other_whip_server.requests)
    # Said so, in the log.
    other_origin = f"http://127.0.0.1:{other_whip_server.port}"
    assert any(
        r.levelno == logging.WARNING and "another server" in r.getMessage() and other_origin in r.getMessage()
        and "without the token" in r.getMessage()
        for r in caplog.records
    ), caplog.text
    _no_token_anywhere(caplog.text)


def test_cross_origin_redirect_to_a_server_that_wants_the_token_says_so(whip_server, other_whip_server, offer, caplog):
    caplog.set_level(logging.DEBUG)
    # The Location even carries the token: it must not come back in a message or a log line.
    whip_server.redirects = {"/whip/endpoint": (308, other_whip_server.url(f"/whip/endpoint?key={DEFAULT_TOKEN}"))}
    error = publish_error(whip_server.endpoint_url, offer)

    assert error.reason is StopReason.BAD_TOKEN and error.status == 401 and not error.is_retryable
    assert str(error) == (
        f"WHIP server redirected to another server (http://127.0.0.1:{other_whip_server.port}), which asks for the "
        "token (401); Bridgecast does not send your token there"
    )
    [post] = other_whip_server.requests
    assert "Authorization" not in post.headers
    _no_token_anywhere(str(error), repr(error), caplog.text)


def test_redirect_back_to_the_configured_origin_gets_the_token_again(whip_server, other_whip_server, offer):
    other_whip_server.token = None
    whip_server.redirects = {"/whip/endpoint": (307, other_whip_server.url("/whip/hop"))}
    other_whip_server.redirects = {"/whip/hop": (307, whip_server.url("/whip/final"))}
    resource = publish(whip_server.endpoint_url, offer)
    assert resource.url == whip_server.url("/whip/resource/1")
    assert [r.headers.get("Authorization") for r in whip_server.requests] == [f"Bearer {DEFAULT_TOKEN}"] * 2
    [hop] = other_whip_server.requests
    assert "Authorization" not in hop.headers


def test_redirect_loop_across_origins_ends_in_words(whip_server, other_whip_server, offer):
    other_whip_server.token = None
    whip_server.redirects = {"/whip/endpoint": (307, other_whip_server.url("/whip/endpoint"))}
    other_whip_server.redirects = {"/whip/endpoint": (307, whip_server.endpoint_url)}
    error = publish_error(whip_server.endpoint_url, offer)
    assert error.reason is StopReason.REDIRECT_LOOP and not error.is_retryable
    assert str(error) == "WHIP server redirected too many times (2)"
    assert len(whip_server.requests) == 1 and len(other_whip_server.requests) == 1
    assert "Authorization" not in other_whip_server.requests[0].headers
    _no_token_anywhere(str(error))


def test_redirect_chain_is_bounded_across_origins(whip_server, other_whip_server, offer):
    other_whip_server.token = None
    # Ping-pong between the two origins on ever new paths: no URL repeats, the count ends it.
    whip_server.redirects = {f"/whip/{n}": (307, other_whip_server.url(f"/whip/{n + 1}")) for n in range(0, 20, 2)}
    other_whip_server.redirects = {f"/whip/{n}": (307, whip_server.url(f"/whip/{n + 1}")) for n in range(1, 20, 2)}
    error = publish_error(whip_server.url("/whip/0"), offer, max_redirects=4)
    assert error.reason is StopReason.REDIRECT_LOOP and str(error) == "WHIP server redirected too many times (5)"
    assert len(whip_server.requests) + len(other_whip_server.requests) == 5
    assert all("Authorization" not in r.headers for r in other_whip_server.requests)


def _session_on(whip_server, offer, action, *, token=DEFAULT_TOKEN):
    async def go():
        async with WhipClient(whip_server.endpoint_url, token, timeout_s=5) as client:
            resource = await client.publish(offer)
            return resource, await action(client, resource)

    return asyncio.run(go())


def test_session_on_another_origin_gets_patch_and_delete_without_the_token(whip_server, other_whip_server, offer, caplog):
    caplog.set_level(logging.INFO, logger="studio.outputs.whip")
    other_whip_server.token = None  # the session URL is the capability (RFC 9725 §7)
    whip_server.location = other_whip_server.url("/whip/resource/9")

    async def patch_restart_delete(client, resource):
        await client.patch(resource, "a=end-of-candidates\r\n")
        other_whip_server.patch_status = 200
        other_whip_server.patch_body = "a=ice-ufrag:ZZZZ\r\na=ice-pwd:yyyyyyyyyyyyyyyyyyyyyy\r\n"
        answer = await client.ice_restart(resource, SdpFragment("NeWu", "newpasswordnewpassword00"))
        return answer, await client.delete(resource)

    resource, (answer, deleted) = _session_on(whip_server, offer, patch_restart_delete)
    assert resource.url == other_whip_server.url("/whip/resource/9")
    assert answer.ice_ufrag == "ZZZZ" and deleted is True
    assert [r.method for r in whip_server.requests] == ["POST"]
    assert whip_server.requests[0].headers["Authorization"] == f"Bearer {DEFAULT_TOKEN}"
    assert [(r.method, r.path) for r in other_whip_server.requests] == [
        ("PATCH", "/whip/resource/9"), ("PATCH", "/whip/resource/9"), ("DELETE", "/whip/resource/9")
    ]
    assert all("Authorization" not in r.headers for r in other_whip_server.requests)
    assert any(r.levelno == logging.WARNING and "another server" in r.getMessage() for r in caplog.records)
    _no_token_anywhere(caplog.text)


def test_session_on_another_origin_that_wants_the_token_says_so(whip_server, other_whip_server, offer, caplog):
    caplog.set_level(logging.DEBUG)
    whip_server.location = other_whip_server.url("/whip/resource/9")  # other_whip_server wants the token

    async def patch_then_delete(client, resource):
        with pytest.raises(OutputError) as caught:
            await client.ice_restart(resource, SdpFragment("NeWu", "newpasswordnewpassword00"))
        return caught.value, await client.try_delete(resource)

    _resource, (error, deleted) = _session_on(whip_server, offer, patch_then_delete)
    assert error.reason is StopReason.BAD_TOKEN and error.status == 401
    assert str(error) == (
        f"The WHIP session lives on another server (http://127.0.0.1:{other_whip_server.port}), which asks for "
        "the token (401); Bridgecast does not send your token there"
    )
    assert deleted is False  # refused, in words in the log
    assert any("DELETE" in r.getMessage() and "wants a token" in r.getMessage() for r in caplog.records)
    assert [r.method for r in other_whip_server.requests] == ["PATCH", "DELETE"]
    assert all("Authorization" not in r.headers for r in other_whip_server.requests)
    _no_token_anywhere(str(error), caplog.text)


def test_patch_and_delete_do_not_follow_redirects(whip_server, other_whip_server, offer):
    other_whip_server.token = None
    whip_server.resource_redirects = {"/whip/resource/": (307, other_whip_server.url("/whip/resource/1"))}

    async def patch_then_delete(client, resource):
        with pytest.raises(OutputError) as caught:
            await client.patch(resource, "a=end-of-candidates\r\n")
        return caught.value, await client.try_delete(resource)

    _resource, (error, deleted) = _session_on(whip_server, offer, patch_then_delete)
    assert error.reason is StopReason.SERVER_ERROR and error.status == 307
    assert deleted is False
    assert other_whip_server.requests == []  # RFC 9725 §4.5: PATCH/DELETE need not follow; we never do


def _tls_publish(server, offer, *, url=None, token=DEFAULT_TOKEN):
    async def go():
        connector = aiohttp.TCPConnector(ssl=server.client_ssl_context())
        async with aiohttp.ClientSession(connector=connector) as session:
            async with WhipClient(url or server.endpoint_url, token, timeout_s=5, session=session) as client:
                return await client.publish(offer)

    return asyncio.run(go())


def test_same_origin_redirect_over_https_keeps_the_token(tls_whip_server, offer):
    tls_whip_server.redirects = {"/whip/endpoint": (307, "/whip/b"), "/whip/b": (308, tls_whip_server.url("/whip/c"))}
    resource = _tls_publish(tls_whip_server, offer)
    assert resource.url.startswith("https://127.0.0.1:")
    posts = tls_whip_server.requests_of("POST")
    assert [p.path for p in posts] == ["/whip/endpoint", "/whip/b", "/whip/c"]
    assert all(p.headers["Authorization"] == f"Bearer {DEFAULT_TOKEN}" for p in posts)


@pytest.mark.parametrize("token", [DEFAULT_TOKEN, None])
def test_redirect_from_https_to_http_is_refused(tls_whip_server, whip_server, offer, token, caplog):
    caplog.set_level(logging.DEBUG)
    tls_whip_server.token = token
    whip_server.token = None
    # Not a question of the token alone: the offer and answer carry the DTLS fingerprints.
    tls_whip_server.redirects = {"/whip/endpoint": (307, whip_server.endpoint_url)}
    with pytest.raises(OutputError) as caught:
        _tls_publish(tls_whip_server, offer, token=token)
    error = caught.value
    assert error.reason is StopReason.SERVER_ERROR
    assert str(error) == "WHIP server error: redirect from https to insecure http refused"
    assert whip_server.requests == []
    _no_token_anywhere(str(error), caplog.text)


def test_https_session_location_on_http_is_refused(tls_whip_server, whip_server, offer, caplog):
    caplog.set_level(logging.DEBUG)
    whip_server.token = None
    tls_whip_server.location = whip_server.url("/whip/resource/1")
    with pytest.raises(OutputError) as caught:
        _tls_publish(tls_whip_server, offer)
    error = caught.value
    assert error.reason is StopReason.MALFORMED_ANSWER and not error.is_retryable
    assert str(error) == (
        "WHIP server sent an invalid answer: the session address in the Location header uses insecure http, "
        "the endpoint https"
    )
    assert whip_server.requests == []  # not even the DELETE that would give the session back
    _no_token_anywhere(str(error), caplog.text)


def test_request_to_http_from_an_https_client_is_refused(tls_whip_server, whip_server, offer):
    whip_server.token = None

    async def go():
        connector = aiohttp.TCPConnector(ssl=tls_whip_server.client_ssl_context())
        async with aiohttp.ClientSession(connector=connector) as session:
            async with WhipClient(tls_whip_server.endpoint_url, DEFAULT_TOKEN, timeout_s=5, session=session) as client:
                stray = WhipResource(whip_server.url("/whip/resource/1"), None, "", [], [])
                with pytest.raises(OutputError) as caught:
                    await client.patch(stray, "a=end-of-candidates\r\n")
                return caught.value, await client.try_delete(stray)

    error, deleted = asyncio.run(go())
    assert error.reason is StopReason.SERVER_ERROR
    assert str(error) == "WHIP server error: request over insecure http refused (the WHIP URL uses https)"
    assert deleted is None and whip_server.requests == []


# ------------------------------------------------------------------------------------------
# ICE servers from Link headers
def test_link_ice_servers_with_turn_credentials(whip_server, offer):
    whip_server.links = [STUN_LINK, TURN_LINK, '</whip/ext/layer>; rel="urn:ietf:params:whip:ext:example:layer"']
    resource = publish(whip_server.endpoint_url, offer)

    stun, turn = resource.ice_servers
    assert stun == IceServer(["stun:stun.example.net:3478"], None, None)
    assert turn == IceServer(["turn:turn.example.net:3478?transport=udp"], "user1", "p@ss;word,1")
    aiortc_turn = turn.to_aiortc()
    assert isinstance(aiortc_turn, RTCIceServer)
    assert (aiortc_turn.urls, aiortc_turn.username, aiortc_turn.credential, aiortc_turn.credentialType) == (
        ["turn:turn.example.net:3478?transport=udp"], "user1", "p@ss;word,1", "password"
    )
    assert "p@ss" not in repr(resource)  # credentials stay out of reprs (and so out of logs)
    assert resource.links[2].url == whip_server.url("/whip/ext/layer")  # resolved like any link


def test_several_links_in_one_header(whip_server, offer):
    whip_server.links = [f"{STUN_LINK}, {TURN_LINK}"]
    resource = publish(whip_server.endpoint_url, offer)
    assert [s.urls[0] for s in resource.ice_servers] == ["stun:stun.example.net:3478", "turn:turn.example.net:3478?transport=udp"]
    assert resource.ice_servers[1].credential == "p@ss;word,1"


def test_link_parser_edge_cases():
    links = parse_link_header(
        [
            '<turns:t.example.com?transport=tcp>;rel="ice-server";username="a\\"b";credential="c,d";'
            'credential-type="oauth", <stun:s.example.com> ; rel=ice-server',
            'garbage, <stun:x.example.com>; rel="next ice-server"; rel="ignored"',
        ],
        "https://whip.example.com/a/b",
    )
    assert [link.url for link in links] == ["turns:t.example.com?transport=tcp", "stun:s.example.com", "stun:x.example.com"]
    assert links[0].params["username"] == 'a"b' and links[0].params["credential"] == "c,d"
    assert links[2].rel == ["next", "ice-server"]
    servers = ice_servers_from_links(links)
    assert [s.urls for s in servers] == [["stun:s.example.com"], ["stun:x.example.com"]]  # oauth skipped


# ------------------------------------------------------------------------------------------
# HTTP failures in words
def test_wrong_token_is_401(whip_server, offer):
    error = publish_error(whip_server.endpoint_url, offer, token="not-the-token")
    assert error.reason is StopReason.BAD_TOKEN and error.status == 401
    assert str(error) == "WHIP server refused the token (401)"
    assert not error.is_retryable
    assert "not-the-token" not in str(error)


def test_missing_token_is_401(whip_server, offer):
    error = publish_error(whip_server.endpoint_url, offer, token=None)
    assert error.reason is StopReason.BAD_TOKEN
    assert "Authorization" not in whip_server.requests[0].headers


def test_503_with_retry_after_seconds(whip_server, offer):
    whip_server.post_status = (503, {"Retry-After": "30"}, "")
    error = publish_error(whip_server.endpoint_url, offer)
    assert error.reason is StopReason.SERVER_BUSY and error.status == 503
    assert error.retry_after_s == 30
    assert str(error) == "WHIP server is busy (503); retry in 30 s"
    assert error.is_retryable


def test_503_with_retry_after_http_date(whip_server, offer):
    whip_server.post_status = (503, {"Retry-After": email.utils.formatdate(time.time() + 120, usegmt=True)}, "")
    error = publish_error(whip_server.endpoint_url, offer)
    assert error.reason is StopReason.SERVER_BUSY
    assert 115 <= error.retry_after_s <= 121
    assert re.fullmatch(r"WHIP server is busy \(503\); retry in 1[12]\d s", str(error))


def test_busy_then_free(whip_server, offer):
    whip_server.post_status = (429, {}, "")
    whip_server.post_status_once = True
    error = publish_error(whip_server.endpoint_url, offer)
    assert (error.reason, error.retry_after_s) == (StopReason.SERVER_BUSY, None)
    assert str(error) == "WHIP server is busy (429); try again later"
    assert publish(whip_server.endpoint_url, offer).url.endswith("/whip/resource/1")


@pytest.mark.parametrize(
    "status, reason, message",
    [
        (403, StopReason.BAD_TOKEN, "WHIP server refused the token (403)"),
        (404, StopReason.NOT_FOUND, "WHIP endpoint not found (404) — check the URL"),
        (409, StopReason.SERVER_BUSY, "WHIP server is busy (409); try again later"),
        (415, StopReason.UNSUPPORTED_MEDIA, "WHIP server does not accept this media (415)"),
        (422, StopReason.UNSUPPORTED_MEDIA, "WHIP server does not accept this media (422)"),
        (400, StopReason.SERVER_ERROR, "WHIP server error (400)"),
        (500, StopReason.SERVER_ERROR, "WHIP server error (500): database on fire"),
        (302, StopReason.SERVER_ERROR, "WHIP server error (302)"),
        (200, StopReason.MALFORMED_ANSWER, "WHIP server sent an invalid answer: expected 201 Created, got 200"),
    ],
)
def test_status_mapping(whip_server, offer, status, reason, message):
    body = "database on fire\nsecond line" if status == 500 else ""
    whip_server.post_status = (status, {"Content-Type": "text/plain"} if body else {}, body)
    error = publish_error(whip_server.endpoint_url, offer)
    assert (error.reason, error.status, str(error)) == (reason, status, message)


# ------------------------------------------------------------------------------------------
# Answers
def test_answer_accepting_only_h_and_m(whip_server, offer):
    whip_server.accept_rids = ["h", "m"]
    resource = publish(whip_server.endpoint_url, offer)
    assert resource.answer.accepted_rids == ["h", "m"]
    assert parse_answer(resource.answer_sdp).accepted_rids == ["h", "m"]
    assert "a=simulcast:recv h;m\r\n" in resource.answer_sdp


def test_answer_with_rid_lines_only(whip_server, offer):
    whip_server.accept_rids = ["h"]
    whip_server.rid_style = "rid-only"
    assert publish(whip_server.endpoint_url, offer).accepted_rids == ["h"]


@pytest.mark.parametrize(
    "answer",
    ["<html><body>201 Created</body></html>", "", "v=0\r\nm=video\r\n", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"],
)
def test_malformed_sdp_answer(whip_server, offer, answer):
    whip_server.answer_sdp = answer
    error = publish_error(whip_server.endpoint_url, offer)
    assert error.reason is StopReason.MALFORMED_ANSWER
    assert str(error).startswith("WHIP server sent an invalid answer: ")
    assert not error.is_retryable
    # The server had made a session: the client gives it back before reporting.
    assert [r.path for r in whip_server.requests_of("DELETE")] == ["/whip/resource/1"]
    assert not whip_server.sessions


def test_answer_with_wrong_content_type(whip_server, offer):
    whip_server.content_type = "text/html"
    error = publish_error(whip_server.endpoint_url, offer)
    assert error.reason is StopReason.MALFORMED_ANSWER
    assert str(error) == "WHIP server sent an invalid answer: the answer's content type is text/html, expected application/sdp"


def test_answer_without_location(whip_server, offer):
    whip_server.location = None
    error = publish_error(whip_server.endpoint_url, offer)
    assert error.reason is StopReason.MALFORMED_ANSWER
    assert "Location" in str(error)


def test_answer_without_a_common_video_codec(whip_server, offer):
    whip_server.video_codecs = ["AV1"]
    error = publish_error(whip_server.endpoint_url, offer)
    assert error.reason is StopReason.NO_COMMON_CODEC
    assert str(error) == "Server accepted no video codec we can send (offered VP8, H264)"
    assert len(whip_server.requests_of("DELETE")) == 1


def test_answer_with_h264_only(whip_server, offer):
    whip_server.video_codecs = ["H264"]
    resource = publish(whip_server.endpoint_url, offer)
    # As many H264 entries as the offer carried (the publisher may add a level-4 entry to aiortc's table).
    offered = offer.count(" H264/90000")
    assert [c.name for c in resource.answer.video.media_codecs] == ["H264"] * offered


# ------------------------------------------------------------------------------------------
# Time-outs and unreachable servers
def test_slow_answer_times_out(whip_server, offer):
    whip_server.answer_delay_s = 5.0
    started = time.monotonic()
    error = publish_error(whip_server.endpoint_url, offer, timeout_s=0.5)
    elapsed = time.monotonic() - started
    assert error.reason is StopReason.TIMEOUT
    assert 0.45 <= elapsed < 0.5 + 2.0  # generous: CI machines are shared and slow
    assert str(error) == "WHIP server did not answer within 0.5 s"
    assert error.is_retryable


def test_unreachable_port(offer):
    started = time.monotonic()
    error = publish_error(f"http://127.0.0.1:{free_port()}/whip/endpoint", offer, timeout_s=2)
    assert error.reason is StopReason.UNREACHABLE
    assert str(error) == "Cannot reach the WHIP server (connection refused)"
    assert error.is_retryable and error.status is None
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("url", ["", "whip.example.com/endpoint", "ftp://x/y", "http:///path"])
def test_invalid_url(url):
    with pytest.raises(OutputError) as caught:
        WhipClient(url, "tok")
    assert caught.value.reason is StopReason.NOT_FOUND and not caught.value.is_retryable


# ------------------------------------------------------------------------------------------
# DELETE and PATCH
def _session_then(whip_server, offer, action):
    async def go():
        async with WhipClient(whip_server.endpoint_url, DEFAULT_TOKEN, timeout_s=2) as client:
            resource = await client.publish(offer)
            return resource, await action(client, resource)

    return asyncio.run(go())


def test_delete(whip_server, offer):
    resource, deleted = _session_then(whip_server, offer, lambda client, resource: client.delete(resource))
    assert deleted is True
    [delete] = whip_server.requests_of("DELETE")
    assert delete.path == "/whip/resource/1" and delete.headers["Authorization"] == f"Bearer {DEFAULT_TOKEN}"
    assert not whip_server.sessions


def test_delete_returning_404_is_no_error(whip_server, offer, caplog):
    whip_server.delete_status = 404
    caplog.set_level(logging.INFO, logger="studio.outputs.whip")
    _resource, deleted = _session_then(whip_server, offer, lambda client, resource: client.delete(resource))
    assert deleted is True
    assert any(r.levelno == logging.INFO and "already gone" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_delete_never_raises(whip_server, offer, caplog):
    whip_server.delete_status = 500
    _resource, deleted = _session_then(whip_server, offer, lambda client, resource: client.delete(resource))
    assert deleted is False

    async def gone_server():
        async with WhipClient("http://127.0.0.1:1/whip", "tok", timeout_s=1) as client:
            return await client.delete(WhipResource(f"http://127.0.0.1:{free_port()}/r/1", None, "", [], []))

    assert asyncio.run(gone_server()) is False


def test_patch_trickle_and_ice_restart(whip_server, offer):
    fragment = "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"

    async def trickle_then_restart(client, resource):
        first = await client.patch(resource, fragment)
        whip_server.patch_status = 200
        whip_server.patch_body = "a=ice-ufrag:ZZZZ\r\na=ice-pwd:yyyyyyyyyyyyyyyyyyyyyy\r\n"
        whip_server.patch_etag = '"etag-2"'
        second = await client.patch(resource, fragment, if_match="*")
        return first, second

    resource, (first, second) = _session_then(whip_server, offer, trickle_then_restart)
    assert first is None
    assert second.startswith("a=ice-ufrag:ZZZZ")
    assert resource.etag == '"etag-2"'
    trickle, restart = whip_server.requests_of("PATCH")
    assert trickle.headers["Content-Type"] == "application/trickle-ice-sdpfrag"
    assert trickle.headers["If-Match"] == '"etag-1"' and restart.headers["If-Match"] == "*"
    assert trickle.body == fragment


def test_ice_restart_patches_new_credentials_and_candidates_and_reads_the_answer(whip_server, offer):
    whip_server.accept_patch = "application/trickle-ice-sdpfrag"
    whip_server.patch_status = 200
    whip_server.patch_body = "a=ice-ufrag:ZZZZ\r\na=ice-pwd:yyyyyyyyyyyyyyyyyyyyyy\r\n"
    whip_server.patch_etag = '"etag-9"'
    local = SdpFragment(
        ice_ufrag="NeWu", ice_pwd="newpasswordnewpassword00",
        candidates=["candidate:1 1 udp 2130706431 198.18.0.2 50000 typ host"], mid="0", is_end_of_candidates=True,
    )

    async def restart(client, resource):
        return await client.ice_restart(resource, local)

    resource, answer = _session_then(whip_server, offer, restart)
    assert resource.supports_ice_restart
    assert (answer.ice_ufrag, answer.ice_pwd) == ("ZZZZ", "yyyyyyyyyyyyyyyyyyyyyy") and answer.candidates == []
    assert resource.etag == '"etag-9"'
    [patch] = whip_server.requests_of("PATCH")
    assert patch.headers["If-Match"] == '"*"'  # RFC 9725 §4.4: an ICE restart matches any ETag
    assert patch.headers["Content-Type"] == "application/trickle-ice-sdpfrag"
    lines = patch.body.split("\r\n")
    assert lines[:2] == ["a=ice-ufrag:NeWu", "a=ice-pwd:newpasswordnewpassword00"]
    assert "a=mid:0" in lines and "a=candidate:1 1 udp 2130706431 198.18.0.2 50000 typ host" in lines
    assert "a=end-of-candidates" in lines
    assert SdpFragment.parse(patch.body) == local


@pytest.mark.parametrize("status, reason", [(404, StopReason.NOT_FOUND), (403, StopReason.BAD_TOKEN)])
def test_ice_restart_refused_says_why(whip_server, offer, status, reason):
    whip_server.patch_status = status

    async def restart(client, resource):
        with pytest.raises(OutputError) as caught:
            await client.ice_restart(resource, SdpFragment("a", "b" * 22))
        return caught.value

    resource, error = _session_then(whip_server, offer, restart)
    assert not resource.supports_ice_restart  # no Accept-Patch in this answer
    assert error.reason is reason and error.status == status


def test_ice_restart_answer_without_credentials_is_malformed(whip_server, offer):
    whip_server.patch_status = 204

    async def restart(client, resource):
        with pytest.raises(OutputError) as caught:
            await client.ice_restart(resource, SdpFragment("a", "b" * 22))
        return caught.value

    _resource, error = _session_then(whip_server, offer, restart)
    assert error.reason is StopReason.MALFORMED_ANSWER and "ICE credentials" in str(error)


def test_try_delete_tells_refused_from_unanswered(whip_server, offer):
    whip_server.delete_status = 500
    _resource, refused = _session_then(whip_server, offer, lambda client, resource: client.try_delete(resource))
    assert refused is False

    async def gone_server():
        async with WhipClient("http://127.0.0.1:1/whip", "tok", timeout_s=1) as client:
            return await client.try_delete(WhipResource(f"http://127.0.0.1:{free_port()}/r/1", None, "", [], []))

    assert asyncio.run(gone_server()) is None


@pytest.mark.parametrize("status", [405, 501])
def test_patch_unsupported(whip_server, offer, status):
    whip_server.patch_status = status

    async def try_patch(client, resource):
        with pytest.raises(OutputError) as caught:
            await client.patch(resource, "a=end-of-candidates\r\n")
        return caught.value

    _resource, error = _session_then(whip_server, offer, try_patch)
    assert error.reason is StopReason.SERVER_ERROR and error.is_patch_unsupported
    assert not error.is_retryable
    assert str(error) == f"WHIP server does not support updating the session ({status})"


# ------------------------------------------------------------------------------------------
# The token stays secret
def test_token_never_in_logs_or_messages(whip_server, offer, caplog):
    caplog.set_level(logging.DEBUG)
    secret = DEFAULT_TOKEN
    messages = []

    whip_server.links = [STUN_LINK, TURN_LINK]
    resource = publish(whip_server.endpoint_url, offer)

    whip_server.post_status = (500, {"Content-Type": "text/plain"}, f"token {secret} is over quota")
    messages.append(str(publish_error(whip_server.endpoint_url, offer)))
    whip_server.post_status = (502, {"Content-Type": "application/problem+json"}, f'{{"title": "bad key {secret}"}}')
    messages.append(str(publish_error(whip_server.endpoint_url, offer)))
    whip_server.post_status = None
    # A token that is also in the URL (some services put the stream key in the path).
    publish(whip_server.url(f"/whip/{secret}"), offer)
    whip_server.redirects = {"/whip/endpoint": (307, f"/whip/go?key={secret}")}
    whip_server.answer_sdp = "not sdp"
    messages.append(str(publish_error(whip_server.endpoint_url, offer)))
    messages.append(str(publish_error(f"http://127.0.0.1:{free_port()}/whip?k={secret}", offer)))

    async def delete_twice():
        async with WhipClient(whip_server.endpoint_url, secret) as client:
            await client.delete(resource)
            await client.delete(WhipResource(f"http://127.0.0.1:{free_port()}/{secret}", None, "", [], []))

    asyncio.run(delete_twice())

    assert "token *** is over quota" in messages[0] and "bad key ***" in messages[1]
    for message in messages:
        assert secret not in message
    assert caplog.records, "the client should log what it does"
    assert secret not in caplog.text
    assert "p@ss" not in caplog.text  # TURN credentials are secrets too
    assert secret not in repr(WhipClient(whip_server.endpoint_url, secret))


# ------------------------------------------------------------------------------------------
# Error objects, helpers, translations
def test_stop_reasons_and_retryability():
    assert StopReason("bad_token") is StopReason.BAD_TOKEN and StopReason.TIMEOUT == "timeout"
    retryable = {StopReason.SERVER_BUSY, StopReason.UNREACHABLE, StopReason.TIMEOUT, StopReason.SERVER_ERROR, StopReason.DISCONNECTED}
    never = {StopReason.BAD_TOKEN, StopReason.NOT_FOUND, StopReason.UNSUPPORTED_MEDIA, StopReason.NO_COMMON_CODEC,
             StopReason.MALFORMED_ANSWER, StopReason.REDIRECT_LOOP}
    for reason in retryable:
        assert OutputError(reason).is_retryable, reason
    for reason in never:
        assert not OutputError(reason).is_retryable, reason
    for reason in StopReason:
        message = str(OutputError(reason))
        assert message and "{" not in message and "Traceback" not in message


def test_builders_and_helpers():
    assert str(OutputError.unreachable("connection refused")) == "Cannot reach the WHIP server (connection refused)"
    assert str(OutputError.timeout(10.0)) == "WHIP server did not answer within 10 s"
    assert str(OutputError.for_status(503, retry_after_s=29.2)) == "WHIP server is busy (503); retry in 30 s"
    assert str(OutputError.no_common_codec(["H264", "VP8", "H264"])) == (
        "Server accepted no video codec we can send (offered H264, VP8)"
    )
    assert format_seconds(2.5) == "2.5" and format_seconds(10) == "10"
    assert redact("a tok%2Fen b tok/en c tok%2fen", ["tok/en", None, ""]) == "a *** b *** c tok%2fen"
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_messages_in_chinese():
    try:
        i18n.set_language("zh_CN")
        message = str(OutputError.for_status(401))
        assert "401" in message and message != "WHIP server refused the token (401)"
        busy = str(OutputError.for_status(503, retry_after_s=30))
        assert "503" in busy and "30" in busy
    finally:
        i18n.set_language("en")


def test_every_outputs_message_is_translated():
    import importlib.util

    from babel.messages.pofile import read_po

    spec = importlib.util.spec_from_file_location("messages", ROOT / "tools" / "messages.py")
    messages = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(messages)
    ours = ("studio/outputs/errors.py", "studio/outputs/whip.py", "studio/outputs/sdp.py")
    msgids = {m for m, where in messages.extract().items() if any(w.startswith(ours) for w in where)}
    with (ROOT / "resources" / "translations" / "zh_CN" / "outputs_whip.po").open("rb") as handle:
        catalog = {m.id: m.string for m in read_po(handle) if m.id}
    assert len(msgids) > 20
    missing = sorted(m for m in msgids if not catalog.get(m))
    assert not missing, missing
    placeholder = re.compile(r"\{[a-z_]*\}")
    for msgid in msgids:
        assert sorted(placeholder.findall(msgid)) == sorted(placeholder.findall(catalog[msgid])), msgid


def test_server_in_the_tests_own_loop(offer):
    async def go():
        async with WhipTestServer(token=None) as server:
            async with WhipClient(server.endpoint_url) as client:
                resource = await client.publish(offer)
                assert await client.delete(resource)
            return server.requests

    requests = asyncio.run(go())
    assert [r.method for r in requests] == ["POST", "DELETE"]
    assert "Authorization" not in requests[0].headers


def test_a_token_refusal_with_words_of_its_own_keeps_them():
    from studio.outputs.errors import OutputError, StopReason

    assert OutputError.for_status(401).has_default_message
    withheld = OutputError(StopReason.BAD_TOKEN, "WHIP server redirected to another server (x), which asks for the token (401)",
                           status=401)
    assert not withheld.has_default_message  # the reconnect loop does not reword it as "revoked"


def test_a_link_header_target_that_is_not_a_url_is_left_out():
    # Found by the deep Hypothesis run: "a://[" made urlsplit raise out of publish().
    from studio.outputs.whip import parse_link_header

    links = parse_link_header(['<a://[>; rel="ice-server", <stun:stun.example.net>; rel="ice-server"'],
                              "https://whip.example/endpoint")
    assert [link.url for link in links] == ["stun:stun.example.net"]
