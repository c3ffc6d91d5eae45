"""Lifting a ban: YouTube's liveChatBans.delete needs the id liveChatBans.insert answered, so a
ban made before this session cannot be lifted from here — and the connector says so in words."""
from __future__ import annotations

import pytest

from bench.testbed.platforms.youtube import YouTubeStandIn
from studio.connectors import ConnectorError, EventType, connector_from_spec
from studio.connectors.base import Action
from tests.helpers import wait_until


@pytest.fixture
def youtube():
    server = YouTubeStandIn(polling_interval_ms=40).start()
    yield server
    server.stop()


def test_youtube_lifts_the_ban_it_made_and_names_the_one_it_cannot(youtube, hub, sink, fast_backoff):
    youtube.add_message("spammer", "buy followers", channel_id="UCspammer")
    youtube.add_message("other", "old ban", channel_id="UCother")
    connector = connector_from_spec(f"youtube:{youtube.broadcast_id}", {
        "BRIDGECAST_YOUTUBE_TOKEN": "ya29.first-token", "BRIDGECAST_YOUTUBE_API_BASE": youtube.origin},
        backoff=fast_backoff(), viewers_interval_s=60)
    hub.add(connector)
    hub.start()
    assert wait_until(lambda: len(sink.of(EventType.COMMENT, "youtube")) == 2, 10)
    spam, other = sink.of(EventType.COMMENT, "youtube")
    hub.moderate(connector.name, Action.BAN, spam)
    hub.moderate(connector.name, Action.UNBAN, spam)
    assert len(youtube.unbanned) == 1
    with pytest.raises(ConnectorError, match="lift it in YouTube Studio"):
        hub.moderate(connector.name, Action.UNBAN, other)
