"""Edits of a cover document as the editor makes them (no Qt): each function returns a changed copy,
so the editor keeps the document before and after as one undo step.

Field edits, stacking order, adding, duplicating and deleting layers, and lining a layer up with its
canvas or safe area.
"""
from __future__ import annotations

from .document import ANCHOR_POINTS, CoverDocument, Frame
from .geometry import active_frame, moved_frame, reanchored_frame, reference_area
from .presets import Preset


def edit_layer(doc: CoverDocument, layer_id: str, **fields) -> CoverDocument:
    """A copy of ``doc`` with fields of one layer replaced (validated by the document model)."""
    new = doc.model_copy(deep=True)
    for index, layer in enumerate(new.layers):
        if layer.id == layer_id:
            data = layer.model_dump()
            for name, value in fields.items():
                if name == "font_size":
                    data["font"]["size"] = value
                elif name == "font_weight":
                    data["font"]["weight"] = value
                elif name == "font_family":
                    data["font"]["family"] = value
                else:
                    data[name] = value
            new.layers[index] = type(layer).model_validate(data)
    return new


ALIGN_SIDES = ("left", "center", "right", "top", "middle", "bottom")


def aligned_frame(layer, doc: CoverDocument, preset: Preset, side: str) -> Frame:
    """The layer's active frame moved so its bounds as drawn (turned) touch ``side`` of its reference
    area (the canvas or the safe area, as its frame says), re-anchored on that side so other presets
    keep the alignment."""
    from .render import layer_frame, layer_rotation, rotated_bounds

    frame = active_frame(layer, preset)
    mirror = doc.direction == "rtl" and not layer.mirror_exempt
    area = reference_area(frame, preset)
    bounds = rotated_bounds(layer_frame(layer, preset, doc), layer_rotation(layer, doc))
    dx = dy = 0.0
    if side == "left":
        dx = area.x - bounds.x
    elif side == "center":
        dx = area.x + area.w / 2 - (bounds.x + bounds.w / 2)
    elif side == "right":
        dx = area.right - bounds.right
    elif side == "top":
        dy = area.y - bounds.y
    elif side == "middle":
        dy = area.y + area.h / 2 - (bounds.y + bounds.h / 2)
    elif side == "bottom":
        dy = area.bottom - bounds.bottom
    else:
        raise ValueError(side)
    # Offsets are stored mirrored in right-to-left layouts; moved_frame takes screen pixels.
    moved = moved_frame(frame, preset, mirror, dx, dy)
    # Anchor on the aligned side: horizontal part from a left/centre/right align, vertical from top/middle/bottom.
    ax, ay = ANCHOR_POINTS[frame.anchor]
    horizontal = {"left": 0.0, "center": 0.5, "right": 1.0}
    vertical = {"top": 0.0, "middle": 0.5, "bottom": 1.0}
    if side in horizontal:
        # The anchor names the side as stored; a mirrored layout shows it on the other side.
        ax = 1.0 - horizontal[side] if mirror else horizontal[side]
    else:
        ay = vertical[side]
    anchor = next(name for name, point in ANCHOR_POINTS.items() if point == (ax, ay))
    return reanchored_frame(moved, preset, mirror, anchor, frame.relative_to)


NEW_LAYER_KINDS = ("text", "image", "shape", "price", "qr", "logo")


def _unused_id(doc: CoverDocument, kind: str) -> str:
    taken = {layer.id for layer in doc.layers}
    number = 1
    while f"{kind}{number}" in taken:
        number += 1
    return f"{kind}{number}"


def new_layer(kind: str, doc: CoverDocument, text: str = ""):
    """A fresh layer of ``kind`` for ``doc``: an unused id, on top, centred, a size that suits it."""
    from .document import ImageLayer, LogoLayer, PriceLayer, QRLayer, ShapeLayer, TextLayer

    top = max((layer.z for layer in doc.layers), default=0) + 1
    common = {"id": _unused_id(doc, kind), "z": top}
    if kind == "text":
        return TextLayer(text=text, frame=Frame(w=0.6, h=0.2), language=doc.language, **common)
    if kind == "image":
        return ImageLayer(src="{product_image}", frame=Frame(w=0.4, h=0.6), **common)
    if kind == "shape":
        return ShapeLayer(text=text, frame=Frame(w=0.25, h=0.12), language=doc.language, **common)
    if kind == "price":
        return PriceLayer(frame=Frame(w=0.35, h=0.22), **common)
    if kind == "qr":
        return QRLayer(frame=Frame(w=0.2, h=0.2, aspect=1.0), **common)
    if kind == "logo":
        return LogoLayer(frame=Frame(anchor="top_right", dx=-0.03, dy=0.03, w=0.18, h=0.12), **common)
    raise ValueError(kind)


def duplicated_layer(layer, doc: CoverDocument):
    """A copy of ``layer`` with an unused id, on top, nudged down and right so it is seen."""
    data = layer.model_dump()
    data.update(id=_unused_id(doc, layer.type), z=max(item.z for item in doc.layers) + 1, locked=False)
    for frame in [data["frame"], *data["frame_by_aspect"].values()]:
        frame["dx"] = max(-1.0, min(1.0, frame["dx"] + 0.03))
        frame["dy"] = max(-1.0, min(1.0, frame["dy"] + 0.03))
    return type(layer).model_validate(data)


def with_layer(doc: CoverDocument, layer) -> CoverDocument:
    """A copy of ``doc`` with ``layer`` added (its ``z`` says where it stacks)."""
    new = doc.model_copy(deep=True)
    new.layers = [*new.layers, layer]
    return new


def without_layer(doc: CoverDocument, layer_id: str) -> CoverDocument:
    """A copy of ``doc`` without the layer ``layer_id``."""
    new = doc.model_copy(deep=True)
    new.layers = [layer for layer in new.layers if layer.id != layer_id]
    return new


def _restacked(doc: CoverDocument, ordered: list[str]) -> CoverDocument:
    """A copy of ``doc`` whose layers stack in ``ordered`` (bottom first): ``z`` becomes the place."""
    new = doc.model_copy(deep=True)
    for layer in new.layers:
        layer.z = ordered.index(layer.id)
    return new


def moved_in_stack(doc: CoverDocument, layer_id: str, step: int) -> CoverDocument | None:
    """A copy with the layer raised (+1) or lowered (-1) one place; None when it cannot move."""
    ordered = [layer.id for layer in doc.ordered_layers()]
    if layer_id not in ordered:
        return None
    index = ordered.index(layer_id)
    target = index + step
    if not 0 <= target < len(ordered):
        return None
    ordered[index], ordered[target] = ordered[target], ordered[index]
    return _restacked(doc, ordered)


def moved_to_end(doc: CoverDocument, layer_id: str, to_front: bool) -> CoverDocument | None:
    """A copy with the layer on top of the stack (``to_front``) or at the bottom; None when it is there."""
    ordered = [layer.id for layer in doc.ordered_layers()]
    if layer_id not in ordered or ordered[-1 if to_front else 0] == layer_id:
        return None
    ordered.remove(layer_id)
    return _restacked(doc, ordered + [layer_id] if to_front else [layer_id] + ordered)


def own_frames(layer, aspect_class: str, is_own: bool) -> dict[str, dict]:
    """The layer's ``frame_by_aspect`` (as data) with its own frame for ``aspect_class`` (a copy of the
    shared frame) or without one, for presets of that shape (16:9, 9:16 or 1:1)."""
    frames = {name: frame.model_dump() for name, frame in layer.frame_by_aspect.items()}
    if is_own:
        frames[aspect_class] = layer.frame.model_dump()
    else:
        frames.pop(aspect_class, None)
    return frames


# Fields holding a layer's main colour, in the order they are looked for.
COLOR_FIELDS = ("color", "fill", "foreground", "placeholder_color")


def color_field(layer) -> str | None:
    """The field holding the layer's main colour (text colour, badge fill, QR foreground …), if any."""
    for name in COLOR_FIELDS:
        if hasattr(layer, name) and isinstance(getattr(layer, name), str):
            return name
    return None
