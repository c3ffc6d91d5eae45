"""The simulcast ladder: sizes, round trips per layer, timestamps, bitrate, pause/resume, fallback."""
import threading
import time
from collections import defaultdict

import pytest

from encoders.bitstream import h264_sps_info
from encoders.ladder import Ladder, LayerSpec, default_ladder, ladder_bitrate_bps
from studio.core.frame import LatestSlot, VideoFrame
from tests.encoders.conftest import BASE_NS, FRAME_NS, HW_UNDER_TEST, assert_webrtc_h264, bitrate_bps, capture_ns, decode, make_frames


class Collector:
    """on_packet target: packets per rid, in delivery order."""

    def __init__(self) -> None:
        self.by_rid = defaultdict(list)
        self.lock = threading.Lock()

    def __call__(self, packet) -> None:
        with self.lock:
            self.by_rid[packet.rid].append(packet)

    def count(self, rid: str) -> int:
        with self.lock:
            return len(self.by_rid[rid])


def feed(ladder: Ladder, frames) -> None:
    """Submit frames one at a time, waiting for each (content time, as fast as possible, no drops)."""
    for frame in frames:
        ladder.submit(frame)
        assert ladder.drain(10), "ladder did not finish a frame"


# ------------------------------------------------------------------------------------------ sizes


def test_default_ladder_1080p():
    assert default_ladder(1920, 1080, 30) == [
        LayerSpec("h", 1920, 1080, 4_500_000, 30),
        LayerSpec("m", 960, 540, 1_200_000, 30),
        LayerSpec("l", 480, 270, 300_000, 30),
    ]


def test_default_ladder_vertical_and_other_canvases():
    vertical = default_ladder(1080, 1920, 30)
    assert [(layer.width, layer.height) for layer in vertical] == [(1080, 1920), (540, 960), (270, 480)]
    assert [layer.bitrate_bps for layer in vertical] == [4_500_000, 1_200_000, 300_000]  # same pixel counts
    hd = default_ladder(1280, 720, 30)
    assert [(layer.width, layer.height) for layer in hd] == [(1280, 720), (640, 360), (320, 180)]
    assert 1_200_000 < hd[0].bitrate_bps < 4_500_000 and 300_000 < hd[1].bitrate_bps < 1_200_000
    odd = default_ladder(854, 480, 30)
    assert all(layer.width % 2 == 0 and layer.height % 2 == 0 for layer in odd)
    assert ladder_bitrate_bps(1920, 1080, 60) > 4_500_000  # more frames, more bits


# ------------------------------------------------------------------------------------------ round trips


def test_every_layer_round_trips_with_exact_sizes_counts_and_timestamps():
    frames = make_frames(1280, 720, 40, noise=8)
    collect = Collector()
    with Ladder(default_ladder(1280, 720, 30), encoder="libx264", keyframe_interval_s=1.0, on_packet=collect) as ladder:
        feed(ladder, frames)
        stats = {entry.rid: entry for entry in ladder.stats()}
    for layer in default_ladder(1280, 720, 30):
        packets = collect.by_rid[layer.rid]
        assert_webrtc_h264(packets)
        decoded = decode(packets)
        assert len(decoded) == len(frames), f"layer {layer.rid}"
        assert {(frame.width, frame.height) for frame in decoded} == {(layer.width, layer.height)}
        # 90 kHz from capture time, identical across layers, first frame at 0.
        assert [packet.pts for packet in packets] == [index * 3000 for index in range(40)]
        assert [packet.capture_ns for packet in packets] == [frame.capture_ns for frame in frames]
        assert [packet.pts for packet in packets if packet.is_keyframe] == [0, 90_000]
        assert all(packet.width == layer.width and packet.height == layer.height and packet.extradata for packet in packets)
        entry = stats[layer.rid]
        assert (entry.frames_in, entry.frames_encoded, entry.dropped, entry.keyframes) == (40, 40, 0, 2)
        assert entry.encoder == "libx264" and not entry.is_hardware and entry.is_active
        assert entry.output_fps == pytest.approx(30, rel=0.05)
    assert h264_sps_info(collect.by_rid["h"][0].data).level_idc >= 31


def test_1080p_layer_carries_a_level_for_1080p():
    collect = Collector()
    with Ladder([LayerSpec("h", 1920, 1080, 4_500_000, 30)], encoder="libx264", on_packet=collect) as ladder:
        feed(ladder, make_frames(1920, 1080, 2, noise=0))
    info = h264_sps_info(collect.by_rid["h"][0].data)
    assert info.level_idc >= 40 and info.is_constrained_baseline


def test_pts_stay_monotonic_when_capture_times_repeat_or_jitter():
    frames = make_frames(320, 180, 6, noise=0)
    stamps = [BASE_NS, BASE_NS + 33_000_000, BASE_NS + 33_000_000, BASE_NS + 66_600_000, BASE_NS + 66_600_001, BASE_NS + 100_000_000]
    collect = Collector()
    with Ladder([LayerSpec("l", 320, 180, 300_000, 30)], encoder="libx264", on_packet=collect) as ladder:
        feed(ladder, [VideoFrame(frame.image, stamp, index) for index, (frame, stamp) in enumerate(zip(frames, stamps))])
        assert ladder.origin_ns == BASE_NS
    assert [packet.pts for packet in collect.by_rid["l"]] == [0, 2970, 2971, 5994, 5995, 9000]


def test_submit_never_blocks_and_drops_are_counted():
    frames = make_frames(1920, 1080, 8, noise=0)
    collect = Collector()
    with Ladder(default_ladder(1920, 1080, 30), encoder="libx264", on_packet=collect) as ladder:
        started = time.perf_counter()
        for index in range(120):
            frame = frames[index % len(frames)]
            ladder.submit(VideoFrame(frame.image, capture_ns(index), index))
        submit_s = time.perf_counter() - started
        assert ladder.drain(20)
        stats = ladder.stats()
        converted = stats[0].frames_in
        assert ladder.input_dropped + converted == 120
    assert submit_s < 0.5, f"submit took {submit_s:.3f} s for 120 frames: it must not convert or encode"
    for entry in stats:
        assert entry.frames_in == converted
        assert entry.frames_encoded + entry.dropped == entry.frames_in
        assert collect.count(entry.rid) == entry.frames_encoded


def test_reads_frames_from_a_compositor_slot():
    slot: LatestSlot[VideoFrame] = LatestSlot()
    collect = Collector()
    with Ladder([LayerSpec("l", 320, 180, 300_000, 30)], encoder="libx264", on_packet=collect, source=slot) as ladder:
        for frame in make_frames(320, 180, 3, noise=0):
            slot.put(frame)
            assert ladder.drain(5)
    assert collect.count("l") == 3
    assert not slot.is_closed  # the compositor owns its slot


# ------------------------------------------------------------------------------------------ control


def test_bitrate_change_mid_stream_hits_the_new_target():
    """3 s at 1.5 Mbit/s, then 600 kbit/s: the next 5 s of content within ±20 %; then back up."""
    frames = make_frames(640, 360, 90 + 150 + 150, noise=24)
    collect = Collector()
    with Ladder([LayerSpec("m", 640, 360, 1_500_000, 30)], encoder="libx264", on_packet=collect) as ladder:
        feed(ladder, frames[:90])
        assert ladder.set_bitrate("m", 600_000) is True  # x264: in place, no keyframe
        feed(ladder, frames[90:240])
        assert ladder.set_bitrate("m", 1_500_000) is True  # back up to the layer's ceiling: in place too
        feed(ladder, frames[240:])
        stats = ladder.layer_stats("m")
    packets = collect.by_rid["m"]
    assert bitrate_bps(packets, 0, 90 * 3000) == pytest.approx(1_500_000, rel=0.2)
    assert bitrate_bps(packets, 90 * 3000, 240 * 3000) == pytest.approx(600_000, rel=0.2)
    assert bitrate_bps(packets, 240 * 3000, 390 * 3000) == pytest.approx(1_500_000, rel=0.2)
    assert stats.reopens == 0 and stats.bitrate_bps == 1_500_000
    assert [packet.pts // 3000 for packet in packets if packet.is_keyframe] == [0, 60, 120, 180, 240, 300, 360]
    assert len(decode(packets)) == len(frames)


def test_bitrate_above_the_ceiling_reopens_on_a_keyframe_without_losing_frames():
    frames = make_frames(320, 180, 60, noise=16)
    collect = Collector()
    with Ladder([LayerSpec("l", 320, 180, 300_000, 30)], encoder="libx264", keyframe_interval_s=10, on_packet=collect) as ladder:
        feed(ladder, frames[:20])
        assert ladder.set_bitrate("l", 900_000) is False
        feed(ladder, frames[20:])
        assert ladder.layer_stats("l").reopens == 1
    packets = collect.by_rid["l"]
    assert [packet.pts // 3000 for packet in packets if packet.is_keyframe] == [0, 20]
    assert len(decode(packets)) == 60


def test_vp8_ladder_bitrate_change_by_reopening():
    frames = make_frames(320, 180, 30 + 150, noise=24)
    collect = Collector()
    with Ladder([LayerSpec("l", 320, 180, 800_000, 30)], codec="vp8", encoder="libvpx", keyframe_interval_s=10, on_packet=collect) as ladder:
        feed(ladder, frames[:30])
        assert ladder.set_bitrate("l", 300_000) is False
        feed(ladder, frames[30:])
    packets = collect.by_rid["l"]
    assert packets[0].codec == "vp8" and packets[0].extradata is None
    assert [packet.pts // 3000 for packet in packets if packet.is_keyframe] == [0, 30]
    assert bitrate_bps(packets, 30 * 3000, 180 * 3000) == pytest.approx(300_000, rel=0.2)
    assert len(decode(packets, "vp8")) == len(frames)


def test_paused_layer_is_silent_and_resumes_on_a_keyframe():
    frames = make_frames(640, 360, 45, noise=8)
    collect = Collector()
    layers = default_ladder(640, 360, 30)
    with Ladder(layers, encoder="libx264", keyframe_interval_s=10, on_packet=collect) as ladder:
        feed(ladder, frames[:10])
        ladder.pause("h")
        assert not ladder.is_active("h")
        count_at_pause = collect.count("h")
        feed(ladder, frames[10:25])
        assert collect.count("h") == count_at_pause, "a paused layer delivered packets"
        assert ladder.layer_stats("h").is_active is False
        ladder.resume("h")
        feed(ladder, frames[25:])
    high = collect.by_rid["h"]
    assert [packet.pts // 3000 for packet in high] == list(range(10)) + list(range(25, 45))
    first_after = high[10]
    assert first_after.pts == 25 * 3000 and first_after.is_keyframe
    assert len(decode(high)) == 30
    assert len(decode(collect.by_rid["m"])) == 45  # other layers untouched
    assert [packet.pts for packet in collect.by_rid["m"] if packet.is_keyframe] == [0]


def test_keyframe_requests_are_rate_limited_and_coalesced():
    """At most one keyframe per 500 ms per layer: a burst gives one, an early request waits."""
    frames = make_frames(320, 180, 70, noise=0)
    collect = Collector()
    with Ladder([LayerSpec("l", 320, 180, 300_000, 30)], encoder="libx264", keyframe_interval_s=10, on_packet=collect) as ladder:
        feed(ladder, frames[:8])
        assert ladder.request_keyframe("l") is True  # 267 ms after the first keyframe: waits for 500 ms
        feed(ladder, frames[8:32])
        assert ladder.request_keyframe("l") is True  # 567 ms after the last one: at once
        for _ in range(4):  # a server's burst of PLIs
            assert ladder.request_keyframe("l") is False
        feed(ladder, frames[32:34])
        assert ladder.request_keyframe("l") is True  # 67 ms after the last keyframe: waits
        feed(ladder, frames[34:65])
        assert ladder.request_keyframe() is True  # every layer
        feed(ladder, frames[65:])
        stats = ladder.layer_stats("l")
    keyframes = [packet.pts // 3000 for packet in collect.by_rid["l"] if packet.is_keyframe]
    assert keyframes == [0, 15, 32, 47, 65]
    assert (stats.keyframe_requests, stats.keyframe_requests_coalesced, stats.keyframes) == (8, 4, 5)


# ------------------------------------------------------------------------------------------ fallback


def test_hardware_failing_mid_stream_is_replaced_by_software(fake_hardware):
    fake_hardware.fail_on_frame = 8
    frames = make_frames(640, 360, 24, noise=8)
    collect = Collector()
    notices = []
    layers = [LayerSpec("h", 640, 360, 1_000_000, 30), LayerSpec("l", 320, 180, 300_000, 30)]
    with Ladder(layers, encoder="fakehw_h264", keyframe_interval_s=10, on_packet=collect) as ladder:
        ladder.notices.connect(lambda **payload: notices.append(payload))
        assert {entry.encoder for entry in ladder.stats()} == {"fakehw_h264"}
        feed(ladder, frames)
        stats = ladder.stats()
    for layer in layers:
        packets = collect.by_rid[layer.rid]
        assert [packet.pts // 3000 for packet in packets] == list(range(24)), "frame count broken by the fallback"
        assert {packet.encoder_name for packet in packets[:7]} == {"fakehw_h264"}
        assert {packet.encoder_name for packet in packets[7:]} == {"libx264"}
        assert packets[7].is_keyframe and not packets[7].is_hardware  # software starts on the failed frame
        assert len(decode(packets)) == 24
    assert [entry.fallbacks for entry in stats] == [1, 1]
    assert all(entry.encoder == "libx264" and not entry.is_hardware for entry in stats)
    failed = [notice for notice in notices if notice["code"] == "hardware_failed"]
    assert len(failed) == 1, "the user hears about the failure once"
    assert failed[0]["message"].startswith("Hardware encoder failed; switched to software")
    assert fake_hardware.open_sessions == 0


def test_lower_layers_use_software_when_hardware_sessions_run_out(fake_hardware):
    fake_hardware.max_sessions = 1
    collect = Collector()
    with Ladder(default_ladder(640, 360, 30), encoder="fakehw_h264", on_packet=collect) as ladder:
        encoders = {entry.rid: entry.encoder for entry in ladder.stats()}
        feed(ladder, make_frames(640, 360, 5, noise=0))
        notices = list(ladder.notices_sent)
    assert encoders == {"h": "fakehw_h264", "m": "libx264", "l": "libx264"}
    assert [len(decode(collect.by_rid[rid])) for rid in "hml"] == [5, 5, 5]
    assert [notice["code"] for notice in notices] == ["hardware_open_fallback"]
    assert "m, l" in notices[0]["message"] and "NVENC" in notices[0]["message"]


def test_pinned_encoder_missing_here_falls_back_with_a_notice():
    if "nvenc" in HW_UNDER_TEST:
        pytest.skip("NVENC present")
    collect = Collector()
    ladder = Ladder([LayerSpec("l", 320, 180, 300_000, 30)], encoder="h264_nvenc", on_packet=collect)
    with ladder:
        feed(ladder, make_frames(320, 180, 3, noise=0))
    assert ladder.chosen_encoder == "libx264"
    assert [notice["code"] for notice in ladder.notices_sent] == ["pinned_unavailable"]
    assert "NVIDIA" in ladder.notices_sent[0]["message"]
    assert collect.count("l") == 3


def test_unknown_layer_is_a_key_error_and_stop_is_idempotent():
    ladder = Ladder([LayerSpec("l", 320, 180, 300_000, 30)], encoder="libx264")
    ladder.start()
    try:
        with pytest.raises(KeyError):
            ladder.pause("x")
        with pytest.raises(KeyError):
            ladder.request_keyframe("x")
    finally:
        ladder.stop()
        ladder.stop()
    ladder.submit(make_frames(320, 180, 1, noise=0)[0])  # ignored after stop, no error
    with pytest.raises(ValueError):
        Ladder([LayerSpec("l", 320, 180, 300_000, 30), LayerSpec("l", 160, 90, 100_000, 30)])


def test_a_consumer_that_raises_does_not_stop_the_layer():
    calls = []

    def bad(packet):
        calls.append(packet.pts)
        raise RuntimeError("consumer bug")

    with Ladder([LayerSpec("l", 320, 180, 300_000, 30)], encoder="libx264", on_packet=bad) as ladder:
        feed(ladder, make_frames(320, 180, 4, noise=0))
    assert calls == [0, 3000, 6000, 9000]


def test_frame_ns_matches_the_test_clock():
    assert FRAME_NS == 33_333_333
