"""The cover designer window: canvas, layers, properties, lint, templates, export, phone preview.

The views present a ``CoverEditorModel`` (the open document, the preset and the selection) and
send it commands through a ``QUndoStack``; every edit is a command holding the document before
and after, so undo restores it exactly.  Rendering follows the studio's rule: snapshot the
document, render and lint it on a pool thread, apply the result on the GUI thread; only the
newest request's result is shown.  Templates are read and covers exported off the GUI thread too.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import shiboken6
from PIL import Image
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import (
    QAction, QColor, QIcon, QImage, QKeySequence, QPainter, QPen, QPixmap, QPolygonF, QUndoCommand, QUndoStack,
)
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDockWidget, QDoubleSpinBox, QFileDialog,
    QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMainWindow, QPushButton,
    QScrollArea, QSizePolicy, QToolBar, QVBoxLayout, QWidget,
)

from cover_designer.document import ANCHOR_POINTS, CoverDocument, Frame
from cover_designer.presets import PRESETS, Preset, Rect
from ui.cover_variables import VariablesPanel
from ui.workers import run_in_background

log = logging.getLogger(__name__)

SNAP_DISTANCE_PX = 8  # on screen
AUTOSAVE_DELAY_MS = 2000  # after the last edit
HANDLE_PX = 10  # on screen
ROTATE_HANDLE_PX = 28  # on screen: how far above the top edge the rotate handle sits
ROTATION_SNAP_DEG = 15.0  # Shift while rotating
THUMBNAIL_PX = 96  # template gallery pictures


# ---------------------------------------------------------------- pure helpers (no widgets)
def frame_key(layer, preset: Preset) -> str | None:
    """Which frame the preset uses: a ``frame_by_aspect`` entry, or ``None`` for the base frame."""
    return preset.aspect_class if preset.aspect_class in layer.frame_by_aspect else None


def active_frame(layer, preset: Preset) -> Frame:
    key = frame_key(layer, preset)
    return layer.frame_by_aspect[key] if key else layer.frame


def reference_area(frame: Frame, preset: Preset) -> Rect:
    """The canvas or safe area that the frame's fractions refer to, in canvas pixels."""
    from cover_designer.render import resolve_frame

    probe = Frame(anchor="top_left", w=1, h=1, relative_to=frame.relative_to)
    return resolve_frame(probe, preset, False)


def with_frame(doc: CoverDocument, layer_id: str, preset: Preset, frame: Frame) -> CoverDocument:
    """A copy of ``doc`` with one layer's active frame replaced."""
    new = doc.model_copy(deep=True)
    for layer in new.layers:
        if layer.id == layer_id:
            key = frame_key(layer, preset)
            if key:
                frames = dict(layer.frame_by_aspect)
                frames[key] = frame
                layer.frame_by_aspect = frames
            else:
                layer.frame = frame
    return new


def moved_frame(frame: Frame, preset: Preset, mirror: bool, dx_px: float, dy_px: float) -> Frame:
    """The frame moved by a canvas-pixel delta (offsets are fractions of the reference area)."""
    area = reference_area(frame, preset)
    sign = -1.0 if mirror else 1.0
    dx = max(-1.0, min(1.0, frame.dx + sign * dx_px / area.w))
    dy = max(-1.0, min(1.0, frame.dy + dy_px / area.h))
    return frame.model_copy(update={"dx": round(dx, 5), "dy": round(dy, 5)})


def frame_for_rect(frame: Frame, preset: Preset, mirror: bool, rect: Rect) -> Frame:
    """The frame (same anchor and reference area as ``frame``) whose unturned box is ``rect`` in canvas pixels."""
    from cover_designer.document import ANCHOR_POINTS, MIRRORED_ANCHOR

    area = reference_area(frame, preset)
    ax, ay = ANCHOR_POINTS[MIRRORED_ANCHOR[frame.anchor] if mirror else frame.anchor]
    w = max(0.01, min(2.0, rect.w / area.w))
    h = max(0.01, min(2.0, rect.h / area.h))
    width_px, height_px = w * area.w, h * area.h
    cx, cy = rect.x + rect.w / 2, rect.y + rect.h / 2
    dx = (cx - width_px / 2 + ax * width_px - area.x - ax * area.w) / area.w
    dy = (cy - height_px / 2 + ay * height_px - area.y - ay * area.h) / area.h
    dx = -dx if mirror else dx
    return frame.model_copy(update={"w": round(w, 5), "h": round(h, 5), "dx": round(max(-1.0, min(1.0, dx)), 5),
                                    "dy": round(max(-1.0, min(1.0, dy)), 5)})


def reanchored_frame(frame: Frame, preset: Preset, mirror: bool, anchor: str, relative_to: str) -> Frame:
    """``frame`` with another anchor and/or reference area, the box staying where it is on this preset."""
    from cover_designer.render import resolve_frame

    box = resolve_frame(frame, preset, mirror)
    return frame_for_rect(frame.model_copy(update={"anchor": anchor, "relative_to": relative_to}), preset, mirror, box)


# Handle name → which side of the box it pulls: (-1 left/top, 0 middle, +1 right/bottom).
HANDLE_SIDES: dict[str, tuple[int, int]] = {
    "top_left": (-1, -1), "top": (0, -1), "top_right": (1, -1), "right": (1, 0),
    "bottom_right": (1, 1), "bottom": (0, 1), "bottom_left": (-1, 1), "left": (-1, 0),
}
MIN_BOX_PX = 8.0  # canvas pixels: a resize never makes a box smaller than this


def handle_points(box: Rect, rotation_deg: float, rotate_offset: float) -> dict[str, tuple[float, float]]:
    """Canvas positions of the eight resize handles and the rotate handle (``rotate_offset`` above
    the top edge), all turned with the box."""
    from cover_designer.render import rotate_point

    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    points = {name: rotate_point(cx + sx * box.w / 2, cy + sy * box.h / 2, cx, cy, rotation_deg)
              for name, (sx, sy) in HANDLE_SIDES.items()}
    points["rotate"] = rotate_point(cx, box.y - rotate_offset, cx, cy, rotation_deg)
    return points


def resized_rect(box: Rect, rotation_deg: float, handle: str, dx: float, dy: float, keep_aspect: bool = False) -> Rect:
    """The unturned box after dragging ``handle`` by (dx, dy) canvas pixels: the opposite handle stays
    where it is on the canvas, also for turned boxes; ``keep_aspect`` scales both sides alike."""
    sx, sy = HANDLE_SIDES[handle]
    angle = math.radians(rotation_deg)
    ux, uy = math.cos(angle), math.sin(angle)  # the box's own x axis on the canvas
    vx, vy = -math.sin(angle), math.cos(angle)  # and its y axis
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    fixed_x = cx - ux * sx * box.w / 2 - vx * sy * box.h / 2
    fixed_y = cy - uy * sx * box.w / 2 - vy * sy * box.h / 2
    moved_x = cx + ux * sx * box.w / 2 + vx * sy * box.h / 2 + dx
    moved_y = cy + uy * sx * box.w / 2 + vy * sy * box.h / 2 + dy
    along_u = (moved_x - fixed_x) * ux + (moved_y - fixed_y) * uy
    along_v = (moved_x - fixed_x) * vx + (moved_y - fixed_y) * vy
    w = max(MIN_BOX_PX, sx * along_u) if sx else box.w
    h = max(MIN_BOX_PX, sy * along_v) if sy else box.h
    if keep_aspect:
        factor = max(w / box.w, h / box.h) if sx and sy else (w / box.w if sx else h / box.h)
        factor = max(factor, MIN_BOX_PX / min(box.w, box.h))
        w, h = box.w * factor, box.h * factor
    new_cx = fixed_x + ux * sx * w / 2 + vx * sy * h / 2
    new_cy = fixed_y + uy * sx * w / 2 + vy * sy * h / 2
    return Rect(new_cx - w / 2, new_cy - h / 2, w, h)


def snap_resize(rect: Rect, handle: str, width: float, height: float, tolerance: float,
                safe: Rect | None = None) -> tuple[Rect, list[tuple[str, float]]]:
    """An unturned box being resized by ``handle``: its moving edges snap to the canvas' edges and
    centre lines and the safe area's edges within ``tolerance``; the opposite edges stay put."""
    sx, sy = HANDLE_SIDES[handle]
    xs = [0.0, width / 2, float(width)] + ([safe.x, safe.right] if safe else [])
    ys = [0.0, height / 2, float(height)] + ([safe.y, safe.bottom] if safe else [])
    left, top, right, bottom = rect.x, rect.y, rect.right, rect.bottom
    guides: list[tuple[str, float]] = []

    def nearest(value: float, targets: list[float]) -> float | None:
        best = min(targets, key=lambda t: abs(t - value))
        return best if abs(best - value) <= tolerance else None

    if sx:
        target = nearest(right if sx > 0 else left, xs)
        if target is not None and (target - left if sx > 0 else right - target) >= MIN_BOX_PX:
            right, left = (target, left) if sx > 0 else (right, target)
            guides.append(("x", target))
    if sy:
        target = nearest(bottom if sy > 0 else top, ys)
        if target is not None and (target - top if sy > 0 else bottom - target) >= MIN_BOX_PX:
            bottom, top = (target, top) if sy > 0 else (bottom, target)
            guides.append(("y", target))
    return Rect(left, top, right - left, bottom - top), guides


def rotation_from_drag(start_rotation: float, center: tuple[float, float], start: tuple[float, float],
                       now: tuple[float, float], snap: bool) -> float:
    """Rotation after dragging the rotate handle from ``start`` to ``now`` (canvas points) about
    ``center``; ``snap`` (Shift) rounds to 15° steps.  Result in (-180, 180]."""
    before = math.atan2(start[1] - center[1], start[0] - center[0])
    after = math.atan2(now[1] - center[1], now[0] - center[0])
    angle = start_rotation + math.degrees(after - before)
    if snap:
        angle = ROTATION_SNAP_DEG * round(angle / ROTATION_SNAP_DEG)
    angle = (angle + 180.0) % 360.0 - 180.0
    if angle == -180.0:
        angle = 180.0
    return round(angle, 2)


def snap_offset(rect: Rect, width: float, height: float, tolerance: float,
                safe: Rect | None = None) -> tuple[float, float, list[tuple[str, float]]]:
    """Shift that puts the box's edge/centre on the canvas' (or safe area's) edge/centre within ``tolerance``."""
    guides: list[tuple[str, float]] = []
    xs = [0.0, width / 2, float(width)] + ([safe.x, safe.right] if safe else [])
    ys = [0.0, height / 2, float(height)] + ([safe.y, safe.bottom] if safe else [])
    best_x: float | None = None
    gx = gy = 0.0
    for edge in (rect.x, rect.x + rect.w / 2, rect.right):
        for target in xs:
            if abs(target - edge) <= tolerance and (best_x is None or abs(target - edge) < abs(best_x)):
                best_x, gx = target - edge, target
    best_y: float | None = None
    for edge in (rect.y, rect.y + rect.h / 2, rect.bottom):
        for target in ys:
            if abs(target - edge) <= tolerance and (best_y is None or abs(target - edge) < abs(best_y)):
                best_y, gy = target - edge, target
    if best_x is not None:
        guides.append(("x", gx))
    if best_y is not None:
        guides.append(("y", gy))
    return best_x or 0.0, best_y or 0.0, guides


def _qimage(image: Image.Image) -> QImage:
    """PIL → QImage (a deep copy, safe to hand to the GUI thread)."""
    rgba = image.convert("RGBA")
    data = rgba.tobytes()
    return QImage(data, rgba.width, rgba.height, rgba.width * 4, QImage.Format.Format_RGBA8888).copy()


@dataclass
class RenderOutput:
    """What the pool thread hands back: the picture, the layer boxes, the lint findings."""

    request: int
    image: QImage
    thumbnail: QImage
    boxes: dict[str, Rect]
    findings: list
    problems: list
    rotations: dict[str, float] = field(default_factory=dict)  # clockwise degrees as drawn, per layer id


def render_snapshot(request: int, doc: CoverDocument, preset: Preset, thumb_width: int,
                    base_dir: str | None = None) -> RenderOutput:
    """Runs on a pool thread: render, lint, scale the phone thumbnail."""
    from cover_designer.lint import lint
    from cover_designer.render import render
    from cover_designer.resize import for_preset

    target = for_preset(doc, preset)
    result = render(target, preset, base_dir=base_dir, keep_below=True)
    findings = lint(target, preset, base_dir=base_dir, result=result, check_file_size=False)
    thumb_height = max(1, round(preset.height * thumb_width / preset.width))
    thumbnail = result.image.resize((thumb_width, thumb_height), Image.Resampling.LANCZOS)
    boxes = {info.layer_id: info.frame for info in result.layers}
    rotations = {info.layer_id: info.rotation_deg for info in result.layers}
    return RenderOutput(request, _qimage(result.image), _qimage(thumbnail), boxes, findings, result.problems, rotations)


def template_thumbnail(template_id: str, preset_id: str, side_px: int) -> QImage:
    """Runs on a pool thread: a template rendered at a preset, shrunk to fit a square of ``side_px``."""
    from cover_designer.render import render
    from cover_designer.resize import for_preset
    from cover_designer.templates import load_template

    preset = PRESETS[preset_id]
    image = render(for_preset(load_template(template_id), preset), preset).image
    image.thumbnail((side_px, side_px), Image.Resampling.LANCZOS)
    return _qimage(image)


def export_covers(doc: CoverDocument, preset_ids: list[str], folder: Path, fmt: str,
                  base_dir: str | None = None) -> list[tuple[str, str, str]]:
    """Runs on a pool thread: one file per preset; returns (preset, path or "", error or "")."""
    from cover_designer.errors import CoverError
    from cover_designer.export import export
    from cover_designer.lint import lint
    from cover_designer.render import render
    from cover_designer.resize import for_preset

    from cover_designer.coverset import expand, numbered

    rows = []
    suffix = "jpg" if fmt == "jpeg" else fmt
    for preset_id in preset_ids:
        preset = PRESETS[preset_id]
        # Presets taking a cover set (Lazada: 3) get one numbered file per crop.
        for number, target in expand(for_preset(doc, preset), preset, base_dir=base_dir):
            path = numbered(folder / f"{doc.id or 'cover'}-{preset_id}.{suffix}", number)
            try:
                result = render(target, preset, base_dir=base_dir, keep_below=True)
                blocking = [f for f in lint(target, preset, base_dir=base_dir, result=result, check_file_size=False)
                            if f.rule in ("L6", "L7") and f.severity == "error"]
                if blocking:
                    rows.append((preset_id, "", blocking[0].message))
                    continue
                export(result.image, path, preset, fmt)
            except CoverError as exc:
                rows.append((preset_id, "", exc.message))
            except OSError as exc:
                rows.append((preset_id, "", str(exc)))
            else:
                rows.append((preset_id, str(path), ""))
    return rows


# ---------------------------------------------------------------- model and commands
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
                else:
                    data[name] = value
            new.layers[index] = type(layer).model_validate(data)
    return new


# ---------------------------------------------------------------- canvas
class CoverCanvas(QWidget):
    """Shows the rendered cover; click selects, drag moves, eight handles resize, the round handle
    above the box rotates (Shift: 15° steps).  Each drag is one undo step."""

    def __init__(self, editor: "CoverEditorWindow") -> None:
        super().__init__(editor)
        self.editor = editor
        self.model = editor.model
        self.image: QImage | None = None
        self.boxes: dict[str, Rect] = {}
        self.rotations: dict[str, float] = {}
        self.show_safe_zones = True
        self.snapping = True
        self._drag: dict | None = None
        self._guides: list[tuple[str, float]] = []
        self.setMinimumSize(420, 300)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.model.selection_changed.connect(lambda _id: self.update())

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(900, 620)

    def set_render(self, image: QImage, boxes: dict[str, Rect], rotations: dict[str, float] | None = None) -> None:
        self.image = image
        self.boxes = boxes
        self.rotations = rotations or {}
        self.update()

    # -- geometry: canvas pixels <-> widget pixels
    def _scale_origin(self) -> tuple[float, float, float]:
        preset = self.model.preset
        margin = 16
        scale = min((self.width() - 2 * margin) / preset.width, (self.height() - 2 * margin) / preset.height)
        scale = max(scale, 0.01)
        ox = (self.width() - preset.width * scale) / 2
        oy = (self.height() - preset.height * scale) / 2
        return scale, ox, oy

    def to_widget(self, rect: Rect) -> QRectF:
        scale, ox, oy = self._scale_origin()
        return QRectF(ox + rect.x * scale, oy + rect.y * scale, rect.w * scale, rect.h * scale)

    def point_to_widget(self, x: float, y: float) -> QPointF:
        scale, ox, oy = self._scale_origin()
        return QPointF(ox + x * scale, oy + y * scale)

    def to_canvas(self, point: QPointF) -> tuple[float, float]:
        scale, ox, oy = self._scale_origin()
        return (point.x() - ox) / scale, (point.y() - oy) / scale

    def layer_at(self, x: float, y: float) -> str:
        """The topmost visible layer whose (turned) box holds the canvas point."""
        from cover_designer.render import rotate_point

        for layer in reversed(self.model.document.ordered_layers()):
            box = self.boxes.get(layer.id)
            if not box or layer.hidden:
                continue
            # Turn the point back into the box's own axes.
            px, py = rotate_point(x, y, box.x + box.w / 2, box.y + box.h / 2, -self.rotations.get(layer.id, 0.0))
            if box.x <= px <= box.right and box.y <= py <= box.bottom:
                return layer.id
        return ""

    def handle_positions(self, layer_id: str | None = None) -> dict[str, QPointF]:
        """Widget positions of the selected (or given) layer's handles; empty when it has no box."""
        layer_id = self.model.selected if layer_id is None else layer_id
        box = self.boxes.get(layer_id)
        if box is None:
            return {}
        scale = self._scale_origin()[0]
        points = handle_points(box, self.rotations.get(layer_id, 0.0), ROTATE_HANDLE_PX / scale)
        return {name: self.point_to_widget(x, y) for name, (x, y) in points.items()}

    def _handle_rect(self, box: Rect, handle: str = "bottom_right", rotation_deg: float | None = None) -> QRectF:
        """The on-screen square of one handle of ``box`` (turned like the selected layer unless told)."""
        scale = self._scale_origin()[0]
        if rotation_deg is None:
            rotation_deg = self.rotations.get(self.model.selected, 0.0)
        x, y = handle_points(box, rotation_deg, ROTATE_HANDLE_PX / scale)[handle]
        center = self.point_to_widget(x, y)
        size = HANDLE_PX + (4 if handle == "rotate" else 0)
        return QRectF(center.x() - size / 2, center.y() - size / 2, size, size)

    def handle_at(self, position: QPointF) -> str:
        """Which handle of the selected, unlocked layer is under the widget point ("" for none)."""
        layer = self.model.layer(self.model.selected)
        box = self.boxes.get(self.model.selected)
        if layer is None or box is None or layer.locked:
            return ""
        for name in ("rotate", *HANDLE_SIDES):
            if self._handle_rect(box, name).adjusted(-2, -2, 2, 2).contains(position):
                return name
        return ""

    # -- mouse
    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return
        handle = self.handle_at(event.position())
        x, y = self.to_canvas(event.position())
        layer_id = self.model.selected if handle else self.layer_at(x, y)
        self.model.select(layer_id)
        layer = self.model.layer(layer_id)
        if layer is None or layer.locked or layer_id not in self.boxes:
            self._drag = None
            return
        mode = "rotate" if handle == "rotate" else "resize" if handle else "move"
        self._drag = {"layer": layer_id, "start": (x, y), "before": self.model.document.model_copy(deep=True),
                      "frame": active_frame(layer, self.model.preset), "box": self.boxes[layer_id],
                      "rotation": self.rotations.get(layer_id, 0.0), "stored_rotation": layer.rotation_deg,
                      "mode": mode, "handle": handle, "moved": False}

    def _cursor_for(self, handle: str) -> Qt.CursorShape:
        if handle == "rotate":
            return Qt.CursorShape.CrossCursor
        if not handle:
            return Qt.CursorShape.ArrowCursor
        sx, sy = HANDLE_SIDES[handle]
        # The handle's direction on screen, turned with the box, picks one of four resize cursors.
        angle = (math.degrees(math.atan2(sy, sx)) + self.rotations.get(self.model.selected, 0.0)) % 180
        cursors = [Qt.CursorShape.SizeHorCursor, Qt.CursorShape.SizeFDiagCursor, Qt.CursorShape.SizeVerCursor,
                   Qt.CursorShape.SizeBDiagCursor]
        return cursors[round(angle / 45) % 4]

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._drag is None:
            self.setCursor(self._cursor_for(self.handle_at(event.position())))
            return
        x, y = self.to_canvas(event.position())
        drag = self._drag
        dx, dy = x - drag["start"][0], y - drag["start"][1]
        box: Rect = drag["box"]
        preset = self.model.preset
        layer = drag["before"].layers[[l.id for l in drag["before"].layers].index(drag["layer"])]
        mirror = drag["before"].direction == "rtl" and not layer.mirror_exempt
        scale, _ox, _oy = self._scale_origin()
        self._guides = []
        safe = preset.safe_rect() if preset.unsafe else None
        if drag["mode"] == "rotate":
            center = (box.x + box.w / 2, box.y + box.h / 2)
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            drawn = rotation_from_drag(drag["rotation"], center, drag["start"], (x, y), shift)
            # Mirrored layouts draw the stored angle turned the other way.
            after = edit_layer(drag["before"], drag["layer"], rotation_deg=-drawn if mirror else drawn)
        elif drag["mode"] == "resize":
            rotation = drag["rotation"]
            rect = resized_rect(box, rotation, drag["handle"], dx, dy, keep_aspect=drag["frame"].aspect is not None)
            if self.snapping and not rotation % 360 and drag["frame"].aspect is None:
                rect, self._guides = snap_resize(rect, drag["handle"], preset.width, preset.height,
                                                 SNAP_DISTANCE_PX / scale, safe)
            after = with_frame(drag["before"], drag["layer"], preset, frame_for_rect(drag["frame"], preset, mirror, rect))
        else:
            if self.snapping:
                from cover_designer.render import rotated_bounds

                # Turned boxes snap by what the eye sees: their bounds on the canvas.
                moved = rotated_bounds(Rect(box.x + dx, box.y + dy, box.w, box.h), drag["rotation"])
                sx, sy, self._guides = snap_offset(moved, preset.width, preset.height, SNAP_DISTANCE_PX / scale, safe)
                dx, dy = dx + sx, dy + sy
            after = with_frame(drag["before"], drag["layer"], preset, moved_frame(drag["frame"], preset, mirror, dx, dy))
        drag["moved"] = True
        drag["after"] = after
        # Live feedback without an undo step per mouse move; one command on release.
        self.model.set_document(after)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        drag, self._drag = self._drag, None
        self._guides = []
        self.update()
        if drag and drag["moved"]:
            text = {"rotate": self.tr("Rotate layer"), "resize": self.tr("Resize layer")}.get(drag["mode"], self.tr("Move layer"))
            self.editor.undo_stack.push(DocumentCommand(self.model, drag["before"], drag["after"], text))

    def keyPressEvent(self, event) -> None:  # noqa: N802
        """Arrow keys nudge the selected layer by one canvas pixel (ten with Shift); one undo step each."""
        steps = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        layer = self.model.layer(self.model.selected)
        if event.key() not in steps or layer is None or layer.locked:
            super().keyPressEvent(event)
            return
        factor = 10 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1
        dx, dy = (value * factor for value in steps[event.key()])
        preset = self.model.preset
        frame = moved_frame(active_frame(layer, preset), preset, self.model.is_mirrored(layer), dx, dy)
        after = with_frame(self.model.document, layer.id, preset, frame)
        self.editor.undo_stack.push(DocumentCommand(self.model, self.model.document, after, self.tr("Move layer")))

    # -- painting
    def paintEvent(self, event) -> None:  # noqa: N802
        from cover_designer.render import rotated_corners

        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#2B2D31"))
        preset = self.model.preset
        full = self.to_widget(Rect(0, 0, preset.width, preset.height))
        if self.image is not None and self.image.width() == preset.width and self.image.height() == preset.height:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(full, self.image)
        else:
            painter.fillRect(full, QColor("#3A3D42"))
            painter.setPen(QColor("#C8CCD2"))
            painter.drawText(full, Qt.AlignmentFlag.AlignCenter, self.tr("Rendering…"))
        if self.show_safe_zones:
            for _name, zone in preset.unsafe:
                painter.fillRect(self.to_widget(zone), QColor(229, 57, 53, 70))
            pen = QPen(QColor("#FFD54F"), 1, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawRect(self.to_widget(preset.safe_rect()))
        scale, ox, oy = self._scale_origin()
        painter.setPen(QPen(QColor("#00E5FF"), 1))
        for axis, value in self._guides:
            if axis == "x":
                painter.drawLine(QPointF(ox + value * scale, full.top()), QPointF(ox + value * scale, full.bottom()))
            else:
                painter.drawLine(QPointF(full.left(), oy + value * scale), QPointF(full.right(), oy + value * scale))
        box = self.boxes.get(self.model.selected)
        if box is not None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            rotation = self.rotations.get(self.model.selected, 0.0)
            outline = QPolygonF([self.point_to_widget(x, y) for x, y in rotated_corners(box, rotation)])
            painter.setPen(QPen(QColor("#2979FF"), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPolygon(outline)
            layer = self.model.layer(self.model.selected)
            if layer is not None and not layer.locked:
                handles = self.handle_positions()
                painter.drawLine(handles["top"], handles["rotate"])
                painter.setBrush(QColor("#FFFFFF"))
                for name in HANDLE_SIDES:
                    painter.drawRect(self._handle_rect(box, name))
                painter.setBrush(QColor("#2979FF"))
                painter.setPen(QPen(QColor("#FFFFFF"), 2))
                painter.drawEllipse(self._handle_rect(box, "rotate"))
        painter.end()


# ---------------------------------------------------------------- phone preview
class PhoneFeedPreview(QWidget):
    """The cover at the size a viewer sees it in a phone feed (the preset's smallest display width)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnail: QImage | None = None
        self.caption = ""
        self.setMinimumSize(260, 220)

    def set_thumbnail(self, image: QImage, caption: str) -> None:
        self.thumbnail = image
        self.caption = caption
        self.setMinimumHeight(image.height() + 64)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#F2F3F5"))
        painter.setPen(QColor("#202124"))
        if self.thumbnail is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("Rendering…"))
            painter.end()
            return
        painter.drawText(QRectF(8, 6, self.width() - 16, 36), Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap,
                         self.caption)
        x = (self.width() - self.thumbnail.width()) // 2
        # Drawn 1:1 in device-independent pixels: this is the real thumbnail size.
        painter.fillRect(QRectF(x - 6, 42, self.thumbnail.width() + 12, self.thumbnail.height() + 12), QColor("#FFFFFF"))
        painter.drawImage(QPointF(x, 48), self.thumbnail)
        painter.end()


# ---------------------------------------------------------------- template gallery
class TemplateGallery(QDialog):
    """Templates filtered by region and category, opened at the chosen platform preset."""

    def __init__(self, parent: QWidget | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Template gallery"))
        self.rows: list[dict] = []
        self.region = QComboBox()
        self.category = QComboBox()
        self.platform = QComboBox()
        self.region.addItem(self.tr("All regions"), "")
        for key, label in _region_labels(self).items():
            self.region.addItem(label, key)
        self.category.addItem(self.tr("All categories"), "")
        for key, label in _category_labels(self).items():
            self.category.addItem(label, key)
        for preset in PRESETS.values():
            self.platform.addItem(preset.name, preset.id)
        self.list = QListWidget()
        self.status = QLabel(self.tr("Loading templates…"))
        self.thumbnails: dict[tuple[str, str], QImage] = {}
        self._thumbnail_busy = False
        self._pool = pool
        self.list.setIconSize(QSize(THUMBNAIL_PX, THUMBNAIL_PX))
        self.platform.currentIndexChanged.connect(self._refilter)
        filters = QHBoxLayout()
        for label, combo in ((self.tr("Region"), self.region), (self.tr("Category"), self.category),
                             (self.tr("Platform"), self.platform)):
            filters.addWidget(QLabel(label))
            filters.addWidget(combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.list)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.region.currentIndexChanged.connect(self._refilter)
        self.category.currentIndexChanged.connect(self._refilter)
        self.resize(620, 460)
        from cover_designer.templates import list_templates

        run_in_background(list_templates, self._on_rows, self._on_failed, receiver=self, pool=pool)

    def _on_rows(self, rows: list[dict]) -> None:
        self.rows = rows
        self.status.setText("")
        self._refilter()

    def _next_thumbnail(self) -> None:
        """Render the first listed template without a picture; one at a time, so closing stops the chain."""
        if self._thumbnail_busy:
            return
        preset_id = self.platform.currentData()
        for row in range(self.list.count()):
            item = self.list.item(row)
            key = (item.data(Qt.ItemDataRole.UserRole), preset_id)
            if key in self.thumbnails:
                item.setIcon(QIcon(QPixmap.fromImage(self.thumbnails[key])))
                continue
            self._thumbnail_busy = True
            run_in_background(lambda key=key: (key, template_thumbnail(*key, THUMBNAIL_PX)), self._on_thumbnail,
                              lambda _error: None, receiver=self, pool=self._pool)
            return

    def _on_thumbnail(self, result) -> None:
        key, image = result
        self._thumbnail_busy = False
        self.thumbnails[key] = image
        self._next_thumbnail()

    def _on_failed(self, error: BaseException) -> None:
        self.status.setText(self.tr("Could not read the templates: {reason}").format(reason=error))

    def _refilter(self) -> None:
        region, category = self.region.currentData(), self.category.currentData()
        self.list.clear()
        regions, categories = _region_labels(self), _category_labels(self)
        for row in self.rows:
            if (region and row["region"] != region) or (category and row["category"] != category):
                continue
            item = QListWidgetItem(f"{row['name']}\n{categories.get(row['category'], row['category'])} · {row['language']}")
            item.setToolTip(f"{regions.get(row['region'], row['region'])} · {row['id']}")
            item.setData(Qt.ItemDataRole.UserRole, row["id"])
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self._next_thumbnail()

    def chosen(self) -> tuple[str, str]:
        item = self.list.currentItem()
        return (item.data(Qt.ItemDataRole.UserRole) if item else ""), self.platform.currentData()


def _region_labels(widget: QObject) -> dict[str, str]:
    return {"na_eu": widget.tr("North America / Europe"), "sea": widget.tr("Southeast Asia"),
            "middle_east": widget.tr("Middle East"), "latam": widget.tr("Latin America"),
            "jp_kr": widget.tr("Japan / Korea")}


def _category_labels(widget: QObject) -> dict[str, str]:
    return {"apparel": widget.tr("Apparel"), "beauty": widget.tr("Beauty"), "electronics": widget.tr("Electronics"),
            "home": widget.tr("Home"), "food": widget.tr("Food")}


# ---------------------------------------------------------------- the window
class CoverEditorWindow(QMainWindow):
    """The cover designer: one window, docks around the canvas."""

    export_finished = Signal(list)
    saved = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = CoverEditorModel(self)
        self.undo_stack = QUndoStack(self)
        # A pool of our own: closing the window waits for it, so no render outlives the editor.
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._request = 0
        self._in_flight = False
        self._pending = False
        self._exporting = False
        self.findings: list = []
        self.export_rows: list[tuple[str, str, str]] = []
        self.export_folder = str(Path.home())
        self.path: Path | None = None  # the file the cover was opened from or saved to
        self.base_dir: str | None = None  # relative image paths in the cover resolve here
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setSingleShot(True)
        self._autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self._autosave_timer.timeout.connect(self._autosave)

        self.canvas = CoverCanvas(self)
        self.setCentralWidget(self.canvas)
        self._build_toolbar()
        self._build_layers_dock()
        self._build_properties_dock()
        self._build_lint_dock()
        self._build_preview_dock()
        self._build_export_dock()

        self.model.document_changed.connect(self._on_document_changed)
        self.model.selection_changed.connect(self._on_selection_changed)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.retranslate()
        self.resize(1500, 920)
        self.resizeDocks([self.lint_dock, self.export_dock], [190, 190], Qt.Orientation.Vertical)
        self.resizeDocks([self.layers_dock, self.properties_dock], [240, 320], Qt.Orientation.Horizontal)
        self.resizeDocks([self.properties_dock, self.preview_dock], [360, 300], Qt.Orientation.Vertical)

    # -- building
    def _build_toolbar(self) -> None:
        bar = QToolBar(self)
        bar.setObjectName("cover_toolbar")
        self.addToolBar(bar)
        self.toolbar = bar
        self.templates_action = QAction(self)
        self.templates_action.triggered.connect(self.choose_template)
        self.open_action = QAction(self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.choose_file_to_open)
        self.save_action = QAction(self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self.save)
        self.save_as_action = QAction(self)
        self.save_as_action.setShortcut(QKeySequence.StandardKey.SaveAs)
        self.save_as_action.triggered.connect(self.choose_file_to_save)
        self.undo_action = self.undo_stack.createUndoAction(self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self)
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.preset_label = QLabel()
        self.preset_combo = QComboBox()
        for preset in PRESETS.values():
            self.preset_combo.addItem(_preset_label(preset), preset.id)
        self.preset_combo.currentIndexChanged.connect(lambda _i: self.model.set_preset(self.preset_combo.currentData()))
        self.model.preset_changed.connect(self._show_preset)
        self.safe_check = QCheckBox()
        self.safe_check.setChecked(True)
        self.safe_check.toggled.connect(self._toggle_safe_zones)
        self.snap_check = QCheckBox()
        self.snap_check.setChecked(True)
        self.snap_check.toggled.connect(lambda on: setattr(self.canvas, "snapping", on))
        bar.addAction(self.templates_action)
        bar.addAction(self.open_action)
        bar.addAction(self.save_action)
        bar.addAction(self.save_as_action)
        bar.addSeparator()
        bar.addAction(self.undo_action)
        bar.addAction(self.redo_action)
        bar.addSeparator()
        bar.addWidget(self.preset_label)
        bar.addWidget(self.preset_combo)
        bar.addWidget(self.safe_check)
        bar.addWidget(self.snap_check)

    def _dock(self, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_layers_dock(self) -> None:
        panel = QWidget()
        self.layer_list = QListWidget()
        self.layer_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.layer_list.currentItemChanged.connect(self._on_layer_row)
        self.layer_list.itemChanged.connect(self._on_layer_item_changed)
        self.lock_button = QPushButton()
        self.lock_button.setCheckable(True)
        self.lock_button.clicked.connect(self._toggle_lock)
        self.up_button = QPushButton()
        self.up_button.clicked.connect(lambda: self.move_layer(+1))
        self.down_button = QPushButton()
        self.down_button.clicked.connect(lambda: self.move_layer(-1))
        buttons = QHBoxLayout()
        for button in (self.up_button, self.down_button, self.lock_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(panel)
        layout.addWidget(self.layer_list)
        layout.addLayout(buttons)
        self.layers_dock = self._dock("cover_layers", panel, Qt.DockWidgetArea.LeftDockWidgetArea)

    def _build_properties_dock(self) -> None:
        panel = QWidget()
        form = QFormLayout(panel)
        self.prop_labels: dict[str, QLabel] = {}
        self.name_edit = QLineEdit()
        self.text_edit = QLineEdit()
        self.font_size = QDoubleSpinBox()
        self.font_size.setRange(1, 1000)
        self.font_size.setDecimals(0)
        self.color_edit = QLineEdit()
        self.color_edit.setPlaceholderText("#RRGGBB")
        self.weight_combo = QComboBox()
        for weight in ("regular", "medium", "bold", "black"):
            self.weight_combo.addItem("", weight)
        self.weight_combo.activated.connect(lambda _i: self._commit("font_weight", self.weight_combo.currentData()))
        self.align_combo = QComboBox()
        for align in ("start", "left", "center", "right", "end"):
            self.align_combo.addItem("", align)
        self.align_combo.activated.connect(lambda _i: self._commit("align", self.align_combo.currentData()))
        self.opacity = QDoubleSpinBox()
        self.opacity.setRange(0, 1)
        self.opacity.setSingleStep(0.05)
        self.rotation_spin = QDoubleSpinBox()
        self.rotation_spin.setRange(-360, 360)
        self.rotation_spin.setDecimals(1)
        self.rotation_spin.setSuffix("°")
        self.rotation_spin.editingFinished.connect(
            lambda: self._commit("rotation_deg", round(self.rotation_spin.value(), 2), self.tr("Rotate layer")))
        # Anchors: which point of the canvas (or safe area) the layer keeps its distance to when the
        # cover is re-laid out for another preset.  Changing them leaves the layer where it is.
        self.anchor_combo = QComboBox()
        for anchor in ANCHOR_POINTS:
            self.anchor_combo.addItem("", anchor)
        self.anchor_combo.activated.connect(lambda _i: self._commit_anchor())
        self.relative_combo = QComboBox()
        for area in ("canvas", "safe"):
            self.relative_combo.addItem("", area)
        self.relative_combo.activated.connect(lambda _i: self._commit_anchor())
        self.own_frame_check = QCheckBox()
        self.own_frame_check.clicked.connect(self._toggle_own_frame)
        self.frame_spins: dict[str, QDoubleSpinBox] = {}
        for key, low, high in (("dx", -1, 1), ("dy", -1, 1), ("w", 0.01, 2), ("h", 0.01, 2)):
            spin = QDoubleSpinBox()
            spin.setRange(low, high)
            spin.setDecimals(3)
            spin.setSingleStep(0.01)
            spin.editingFinished.connect(lambda key=key: self._commit_frame(key))
            self.frame_spins[key] = spin
        self.name_edit.editingFinished.connect(lambda: self._commit("name", self.name_edit.text()))
        self.text_edit.editingFinished.connect(lambda: self._commit("text", self.text_edit.text()))
        self.font_size.editingFinished.connect(lambda: self._commit("font_size", self.font_size.value()))
        self.color_edit.editingFinished.connect(self._commit_color)
        self.opacity.editingFinished.connect(lambda: self._commit("opacity", round(self.opacity.value(), 3)))
        rows = [("name", self.name_edit), ("text", self.text_edit), ("font_size", self.font_size),
                ("font_weight", self.weight_combo), ("align", self.align_combo), ("color", self.color_edit), ("opacity", self.opacity)] + list(self.frame_spins.items()) + [
                    ("rotation", self.rotation_spin), ("anchor", self.anchor_combo), ("relative_to", self.relative_combo),
                    ("own_frame", self.own_frame_check)]
        for key, widget in rows:
            label = QLabel()
            self.prop_labels[key] = label
            form.addRow(label, widget)
        self.prop_error = QLabel()
        self.prop_error.setWordWrap(True)
        self.prop_error.setStyleSheet("color: #C62828")
        form.addRow(self.prop_error)
        self.properties_panel = panel
        panel.setMinimumWidth(280)
        self.variables_box = QGroupBox()
        self.variables_panel = VariablesPanel(self.model, self._push, self.variables_box)
        QVBoxLayout(self.variables_box).addWidget(self.variables_panel)
        container = QWidget()
        column = QVBoxLayout(container)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(panel)
        column.addWidget(self.variables_box)
        column.addStretch(1)
        scroller = QScrollArea()
        scroller.setWidgetResizable(True)
        scroller.setWidget(container)
        self.properties_dock = self._dock("cover_properties", scroller, Qt.DockWidgetArea.RightDockWidgetArea)

    def _build_lint_dock(self) -> None:
        self.lint_list = QListWidget()
        self.lint_list.setWordWrap(True)
        self.lint_list.itemClicked.connect(self._on_finding_clicked)
        self.lint_dock = self._dock("cover_lint", self.lint_list, Qt.DockWidgetArea.BottomDockWidgetArea)

    def _build_preview_dock(self) -> None:
        self.phone_preview = PhoneFeedPreview()
        scroller = QScrollArea()
        scroller.setWidgetResizable(True)
        scroller.setWidget(self.phone_preview)
        self.preview_dock = self._dock("cover_phone", scroller, Qt.DockWidgetArea.RightDockWidgetArea)

    def _build_export_dock(self) -> None:
        panel = QWidget()
        self.export_presets = QListWidget()
        for preset in PRESETS.values():
            item = QListWidgetItem(_preset_label(preset))
            item.setData(Qt.ItemDataRole.UserRole, preset.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.export_presets.addItem(item)
        self.export_format = QComboBox()
        for fmt in ("jpeg", "png", "webp"):
            self.export_format.addItem(fmt.upper(), fmt)
        self.folder_button = QPushButton()
        self.folder_button.clicked.connect(self._choose_folder)
        self.export_button = QPushButton()
        self.export_button.clicked.connect(self.export_checked)
        self.export_status = QLabel()
        self.export_status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.export_format)
        row.addWidget(self.folder_button)
        row.addWidget(self.export_button)
        layout = QVBoxLayout(panel)
        layout.addWidget(self.export_presets)
        layout.addLayout(row)
        layout.addWidget(self.export_status)
        self.export_dock = self._dock("cover_export", panel, Qt.DockWidgetArea.BottomDockWidgetArea)

    # -- opening
    def open_document(self, doc: CoverDocument, preset_id: str | None = None, path: Path | None = None) -> None:
        """Show ``doc`` (a fresh undo history) at ``preset_id`` or the document's own preset."""
        self.undo_stack.clear()
        self.path = path
        self.base_dir = str(path.resolve().parent) if path else None
        preset_id = preset_id or doc.preset
        self.model.selected = ""
        self.model.document = doc
        if preset_id in PRESETS:
            index = self.preset_combo.findData(preset_id)
            self.preset_combo.blockSignals(True)
            self.preset_combo.setCurrentIndex(index)
            self.preset_combo.blockSignals(False)
            self.model.preset = PRESETS[preset_id]
            self._show_preset(preset_id)
        self.model.set_document(doc)
        self.model.selection_changed.emit("")
        self._update_title()

    def open_template(self, template_id: str, preset_id: str | None = None) -> None:
        """Read a template on a pool thread, then open it."""
        from cover_designer.templates import load_template

        run_in_background(lambda: load_template(template_id), lambda doc: self.open_document(doc, preset_id),
                          lambda error: self._show_problem(str(getattr(error, "message", error))), receiver=self,
                          pool=self.pool)

    def choose_template(self) -> None:
        gallery = TemplateGallery(self, self.pool)
        index = gallery.platform.findData(self.model.preset.id)
        gallery.platform.setCurrentIndex(max(0, index))
        if gallery.exec() == QDialog.DialogCode.Accepted:
            template_id, preset_id = gallery.chosen()
            if template_id:
                self.open_template(template_id, preset_id)
        gallery.deleteLater()

    def choose_file_to_open(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("Open cover"), str(self.path or Path.home()),
                                                    self.tr("Cover files (*.json)"))
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path) -> None:
        """Read a cover file (or its newer autosave copy) on a pool thread, then open it."""
        from cover_designer.autosave import recover
        from cover_designer.document import load_document

        def read() -> tuple[CoverDocument, bool]:
            recovered = recover(path)
            return (recovered, True) if recovered is not None else (load_document(path), False)

        def opened(result: tuple[CoverDocument, bool]) -> None:
            doc, was_recovered = result
            self.open_document(doc, None, path)
            if was_recovered:
                self._show_problem(self.tr("Recovered changes that were not saved before the program stopped."))

        run_in_background(read, opened, self._on_file_failed, receiver=self, pool=self.pool)

    def save(self) -> None:
        if self.path is None:
            self.choose_file_to_save()
        else:
            self.save_to(self.path)

    def choose_file_to_save(self) -> None:
        suggested = self.path or Path.home() / f"{self.model.document.id or 'cover'}.json"
        path, _filter = QFileDialog.getSaveFileName(self, self.tr("Save cover as"), str(suggested),
                                                    self.tr("Cover files (*.json)"))
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        """Write the cover atomically on a pool thread; the undo history is marked clean when done."""
        from cover_designer.autosave import save

        doc = self.model.document.model_copy(deep=True)
        index = self.undo_stack.index()
        self._autosave_timer.stop()

        def saved(_result) -> None:
            self.path = path
            self.base_dir = self.base_dir or str(path.resolve().parent)
            if self.undo_stack.index() == index:
                self.undo_stack.setClean()
            self._update_title()
            self._show_problem(self.tr("Saved {path}").format(path=path))
            self.saved.emit(str(path))

        run_in_background(lambda: save(doc, path), saved, self._on_file_failed, receiver=self, pool=self.pool)

    def _autosave(self) -> None:
        from cover_designer.autosave import autosave

        if self.path is not None and not self.undo_stack.isClean():
            doc, path = self.model.document.model_copy(deep=True), self.path
            run_in_background(lambda: autosave(doc, path), lambda _result: None, self._on_file_failed,
                              receiver=self, pool=self.pool)

    def _on_file_failed(self, error: BaseException) -> None:
        self._show_problem(self.tr("The cover file could not be used: {reason}").format(
            reason=getattr(error, "message", None) or error))

    def _show_problem(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    # -- rendering (newest request wins)
    def request_render(self) -> None:
        self._request += 1
        if self._in_flight:
            self._pending = True  # the running job's result is dropped; one more job follows it
            return
        self._start_render()

    def _start_render(self) -> None:
        self._in_flight = True
        self._pending = False
        request = self._request
        doc = self.model.document.model_copy(deep=True)
        preset = self.model.preset
        width = preset.smallest_display_width_px
        base_dir = self.base_dir
        run_in_background(lambda: render_snapshot(request, doc, preset, width, base_dir), self._on_rendered,
                          self._on_render_failed, receiver=self, pool=self.pool)

    def _on_rendered(self, output: RenderOutput) -> None:
        self._in_flight = False
        if output.request == self._request:
            self.canvas.set_render(output.image, output.boxes, output.rotations)
            self.phone_preview.set_thumbnail(output.thumbnail, self.tr("{preset}: {width} px wide in the feed").format(
                preset=self.model.preset.name, width=output.thumbnail.width()))
            self._show_findings(output.findings)
        if self._pending:
            self._start_render()

    def _on_render_failed(self, error: BaseException) -> None:
        self._in_flight = False
        self._show_problem(self.tr("The cover could not be drawn: {reason}").format(reason=getattr(error, "message", error)))
        if self._pending:
            self._start_render()

    def is_idle(self) -> bool:
        """No render running or waiting (tests and the screenshot wait for this)."""
        return not self._in_flight and not self._pending

    # -- model → views
    def _on_document_changed(self) -> None:
        if self.path is not None and not self.undo_stack.isClean():
            self._autosave_timer.start()
        self._fill_layers()
        self._fill_properties()
        self._update_title()
        self.request_render()

    def _on_selection_changed(self, layer_id: str) -> None:
        for row in range(self.layer_list.count()):
            item = self.layer_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == layer_id:
                self.layer_list.blockSignals(True)
                self.layer_list.setCurrentItem(item)
                self.layer_list.blockSignals(False)
                break
        else:
            self.layer_list.clearSelection()
        self._fill_properties()

    def _fill_layers(self) -> None:
        self.layer_list.blockSignals(True)
        self.layer_list.clear()
        for layer in reversed(self.model.document.ordered_layers()):  # topmost first, like every editor
            name = layer.name or layer.id
            lock = " 🔒" if layer.locked else ""
            item = QListWidgetItem(f"{name} · {self._type_label(layer.type)}{lock}")
            item.setData(Qt.ItemDataRole.UserRole, layer.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if layer.hidden else Qt.CheckState.Checked)
            item.setToolTip(self.tr("Tick to show the layer"))
            self.layer_list.addItem(item)
            if layer.id == self.model.selected:
                self.layer_list.setCurrentItem(item)
        self.layer_list.blockSignals(False)

    def _type_label(self, kind: str) -> str:
        return {"text": self.tr("Text"), "image": self.tr("Image"), "logo": self.tr("Logo"), "shape": self.tr("Shape"),
                "price": self.tr("Price"), "qr": self.tr("QR code")}.get(kind, kind)

    def _fill_properties(self) -> None:
        layer = self.model.layer(self.model.selected)
        self.properties_panel.setEnabled(layer is not None)
        self.lock_button.setChecked(bool(layer and layer.locked))
        if layer is None:
            return
        widgets = [self.name_edit, self.text_edit, self.font_size, self.weight_combo, self.align_combo, self.color_edit,
                   self.opacity, self.rotation_spin, self.anchor_combo, self.relative_combo, self.own_frame_check,
                   *self.frame_spins.values()]
        for widget in widgets:
            widget.blockSignals(True)
        self.name_edit.setText(layer.name)
        has_text = hasattr(layer, "text")
        self.text_edit.setEnabled(has_text)
        self.text_edit.setText(getattr(layer, "text", ""))
        has_font = hasattr(layer, "font")
        self.font_size.setEnabled(has_font)
        self.font_size.setValue(layer.font.size if has_font else 0)
        self.weight_combo.setEnabled(has_font)
        self.weight_combo.setCurrentIndex(max(0, self.weight_combo.findData(layer.font.weight if has_font else "")))
        has_align = hasattr(layer, "align")
        self.align_combo.setEnabled(has_align)
        self.align_combo.setCurrentIndex(max(0, self.align_combo.findData(getattr(layer, "align", ""))))
        color_field = _color_field(layer)
        self.color_edit.setEnabled(color_field is not None)
        self.color_edit.setText(getattr(layer, color_field) if color_field else "")
        self.opacity.setValue(layer.opacity)
        self.rotation_spin.setValue(layer.rotation_deg)
        frame = active_frame(layer, self.model.preset)
        self.anchor_combo.setCurrentIndex(max(0, self.anchor_combo.findData(frame.anchor)))
        self.relative_combo.setCurrentIndex(max(0, self.relative_combo.findData(frame.relative_to)))
        self.own_frame_check.setChecked(frame_key(layer, self.model.preset) is not None)
        self.own_frame_check.setText(self.tr("Own {shape} position").format(
            shape=_aspect_labels(self)[self.model.preset.aspect_class]))
        for key, spin in self.frame_spins.items():
            spin.setValue(getattr(frame, key))
        for widget in widgets:
            widget.blockSignals(False)
        self.prop_error.setText("")

    def _show_findings(self, findings: list) -> None:
        self.findings = findings
        self.lint_list.clear()
        if not findings:
            self.lint_list.addItem(QListWidgetItem(self.tr("No problems found.")))
            return
        for finding in findings:
            label = self.tr("error") if finding.severity == "error" else self.tr("warning")
            item = QListWidgetItem(f"{finding.rule} {label}: {finding.message} — {finding.fix}")
            item.setData(Qt.ItemDataRole.UserRole, finding.layer or "")
            item.setForeground(QColor("#C62828") if finding.severity == "error" else QColor("#B26A00"))
            self.lint_list.addItem(item)

    def _show_preset(self, preset_id: str) -> None:
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(preset_id))
        self.preset_combo.blockSignals(False)
        self._fill_properties()

    def _on_clean_changed(self, _clean: bool) -> None:
        if shiboken6.isValid(self.undo_stack):  # the stack says "clean" once more while being deleted
            self._update_title()

    def _update_title(self) -> None:
        name = self.model.document.name or self.model.document.id or self.tr("Untitled cover")
        mark = "" if self.undo_stack.isClean() else " *"
        self.setWindowTitle(self.tr("Cover designer — {name}").format(name=name) + mark)

    # -- views → commands
    def _push(self, after: CoverDocument, text: str) -> None:
        if after.model_dump() != self.model.document.model_dump():
            self.undo_stack.push(DocumentCommand(self.model, self.model.document, after, text))

    def _commit(self, field_name: str, value, text: str | None = None) -> None:
        layer_id = self.model.selected
        if not self.model.layer(layer_id):
            return
        try:
            after = edit_layer(self.model.document, layer_id, **{field_name: value})
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            self.prop_error.setText(self.tr("Not a valid value: {reason}").format(reason=str(exc).splitlines()[-1].strip()))
            return
        self.prop_error.setText("")
        self._push(after, text or self.tr("Edit layer"))

    def _commit_color(self) -> None:
        layer = self.model.layer(self.model.selected)
        field_name = _color_field(layer) if layer else None
        if field_name:
            text = self.color_edit.text().strip()
            self._commit(field_name, text if text.startswith("#") else "#" + text)

    def _commit_frame(self, key: str) -> None:
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        frame = active_frame(layer, self.model.preset)
        value = round(self.frame_spins[key].value(), 5)
        if abs(getattr(frame, key) - value) < 1e-6:
            return
        new_frame = frame.model_copy(update={key: value})
        self._push(with_frame(self.model.document, layer.id, self.model.preset, new_frame), self.tr("Move layer"))

    def _commit_anchor(self) -> None:
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        preset = self.model.preset
        frame = reanchored_frame(active_frame(layer, preset), preset, self.model.is_mirrored(layer),
                                 self.anchor_combo.currentData(), self.relative_combo.currentData())
        self._push(with_frame(self.model.document, layer.id, preset, frame), self.tr("Change anchor"))

    def _toggle_own_frame(self, on: bool) -> None:
        """Give the layer its own frame for this preset's shape (16:9, 9:16 or 1:1), or drop it."""
        layer = self.model.layer(self.model.selected)
        if layer is None:
            return
        key = self.model.preset.aspect_class
        frames = {name: frame.model_dump() for name, frame in layer.frame_by_aspect.items()}
        if on:
            frames[key] = layer.frame.model_dump()
        else:
            frames.pop(key, None)
        self._commit("frame_by_aspect", frames, self.tr("Own {shape} position").format(
            shape=_aspect_labels(self)[key]) if on else self.tr("Shared position"))

    def _on_layer_row(self, current: QListWidgetItem | None, _previous=None) -> None:
        self.model.select(current.data(Qt.ItemDataRole.UserRole) if current else "")

    def _on_layer_item_changed(self, item: QListWidgetItem) -> None:
        layer_id = item.data(Qt.ItemDataRole.UserRole)
        hidden = item.checkState() != Qt.CheckState.Checked
        layer = self.model.layer(layer_id)
        if layer is not None and layer.hidden != hidden:
            after = edit_layer(self.model.document, layer_id, hidden=hidden)
            self._push(after, self.tr("Hide layer") if hidden else self.tr("Show layer"))

    def _toggle_lock(self) -> None:
        layer = self.model.layer(self.model.selected)
        if layer is not None:
            after = edit_layer(self.model.document, layer.id, locked=not layer.locked)
            self._push(after, self.tr("Unlock layer") if layer.locked else self.tr("Lock layer"))

    def move_layer(self, step: int) -> None:
        """Raise (+1) or lower (-1) the selected layer one place in the stacking order."""
        ordered = [layer.id for layer in self.model.document.ordered_layers()]
        layer_id = self.model.selected
        if layer_id not in ordered:
            return
        index = ordered.index(layer_id)
        target = index + step
        if not 0 <= target < len(ordered):
            return
        ordered[index], ordered[target] = ordered[target], ordered[index]
        after = self.model.document.model_copy(deep=True)
        for layer in after.layers:
            layer.z = ordered.index(layer.id)
        self._push(after, self.tr("Raise layer") if step > 0 else self.tr("Lower layer"))

    def _on_finding_clicked(self, item: QListWidgetItem) -> None:
        layer_id = item.data(Qt.ItemDataRole.UserRole)
        if layer_id and self.model.layer(layer_id) is not None:
            self.model.select(layer_id)

    def _toggle_safe_zones(self, on: bool) -> None:
        self.canvas.show_safe_zones = on
        self.canvas.update()

    # -- export
    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Export folder"), self.export_folder)
        if folder:
            self.export_folder = folder
            self.retranslate()

    def set_export_presets(self, preset_ids: list[str]) -> None:
        for row in range(self.export_presets.count()):
            item = self.export_presets.item(row)
            checked = item.data(Qt.ItemDataRole.UserRole) in preset_ids
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def export_checked(self) -> None:
        """Write one file per ticked preset into the export folder, on a pool thread."""
        preset_ids = [self.export_presets.item(row).data(Qt.ItemDataRole.UserRole)
                      for row in range(self.export_presets.count())
                      if self.export_presets.item(row).checkState() == Qt.CheckState.Checked]
        if not preset_ids:
            self.export_status.setText(self.tr("Tick at least one preset to export."))
            return
        if self._exporting:
            return
        self._exporting = True
        self.export_button.setEnabled(False)
        self.export_status.setText(self.tr("Exporting {count} covers…").format(count=len(preset_ids)))
        doc = self.model.document.model_copy(deep=True)
        folder = Path(self.export_folder)
        fmt = self.export_format.currentData()
        base_dir = self.base_dir
        run_in_background(lambda: export_covers(doc, preset_ids, folder, fmt, base_dir), self._on_exported,
                          self._on_export_failed, receiver=self, pool=self.pool)

    def _on_exported(self, rows: list[tuple[str, str, str]]) -> None:
        self._exporting = False
        self.export_button.setEnabled(True)
        self.export_rows = rows
        lines = []
        for preset_id, path, error in rows:
            name = PRESETS[preset_id].name
            if error:
                lines.append(self.tr("{preset}: not written — {reason}").format(preset=name, reason=error))
            else:
                lines.append(self.tr("{preset}: written to {path}").format(preset=name, path=path))
        self.export_status.setText("\n".join(lines))
        self.export_finished.emit(rows)

    def _on_export_failed(self, error: BaseException) -> None:
        self._exporting = False
        self.export_button.setEnabled(True)
        self.export_status.setText(self.tr("Export failed: {reason}").format(reason=getattr(error, "message", error)))
        self.export_finished.emit([])

    # -- window
    def closeEvent(self, event) -> None:  # noqa: N802
        self.pool.waitForDone(10000)
        super().closeEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self._update_title()
        self.toolbar.setWindowTitle(self.tr("Cover tools"))
        self.templates_action.setText(self.tr("&Templates…"))
        self.open_action.setText(self.tr("&Open…"))
        self.save_action.setText(self.tr("&Save"))
        self.save_as_action.setText(self.tr("Save &as…"))
        self.preset_label.setText(self.tr("Preset:"))
        self.safe_check.setText(self.tr("Safe zones"))
        self.snap_check.setText(self.tr("Snap"))
        self.layers_dock.setWindowTitle(self.tr("Layers"))
        self.up_button.setText(self.tr("Raise"))
        self.down_button.setText(self.tr("Lower"))
        self.lock_button.setText(self.tr("Lock"))
        self.properties_dock.setWindowTitle(self.tr("Properties"))
        labels = {"name": self.tr("Name"), "text": self.tr("Text"), "font_size": self.tr("Font size"),
                  "color": self.tr("Colour"), "opacity": self.tr("Opacity"), "dx": self.tr("Offset X"),
                  "dy": self.tr("Offset Y"), "w": self.tr("Width"), "h": self.tr("Height"), "rotation": self.tr("Rotation"),
                  "anchor": self.tr("Anchor"), "relative_to": self.tr("Relative to"), "own_frame": ""}
        labels.update({"font_weight": self.tr("Weight"), "align": self.tr("Alignment")})
        for key, label in self.prop_labels.items():
            label.setText(labels[key])
        weights = {"regular": self.tr("Regular"), "medium": self.tr("Medium"), "bold": self.tr("Bold"),
                   "black": self.tr("Black")}
        for index in range(self.weight_combo.count()):
            self.weight_combo.setItemText(index, weights[self.weight_combo.itemData(index)])
        aligns = {"start": self.tr("Start of line"), "left": self.tr("Left"), "center": self.tr("Centre"),
                  "right": self.tr("Right"), "end": self.tr("End of line")}
        for index in range(self.align_combo.count()):
            self.align_combo.setItemText(index, aligns[self.align_combo.itemData(index)])
        anchors = {"top_left": self.tr("Top left"), "top": self.tr("Top"), "top_right": self.tr("Top right"),
                   "left": self.tr("Left"), "center": self.tr("Centre"), "right": self.tr("Right"),
                   "bottom_left": self.tr("Bottom left"), "bottom": self.tr("Bottom"),
                   "bottom_right": self.tr("Bottom right")}
        for index in range(self.anchor_combo.count()):
            self.anchor_combo.setItemText(index, anchors[self.anchor_combo.itemData(index)])
        areas = {"canvas": self.tr("Whole canvas"), "safe": self.tr("Safe area")}
        for index in range(self.relative_combo.count()):
            self.relative_combo.setItemText(index, areas[self.relative_combo.itemData(index)])
        self.variables_box.setTitle(self.tr("Variables"))
        self.lint_dock.setWindowTitle(self.tr("Checks"))
        self.preview_dock.setWindowTitle(self.tr("Phone feed preview"))
        self.export_dock.setWindowTitle(self.tr("Export"))
        self.folder_button.setText(self.tr("Folder: {name}").format(name=Path(self.export_folder).name or self.export_folder))
        self.folder_button.setToolTip(self.export_folder)
        self.export_button.setText(self.tr("Export ticked presets"))
        for row in range(self.export_presets.count()):
            item = self.export_presets.item(row)
            preset = PRESETS[item.data(Qt.ItemDataRole.UserRole)]
            label = _preset_label(preset)
            if preset.cover_count > 1:
                # Say it up front: this preset writes a numbered set, not one file.
                label += " · " + self.tr("{count} covers").format(count=preset.cover_count)
            item.setText(label)


def _aspect_labels(widget: QObject) -> dict[str, str]:
    return {"landscape": widget.tr("landscape"), "portrait": widget.tr("portrait"), "square": widget.tr("square")}


def _preset_label(preset: Preset) -> str:
    size = f"{preset.width}×{preset.height}"
    return preset.name if f"{preset.width}x{preset.height}" in preset.name else f"{preset.name} ({size})"


def _color_field(layer) -> str | None:
    for name in ("color", "fill", "foreground", "placeholder_color"):
        if hasattr(layer, name) and isinstance(getattr(layer, name), str):
            return name
    return None
