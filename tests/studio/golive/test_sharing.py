"""Each canvas is encoded once: which layer every output takes."""
from __future__ import annotations

import pytest

from encoders.ladder import default_ladder, ladder_bitrate_bps
from studio.golive.plan import GoLivePlan, RecordingPlan, RtmpTarget, WhipTarget
from studio.golive.sharing import plan_layers
from studio.scene import CanvasRole

H, V = CanvasRole.HORIZONTAL, CanvasRole.VERTICAL
CANVAS = (1920, 1080)


def _rids(layers):
    return [layer.rid for layer in layers]


def test_a_horizontal_rtmp_destination_takes_the_whip_top_layer_as_it_is():
    plan = GoLivePlan(whip=WhipTarget(), rtmp=(RtmpTarget("rtmp://127.0.0.1/live/KEY-1", id="yt"),))
    result = plan_layers(plan, CANVAS, 30)
    assert _rids(result.layers[H]) == ["h", "m", "l"] and V not in result.layers
    assert result.rtmp_rids["yt"] == (H, "h")
    assert result.shared_by(H, "h") == 2 and result.shared_by(H, "m") == 1


def test_the_same_rate_as_the_top_layer_still_shares_it_and_another_rate_gets_one_shared_encoder():
    top_bps = default_ladder(*CANVAS, 30)[0].bitrate_bps
    plan = GoLivePlan(whip=WhipTarget(), rtmp=(
        RtmpTarget("rtmp://127.0.0.1/live/a", id="same", bitrate_bps=top_bps),
        RtmpTarget("rtmp://127.0.0.1/live/b", id="twitch", bitrate_bps=6_000_000),
        RtmpTarget("rtmp://127.0.0.1/live/c", id="kick", bitrate_bps=6_000_000),
    ))
    result = plan_layers(plan, CANVAS, 30)
    assert result.rtmp_rids["same"] == (H, "h")
    assert result.rtmp_rids["twitch"] == result.rtmp_rids["kick"] == (H, "r")
    extra = result.layers[H][-1]
    assert (extra.rid, extra.width, extra.height, extra.bitrate_bps) == ("r", 1920, 1080, 6_000_000)
    assert result.shared_by(H, "r") == 2


def test_vertical_destinations_share_one_encoder_per_rate():
    plan = GoLivePlan(whip=WhipTarget(), vertical_canvas=(1080, 1920), rtmp=(
        RtmpTarget("rtmps://127.0.0.1/live/t", id="tiktok", canvas=V),
        RtmpTarget("rtmps://127.0.0.1/live/s", id="shopee", canvas=V),
        RtmpTarget("rtmps://127.0.0.1/live/i", id="ig", canvas=V, bitrate_bps=3_000_000),
    ))
    result = plan_layers(plan, CANVAS, 30)
    vertical = result.layers[V]
    assert [(l.rid, l.width, l.height) for l in vertical] == [("v", 1080, 1920), ("v1", 1080, 1920)]
    assert vertical[0].bitrate_bps == ladder_bitrate_bps(1080, 1920, 30)
    assert result.rtmp_rids["tiktok"] == result.rtmp_rids["shopee"] == (V, "v")
    assert result.rtmp_rids["ig"] == (V, "v1")


def test_without_whip_only_what_the_outputs_take_is_encoded():
    plan = GoLivePlan(whip=None, rtmp=(RtmpTarget("rtmp://127.0.0.1/live/k", id="yt"),),
                      recording=RecordingPlan(path="show.mkv"))
    result = plan_layers(plan, CANVAS, 30)
    assert _rids(result.layers[H]) == ["h"] and result.whip_rids == []
    assert result.rtmp_rids["yt"] == (H, "h") and result.record_rid == "h"
    only_vertical = plan_layers(GoLivePlan(whip=None, rtmp=(RtmpTarget("rtmp://127.0.0.1/live/k", id="tt", canvas=V),)), CANVAS, 30)
    assert H not in only_vertical.layers and _rids(only_vertical.layers[V]) == ["v"]


def test_plans_are_refused_up_front_in_words_with_the_key_masked():
    with pytest.raises(ValueError) as bad_scheme:
        RtmpTarget("http://example.com/live/SECRET-KEY")
    assert "SECRET-KEY" not in str(bad_scheme.value)
    with pytest.raises(ValueError):
        RtmpTarget("rtmp://example.com/live/k", bitrate_bps=10)
    with pytest.raises(ValueError):
        GoLivePlan(rtmp=(RtmpTarget("rtmp://a/live/1", id="x"), RtmpTarget("rtmp://a/live/2", id="x")))
    with pytest.raises(ValueError):
        GoLivePlan(vertical_canvas=(1081, 1920))
    with pytest.raises(ValueError):
        GoLivePlan(whip=WhipTarget(codec="vp8"), rtmp=(RtmpTarget("rtmp://a/live/1"),))
    target = RtmpTarget("rtmps://live.example.com/app/SECRET-KEY", name=None)
    assert "SECRET-KEY" not in repr(target) and "SECRET-KEY" not in target.label
