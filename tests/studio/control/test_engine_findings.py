"""What fuzzing the control API found in engine code outside the control package, kept as
strict xfails: each names the bug, and turns into a failure (XPASS) the day it is fixed, so the
mark comes off and the fuzz alphabet in test_fuzz_api.py can widen to every drawable character.

Bug (card renderer): a card text holding a character that no card font has — an emoji, a CJK
extension B ideograph, Gurmukhi, a tag character — makes ``cover_designer/text.py``
``draw_layout`` raise ``ValueError: x1 must be greater than or equal to x0`` (called from
``studio/live/render.py`` ``_draw``).  The command answers 500, and ``Giveaway.open`` has already
replaced the giveaway in memory (it draws before it journals), so memory and journal disagree
until a restart.  Inbound comments take any text, so a viewer's emoji reaches the answer card
through the API without any field of ours being wrong.
"""
from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.studio.control.conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CARD_FONT_BUG = ("engine bug: text with a character no card font has (emoji, CJK ext. B) makes "
                 "cover_designer/text.py draw_layout raise ValueError (x1 < x0) from studio/live/render.py _draw")


async def _post(url, body):
    async with aiohttp.ClientSession() as session:
        async with session.post(url, headers=AUTH, json=body) as response:
            return response.status


@pytest.mark.parametrize("keyword", ["🎁", "win 👋", "\U0002950d", "ਪ"])
@pytest.mark.xfail(strict=True, reason=CARD_FONT_BUG)
def test_a_giveaway_keyword_any_viewer_can_type_is_drawn_or_refused_in_words(server, keyword):
    status = asyncio.run(_post(server.url + "/api/v1/giveaway", {"keyword": keyword}))
    assert status in (200, 400)


@pytest.mark.xfail(strict=True, reason=CARD_FONT_BUG + "; Giveaway.open draws before it journals, so memory and journal disagree")
def test_memory_and_journal_agree_after_a_giveaway_card_fails_to_draw(live):
    journal = live.store.count_events()
    try:
        live.giveaway.open("🎁", "", 1)
    except Exception:  # noqa: BLE001 - the drawing bug above; here only what it leaves behind counts
        pass
    is_journaled = live.store.count_events() == journal + 1
    assert (live.giveaway.current is not None) == is_journaled


@pytest.mark.xfail(strict=True, reason=CARD_FONT_BUG + " (the answer card shows the viewer's question)")
def test_answering_a_viewers_comment_with_an_emoji_is_drawn(server, live):
    live.comments.add({"id": "e1", "user": "Ann", "text": "how much for two 👜?"})
    assert asyncio.run(_post(server.url + "/api/v1/comments/e1/answer", {"answer": "19.99 each"})) == 200
