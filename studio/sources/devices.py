"""Video capture devices: what is plugged in and which modes each offers.

``list_video_devices()`` answers ``bridgecast devices`` (CONTRACTS.md) and the camera
picker; ``choose_mode()`` turns "I want 1280×720 at 30" into a mode the device really has.
Linux asks V4L2 directly (every format/size/rate); Windows and macOS probe OpenCV indices,
which only reveals each device's current mode.
"""
from __future__ import annotations

import errno
import logging
import re
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from studio.core.i18n import _
from studio.sources import v4l2

log = logging.getLogger(__name__)

SYSFS_VIDEO_ROOT = Path("/sys/class/video4linux")
DEV_ROOT = Path("/dev")
MAX_PROBED_INDICES = 10
# Without names to go by, stop probing after this many indices in a row failed to open.
MAX_CONSECUTIVE_MISSES = 2

# Tie-break between modes of the same size and rate.  Uncompressed formats cost no decode and
# show no JPEG blocks, but a USB 2 bus cannot carry them at 720p30 and above.
_RAW_FORMATS = frozenset({"YUYV", "YUY2", "UYVY", "NV12", "NV21", "YU12", "YV12", "I420", "RGB3", "BGR3", "GREY"})
_MJPEG_FORMATS = frozenset({"MJPG", "JPEG"})
_HIGH_BANDWIDTH_PIXELS = 1280 * 720
_HIGH_BANDWIDTH_FPS = 29.5
_FPS_TOLERANCE = 0.5

CaptureFactory = Callable[[int, int], Any]


# -- listing ---------------------------------------------------------------------------------
def list_video_devices(
    names: Sequence[str] | None = None,
    *,
    platform: str | None = None,
    sysfs_root: str | Path = SYSFS_VIDEO_ROOT,
    dev_root: str | Path = DEV_ROOT,
    io: v4l2.V4L2Io | None = None,
    capture_factory: CaptureFactory | None = None,
    max_index: int = MAX_PROBED_INDICES,
) -> list[dict[str, Any]]:
    """Every video capture device as ``{"id","name","backend","modes":[...]}``.

    ``names`` (Windows/macOS): device names in OpenCV index order, e.g. from Qt Multimedia;
    when given, exactly that many indices are probed.  A device that cannot be opened is
    listed with empty ``modes`` and an ``"error"`` in words.  ``sysfs_root``/``dev_root``/``io``
    (Linux) and ``capture_factory(index, api)`` (elsewhere) are for tests.
    """
    platform = platform or sys.platform
    if platform.startswith("linux"):
        return _list_v4l2(Path(sysfs_root), Path(dev_root), io or v4l2.V4L2Io())
    return _list_opencv(names, platform, capture_factory, max_index)


def _node_number(name: str) -> int | None:
    match = re.fullmatch(r"video(\d+)", name)
    return int(match.group(1)) if match else None


def _list_v4l2(sysfs_root: Path, dev_root: Path, io: v4l2.V4L2Io) -> list[dict[str, Any]]:
    if not sysfs_root.is_dir():
        return []
    nodes = sorted(
        ((number, entry) for entry in sysfs_root.iterdir() if (number := _node_number(entry.name)) is not None),
        key=lambda item: item[0],
    )
    devices = []
    for number, entry in nodes:
        path = str(dev_root / entry.name)
        try:
            name = (entry / "name").read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            name = ""
        try:
            info = v4l2.probe_device(path, io)
        except OSError as exc:
            log.info("video device %s cannot be opened: %s", path, exc)
            devices.append(
                {
                    "id": path,
                    "name": name or _("Video device {number}").format(number=number),
                    "backend": "v4l2",
                    "modes": [],
                    "index": number,
                    "error": _open_error_text(path, exc),
                }
            )
            continue
        if not info.is_video_capture:
            # UVC cameras add a metadata node next to the picture node; it has no pictures.
            log.debug("skipping %s (%s): not a video capture node (caps 0x%08x)", path, name, info.device_caps)
            continue
        devices.append(
            {
                "id": path,
                "name": name or info.card or _("Video device {number}").format(number=number),
                "backend": "v4l2",
                "modes": sort_modes(info.modes),
                "index": number,
                "driver": info.driver,
                "bus_info": info.bus_info,
            }
        )
    return devices


def _open_error_text(path: str, exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return _("No permission to open {path} (on Linux, add your user to the “video” group).").format(path=path)
    if exc.errno == errno.EBUSY:
        return _("{path} is in use by another application.").format(path=path)
    if exc.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return _("{path} is listed but not present (unplugged?).").format(path=path)
    return _("{path} cannot be opened ({detail}).").format(path=path, detail=exc.strerror or exc)


def _opencv_backend(platform: str) -> tuple[str, int]:
    import cv2

    if platform.startswith("win"):
        return "dshow", cv2.CAP_DSHOW
    if platform == "darwin":
        return "avfoundation", cv2.CAP_AVFOUNDATION
    return "auto", cv2.CAP_ANY


def _list_opencv(
    names: Sequence[str] | None, platform: str, capture_factory: CaptureFactory | None, max_index: int
) -> list[dict[str, Any]]:
    import cv2

    from studio.sources.camera import fourcc_to_text

    backend, api = _opencv_backend(platform)
    factory = capture_factory or (lambda index, api_preference: cv2.VideoCapture(index, api_preference))
    count = len(names) if names else max_index
    devices = []
    misses = 0
    for index in range(count):
        name = names[index] if names else _("Camera {number}").format(number=index + 1)
        capture = factory(index, api)
        try:
            if not capture.isOpened():
                if names:
                    devices.append(
                        {
                            "id": str(index),
                            "name": name,
                            "backend": backend,
                            "modes": [],
                            "index": index,
                            "error": _("{name} cannot be opened (in use by another application?).").format(name=name),
                        }
                    )
                    continue
                misses += 1
                if misses >= MAX_CONSECUTIVE_MISSES:
                    break
                continue
            misses = 0
            width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
            height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
            fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
            pixel_format = fourcc_to_text(capture.get(cv2.CAP_PROP_FOURCC))
        finally:
            capture.release()
        # OpenCV cannot enumerate modes here: report the one the device opened in.
        modes = (
            [{"width": width, "height": height, "fps": round(fps, 2) if fps > 0 else None, "pixel_format": pixel_format}]
            if width and height
            else []
        )
        devices.append({"id": str(index), "name": name, "backend": backend, "modes": modes, "index": index})
    return devices


# -- modes -----------------------------------------------------------------------------------
def _is_high_bandwidth(width: int, height: int, fps: float) -> bool:
    return width * height >= _HIGH_BANDWIDTH_PIXELS and fps >= _HIGH_BANDWIDTH_FPS


def format_rank(pixel_format: str | None, width: int, height: int, fps: float) -> int:
    """Lower is better for a mode of this size and rate (see ``_RAW_FORMATS``)."""
    name = (pixel_format or "").upper()
    is_high = _is_high_bandwidth(width, height, fps)
    if name in _MJPEG_FORMATS:
        return 0 if is_high else 1
    if name in _RAW_FORMATS:
        return 1 if is_high else 0
    return 2  # H.264 and friends: decoding them through OpenCV is unreliable


def sort_modes(modes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Largest first, then fastest, then the preferred format; duplicates dropped."""
    unique = {(m["width"], m["height"], m["fps"], m["pixel_format"]): dict(m) for m in modes}
    return sorted(
        unique.values(),
        key=lambda m: (
            -m["width"] * m["height"],
            -(m["fps"] or 0.0),
            format_rank(m["pixel_format"], m["width"], m["height"], m["fps"] or 0.0),
            m["pixel_format"] or "",
        ),
    )


def choose_mode(
    modes: Sequence[dict[str, Any]],
    width: int | None,
    height: int | None,
    fps: float | None,
    pixel_format: str | None = None,
) -> dict[str, Any] | None:
    """The device mode closest to what is wanted; ``None`` when there are no modes.

    An exact size+rate match wins; otherwise the closest picture area, then a rate that
    reaches ``fps`` (the slowest such), else the fastest below it.  ``pixel_format`` limits
    the choice to that format when the device has it at all; without it, MJPG is preferred
    at 720p30 and above (USB 2 cannot carry raw YUYV there) and raw formats below.
    """
    candidates = [m for m in modes if m.get("width") and m.get("height")]
    if not candidates:
        return None
    if pixel_format:
        wanted_format = pixel_format.strip().upper()
        same_format = [m for m in candidates if (m.get("pixel_format") or "").upper() == wanted_format]
        candidates = same_format or candidates
    if not width or not height:
        largest = max(candidates, key=lambda m: m["width"] * m["height"])
        width, height = largest["width"], largest["height"]
    wanted_fps = float(fps) if fps else 30.0
    wanted_area = width * height

    def key(mode: dict[str, Any]) -> tuple:
        mode_fps = float(mode.get("fps") or 0.0)
        is_too_slow = wanted_fps - mode_fps > _FPS_TOLERANCE
        return (
            abs(mode["width"] * mode["height"] - wanted_area),
            (mode["width"], mode["height"]) != (width, height),
            is_too_slow,
            # Reaching the rate: the closest above; falling short: the fastest available.
            abs(mode_fps - wanted_fps) if not is_too_slow else wanted_fps - mode_fps,
            format_rank(mode.get("pixel_format"), mode["width"], mode["height"], mode_fps),
        )

    return dict(min(candidates, key=key))
