"""Layer bookkeeping: the measured output rate over the last second of content, timing medians,
and the pts a ladder gives capture times."""
from fractions import Fraction

from encoders.layer_stats import STATS_WINDOW, FrameTimings, LayerStats, OutputWindow, median_ms
from encoders.timestamps import CaptureTimestamps
from tests.encoders.conftest import BASE_NS, capture_ns

RTP = Fraction(1, 90_000)


def test_output_window_measures_the_last_second_of_content():
    window = OutputWindow(RTP)
    assert window.rates() == (None, None)
    for index in range(90):  # 3 s at 30 fps, 1000 bytes a frame (two packets for every 10th)
        window.add(index * 3000, 1000)
        if index % 10 == 0:
            window.add(index * 3000, 500)
    bitrate_bps, fps = window.rates()
    assert fps == 30.0
    # 30 frames after the first in the window, 3 of them with the extra packet.
    assert bitrate_bps == int((30 * 1000 + 3 * 500) * 8 / 1.0)


def test_timings_keep_a_bounded_window_and_clear():
    timings = FrameTimings()
    for index in range(STATS_WINDOW + 50):
        timings.add(scale_ms=1.0, encode_ms=float(index), frame_ms=2.0, frame_cpu_ms=1.5)
    assert len(timings.encode_ms) == STATS_WINDOW
    assert median_ms(timings.encode_ms) == (50 + STATS_WINDOW + 49) / 2
    timings.clear()
    assert median_ms(timings.frame_ms) is None


def test_stats_as_dict_mirrors_active():
    stats = LayerStats("l", 320, 180, 30, 300_000, None, None, 1, 1, 0, 1, 0, 0, 100, None, None, None, None, True, False, "libx264", False, 0, 0)
    data = stats.as_dict()
    assert data["active"] is True and data["is_active"] is True and data["rid"] == "l"


def test_capture_timestamps_round_to_ticks_and_never_repeat():
    timestamps = CaptureTimestamps(RTP)
    assert timestamps.origin_ns is None
    stamps = [BASE_NS, capture_ns(1), capture_ns(1), capture_ns(2) - 5, BASE_NS]
    assert [timestamps.pts_for(stamp) for stamp in stamps] == [0, 3000, 3001, 6000, 6001]
    assert timestamps.origin_ns == BASE_NS
