"""Moderation from the show reaches the comment's own platform: Hide in the panel hides a
Facebook comment (and shows it again) and deletes a YouTube or Twitch message (their chats
cannot hide); Block bans the viewer on YouTube (liveChatBans.insert) and Twitch (Ban User),
and hides their Facebook comments (the comment API bans no one); Unblock lifts it.  A platform that refuses
says so in words beside the reply failures; a comment from a platform without a connector is
moderated in the panel only."""
from __future__ import annotations

import random

import pytest

from bench.testbed.platforms.facebook import FacebookStandIn
from bench.testbed.platforms.twitch import TwitchStandIn
from bench.testbed.platforms.youtube import YouTubeStandIn
from studio.live.audience import ShowAudience, comment_id
from studio.live.session import LiveShow
from studio.outputs.reconnect import Backoff
from tests.helpers import wait_until


@pytest.fixture
def platforms():
    servers = {"youtube": YouTubeStandIn(polling_interval_ms=40).start(), "twitch": TwitchStandIn().start(),
               "facebook": FacebookStandIn().start()}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def show(tmp_path, platforms):
    youtube, twitch, facebook = platforms["youtube"], platforms["twitch"], platforms["facebook"]
    live = LiveShow(None, tmp_path / "show.db")
    audience = ShowAudience(live)
    backoff = lambda: Backoff(0.05, 0.3, jitter=0.0, rng=random.Random(1))  # noqa: E731
    audience.connect(f"youtube:{youtube.broadcast_id}", env={"BRIDGECAST_YOUTUBE_TOKEN": "ya29.first-token",
                                                              "BRIDGECAST_YOUTUBE_API_BASE": youtube.origin},
                     backoff=backoff(), viewers_interval_s=60)
    audience.connect("twitch:shopchannel", env={"BRIDGECAST_TWITCH_TOKEN": "first-access-token",
                                                "BRIDGECAST_TWITCH_CLIENT_ID": twitch.client_id,
                                                "BRIDGECAST_TWITCH_NICK": twitch.bot_login,
                                                "BRIDGECAST_TWITCH_API_BASE": twitch.origin},
                     backoff=backoff(), viewers_interval_s=60)
    audience.connect(f"facebook:{facebook.live_video_id}", env={"BRIDGECAST_FACEBOOK_TOKEN": "EAAB-page-token",
                                                                 "BRIDGECAST_FACEBOOK_API_BASE": facebook.origin},
                     backoff=backoff(), poll_s=0.05, viewers_interval_s=60)
    audience.start()
    assert wait_until(lambda: {s["state"] for s in audience.statuses()} == {"live"} and twitch.joined == 1, 15), \
        audience.statuses()
    yield live, audience
    audience.stop()
    live.stop()
    live.store.close()


def test_hide_and_block_reach_each_comments_own_platform(platforms, show):
    youtube, twitch, facebook = platforms["youtube"], platforms["twitch"], platforms["facebook"]
    live, audience = show
    yt_id = youtube.add_message("spammer", "buy followers", channel_id="UCspammer")
    tw_id = twitch.say("Troll", "rude words")
    fb_ids = [facebook.add_comment("Pest", "visit my shop", user_id="5501"),
              facebook.add_comment("Pest", "visit it now", user_id="5501")]
    keys = {"youtube": comment_id("youtube", yt_id), "twitch": comment_id("twitch", tw_id),
            "facebook": comment_id("facebook", fb_ids[0])}
    assert wait_until(lambda: set(keys.values()) | {comment_id("facebook", fb_ids[1])} <= set(live.comments.by_id), 15)

    # Hide in the panel: YouTube and Twitch delete the message, Facebook hides the comment.
    for key in keys.values():
        live.comments.update(key, is_hidden=True)
    assert wait_until(lambda: youtube.deleted and twitch.deleted and facebook.hidden, 10), audience.reply_failures
    assert youtube.deleted == [yt_id]
    assert twitch.deleted[0]["message_id"] == tw_id and twitch.deleted[0]["broadcaster_id"] == twitch.room_id
    assert facebook.hidden == [fb_ids[0]]
    # Another flag on a hidden comment does nothing on the platform; showing it again un-hides on
    # Facebook (a deleted YouTube/Twitch message cannot come back: nothing is sent there).
    live.comments.update(keys["facebook"], is_question=True)
    live.comments.update(keys["facebook"], is_hidden=False)
    live.comments.update(keys["youtube"], is_hidden=False)
    assert wait_until(lambda: facebook.unhidden == [fb_ids[0]], 10)
    assert youtube.deleted == [yt_id] and facebook.hidden == [fb_ids[0]]

    # Block: banned on YouTube and Twitch by their platform user ids; Facebook hides all their comments.
    live.comments.block_user("spammer")
    live.comments.block_user("Troll")
    live.comments.block_user("Pest")
    assert wait_until(lambda: youtube.bans and twitch.bans and len(facebook.hidden) == 3, 10), audience.reply_failures
    assert youtube.bans[0]["snippet"]["bannedUserDetails"] == {"channelId": "UCspammer"}
    query, body = twitch.bans[0]
    assert query["broadcaster_id"] == twitch.room_id and body["data"]["user_id"]
    assert sorted(facebook.hidden) == sorted([fb_ids[0], fb_ids[0], fb_ids[1]])
    assert audience.reply_failures == [] and audience.moderations_sent == 8

    # Unblock: the bans are lifted (YouTube by the id liveChatBans.insert answered), Facebook shows them again.
    live.comments.block_user("spammer", False)
    live.comments.block_user("Troll", False)
    live.comments.block_user("Pest", False)
    assert wait_until(lambda: youtube.unbanned and twitch.unbans and len(facebook.unhidden) == 3, 10), \
        audience.reply_failures
    assert twitch.unbans[0]["user_id"] == body["data"]["user_id"]
    assert sorted(facebook.unhidden) == sorted([fb_ids[0], fb_ids[0], fb_ids[1]])
    assert audience.reply_failures == []


def test_a_refused_moderation_is_said_in_words_and_other_platforms_go_on(platforms, show):
    youtube, facebook = platforms["youtube"], platforms["facebook"]
    live, audience = show
    yt_id = youtube.add_message("spammer", "buy followers", channel_id="UCspammer")
    fb_id = facebook.add_comment("Pest", "visit my shop")
    live.add_comment({"id": "tiktok:t-1", "user": "Mai", "text": "hello", "platform": "tiktok"})
    assert wait_until(lambda: {comment_id("youtube", yt_id), comment_id("facebook", fb_id)} <= set(live.comments.by_id), 15)
    facebook.throttle_left = 50  # Facebook answers (#4) Application request limit reached
    live.comments.update(comment_id("facebook", fb_id), is_hidden=True)
    live.comments.update("tiktok:t-1", is_hidden=True)  # no connector: hidden in the panel only, no failure
    live.comments.update(comment_id("youtube", yt_id), is_hidden=True)
    assert wait_until(lambda: youtube.deleted == [yt_id] and audience.reply_failures, 15)
    [failure] = audience.reply_failures
    assert failure.startswith("Pest's comment was changed here but not on facebook:") and "throttling" in failure
    assert "EAAB" not in failure and "Traceback" not in failure
