"""RtmpOutput's hand-off: never blocks, starts on a keyframe, drops back to decodable points when full."""
from __future__ import annotations

from fractions import Fraction

import pytest

from encoders.base import EncodedPacket
from studio.outputs.aac import AacPacket
from studio.outputs.rtmp import RtmpOutput
from studio.outputs.state import OutputState

FRAME_NS = 33_333_333


def picture(index: int, *, is_keyframe: bool = False, rid: str = "h") -> EncodedPacket:
    return EncodedPacket(data=b"\x00\x00\x00\x01\x65" if is_keyframe else b"\x00\x00\x00\x01\x41", pts=index * 3000,
                         dts=index * 3000, time_base=Fraction(1, 90_000), is_keyframe=is_keyframe, rid=rid,
                         width=640, height=360, codec="h264", encoder_name="libx264", capture_ns=index * FRAME_NS)


def sound(index: int) -> AacPacket:
    return AacPacket(data=b"\x21\x00", pts_samples=index * 1024, capture_ns=index * 21_333_333, extradata=b"\x11\x90")


@pytest.fixture
def output():
    requests = []
    out = RtmpOutput("rtmp://127.0.0.1:9/live/QUEUE-KEY", width=640, height=360, fps=30, has_audio=True,
                     max_queue_packets=10, video_rid="h", on_keyframe_request=lambda: requests.append(1))
    out.requests = requests
    return out


def queued(output) -> list[tuple[bool, int, bool]]:
    return [(item.is_video, item.capture_ns, item.is_keyframe) for item in output._queue]


def test_nothing_is_taken_before_a_connection_wants_it(output):
    output.on_video_packet(picture(0, is_keyframe=True))
    output.on_audio_packet(sound(0))
    assert queued(output) == [] and output.state is OutputState.STOPPED


def test_a_connection_starts_on_a_keyframe_with_the_sound_captured_since(output):
    output._begin_accepting()  # what each (re)connection does first
    assert output.requests == [1]  # it asked the encoder for a keyframe
    output.on_video_packet(picture(1))  # not a keyframe: skipped
    output.on_audio_packet(sound(0))  # before the keyframe's capture time: dropped at the keyframe
    output.on_audio_packet(sound(5))
    output.on_video_packet(picture(2, rid="m"))  # another layer: never this output's
    output.on_video_packet(picture(3, is_keyframe=True))
    output.on_video_packet(picture(4))
    assert queued(output) == [(True, 3 * FRAME_NS, True), (False, 5 * 21_333_333, True), (True, 4 * FRAME_NS, False)]
    assert output.skipped_before_keyframe == 1


def test_full_queue_skips_pictures_until_the_next_keyframe_then_starts_over_there(output):
    output._begin_accepting()
    output.on_video_packet(picture(0, is_keyframe=True))
    for index in range(1, 10):
        output.on_video_packet(picture(index))
    assert len(output._queue) == 10
    output.on_video_packet(picture(10))  # full: dropped, and everything until a keyframe
    output.on_audio_packet(sound(20))  # sound is dropped oldest-first... but the queue holds only pictures
    output.on_video_packet(picture(11))
    assert output.dropped_video == 2 and len(output._queue) == 10
    output.on_video_packet(picture(12, is_keyframe=True))
    # The keyframe replaced the whole stale run: what is queued decodes from its first packet.
    assert queued(output)[0] == (True, 12 * FRAME_NS, True)
    assert output.dropped_video == 2 + 10
    assert output.stats()["dropped_packets"] == output.dropped_video + output.dropped_audio


def test_full_queue_drops_the_oldest_sound_first(output):
    output._begin_accepting()
    output.on_video_packet(picture(0, is_keyframe=True))
    for index in range(1, 10):
        output.on_audio_packet(sound(index))
    output.on_audio_packet(sound(10))
    assert output.dropped_audio == 1
    captured = [capture for is_video, capture, _k in queued(output) if not is_video]
    assert captured[0] == 2 * 21_333_333 and captured[-1] == 10 * 21_333_333


def test_stats_before_start_show_only_the_masked_address(output):
    stats = output.stats()
    assert stats["url"] == "rtmp://127.0.0.1:9/live/****"
    assert "QUEUE-KEY" not in repr(output) + str(stats)
    assert stats["bitrate_bps"] is None and stats["fps"] is None and stats["reconnects"] == 0


def test_rejects_bad_settings():
    with pytest.raises(ValueError):
        RtmpOutput("rtmp://h/live/k", width=0, height=360, fps=30, has_audio=False)
    with pytest.raises(ValueError) as info:
        RtmpOutput("https://h/live/SECRETKEY", width=640, height=360, fps=30, has_audio=False)
    assert "SECRETKEY" not in str(info.value)
