"""Faces in photo layers, for lint rule L1 (no face under the platform's UI).

Detection uses the frontal-face Haar cascade that OpenCV 4 wheels ship inside the package
(``cv2.data.haarcascades``); nothing is downloaded.  OpenCV 5 dropped ``CascadeClassifier`` from
its main module and ships no cascades: there ``default_detector()`` is ``None`` and L1 relies on
the face boxes a designer marks on image layers (``face``).  ``detector_status()`` says which.

A detector is any callable taking a PIL image and returning face boxes ``(x, y, w, h)`` in that
image's pixels, so callers (and tests) can pass their own.
"""
from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from typing import Callable

from PIL import Image

from studio.core.i18n import _

Detector = Callable[[Image.Image], list[tuple[float, float, float, float]]]

CASCADE_FILE = "haarcascade_frontalface_default.xml"
# Photos are shrunk to this longest side before detection: faces big enough to matter on a cover
# survive it, and detection stays in the tens of milliseconds.
DETECT_SIDE_PX = 640
MIN_FACE_PX = 24  # at the detection size

_local = threading.local()  # one classifier per thread: detectMultiScale is not re-entrant


def cascade_path() -> str | None:
    """Where this OpenCV keeps its frontal-face cascade, if it has one and can use it."""
    try:
        import cv2
    except ImportError:
        return None
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if not folder or not hasattr(cv2, "CascadeClassifier"):
        return None
    path = os.path.join(folder, CASCADE_FILE)
    return path if os.path.exists(path) else None


def _classifier():
    import cv2

    classifier = getattr(_local, "classifier", None)
    if classifier is None:
        classifier = cv2.CascadeClassifier(cascade_path())
        if classifier.empty():
            raise RuntimeError(f"OpenCV could not read {CASCADE_FILE}")
        _local.classifier = classifier
    return classifier


def haar_faces(image: Image.Image) -> list[tuple[float, float, float, float]]:
    """Frontal faces in ``image`` (boxes in its pixels) with OpenCV's Haar cascade.  Transparent
    pixels (outside a turned or rounded photo) count as grey, so they never look like faces."""
    import cv2
    import numpy as np

    scale = min(1.0, DETECT_SIDE_PX / max(image.size))
    small = image if scale == 1.0 else image.resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.BILINEAR)
    if small.mode in ("RGBA", "LA", "P"):
        flat = Image.new("RGB", small.size, (128, 128, 128))
        rgba = small.convert("RGBA")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        small = flat
    gray = cv2.equalizeHist(np.asarray(small.convert("L")))
    found = _classifier().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(MIN_FACE_PX, MIN_FACE_PX))
    return [(x / scale, y / scale, w / scale, h / scale) for x, y, w, h in (found if len(found) else [])]


def default_detector() -> Detector | None:
    """The Haar detector when this OpenCV has the cascade, else ``None``."""
    return haar_faces if cascade_path() else None


def detector_status() -> str:
    """One sentence for the user: whether L1 finds faces in photos by itself here."""
    if cascade_path():
        return _("Faces in photos are found automatically (OpenCV Haar cascade).")
    return _("This OpenCV has no face cascade (OpenCV 5 dropped it): L1 checks only faces marked on image layers. "
             "Install opencv-python-headless 4.x to find faces automatically.")


# Tiles come from the renderer's cache, so the same picture object is checked again and again
# while a designer edits other layers: remember answers per picture object (held weakly).
_seen: "OrderedDict[tuple[int, int], tuple[weakref.ref, list]]" = OrderedDict()
_seen_lock = threading.Lock()
SEEN_LIMIT = 64


def faces_in(image: Image.Image, detector: Detector) -> list[tuple[float, float, float, float]]:
    """``detector(image)``, remembered for this picture object and detector."""
    key = (id(image), id(detector))
    with _seen_lock:
        entry = _seen.get(key)
        if entry is not None and entry[0]() is image:
            _seen.move_to_end(key)
            return entry[1]
    boxes = [tuple(float(v) for v in box) for box in detector(image)]
    with _seen_lock:
        _seen[key] = (weakref.ref(image), boxes)
        while len(_seen) > SEEN_LIMIT:
            _seen.popitem(last=False)
    return boxes
