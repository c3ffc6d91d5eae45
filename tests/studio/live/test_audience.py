"""The platforms' audience in a show: connector events land in the show journal (the comment
queue for comments, ``platform.<type>`` for the rest), replies go back to the comment's own
platform, and a restart brings viewer counts back without counting anything twice."""
from __future__ import annotations

import random

import pytest

from bench.testbed.platforms.youtube import YouTubeStandIn
from studio.connectors.hub import ConnectorHub
from studio.live.audience import ShowAudience, comment_id
from studio.live.session import LiveShow
from studio.outputs.reconnect import Backoff
from tests.helpers import wait_until


@pytest.fixture
def youtube():
    server = YouTubeStandIn(page_size=20, polling_interval_ms=40).start()
    yield server
    server.stop()


def _env(youtube) -> dict[str, str]:
    return {"BRIDGECAST_YOUTUBE_TOKEN": "ya29.first-token", "BRIDGECAST_YOUTUBE_REFRESH_TOKEN": youtube.refresh_token,
            "BRIDGECAST_YOUTUBE_CLIENT_ID": youtube.client_id, "BRIDGECAST_YOUTUBE_CLIENT_SECRET": youtube.client_secret,
            "BRIDGECAST_YOUTUBE_API_BASE": youtube.origin}


def _audience(live: LiveShow, youtube) -> ShowAudience:
    audience = ShowAudience(live)
    audience.connect("youtube:bc-1", env=_env(youtube), backoff=Backoff(0.05, 0.3, jitter=0.0, rng=random.Random(1)),
                     viewers_interval_s=0.2, not_live_retry_s=0.1)
    audience.start()
    return audience


ORDER = {"platform": "tiktok", "type": "order", "id": "o-1", "sku": "SKU-1", "quantity": 2, "amount": "39.98",
         "currency": "USD", "buyer": "amira"}


def test_comments_viewers_and_orders_land_in_the_show_and_survive_a_restart(tmp_path, youtube):
    db = tmp_path / "show.db"
    ids = [youtube.add_message(f"viewer{i}", f"is it silk {i}?") for i in range(5)]
    youtube.concurrent_viewers = 321
    live = LiveShow(None, db)
    audience = _audience(live, youtube)
    try:
        assert wait_until(lambda: len(live.comments.by_id) == 5 and audience.viewers().get("youtube") == 321, 15), \
            audience.statuses()
        comment = live.comments.get(comment_id("youtube", ids[0]))
        assert comment.platform == "youtube" and comment.user == "viewer0" and comment.is_question
        assert live.comments.recent()[0]["platform"] == "youtube"
        assert audience.hub.ingest(ORDER) is not None
        assert wait_until(lambda: audience.orders(), 5)
        [order] = audience.orders()
        assert (order["platform"], order["sku"], order["quantity"], order["amount"]) == ("tiktok", "SKU-1", 2, "39.98")
        assert live.store.count_events("platform.order") == 1 and live.store.count_events("platform.viewers") >= 1

        # A reply from the panel's path goes to YouTube, in the documented body.
        live.comments.reply(comment.id, text="Yes, 100% mulberry silk")
        assert wait_until(lambda: youtube.inserted, 10), audience.reply_failures
        assert youtube.inserted[-1]["snippet"]["textMessageDetails"]["messageText"].endswith("Yes, 100% mulberry silk")
        assert audience.replies_sent == 1 and audience.reply_failures == []
    finally:
        audience.stop()
        live.stop()
        live.store.close()

    # SIGKILL-like restart: a new session on the same database.  The platform sends everything
    # again (a new connector starts from the first page); nothing is counted twice.
    live = LiveShow(None, db)
    audience = _audience(live, youtube)
    try:
        assert audience.viewers().get("youtube") == 321  # before the platform says anything
        assert audience.hub.ingest(ORDER) is None  # the same order again: a duplicate
        new = youtube.add_message("viewer9", "new one")
        assert wait_until(lambda: comment_id("youtube", new) in live.comments.by_id, 15), audience.statuses()
        # Everything read again from the first page was already there: one row per chat message
        # (the chat also holds our own reply, as YouTube's does).
        assert wait_until(lambda: len(live.comments.by_id) == len(youtube.messages), 15)
        assert live.store.count_events("comment.received") == len(youtube.messages)
        assert live.store.count_events("platform.order") == 1 and len(audience.orders()) == 1
    finally:
        audience.stop()
        live.stop()
        live.store.close()


def test_a_reply_to_a_comment_from_no_platform_is_not_sent_anywhere(tmp_path):
    live = LiveShow(None, tmp_path / "show.db")
    sent = []

    class Hub(ConnectorHub):
        def reply(self, name, text, to=None, timeout_s=0):
            sent.append(text)

    audience = ShowAudience(live, hub_factory=Hub)
    audience.start()
    try:
        live.add_comment({"id": "c1", "user": "noura", "text": "hello"})
        live.comments.reply("c1", text="hi")
        live.add_comment({"id": "youtube:x", "user": "sara", "text": "hello", "platform": "youtube"})
        live.comments.reply("youtube:x", text="hi there")
        assert wait_until(lambda: audience.reply_failures, 5)
        assert sent == [] and "youtube" in audience.reply_failures[0] and "not connected" in audience.reply_failures[0]
    finally:
        audience.stop()
        live.stop()
        live.store.close()
