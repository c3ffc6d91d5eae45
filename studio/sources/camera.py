"""Camera / capture-card source through OpenCV's VideoCapture.

The same code path opens a device index, a device path (``/dev/video0``) or a file/URL;
the tests drive it with files because there is no camera on the test machine.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

import cv2
import numpy as np

from studio.core.clock import NS_PER_S, Ticker, now_ns
from studio.core.errors import SourceError
from studio.core.i18n import _
from studio.sources import register
from studio.sources.base import SourceState, VideoSource

log = logging.getLogger(__name__)

# Settings "backend" value → OpenCV API preference name ("auto" is resolved per platform).
BACKENDS: dict[str, str] = {
    "v4l2": "CAP_V4L2",
    "dshow": "CAP_DSHOW",
    "msmf": "CAP_MSMF",
    "avfoundation": "CAP_AVFOUNDATION",
    "ffmpeg": "CAP_FFMPEG",
    "gstreamer": "CAP_GSTREAMER",
}
BACKEND_NAMES = ("auto", *BACKENDS)
# A blocked read on a device that was pulled out must not hold the thread (and stop()) for
# OpenCV's default 10 s.
READ_TIMEOUT_MS = 2000
FPS_TOLERANCE = 0.5
# Asleep (in no scene on air), a camera grabs one picture this often and throws it away.
WARM_GRAB_INTERVAL_S = 0.5


def parse_device(device: Any) -> int | str:
    """``0``/``"0"`` → index 0; anything else is a device path, file or URL."""
    if isinstance(device, bool):
        raise SourceError(_("Invalid camera setting “device”: {value!r}.").format(value=device))
    if isinstance(device, int):
        return device
    text = str(device if device is not None else "").strip()
    if not text:
        raise SourceError(_("No camera chosen."))
    if text.isdigit():
        return int(text)
    return os.path.expanduser(text)


def _platform_camera_api() -> int:
    # The backends whose device order matches the names the OS (and Qt Multimedia) shows.
    if sys.platform.startswith("win"):
        return cv2.CAP_DSHOW
    if sys.platform == "darwin":
        return cv2.CAP_AVFOUNDATION
    return cv2.CAP_V4L2


def resolve_api(backend: str | None, device: int | str) -> int:
    """Settings ``backend`` → an OpenCV ``cv2.CAP_*`` preference; ``SourceError`` if unusable."""
    name = (backend or "auto").strip().lower()
    if name == "auto":
        if isinstance(device, int) or (sys.platform.startswith("linux") and device.startswith("/dev/video")):
            api = _platform_camera_api()
            return api if cv2.videoio_registry.hasBackend(api) else cv2.CAP_ANY
        return cv2.CAP_ANY  # files and URLs: let OpenCV pick (FFmpeg)
    if name not in BACKENDS:
        raise SourceError(
            _("Unknown camera backend “{name}” (use one of: {names}).").format(name=name, names=", ".join(BACKEND_NAMES))
        )
    api = getattr(cv2, BACKENDS[name], None)
    if api is None or not cv2.videoio_registry.hasBackend(api):
        raise SourceError(_("The “{name}” camera backend is not available on this system.").format(name=name))
    return int(api)


def fourcc_to_text(value: float | int) -> str | None:
    code = int(value)
    if code <= 0:
        return None
    text = code.to_bytes(4, "little").decode("ascii", errors="replace").strip("\x00 ")
    return text or None


def to_bgr(image: np.ndarray) -> np.ndarray:
    """Whatever a backend hands back → C-contiguous H×W×3 uint8 BGR."""
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image)
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 2:  # raw YUYV when a backend skips conversion
        image = cv2.cvtColor(image, cv2.COLOR_YUV2BGR_YUY2)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(image)


def _optional_number(value: Any) -> float | None:
    if value in (None, "", 0):
        return None
    return float(value)


@register
class CameraSource(VideoSource):
    """A webcam or capture card.

    Settings: ``device`` (int index, ``"/dev/videoN"``, or a file/URL for testing),
    ``backend`` ("auto"|"v4l2"|"dshow"|"msmf"|"avfoundation"|"ffmpeg"|"gstreamer"),
    ``width``, ``height``, ``fps`` (asked for; null = the device default), ``pixel_format``
    (FourCC such as "MJPG", "YUYV", "NV12", or null).  What the device agreed to is in
    ``negotiated``.  When the device stops delivering, the source shows NO_SIGNAL and reopens
    it every ``restart_delay_s()`` until it is back.
    """

    kind = "camera"

    def __init__(self, source_id: str, name: str, settings: dict | None = None) -> None:
        super().__init__(source_id, name, settings)
        # {"width","height","fps","pixel_format","backend","note"}; empty until opened.
        self.negotiated: dict[str, Any] = {}
        self.opened_count = 0

    def natural_size(self) -> tuple[int, int] | None:
        size = super().natural_size()
        if size is None and self.negotiated.get("width") and self.negotiated.get("height"):
            return int(self.negotiated["width"]), int(self.negotiated["height"])
        return size

    # -- capture thread -------------------------------------------------------------------
    def _capture(self, stop: threading.Event) -> None:
        try:
            device = parse_device(self.settings.get("device", 0))
            api = resolve_api(self.settings.get("backend"), device)
            asked = self._asked()
        except SourceError as exc:
            self._set_state(SourceState.FAILED, str(exc))
            return
        except (TypeError, ValueError) as exc:
            self._set_state(SourceState.FAILED, _("Invalid camera settings ({detail}).").format(detail=exc))
            return

        capture = cv2.VideoCapture()
        try:
            if not capture.open(device, api) or not capture.isOpened():
                self._set_state(
                    SourceState.NO_SIGNAL,
                    _("Camera {device} is not available (not connected, or in use by another app). Retrying…").format(
                        device=device
                    ),
                )
                return
            self.opened_count += 1
            self._negotiate(capture, asked)
            is_file = isinstance(device, str) and os.path.isfile(device)
            self._read_loop(capture, device, is_file, stop)
        finally:
            capture.release()

    def _asked(self) -> dict[str, Any]:
        pixel_format = self.settings.get("pixel_format")
        pixel_format = str(pixel_format).strip().upper() if pixel_format else None
        if pixel_format is not None and len(pixel_format) > 4:
            raise SourceError(_("“{value}” is not a pixel format code (FourCC).").format(value=pixel_format))
        width = _optional_number(self.settings.get("width"))
        height = _optional_number(self.settings.get("height"))
        return {
            "width": int(width) if width else None,
            "height": int(height) if height else None,
            "fps": _optional_number(self.settings.get("fps")),
            "pixel_format": pixel_format,
        }

    def _negotiate(self, capture: cv2.VideoCapture, asked: dict[str, Any]) -> None:
        # V4L2 order matters: the format decides which sizes exist, the size which rates.
        if asked["pixel_format"]:
            capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*asked["pixel_format"].ljust(4)))
        if asked["width"]:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, asked["width"])
        if asked["height"]:
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, asked["height"])
        if asked["fps"]:
            capture.set(cv2.CAP_PROP_FPS, asked["fps"])
        capture.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, READ_TIMEOUT_MS)  # ignored where unsupported
        fps = capture.get(cv2.CAP_PROP_FPS)
        got = {
            "width": int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)) or None,
            "height": int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) or None,
            "fps": round(float(fps), 3) if fps and fps > 0 else None,
            "pixel_format": fourcc_to_text(capture.get(cv2.CAP_PROP_FOURCC)),
            "backend": _backend_name(capture),
        }
        got["note"] = negotiation_note(asked, got)
        if got["note"]:
            log.info("camera %s: %s", self.source_id, got["note"])
        self.negotiated = got

    def _read_loop(self, capture: cv2.VideoCapture, device: int | str, is_file: bool, stop: threading.Event) -> None:
        fps = self.negotiated.get("fps")
        # A device paces us by blocking in grab(); a file would be read as fast as it decodes.
        ticker = Ticker(int(NS_PER_S / fps), stop) if is_file and fps else None
        has_size = bool(self.negotiated.get("width") and self.negotiated.get("height"))
        while not stop.is_set():
            if not self.is_awake:
                # A camera is slow to open, so asleep it stays open and warm: a grab now and
                # then (no conversion, nothing published) keeps it streaming and notices an unplug.
                if not capture.grab():
                    break
                if self.slot.latest() is None:
                    is_ok, image = capture.retrieve()
                    if is_ok and image is not None and image.size:
                        self._publish_poster(to_bgr(image))
                self._doze(stop, WARM_GRAB_INTERVAL_S)
                if ticker is not None:
                    ticker.reset()
                continue
            if not capture.grab():
                break
            capture_ns = now_ns()
            is_ok, image = capture.retrieve()
            if not is_ok or image is None or image.size == 0:
                break
            image = to_bgr(image)
            if not has_size:
                # Some backends only know the size once pictures arrive.
                self.negotiated = {**self.negotiated, "width": image.shape[1], "height": image.shape[0]}
                has_size = True
            self._publish(image, capture_ns)
            if ticker is not None:
                ticker.wait_next()
        if not stop.is_set():
            self._set_state(
                SourceState.NO_SIGNAL,
                _("Camera {device} stopped sending pictures (unplugged, or taken by another app). Reconnecting…").format(
                    device=device
                ),
            )


def _backend_name(capture: cv2.VideoCapture) -> str | None:
    try:
        return str(capture.getBackendName())
    except cv2.error:
        return None


def negotiation_note(asked: dict[str, Any], got: dict[str, Any]) -> str:
    """Words for the user when the device did not give what was asked ("" when it did)."""
    differences = []
    if asked.get("width") and asked.get("height") and (asked["width"], asked["height"]) != (got.get("width"), got.get("height")):
        differences.append(
            _("size {got_w}×{got_h} instead of {w}×{h}").format(
                got_w=got.get("width") or "?", got_h=got.get("height") or "?", w=asked["width"], h=asked["height"]
            )
        )
    if asked.get("fps") and (got.get("fps") is None or abs(float(got["fps"]) - float(asked["fps"])) > FPS_TOLERANCE):
        differences.append(
            _("{got} fps instead of {fps}").format(got=_format_fps(got.get("fps")), fps=_format_fps(asked["fps"]))
        )
    if asked.get("pixel_format") and (got.get("pixel_format") or "").upper() != asked["pixel_format"].upper():
        differences.append(
            _("format {got} instead of {fmt}").format(got=got.get("pixel_format") or "?", fmt=asked["pixel_format"])
        )
    if not differences:
        return ""
    return _("The camera chose {differences}.").format(differences="; ".join(differences))


def _format_fps(fps: float | None) -> str:
    if fps is None:
        return "?"
    return f"{fps:g}" if abs(fps - round(fps)) > 1e-3 else str(int(round(fps)))
