"""Picture tools on a scene item, applied in order at the item's size on the compositor's thread:
chroma key (green/blue screen), colour correction, a ``.cube`` LUT look, sharpen, and — in their
own modules — virtual background (:mod:`.segmentation`) and beauty (:mod:`.beauty`), which keep
state from frame to frame in the item's :class:`FilterState`.

Each takes and returns (BGR uint8, alpha uint8 or None).  The compositor caches the result per
source frame, so a still picture is filtered once.  Costs at 1920×1080 on this machine are in
BENCHMARKS.md (``bridgecast bench compositor``: ``filter_<kind>_ms``).

Chroma key follows OBS's ``chroma_key_filter`` shader: the distance of a pixel's (Cb, Cr) from
the key colour's, both 0..1; ``similarity`` is the distance still keyed out, ``smoothness`` the
ramp above it, and ``spill`` desaturates the key colour's fringe on what stays.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import cv2
import numpy as np

from studio.core.errors import SourceError
from studio.core.i18n import _
from studio.compositor.beauty import FaceTracker, beauty
from studio.compositor.segmentation import PersonSegmenter, virtual_background
from studio.picture_tools import ChromaKey, ColorCorrection, ItemFilter, LutLook, Sharpen

LUT_LEVELS = 64  # the 3D LUT is resampled to 64³ entries and looked up at 6 bits per channel
MAX_CUBE_BYTES = 64 * 1024 * 1024


def _key_chroma(hex_colour: str) -> tuple[float, float]:
    value = hex_colour.lstrip("#")
    bgr = np.array([[[int(value[4:6], 16), int(value[2:4], 16), int(value[0:2], 16)]]], np.uint8)
    _y, cr, cb = cv2.cvtColor(bgr, cv2.COLOR_BGR2YCrCb)[0, 0]
    return float(cr) / 255.0, float(cb) / 255.0


@functools.lru_cache(maxsize=32)
def _chroma_tables(color: str, similarity: float, smoothness: float, spill: float) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, spill weight) for every (Cr, Cb) pair, 65,536 entries each, indexed (Cr << 8) | Cb:
    the per-pixel work becomes two table look-ups instead of float maths on every pixel."""
    key_cr, key_cb = _key_chroma(color)
    cr, cb = np.meshgrid(np.arange(256, dtype=np.float64) / 255.0, np.arange(256, dtype=np.float64) / 255.0,
                         indexing="ij")
    base = np.hypot(cr - key_cr, cb - key_cb) - similarity
    alpha = np.clip(base / smoothness, 0.0, 1.0) ** 1.5
    weight = np.clip(base / spill, 0.0, 1.0) ** 1.5
    return ((alpha * 255.0 + 0.5).astype(np.uint8).ravel(), (weight * 255.0 + 0.5).astype(np.uint8).ravel())


def chroma_key(image: np.ndarray, alpha: np.ndarray | None, spec: ChromaKey) -> tuple[np.ndarray, np.ndarray]:
    alpha_table, spill_table = _chroma_tables(spec.color.upper(), spec.similarity, spec.smoothness, spec.spill)
    ycrcb = cv2.cvtColor(image, cv2.COLOR_BGR2YCrCb)
    index = (ycrcb[:, :, 1].astype(np.uint16) << 8) | ycrcb[:, :, 2]
    new_alpha = np.take(alpha_table, index)
    weight = np.take(spill_table, index)
    # Spill: where the key colour still tints what stays (the fringe), move towards grey.
    fringe = (weight < 255) & (new_alpha > 0)
    if fringe.any():
        image = image.copy()
        pixels = image[fringe].astype(np.float32)
        grey = pixels @ np.array([0.114, 0.587, 0.299], np.float32)
        share = weight[fringe].astype(np.float32)[:, None] * (1.0 / 255.0)
        image[fringe] = np.clip(pixels * share + grey[:, None] * (1.0 - share) + 0.5, 0, 255).astype(np.uint8)
    if alpha is not None:
        new_alpha = cv2.multiply(new_alpha, alpha, scale=1.0 / 255.0)
    return image, new_alpha


@functools.lru_cache(maxsize=64)
def _tone_table(brightness: float, contrast: float, gamma: float) -> np.ndarray:
    values = np.arange(256, dtype=np.float64) / 255.0
    values = values ** (1.0 / gamma)
    values = (values - 0.5) * (1.0 + contrast) + 0.5 + brightness
    return np.clip(values * 255.0 + 0.5, 0, 255).astype(np.uint8)


def color_correction(image: np.ndarray, alpha: np.ndarray | None, spec: ColorCorrection) -> tuple[np.ndarray, np.ndarray | None]:
    if (spec.brightness, spec.contrast, spec.gamma) != (0.0, 0.0, 1.0):
        image = cv2.LUT(image, _tone_table(spec.brightness, spec.contrast, spec.gamma))
    if spec.saturation != 1.0:
        grey = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        image = cv2.addWeighted(image, spec.saturation, grey, 1.0 - spec.saturation, 0.0)
    return image, alpha


def parse_cube(text: str) -> np.ndarray:
    """A ``.cube`` file's table as an N×N×N×3 float array indexed [b][g][r] (red changes fastest
    in the file), values scaled to 0..1 by DOMAIN_MIN/MAX; ValueError in words for a bad file."""
    size = 0
    low, high = np.zeros(3), np.ones(3)
    rows: list[list[float]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head = line.split()[0].upper()
        if head == "LUT_3D_SIZE":
            size = int(line.split()[1])
            if not 2 <= size <= 256:
                raise ValueError(_("LUT_3D_SIZE {size} is out of range (2–256)").format(size=size))
        elif head == "LUT_1D_SIZE":
            raise ValueError(_("a 1D LUT (LUT_1D_SIZE) is not a colour look; use a 3D .cube file"))
        elif head == "DOMAIN_MIN":
            low = np.array([float(v) for v in line.split()[1:4]])
        elif head == "DOMAIN_MAX":
            high = np.array([float(v) for v in line.split()[1:4]])
        elif head in ("TITLE", "LUT_3D_INPUT_RANGE"):
            continue
        else:
            try:
                values = [float(v) for v in line.split()]
            except ValueError:
                raise ValueError(_("line {number} is not three numbers: {line}").format(number=number, line=raw[:60])) from None
            if len(values) != 3 or not all(np.isfinite(values)):
                raise ValueError(_("line {number} is not three numbers: {line}").format(number=number, line=raw[:60]))
            rows.append(values)
    if not size:
        raise ValueError(_("no LUT_3D_SIZE line: not a 3D .cube file"))
    if len(rows) != size ** 3:
        raise ValueError(_("{count} colour rows where LUT_3D_SIZE {size} needs {needed}").format(
            count=len(rows), size=size, needed=size ** 3))
    table = np.asarray(rows, dtype=np.float64).reshape(size, size, size, 3)  # [b][g][r]
    span = np.where(high - low == 0, 1.0, high - low)
    return np.clip((table - low) / span, 0.0, 1.0)


def _resample(table: np.ndarray, levels: int) -> np.ndarray:
    """Trilinear resampling of an N³ table to ``levels``³ (indexed [b][g][r], RGB values 0..1)."""
    size = table.shape[0]
    pos = np.linspace(0.0, size - 1.0, levels)
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, size - 1)
    f = pos - i0
    out = table
    for axis in range(3):
        a = np.take(out, i0, axis=axis)
        b = np.take(out, i1, axis=axis)
        shape = [1, 1, 1, 1]
        shape[axis] = levels
        out = a + (b - a) * f.reshape(shape)
    return out


@functools.lru_cache(maxsize=8)
def _lut_table(path: str, _signature: tuple[int, int]) -> np.ndarray:
    """The look as a flat (64³, 4) BGRX uint8 table indexed (b<<12)|(g<<6)|r at 6 bits."""
    file = Path(path)
    if file.stat().st_size > MAX_CUBE_BYTES:
        raise ValueError(_("the file is larger than {size} MB").format(size=MAX_CUBE_BYTES // (1024 * 1024)))
    table = _resample(parse_cube(file.read_text(encoding="utf-8", errors="replace")), LUT_LEVELS)
    bgrx = np.zeros((LUT_LEVELS ** 3, 4), np.uint8)  # 4 bytes an entry: one 32-bit gather a pixel
    bgrx[:, :3] = (table[..., ::-1] * 255.0 + 0.5).astype(np.uint8).reshape(-1, 3)
    return bgrx


def load_lut(path: str) -> np.ndarray:
    """The look's table (cached while the file is unchanged); SourceError in words if unreadable."""
    try:
        stat = os.stat(path)
        return _lut_table(path, (stat.st_mtime_ns, stat.st_size))
    except (OSError, ValueError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SourceError(_("The colour look {path} cannot be used: {reason}").format(path=path, reason=reason)) from None


_INDEX_WEIGHTS = np.array([[LUT_LEVELS * LUT_LEVELS, LUT_LEVELS, 1]], np.float32)  # B, G, R at 6 bits


def lut_look(image: np.ndarray, alpha: np.ndarray | None, spec: LutLook) -> tuple[np.ndarray, np.ndarray | None]:
    table = load_lut(spec.path)
    index = cv2.transform((image >> 2).astype(np.float32), _INDEX_WEIGHTS).astype(np.int32)  # (b << 12) | (g << 6) | r
    looked = np.ascontiguousarray(table.view(np.uint32).ravel().take(index).view(np.uint8).reshape(*index.shape, 4)[:, :, :3])
    if spec.amount < 1.0:
        looked = cv2.addWeighted(looked, spec.amount, image, 1.0 - spec.amount, 0.0)
    return looked, alpha


def sharpen(image: np.ndarray, alpha: np.ndarray | None, spec: Sharpen) -> tuple[np.ndarray, np.ndarray | None]:
    if spec.amount <= 0:
        return image, alpha
    blurred = cv2.GaussianBlur(image, (0, 0), 1.2)
    return cv2.addWeighted(image, 1.0 + spec.amount, blurred, -spec.amount, 0.0), alpha


_APPLY = {"chroma_key": chroma_key, "color": color_correction, "lut": lut_look, "sharpen": sharpen}
_STATEFUL = {"virtual_background": (virtual_background, PersonSegmenter), "beauty": (beauty, FaceTracker)}


class FilterState:
    """What one item's picture tools keep between frames (the segmentation network and its last
    mask, the faces found): one per item per compositor, used on that compositor's thread only."""

    def __init__(self) -> None:
        self._parts: dict[tuple[int, str], object] = {}

    def part(self, index: int, kind: str) -> object:
        key = (index, kind)
        if key not in self._parts:
            self._parts[key] = _STATEFUL[kind][1]()
        return self._parts[key]


def apply_filters(image: np.ndarray, alpha: np.ndarray | None, filters: tuple[ItemFilter, ...],
                  state: FilterState | None = None) -> tuple[np.ndarray, np.ndarray | None, str | None]:
    """Run ``filters`` in order; returns (image, alpha, problem in words or None).  A filter that
    cannot run (a LUT file gone) is skipped and said; the picture still goes on air.  ``state``
    carries the item's frame-to-frame state (None: each frame on its own)."""
    problem = None
    for index, spec in enumerate(filters):
        try:
            if spec.kind in _STATEFUL:
                run, _factory = _STATEFUL[spec.kind]
                image, alpha = run(image, alpha, spec, state.part(index, spec.kind) if state is not None else None)
            else:
                image, alpha = _APPLY[spec.kind](image, alpha, spec)
        except SourceError as exc:
            problem = str(exc)
    return image, alpha, problem
