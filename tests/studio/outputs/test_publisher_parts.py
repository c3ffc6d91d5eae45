"""The WHIP publisher's settings and states as typed values (no network)."""
from __future__ import annotations

import json

from encoders.ladder import LayerSpec
from studio.outputs import publisher as publisher_module
from studio.outputs.publisher import WhipPublisher
from studio.outputs.publisher_options import PublisherTimeouts, ReconnectPolicy
from studio.outputs.reconnect import Backoff
from studio.outputs.state import EventsChannelState, OutputState, state_label

LAYERS = [LayerSpec("h", 640, 360, 1_000_000, 30), LayerSpec("l", 320, 180, 300_000, 30)]


def test_keyword_arguments_are_grouped_into_typed_settings():
    backoff = Backoff(1.0, 4.0)
    publisher = WhipPublisher(
        "http://198.18.0.1/whip", layers=LAYERS, request_timeout_s=3, ice_timeout_s=4, dtls_timeout_s=5,
        stop_timeout_s=6, reconnect_attempts=2, backoff=backoff, rtcp_silence_s=1.5, disconnect_grace_s=0.5,
        ice_restart=False,
    )
    assert publisher.timeouts == PublisherTimeouts(3.0, 4.0, 5.0, 6.0)
    policy = publisher.reconnect_policy
    assert policy == ReconnectPolicy(2, backoff, 1.5, 0.5, False)
    assert policy.is_exhausted(2) and not policy.is_exhausted(1)
    assert not ReconnectPolicy().is_exhausted(10_000)  # None: forever


def test_states_are_one_str_enum_and_stats_stay_plain_json():
    assert publisher_module.LIVE is OutputState.LIVE and publisher_module.LIVE == "live"
    assert [str(state) for state in publisher_module.STATES] == ["connecting", "live", "reconnecting", "stopped", "failed"]
    assert state_label("reconnecting") == "Reconnecting"
    publisher = WhipPublisher("http://198.18.0.1/whip", layers=LAYERS, events_channel=True)
    stats = json.loads(json.dumps(publisher.stats()))
    assert stats["state"] == "stopped"
    assert stats["events_channel"]["state"] == "off" and stats["events_channel"]["requested"] is True
    assert publisher.events_channel_state is EventsChannelState.OFF
    assert [layer["rid"] for layer in stats["layers"]] == ["h", "l"]
