"""A real browser: headless Chromium opens the assistant page, authenticates, presses Pin."""
from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import threading
import time
from pathlib import Path

import aiohttp
import pytest

from tests.studio.control.conftest import TOKEN, card_match, program_with_picture, wait_frame_after

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--remote-debugging-port=0", "--window-size=1200,900"]


@pytest.fixture
def chromium(tmp_path):
    profile = tmp_path / "profile"
    process = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while not (port_file.exists() and port_file.read_text().strip()):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("Chromium did not start")
        time.sleep(0.05)
    yield int(port_file.read_text().split()[0])
    process.kill()
    process.wait(10)


class Page:
    """Just enough of the Chrome DevTools protocol over aiohttp."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def send(self, method: str, **params):
        call_id = next(self.ids)
        await self.ws.send_json({"id": call_id, "method": method, "params": params})
        while True:
            message = await self.ws.receive_json(timeout=30)
            if message.get("id") == call_id:
                if "error" in message:
                    raise AssertionError(message["error"])
                return message["result"]

    async def evaluate(self, expression: str):
        result = await self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout_s: float = 20.0):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression}")


def test_assistant_page_pins_product_onto_program(chromium, server, live, studio):
    pinned_at: dict[str, int] = {}
    before = []
    reached = threading.Event()

    def on_event(event):
        if event["type"] == "product.pinned":
            frame = studio.compositor.latest_program()
            pinned_at["sequence"] = frame.sequence if frame else 0
            reached.set()

    live.event.connect(on_event)

    async def scenario():
        async with aiohttp.ClientSession() as session:
            async with session.put(f"http://127.0.0.1:{chromium}/json/new?about:blank") as response:
                target = await response.json(content_type=None)
            async with session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                page = Page(ws)
                await page.send("Page.enable")
                # Without a token the page's own request is refused and nothing changes.
                await page.send("Page.navigate", url=server.url + "/")
                await page.wait_for("document.readyState === 'complete' && !!document.getElementById('login')")
                status = await page.evaluate("fetch('/api/v1/products/SKU-1/pin', {method: 'POST'}).then(r => r.status)")
                assert status == 401 and live.shelf.pinned_sku is None
                status = await page.evaluate("fetch('/api/v1/products/SKU-1/pin', {method: 'POST', headers: {Authorization: 'Bearer nope'}}).then(r => r.status)")
                assert status == 401 and live.shelf.pinned_sku is None
                before.append(program_with_picture(studio))  # the program without the card
                # Authenticate through the form like the assistant would.
                await page.evaluate(f"document.getElementById('token').value = {json.dumps(TOKEN)}; document.getElementById('connect').click(); true")
                await page.wait_for("document.body.dataset.ready === '1' && !!document.getElementById('pin-SKU-1')")
                await page.wait_for("document.getElementById('status').textContent === 'connected'")
                box = await page.evaluate("(() => { const b = document.getElementById('pin-SKU-1'); b.scrollIntoView(); const r = b.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
                for kind in ("mousePressed", "mouseReleased"):
                    await page.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)
                await asyncio.get_running_loop().run_in_executor(None, reached.wait, 10)
                await page.wait_for("document.querySelector('tr.pinned') && document.querySelector('tr.pinned').dataset.sku === 'SKU-1'")

    asyncio.run(scenario())
    live.event.disconnect(on_event)
    assert reached.is_set() and live.shelf.pinned_sku == "SKU-1"
    frame = wait_frame_after(studio, pinned_at["sequence"], frames=2)
    overlay = next(o for o in studio.compositor.overlays if o.overlay_id == "live.product")
    # Two frame intervals after the request the card is on the program, pixel for pixel as its
    # enter motion draws it at that frame's time (≥ 60 % opacity, gliding in) …
    assert card_match(before[0].image, overlay) > 20
    assert card_match(frame.image, overlay, frame.capture_ns, before[0].image) < 12
    # … and fully in place once the motion is over.
    time.sleep(overlay.animation.duration_ms / 1000)
    assert card_match(wait_frame_after(studio, studio.compositor.latest_program().sequence).image, overlay) < 12
