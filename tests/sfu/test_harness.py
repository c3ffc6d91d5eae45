"""The real-SFU test bed works: namespace, Janus, simple-whip-server, an aiortc WHIP publisher
and the aiortc subscriber through Janus's HTTP API."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import numpy as np
import pytest

from bench.testbed import harness
from bench.testbed.harness import (
    CLIENT_IP,
    SERVER_IP,
    JanusSubscriber,
    NetNamespace,
    NetnsLoop,
    call_in_netns,
    sfu_stack,
)
from bench.testbed.publisher import ColourTrack, wait_connected, whip_publish, whip_publish_simulcast
from tests.helpers import wait_until

WIDTH, HEIGHT = 640, 360
COLOUR = (200, 40, 90)  # RGB


def _mean_rgb(frame) -> np.ndarray:
    return frame.image.reshape(-1, 3).mean(axis=0)


# ---------------------------------------------------------------------------------------------
def test_janus_answers_info_inside_the_namespace(sfu):
    info = sfu.janus.info()
    assert info["janus"] == "server_info"
    assert info["version"] == 1102
    assert list(info["plugins"]) == ["janus.plugin.videoroom"]
    assert {"janus.transport.http", "janus.transport.websockets"} <= set(info["transports"])
    # Janus and the WHIP server really live in the test namespace, not the host's.
    ns_inode = os.stat(f"/run/netns/{sfu.ns}").st_ino
    for proc in (sfu.janus.proc, sfu.whip.proc):
        assert os.stat(f"/proc/{proc.pid}/ns/net").st_ino == ns_inode
    assert os.stat("/proc/self/ns/net").st_ino != ns_inode
    # The room is there, with both codecs.
    rooms = sfu.janus.api({"request": "list"})["list"]
    room = next(r for r in rooms if r["room"] == harness.ROOM)
    assert room["videocodec"] == "h264,vp8"
    assert room["audiocodec"] == "opus"


def test_aiortc_in_a_namespace_thread_gathers_the_namespace_addresses(sfu):
    from aioice import Connection

    async def gather() -> list[str]:
        conn = Connection(ice_controlling=True)
        try:
            await conn.gather_candidates()
            return sorted(c.host for c in conn.local_candidates if c.type == "host")
        finally:
            await conn.close()

    with NetnsLoop(sfu.ns) as loop:
        hosts = loop.run(gather(), timeout=10)
    assert hosts == [SERVER_IP, CLIENT_IP]


@pytest.mark.parametrize("codec", ["video/H264", "video/VP8"])
def test_whip_publish_subscribe_and_delete(sfu, whip_endpoint, codec):
    endpoint_id, url = whip_endpoint
    with NetnsLoop(sfu.client_ns) as loop:
        session = loop.run(whip_publish(url, ColourTrack(WIDTH, HEIGHT, COLOUR), codec=codec), timeout=20)
        try:
            resp = session.response
            assert resp.status == 201, resp.text
            assert resp.header("content-type", "").startswith("application/sdp")
            assert resp.header("etag")
            assert session.resource_url == f"http://{SERVER_IP}:7080/whip/resource/{endpoint_id}"
            assert "m=video" in resp.text and f"{codec.split('/')[1]}/90000" in resp.text

            with JanusSubscriber(sfu.janus, display=endpoint_id, keep_images=True) as sub:
                frames = sub.wait_frames(10, timeout=15)
                assert {(f.width, f.height) for f in frames} == {(WIDTH, HEIGHT)}
                assert np.allclose(_mean_rgb(frames[-1]), COLOUR, atol=12), _mean_rgb(frames[-1])
                now_ms = time.time_ns() // 1_000_000
                assert all(0 <= now_ms - f.recv_ms < 20_000 for f in frames)
                assert sub.connection_state == "connected"

            assert [p["display"] for p in sfu.janus.publishers()] == [endpoint_id]
            assert loop.run(session.delete(), timeout=10) == 200
        finally:
            loop.run(session.close(), timeout=10)
    # (c) gone from the room once the resource is deleted.
    assert wait_until(lambda: not sfu.janus.publishers(), 5), sfu.janus.list_participants()


def test_whip_endpoint_with_token_refuses_a_publisher_without_it(sfu):
    url = sfu.whip.create_endpoint("secured", token="s3cret")
    try:
        async def post(token):
            session = await whip_publish(url, ColourTrack(), token=token)
            await session.close()
            return session.response.status

        with NetnsLoop(sfu.client_ns) as loop:
            assert loop.run(post(None), timeout=20) == 403
            assert loop.run(post("wrong"), timeout=20) == 403
    finally:
        sfu.whip.destroy_endpoint("secured", token="s3cret")


def test_simulcast_publisher_and_substream_switching(sfu, whip_endpoint):
    """(d) rid simulcast from aiortc: substream 0/1/2 = l/m/h, each with its own size and colour."""
    endpoint_id, url = whip_endpoint
    layers = {
        "h": ColourTrack(640, 360, (200, 40, 90)),
        "m": ColourTrack(320, 180, (40, 200, 90)),
        "l": ColourTrack(160, 90, (40, 90, 200)),
    }
    by_substream = {2: layers["h"], 1: layers["m"], 0: layers["l"]}
    with NetnsLoop(sfu.client_ns) as loop:
        session = loop.run(whip_publish_simulcast(url, layers), timeout=20)
        try:
            assert session.response.status == 201, session.response.text
            assert "a=simulcast:recv h;m;l" in session.response.text
            loop.run(wait_connected(session.pc), timeout=12)
            with JanusSubscriber(sfu.janus, display=endpoint_id, keep_images=True) as sub:
                sub.wait_frames(3, timeout=15)
                for substream in (0, 2, 1):
                    track = by_substream[substream]
                    sub.select_substream(substream)
                    frame = sub.wait_for_size(track.width, track.height, timeout=10)
                    assert np.allclose(_mean_rgb(frame), track.rgb, atol=12), (substream, _mean_rgb(frame))
            assert loop.run(session.delete(), timeout=10) == 200
        finally:
            loop.run(session.close(), timeout=10)
    assert wait_until(lambda: not sfu.janus.publishers(), 5), sfu.janus.list_participants()


def test_split_stack_publisher_reaches_janus_over_the_veth(sfu_prerequisites, tmp_path):
    """With split=True the publisher lives in the client namespace and its media crosses the
    veth pair (where later tests shape the link); Janus sees only 198.18.0.1."""
    with sfu_stack(tmp_path, split=True) as stack:
        assert stack.client_ns != stack.ns
        url = stack.whip.create_endpoint("split")
        before = stack.netns.link_stats()
        with NetnsLoop(stack.client_ns) as loop:
            session = loop.run(whip_publish(url, ColourTrack(320, 180)), timeout=20)
            try:
                assert session.response.status == 201, session.response.text
                candidates = [l for l in session.response.text.splitlines() if l.startswith("a=candidate")]
                assert candidates and all(SERVER_IP in c for c in candidates), candidates
                with JanusSubscriber(stack.janus, keep_images=False) as sub:
                    frames = sub.wait_frames(15, timeout=15)
                    assert (frames[-1].width, frames[-1].height) == (320, 180)
            finally:
                loop.run(session.close(), timeout=10)
        after = stack.netns.link_stats()
        # ICE, DTLS and >= 15 RTP frames arrived on bca0 (a one-namespace stack shows 0 here).
        assert after["rx_packets"] - before["rx_packets"] >= 30, (before, after)
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert stack.ns not in listing and stack.client_ns not in listing


def test_split_namespace_sends_client_traffic_over_the_veth(sfu_prerequisites):
    with NetNamespace(split=True) as ns:
        assert ns.client != ns.name

        def receive() -> socket.socket:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((SERVER_IP, 0))
            return sock

        def send(port: int) -> None:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                for _ in range(20):
                    sock.sendto(b"x" * 1000, (SERVER_IP, port))

        before = ns.link_stats()
        server_sock = call_in_netns(ns.name, receive)
        try:
            call_in_netns(ns.client, send, server_sock.getsockname()[1])
            server_sock.settimeout(2)
            assert server_sock.recv(2000) == b"x" * 1000
        finally:
            server_sock.close()
        after = ns.link_stats()
        assert after["rx_packets"] - before["rx_packets"] >= 20
        # Each side sees only its own address.
        out = harness.run_in_netns(ns.client, ["ip", "-4", "-o", "addr"]).stdout
        assert CLIENT_IP in out and SERVER_IP not in out
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert ns.name not in listing


def test_headless_chromium_starts(tmp_path):
    if shutil.which("chromium") is None:
        pytest.fail(f"chromium not installed -- {harness.SETUP_HINT}", pytrace=False)
    proc = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", "data:text/html,<p>bridgecast-ok</p>"],
        capture_output=True, text=True, timeout=60,
    )
    assert "bridgecast-ok" in proc.stdout, proc.stderr[-2000:]
