"""YouTube + Twitch + a generic source at once: one stream, nothing lost, nothing twice."""
from __future__ import annotations

import threading

from bench.testbed.platforms.twitch import TwitchStandIn
from bench.testbed.platforms.youtube import YouTubeStandIn
from studio.connectors import ConnectorState, EventType, connector_from_spec
from tests.helpers import wait_until

PER_SOURCE = 400


def test_three_platforms_merge_into_one_numbered_stream(hub, sink, fast_backoff):
    youtube = YouTubeStandIn(page_size=200, polling_interval_ms=20).start()
    twitch = TwitchStandIn().start()
    try:
        env = {"BRIDGECAST_YOUTUBE_TOKEN": "ya29.first-token", "BRIDGECAST_YOUTUBE_API_BASE": youtube.origin,
               "BRIDGECAST_TWITCH_TOKEN": "first-access-token", "BRIDGECAST_TWITCH_CLIENT_ID": twitch.client_id,
               "BRIDGECAST_TWITCH_NICK": twitch.bot_login, "BRIDGECAST_TWITCH_API_BASE": twitch.origin}
        yt = connector_from_spec("youtube:bc-1", env, backoff=fast_backoff(), viewers_interval_s=0.5)
        tw = connector_from_spec(f"twitch:{twitch.channel}", env, backoff=fast_backoff(), viewers_interval_s=0.5)
        for connector in (yt, tw, connector_from_spec("generic:tiktok", env)):
            hub.add(connector)
        hub.start()
        assert wait_until(lambda: tw.status.state is ConnectorState.LIVE and twitch.joined == 1, 10)
        youtube.concurrent_viewers, twitch.viewer_count = 1500, 800

        def generic_feed():
            for i in range(PER_SOURCE):
                hub.ingest({"platform": "tiktok", "type": "comment", "id": f"tt{i}", "author": f"v{i}", "text": f"tt {i}"})
                if i % 50 == 0:  # a bridge re-sending after a lost answer: must not count twice
                    hub.ingest({"platform": "tiktok", "type": "comment", "id": f"tt{i}", "author": f"v{i}", "text": f"tt {i}"})

        feeder = threading.Thread(target=generic_feed, name="generic-feed")
        feeder.start()
        yt_ids = [youtube.add_message(f"y{i}", f"yt {i}") for i in range(PER_SOURCE)]
        tw_ids = []
        for start in range(0, PER_SOURCE, 20):
            tw_ids += twitch.say_many([(f"t{i}", f"tw {i}") for i in range(start, start + 20)])
        feeder.join(30)

        def by(platform):
            return [e.platform_id for e in sink.of(EventType.COMMENT, platform)]
        assert wait_until(lambda: len(by("youtube")) == PER_SOURCE and len(by("twitch")) == PER_SOURCE
                          and len(by("tiktok")) == PER_SOURCE, 30), (len(by("youtube")), len(by("twitch")), len(by("tiktok")))
        assert by("youtube") == yt_ids and by("twitch") == tw_ids  # each source's own order is kept
        assert by("tiktok") == [f"tt{i}" for i in range(PER_SOURCE)] and hub.duplicates >= PER_SOURCE // 50
        seqs = [e.seq for e in sink.events]
        assert seqs == list(range(1, len(seqs) + 1))  # one gap-free numbering across platforms
        assert len({e.key for e in sink.events}) == len(sink.events)
        assert wait_until(lambda: hub.viewers() == {"youtube": 1500, "twitch": 800}, 10)
    finally:
        hub.stop()
        youtube.stop()
        twitch.stop()
