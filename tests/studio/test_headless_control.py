"""``bridgecast live`` with a control port that cannot be bound: one warning line, the stream goes on."""
from __future__ import annotations

import json
import socket

from studio.headless import LiveOptions, run_live


def test_occupied_control_port_warns_once_and_streams_on(tmp_path):
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    lines: list[str] = []
    stats = tmp_path / "stats.jsonl"
    try:
        options = LiveOptions(canvas=(320, 180), fps=15, layers=("h",), has_audio=False, duration_s=4,
                              control_port=port, control_token="tok-SECRET-9-a1b2c3d4", show_db=tmp_path / "show.db", stats_jsonl=stats)
        code = run_live(options, err=lines.append)
    finally:
        blocker.close()
    assert code == 0, lines
    assert len(lines) == 1 and lines[0].startswith("warning: Control API unavailable") and f"port {port}" in lines[0], lines
    assert "SECRET" not in lines[0]
    states = [json.loads(line)["state"] for line in stats.read_text().splitlines()]
    assert "live" in states and states[-1] == "stopped"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_headless_webhook_gets_catalog_and_pin_events(tmp_path, monkeypatch):
    import threading
    import time
    import urllib.request

    from tests.studio.live.platform import FlakyPlatform

    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,title,price,currency,stock\nSKU-1,Silk scarf,19.99,USD,5\n", encoding="utf-8")
    port = _free_port()
    lines: list[str] = []
    stop = threading.Event()
    with FlakyPlatform(failures=0) as platform:
        monkeypatch.setenv("BRIDGECAST_WEBHOOK_SECRET", "env-SECRET-3")
        options = LiveOptions(canvas=(320, 180), fps=15, layers=("h",), has_audio=False, duration_s=60, catalog=catalog,
                              control_port=port, control_token="tok-7f3a9c2e5b81", show_db=tmp_path / "show.db",
                              webhook_url=f"http://127.0.0.1:{platform.port}/hook")
        result: list[int] = []
        runner = threading.Thread(target=lambda: result.append(run_live(options, stop, err=lines.append)), name="test-run-live")
        runner.start()
        try:
            assert platform.wait_for("catalog.loaded", 30)["data"]["products"] == 1
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/products/SKU-1/pin", method="POST",
                                             headers={"Authorization": "Bearer tok-7f3a9c2e5b81"})
            deadline = time.monotonic() + 10
            while True:
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:
                        assert response.status == 200
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            assert platform.wait_for("product.pinned")["data"]["sku"] == "SKU-1"
        finally:
            stop.set()
            runner.join(30)
    assert result == [0] and lines == []
    _event, headers, _body = platform.received[0]
    assert headers["X-Bridgecast-Signature"].startswith("sha256=")


def test_headless_dead_webhook_never_stops_the_stream(tmp_path):
    stats = tmp_path / "stats.jsonl"
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,title,price,currency,stock\nSKU-1,Silk scarf,19.99,USD,5\n", encoding="utf-8")
    lines: list[str] = []
    options = LiveOptions(canvas=(320, 180), fps=15, layers=("h",), has_audio=False, duration_s=3, show_db=tmp_path / "show.db",
                          catalog=catalog, webhook_url="http://127.0.0.1:9/hook", stats_jsonl=stats)
    assert run_live(options, err=lines.append) == 0 and lines == []  # "catalog.loaded" could not be delivered
    states = [json.loads(line)["state"] for line in stats.read_text().splitlines()]
    assert "live" in states and states[-1] == "stopped"


def test_headless_bad_webhook_address_is_one_error_line(tmp_path):
    lines: list[str] = []
    options = LiveOptions(canvas=(320, 180), fps=15, layers=("h",), has_audio=False, duration_s=3, show_db=tmp_path / "show.db",
                          webhook_url="not a url")
    assert run_live(options, err=lines.append) == 1
    assert lines == ["error: The webhook address must start with https:// (or http://) and name a server."]
