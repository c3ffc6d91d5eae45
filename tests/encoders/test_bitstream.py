"""Annex-B parsing, parameter sets restored on keyframes, SPS profile/level."""
from encoders.bitstream import H264SpsInfo, ParameterSets, h264_sps_info, iter_nals, nal_types

SPS = b"\x67\x42\xc0\x29\x8c\x8d\x40"  # Constrained Baseline, level 4.1
PPS = b"\x68\xce\x3c\x80"
IDR = b"\x65\x88\x84\x00\x33"
SLICE = b"\x41\x9a\x02\x03"


def annexb(*nals: bytes, long: bool = True) -> bytes:
    prefix = b"\x00\x00\x00\x01" if long else b"\x00\x00\x01"
    return b"".join(prefix + nal for nal in nals)


def test_nal_types_with_both_start_code_lengths():
    data = annexb(SPS, PPS) + annexb(IDR, long=False)
    assert nal_types(data) == [7, 8, 5]
    units = [bytes(nal) for _kind, nal in iter_nals(data)]
    assert units == [SPS, PPS, IDR]  # trailing zeros of the next start code are not part of a NAL


def test_stop_at_first_slice():
    data = annexb(SPS, PPS, IDR, SLICE)
    assert [kind for kind, _nal in iter_nals(data, stop_at_vcl=True)] == [7, 8, 5]


def test_keyframe_without_parameter_sets_gets_the_cached_ones():
    sets = ParameterSets("h264")
    first = annexb(SPS, PPS, IDR)
    assert sets.ensure_in_band(first, True) == first
    assert sets.extradata == annexb(SPS, PPS)
    bare_keyframe = annexb(IDR)
    repaired = sets.ensure_in_band(bare_keyframe, True)
    assert nal_types(repaired) == [7, 8, 5]
    assert sets.inserted == 1
    delta = annexb(SLICE)
    assert sets.ensure_in_band(delta, False) == delta  # only keyframes are touched


def test_vp8_passes_through():
    sets = ParameterSets("vp8")
    assert sets.ensure_in_band(b"\x10\x02\x00", True) == b"\x10\x02\x00"
    assert sets.extradata is None


def test_sps_profile_and_level():
    info = h264_sps_info(annexb(SPS, PPS, IDR))
    assert info == H264SpsInfo(profile_idc=66, constraint_flags=0xC0, level_idc=41)
    assert info.is_constrained_baseline
    assert info.level == 4.1
    assert info.profile_level_id == "42c029"
    assert h264_sps_info(annexb(SLICE)) is None
