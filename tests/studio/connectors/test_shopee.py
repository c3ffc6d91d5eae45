"""The Shopee Live connector against a stand-in written from Shopee's livestream API reference:
signed User API calls, the 10-second comment window with offsets, viewers from the session
metric, replies and bans, token refresh, not-yet-live, rate limits and outages."""
from __future__ import annotations

import logging

import pytest

from bench.testbed.platforms.shopee import ShopeeStandIn
from studio import secrets_store
from studio.connectors import ConnectorError, ConnectorState, EventType, connector_from_spec
from studio.connectors.base import Action
from studio.connectors.shopee import sign
from tests.helpers import wait_until


@pytest.fixture
def shopee():
    server = ShopeeStandIn(page_size=5).start()
    yield server
    server.stop()


def env_for(shopee, **changes):
    env = {"BRIDGECAST_SHOPEE_TOKEN": "shopee-access-1", "BRIDGECAST_SHOPEE_REFRESH_TOKEN": shopee.refresh_token,
           "BRIDGECAST_SHOPEE_CLIENT_ID": str(shopee.partner_id), "BRIDGECAST_SHOPEE_CLIENT_SECRET": shopee.partner_key,
           "BRIDGECAST_SHOPEE_USER_ID": str(shopee.user_id), "BRIDGECAST_SHOPEE_API_BASE": shopee.origin}
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


@pytest.fixture
def connect(hub, shopee, fast_backoff):
    def connect(target=None, **changes):
        connector = connector_from_spec(f"shopee:{target or shopee.session_id}", env_for(shopee, **changes),
                                        backoff=fast_backoff(), poll_s=0.05, viewers_interval_s=0.2,
                                        not_live_retry_s=0.1)
        hub.add(connector)
        if not hub.is_running:
            hub.start()
        return connector
    return connect


def comments(sink):
    return sink.of(EventType.COMMENT, "shopee")


def test_signature_is_the_documented_hmac():
    """hex HMAC-SHA256, keyed with the partner key, of partner_id + path + timestamp + access_token + user_id."""
    import hashlib
    import hmac

    base = b"2001887/api/v2/livestream/get_session_detail1610000000tok1987885"
    assert sign("pk", "2001887", "/api/v2/livestream/get_session_detail", "1610000000", "tok", "1987885") == \
        hmac.new(b"pk", base, hashlib.sha256).hexdigest()


def test_comments_pages_and_viewers_with_signed_requests(shopee, connect, sink, hub, caplog):
    caplog.set_level(logging.DEBUG)
    shopee.metric["ccu"] = 842
    ids = [shopee.add_comment(f"buyer{i}", f"ada warna merah {i}?", user_id=100 + i) for i in range(12)]
    connector = connect()
    assert wait_until(lambda: len(comments(sink)) == 12, 10), connector.status.to_dict()
    assert [e.platform_id for e in comments(sink)] == [str(i) for i in ids]
    first = comments(sink)[0]
    assert (first.author, first.author_id, first.text) == ("buyer0", "100", "ada warna merah 0?")
    assert wait_until(lambda: hub.viewers().get("shopee") == 842, 10)
    offsets = [q.get("offset") for m, p, q in shopee.requests if p.endswith("get_latest_comment_list")]
    assert "5" in offsets and "10" in offsets  # pages of 5 followed through next_offset
    assert shopee.bad_signatures == 0 and connector.status.state is ConnectorState.LIVE
    assert "shopee-access-1" not in caplog.text and shopee.partner_key not in caplog.text


def test_waits_until_the_session_is_live(shopee, connect, sink):
    shopee.status = 0
    connector = connect()
    assert wait_until(lambda: connector.status.state is ConnectorState.WAITING, 10)
    assert "has not started yet" in connector.status.message
    shopee.status = 1
    shopee.add_comment("Sari", "mulai!")
    assert wait_until(lambda: len(comments(sink)) == 1, 10)


def test_expired_token_is_refreshed_and_the_rotated_refresh_token_kept(shopee, connect, sink):
    connector = connect()
    assert wait_until(lambda: connector.status.state is ConnectorState.LIVE, 10)
    shopee.expire_token()
    shopee.add_comment("Sari", "after expiry")
    assert wait_until(lambda: len(comments(sink)) == 1, 10), connector.status.to_dict()
    assert shopee.refreshes == 1 and connector.status.token_refreshes == 1
    assert secrets_store.get_secret("connector.shopee.refresh_token") == shopee.refresh_token
    assert connector.credentials.token in shopee.valid_tokens


def test_too_many_requests_backs_off_and_says_so_then_goes_on(shopee, connect, sink):
    connector = connect()
    assert wait_until(lambda: connector.status.state is ConnectorState.LIVE, 10)
    shopee.too_many_left = 3
    assert wait_until(lambda: connector.status.rate_limited >= 1, 10)
    assert "too many requests" in (connector.status.quota or "")
    shopee.add_comment("Sari", "still here")
    assert wait_until(lambda: len(comments(sink)) == 1, 10)


def test_platform_down_then_back(shopee, connect, sink):
    connector = connect()
    assert wait_until(lambda: connector.status.state is ConnectorState.LIVE, 10)
    shopee.go_down()
    assert wait_until(lambda: connector.status.state is ConnectorState.RECONNECTING, 10)
    shopee.come_back()
    shopee.add_comment("Sari", "back")
    assert wait_until(lambda: len(comments(sink)) == 1 and connector.status.state is ConnectorState.LIVE, 15)
    assert connector.status.reconnects >= 1


def test_reply_and_ban_arrive_with_the_documented_body_and_our_reply_is_not_a_comment(shopee, connect, sink, hub):
    buyer = shopee.add_comment("Sari", "ukuran M ada?", user_id=555)
    connector = connect()
    assert wait_until(lambda: len(comments(sink)) == 1, 10)
    question = comments(sink)[0]
    hub.reply(hub.connector_for(question), "Ada, kak!", to=question)
    assert shopee.posted == [{"session_id": shopee.session_id, "content": "@Sari Ada, kak!"}]
    with pytest.raises(ConnectorError, match="150 characters"):
        hub.reply(connector.name, "x" * 200)
    hub.moderate(connector.name, Action.BAN, question)
    assert shopee.bans == [{"session_id": shopee.session_id, "ban_user_id": 555}]
    hub.moderate(connector.name, Action.UNBAN, question)
    assert shopee.unbans == [{"session_id": shopee.session_id, "unban_user_id": 555}]
    with pytest.raises(ConnectorError, match="delete"):
        hub.moderate(connector.name, Action.DELETE, question)
    shopee.add_comment("Budi", "marker")
    assert wait_until(lambda: [e.text for e in comments(sink)][-1:] == ["marker"], 10)
    assert [e.text for e in comments(sink)] == ["ukuran M ada?", "marker"] and str(buyer) == question.platform_id


def test_what_is_missing_is_said_in_words(shopee, connect):
    connector = connect(BRIDGECAST_SHOPEE_USER_ID=None)
    assert wait_until(lambda: connector.status.state is ConnectorState.FAILED, 10)
    assert "user ID" in connector.status.message
    other = connect(target="not-a-number")
    assert wait_until(lambda: other.status.state is ConnectorState.FAILED, 10)
    assert "is a number" in other.status.message


def test_a_session_of_someone_else_stops_with_words(shopee, connect):
    connector = connect(target="999")
    assert wait_until(lambda: connector.status.state is ConnectorState.FAILED, 10)
    assert "does not know livestream session 999" in connector.status.message
