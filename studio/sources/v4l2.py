"""Just enough of the Linux V4L2 API (ctypes structs + ioctls) to list cameras and their modes.

Nothing here opens a stream; capture itself goes through OpenCV.  The ioctl and the way
devices are opened are injectable (``V4L2Io``) so tests can answer like a real driver.
The request numbers use the generic ``_IOC`` layout (x86, ARM, RISC-V); other
architectures are not supported by this module.
"""
from __future__ import annotations

import ctypes
import errno
import os
from dataclasses import dataclass, field
from typing import Any, Callable

# -- ioctl request numbers ------------------------------------------------------------------
_IOC_WRITE = 1
_IOC_READ = 2


def _ioc(direction: int, kind: str, number: int, size: int) -> int:
    return (direction << 30) | (size << 16) | (ord(kind) << 8) | number


class v4l2_capability(ctypes.Structure):  # noqa: N801 - kernel name
    _fields_ = [
        ("driver", ctypes.c_char * 16),
        ("card", ctypes.c_char * 32),
        ("bus_info", ctypes.c_char * 32),
        ("version", ctypes.c_uint32),
        ("capabilities", ctypes.c_uint32),
        ("device_caps", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 3),
    ]


class v4l2_fmtdesc(ctypes.Structure):  # noqa: N801
    _fields_ = [
        ("index", ctypes.c_uint32),
        ("type", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("description", ctypes.c_char * 32),
        ("pixelformat", ctypes.c_uint32),
        ("mbus_code", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 3),
    ]


class v4l2_frmsize_discrete(ctypes.Structure):  # noqa: N801
    _fields_ = [("width", ctypes.c_uint32), ("height", ctypes.c_uint32)]


class v4l2_frmsize_stepwise(ctypes.Structure):  # noqa: N801
    _fields_ = [
        ("min_width", ctypes.c_uint32),
        ("max_width", ctypes.c_uint32),
        ("step_width", ctypes.c_uint32),
        ("min_height", ctypes.c_uint32),
        ("max_height", ctypes.c_uint32),
        ("step_height", ctypes.c_uint32),
    ]


class _frmsize_union(ctypes.Union):  # noqa: N801
    _fields_ = [("discrete", v4l2_frmsize_discrete), ("stepwise", v4l2_frmsize_stepwise)]


class v4l2_frmsizeenum(ctypes.Structure):  # noqa: N801
    _anonymous_ = ("u",)
    _fields_ = [
        ("index", ctypes.c_uint32),
        ("pixel_format", ctypes.c_uint32),
        ("type", ctypes.c_uint32),
        ("u", _frmsize_union),
        ("reserved", ctypes.c_uint32 * 2),
    ]


class v4l2_fract(ctypes.Structure):  # noqa: N801
    _fields_ = [("numerator", ctypes.c_uint32), ("denominator", ctypes.c_uint32)]


class v4l2_frmival_stepwise(ctypes.Structure):  # noqa: N801
    _fields_ = [("min", v4l2_fract), ("max", v4l2_fract), ("step", v4l2_fract)]


class _frmival_union(ctypes.Union):  # noqa: N801
    _fields_ = [("discrete", v4l2_fract), ("stepwise", v4l2_frmival_stepwise)]


class v4l2_frmivalenum(ctypes.Structure):  # noqa: N801
    _anonymous_ = ("u",)
    _fields_ = [
        ("index", ctypes.c_uint32),
        ("pixel_format", ctypes.c_uint32),
        ("width", ctypes.c_uint32),
        ("height", ctypes.c_uint32),
        ("type", ctypes.c_uint32),
        ("u", _frmival_union),
        ("reserved", ctypes.c_uint32 * 2),
    ]


VIDIOC_QUERYCAP = _ioc(_IOC_READ, "V", 0, ctypes.sizeof(v4l2_capability))
VIDIOC_ENUM_FMT = _ioc(_IOC_READ | _IOC_WRITE, "V", 2, ctypes.sizeof(v4l2_fmtdesc))
VIDIOC_ENUM_FRAMESIZES = _ioc(_IOC_READ | _IOC_WRITE, "V", 74, ctypes.sizeof(v4l2_frmsizeenum))
VIDIOC_ENUM_FRAMEINTERVALS = _ioc(_IOC_READ | _IOC_WRITE, "V", 75, ctypes.sizeof(v4l2_frmivalenum))

V4L2_CAP_VIDEO_CAPTURE = 0x00000001
V4L2_CAP_VIDEO_CAPTURE_MPLANE = 0x00001000
V4L2_CAP_META_CAPTURE = 0x00800000
V4L2_CAP_DEVICE_CAPS = 0x80000000

V4L2_BUF_TYPE_VIDEO_CAPTURE = 1
V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE = 9

V4L2_FRMSIZE_TYPE_DISCRETE = 1
V4L2_FRMSIZE_TYPE_CONTINUOUS = 2
V4L2_FRMSIZE_TYPE_STEPWISE = 3

V4L2_FRMIVAL_TYPE_DISCRETE = 1
V4L2_FRMIVAL_TYPE_CONTINUOUS = 2
V4L2_FRMIVAL_TYPE_STEPWISE = 3

# Sizes worth offering when a driver only gives a range (stepwise/continuous).
COMMON_SIZES: tuple[tuple[int, int], ...] = (
    (320, 240),
    (640, 360),
    (640, 480),
    (800, 600),
    (960, 540),
    (1024, 576),
    (1280, 720),
    (1280, 960),
    (1600, 900),
    (1920, 1080),
    (2560, 1440),
    (3840, 2160),
)
COMMON_FPS: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, 24.0, 25.0, 30.0, 50.0, 60.0)
# Bound every enumeration: a buggy driver must not keep us looping.
MAX_ENUM = 256


def fourcc(code: str) -> int:
    """``"MJPG"`` → the little-endian u32 V4L2 uses."""
    raw = code.encode("ascii").ljust(4, b" ")[:4]
    return int.from_bytes(raw, "little")


def fourcc_text(value: int) -> str:
    return value.to_bytes(4, "little").decode("ascii", errors="replace").strip("\x00 ")


@dataclass
class V4L2Io:
    """How devices are opened and asked; replace the callables in tests.

    ``ioctl(fd, request, struct)`` must fill the ctypes ``struct`` in place and raise
    ``OSError`` (EINVAL past the end of an enumeration) like ``fcntl.ioctl``.
    """

    open: Callable[[str], Any] = field(default=lambda path: os.open(path, os.O_RDWR | os.O_NONBLOCK))
    close: Callable[[Any], None] = field(default=os.close)
    ioctl: Callable[[Any, int, ctypes.Structure], Any] | None = None

    def call(self, fd: Any, request: int, struct: ctypes.Structure) -> None:
        if self.ioctl is not None:
            self.ioctl(fd, request, struct)
            return
        import fcntl  # Linux only; imported here so the module loads everywhere

        fcntl.ioctl(fd, request, struct, True)


@dataclass
class DeviceInfo:
    path: str
    driver: str = ""
    card: str = ""
    bus_info: str = ""
    device_caps: int = 0
    buffer_type: int = V4L2_BUF_TYPE_VIDEO_CAPTURE
    modes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_video_capture(self) -> bool:
        return bool(self.device_caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE))


def query_capabilities(io: V4L2Io, fd: Any, path: str) -> DeviceInfo:
    cap = v4l2_capability()
    io.call(fd, VIDIOC_QUERYCAP, cap)
    # device_caps describes this node; capabilities the whole physical device.
    caps = cap.device_caps if cap.capabilities & V4L2_CAP_DEVICE_CAPS else cap.capabilities
    buffer_type = (
        V4L2_BUF_TYPE_VIDEO_CAPTURE
        if caps & V4L2_CAP_VIDEO_CAPTURE or not caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE
        else V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
    )
    return DeviceInfo(
        path=path,
        driver=cap.driver.decode(errors="replace"),
        card=cap.card.decode(errors="replace"),
        bus_info=cap.bus_info.decode(errors="replace"),
        device_caps=caps,
        buffer_type=buffer_type,
    )


def _enumerate(io: V4L2Io, fd: Any, request: int, make: Callable[[int], ctypes.Structure]) -> list[ctypes.Structure]:
    """Call an ENUM ioctl with index 0, 1, … until the driver says EINVAL."""
    items = []
    for index in range(MAX_ENUM):
        struct = make(index)
        try:
            io.call(fd, request, struct)
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, None):
                raise
            break
        items.append(struct)
        # Stepwise/continuous answers come once, at index 0.
        if getattr(struct, "type", V4L2_FRMSIZE_TYPE_DISCRETE) != V4L2_FRMSIZE_TYPE_DISCRETE:
            break
    return items


def enum_formats(io: V4L2Io, fd: Any, buffer_type: int) -> list[v4l2_fmtdesc]:
    def make(index: int) -> v4l2_fmtdesc:
        return v4l2_fmtdesc(index=index, type=buffer_type)

    # v4l2_fmtdesc.type is the buffer type, not a discrete/stepwise flag: enumerate fully.
    items = []
    for index in range(MAX_ENUM):
        struct = make(index)
        try:
            io.call(fd, VIDIOC_ENUM_FMT, struct)
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, None):
                raise
            break
        items.append(struct)
    return items


def enum_sizes(io: V4L2Io, fd: Any, pixel_format: int) -> list[tuple[int, int]]:
    answers = _enumerate(
        io, fd, VIDIOC_ENUM_FRAMESIZES, lambda i: v4l2_frmsizeenum(index=i, pixel_format=pixel_format)
    )
    sizes: list[tuple[int, int]] = []
    for answer in answers:
        if answer.type == V4L2_FRMSIZE_TYPE_DISCRETE:
            sizes.append((answer.discrete.width, answer.discrete.height))
        else:
            sizes.extend(reduce_stepwise_sizes(answer.stepwise))
    return list(dict.fromkeys(sizes))


def reduce_stepwise_sizes(step: v4l2_frmsize_stepwise) -> list[tuple[int, int]]:
    """A size range → the common sizes it can make, plus its largest size."""
    step_w = max(1, step.step_width)
    step_h = max(1, step.step_height)
    sizes = []
    for width, height in COMMON_SIZES:
        if not (step.min_width <= width <= step.max_width and step.min_height <= height <= step.max_height):
            continue
        if (width - step.min_width) % step_w or (height - step.min_height) % step_h:
            continue
        sizes.append((width, height))
    if step.max_width and step.max_height:
        sizes.append((step.max_width, step.max_height))
    return list(dict.fromkeys(sizes))


def _fract_fps(fract: v4l2_fract) -> float | None:
    # An interval, so fps = denominator / numerator.
    if not fract.numerator or not fract.denominator:
        return None
    return round(fract.denominator / fract.numerator, 2)


def enum_frame_rates(io: V4L2Io, fd: Any, pixel_format: int, width: int, height: int) -> list[float]:
    answers = _enumerate(
        io,
        fd,
        VIDIOC_ENUM_FRAMEINTERVALS,
        lambda i: v4l2_frmivalenum(index=i, pixel_format=pixel_format, width=width, height=height),
    )
    rates: list[float] = []
    for answer in answers:
        if answer.type == V4L2_FRMIVAL_TYPE_DISCRETE:
            fps = _fract_fps(answer.discrete)
            if fps:
                rates.append(fps)
        else:
            fastest = _fract_fps(answer.stepwise.min)  # shortest interval
            slowest = _fract_fps(answer.stepwise.max)
            if fastest is None:
                continue
            slowest = slowest or fastest
            rates.extend(fps for fps in COMMON_FPS if slowest - 0.01 <= fps <= fastest + 0.01)
            rates.append(fastest)
    return sorted(set(rates), reverse=True)


def enum_modes(io: V4L2Io, fd: Any, buffer_type: int = V4L2_BUF_TYPE_VIDEO_CAPTURE) -> list[dict[str, Any]]:
    """Every (format, size, rate) the node offers as CONTRACTS.md mode dicts."""
    modes: list[dict[str, Any]] = []
    for fmt in enum_formats(io, fd, buffer_type):
        name = fourcc_text(fmt.pixelformat)
        for width, height in enum_sizes(io, fd, fmt.pixelformat):
            try:
                rates = enum_frame_rates(io, fd, fmt.pixelformat, width, height)
            except OSError:
                rates = []
            for fps in rates:
                modes.append({"width": width, "height": height, "fps": fps, "pixel_format": name})
    return modes


def probe_device(path: str, io: V4L2Io | None = None) -> DeviceInfo:
    """Open ``path``, ask what it is and (for capture nodes) which modes it offers.

    Raises ``OSError`` when the node cannot be opened or does not answer QUERYCAP.
    """
    io = io or V4L2Io()
    fd = io.open(path)
    try:
        info = query_capabilities(io, fd, path)
        if info.is_video_capture:
            info.modes = enum_modes(io, fd, info.buffer_type)
        return info
    finally:
        io.close(fd)
