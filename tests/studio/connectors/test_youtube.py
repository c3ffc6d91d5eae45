"""The YouTube connector against a local stand-in that follows the Data API v3 reference."""
from __future__ import annotations

import logging

import pytest

from bench.testbed.platforms.youtube import YouTubeStandIn
from studio import secrets_store
from studio.connectors import ConnectorError, ConnectorState, EventType, connector_from_spec
from studio.connectors.base import Action
from tests.helpers import wait_until


@pytest.fixture
def youtube():
    server = YouTubeStandIn(page_size=20, polling_interval_ms=40).start()
    yield server
    server.stop()


@pytest.fixture
def env(youtube):
    return {"BRIDGECAST_YOUTUBE_TOKEN": "ya29.first-token", "BRIDGECAST_YOUTUBE_REFRESH_TOKEN": youtube.refresh_token,
            "BRIDGECAST_YOUTUBE_CLIENT_ID": youtube.client_id, "BRIDGECAST_YOUTUBE_CLIENT_SECRET": youtube.client_secret,
            "BRIDGECAST_YOUTUBE_API_BASE": youtube.origin}


@pytest.fixture
def connect(hub, env, fast_backoff):
    def connect(target="bc-1", **options):
        options.setdefault("viewers_interval_s", 0.2)
        options.setdefault("not_live_retry_s", 0.1)
        connector = connector_from_spec(f"youtube:{target}", env, backoff=fast_backoff(), **options)
        hub.add(connector)
        if not hub.is_running:
            hub.start()
        return connector
    return connect


def comments(sink):
    return sink.of(EventType.COMMENT, "youtube")


def test_reads_every_page_in_order_and_honours_the_polling_interval(youtube, connect, sink):
    ids = [youtube.add_message(f"viewer{i}", f"message {i}") for i in range(55)]
    connector = connect()
    assert wait_until(lambda: len(comments(sink)) == 55, 10), connector.status.to_dict()
    assert [e.platform_id for e in comments(sink)] == ids
    assert [e.text for e in comments(sink)][:2] == ["message 0", "message 1"]
    seqs = [e.seq for e in sink.events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    # Later messages come through the page token, not a re-read of the history.
    more = [youtube.add_message("late", f"late {i}") for i in range(3)]
    assert wait_until(lambda: len(comments(sink)) == 58, 10)
    assert [e.platform_id for e in comments(sink)][-3:] == more
    tokens = [q.get("pageToken") for m, p, q in youtube.requests if p.endswith("/liveChat/messages") and m == "GET"]
    assert tokens[0] is None and "p20" in tokens and "p40" in tokens and "p55" in tokens
    assert youtube.too_soon == 0, "polled sooner than pollingIntervalMillis"
    assert len(youtube.served_ids) == len(set(youtube.served_ids))
    assert connector.status.state is ConnectorState.LIVE


def test_viewer_count_from_live_streaming_details(youtube, connect, sink, hub):
    youtube.concurrent_viewers = 321
    connect()
    assert wait_until(lambda: hub.viewers().get("youtube") == 321, 10)
    youtube.concurrent_viewers = 400
    assert wait_until(lambda: hub.viewers().get("youtube") == 400, 10)
    viewers = sink.of(EventType.VIEWERS, "youtube")
    assert viewers[0].count == 321 and viewers[0].to_dict()["type"] == "viewers"
    youtube.concurrent_viewers = None  # hidden by the owner: no figure rather than an invented one
    before = len(sink.of(EventType.VIEWERS))
    assert wait_until(lambda: sum(1 for m, p, q in youtube.requests if p.endswith("/videos")) >= 5, 10)
    assert all(e.count in (321, 400) for e in sink.of(EventType.VIEWERS)[before:])


def test_expired_token_is_refreshed_and_reading_goes_on(youtube, connect, sink, caplog):
    caplog.set_level(logging.DEBUG)
    youtube.add_message("a", "before")
    connector = connect()
    assert wait_until(lambda: len(comments(sink)) == 1, 10)
    youtube.expire_token()
    youtube.add_message("b", "after")
    assert wait_until(lambda: len(comments(sink)) == 2, 10), connector.status.to_dict()
    assert youtube.refreshes == 1 and youtube.unauthorized >= 1
    assert connector.status.token_refreshes == 1
    new_token = next(iter(youtube.valid_tokens))
    assert secrets_store.get_secret("connector.youtube.token") == new_token  # the next show starts with it
    for secret in (new_token, "ya29.first-token", youtube.refresh_token, youtube.client_secret):
        assert secret not in caplog.text
        assert secret not in str(connector.status.to_dict()) and secret not in repr(connector.credentials)


def test_refused_refresh_stops_with_words(youtube, env, hub, fast_backoff):
    env["BRIDGECAST_YOUTUBE_REFRESH_TOKEN"] = "1//revoked"
    connector = connector_from_spec("youtube:bc-1", env, backoff=fast_backoff())
    youtube.expire_token()
    hub.add(connector)
    hub.start()
    assert wait_until(lambda: connector.status.state is ConnectorState.FAILED, 10)
    assert "connect the account again" in connector.status.message
    assert "1//revoked" not in connector.status.message


def test_quota_exceeded_backs_off_and_says_so(youtube, connect, sink):
    youtube.quota_errors_left = 1
    youtube.add_message("a", "hello")
    connector = connect(quota_retry_s=0.5)
    assert wait_until(lambda: connector.status.state is ConnectorState.RATE_LIMITED, 10)
    assert "quota" in connector.status.message and connector.status.to_dict()["next_retry_in_s"] is not None
    assert wait_until(lambda: len(comments(sink)) == 1, 10)
    assert connector.status.state is ConnectorState.LIVE
    assert connector.status.rate_limited == 1 and "midnight Pacific" in connector.status.quota


def test_rate_limit_answers_back_off_then_go_on(youtube, connect, sink):
    youtube.rate_limit_errors_left = 3
    youtube.add_message("a", "hello")
    connector = connect()
    assert wait_until(lambda: len(comments(sink)) == 1, 10)
    assert connector.status.rate_limited == 3 and "slow down" in connector.status.quota


def test_platform_down_for_a_while_reconnects_and_loses_nothing(youtube, connect, sink):
    first = [youtube.add_message("a", f"m{i}") for i in range(5)]
    connector = connect()
    assert wait_until(lambda: len(comments(sink)) == 5, 10)
    youtube.go_down()
    assert wait_until(lambda: connector.status.state is ConnectorState.RECONNECTING, 10)
    assert "Reconnecting" in connector.status.message
    during = [youtube.add_message("b", f"d{i}") for i in range(5)]
    youtube.come_back()
    assert wait_until(lambda: len(comments(sink)) == 10, 15), connector.status.to_dict()
    assert [e.platform_id for e in comments(sink)] == first + during
    assert connector.status.reconnects >= 1 and connector.status.state is ConnectorState.LIVE


def test_hostile_payloads_are_kept_safely(youtube, connect, sink):
    hostile = {
        "huge": "A" * 100_000,
        "markup": "<b>bold</b><script>alert(1)</script>&amp;",
        "rtl": "\u202eكم السعر؟ \u200fمقاس M",
        "emoji": "👨‍👩‍👧‍👦" * 200,
        "controls": "line1\r\nline2\x00\x07\x1b[31mred",
    }
    ids = {name: youtube.add_message(name, text) for name, text in hostile.items()}
    youtube.add_message("x" * 5000, "long name")
    connect()
    assert wait_until(lambda: len(comments(sink)) == 6, 10)
    by_id = {e.platform_id: e for e in comments(sink)}
    assert all(len(e.text) <= 500 and len(e.author) <= 64 for e in by_id.values())
    assert by_id[ids["huge"]].is_truncated and by_id[ids["huge"]].text.endswith("…")
    assert by_id[ids["markup"]].text == hostile["markup"]  # literal text: views never render it
    assert by_id[ids["rtl"]].text == hostile["rtl"]
    emoji = by_id[ids["emoji"]].text
    assert emoji.endswith("…") and emoji[:-1].endswith("👦")  # cut between families, not inside one
    assert by_id[ids["controls"]].text == "line1  line2[31mred"


def test_reply_arrives_with_the_documented_body(youtube, connect, sink, hub):
    youtube.add_message("Mai", "Size M?")
    connect()
    assert wait_until(lambda: len(comments(sink)) == 1, 10)
    question = comments(sink)[0]
    hub.reply(hub.connector_for(question), "Yes, M is in stock", to=question)
    assert youtube.inserted == [{"snippet": {"liveChatId": "chat-1", "type": "textMessageEvent",
                                             "textMessageDetails": {"messageText": "@Mai Yes, M is in stock"}}}]
    with pytest.raises(ConnectorError, match="200 characters"):
        hub.reply("youtube:bc-1", "x" * 300)
    assert len(youtube.inserted) == 1


def test_delete_and_ban(youtube, connect, sink, hub):
    youtube.add_message("spam", "buy followers", channel_id="UCspammer")
    connect()
    assert wait_until(lambda: len(comments(sink)) == 1, 10)
    spam = comments(sink)[0]
    hub.moderate("youtube:bc-1", Action.DELETE, spam)
    hub.moderate("youtube:bc-1", Action.BAN, spam)
    assert youtube.deleted == [spam.platform_id]
    assert youtube.bans[0]["snippet"]["bannedUserDetails"] == {"channelId": "UCspammer"}
    with pytest.raises(ConnectorError, match="pin"):
        hub.moderate("youtube:bc-1", Action.PIN, spam)


def test_waits_for_the_chat_to_open(youtube, connect, sink):
    youtube.is_chat_open = False
    connector = connect()
    assert wait_until(lambda: connector.status.state is ConnectorState.WAITING, 10)
    assert "no live chat yet" in connector.status.message
    youtube.add_message("a", "first")
    youtube.is_chat_open = True
    assert wait_until(lambda: len(comments(sink)) == 1, 10)


def test_super_chat_is_a_gift_with_its_amount(youtube, connect, sink):
    youtube.add_message("Big fan", "", kind="superChatEvent",
                        details={"amountMicros": "5990000", "currency": "USD", "amountDisplayString": "$5.99",
                                 "userComment": "Love this scarf", "tier": 2})
    connect()
    assert wait_until(lambda: len(sink.of(EventType.GIFT)) == 1, 10)
    gift = sink.of(EventType.GIFT)[0]
    assert (gift.amount, gift.currency, gift.text) == ("5.99", "USD", "Love this scarf")
