"""The cover designer's canvas: the rendered cover with selection, handles, guides and the photo tools."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from cover_designer.canvas_drag import LayerDrag, SnapTargets
from cover_designer.geometry import (
    HANDLE_SIDES, active_frame, box_fraction, box_pixels, handle_direction, handle_points, layer_at_point, moved_frame,
    snap_lines, with_frame,
)
from cover_designer.presets import Rect
from ui.cover_model import DocumentCommand

if TYPE_CHECKING:  # pragma: no cover
    from ui.cover_editor import CoverEditorWindow

SNAP_DISTANCE_PX = 8  # on screen
HANDLE_PX = 10  # on screen
GUIDE_GRAB_PX = 3  # on screen: how close the mouse must be to pick up a guide
ROTATE_HANDLE_PX = 28  # on screen: how far above the top edge the rotate handle sits


class CoverCanvas(QWidget):
    """Shows the rendered cover; click selects, drag moves, eight handles resize, the round handle
    above the box rotates (Shift: 15° steps).  Each drag is one undo step.

    Two one-shot tools work on the selected image layer: "focal" (click the photo: that point stays
    in view when it is cropped) and "face" (drag a box around the face).

    The geometry (hit tests, snapping, what a drag does to the document) is ``cover_designer``'s;
    this widget maps mouse and screen pixels to canvas pixels and paints.  It keeps its 26 methods together
    because Qt's event handlers (paint, mouse, keys, menu) and the designer's guides share the one
    screen-to-canvas mapping; splitting them would pass that mapping around for no gain."""

    tool_changed = Signal(str)

    def __init__(self, editor: "CoverEditorWindow") -> None:
        super().__init__(editor)
        self.editor = editor
        self.model = editor.model
        self.image: QImage | None = None
        self.boxes: dict[str, Rect] = {}
        self.rotations: dict[str, float] = {}
        self.show_safe_zones = True
        self.snapping = True
        # The press being dragged: a layer gesture, or {"guide": index, "moved": bool} for a guide.
        self._drag: LayerDrag | dict | None = None
        self._drag_after = None  # the document the layer drag has made so far (None until it moves)
        self._guides: list[tuple[str, float]] = []
        self.photo_sizes: dict[str, tuple[int, int]] = {}
        self.faces: dict[str, Rect] = {}
        self.tool = ""  # "", "focal" or "face"
        # The designer's own guides: ("x" or "y", fraction of the canvas), kept across presets.
        self.user_guides: list[tuple[str, float]] = []
        self._face_drag: tuple[tuple[float, float], tuple[float, float]] | None = None  # box fractions
        self.setMinimumSize(420, 300)
        # The cover is a picture: never mirrored, not even in a right-to-left (Arabic) UI.
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.model.selection_changed.connect(lambda _id: self.update())
        self.model.selection_changed.connect(lambda _id: self.set_tool(""))

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(900, 620)

    def set_render(self, image: QImage, boxes: dict[str, Rect], rotations: dict[str, float] | None = None,
                   photo_sizes: dict[str, tuple[int, int]] | None = None, faces: dict[str, Rect] | None = None) -> None:
        self.image = image
        self.boxes = boxes
        self.rotations = rotations or {}
        self.photo_sizes = photo_sizes or {}
        self.faces = faces or {}
        self.update()

    def set_tool(self, tool: str) -> None:
        """Switch the one-shot tool ("" for the usual select/move/resize/rotate)."""
        if tool != self.tool:
            self.tool = tool
            self._face_drag = None
            self.setCursor(Qt.CursorShape.CrossCursor if tool else Qt.CursorShape.ArrowCursor)
            self.tool_changed.emit(tool)
            self.update()

    def box_fraction(self, layer_id: str, x: float, y: float) -> tuple[float, float] | None:
        """A canvas point as fractions of the layer's unturned box (None without a box)."""
        return box_fraction(self.boxes.get(layer_id), self.rotations.get(layer_id, 0.0), x, y)

    def add_guide(self, axis: str, fraction: float = 0.5) -> None:
        self.user_guides.append((axis, min(1.0, max(0.0, fraction))))
        self.update()

    def clear_guides(self) -> None:
        self.user_guides = []
        self.update()

    def guide_at(self, position: QPointF) -> int:
        """Index of the designer's guide under the widget point (-1 for none)."""
        preset = self.model.preset
        for index, (axis, fraction) in enumerate(self.user_guides):
            line = self.point_to_widget(fraction * preset.width, fraction * preset.height)
            distance = abs(position.x() - line.x()) if axis == "x" else abs(position.y() - line.y())
            if distance <= GUIDE_GRAB_PX:
                return index
        return -1

    def _image_tool_target(self):
        """The selected image/logo layer while a tool is on, else None."""
        layer = self.model.layer(self.model.selected)
        if self.tool and layer is not None and layer.type in ("image", "logo") and layer.id in self.boxes:
            return layer
        return None

    def _tool_press(self, x: float, y: float) -> bool:
        """Handle a press while a tool is on; True when the tool used it."""
        from ui.cover_image_panel import focal_from_click

        layer = self._image_tool_target()
        fraction = self.box_fraction(layer.id, x, y) if layer is not None else None
        if fraction is None or not (0 <= fraction[0] <= 1 and 0 <= fraction[1] <= 1):
            self.set_tool("")  # a click elsewhere ends the tool and works as usual
            return False
        if self.tool == "focal":
            fx, fy = focal_from_click(layer, self.photo_sizes.get(layer.id), box_pixels(self.boxes[layer.id]), *fraction)
            self.set_tool("")
            self.editor.edits.push_fields(layer.id, {"focal_x": fx, "focal_y": fy}, self.tr("Set focal point"))
        else:
            self._face_drag = (fraction, fraction)
        return True

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
        return layer_at_point(self.model.document.ordered_layers(), self.boxes, self.rotations, x, y)

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
        x, y = self.to_canvas(event.position())
        if self.tool and self._tool_press(x, y):
            self._drag = None
            return
        handle = self.handle_at(event.position())
        guide = self.guide_at(event.position()) if not handle else -1
        if guide >= 0:
            self._drag = {"guide": guide, "moved": False}
            return
        layer_id = self.model.selected if handle else self.layer_at(x, y)
        self.model.select(layer_id)
        layer = self.model.layer(layer_id)
        if layer is None or layer.locked or layer_id not in self.boxes:
            self._drag = None
            return
        mode = "rotate" if handle == "rotate" else "resize" if handle else "move"
        self._drag = LayerDrag(layer_id, self.model.document.model_copy(deep=True),
                               active_frame(layer, self.model.preset), self.boxes[layer_id],
                               self.rotations.get(layer_id, 0.0), (x, y), mode, handle)
        self._drag_after = None

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._face_drag is not None:
            fraction = self.box_fraction(self.model.selected, *self.to_canvas(event.position()))
            if fraction is not None:
                self._face_drag = (self._face_drag[0], (min(1.0, max(0.0, fraction[0])), min(1.0, max(0.0, fraction[1]))))
                self.update()
            return
        if self.tool:
            return
        if self._drag is None:
            handle = self.handle_at(event.position())
            guide = self.guide_at(event.position()) if not handle else -1
            if guide >= 0:
                vertical = self.user_guides[guide][0] == "x"
                self.setCursor(Qt.CursorShape.SplitHCursor if vertical else Qt.CursorShape.SplitVCursor)
            else:
                self.setCursor(_cursor_for(handle, self.rotations.get(self.model.selected, 0.0)))
            return
        x, y = self.to_canvas(event.position())
        drag = self._drag
        if isinstance(drag, dict):
            axis, _old = self.user_guides[drag["guide"]]
            preset = self.model.preset
            # Fractions outside 0..1 mean "dragged off the canvas": the guide goes on release.
            self.user_guides[drag["guide"]] = (axis, x / preset.width if axis == "x" else y / preset.height)
            drag["moved"] = True
            self.update()
            return
        preset = self.model.preset
        scale, _ox, _oy = self._scale_origin()
        snap = SnapTargets(self.snapping, SNAP_DISTANCE_PX / scale,
                           *snap_lines(self.boxes, self.rotations, drag.layer_id, self.user_guides, preset.width,
                                       preset.height))
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        after, self._guides = drag.to((x, y), preset, snap, fifteen_degree_steps=shift)
        self._drag_after = after
        # Live feedback without an undo step per mouse move; one command on release.
        self.model.set_document(after)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._face_drag is not None:
            from ui.cover_image_panel import face_from_drag

            (start, end), self._face_drag = self._face_drag, None
            layer = self._image_tool_target()
            self.set_tool("")
            if layer is not None:
                face = face_from_drag(layer, self.photo_sizes.get(layer.id), box_pixels(self.boxes[layer.id]), start, end)
                if face is not None:
                    self.editor.edits.push_fields(layer.id, {"face": face}, self.tr("Mark face"))
            return
        drag, self._drag = self._drag, None
        after, self._drag_after = self._drag_after, None
        self._guides = []
        self.update()
        if isinstance(drag, dict):
            axis, fraction = self.user_guides[drag["guide"]]
            if not 0.0 <= fraction <= 1.0:
                del self.user_guides[drag["guide"]]
            return
        if drag is not None and after is not None:
            text = {"rotate": self.tr("Rotate layer"), "resize": self.tr("Resize layer")}.get(drag.mode, self.tr("Move layer"))
            self.editor.undo_stack.push(DocumentCommand(self.model, drag.before, after, text))

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        """Double-click a text, badge or price layer: its words are ready to type in the properties."""
        if event.button() != Qt.MouseButton.LeftButton or self.tool:
            return
        layer_id = self.layer_at(*self.to_canvas(event.position()))
        if layer_id:
            self.model.select(layer_id)
            self.editor.focus_text_field()

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        layer_id = self.layer_at(*self.to_canvas(QPointF(event.pos())))
        if layer_id:
            self.model.select(layer_id)
            menu = self.editor.layers_panel.layer_menu(self)
            menu.exec(event.globalPos())
            menu.deleteLater()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        """Arrow keys nudge the selected layer by one canvas pixel (ten with Shift); one undo step each."""
        if event.key() == Qt.Key.Key_Escape and self.tool:
            self.set_tool("")
            return
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
        painter.setPen(QPen(QColor("#E040FB"), 1))
        for axis, fraction in self.user_guides:
            if axis == "x":
                gx = ox + fraction * preset.width * scale
                painter.drawLine(QPointF(gx, full.top()), QPointF(gx, full.bottom()))
            else:
                gy = oy + fraction * preset.height * scale
                painter.drawLine(QPointF(full.left(), gy), QPointF(full.right(), gy))
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
            if layer is not None and layer.type in ("image", "logo"):
                self._paint_photo_marks(painter, layer, box, rotation)
        painter.end()

    def _paint_photo_marks(self, painter: QPainter, layer, box: Rect, rotation: float) -> None:
        """The selected photo's focal point (a cross in a ring) and face box (dashed), turned with the box."""
        from cover_designer.render import rotate_point, rotated_corners
        from ui.cover_image_panel import focal_marker

        cx, cy = box.x + box.w / 2, box.y + box.h / 2
        u, v = focal_marker(layer, self.photo_sizes.get(layer.id), box_pixels(self.boxes[layer.id]))
        if 0 <= u <= 1 and 0 <= v <= 1:
            center = self.point_to_widget(*rotate_point(box.x + u * box.w, box.y + v * box.h, cx, cy, rotation))
            for color, width in ((QColor(0, 0, 0, 160), 4), (QColor("#FFD54F"), 2)):
                painter.setPen(QPen(color, width))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(center, 9, 9)
                painter.drawLine(center - QPointF(14, 0), center + QPointF(14, 0))
                painter.drawLine(center - QPointF(0, 14), center + QPointF(0, 14))
        face: Rect | None = None
        if self._face_drag is not None:
            (u0, v0), (u1, v1) = self._face_drag
            face = Rect(box.x + min(u0, u1) * box.w, box.y + min(v0, v1) * box.h, abs(u1 - u0) * box.w,
                        abs(v1 - v0) * box.h)
        elif layer.id in self.faces:
            face = self.faces[layer.id]
        if face is not None:
            outline = QPolygonF([self.point_to_widget(x, y) for x, y in rotated_corners(face, rotation, (cx, cy))])
            painter.setPen(QPen(QColor("#00E676"), 2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPolygon(outline)


# Resize cursors by the direction the handle pulls on screen (``handle_direction``).
_RESIZE_CURSORS = (Qt.CursorShape.SizeHorCursor, Qt.CursorShape.SizeFDiagCursor, Qt.CursorShape.SizeVerCursor,
                   Qt.CursorShape.SizeBDiagCursor)


def _cursor_for(handle: str, rotation_deg: float) -> Qt.CursorShape:
    """The mouse cursor over ``handle`` of a box turned by ``rotation_deg`` ("" for none)."""
    if handle == "rotate":
        return Qt.CursorShape.CrossCursor
    if not handle:
        return Qt.CursorShape.ArrowCursor
    return _RESIZE_CURSORS[handle_direction(handle, rotation_deg)]
