"""Real hardware encoders: run only where ``BRIDGECAST_TEST_HW`` names the hardware present.

    BRIDGECAST_TEST_HW=nvenc python -m pytest tests/encoders/test_hardware.py   (or qsv, vaapi, amf)

Like PyAV's own ``test_hardware_encode``: without the variable everything here is skipped, so a
user with a GPU can prove their path and CI without one stays green.
"""
import pytest

from encoders import probe
from encoders.base import EncoderSettings, create_encoder
from encoders.bitstream import h264_sps_info
from encoders.ladder import Ladder, default_ladder
from tests.encoders.conftest import HW_ENCODERS, HW_UNDER_TEST, assert_webrtc_h264, decode, make_frames

pytestmark = pytest.mark.skipif(HW_UNDER_TEST not in HW_ENCODERS, reason="set BRIDGECAST_TEST_HW=nvenc|qsv|vaapi|amf on a machine with that hardware")

H264_NAME = HW_ENCODERS.get(HW_UNDER_TEST, ("",))[0]


def test_probe_finds_the_hardware():
    rows = {row.name: row for row in probe.probe_encoders(use_cache=False)}
    assert rows[H264_NAME].available, rows[H264_NAME].reason
    assert probe.pick_encoder("h264", "auto") in {name for name, row in rows.items() if row.hardware and row.available and row.codec == "h264"}


def test_hardware_1080p_round_trip_is_webrtc_safe():
    frames = make_frames(1920, 1080, 45, noise=8)
    with create_encoder(H264_NAME) as encoder:
        encoder.open(EncoderSettings("h264", 1920, 1080, 30, 4_500_000, keyframe_interval_s=1.0))
        assert encoder.is_hardware
        packets = []
        for frame in frames:
            if frame.sequence == 20:
                encoder.request_keyframe()
                encoder.set_bitrate(2_000_000)
            packets.extend(encoder.encode(frame, frame.sequence * 3000))
        packets.extend(encoder.flush())
    assert_webrtc_h264(packets)
    assert 20 * 3000 in [packet.pts for packet in packets if packet.is_keyframe]
    info = h264_sps_info(packets[0].data)
    assert info is not None and info.level_idc >= 40
    decoded = decode(packets)
    assert len(decoded) == 45 and {(frame.width, frame.height) for frame in decoded} == {(1920, 1080)}


def test_hardware_ladder_round_trip():
    probe.probe_encoders(use_cache=False)
    frames = make_frames(1280, 720, 30, noise=8)
    packets = {"h": [], "m": [], "l": []}
    with Ladder(default_ladder(1280, 720, 30), encoder="auto", on_packet=lambda packet: packets[packet.rid].append(packet)) as ladder:
        assert ladder.stats()[0].is_hardware
        for frame in frames:
            ladder.submit(frame)
            assert ladder.drain(10)
    for rid, layer in zip("hml", default_ladder(1280, 720, 30)):
        assert_webrtc_h264(packets[rid])
        decoded = decode(packets[rid])
        assert len(decoded) == 30 and {(frame.width, frame.height) for frame in decoded} == {(layer.width, layer.height)}


@pytest.mark.skipif(HW_UNDER_TEST != "nvenc", reason="HEVC/AV1 hardware encoders are tested on NVENC")
@pytest.mark.parametrize(("name", "codec", "decoder"), [("hevc_nvenc", "hevc", "hevc"), ("av1_nvenc", "av1", "libdav1d")])
def test_nvenc_recording_codecs(name, codec, decoder):
    rows = {row.name: row for row in probe.probe_encoders()}
    if not rows[name].available:
        pytest.skip(f"{name}: {rows[name].reason}")
    frames = make_frames(1280, 720, 20, noise=8)
    with create_encoder(name) as encoder:
        encoder.open(EncoderSettings(codec, 1280, 720, 30, 3_000_000))
        packets = []
        for frame in frames:
            packets.extend(encoder.encode(frame, frame.sequence * 3000))
        packets.extend(encoder.flush())
    assert packets[0].is_keyframe and all(packet.dts <= packet.pts for packet in packets)
    assert len(decode(packets, decoder)) == 20
