"""Beauty: skin smoothed and brightened on the detected face only — measured on a real portrait
(Matplotlib's Grace Hopper photo): less fine detail on the face's skin, every pixel outside the
face boxes unchanged, nothing at all without a face."""
from __future__ import annotations

import cv2
import numpy as np

from bench.testbed.person_clip import person, person_frame, room
from studio.compositor.beauty import FaceTracker, beauty, detect_faces, face_weight
from studio.compositor.filters import FilterState, apply_filters
from studio.scene import Beauty


def _portrait() -> np.ndarray:
    image, _mask = person()
    return cv2.resize(image, (768, 900), interpolation=cv2.INTER_LINEAR)


def test_the_face_is_found():
    boxes = detect_faces(_portrait())
    assert len(boxes) == 1
    x0, y0, x1, y1 = boxes[0]
    assert 200 < (x0 + x1) / 2 < 560 and 200 < (y0 + y1) / 2 < 500  # her face, not the flag


def test_smoothing_lowers_skin_detail_and_leaves_the_rest_alone():
    image = _portrait()
    (x0, y0, x1, y1), = detect_faces(image)
    out, alpha = beauty(image, None, Beauty(strength=0.8, brightening=0.0))
    assert alpha is None
    outside = np.ones(image.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(out[outside], image[outside])  # not one pixel outside the face box
    skin = face_weight(image[y0:y1, x0:x1]) > 0.5
    assert skin.sum() > 2000

    def fine_detail(picture: np.ndarray) -> float:
        grey = cv2.cvtColor(picture[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY).astype(np.float32)
        return float((cv2.Laplacian(grey, cv2.CV_32F) ** 2)[skin].mean())

    before, after = fine_detail(image), fine_detail(out)
    print(f"\nskin high-frequency energy: {before:.1f} → {after:.1f} ({after / before:.0%})")
    assert after < 0.55 * before  # measured here: 44 %


def test_brightening_lifts_the_skin():
    image = _portrait()
    (x0, y0, x1, y1), = detect_faces(image)
    skin = face_weight(image[y0:y1, x0:x1]) > 0.5
    out, _alpha = beauty(image, None, Beauty(strength=0.0, brightening=1.0))
    before = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)[skin].mean()
    after = cv2.cvtColor(out[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)[skin].mean()
    assert after > before + 10


def test_no_face_no_change():
    empty = room("shelf", 640, 360)
    out, _alpha = beauty(empty, None, Beauty(strength=1.0, brightening=1.0))
    assert out is empty
    out, _alpha, problem = apply_filters(empty, None, (Beauty(),), FilterState())
    assert out is empty and problem is None


def test_the_tracker_holds_the_face_between_detections():
    tracker = FaceTracker()
    frame, _truth = person_frame("office", 0, 960, 540)
    first = tracker.faces(frame)
    assert len(first) == 1
    for _ in range(4):  # frames between detections: the same box, no detection run
        assert tracker.faces(frame) == first


def test_the_face_detector_ships_inside_the_package_unchanged():
    import hashlib

    from studio.compositor.beauty import DETECTOR_FILE, DETECTOR_SHA256

    assert hashlib.sha256(DETECTOR_FILE.read_bytes()).hexdigest() == DETECTOR_SHA256
