"""Our own YouTube replies come back in liveChatMessages.list (the reference says inserted
messages are listed like any other); they must not join the audience's queue."""
from __future__ import annotations

import pytest

from bench.testbed.platforms.youtube import YouTubeStandIn
from studio.connectors import EventType, connector_from_spec
from tests.helpers import wait_until


@pytest.fixture
def youtube():
    server = YouTubeStandIn(polling_interval_ms=40).start()
    yield server
    server.stop()


@pytest.fixture
def connector(youtube, hub, fast_backoff):
    env = {"BRIDGECAST_YOUTUBE_TOKEN": "ya29.first-token", "BRIDGECAST_YOUTUBE_API_BASE": youtube.origin}
    connector = connector_from_spec(f"youtube:{youtube.broadcast_id}", env, backoff=fast_backoff(),
                                    viewers_interval_s=60)
    hub.add(connector)
    hub.start()
    return connector


def texts(sink):
    return [e.text for e in sink.of(EventType.COMMENT, "youtube")]


def test_a_reply_listed_back_is_not_a_comment_but_the_hosts_own_messages_are(youtube, connector, hub, sink):
    youtube.add_message("Mai", "Size M?")
    assert wait_until(lambda: texts(sink) == ["Size M?"], 10), connector.status.to_dict()
    question = sink.of(EventType.COMMENT, "youtube")[0]
    hub.reply(hub.connector_for(question), "Yes, M is in stock", to=question)
    inserted_id = youtube.messages[-1]["id"]
    assert youtube.messages[-1]["snippet"]["displayMessage"] == "@Mai Yes, M is in stock"
    # Something said after the reply proves the reply's page was read.
    youtube.add_message("Lina", "after the reply")
    assert wait_until(lambda: "after the reply" in texts(sink), 10)
    assert texts(sink) == ["Size M?", "after the reply"]
    assert inserted_id in youtube.served_ids and connector.echoes_skipped == 1
    assert connector.own_channel_id == "UCowner"
    # The host typing in YouTube's own chat box (same channel, not one of our replies) is heard.
    youtube.add_message("Silk Road Shop", "Welcome everyone!", channel_id="UCowner", is_chat_owner=True)
    assert wait_until(lambda: "Welcome everyone!" in texts(sink), 10)


def test_a_reply_whose_insert_answer_was_lost_is_still_known_by_its_text_and_channel(youtube, connector, hub, sink):
    youtube.add_message("Mai", "Size M?")
    assert wait_until(lambda: texts(sink) == ["Size M?"], 10)
    question = sink.of(EventType.COMMENT, "youtube")[0]
    hub.reply(hub.connector_for(question), "Yes", to=question)
    hub.reply(hub.connector_for(question), "Restocked tonight", to=question)
    # The same text listed under an id insert never told us (its answer lost on the way back).
    youtube.add_message("Silk Road Shop", "@Mai Restocked tonight", channel_id="UCowner", message_id="LCC.lost")
    youtube.add_message("Lina", "marker")
    assert wait_until(lambda: "marker" in texts(sink), 10)
    assert texts(sink) == ["Size M?", "marker"] and connector.echoes_skipped == 3
