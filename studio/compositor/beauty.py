"""Beauty: skin smoothing and brightening on the detected face, nothing elsewhere.

Faces are found by the frontal-face Haar cascade that the OpenCV wheel ships
(``cv2.data.haarcascades``, the one the cover lint uses; nothing is downloaded) on a 480-wide
grey copy, every :data:`DETECT_EVERY` frames for a live item (a face moves little in 200 ms) and
held for :data:`HOLD_FRAMES` frames after it was last seen, so a blink or a turned head does not
switch the filter off and on.

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

from cover_designer.faces import cascade_path
from studio.scene import Beauty

DETECT_WIDTH_PX = 480
MIN_FACE_PX = 28  # at the detection size
DETECT_EVERY = 6  # frames between detections on a live item
HOLD_FRAMES = 15  # a face not found again is kept this long
GROW = (0.15, 0.30, 0.15, 0.20)  # left, top, right, bottom: share of the box added
MIN_WEIGHT = 1.0 / 512.0  # weights below this are zero (no 8-bit change anyway)

_local = threading.local()  # detectMultiScale is not re-entrant: one classifier per thread
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels


def _classifier() -> cv2.CascadeClassifier | None:
    classifier = getattr(_local, "classifier", None)
    if classifier is None:
        path = cascade_path()
        classifier = cv2.CascadeClassifier(path) if path else None
        _local.classifier = classifier if classifier is not None and not classifier.empty() else False
    return classifier or None


def detect_faces(image: np.ndarray) -> list[Box]:
    """Face boxes in ``image`` (BGR), grown to the whole face, clipped to the image."""
    classifier = _classifier()
    if classifier is None:
        return []
    height, width = image.shape[:2]
    scale = min(1.0, DETECT_WIDTH_PX / width)
    small = cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    grey = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
    found = classifier.detectMultiScale(grey, scaleFactor=1.15, minNeighbors=5, minSize=(MIN_FACE_PX, MIN_FACE_PX))
    boxes = []
    for x, y, w, h in (found if len(found) else []):
        x0, y0 = (x - w * GROW[0]) / scale, (y - h * GROW[1]) / scale
        x1, y1 = (x + w * (1 + GROW[2])) / scale, (y + h * (1 + GROW[3])) / scale
        boxes.append((max(0, int(x0)), max(0, int(y0)), min(width, int(x1 + 1)), min(height, int(y1 + 1))))
    return boxes


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


def face_weight(roi: np.ndarray) -> np.ndarray:
    """The effect's weight in a face box (float32 0..1): skin × a feathered ellipse, 0 at the edges."""
    height, width = roi.shape[:2]
    ycrcb = cv2.cvtColor(roi, cv2.COLOR_BGR2YCrCb).astype(np.float32)
    y, cr, cb = ycrcb[:, :, 0], ycrcb[:, :, 1], ycrcb[:, :, 2]
    # Soft ranges: 1 inside Cr 138..170 / Cb 85..125 (skin of any tone), falling to 0 over 10 levels.
    skin = (np.clip(1.0 - np.maximum(np.maximum(138 - cr, cr - 170), 0) / 10.0, 0, 1)
            * np.clip(1.0 - np.maximum(np.maximum(85 - cb, cb - 125), 0) / 10.0, 0, 1)
            * np.clip((y - 35) / 20.0, 0, 1))
    ellipse = np.zeros((height, width), np.float32)
    feather = max(1.0, min(width, height) / 12.0)
    axes = (max(1, int(width / 2 - 2.5 * feather)), max(1, int(height / 2 - 2.5 * feather)))
    cv2.ellipse(ellipse, (width // 2, height // 2), axes, 0, 0, 360, 1.0, -1)
    ellipse = cv2.GaussianBlur(ellipse, (0, 0), feather)
    weight = cv2.GaussianBlur(skin, (0, 0), feather / 3.0) * ellipse
    weight[weight < MIN_WEIGHT] = 0.0
    weight[0, :] = weight[-1, :] = 0.0
    weight[:, 0] = weight[:, -1] = 0.0
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
        target = roi.astype(np.float32)
        if spec.strength > 0:
            target += (smooth_face(roi, spec.strength).astype(np.float32) - target) * min(1.0, spec.strength * 1.2)
        if spec.brightening > 0:
            lifted = cv2.LUT(np.clip(target + 0.5, 0, 255).astype(np.uint8), _brighten_table(spec.brightening))
            target = lifted.astype(np.float32)
        mixed = roi + (target - roi) * weight[:, :, None]
        roi[...] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
    return out, alpha
