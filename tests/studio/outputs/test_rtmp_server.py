"""The RTMP test bed itself (bench.testbed.rtmp_server): its own nginx, keys checked, kill/restart."""
from __future__ import annotations

import os
import socket
import urllib.error
import urllib.request

import pytest

from bench.testbed.rtmp_server import SETUP_HINT, RtmpServer, missing_parts, pull
from tests.helpers import wait_until


@pytest.fixture(scope="module", autouse=True)
def rtmp_test_bed_installed():
    missing = missing_parts()
    if missing:
        pytest.fail(f"RTMP test bed missing {', '.join(missing)}: {SETUP_HINT}", pytrace=False)


def check(server: RtmpServer, key: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/check?name={key}", timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def listens(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_only_configured_keys_pass_the_publish_check_and_kill_restart_keep_the_ports():
    with RtmpServer(keys=["alpha-1", "beta-2"], tls=True) as server:
        directory = server.directory
        assert server.url("alpha-1") == f"rtmp://127.0.0.1:{server.port}/live/alpha-1"
        assert server.url("alpha-1", tls=True).startswith("rtmps://localhost:")
        assert len({server.port, server.http_port, *server.tls_ports.values()}) == 5
        assert server.ca_file is not None and server.ca_file.exists()
        assert (check(server, "alpha-1"), check(server, "beta-2"), check(server, "gamma")) == (200, 200, 403)
        # nginx logs a request just after answering it.
        expected = [("alpha-1", 200), ("beta-2", 200), ("gamma", 403)]
        assert wait_until(lambda: server.publish_checks == expected, 5), server.publish_checks
        ports = (server.port, server.http_port, dict(server.tls_ports))
        pid = server.pid
        server.kill()
        assert not server.is_running and not listens(ports[0])
        server.restart()
        assert server.is_running and server.pid != pid
        assert (server.port, server.http_port, dict(server.tls_ports)) == ports and listens(ports[0])
        assert check(server, "alpha-1") == 200
        # Nobody publishes: a viewer gets an error in its report, not an exception or a hang.
        report = pull(server.url("alpha-1"), 0.5, open_timeout_s=1.0)
        assert report.video_frames == 0
    assert not os.path.exists(directory)  # stopped and cleaned up


def test_keys_are_restricted_to_characters_nginx_needs_no_quoting_for():
    with pytest.raises(ValueError):
        RtmpServer(keys=["bad key;"])
