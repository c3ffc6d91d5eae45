"""Camera source, driven through a file: OpenCV's VideoCapture takes the same path as a device."""
from __future__ import annotations

import os
import time

import cv2
import numpy as np
import pytest

from studio.core.errors import SourceError
from studio.sources import create_source
from studio.sources.base import SourceState
from studio.sources.camera import (
    CameraSource,
    fourcc_to_text,
    negotiation_note,
    parse_device,
    resolve_api,
    to_bgr,
)

from tests.helpers import wait_until

from .helpers import StateLog, make_video


@pytest.fixture
def clip(tmp_path):
    """1 s, 30 fps, 192×108 (a fresh copy per test: some tests delete it)."""
    return make_video(tmp_path / "camera.mp4", seconds=1.0, fps=30, width=192, height=108)


def test_opens_file_negotiates_and_paces(clip, started):
    source = CameraSource(
        "cam", "Camera", {"device": str(clip), "width": 1280, "height": 720, "fps": 60, "pixel_format": "MJPG"}
    )
    started(source)
    assert wait_until(lambda: source.latest_frame() is not None, 3.0)
    assert source.state is SourceState.ACTIVE
    negotiated = source.negotiated
    assert (negotiated["width"], negotiated["height"]) == (192, 108)
    assert negotiated["fps"] == pytest.approx(30)
    assert negotiated["backend"] == "FFMPEG"
    # What was asked and not given is spelled out for the user.
    note = negotiated["note"]
    assert "192×108 instead of 1280×720" in note and "30 fps instead of 60" in note and "MJPG" in note
    frame = source.latest_frame()
    assert frame.image.shape == (108, 192, 3) and frame.image.dtype == np.uint8
    assert source.natural_size() == (192, 108)

    # Paced at the file's rate, not as fast as it decodes.
    start_count, start = source.frames_captured, time.monotonic()
    time.sleep(0.5)
    rate = (source.frames_captured - start_count) / (time.monotonic() - start)
    assert 30 * 0.7 <= rate <= 30 * 1.25


def test_capture_time_is_taken_at_grab(clip, started):
    source = started(CameraSource("cam", "Camera", {"device": str(clip)}))
    assert wait_until(lambda: source.frames_captured >= 3, 3.0)
    frame = source.latest_frame()
    age_s = (time.monotonic_ns() - frame.capture_ns) / 1e9
    assert 0 <= age_s < 0.5
    assert source.negotiated["note"] == ""  # nothing asked, nothing to complain about


def test_device_disappears_and_comes_back(clip, started):
    source = CameraSource("cam", "Camera", {"device": str(clip)})
    states = StateLog(source)
    started(source)
    assert wait_until(lambda: source.state is SourceState.ACTIVE, 3.0)
    hidden = clip.with_name("unplugged.mp4")
    os.rename(clip, hidden)  # "unplug": reads run out and reopening fails

    assert wait_until(lambda: source.state is SourceState.NO_SIGNAL, 3.0)
    assert "Camera" in source.state_message
    stalled = source.frames_captured
    time.sleep(1.3)  # at least one reopen attempt while it is gone
    assert source.state is SourceState.NO_SIGNAL and source.frames_captured == stalled
    assert source.is_running

    os.rename(hidden, clip)  # "plug back in": no start() call
    assert wait_until(lambda: source.state is SourceState.ACTIVE and source.frames_captured > stalled, 4.0)
    assert source.opened_count >= 2
    assert [s for s, _ in states.states].count("active") >= 2


def test_missing_device_is_no_signal_not_failed(tmp_path, started):
    source = started(CameraSource("cam", "Camera", {"device": str(tmp_path / "nothing.mp4")}))
    assert wait_until(lambda: source.state is SourceState.NO_SIGNAL, 3.0)
    assert "not available" in source.state_message
    assert source.is_running  # keeps retrying


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"device": 0, "backend": "nonsense"}, "Unknown camera backend"),
        ({"device": "", "backend": "auto"}, "No camera chosen"),
        ({"device": 0, "pixel_format": "TOOLONG"}, "FourCC"),
    ],
)
def test_impossible_settings_fail(settings, words, started):
    source = started(CameraSource("cam", "Camera", settings))
    assert wait_until(lambda: source.state is SourceState.FAILED, 2.0)
    assert words in source.state_message


def test_factory_builds_camera_source(clip):
    assert isinstance(create_source("camera", "c", "Cam", {"device": str(clip)}), CameraSource)


def test_device_parsing_and_backends():
    assert parse_device(0) == 0 and parse_device("2") == 2 and parse_device(" 1 ") == 1
    assert parse_device("/dev/video0") == "/dev/video0"
    with pytest.raises(SourceError):
        parse_device(None)
    assert resolve_api("auto", "/tmp/file.mp4") == cv2.CAP_ANY
    assert resolve_api("auto", "/dev/video0") == cv2.CAP_V4L2  # this test machine is Linux
    assert resolve_api("auto", 0) == cv2.CAP_V4L2
    assert resolve_api("V4L2", 0) == cv2.CAP_V4L2
    if not cv2.videoio_registry.hasBackend(cv2.CAP_DSHOW):
        with pytest.raises(SourceError, match="not available"):
            resolve_api("dshow", 0)


def test_conversions_and_notes():
    assert fourcc_to_text(cv2.VideoWriter_fourcc(*"MJPG")) == "MJPG"
    assert fourcc_to_text(0) is None
    assert to_bgr(np.zeros((4, 6), np.uint8)).shape == (4, 6, 3)
    assert to_bgr(np.zeros((4, 6, 4), np.uint8)).shape == (4, 6, 3)
    assert to_bgr(np.full((4, 6, 3), 65535, np.uint16)).max() == 255
    yuyv = np.zeros((4, 6, 2), np.uint8)
    yuyv[..., 0], yuyv[..., 1] = 235, 128  # white in YUYV
    assert to_bgr(yuyv).min() > 240
    asked = {"width": 1920, "height": 1080, "fps": 30.0, "pixel_format": "MJPG"}
    assert negotiation_note(asked, {"width": 1920, "height": 1080, "fps": 30.0, "pixel_format": "MJPG"}) == ""
    assert negotiation_note(asked, {"width": 1920, "height": 1080, "fps": 29.97, "pixel_format": "mjpg"}) == ""
    note = negotiation_note(asked, {"width": 1920, "height": 1080, "fps": 5.0, "pixel_format": "YUYV"})
    assert "5 fps instead of 30" in note and "YUYV instead of MJPG" in note
