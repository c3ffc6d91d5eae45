"""Single encoders: WebRTC-safe bitstreams, keyframes on request, live bitrate, reasons in words."""
from fractions import Fraction

import av
import pytest

from encoders.backends import BACKENDS, PyAVEncoder, explain_failure, h264_level_idc
from encoders.base import EncodedPacket, EncoderSettings, create_encoder, encoder_info, registered_encoders
from encoders.bitstream import h264_sps_info
from encoders.errors import EncoderUnavailable
from tests.encoders.conftest import HW_ENCODERS, HW_UNDER_TEST, assert_webrtc_h264, bitrate_bps, decode, make_frames


def encode_all(encoder, frames, step=3000):
    packets = []
    for frame in frames:
        packets.extend(encoder.encode(frame, frame.sequence * step))
    packets.extend(encoder.flush())
    return packets


def test_libx264_1080p_round_trip_is_webrtc_safe():
    frames = make_frames(1920, 1080, 36, noise=0)
    settings = EncoderSettings("h264", 1920, 1080, 30, 4_500_000, keyframe_interval_s=1.0, rid="h")
    with create_encoder("libx264") as encoder:
        encoder.open(settings)
        packets = encode_all(encoder, frames)
    assert_webrtc_h264(packets)
    assert [packet.pts for packet in packets] == [index * 3000 for index in range(36)]
    assert [packet.pts for packet in packets if packet.is_keyframe] == [0, 30 * 3000]  # GOP = interval × fps
    assert all(packet.rid == "h" and packet.encoder_name == "libx264" and not packet.is_hardware for packet in packets)
    assert all(packet.time_base == Fraction(1, 90_000) for packet in packets)
    assert [packet.capture_ns for packet in packets] == [frame.capture_ns for frame in frames]
    sps = h264_sps_info(packets[0].data)
    assert sps is not None and sps.level_idc >= 40, f"1080p needs level ≥ 4.0, SPS says {sps}"
    assert sps.is_constrained_baseline
    assert packets[0].extradata and h264_sps_info(packets[0].extradata) == sps
    assert packets[-1].profile_level_id == sps.profile_level_id and sps.profile_level_id.startswith("42")
    decoded = decode(packets)
    assert len(decoded) == 36
    assert {(frame.width, frame.height) for frame in decoded} == {(1920, 1080)}


@pytest.mark.parametrize(("width", "height", "fps", "level"), [(640, 360, 30, 31), (1280, 720, 30, 31), (1920, 1080, 30, 41), (1080, 1920, 30, 41), (1920, 1080, 60, 42), (3840, 2160, 30, 51)])
def test_level_fits_size_and_rate(width, height, fps, level):
    assert h264_level_idc(width, height, fps) == level


def test_keyframe_on_request():
    frames = make_frames(320, 180, 12)
    with create_encoder("libx264") as encoder:
        encoder.open(EncoderSettings("h264", 320, 180, 30, 300_000))
        packets = []
        for frame in frames:
            if frame.sequence == 7:
                encoder.request_keyframe()
            packets.extend(encoder.encode(frame, frame.sequence * 3000))
    assert [packet.pts // 3000 for packet in packets if packet.is_keyframe] == [0, 7]
    assert_webrtc_h264(packets)


def test_av_frames_of_another_size_are_scaled():
    frames = make_frames(640, 360, 3)
    with create_encoder("libx264") as encoder:
        encoder.open(EncoderSettings("h264", 320, 180, 30, 300_000))
        packets = []
        for frame in frames:
            av_frame = av.VideoFrame.from_ndarray(frame.image, format="bgr24")
            packets.extend(encoder.encode(av_frame, frame.sequence * 3000, capture_ns=frame.capture_ns))
    decoded = decode(packets)
    assert [(frame.width, frame.height) for frame in decoded] == [(320, 180)] * 3


def test_x264_bitrate_changes_in_place():
    frames = make_frames(640, 360, 240)
    settings = EncoderSettings("h264", 640, 360, 30, 1_500_000, max_bitrate_bps=1_500_000)
    with create_encoder("libx264") as encoder:
        encoder.open(settings)
        packets = []
        for frame in frames:
            if frame.sequence == 60:
                assert encoder.set_bitrate(500_000) is True
            packets.extend(encoder.encode(frame, frame.sequence * 3000))
        assert encoder.reopen_count == 0
    assert [packet.pts for packet in packets if packet.is_keyframe] == [0, 60 * 3000, 120 * 3000, 180 * 3000]  # schedule only
    measured = bitrate_bps(packets, 60 * 3000, 240 * 3000)
    assert measured == pytest.approx(500_000, rel=0.2)


def test_libvpx_reopens_for_a_new_bitrate_without_losing_a_frame():
    frames = make_frames(320, 180, 150)
    with create_encoder("libvpx") as encoder:
        encoder.open(EncoderSettings("vp8", 320, 180, 30, 800_000, keyframe_interval_s=10))
        packets = []
        for frame in frames:
            if frame.sequence == 30:
                assert encoder.is_bitrate_change_in_place(300_000) is False
                assert encoder.set_bitrate(300_000) is False
            packets.extend(encoder.encode(frame, frame.sequence * 3000))
        packets.extend(encoder.flush())
        assert encoder.reopen_count == 1
    assert [packet.pts // 3000 for packet in packets if packet.is_keyframe] == [0, 30]
    assert len(decode(packets, "vp8")) == 150
    assert bitrate_bps(packets, 30 * 3000, 150 * 3000) == pytest.approx(300_000, rel=0.2)


def test_packet_converts_to_av_packet():
    packet = EncodedPacket(b"\x00\x00\x00\x01\x65\x88", 3000, 3000, Fraction(1, 90_000), True, "m", 960, 540, "h264", "libx264", capture_ns=7)
    av_packet = packet.to_av_packet()
    assert (av_packet.pts, av_packet.dts, av_packet.time_base, av_packet.is_keyframe) == (3000, 3000, Fraction(1, 90_000), True)
    assert bytes(av_packet) == packet.data
    assert packet.time_s == pytest.approx(1 / 30)


@pytest.mark.parametrize("kwargs", [{"width": 641}, {"codec": "mpeg2"}, {"preset": "slow"}, {"bitrate_bps": 0}, {"max_bitrate_bps": 10}])
def test_settings_are_validated(kwargs):
    base = {"codec": "h264", "width": 640, "height": 360, "fps": 30, "bitrate_bps": 1_000_000}
    with pytest.raises(ValueError):
        EncoderSettings(**{**base, **kwargs})


def test_registry_knows_every_backend():
    names = {info.name for info in registered_encoders()}
    assert {backend.name for backend in BACKENDS} <= names
    assert encoder_info("libx264").codec == "h264" and not encoder_info("libx264").is_hardware
    assert encoder_info("h264_nvenc").is_hardware
    with pytest.raises(EncoderUnavailable):
        create_encoder("no_such_encoder")


@pytest.mark.parametrize("backend", [backend for backend in BACKENDS if backend.is_hardware], ids=lambda backend: backend.name)
def test_hardware_without_hardware_fails_in_words(backend):
    if backend.name in HW_ENCODERS.get(HW_UNDER_TEST, ()):
        pytest.skip(f"{backend.name} hardware is present (BRIDGECAST_TEST_HW={HW_UNDER_TEST})")
    encoder = PyAVEncoder(backend)
    with pytest.raises(EncoderUnavailable) as caught:
        encoder.open(EncoderSettings(backend.codec, 640, 360, 30, 1_000_000))
    error = caught.value
    assert error.encoder == backend.name
    assert error.cause is not None and "({detail})" not in error.cause.msgid, f"unexplained failure: {error.reason}"
    assert backend.name in str(error) and error.reason in str(error)


def test_explain_failure_covers_known_driver_messages():
    by_name = {backend.name: backend for backend in BACKENDS}
    cases = {
        ("h264_nvenc", "OpenEncodeSessionEx failed: incompatible client key (21)"): "no free NVENC session",
        ("h264_nvenc", "Driver does not support the required nvenc API version. Required: 13.0 Found: 12.1"): "too old",
        ("h264_nvenc", "Cannot load libcuda.so.1"): "libcuda.so.1",
        ("h264_qsv", "Error creating a MFX session: -9."): "QSV not available",
        ("h264_amf", "DLL libamfrt64.so.1 failed to open"): "AMF runtime",
        ("h264_v4l2m2m", "Could not find a valid device"): "V4L2",
    }
    for (name, line), expected in cases.items():
        assert expected in explain_failure(by_name[name], OSError("Operation not permitted"), [line]).text()


def test_hardware_reopen_happens_beside_the_running_session(monkeypatch):
    """A backend without live bitrate opens the new session in the background: no frame waits for it."""
    import time
    from dataclasses import replace

    from encoders.backends import BACKENDS_BY_NAME

    backend = replace(BACKENDS_BY_NAME["libx264"], is_hardware=True, has_live_bitrate=False, vendor="test")
    encoder = PyAVEncoder(backend)
    real_try_open = PyAVEncoder._try_open
    opens = []

    def slow_try_open(self, settings, options):
        opens.append(settings.bitrate_bps)
        if len(opens) > 1:
            time.sleep(0.3)  # a hardware session taking its time
        return real_try_open(self, settings, options)

    monkeypatch.setattr(PyAVEncoder, "_try_open", slow_try_open)
    frames = make_frames(320, 180, 40, noise=8)
    packets, slowest = [], 0.0
    with encoder:
        encoder.open(EncoderSettings("h264", 320, 180, 30, 600_000, keyframe_interval_s=10))
        for frame in frames:
            if frame.sequence == 5:
                assert encoder.set_bitrate(250_000) is False
            started = time.perf_counter()
            packets.extend(encoder.encode(frame, frame.sequence * 3000))
            slowest = max(slowest, time.perf_counter() - started)
            time.sleep(1 / 30)
        assert encoder.reopen_count == 1 and encoder.settings.bitrate_bps == 250_000
    assert opens == [600_000, 250_000]
    assert slowest < 0.2, f"an encode waited {slowest:.3f} s for the new session"
    keyframes = [packet.pts // 3000 for packet in packets if packet.is_keyframe]
    assert keyframes[0] == 0 and len(keyframes) == 2 and 10 <= keyframes[1] <= 25
    assert len(decode(packets)) == 40
