"""Auto layout for the vertical canvas: a 9:16 window that follows the host across the
horizontal program, for hosts who don't want to lay every scene out twice.

Two parts, so the motion can be tested without a face and the detection never costs the
render thread a frame:

- :class:`Reframer` is pure state.  ``observe(faces, …)`` is told where faces are;
  ``step(…)`` moves the crop window once per frame.  The window only re-aims when the
  followed face leaves the dead zone (the middle 30 % of the window), then glides there with
  exponential smoothing capped at a maximum pan speed, so detector noise never shows as
  jitter.  With no face it holds, and after ``hold_s`` eases back to the centre.
- :class:`FaceFinder` runs a face detector on its own thread at a low rate (2.5 Hz) on a small
  grey copy of the picture (320 px wide): a few per cent of one core.  The render thread only hands it a reference to a
  frame nobody writes to, and picks up the newest answer when there is one.

The detector is OpenCV's frontal-face Haar cascade shipped inside the cv2 wheel (the cover
designer's L1 rule uses the same file; see ``cover_designer.faces``).  Without it (OpenCV 5)
the window stays centred.
"""
from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import Callable, Sequence

import cv2
import numpy as np

from studio.core.clock import NS_PER_S
from studio.core.frame import LatestSlot

log = logging.getLogger(__name__)

FaceBox = tuple[float, float, float, float]  # x, y, width, height in the detector input's pixels
FaceDetector = Callable[[np.ndarray], Sequence[FaceBox]]  # H×W uint8 grey picture → faces

DETECT_WIDTH_PX = 320  # a face ≥ 1/7 of the picture height (≈150 px in 1080p) is still ≥ 25 px here
DETECT_SCALE_STEP = 1.15  # Haar pyramid step: 1.1 finds no more hosts here and costs a third more
DETECT_INTERVAL_NS = 2 * NS_PER_S // 5  # 2.5 Hz: people move slowly next to a frame rate
MIN_FACE_PX = 20  # at the detection size
DEAD_ZONE_FRACTION = 0.30  # of the window: no re-aiming while the face stays in its middle 30 %
SMOOTHING_TIME_S = 0.45  # time constant of the glide towards a new aim
MAX_PAN_WINDOWS_PER_S = 0.8  # the glide never moves faster than this many window widths per second
HOLD_S = 3.0  # no face for this long: ease back to the centre
FACE_HEIGHT_FRACTION = 0.38  # where the face sits in the window's height when it can move vertically
MAX_STEP_S = 0.5  # a longer gap between frames (a stall) moves at most this much time's worth


@dataclass(frozen=True, slots=True)
class CropWindow:
    """The part of the horizontal picture that becomes the vertical picture (pixels)."""

    x: int
    y: int
    width: int
    height: int


def window_size(frame_width: int, frame_height: int, out_width: int, out_height: int) -> tuple[int, int]:
    """The largest window with the output's aspect inside the frame: (width, height)."""
    if frame_width * out_height >= frame_height * out_width:  # the frame is wider: full height
        return min(frame_width, max(1, round(frame_height * out_width / out_height))), frame_height
    return frame_width, min(frame_height, max(1, round(frame_width * out_height / out_width)))


class Reframer:
    """Where the crop window is, frame after frame: dead zone, smoothing, speed cap, hold, return.

    Times are media-clock nanoseconds passed in by the caller (the frames' own capture times),
    so the motion is the same however late the render thread runs, and tests drive it exactly.
    """

    def __init__(
        self,
        out_width: int,
        out_height: int,
        *,
        dead_zone_fraction: float = DEAD_ZONE_FRACTION,
        smoothing_time_s: float = SMOOTHING_TIME_S,
        max_pan_windows_per_s: float = MAX_PAN_WINDOWS_PER_S,
        hold_s: float = HOLD_S,
    ) -> None:
        self.out_width = int(out_width)
        self.out_height = int(out_height)
        self.dead_zone_fraction = float(dead_zone_fraction)
        self.smoothing_time_s = float(smoothing_time_s)
        self.max_pan_windows_per_s = float(max_pan_windows_per_s)
        self.hold_s = float(hold_s)
        self._lock = threading.Lock()  # a view may read the window while the render thread moves it
        self._frame_size: tuple[int, int] | None = None
        self._centre = (0.0, 0.0)
        self._target = (0.0, 0.0)
        self._followed: FaceBox | None = None  # in frame pixels
        self._last_face_ns: int | None = None
        self._last_step_ns: int | None = None

    @property
    def centre(self) -> tuple[float, float]:
        return self._centre

    @property
    def target(self) -> tuple[float, float]:
        return self._target

    # -- inputs -----------------------------------------------------------------------------
    def observe(self, faces: Sequence[FaceBox], frame_size: tuple[int, int], now_ns_: int) -> None:
        """Faces found in a frame of ``frame_size`` (boxes in its pixels) at ``now_ns_``."""
        with self._lock:
            self._ensure_frame(frame_size)
            if not faces:
                return
            face = self._choose(faces)
            self._followed = face
            self._last_face_ns = now_ns_
            window_w, window_h = self._window_size()
            face_x = face[0] + face[2] / 2
            face_y = face[1] + face[3] / 2 + window_h * (0.5 - FACE_HEIGHT_FRACTION)
            target_x, target_y = self._target
            # The dead zone is measured around where the window is going, so a face that
            # stays put keeps the window still even while detections wobble by a few pixels.
            if abs(face_x - target_x) > self.dead_zone_fraction * window_w / 2:
                target_x = face_x
            if abs(face_y - target_y) > self.dead_zone_fraction * window_h / 2:
                target_y = face_y
            self._target = self._clamped((target_x, target_y))

    def step(self, frame_size: tuple[int, int], now_ns_: int) -> CropWindow:
        """Move the window by one frame's worth of glide and return it."""
        with self._lock:
            self._ensure_frame(frame_size)
            if self._last_face_ns is not None and now_ns_ - self._last_face_ns > self.hold_s * NS_PER_S:
                self._target = self._frame_centre()  # nobody there for a while: back to the middle
                self._followed = None
                self._last_face_ns = None
            dt_s = 0.0 if self._last_step_ns is None else min(MAX_STEP_S, max(0.0, (now_ns_ - self._last_step_ns) / NS_PER_S))
            self._last_step_ns = now_ns_
            window_w, window_h = self._window_size()
            smoothing = 1.0 - math.exp(-dt_s / self.smoothing_time_s) if self.smoothing_time_s > 0 else 1.0
            centre = []
            for now_value, target_value, window_length in zip(self._centre, self._target, (window_w, window_h)):
                error = target_value - now_value
                max_move = self.max_pan_windows_per_s * window_length * dt_s
                move = max(-max_move, min(max_move, error * smoothing))
                centre.append(target_value if abs(error) < 1.0 else now_value + move)  # no sub-pixel creep at the end
            self._centre = self._clamped((centre[0], centre[1]))
            frame_w, frame_h = self._frame_size  # type: ignore[misc]
            x = min(frame_w - window_w, max(0, round(self._centre[0] - window_w / 2)))
            y = min(frame_h - window_h, max(0, round(self._centre[1] - window_h / 2)))
            return CropWindow(x, y, window_w, window_h)

    # -- helpers ------------------------------------------------------------------------------
    def _ensure_frame(self, frame_size: tuple[int, int]) -> None:
        frame_size = (int(frame_size[0]), int(frame_size[1]))
        if frame_size != self._frame_size:
            self._frame_size = frame_size
            self._centre = self._target = self._frame_centre()
            self._followed = None
            self._last_face_ns = None

    def _frame_centre(self) -> tuple[float, float]:
        frame_w, frame_h = self._frame_size  # type: ignore[misc]
        return frame_w / 2, frame_h / 2

    def _window_size(self) -> tuple[int, int]:
        frame_w, frame_h = self._frame_size  # type: ignore[misc]
        return window_size(frame_w, frame_h, self.out_width, self.out_height)

    def _clamped(self, point: tuple[float, float]) -> tuple[float, float]:
        frame_w, frame_h = self._frame_size  # type: ignore[misc]
        window_w, window_h = self._window_size()
        return (
            min(frame_w - window_w / 2, max(window_w / 2, point[0])),
            min(frame_h - window_h / 2, max(window_h / 2, point[1])),
        )

    def _choose(self, faces: Sequence[FaceBox]) -> FaceBox:
        """The largest face, unless the one followed so far is still there and not much smaller
        (two people on screen must not make the window flip between them)."""
        largest = max(faces, key=lambda f: f[2] * f[3])
        followed = self._followed
        if followed is None:
            return largest
        fx, fy = followed[0] + followed[2] / 2, followed[1] + followed[3] / 2
        near = [f for f in faces if abs(f[0] + f[2] / 2 - fx) <= followed[2] and abs(f[1] + f[3] / 2 - fy) <= followed[3]]
        near = [f for f in near if f[2] * f[3] >= 0.5 * largest[2] * largest[3]]
        if not near:
            return largest
        return min(near, key=lambda f: abs(f[0] + f[2] / 2 - fx) + abs(f[1] + f[3] / 2 - fy))


# -- detection ------------------------------------------------------------------------------------
def haar_face_detector() -> FaceDetector | None:
    """OpenCV's frontal-face Haar cascade as a detector, or ``None`` when this OpenCV has none.

    Each call makes its own classifier: ``detectMultiScale`` is not re-entrant, and each
    detector is used by one thread (its :class:`FaceFinder`).
    """
    from cover_designer.faces import cascade_path

    path = cascade_path()
    if path is None:
        return None
    classifier = cv2.CascadeClassifier(path)
    if classifier.empty():
        log.warning("OpenCV could not read its face cascade %s; the vertical canvas stays centred", path)
        return None

    def detect(gray: np.ndarray) -> list[FaceBox]:
        found = classifier.detectMultiScale(gray, scaleFactor=DETECT_SCALE_STEP, minNeighbors=3, minSize=(MIN_FACE_PX, MIN_FACE_PX))
        return [(float(x), float(y), float(w), float(h)) for x, y, w, h in (found if len(found) else [])]

    return detect


def find_faces(image: np.ndarray, detector: FaceDetector, detect_width_px: int = DETECT_WIDTH_PX) -> list[FaceBox]:
    """Faces in a BGR picture, found on a small grey copy, as boxes in the picture's pixels."""
    height, width = image.shape[:2]
    scale = min(1.0, detect_width_px / width)
    small = image if scale == 1.0 else cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    return [(x / scale, y / scale, w / scale, h / scale) for x, y, w, h in detector(gray)]


@dataclass(frozen=True, slots=True)
class _Request:
    image: np.ndarray
    capture_ns: int


class FaceFinder:
    """Runs ``detector`` on its own thread, at most once per ``interval_ns``, newest picture wins.

    ``offer`` costs the caller nothing but a reference (the picture is never written after it
    was published); ``poll`` returns the newest faces once, or ``None`` when there is no new answer.
    """

    def __init__(self, detector: FaceDetector, interval_ns: int = DETECT_INTERVAL_NS, detect_width_px: int = DETECT_WIDTH_PX) -> None:
        self.detector = detector
        self.interval_ns = int(interval_ns)
        self.detect_width_px = int(detect_width_px)
        self._requests: LatestSlot[_Request] = LatestSlot()
        self._result: tuple[list[FaceBox], tuple[int, int], int] | None = None
        self._result_lock = threading.Lock()
        self._last_offer_ns: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.detections = 0
        self.errors = 0

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._requests = LatestSlot()
        self._thread = threading.Thread(target=self._run, name="face-finder", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._requests.close()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def offer(self, image: np.ndarray, capture_ns: int) -> bool:
        """Hand over a picture if a detection is due; say whether it was taken."""
        if self._last_offer_ns is not None and capture_ns - self._last_offer_ns < self.interval_ns:
            return False
        self._last_offer_ns = capture_ns
        self._requests.put(_Request(image, capture_ns))
        return True

    def poll(self) -> tuple[list[FaceBox], tuple[int, int], int] | None:
        """(faces in the offered picture's pixels, its (width, height), its capture time), once."""
        with self._result_lock:
            result, self._result = self._result, None
        return result

    def _run(self) -> None:
        while not self._stop.is_set():
            request = self._requests.take(timeout=0.5)
            if request is None:
                continue
            try:
                faces = find_faces(request.image, self.detector, self.detect_width_px)
            except Exception:  # a broken detection must not end the show's auto layout
                self.errors += 1
                log.exception("face detection failed")
                continue
            self.detections += 1
            height, width = request.image.shape[:2]
            with self._result_lock:
                self._result = (faces, (width, height), request.capture_ns)

