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
        while len(control.live.comments) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(control.live.comments) >= 5
    finally:
        control.stop()
    assert control.url is None
