"""Beauty: skin smoothing and brightening on the detected face, nothing elsewhere.

Faces are found by MediaPipe's BlazeFace short-range detector (``face_detection_short_range.tflite``,
229 KB, Apache-2.0, from the same ``mediapipe`` 0.10.21 wheel as the segmentation model and shipped
in ``resources/models``; nothing is downloaded), run by OpenCV's DNN on a 128×128 letterboxed copy:
about 2.5 ms, against 20–30 ms for OpenCV's Haar cascade on a 360-wide copy on this machine (a
spike that would make every tenth program frame late).  A live item is searched every
:data:`DETECT_EVERY` frames (a face moves little in a sixth of a second) and a face is held for
:data:`HOLD_FRAMES` frames after it was last seen, so a blink or a turned head does not switch
the filter off and on.

Inside each face box (grown to take in the forehead, cheeks and jaw) the weight of the effect is
a skin mask (a soft range in Cr/Cb, where skin tones of every complexion fall) times a feathered
ellipse that is exactly zero at the box's edge: pixels outside the boxes are never touched.
Smoothing is an edge-preserving bilateral filter at half the box's size (eyes, brows and lips
keep their edges, pores and blemishes go); brightening lifts the mid-tones with a gamma curve.
"""
from __future__ import annotations

import functools
import threading

import cv2
import numpy as np

from studio.compositor.model_files import read_verified
from studio.core.i18n import _
from studio.core.paths import RESOURCES_DIR
from studio.picture_tools import Beauty

DETECTOR_FILE = RESOURCES_DIR / "models" / "face_detection_short_range.tflite"
DETECTOR_SHA256 = "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"
DETECTOR_SIDE = 128
MIN_SCORE = 0.6
DETECT_EVERY = 5  # frames between detections on a live item
HOLD_FRAMES = 15  # a face not found again is kept this long
GROW = (0.25, 0.45, 0.25, 0.25)  # left, top, right, bottom: share of the detector's box added
MIN_WEIGHT = 1.0 / 512.0  # weights below this are zero (no 8-bit change anyway)

_local = threading.local()  # one network per thread: OpenCV nets are not shared across threads
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels


@functools.lru_cache(maxsize=1)
def _detector_bytes() -> bytes:
    return read_verified(DETECTOR_FILE, DETECTOR_SHA256, _("The face detection model is missing ({reason}); reinstall Bridgecast."),
                         _("The face detection model file is damaged; reinstall Bridgecast."))


@functools.lru_cache(maxsize=1)
def _anchors() -> np.ndarray:
    """BlazeFace's 896 anchor centres (0..1): 2 a cell on the 16×16 grid, 6 a cell on the 8×8."""
    centres = []
    for stride, per_cell in ((8, 2), (16, 6)):
        cells = DETECTOR_SIDE // stride
        for y in range(cells):
            for x in range(cells):
                centres.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * per_cell)
    return np.array(centres, np.float32)


def _network() -> cv2.dnn.Net:
    net = getattr(_local, "net", None)
    if net is None:
        net = _local.net = cv2.dnn.readNetFromTFLite(np.frombuffer(_detector_bytes(), np.uint8))
    return net


def detect_faces(image: np.ndarray) -> list[Box]:
    """Face boxes in ``image`` (BGR), grown to the whole face, clipped to the image."""
    height, width = image.shape[:2]
    side = max(height, width)
    top, left = (side - height) // 2, (side - width) // 2
    scale = DETECTOR_SIDE / side
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = image
    while small.shape[1] // 2 >= target[0] and small.shape[0] // 2 >= target[1]:
        small = cv2.resize(small, (small.shape[1] // 2, small.shape[0] // 2), interpolation=cv2.INTER_AREA)  # 2× is cheap
    small = cv2.resize(small, target, interpolation=cv2.INTER_AREA)
    square = np.zeros((DETECTOR_SIDE, DETECTOR_SIDE, 3), np.uint8)  # letterboxed: faces keep their shape
    y0, x0 = round(top * scale), round(left * scale)
    square[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small[: DETECTOR_SIDE - y0, : DETECTOR_SIDE - x0]
    net = _network()
    net.setInput(cv2.dnn.blobFromImage(square, 1.0 / 127.5, mean=(127.5, 127.5, 127.5), swapRB=True))
    scores, boxes = net.forward(["classificators", "regressors"])
    scores = 1.0 / (1.0 + np.exp(-np.clip(scores.reshape(-1), -60.0, 60.0)))
    boxes = boxes.reshape(-1, 16)
    found = np.nonzero(scores >= MIN_SCORE)[0]
    if not len(found):
        return []
    anchors = _anchors()
    centre_x = (boxes[found, 0] / DETECTOR_SIDE + anchors[found, 0]) * side - left
    centre_y = (boxes[found, 1] / DETECTOR_SIDE + anchors[found, 1]) * side - top
    size_w, size_h = boxes[found, 2] / DETECTOR_SIDE * side, boxes[found, 3] / DETECTOR_SIDE * side
    rects = [[float(cx - w / 2), float(cy - h / 2), float(w), float(h)] for cx, cy, w, h in zip(centre_x, centre_y, size_w, size_h)]
    kept = cv2.dnn.NMSBoxes(rects, scores[found].tolist(), MIN_SCORE, 0.3)
    faces = []
    for index in np.array(kept).reshape(-1):
        x, y, w, h = rects[int(index)]
        faces.append((max(0, int(x - w * GROW[0])), max(0, int(y - h * GROW[1])),
                      min(width, int(x + w * (1 + GROW[2])) + 1), min(height, int(y + h * (1 + GROW[3])) + 1)))
    return [face for face in faces if face[2] > face[0] and face[3] > face[1]]


class FaceTracker:
    """One item's faces from frame to frame: detection every few frames, boxes held between."""

    def __init__(self) -> None:
        self._frame = 0
        self._boxes: list[Box] = []
        self._last_seen = -HOLD_FRAMES - 1

    def faces(self, image: np.ndarray) -> list[Box]:
        self._frame += 1
        if self._frame == 1 or self._frame % DETECT_EVERY == 0:
            found = detect_faces(image)
            if found:
                self._boxes, self._last_seen = found, self._frame
            elif self._frame - self._last_seen > HOLD_FRAMES:
                self._boxes = []
        height, width = image.shape[:2]
        return [(min(x0, width), min(y0, height), min(x1, width), min(y1, height)) for x0, y0, x1, y1 in self._boxes]


@functools.lru_cache(maxsize=32)
def _brighten_table(amount: float) -> np.ndarray:
    values = np.arange(256, dtype=np.float64) / 255.0
    return np.clip(values ** (1.0 / (1.0 + 0.6 * amount)) * 255.0 + 0.5, 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=16)
def _ellipse(width: int, height: int) -> np.ndarray:
    """A feathered ellipse filling a ``width``×``height`` box, exactly 0 on its edge (cached: the
    box stays the same between detections)."""
    ellipse = np.zeros((height, width), np.float32)
    feather = max(1.0, min(width, height) / 12.0)
    axes = (max(1, int(width / 2 - 2.5 * feather)), max(1, int(height / 2 - 2.5 * feather)))
    cv2.ellipse(ellipse, (width // 2, height // 2), axes, 0, 0, 360, 1.0, -1)
    ellipse = cv2.GaussianBlur(ellipse, (0, 0), feather)
    ellipse[ellipse < MIN_WEIGHT] = 0.0
    ellipse[0, :] = ellipse[-1, :] = 0.0
    ellipse[:, 0] = ellipse[:, -1] = 0.0
    return ellipse


def face_weight(roi: np.ndarray) -> np.ndarray:
    """The effect's weight in a face box (float32 0..1): skin × a feathered ellipse, 0 at the edges.
    The skin mask is made at half size (it is feathered anyway) and brought back up."""
    height, width = roi.shape[:2]
    half = cv2.resize(roi, (max(2, width // 2), max(2, height // 2)), interpolation=cv2.INTER_AREA)
    ycrcb = cv2.cvtColor(half, cv2.COLOR_BGR2YCrCb).astype(np.float32)
    y, cr, cb = ycrcb[:, :, 0], ycrcb[:, :, 1], ycrcb[:, :, 2]
    # Soft ranges: 1 inside Cr 138..170 / Cb 85..125 (skin of any tone), falling to 0 over 10 levels.
    skin = (np.clip(1.0 - np.maximum(np.maximum(138 - cr, cr - 170), 0) / 10.0, 0, 1)
            * np.clip(1.0 - np.maximum(np.maximum(85 - cb, cb - 125), 0) / 10.0, 0, 1)
            * np.clip((y - 35) / 20.0, 0, 1))
    skin = cv2.GaussianBlur(skin, (0, 0), max(1.0, min(width, height) / 72.0))
    weight = cv2.resize(skin, (width, height), interpolation=cv2.INTER_LINEAR) * _ellipse(width, height)
    weight[weight < MIN_WEIGHT] = 0.0
    return weight


def smooth_face(roi: np.ndarray, strength: float) -> np.ndarray:
    """Edge-preserving smoothing of a face box: a bilateral filter at half size, brought back up."""
    height, width = roi.shape[:2]
    half = cv2.resize(roi, (max(2, width // 2), max(2, height // 2)), interpolation=cv2.INTER_AREA)
    sigma_colour = 20.0 + 40.0 * strength
    smoothed = cv2.bilateralFilter(half, 7, sigma_colour, 4.0)
    return cv2.resize(smoothed, (width, height), interpolation=cv2.INTER_LINEAR)


def beauty(image: np.ndarray, alpha: np.ndarray | None, spec: Beauty,
           tracker: FaceTracker | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Skin smoothed and brightened on each face ``tracker`` (or a one-off detection) finds."""
    if spec.strength <= 0 and spec.brightening <= 0:
        return image, alpha
    boxes = tracker.faces(image) if tracker is not None else detect_faces(image)
    if not boxes:
        return image, alpha
    out = image.copy()
    for x0, y0, x1, y1 in boxes:
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        roi = out[y0:y1, x0:x1]
        weight = face_weight(roi)
        target = roi
        if spec.strength > 0:  # OpenCV's own loops throughout: they release the GIL the encoder and decoder need
            share = min(1.0, spec.strength * 1.2)
            target = cv2.addWeighted(smooth_face(roi, spec.strength), share, roi, 1.0 - share, 0.0)
        if spec.brightening > 0:
            target = cv2.LUT(target, _brighten_table(spec.brightening))
        roi[...] = cv2.blendLinear(target, roi, weight, 1.0 - weight)
    return out, alpha
