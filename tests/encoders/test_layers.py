"""Layer specs: what a layer may be, and the names callers keep importing from encoders.ladder."""
import pytest

import encoders.ladder
import encoders.layer_stats
import encoders.layers
from encoders.layers import MIN_LAYER_BITRATE_BPS, LayerSpec, ladder_bitrate_bps


@pytest.mark.parametrize(
    "args",
    [("", 320, 180, 300_000, 30), ("l", 321, 180, 300_000, 30), ("l", 320, 0, 300_000, 30), ("l", 320, 180, 0, 30), ("l", 320, 180, 300_000, 0)],
)
def test_a_layer_needs_a_rid_an_even_size_and_positive_rates(args):
    with pytest.raises(ValueError):
        LayerSpec(*args)


def test_tiny_layers_get_the_minimum_bitrate():
    assert ladder_bitrate_bps(64, 36, 30) == MIN_LAYER_BITRATE_BPS


def test_names_stay_importable_from_encoders_ladder():
    for name in ("LayerSpec", "default_ladder", "ladder_bitrate_bps", "MIN_LAYER_BITRATE_BPS", "REFERENCE_BITRATES"):
        assert getattr(encoders.ladder, name) is getattr(encoders.layers, name)
    assert encoders.ladder.LayerStats is encoders.layer_stats.LayerStats
    assert encoders.ladder.KEYFRAME_MIN_INTERVAL_S == 0.5
