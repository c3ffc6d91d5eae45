"""The RTMP hand-off: never blocks, starts on a keyframe, drops back to decodable points when full."""
from __future__ import annotations

from fractions import Fraction

import pytest

from encoders.base import EncodedPacket
from studio.outputs.aac import AacPacket
from studio.outputs.rtmp import RtmpOutput
from studio.outputs.rtmp_queue import PacketQueue, RateWindow
from studio.outputs.state import OutputState

FRAME_NS = 33_333_333
SOUND_NS = 21_333_333
KEY, DELTA = b"\x00\x00\x00\x01\x65", b"\x00\x00\x00\x01\x41"


@pytest.fixture
def requests() -> list[int]:
    return []


@pytest.fixture
def queue(requests) -> PacketQueue:
    return PacketQueue(10, on_keyframe_needed=lambda: requests.append(1))


def picture(queue: PacketQueue, index: int, *, is_keyframe: bool = False) -> None:
    queue.put_video(KEY if is_keyframe else DELTA, index * FRAME_NS, is_keyframe)


def sound(queue: PacketQueue, index: int) -> None:
    queue.put_audio(b"\x21\x00", index * SOUND_NS)


def contents(queue: PacketQueue) -> list[tuple[bool, int, bool]]:
    return [(p.is_video, p.capture_ns, p.is_keyframe) for p in queue.take(0)]


def test_nothing_is_taken_before_a_connection_opens_it(queue, requests):
    picture(queue, 0, is_keyframe=True)
    sound(queue, 0)
    assert len(queue) == 0 and requests == []


def test_a_connection_starts_on_a_keyframe_with_the_sound_captured_since(queue, requests):
    queue.open()
    assert requests == [1]  # asked the encoder for a keyframe
    picture(queue, 1)  # not a keyframe: skipped
    sound(queue, 0)  # captured before the keyframe: dropped when it comes
    sound(queue, 5)
    picture(queue, 3, is_keyframe=True)
    picture(queue, 4)
    assert contents(queue) == [(True, 3 * FRAME_NS, True), (False, 5 * SOUND_NS, True), (True, 4 * FRAME_NS, False)]
    assert queue.skipped_before_keyframe == 1 and not queue.is_waiting_for_keyframe


def test_the_consumer_asks_again_at_most_once_per_interval_never_the_producer(requests):
    queue = PacketQueue(10, on_keyframe_needed=lambda: requests.append(1), keyframe_request_interval_s=0.0)
    queue.open()
    picture(queue, 0)  # the encoder's thread only appends (or skips)
    assert len(requests) == 1
    queue.ask_again_if_due()  # the writer's thread asks
    assert len(requests) == 2
    slow = PacketQueue(10, on_keyframe_needed=lambda: requests.append(2))
    slow.open()
    picture(slow, 0)
    slow.ask_again_if_due()
    assert requests.count(2) == 1  # within the second: not again


def test_full_queue_skips_pictures_until_the_next_keyframe_then_starts_over_there(requests):
    queue = PacketQueue(10, on_keyframe_needed=lambda: requests.append(1), keyframe_request_interval_s=0.0)
    queue.open()
    picture(queue, 0, is_keyframe=True)
    for index in range(1, 10):
        picture(queue, index)
    assert len(queue) == 10
    picture(queue, 10)  # full: dropped, and every picture after it until a keyframe
    sound(queue, 20)  # only pictures queued: this sound is the one dropped
    picture(queue, 11)
    assert (queue.dropped_video, queue.dropped_audio, len(queue)) == (2, 1, 10)
    assert requests == [1]  # the drop only flags it...
    queue.ask_again_if_due()
    assert requests == [1, 1]  # ...the consumer asks
    picture(queue, 12, is_keyframe=True)
    # The keyframe replaced the whole stale run: what is queued decodes from its first packet.
    assert contents(queue) == [(True, 12 * FRAME_NS, True)]
    assert queue.dropped_video == 2 + 10


def test_skipping_ends_at_a_keyframe_even_when_there_is_room_again(queue):
    queue.open()
    picture(queue, 0, is_keyframe=True)
    for index in range(1, 10):
        picture(queue, index)
    picture(queue, 10)  # overflow: skip to the next keyframe
    queue.take(0)  # the writer caught up
    picture(queue, 11)  # still skipped: it needs picture 10
    picture(queue, 12, is_keyframe=True)
    picture(queue, 13)
    assert contents(queue) == [(True, 12 * FRAME_NS, True), (True, 13 * FRAME_NS, False)]
    assert queue.dropped_video == 2


def test_full_queue_drops_the_oldest_sound_first(queue):
    queue.open()
    picture(queue, 0, is_keyframe=True)
    for index in range(1, 11):
        sound(queue, index)
    assert queue.dropped_audio == 1
    captured = [capture for is_video, capture, _k in contents(queue) if not is_video]
    assert captured[0] == 2 * SOUND_NS and captured[-1] == 10 * SOUND_NS


def test_closing_drops_everything_and_takes_nothing_more(queue):
    queue.open()
    picture(queue, 0, is_keyframe=True)
    queue.close()
    picture(queue, 1, is_keyframe=True)
    assert len(queue) == 0 and queue.dropped_video == 0


def test_rate_window_reports_bitrate_and_fps_since_start():
    window = RateWindow(2.0)
    assert window.rates(0.0) == (None, None)
    window.start(now=100.0)
    for index in range(30):  # one second of 30 fps at 1 kB per picture
        window.add(1000, True, now=100.0 + index / 30)
    assert window.rates(now=101.0) == (240_000, 30.0)
    assert window.rates(now=104.0) == (0, 0.0)  # nothing sent for two seconds


def test_rate_window_fps_does_not_depend_on_where_the_window_edge_falls():
    window = RateWindow(2.0)
    window.start(now=100.0)
    for index in range(150):  # five seconds of 30 fps pictures, by capture time
        window.add(1000, True, now=100.0 + index / 30)
    # A count would read 60/2 or 61/2 pictures a second depending on the edge's phase.
    assert {window.rates(now=104.0 + phase / 100)[1] for phase in range(0, 100, 7)} == {30.0}


def make_output(**kwargs) -> RtmpOutput:
    return RtmpOutput("rtmp://127.0.0.1:9/live/QUEUE-KEY", width=640, height=360, fps=30, has_audio=True, **kwargs)


def test_output_keeps_only_its_layer_and_h264():
    output = make_output(video_rid="h")
    output._queue.open()  # as a connection does
    for rid, codec in (("m", "h264"), ("h", "vp8"), ("h", "h264")):
        output.on_video_packet(EncodedPacket(data=KEY, pts=0, dts=0, time_base=Fraction(1, 90_000), is_keyframe=True,
                                             rid=rid, width=640, height=360, codec=codec, encoder_name="x",
                                             capture_ns=1))
    output.on_audio_packet(AacPacket(data=b"\x21\x00", pts_samples=0, capture_ns=2, extradata=b"\x11\x90"))
    assert output.stats()["queued"] == 2


def test_stats_before_start_show_only_the_masked_address():
    output = make_output()
    stats = output.stats()
    assert stats["url"] == "rtmp://127.0.0.1:9/live/****" and stats["state"] == OutputState.STOPPED
    assert "QUEUE-KEY" not in repr(output) + str(stats)
    assert stats["bitrate_bps"] is None and stats["fps"] is None and stats["reconnects"] == 0


def test_rejects_bad_settings():
    with pytest.raises(ValueError):
        RtmpOutput("rtmp://h/live/k", width=0, height=360, fps=30, has_audio=False)
    with pytest.raises(ValueError) as info:
        RtmpOutput("https://h/live/SECRETKEY", width=640, height=360, fps=30, has_audio=False)
    assert "SECRETKEY" not in str(info.value)
