"""The Twitch connector against a local stand-in that follows Twitch's IRC and Helix reference."""
from __future__ import annotations

import logging

import pytest

from bench.testbed.platforms.twitch import TwitchStandIn
from studio import secrets_store
from studio.connectors import ConnectorError, ConnectorState, EventType, connector_from_spec
from studio.connectors.base import Action
from studio.connectors.twitch import parse_irc
from tests.helpers import wait_until


@pytest.fixture
def twitch():
    server = TwitchStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def env(twitch):
    return {"BRIDGECAST_TWITCH_TOKEN": "oauth:first-access-token", "BRIDGECAST_TWITCH_REFRESH_TOKEN": twitch.refresh_token,
            "BRIDGECAST_TWITCH_CLIENT_ID": twitch.client_id, "BRIDGECAST_TWITCH_CLIENT_SECRET": twitch.client_secret,
            "BRIDGECAST_TWITCH_NICK": twitch.bot_login, "BRIDGECAST_TWITCH_API_BASE": twitch.origin}


@pytest.fixture
def connect(hub, env, fast_backoff, twitch):
    def connect(**options):
        options.setdefault("viewers_interval_s", 0.2)
        connector = connector_from_spec(f"twitch:{twitch.channel}", env, backoff=fast_backoff(), **options)
        hub.add(connector)
        hub.start()
        assert wait_until(lambda: connector.status.state is ConnectorState.LIVE and twitch.joined == 1, 10), \
            connector.status.to_dict()
        return connector
    return connect


def chat(sink):
    return sink.of(EventType.COMMENT, "twitch")


def test_logs_in_joins_and_reads_chat_with_tags(twitch, connect, sink):
    connector = connect()
    assert "CAP REQ :twitch.tv/tags twitch.tv/commands" in twitch.raw_from_clients
    assert f"NICK {twitch.bot_login}" in twitch.raw_from_clients and f"JOIN #{twitch.channel}" in twitch.raw_from_clients
    first = twitch.say("Ronni X", "how much is the scarf?")
    batch = twitch.say_many([("amy", "hello"), ("bo", "size?"), ("cy", "\x01ACTION waves\x01")])
    assert wait_until(lambda: len(chat(sink)) == 4, 10)
    events = chat(sink)
    assert [e.platform_id for e in events] == [first, *batch]
    assert (events[0].author, events[0].text) == ("Ronni X", "how much is the scarf?")
    assert events[3].text == "waves"
    assert connector.room_id == twitch.room_id and connector.own_user_id == twitch.bot_user_id


def test_answers_ping_and_reads_bits_and_gifted_subs(twitch, connect, sink):
    connect()
    twitch.ping()
    assert wait_until(lambda: twitch.pongs == 1, 10)
    twitch.say("fan", "Cheer100 take my money", bits=100)
    twitch.gift_subs("Generous", 5)
    assert wait_until(lambda: len(sink.of(EventType.GIFT)) == 2, 10)
    bits, subs = sink.of(EventType.GIFT)
    assert (bits.count, bits.extra["kind"]) == (100, "bits")
    assert (subs.count, subs.author, subs.extra["kind"]) == (5, "Generous", "submysterygift")


def test_viewer_count_from_helix(twitch, connect, hub):
    twitch.viewer_count = 78365
    connect()
    assert wait_until(lambda: hub.viewers().get("twitch") == 78365, 10)
    assert any(p == "/helix/streams" and q == {"user_login": twitch.channel} for m, p, q in twitch.requests)


def test_helix_rate_limit_is_reported_and_the_count_comes_back(twitch, connect, hub):
    twitch.rate_limit_left = 1
    twitch.viewer_count = 12
    connector = connect()
    assert wait_until(lambda: connector.status.rate_limited == 1, 10)
    assert "rate limit" in connector.status.quota
    assert wait_until(lambda: hub.viewers().get("twitch") == 12, 10)
    assert connector.status.state is ConnectorState.LIVE  # chat went on meanwhile


def test_reply_goes_to_the_same_thread(twitch, connect, sink, hub):
    connect()
    question = twitch.say("Mai", "ship to Canada?")
    assert wait_until(lambda: len(chat(sink)) == 1, 10)
    hub.reply(hub.connector_for(chat(sink)[0]), "Yes,\r\nfree over $50", to=chat(sink)[0])
    assert wait_until(lambda: len(twitch.received) == 1, 10)
    tags, channel, text = twitch.received[0]
    assert (tags, channel, text) == ({"reply-parent-msg-id": question}, twitch.channel, "Yes, free over $50")
    with pytest.raises(ConnectorError, match="500 characters"):
        hub.reply(f"twitch:{twitch.channel}", "x" * 501)


def test_expired_token_refresh_then_login_again(twitch, connect, sink, caplog):
    caplog.set_level(logging.DEBUG)
    connector = connect()
    twitch.expire_token()
    twitch.send_reconnect()  # Twitch restarts the server: the next login meets the expired token
    assert wait_until(lambda: twitch.refreshes == 1 and twitch.joined == 1 and twitch.logins == 2, 10), \
        connector.status.to_dict()
    assert twitch.failed_logins >= 1 and connector.status.token_refreshes >= 1
    said = twitch.say("late", "still here?")
    assert wait_until(lambda: [e.platform_id for e in chat(sink)] == [said], 10)
    new_token = next(iter(twitch.valid_tokens))
    assert secrets_store.get_secret("connector.twitch.token") == new_token
    assert secrets_store.get_secret("connector.twitch.refresh_token") == twitch.refresh_token  # the rotated one
    for secret in (new_token, "first-access-token", twitch.refresh_token, twitch.client_secret):
        assert secret not in caplog.text and secret not in str(connector.status.to_dict())
    assert all("first-access-token" not in line for line in twitch.raw_from_clients)


def test_platform_down_then_back_reconnects(twitch, connect, sink):
    connector = connect()
    twitch.say("a", "before")
    assert wait_until(lambda: len(chat(sink)) == 1, 10)
    twitch.go_down()
    assert wait_until(lambda: connector.status.state is ConnectorState.RECONNECTING, 10)
    twitch.come_back()
    assert wait_until(lambda: connector.status.state is ConnectorState.LIVE and twitch.joined == 1, 15)
    twitch.say("b", "after")
    assert wait_until(lambda: [e.text for e in chat(sink)] == ["before", "after"], 10)
    assert connector.status.reconnects >= 1


def test_hostile_lines_are_kept_safely(twitch, connect, sink):
    connect()
    texts = ["<img src=x onerror=alert(1)>", "\u202eالشحن مجاني؟", "🏳️‍🌈" * 300, "semi;colon\\back slash", "A" * 5000]
    for text in texts:
        twitch.say("x" * 300, text)
    assert wait_until(lambda: len(chat(sink)) == len(texts), 10)
    events = chat(sink)
    assert events[0].text == texts[0] and events[1].text == texts[1] and events[3].text == texts[3]
    assert all(len(e.text) <= 500 and len(e.author) <= 64 for e in events)
    assert events[4].is_truncated and events[2].is_truncated


def test_delete_and_ban_through_helix(twitch, connect, sink, hub):
    connect()
    twitch.say("spammer", "free followers at …")
    assert wait_until(lambda: len(chat(sink)) == 1, 10)
    spam = chat(sink)[0]
    hub.moderate(f"twitch:{twitch.channel}", Action.DELETE, spam)
    hub.moderate(f"twitch:{twitch.channel}", Action.BAN, spam)
    assert twitch.deleted == [{"broadcaster_id": twitch.room_id, "moderator_id": twitch.bot_user_id,
                               "message_id": spam.platform_id}]
    assert twitch.bans[0][1]["data"]["user_id"] == spam.author_id


def test_refused_login_without_refresh_stops_with_words(twitch, env, hub, fast_backoff):
    del env["BRIDGECAST_TWITCH_REFRESH_TOKEN"]
    twitch.expire_token()
    connector = connector_from_spec(f"twitch:{twitch.channel}", env, backoff=fast_backoff())
    hub.add(connector)
    hub.start()
    assert wait_until(lambda: connector.status.state is ConnectorState.FAILED, 10)
    assert "connect the account again" in connector.status.message


def test_irc_tag_values_are_unescaped():
    message = parse_irc(r"@display-name=A\sB;system-msg=x\:y\\z :tmi.twitch.tv USERNOTICE #c")
    assert message.tags == {"display-name": "A B", "system-msg": "x;y\\z"} and message.params == ["#c"]


def test_a_reply_twitch_refuses_is_said_in_words(twitch, connect, hub):
    connector = connect()
    twitch.refuse_messages_with = "msg_ratelimit"
    hub.reply(f"twitch:{twitch.channel}", "hello again")
    assert wait_until(lambda: connector.status.quota and "did not post" in connector.status.quota, 10)
    assert "too quickly" in connector.status.quota and twitch.received == []
