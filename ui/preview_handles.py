"""Direct manipulation in the program preview: click selects a layer, drag moves it, the four
corner handles resize it keeping its shape, and edges and centres snap to the canvas's.

Every change goes through ``Studio.items.update`` — the call the numeric Transform dialog makes —
so the engine validates it and the sources dock, autosave and the program follow as usual.  The
geometry (hit test, snapping, corner resize) is the engine's (``studio.scene``); this class maps
widget points to canvas pixels and paints the selection.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from pydantic import ValidationError

from studio.scene import CORNERS, Rect, SceneItem, item_at, resize_from_corner, snap_move

SNAP_DISTANCE_PX = 8  # on screen
HANDLE_PX = 10  # on screen
_CURSORS = {
    "top_left": Qt.CursorShape.SizeFDiagCursor,
    "bottom_right": Qt.CursorShape.SizeFDiagCursor,
    "top_right": Qt.CursorShape.SizeBDiagCursor,
    "bottom_left": Qt.CursorShape.SizeBDiagCursor,
}


@dataclass(frozen=True, slots=True)
class _Drag:
    scene_id: str
    item_id: str
    mode: str  # "move" or a corner
    start_rect: Rect
    start_x: float
    start_y: float


class PreviewEditor:
    """The preview's selection and drag; ``preview`` is a ``ProgramPreview`` of the horizontal canvas."""

    def __init__(self, preview) -> None:  # preview: ui.preview.ProgramPreview
        self.preview = preview
        self.selected_item_id: str | None = None
        self.guides: list[tuple[str, float]] = []  # what the current drag snapped to
        self._drag: _Drag | None = None

    # -- mapping ---------------------------------------------------------------------------------
    def _scale_origin(self) -> tuple[float, float, float] | None:
        compositor = self.preview.compositor()
        rect = self.preview.picture_rect()
        if compositor is None or rect.isEmpty():
            return None
        return rect.width() / compositor.width, float(rect.left()), float(rect.top())

    def to_canvas(self, point: QPointF) -> tuple[float, float] | None:
        mapping = self._scale_origin()
        if mapping is None:
            return None
        scale, left, top = mapping
        return (point.x() - left) / scale, (point.y() - top) / scale

    def to_widget(self, rect: Rect) -> QRectF:
        mapping = self._scale_origin()
        if mapping is None:
            return QRectF()
        scale, left, top = mapping
        x, y, w, h = rect
        return QRectF(left + x * scale, top + y * scale, w * scale, h * scale)

    # -- model -----------------------------------------------------------------------------------
    def selected_item(self) -> SceneItem | None:
        scene = self.preview.studio.current_scene()
        if scene is None or self.selected_item_id is None:
            return None
        return next((item for item in scene.items if item.id == self.selected_item_id), None)

    def select(self, item_id: str | None) -> None:
        if item_id != self.selected_item_id:
            self.selected_item_id = item_id
            self.preview.item_selected.emit(item_id or "")
        self.preview.update()

    def handle_at(self, point: QPointF) -> str:
        """The corner handle of the selected layer under the widget point ("" for none)."""
        item = self.selected_item()
        if item is None:
            return ""
        box = self.to_widget((item.x, item.y, item.width, item.height))
        corners = {"top_left": box.topLeft(), "top_right": box.topRight(), "bottom_left": box.bottomLeft(), "bottom_right": box.bottomRight()}
        reach = HANDLE_PX / 2 + 3
        for name in CORNERS:
            corner = corners[name]
            if abs(point.x() - corner.x()) <= reach and abs(point.y() - corner.y()) <= reach:
                return name
        return ""

    # -- mouse -----------------------------------------------------------------------------------
    def press(self, point: QPointF) -> None:
        studio = self.preview.studio
        scene = studio.current_scene()
        canvas_point = self.to_canvas(point)
        if scene is None or canvas_point is None:
            return
        corner = self.handle_at(point)
        item = self.selected_item() if corner else item_at(scene, *canvas_point)
        self.select(item.id if item is not None else None)
        if item is None:
            return
        self._drag = _Drag(scene.id, item.id, corner or "move", (item.x, item.y, item.width, item.height), *canvas_point)

    def move(self, point: QPointF, buttons: Qt.MouseButton) -> None:
        drag = self._drag
        if drag is None or not (buttons & Qt.MouseButton.LeftButton):
            self.preview.setCursor(_CURSORS.get(self.handle_at(point), Qt.CursorShape.ArrowCursor))
            return
        canvas_point = self.to_canvas(point)
        mapping = self._scale_origin()
        if canvas_point is None or mapping is None:
            return
        compositor = self.preview.compositor()
        tolerance = SNAP_DISTANCE_PX / mapping[0]
        if drag.mode == "move":
            x, y, w, h = drag.start_rect
            moved = (round(x + canvas_point[0] - drag.start_x), round(y + canvas_point[1] - drag.start_y), w, h)
            rect, self.guides = snap_move(moved, compositor.width, compositor.height, tolerance)
        else:
            rect, self.guides = resize_from_corner(drag.start_rect, drag.mode, *canvas_point, compositor.width, compositor.height, tolerance)
        x, y, w, h = rect
        try:
            self.preview.studio.items.update(drag.scene_id, drag.item_id, x=x, y=y, width=w, height=h)
        except ValidationError:  # out of the range an item may take: this step is skipped
            pass
        self.preview.update()

    def release(self) -> None:
        self._drag = None
        self.guides = []
        self.preview.update()

    @property
    def is_dragging(self) -> bool:
        return self._drag is not None

    # -- painting --------------------------------------------------------------------------------
    def paint(self, painter: QPainter) -> None:
        item = self.selected_item()
        if item is None:
            return
        box = self.to_widget((item.x, item.y, item.width, item.height))
        if box.isEmpty():
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(QColor(255, 255, 255), 1, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(box)
        painter.setPen(QPen(QColor(30, 120, 255), 1))
        painter.setBrush(QColor(255, 255, 255))
        half = HANDLE_PX / 2
        for corner in (box.topLeft(), box.topRight(), box.bottomLeft(), box.bottomRight()):
            painter.drawRect(QRectF(corner.x() - half, corner.y() - half, HANDLE_PX, HANDLE_PX))
        picture = self.preview.picture_rect()
        painter.setPen(QPen(QColor(255, 64, 160), 1))
        for axis, position in self.guides:
            line = self.to_widget((round(position), round(position), 0, 0))
            if axis == "x":
                painter.drawLine(QPointF(line.left(), picture.top()), QPointF(line.left(), picture.bottom()))
            else:
                painter.drawLine(QPointF(picture.left(), line.top()), QPointF(picture.right(), line.top()))
        painter.restore()
