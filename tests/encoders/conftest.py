"""Helpers for encoder tests: content that makes encoders work, decoding, a fake hardware encoder."""
from __future__ import annotations

import os
from typing import Iterable

import av
import numpy as np
import pytest

from encoders.backends import BACKENDS_BY_NAME, PyAVEncoder
from encoders.base import EncodedPacket, register_encoder, unregister_encoder
from encoders.bitstream import nal_types
from encoders.errors import EncoderFailed, EncoderUnavailable, Reason
from studio.core.clock import NS_PER_S
from studio.core.frame import VideoFrame

FPS = 30
FRAME_NS = NS_PER_S // FPS
BASE_NS = 5 * NS_PER_S  # capture times start here (any monotonic value)

# Hardware named by BRIDGECAST_TEST_HW (like PyAV's test_hardware_encode): its rows may be available.
HW_UNDER_TEST = os.environ.get("BRIDGECAST_TEST_HW", "").strip().lower()
HW_ENCODERS = {"nvenc": ("h264_nvenc", "hevc_nvenc", "av1_nvenc"), "qsv": ("h264_qsv",), "vaapi": ("h264_vaapi",), "amf": ("h264_amf",)}


def capture_ns(index: int) -> int:
    return BASE_NS + index * NS_PER_S // FPS


def make_frames(width: int, height: int, count: int, *, seed: int = 1, noise: int = 24) -> list[VideoFrame]:
    """Moving gradients + a moving box + fresh noise every frame (so rate control is always busy)."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    frames = []
    for index in range(count):
        image = np.empty((height, width, 3), np.uint8)
        image[..., 0] = (xs * 255 // max(1, width - 1) + index * 3) % 256
        image[..., 1] = (ys * 255 // max(1, height - 1) + index * 2) % 256
        image[..., 2] = ((xs + ys) // 4 + index * 5) % 256
        if noise:
            image = np.clip(image.astype(np.int16) + rng.integers(-noise, noise + 1, image.shape, dtype=np.int16), 0, 255).astype(np.uint8)
        box = max(8, height // 5)
        x = (index * 7) % max(1, width - box)
        y = (index * 3) % max(1, height - box)
        image[y : y + box, x : x + box] = (255, 255, 255)
        frames.append(VideoFrame(image, capture_ns(index), index))
    return frames


def decode(packets: Iterable[EncodedPacket], codec: str = "h264") -> list[av.VideoFrame]:
    """Decode packets in order with PyAV (software decoder)."""
    decoder = av.CodecContext.create(codec, "r")
    frames = []
    for packet in packets:
        av_packet = av.Packet(packet.data)
        av_packet.pts = packet.pts
        av_packet.dts = packet.dts
        frames.extend(decoder.decode(av_packet))
    frames.extend(decoder.decode(None))
    return frames


def assert_webrtc_h264(packets: list[EncodedPacket]) -> None:
    """Annex-B, SPS then PPS in front of the IDR in every keyframe, no B-frames (dts == pts, increasing)."""
    assert packets, "no packets"
    assert packets[0].is_keyframe
    previous = None
    for packet in packets:
        assert packet.data.startswith((b"\x00\x00\x00\x01", b"\x00\x00\x01")), "not Annex-B"
        kinds = nal_types(packet.data)
        if packet.is_keyframe:
            assert 7 in kinds and 8 in kinds and 5 in kinds, f"keyframe without SPS/PPS/IDR: {kinds}"
            assert kinds.index(7) < kinds.index(5) and kinds.index(8) < kinds.index(5)
        else:
            assert 5 not in kinds
        assert packet.dts == packet.pts, "reordered frames (B-frames) in a WebRTC stream"
        if previous is not None:
            assert packet.pts > previous, "pts not strictly increasing"
        previous = packet.pts


def bitrate_bps(packets: list[EncodedPacket], start_pts: int, end_pts: int) -> float:
    """Bits per second of content between two pts (90 kHz) — content time, not wall time."""
    size = sum(packet.size for packet in packets if start_pts <= packet.pts < end_pts)
    return size * 8 / ((end_pts - start_pts) / 90_000)


# ---------------------------------------------------------------------------------------------
# A fake hardware encoder (tests only): libx264 underneath, reports itself as hardware, and can
# be told to fail at open (session limit) or on its Nth frame (driver reset mid-stream).


class FakeHardwareEncoder(PyAVEncoder):
    fail_on_frame: int | None = None  # 1-based frame number whose encode raises
    max_sessions: int | None = None
    open_sessions = 0
    opened_total = 0

    def __init__(self) -> None:
        super().__init__(BACKENDS_BY_NAME["libx264"])
        self._frames = 0
        self._is_counted = False

    @property
    def name(self) -> str:
        return "fakehw_h264"

    @property
    def is_hardware(self) -> bool:
        return True

    def open(self, settings) -> None:
        cls = type(self)
        if cls.max_sessions is not None and cls.open_sessions >= cls.max_sessions:
            raise EncoderUnavailable.because(self.name, Reason.of("no free NVENC session (the GPU's limit of simultaneous encodes is reached)"))
        super().open(settings)
        cls.open_sessions += 1
        cls.opened_total += 1
        self._is_counted = True

    def encode(self, frame, pts, *, capture_ns=None):
        self._frames += 1
        if self.fail_on_frame is not None and self._frames == self.fail_on_frame:
            raise EncoderFailed.because(self.name, "simulated driver reset")
        return super().encode(frame, pts, capture_ns=capture_ns)

    def close(self) -> None:
        if self._is_counted:
            type(self).open_sessions -= 1
            self._is_counted = False
        super().close()


@pytest.fixture
def fake_hardware():
    """Registers ``fakehw_h264`` for one test; yields its class to configure failures."""

    class Fake(FakeHardwareEncoder):
        fail_on_frame = None
        max_sessions = None
        open_sessions = 0
        opened_total = 0

    register_encoder("fakehw_h264", Fake, codec="h264", is_hardware=True, replace=True)
    try:
        yield Fake
    finally:
        unregister_encoder("fakehw_h264")
