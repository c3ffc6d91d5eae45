"""The assistant's tablet page in real headless Chromium (#13): without a valid token it explains
how to pair instead of showing dead controls; with one, labelled inputs, buttons coloured by
meaning and times written as clocks."""
from __future__ import annotations

import asyncio
import json

import aiohttp

from tests.studio.control.conftest import TOKEN
from tests.studio.control.test_browser import Page, chromium, pytestmark  # noqa: F401 - the fixture and the skip

VISIBLE_BUTTONS = "[...document.querySelectorAll('button')].filter(b => b.checkVisibility()).map(b => b.textContent)"


async def _open(chromium_port: int, url: str, check):
    async with aiohttp.ClientSession() as session:
        async with session.put(f"http://127.0.0.1:{chromium_port}/json/new?about:blank") as response:
            target = await response.json(content_type=None)
        async with session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            page = Page(ws)
            await page.send("Page.enable")
            await page.send("Page.navigate", url=url)
            await page.wait_for("document.readyState === 'complete' && document.body.dataset.started === '1'")
            return await check(page)


def test_without_a_token_the_page_explains_pairing(chromium, server):
    async def check(page):
        assert await page.evaluate("!document.getElementById('pairing').hidden && document.getElementById('pairing').offsetHeight > 0")
        assert await page.evaluate("document.getElementById('app').hidden")
        text = await page.evaluate("document.getElementById('pairing').innerText")
        assert "Pair a tablet…" in text and "same network" in text and "Turn on LAN access" in text
        assert await page.evaluate(VISIBLE_BUTTONS) == []  # no control that could do nothing
        assert await page.evaluate("document.getElementById('pairing-problem').hidden")

    asyncio.run(_open(chromium, server.url + "/", check))


def test_a_wrong_token_says_to_pair_again(chromium, server):
    async def check(page):
        await page.wait_for("!document.getElementById('pairing-problem').hidden")
        problem = await page.evaluate("document.getElementById('pairing-problem').textContent")
        assert "does not work any more" in problem and "Pair again" in problem
        assert await page.evaluate("document.getElementById('app').hidden")
        assert await page.evaluate(VISIBLE_BUTTONS) == []

    asyncio.run(_open(chromium, server.url + "/#token=not-the-token", check))


def test_paired_page_labels_inputs_colours_buttons_and_writes_clocks(chromium, server, live):
    live.flash_sale.start("SKU-1", stock=5, preroll_s=219, window_s=300)

    async def check(page):
        await page.wait_for("document.body.dataset.ready === '1' && !!document.getElementById('pin-SKU-1')")
        assert await page.evaluate("document.getElementById('pairing').hidden")
        unlabelled = await page.evaluate(
            "[...document.querySelectorAll('#app input, #app select')].filter(i => i.labels.length === 0).map(i => i.name || i.id)")
        assert unlabelled == []
        await page.wait_for("/\\d:\\d\\d/.test(document.getElementById('flash').textContent)")
        flash = await page.evaluate("document.getElementById('flash').textContent")
        assert "3:3" in flash and " s " not in flash  # 219 s → 3:39 (or 3:38 a second later)
        colours = await page.evaluate("""(() => {
            const colour = (el) => getComputedStyle(el).backgroundColor;
            return {pin: colour(document.getElementById('pin-SKU-1')), stop: colour(document.getElementById('flash-stop')),
                    unpin: colour(document.getElementById('unpin')), draw: colour(document.getElementById('giveaway-draw'))};
        })()""")
        assert len(set(colours.values())) == 4, colours  # start/put on screen, stop, view-only, act: four meanings
        assert colours["stop"] == "rgb(198, 40, 57)"
        return json.dumps(colours)

    asyncio.run(_open(chromium, server.url + f"/#token={TOKEN}", check))


def test_the_tablet_follows_a_catalog_replacement_and_a_new_show(chromium, server, live, tmp_path):
    live.comments.add({"id": "c1", "user": "ana", "text": "hello"})

    async def check(page):
        await page.wait_for("document.body.dataset.ready === '1' && !!document.getElementById('pin-SKU-2')")
        await page.wait_for("document.querySelectorAll('#comments li').length === 1")
        smaller = tmp_path / "smaller.csv"
        smaller.write_text("sku,title,price,currency,stock\nSKU-1,Silk scarf,19.99,USD,0\n", encoding="utf-8")
        await asyncio.get_running_loop().run_in_executor(None, live.shelf.load, smaller)
        await page.wait_for("!document.getElementById('pin-SKU-2') && !!document.getElementById('pin-SKU-1')")
        assert await page.evaluate("document.querySelector('#products .soldout').textContent") == "Sold out"
        await asyncio.get_running_loop().run_in_executor(None, live.new_show)
        await page.wait_for("document.querySelectorAll('#comments li').length === 0")

    asyncio.run(_open(chromium, server.url + f"/#token={TOKEN}", check))
