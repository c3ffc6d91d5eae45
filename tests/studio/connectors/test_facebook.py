"""The Facebook connector against a local stand-in that follows the Graph API reference."""
from __future__ import annotations

import logging

import pytest

from bench.testbed.platforms.facebook import FacebookStandIn
from studio.connectors import ConnectorError, ConnectorState, EventType, connector_from_spec
from studio.connectors.base import Action
from tests.helpers import wait_until


@pytest.fixture
def facebook():
    server = FacebookStandIn(page_size=10).start()
    yield server
    server.stop()


@pytest.fixture
def connect(hub, facebook, fast_backoff):
    def connect(**options):
        env = {"BRIDGECAST_FACEBOOK_TOKEN": "EAAB-page-token", "BRIDGECAST_FACEBOOK_API_BASE": facebook.origin}
        options.setdefault("poll_s", 0.05)
        options.setdefault("viewers_interval_s", 0.2)
        options.setdefault("not_live_retry_s", 0.1)
        connector = connector_from_spec(f"facebook:{facebook.live_video_id}", env, backoff=fast_backoff(), **options)
        hub.add(connector)
        hub.start()
        return connector
    return connect


def comments(sink):
    return sink.of(EventType.COMMENT, "facebook")


def test_pages_through_comments_with_the_after_cursor_and_reads_live_views(facebook, connect, sink, hub, caplog):
    caplog.set_level(logging.DEBUG)
    facebook.live_views = 2400
    ids = [facebook.add_comment(f"Viewer {i}", f"comment {i}") for i in range(25)]
    connector = connect()
    assert wait_until(lambda: len(comments(sink)) == 25, 10), connector.status.to_dict()
    more = [facebook.add_comment("Late", "still live?")]
    assert wait_until(lambda: len(comments(sink)) == 26, 10)
    assert [e.platform_id for e in comments(sink)] == ids + more
    assert len(facebook.served_ids) == len(set(facebook.served_ids)), "a comment was served twice"
    assert wait_until(lambda: hub.viewers().get("facebook") == 2400, 10)
    afters = [q.get("after") for m, p, q in facebook.requests if p.endswith("/comments") and m == "GET"]
    assert afters[0] is None and len(set(a for a in afters if a)) >= 3
    assert "EAAB-page-token" not in caplog.text and all("EAAB" not in str(q) for m, p, q in facebook.requests)
    assert connector.status.state is ConnectorState.LIVE


def test_an_expired_page_token_stops_with_words(facebook, connect):
    facebook.expire_token()
    connector = connect()
    assert wait_until(lambda: connector.status.state is ConnectorState.FAILED, 10)
    assert "connect the account again" in connector.status.message


def test_throttling_backs_off_and_reports_app_usage(facebook, connect, sink):
    facebook.throttle_left = 2
    facebook.app_usage = {"call_count": 92, "total_time": 40, "total_cputime": 30}
    facebook.add_comment("a", "hello")
    connector = connect()
    assert wait_until(lambda: len(comments(sink)) == 1, 10)
    assert connector.status.rate_limited == 2
    assert "92%" in connector.status.quota


def test_waits_until_the_video_is_live(facebook, connect, sink):
    facebook.status = "SCHEDULED_UNPUBLISHED"
    connector = connect()
    assert wait_until(lambda: connector.status.state is ConnectorState.WAITING, 10)
    assert "is not live" in connector.status.message
    facebook.add_comment("a", "first!")
    facebook.status = "LIVE"
    assert wait_until(lambda: len(comments(sink)) == 1, 10)


def test_down_and_back_loses_nothing(facebook, connect, sink):
    first = [facebook.add_comment("a", f"m{i}") for i in range(3)]
    connector = connect()
    assert wait_until(lambda: len(comments(sink)) == 3, 10)
    facebook.go_down()
    assert wait_until(lambda: connector.status.state is ConnectorState.RECONNECTING, 10)
    during = [facebook.add_comment("b", f"d{i}") for i in range(3)]
    facebook.come_back()
    assert wait_until(lambda: [e.platform_id for e in comments(sink)] == first + during, 15)


def test_reply_delete_and_hide(facebook, connect, sink, hub):
    question = facebook.add_comment("Mai", "<b>Giá bao nhiêu?</b> 😍")
    connect()
    assert wait_until(lambda: len(comments(sink)) == 1, 10)
    event = comments(sink)[0]
    assert event.text == "<b>Giá bao nhiêu?</b> 😍"
    name = hub.connector_for(event)
    hub.reply(name, "199.000₫ hôm nay", to=event)
    hub.reply(name, "Welcome everyone")
    assert facebook.replies == [(question, "199.000₫ hôm nay"), (facebook.live_video_id, "Welcome everyone")]
    hub.moderate(name, Action.DELETE, event)
    hub.moderate(name, Action.BAN, event)
    assert facebook.deleted == [question] and facebook.hidden == [question]
    with pytest.raises(ConnectorError, match="empty"):
        hub.reply(name, "   ")
