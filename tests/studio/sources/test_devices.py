"""Device listing with a fake sysfs tree and fake V4L2 driver answers; mode choice."""
from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from studio.sources import v4l2
from studio.sources.devices import choose_mode, list_video_devices, sort_modes

CAPTURE = v4l2.V4L2_CAP_VIDEO_CAPTURE | 0x04000000  # + V4L2_CAP_STREAMING
META = v4l2.V4L2_CAP_META_CAPTURE | 0x04000000


def _fract(fps: float) -> tuple[int, int]:
    return (1, int(fps)) if float(fps).is_integer() else (1001, int(round(fps * 1001)))


class FakeDriver:
    """Answers V4L2 ioctls for fake nodes like a kernel driver would.

    ``nodes[path] = {"caps": int, "card": str, "formats": {fourcc: sizes}}`` where sizes is
    either ``{(w, h): [fps, ...]}`` (discrete) or ``{"stepwise": (min_w, max_w, step_w, min_h,
    max_h, step_h), "intervals": (type, fastest_fps, slowest_fps)}``.
    """

    def __init__(self, nodes: dict[str, dict], refuse: dict[str, int] | None = None) -> None:
        self.nodes = nodes
        self.refuse = refuse or {}
        self.open_fds: set[str] = set()

    def io(self) -> v4l2.V4L2Io:
        return v4l2.V4L2Io(open=self.open, close=self.close, ioctl=self.ioctl)

    def open(self, path: str) -> str:
        if path in self.refuse:
            raise OSError(self.refuse[path], "refused", path)
        if path not in self.nodes:
            raise FileNotFoundError(errno.ENOENT, "No such file", path)
        self.open_fds.add(path)
        return path

    def close(self, fd: str) -> None:
        self.open_fds.discard(fd)

    @staticmethod
    def _end() -> OSError:
        return OSError(errno.EINVAL, "Invalid argument")

    def ioctl(self, fd: str, request: int, struct) -> None:
        node = self.nodes[fd]
        if request == v4l2.VIDIOC_QUERYCAP:
            struct.driver = b"uvcvideo"
            struct.card = node["card"].encode()
            struct.bus_info = b"usb-0000:00:14.0-1"
            struct.capabilities = CAPTURE | META | v4l2.V4L2_CAP_DEVICE_CAPS
            struct.device_caps = node["caps"]
        elif request == v4l2.VIDIOC_ENUM_FMT:
            assert struct.type == v4l2.V4L2_BUF_TYPE_VIDEO_CAPTURE
            names = list(node["formats"])
            if struct.index >= len(names):
                raise self._end()
            struct.pixelformat = v4l2.fourcc(names[struct.index])
            struct.description = names[struct.index].encode()
        elif request == v4l2.VIDIOC_ENUM_FRAMESIZES:
            sizes = node["formats"][v4l2.fourcc_text(struct.pixel_format)]
            if "stepwise" in sizes:
                if struct.index > 0:
                    raise self._end()
                struct.type = v4l2.V4L2_FRMSIZE_TYPE_STEPWISE
                s = struct.stepwise
                (s.min_width, s.max_width, s.step_width, s.min_height, s.max_height, s.step_height) = sizes["stepwise"]
                return
            keys = list(sizes)
            if struct.index >= len(keys):
                raise self._end()
            struct.type = v4l2.V4L2_FRMSIZE_TYPE_DISCRETE
            struct.discrete.width, struct.discrete.height = keys[struct.index]
        elif request == v4l2.VIDIOC_ENUM_FRAMEINTERVALS:
            sizes = node["formats"][v4l2.fourcc_text(struct.pixel_format)]
            if "stepwise" in sizes:
                if struct.index > 0:
                    raise self._end()
                kind, fastest, slowest = sizes["intervals"]
                struct.type = kind
                struct.stepwise.min.numerator, struct.stepwise.min.denominator = _fract(fastest)
                struct.stepwise.max.numerator, struct.stepwise.max.denominator = _fract(slowest)
                struct.stepwise.step.numerator, struct.stepwise.step.denominator = (1, 1)
                return
            rates = sizes.get((struct.width, struct.height))
            if rates is None or struct.index >= len(rates):
                raise self._end()
            struct.type = v4l2.V4L2_FRMIVAL_TYPE_DISCRETE
            struct.discrete.numerator, struct.discrete.denominator = _fract(rates[struct.index])
        else:  # pragma: no cover - the code under test asked something unexpected
            raise OSError(errno.ENOTTY, "Inappropriate ioctl for device")


def _sysfs(root: Path, names: dict[str, str]) -> Path:
    sysfs = root / "sys" / "class" / "video4linux"
    for node, name in names.items():
        (sysfs / node).mkdir(parents=True)
        (sysfs / node / "name").write_text(name + "\n")
    (sysfs / "v4l-subdev0").mkdir()  # not a video node: ignored
    return sysfs


@pytest.fixture
def fake_machine(tmp_path):
    sysfs = _sysfs(
        tmp_path,
        {
            "video0": "HD Pro Webcam C920",
            "video1": "HD Pro Webcam C920",
            "video2": "USB3 HDMI Capture",
            "video10": "Locked Camera",
        },
    )
    driver = FakeDriver(
        {
            "/dev/video0": {
                "caps": CAPTURE,
                "card": "HD Pro Webcam C920",
                "formats": {
                    "YUYV": {(640, 480): [30, 15], (1280, 720): [10, 5]},
                    "MJPG": {(1920, 1080): [30, 15], (1280, 720): [60, 30], (640, 480): [30]},
                },
            },
            "/dev/video1": {"caps": META, "card": "HD Pro Webcam C920", "formats": {}},
            "/dev/video2": {
                "caps": CAPTURE,
                "card": "USB3 HDMI Capture",
                "formats": {
                    "NV12": {
                        "stepwise": (320, 1920, 16, 240, 1080, 8),
                        "intervals": (v4l2.V4L2_FRMIVAL_TYPE_CONTINUOUS, 60, 1),
                    }
                },
            },
        },
        refuse={"/dev/video10": errno.EACCES},
    )
    return sysfs, driver


def test_lists_capture_nodes_with_modes(fake_machine):
    sysfs, driver = fake_machine
    devices = list_video_devices(platform="linux", sysfs_root=sysfs, io=driver.io())

    assert [d["id"] for d in devices] == ["/dev/video0", "/dev/video2", "/dev/video10"]  # video1 is metadata
    assert not driver.open_fds  # every node closed again
    webcam, capture_card, locked = devices
    assert webcam["name"] == "HD Pro Webcam C920" and webcam["backend"] == "v4l2"
    assert webcam["modes"] == [
        {"width": 1920, "height": 1080, "fps": 30.0, "pixel_format": "MJPG"},
        {"width": 1920, "height": 1080, "fps": 15.0, "pixel_format": "MJPG"},
        {"width": 1280, "height": 720, "fps": 60.0, "pixel_format": "MJPG"},
        {"width": 1280, "height": 720, "fps": 30.0, "pixel_format": "MJPG"},
        {"width": 1280, "height": 720, "fps": 10.0, "pixel_format": "YUYV"},
        {"width": 1280, "height": 720, "fps": 5.0, "pixel_format": "YUYV"},
        {"width": 640, "height": 480, "fps": 30.0, "pixel_format": "YUYV"},  # raw preferred below 720p
        {"width": 640, "height": 480, "fps": 30.0, "pixel_format": "MJPG"},
        {"width": 640, "height": 480, "fps": 15.0, "pixel_format": "YUYV"},
    ]
    # Stepwise sizes become the common sizes on the grid (1600×900 is off the 8-px row grid),
    # continuous rates the common rates in range.
    sizes = {(m["width"], m["height"]) for m in capture_card["modes"]}
    assert {(320, 240), (640, 360), (640, 480), (1280, 720), (1920, 1080)} <= sizes
    assert (1600, 900) not in sizes
    rates = sorted({m["fps"] for m in capture_card["modes"] if (m["width"], m["height"]) == (1920, 1080)})
    assert rates == [5.0, 10.0, 15.0, 20.0, 24.0, 25.0, 30.0, 50.0, 60.0]
    assert {m["pixel_format"] for m in capture_card["modes"]} == {"NV12"}
    # A node that cannot be opened is still listed, without modes, saying why.
    assert locked["name"] == "Locked Camera" and locked["modes"] == []
    assert "permission" in locked["error"].lower() and "video" in locked["error"]
    json.dumps(devices)  # the `bridgecast devices --json` payload


def test_fractional_rates_and_real_ioctl_on_a_non_device(tmp_path):
    sysfs = _sysfs(tmp_path, {"video0": "NTSC grabber", "video1": "Not a device"})
    dev_root = tmp_path / "dev"
    dev_root.mkdir()
    (dev_root / "video1").write_bytes(b"")  # a plain file: the real fcntl.ioctl answers ENOTTY
    driver = FakeDriver(
        {"/dev/video0": {"caps": CAPTURE, "card": "grabber", "formats": {"UYVY": {(720, 480): [29.97]}}}}
    )

    def open_node(path):
        return driver.open(path.replace(str(dev_root), "/dev")) if path.endswith("video0") else v4l2.V4L2Io().open(path)

    def ioctl(fd, request, struct):
        if isinstance(fd, str):
            return driver.ioctl(fd, request, struct)
        return v4l2.V4L2Io().call(fd, request, struct)

    def close(fd):
        if not isinstance(fd, str):
            v4l2.V4L2Io().close(fd)

    io = v4l2.V4L2Io(open=open_node, close=close, ioctl=ioctl)
    devices = list_video_devices(platform="linux", sysfs_root=sysfs, dev_root=dev_root, io=io)
    assert devices[0]["modes"] == [{"width": 720, "height": 480, "fps": 29.97, "pixel_format": "UYVY"}]
    assert devices[1]["modes"] == [] and "cannot be opened" in devices[1]["error"]


def test_no_video4linux_means_no_devices(tmp_path):
    assert list_video_devices(platform="linux", sysfs_root=tmp_path / "missing") == []


class FakeCapture:
    def __init__(self, mode: tuple[int, int, float, str] | None) -> None:
        self.mode = mode
        self.released = False

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.mode is not None

    def get(self, prop: int) -> float:
        import cv2

        width, height, fps, fmt = self.mode
        return {
            cv2.CAP_PROP_FRAME_WIDTH: width,
            cv2.CAP_PROP_FRAME_HEIGHT: height,
            cv2.CAP_PROP_FPS: fps,
            cv2.CAP_PROP_FOURCC: v4l2.fourcc(fmt),
        }[prop]

    def release(self) -> None:
        self.released = True


def test_windows_probes_opencv_indices():
    import cv2

    answers = {0: (1280, 720, 30.0, "MJPG"), 1: (640, 480, 30.0, "YUY2")}
    made: list[FakeCapture] = []

    def factory(index, api):
        assert api == cv2.CAP_DSHOW
        made.append(FakeCapture(answers.get(index)))
        return made[-1]

    devices = list_video_devices(platform="win32", capture_factory=factory)
    assert [(d["id"], d["name"], d["backend"]) for d in devices] == [("0", "Camera 1", "dshow"), ("1", "Camera 2", "dshow")]
    assert devices[0]["modes"] == [{"width": 1280, "height": 720, "fps": 30.0, "pixel_format": "MJPG"}]
    assert len(made) == 4 and all(c.released for c in made)  # stops after two misses in a row

    named = list_video_devices(["Integrated Webcam", "Elgato Cam Link", "OBS Virtual Camera"], platform="win32", capture_factory=factory)
    assert [d["name"] for d in named] == ["Integrated Webcam", "Elgato Cam Link", "OBS Virtual Camera"]
    assert named[2]["modes"] == [] and "cannot be opened" in named[2]["error"]


MODES = sort_modes(
    [
        {"width": 1920, "height": 1080, "fps": 30.0, "pixel_format": "MJPG"},
        {"width": 1920, "height": 1080, "fps": 5.0, "pixel_format": "YUYV"},
        {"width": 1280, "height": 720, "fps": 60.0, "pixel_format": "MJPG"},
        {"width": 1280, "height": 720, "fps": 30.0, "pixel_format": "MJPG"},
        {"width": 1280, "height": 720, "fps": 30.0, "pixel_format": "YUYV"},
        {"width": 1280, "height": 720, "fps": 15.0, "pixel_format": "NV12"},
        {"width": 640, "height": 480, "fps": 30.0, "pixel_format": "MJPG"},
        {"width": 640, "height": 480, "fps": 30.0, "pixel_format": "YUYV"},
        {"width": 320, "height": 240, "fps": 60.0, "pixel_format": "YUYV"},
        {"width": 320, "height": 240, "fps": 15.0, "pixel_format": "YUYV"},
    ]
)


def _pick(*args, **kwargs):
    mode = choose_mode(MODES, *args, **kwargs)
    return None if mode is None else (mode["width"], mode["height"], mode["fps"], mode["pixel_format"])


def test_choose_mode_exact_and_format_preference():
    assert _pick(1280, 720, 30) == (1280, 720, 30.0, "MJPG")  # MJPG at 720p30: USB bandwidth
    assert _pick(640, 480, 30) == (640, 480, 30.0, "YUYV")  # raw below that
    assert _pick(1280, 720, 60) == (1280, 720, 60.0, "MJPG")
    assert _pick(1280, 720, 30, "YUYV") == (1280, 720, 30.0, "YUYV")
    assert _pick(1280, 720, 30, "nv12") == (1280, 720, 15.0, "NV12")  # asked format wins over rate
    assert _pick(1280, 720, 30, "H264") == (1280, 720, 30.0, "MJPG")  # format absent: ignored


def test_choose_mode_closest_area_then_rate():
    assert _pick(1920, 1080, 30) == (1920, 1080, 30.0, "MJPG")
    assert _pick(1920, 1080, 5) == (1920, 1080, 5.0, "YUYV")
    assert _pick(1280, 800, 30) == (1280, 720, 30.0, "MJPG")  # nearest area
    assert _pick(1280, 720, 24) == (1280, 720, 30.0, "MJPG")  # slowest that reaches the rate
    assert _pick(1280, 720, 120) == (1280, 720, 60.0, "MJPG")  # fastest when none reaches it
    assert _pick(320, 240, 30) == (320, 240, 60.0, "YUYV")
    assert _pick(3840, 2160, 30) == (1920, 1080, 30.0, "MJPG")
    assert _pick(None, None, None) == (1920, 1080, 30.0, "MJPG")
    assert choose_mode([], 1280, 720, 30) is None
