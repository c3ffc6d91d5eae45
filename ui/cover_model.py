"""The cover designer's model and commands (no widgets): the open document, preset and selection;
one undo command per edit; pure document edits (fields, alignment, new and duplicated layers)."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand

from cover_designer.document import ANCHOR_POINTS, CoverDocument, Frame
from cover_designer.presets import PRESETS, Preset
from ui.cover_geometry import active_frame, moved_frame, reanchored_frame, reference_area


class CoverEditorModel(QObject):
    """The open cover, the preset it is shown at and the selected layer (no widgets)."""

    document_changed = Signal()
    selection_changed = Signal(str)
    preset_changed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = CoverDocument()
        self.preset: Preset = PRESETS["youtube"]
        self.selected: str = ""

    def set_document(self, doc: CoverDocument) -> None:
        self.document = doc
        if self.selected and self.layer(self.selected) is None:
            self.select("")
        self.document_changed.emit()

    def set_preset(self, preset_id: str) -> None:
        if preset_id in PRESETS and PRESETS[preset_id] is not self.preset:
            self.preset = PRESETS[preset_id]
            self.preset_changed.emit(preset_id)
            self.document_changed.emit()

    def select(self, layer_id: str) -> None:
        if layer_id != self.selected:
            self.selected = layer_id
            self.selection_changed.emit(layer_id)

    def layer(self, layer_id: str):
        return next((layer for layer in self.document.layers if layer.id == layer_id), None)

    def is_mirrored(self, layer) -> bool:
        return self.document.direction == "rtl" and not layer.mirror_exempt


class DocumentCommand(QUndoCommand):
    """One edit: the whole document before and after (documents are small; undo is exact)."""

    def __init__(self, model: CoverEditorModel, before: CoverDocument, after: CoverDocument, text: str) -> None:
        super().__init__(text)
        self.model = model
        self.before = before.model_copy(deep=True)
        self.after = after.model_copy(deep=True)

    def redo(self) -> None:
        self.model.set_document(self.after.model_copy(deep=True))

    def undo(self) -> None:
        self.model.set_document(self.before.model_copy(deep=True))


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
    from cover_designer.render import layer_frame, layer_rotation, rotated_bounds

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
    from cover_designer.document import ImageLayer, LogoLayer, PriceLayer, QRLayer, ShapeLayer, TextLayer

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
