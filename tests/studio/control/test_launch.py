from __future__ import annotations

import asyncio
import time

import aiohttp

from studio.control import LiveControl
from studio.live.comments import CommentSimulator


def test_live_control_start_stop_and_pairing(studio, catalog_csv, monkeypatch, isolated_settings):
    monkeypatch.setenv("BRIDGECAST_CONTROL_TOKEN", "env-token")
    control = LiveControl(studio, catalog=catalog_csv, port=0)  # default db under the (test) config dir
    control.start()
    try:
        assert control.pairing_url.endswith("/#token=env-token")
        assert control.live.store.path.is_relative_to(isolated_settings)
        qr = control.pairing_qr()
        assert qr is None or (qr.ndim == 3 and qr.shape[2] == 4)

        async def get():
            async with aiohttp.ClientSession() as session:
                async with session.get(control.url + "/api/v1/products", headers={"Authorization": "Bearer env-token"}) as r:
                    return r.status, await r.json()

        status, body = asyncio.run(get())
        assert status == 200 and len(body) == 2
    finally:
        control.stop()


def test_comment_simulator_feeds_the_show(studio, tmp_path, catalog_csv):
    control = LiveControl(studio, tmp_path / "show.db", catalog=catalog_csv, port=None)
    control.start()
    try:
        control.live.add_comment_adapter(CommentSimulator(per_minute=6000, seed=3))
        deadline = time.monotonic() + 10
        while len(control.live.comments.by_id) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(control.live.comments.by_id) >= 5
    finally:
        control.stop()
    assert control.url is None


def test_occupied_port_keeps_the_show_running_and_says_why(studio, tmp_path, catalog_csv, caplog):
    import logging
    import socket

    from studio.control.errors import PORT_IN_USE, ControlUnavailableError

    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # another program holding the port
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    control = LiveControl(studio, tmp_path / "show.db", catalog=catalog_csv, port=port, token="tok-SECRET-7")
    statuses = []
    control.status.connect(lambda **status: statuses.append(status))
    caplog.set_level(logging.DEBUG)
    try:
        control.start()  # does not raise: the show goes on without the control API
        error = control.control_error
        assert isinstance(error, ControlUnavailableError) and error.reason == PORT_IN_USE and error.port == port
        assert f"port {port} is already in use" in str(error) and "Control API unavailable" in str(error)
        assert control.state == "unavailable" and control.url is None and control.pairing_url is None
        assert statuses[-1]["state"] == "unavailable" and statuses[-1]["error"] is error
        # The show is alive: state, overlays and the ticker work.
        control.live.shelf.pin("SKU-1")
        assert any(o.overlay_id == "live.product" for o in studio.compositor.overlays)
        assert control.live._thread is not None and control.live._thread.is_alive()
        assert control.live.snapshot()["pinned_sku"] == "SKU-1"

        # Once the port is free again the control API can be started without touching the show.
        blocker.close()
        assert control.reconfigure(port=port) is None
        assert control.state == "listening" and control.url.endswith(f":{port}") and statuses[-1]["state"] == "listening"

        async def state():
            async with aiohttp.ClientSession() as session:
                async with session.get(control.url + "/api/v1/state", headers={"Authorization": "Bearer tok-SECRET-7"}) as r:
                    return r.status, await r.json()

        status, body = asyncio.run(state())
        assert status == 200 and body["pinned_sku"] == "SKU-1"
    finally:
        blocker.close()
        control.stop()
    assert "SECRET" not in caplog.text and "SECRET" not in repr(control)


def test_reconfigure_changes_the_token_and_turns_the_api_off(studio, tmp_path, catalog_csv):
    control = LiveControl(studio, tmp_path / "show.db", catalog=catalog_csv, port=0, token="old-token")
    control.start()

    async def products(url, token):
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "/api/v1/products", headers={"Authorization": f"Bearer {token}"}) as r:
                return r.status

    try:
        assert asyncio.run(products(control.url, "old-token")) == 200
        control.reconfigure(token="new-token")
        assert asyncio.run(products(control.url, "old-token")) == 401
        assert asyncio.run(products(control.url, "new-token")) == 200
        assert control.pairing_url.endswith("#token=new-token")
        control.reconfigure(port=None)
        assert control.state == "off" and control.url is None
        control.live.shelf.pin("SKU-2")  # the show is untouched
    finally:
        control.stop()


def test_webhook_from_settings_receives_events_signed(studio, tmp_path, catalog_csv, caplog):
    import hashlib
    import hmac
    import logging

    from studio.secrets_store import set_secret
    from studio.settings import Settings
    from tests.studio.live.platform import FlakyPlatform

    caplog.set_level(logging.DEBUG)
    set_secret("live-webhook-secret", "hook-SECRET-5")
    with FlakyPlatform(failures=1) as platform:
        settings = Settings(webhook_url=f"http://127.0.0.1:{platform.port}/hook", webhook_secret_ref="live-webhook-secret")
        control = LiveControl(studio, tmp_path / "show.db", port=None)
        control.apply_webhook_settings(settings)
        control.webhook.first_backoff_s = 0.01
        control.start()
        try:
            control.live.shelf.load(catalog_csv)
            control.live.shelf.pin("SKU-1")
            pinned = platform.wait_for("product.pinned")
        finally:
            control.stop()
    assert pinned["data"]["sku"] == "SKU-1"
    event, headers, body = next(r for r in platform.received if r[0]["type"] == "product.pinned")
    assert headers["X-Bridgecast-Signature"] == "sha256=" + hmac.new(b"hook-SECRET-5", body, hashlib.sha256).hexdigest()
    assert "SECRET" not in caplog.text
    assert "SECRET" not in settings.model_dump_json()  # settings name the secret, never hold it


def test_catalog_loaded_reaches_the_webhook_given_at_construction(studio, tmp_path, catalog_csv):
    from tests.studio.live.platform import FlakyPlatform

    with FlakyPlatform(failures=0) as platform:
        control = LiveControl(studio, tmp_path / "show.db", catalog=catalog_csv, port=None,
                              webhook_url=f"http://127.0.0.1:{platform.port}/hook")
        try:
            control.start()
            assert platform.wait_for("catalog.loaded")["data"]["products"] == 2
        finally:
            control.stop()


def test_dead_webhook_never_blocks_the_show_and_bad_address_is_refused(studio, tmp_path, catalog_csv):
    import pytest

    from studio.live.errors import LiveError

    with pytest.raises(LiveError, match="webhook address"):
        LiveControl(studio, tmp_path / "bad.db", port=None, webhook_url="ftp://example.com/hook")
    # Nothing listens on port 9: every POST fails and is retried in the background.
    control = LiveControl(studio, tmp_path / "show.db", catalog=catalog_csv, port=None, webhook_url="http://127.0.0.1:9/hook")
    control.webhook.timeout_s = 0.5
    control.start()
    try:
        started = time.perf_counter()
        for i in range(50):
            control.live.shelf.pin("SKU-1" if i % 2 else "SKU-2")
        assert time.perf_counter() - started < 2.0
        assert control.live.store.count_events("product.pinned") == 50
        assert any(o.overlay_id == "live.product" for o in studio.compositor.overlays)
        control.set_webhook(None)  # turning it off joins its thread at once
        assert control.webhook is None
    finally:
        stopped = time.perf_counter()
        control.stop()
    assert time.perf_counter() - stopped < 8.0
