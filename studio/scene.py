"""Scene collections: sources, scenes of layers, canvases and transition — versioned JSON.

Layers are drawn in list order (first = bottom).  Loading validates everything before
anything changes, and errors name the offending field (``scenes[0].items[1].opacity``).

A show has one horizontal canvas and, optionally, a second vertical one (9:16 for TikTok,
Reels, Shorts, Shopee) fed by the same sources.  Each scene says how its vertical picture is
made (``vertical_layout``): "auto" cuts it from the horizontal program following the host;
"manual" lays the items out again, each with its own ``vertical`` transform, the way
anchors work in the cover designer.  Files of format 1 (before the vertical canvas) load
unchanged: the migration only adds the defaults.
"""
from __future__ import annotations

import enum
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from studio.core import limits
from studio.core.errors import SceneFileError
from studio.core.i18n import _
# The picture tools (filters) on an item: their own module, re-exported here where scene files and
# most callers look for them.
from studio.picture_tools import (MAX_FILTERS, BackgroundMode, Beauty, ChromaKey, ColorCorrection,  # noqa: F401
                                  ItemFilter, LutLook, Sharpen, VirtualBackground)

COLLECTION_SCHEMA_VERSION = 2  # 2: optional vertical canvas, per-scene vertical layout, per-item vertical transform

DEFAULT_VERTICAL_WIDTH = 1080
DEFAULT_VERTICAL_HEIGHT = 1920
# PRODUCT.md: on a 1080×1920 picture this box clears TikTok's, Reels' and Shorts' UI together.
_SAFE_BOX_1080x1920 = (120, 288, 888, 1248)  # x0, y0, x1, y1


class CanvasRole(enum.StrEnum):
    """Which canvas a compositor, an overlay or an output belongs to."""

    HORIZONTAL = "horizontal"
    VERTICAL = "vertical"


class VerticalLayout(enum.StrEnum):
    """How a scene's vertical picture is made."""

    AUTO = "auto"  # cut from the horizontal program (without its overlays), following the host
    MANUAL = "manual"  # the scene's items laid out again with their ``vertical`` transforms


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Crop(_Model):
    """Pixels cut from each edge of the source picture."""

    left: int = Field(0, ge=0)
    top: int = Field(0, ge=0)
    right: int = Field(0, ge=0)
    bottom: int = Field(0, ge=0)


class ItemTransform(_Model):
    """Where an item sits on the vertical canvas (in that canvas's pixels) in a "manual" scene."""

    x: int = 0
    y: int = 0
    width: int = Field(..., gt=0, le=16384)
    height: int = Field(..., gt=0, le=16384)
    crop: Crop = Field(default_factory=Crop)
    is_visible: bool = True


class SceneItem(_Model):
    """One layer: a source placed on the canvas.

    ``x``, ``y``, ``width``, ``height`` and ``crop`` place it on the horizontal canvas.
    ``vertical`` places it on the vertical canvas when the scene's layout is "manual";
    ``None`` means "as on the horizontal canvas": the whole horizontal layout is fitted into
    the vertical canvas and centred (see :func:`default_vertical_transform`), so a scene shows
    something sensible before anyone lays it out twice.  ``opacity`` and ``is_visible`` apply
    to both canvases; ``vertical.is_visible`` hides the item on the vertical one only.
    """

    id: str = Field(default_factory=lambda: new_id("item"))
    source_id: str
    x: int = 0
    y: int = 0
    width: int = Field(..., gt=0, le=16384)
    height: int = Field(..., gt=0, le=16384)
    crop: Crop = Field(default_factory=Crop)
    opacity: float = Field(1.0, ge=0.0, le=1.0)
    is_visible: bool = True
    vertical: ItemTransform | None = None
    # Picture tools applied in order at the item's size (studio.compositor.filters).
    filters: list[ItemFilter] = Field(default_factory=list, max_length=MAX_FILTERS)


class Scene(_Model):
    id: str = Field(default_factory=lambda: new_id("scene"))
    name: str = Field(..., min_length=1, max_length=200)
    items: list[SceneItem] = Field(default_factory=list)
    vertical_layout: VerticalLayout = VerticalLayout.AUTO


class SourceSpec(_Model):
    id: str = Field(default_factory=lambda: new_id("src"))
    kind: str = Field(..., min_length=1)
    name: str = Field(..., min_length=1, max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict)


class AudioInputSpec(_Model):
    """An audio input of the show: ``kind`` "device" (microphone, capture card audio), "tone",
    "playlist" (music files), "media_audio" (the strip of the media source ``settings["source_id"]``) or
    "stinger_sound" (the show's stinger sound, :mod:`studio.engine.stinger_strip`).

    ``settings`` are the keyword arguments of ``studio.audio.create_input`` (device_id,
    gain_db, is_muted, sync_offset_ms, gate, limiter, frequency_hz, level_dbfs …).
    """

    id: str = Field(default_factory=lambda: new_id("audio"))
    kind: Literal["device", "tone", "playlist", "media_audio", "stinger_sound"]
    name: str = Field(..., min_length=1, max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict)


class Canvas(_Model):
    width: int = Field(1920, ge=160, le=7680)
    height: int = Field(1080, ge=160, le=7680)
    fps: int = Field(30, ge=1, le=120)

    @model_validator(mode="after")
    def _even(self) -> "Canvas":
        # 4:2:0 encoders need even dimensions.
        if self.width % 2 or self.height % 2:
            raise ValueError("width and height must be even")
        return self


class VerticalCanvas(_Model):
    """The second, vertical canvas; it runs at the horizontal canvas's frame rate."""

    width: int = Field(DEFAULT_VERTICAL_WIDTH, ge=160, le=7680)
    height: int = Field(DEFAULT_VERTICAL_HEIGHT, ge=160, le=7680)

    @model_validator(mode="after")
    def _even(self) -> "VerticalCanvas":
        if self.width % 2 or self.height % 2:
            raise ValueError("width and height must be even")
        return self


class StingerSettings(_Model):
    """A stinger transition's video (with alpha) and the moment the scene changes under it."""

    path: str = Field(..., min_length=1, max_length=4096)
    cut_point_ms: int = Field(0, ge=0, le=10_000)


class Transition(_Model):
    kind: Literal["cut", "fade", "slide", "swipe", "stinger"] = "fade"
    duration_ms: int = Field(300, ge=0, le=10_000)  # a stinger lasts as long as its video
    stinger: StingerSettings | None = None  # kept when another kind is chosen, for next time


class SceneCollection(_Model):
    schema_version: int = COLLECTION_SCHEMA_VERSION
    name: str = "Untitled"
    canvas: Canvas = Field(default_factory=Canvas)
    vertical_canvas: VerticalCanvas | None = None  # None: no vertical picture at all
    transition: Transition = Field(default_factory=Transition)
    sources: list[SourceSpec] = Field(default_factory=list)
    audio_inputs: list[AudioInputSpec] = Field(default_factory=list)
    scenes: list[Scene] = Field(default_factory=list)
    current_scene: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, data: Any) -> Any:
        return migrate_collection_data(data)

    @model_validator(mode="after")
    def _references(self) -> "SceneCollection":
        source_ids = [s.id for s in self.sources]
        if len(set(source_ids)) != len(source_ids):
            raise ValueError("source ids must be unique")
        known = set(source_ids)
        for scene_index, scene in enumerate(self.scenes):
            for item_index, item in enumerate(scene.items):
                if item.source_id not in known:
                    raise ValueError(f"scenes[{scene_index}].items[{item_index}].source_id: no source with id “{item.source_id}”")
        scene_ids = {s.id for s in self.scenes}
        if self.current_scene is not None and self.current_scene not in scene_ids:
            raise ValueError(f"current_scene: no scene with id “{self.current_scene}”")
        return self

    # -- lookups -------------------------------------------------------------------------
    def scene(self, scene_id: str) -> Scene | None:
        return next((s for s in self.scenes if s.id == scene_id), None)

    def source(self, source_id: str) -> SourceSpec | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def item(self, scene_id: str, item_id: str) -> tuple[Scene, SceneItem] | None:
        """The scene and its item ``item_id`` (None when either is not there)."""
        scene = self.scene(scene_id)
        item = next((i for i in scene.items if i.id == item_id), None) if scene else None
        return (scene, item) if scene is not None and item is not None else None


def migrate_collection_data(data: Any) -> Any:
    """Bring an older file's decoded JSON up to the current format (a new dict; input untouched).

    1 → 2 added only optional fields with defaults (no vertical canvas, "auto" layouts, no
    vertical transforms), so the picture of an old show is exactly what it was.
    """
    if not isinstance(data, dict):
        return data
    version = data.get("schema_version", COLLECTION_SCHEMA_VERSION)
    if not isinstance(version, int) or version >= COLLECTION_SCHEMA_VERSION:
        return data
    return {**data, "schema_version": COLLECTION_SCHEMA_VERSION}


def _format_location(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or _("(file)")


def parse_collection(data: Any) -> SceneCollection:
    """Validate a decoded JSON document; raise SceneFileError naming the first bad field."""
    if not isinstance(data, dict):
        raise SceneFileError(_("Scene collection must be a JSON object."))
    if limits.nested_deeper_than(data):
        raise SceneFileError(_("The scene collection is nested more than {limit} levels deep; it is not a scene "
                               "collection.").format(limit=limits.MAX_JSON_DEPTH))
    version = data.get("schema_version", COLLECTION_SCHEMA_VERSION)
    if isinstance(version, int) and version > COLLECTION_SCHEMA_VERSION:
        raise SceneFileError(_("This scene collection was saved by a newer Bridgecast (format {version}).").format(version=version))
    try:
        collection = SceneCollection.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _format_location(tuple(first.get("loc", ())))
        message = first.get("msg", "invalid")
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        raise SceneFileError(_("Invalid scene collection: {field}: {problem}").format(field=where, problem=message)) from None
    from studio.sources import source_kinds  # late: sources import this module's neighbours

    known = source_kinds()
    for index, spec in enumerate(collection.sources):
        if spec.kind not in known:
            raise SceneFileError(
                _("Invalid scene collection: {field}: {problem}").format(
                    field=f"sources[{index}].kind", problem=_("unknown source type “{kind}”").format(kind=spec.kind)
                )
            )
    return collection


def load_collection(path: str | os.PathLike[str]) -> SceneCollection:
    """Read and validate a collection file; ``SceneFileError`` in words for anything that is not one
    (truncated, binary, oversized, nested past any real show, an unknown source type)."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            raw = file.read(limits.MAX_SCENE_COLLECTION_BYTES + 1)
    except OSError as exc:
        raise SceneFileError(_("Cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc)) from None
    if len(raw) > limits.MAX_SCENE_COLLECTION_BYTES:
        raise SceneFileError(_("{path} is larger than {limit} MB; it is not a scene collection.").format(
            path=path.name, limit=limits.MAX_SCENE_COLLECTION_BYTES // 1_000_000))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SceneFileError(_("{path} is not text (UTF-8); it is not a scene collection.").format(path=path.name)) from None
    if not text.strip():
        raise SceneFileError(_("{path} is empty; it is not a scene collection.").format(path=path.name))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # The text ended inside the JSON (a string left open ends only at the end): a save or copy cut off.
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise SceneFileError(_("{path} ends too early (line {line}): the file is cut off. Open an earlier copy "
                                   "or save the show again.").format(path=path.name, line=exc.lineno)) from None
        raise SceneFileError(_("{path} is not valid JSON (line {line}, column {column}).").format(path=path.name, line=exc.lineno, column=exc.colno)) from None
    except RecursionError:
        raise SceneFileError(_("The scene collection is nested more than {limit} levels deep; it is not a scene "
                               "collection.").format(limit=limits.MAX_JSON_DEPTH)) from None
    return parse_collection(data)


# Source types whose ``settings["path"]`` names a local file the source reads.
_FILE_SOURCES = {"media_file": "path", "image": "path"}


def unavailable_sources(collection: SceneCollection) -> dict[str, str]:
    """Sources whose file or camera device is not here, by id, each with the reason in words.

    Checked on the file system only (nothing is opened or decoded), so it is quick enough to run
    right after loading; a source that passes can still fail to open (it then says why itself)."""
    missing: dict[str, str] = {}
    for spec in collection.sources:
        if spec.kind in _FILE_SOURCES:
            raw = str(spec.settings.get(_FILE_SOURCES[spec.kind]) or "").strip()
            if not raw or "://" in raw:
                continue  # no file chosen yet (the source says so) or a network address
            path = Path(raw).expanduser()
            if path.is_dir():
                missing[spec.id] = _("“{path}” is a folder, not a file").format(path=path)
            elif not path.exists():
                missing[spec.id] = _("file not found: {path}").format(path=path)
        elif spec.kind == "camera":
            device = spec.settings.get("device", 0)
            if isinstance(device, bool):
                continue
            node = f"/dev/video{device}" if isinstance(device, int) or str(device).isdigit() else str(device)
            if sys.platform.startswith("linux") and node.startswith("/dev/") and not Path(node).exists():
                missing[spec.id] = _("camera {device} is not connected").format(device=node)
    return missing


def unavailable_message(collection: SceneCollection, missing: dict[str, str]) -> tuple[str, str]:
    """A title and a text in words for sources that are kept in the show but cannot show yet."""
    names = {spec.id: spec.name for spec in collection.sources}
    lines = "\n".join(f"• {names.get(source_id, source_id)}: {reason}" for source_id, reason in missing.items())
    return (_("Some sources of this show are not available"),
            _("{sources}\n\nThey stay in the show and show “No signal” until their file or camera is "
              "back; nothing else changed.").format(sources=lines))


def without_sources(collection: SceneCollection, source_ids: set[str] | dict[str, str]) -> SceneCollection:
    """A copy of ``collection`` without these sources and the scene layers that show them."""
    gone = set(source_ids)
    scenes = [scene.model_copy(update={"items": [item for item in scene.items if item.source_id not in gone]})
              for scene in collection.scenes]
    return collection.model_copy(update={"sources": [spec for spec in collection.sources if spec.id not in gone],
                                         "scenes": scenes})


def save_collection(collection: SceneCollection, path: str | os.PathLike[str]) -> None:
    """Atomic write: a crash never leaves a half-written collection."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(collection.model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, path)


def fit_rect(src_w: int, src_h: int, box_w: int, box_h: int) -> tuple[int, int, int, int]:
    """Largest rect with the source's aspect inside the box, centred: (x, y, w, h)."""
    scale = min(box_w / src_w, box_h / src_h)
    w, h = max(2, round(src_w * scale)), max(2, round(src_h * scale))
    return (box_w - w) // 2, (box_h - h) // 2, w, h


def default_vertical_transform(item: SceneItem, canvas: Canvas, vertical: VerticalCanvas) -> ItemTransform:
    """The vertical placement of an item without its own: the whole horizontal layout scaled to
    fit inside the vertical canvas and centred, so every item keeps its place relative to the others."""
    scale = min(vertical.width / canvas.width, vertical.height / canvas.height)
    offset_x = (vertical.width - canvas.width * scale) / 2
    offset_y = (vertical.height - canvas.height * scale) / 2
    return ItemTransform(
        x=round(offset_x + item.x * scale),
        y=round(offset_y + item.y * scale),
        width=max(1, round(item.width * scale)),
        height=max(1, round(item.height * scale)),
        crop=item.crop.model_copy(),
    )


def vertical_transform(item: SceneItem, canvas: Canvas, vertical: VerticalCanvas) -> ItemTransform:
    """The item's placement on the vertical canvas (its own, else the default)."""
    return item.vertical if item.vertical is not None else default_vertical_transform(item, canvas, vertical)


def vertical_safe_box(width: int = DEFAULT_VERTICAL_WIDTH, height: int = DEFAULT_VERTICAL_HEIGHT) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the box that clears TikTok's, Reels' and Shorts' UI together on a
    ``width``×``height`` vertical canvas (PRODUCT.md's 1080×1920 box x 120–888, y 288–1248, scaled).

    Vertical overlays (product card, coupon, flash sale, giveaway, pinned answer) belong inside
    it: outside, the platforms' buttons, captions and comment feed cover them.
    """
    x0, y0, x1, y1 = _SAFE_BOX_1080x1920
    scale_x, scale_y = width / DEFAULT_VERTICAL_WIDTH, height / DEFAULT_VERTICAL_HEIGHT
    left, top = round(x0 * scale_x), round(y0 * scale_y)
    return left, top, round(x1 * scale_x) - left, round(y1 * scale_y) - top


# ---------------------------------------------------------------------------------------------
# Placing and moving items by hand (the preview's drag and handles; numbers in canvas pixels)
Rect = tuple[int, int, int, int]  # x, y, width, height
CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")
MIN_ITEM_SIDE = 8


def own_size_rect(src_w: int, src_h: int, canvas_w: int, canvas_h: int) -> Rect:
    """A picture at its own size, centred; scaled down (keeping its shape) only if it does not fit.

    A 600×200 product card stays 600×200 instead of being stretched over the canvas.
    """
    if src_w <= canvas_w and src_h <= canvas_h:
        return (canvas_w - src_w) // 2, (canvas_h - src_h) // 2, src_w, src_h
    return fit_rect(src_w, src_h, canvas_w, canvas_h)


def item_at(scene: Scene, x: float, y: float) -> SceneItem | None:
    """The top-most visible item whose box holds the canvas point (None: empty canvas there)."""
    for item in reversed(scene.items):
        if item.is_visible and item.x <= x < item.x + item.width and item.y <= y < item.y + item.height:
            return item
    return None


def _snap_axis(edges: tuple[float, ...], lines: tuple[float, ...], tolerance: float) -> tuple[float, float | None]:
    """The shift that puts the nearest of ``edges`` on one of ``lines`` within ``tolerance`` (0, None: none)."""
    best: tuple[float, float | None] = (0.0, None)
    best_distance = tolerance + 1e-9
    for edge in edges:
        for line in lines:
            if abs(line - edge) < best_distance:
                best_distance, best = abs(line - edge), (line - edge, line)
    return best


def snap_move(rect: Rect, canvas_w: int, canvas_h: int, tolerance: float) -> tuple[Rect, list[tuple[str, float]]]:
    """Snap a moved box's edges or centre to the canvas's edges or centre lines.

    Returns the box and the guides it snapped to (("x" or "y", canvas position)).
    """
    x, y, w, h = rect
    dx, line_x = _snap_axis((x, x + w / 2, x + w), (0, canvas_w / 2, canvas_w), tolerance)
    dy, line_y = _snap_axis((y, y + h / 2, y + h), (0, canvas_h / 2, canvas_h), tolerance)
    guides = [("x", line_x)] if line_x is not None else []
    guides += [("y", line_y)] if line_y is not None else []
    return (round(x + dx), round(y + dy), w, h), guides


def resize_from_corner(
    rect: Rect, corner: str, pointer_x: float, pointer_y: float, canvas_w: int, canvas_h: int, tolerance: float
) -> tuple[Rect, list[tuple[str, float]]]:
    """Drag one corner of a box to the pointer keeping its shape; the opposite corner stays put.

    The corner follows whichever of the pointer's two pulls is larger; it snaps to a canvas edge
    or centre line within ``tolerance`` (the side snapped decides the size).
    """
    if corner not in CORNERS:
        raise ValueError(f"unknown corner {corner!r}")
    x, y, w, h = rect
    moves_left, moves_top = corner.endswith("left"), corner.startswith("top")
    anchor_x = x + w if moves_left else x
    anchor_y = y + h if moves_top else y
    aspect = w / h
    scale = max(abs(pointer_x - anchor_x) / w, abs(pointer_y - anchor_y) / h)
    new_w = max(MIN_ITEM_SIDE, w * scale)
    new_h = new_w / aspect
    sign_x, sign_y = (-1 if moves_left else 1), (-1 if moves_top else 1)
    corner_x, corner_y = anchor_x + sign_x * new_w, anchor_y + sign_y * new_h
    dx, line_x = _snap_axis((corner_x,), (0, canvas_w / 2, canvas_w), tolerance)
    dy, line_y = _snap_axis((corner_y,), (0, canvas_h / 2, canvas_h), tolerance)
    guides: list[tuple[str, float]] = []
    if line_x is not None and (line_y is None or abs(dx) <= abs(dy)):
        new_w = max(MIN_ITEM_SIDE, abs(line_x - anchor_x))
        new_h = new_w / aspect
        guides.append(("x", line_x))
    elif line_y is not None:
        new_h = max(MIN_ITEM_SIDE, abs(line_y - anchor_y))
        new_w = new_h * aspect
        guides.append(("y", line_y))
    width, height = max(1, round(new_w)), max(1, round(new_h))
    left = anchor_x - width if moves_left else anchor_x
    top = anchor_y - height if moves_top else anchor_y
    return (round(left), round(top), width, height), guides
