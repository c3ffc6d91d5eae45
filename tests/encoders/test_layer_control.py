"""A layer's rules without threads or encoders: pause epochs, resume keyframes, keyframe rate
limits and coalescing, a pending bitrate, a slower layer's frames."""
from fractions import Fraction

from encoders.base import EncodedPacket
from encoders.layer_control import LayerControl
from encoders.layer_stats import LayerCounters
from encoders.layers import LayerSpec
from tests.encoders.conftest import FPS, capture_ns

MIN_INTERVAL_NS = 500_000_000


def control_for(fps: float = FPS, program_fps: float = FPS) -> tuple[LayerControl, LayerCounters]:
    counters = LayerCounters()
    spec = LayerSpec("l", 320, 180, 300_000, fps)
    return LayerControl(spec, program_fps=program_fps, keyframe_min_interval_ns=MIN_INTERVAL_NS, counters=counters), counters


def packet(index: int, *, is_keyframe: bool = False) -> EncodedPacket:
    return EncodedPacket(b"\x00\x00\x00\x01", index * 3000, index * 3000, Fraction(1, 90_000), is_keyframe, "l", 320, 180, "h264", "libx264", capture_ns=capture_ns(index))


def test_a_frame_planned_before_a_pause_is_discarded_and_resume_waits_for_a_keyframe():
    control, counters = control_for()
    plan = control.plan_frame(capture_ns(0))
    assert plan is not None and not plan.is_keyframe_forced
    control.pause()
    assert control.plan_frame(capture_ns(1)) is None and counters.frames_paused == 1
    assert not control.admit_frame(plan.epoch, 2) and counters.packets_discarded == 2
    control.resume()
    resumed = control.plan_frame(capture_ns(2))
    assert resumed is not None and resumed.is_keyframe_forced and resumed.epoch == plan.epoch + 2
    assert control.admit_frame(resumed.epoch, 1)
    assert not control.admit(packet(2), capture_ns(2))  # not a keyframe: the decoder could not start on it
    assert control.admit(packet(3, is_keyframe=True), capture_ns(3))
    assert control.admit(packet(4), capture_ns(4))
    assert (counters.packets_discarded, counters.keyframes) == (3, 1)


def test_keyframe_requests_wait_for_the_minimum_interval_and_coalesce():
    control, counters = control_for()
    assert control.admit(packet(0, is_keyframe=True), capture_ns(0))
    assert control.request_keyframe() is True
    assert control.request_keyframe() is False  # absorbed by the waiting one
    assert not control.plan_frame(capture_ns(14)).is_keyframe_forced  # 467 ms after the last keyframe
    assert control.plan_frame(capture_ns(15)).is_keyframe_forced  # 500 ms
    assert control.plan_frame(capture_ns(16)).is_keyframe_forced  # still owed until one goes out
    assert control.admit(packet(16, is_keyframe=True), capture_ns(16))
    assert not control.plan_frame(capture_ns(17)).is_keyframe_forced
    assert (counters.keyframe_requests, counters.keyframe_requests_coalesced, counters.keyframes) == (2, 1, 2)


def test_a_new_bitrate_is_handed_over_once():
    control, _counters = control_for()
    control.set_bitrate(200_000)
    assert control.target_bitrate_bps == 200_000
    assert control.plan_frame(capture_ns(0)).new_bitrate_bps == 200_000
    assert control.plan_frame(capture_ns(1)).new_bitrate_bps is None
    assert control.target_bitrate_bps == 200_000


def test_a_slower_layer_keeps_every_other_frame_despite_jitter():
    control, counters = control_for(fps=15, program_fps=30)
    jitter_ns = [0, 2_000_000, -2_000_000, 1_000_000, 0, -3_000_000, 0, 0]
    kept = [index for index, jitter in enumerate(jitter_ns) if control.plan_frame(capture_ns(index) + jitter) is not None]
    assert kept == [0, 2, 4, 6]
    assert counters.frames_skipped_fps == 4


def test_a_failed_layer_takes_no_frames():
    control, counters = control_for()
    assert control.is_taking_frames
    control.mark_failed()
    assert not control.is_taking_frames and control.plan_frame(capture_ns(0)) is None
    assert counters.frames_paused == 0


def test_keyframes_come_by_capture_time_so_dropped_frames_never_stretch_the_interval():
    from encoders.layer_control import LayerControl
    from encoders.layer_stats import LayerCounters
    from encoders.layers import LayerSpec

    frame_ns = 1_000_000_000 // 30
    control = LayerControl(LayerSpec("h", 640, 360, 1_000_000, 30.0), program_fps=30.0, keyframe_min_interval_ns=500_000_000,
                           counters=LayerCounters(), keyframe_interval_ns=2_000_000_000)

    class Packet:
        def __init__(self, capture_ns, is_keyframe):
            self.capture_ns, self.is_keyframe = capture_ns, is_keyframe

    control.admit(Packet(0, True), 0)  # the first keyframe
    forced = []
    capture_ns = 0
    for index in range(1, 200):
        capture_ns = index * frame_ns
        if index % 7 == 0:
            continue  # a dropped frame: the program never had it
        plan = control.plan_frame(capture_ns)
        if plan.is_keyframe_forced:
            forced.append(capture_ns)
            control.admit(Packet(capture_ns, True), capture_ns)
    intervals = [b - a for a, b in zip([0] + forced, forced)]
    # At most one frame late (when the frame due was the one dropped), never a frame per drop.
    assert intervals and max(intervals) <= 2_000_000_000 + frame_ns
    assert min(intervals) >= 2_000_000_000 - frame_ns  # not more often than needed
