"""A mouse drag on a layer of the editor's canvas, as data (no Qt): what the press caught and the
document the drag has made so far — moved, resized by a handle, or rotated — with the snap lines
it landed on.  The canvas shows each step live and pushes one undo step on release."""
from __future__ import annotations

from dataclasses import dataclass

from .document import CoverDocument, Frame
from .editing import edit_layer
from .geometry import (
    frame_for_rect, moved_frame, resized_rect, rotation_from_drag, snap_offset, snap_resize, snap_turned_resize,
    with_frame,
)
from .presets import Preset, Rect

DRAG_MODES = ("move", "resize", "rotate")


@dataclass(frozen=True)
class SnapTargets:
    """What a drag snaps to: on or off, how close (canvas pixels), and the lines besides the canvas
    and safe area (other layers' edges and centres, the designer's guides)."""

    is_on: bool = True
    tolerance: float = 0.0
    extra_x: tuple[float, ...] = ()
    extra_y: tuple[float, ...] = ()


@dataclass(frozen=True)
class LayerDrag:
    """A press on a layer: the document then, the layer's frame and drawn box, and the gesture
    (``mode`` one of DRAG_MODES; ``handle`` the resize handle pulled)."""

    layer_id: str
    before: CoverDocument
    frame: Frame
    box: Rect
    rotation_deg: float  # as drawn (clockwise; mirrored layouts store it turned the other way)
    start: tuple[float, float]  # canvas pixels
    mode: str = "move"
    handle: str = ""

    def to(self, point: tuple[float, float], preset: Preset, snap: SnapTargets,
           fifteen_degree_steps: bool = False) -> tuple[CoverDocument, list[tuple[str, float]]]:
        """The document with the drag carried to ``point`` (canvas pixels), and the snap lines shown."""
        layer = next(item for item in self.before.layers if item.id == self.layer_id)
        mirror = self.before.direction == "rtl" and not layer.mirror_exempt
        dx, dy = point[0] - self.start[0], point[1] - self.start[1]
        box = self.box
        safe = preset.safe_rect() if preset.unsafe else None
        guides: list[tuple[str, float]] = []
        keeps_aspect = self.frame.aspect is not None
        if self.mode == "rotate":
            center = (box.x + box.w / 2, box.y + box.h / 2)
            drawn = rotation_from_drag(self.rotation_deg, center, self.start, point, fifteen_degree_steps)
            # Mirrored layouts draw the stored angle turned the other way.
            return edit_layer(self.before, self.layer_id, rotation_deg=-drawn if mirror else drawn), guides
        if self.mode == "resize":
            rotation = self.rotation_deg
            rect = resized_rect(box, rotation, self.handle, dx, dy, keep_aspect=keeps_aspect)
            if snap.is_on and not rotation % 360 and not keeps_aspect:
                rect, guides = snap_resize(rect, self.handle, preset.width, preset.height, snap.tolerance, safe,
                                           snap.extra_x, snap.extra_y)
            elif snap.is_on:
                # Turned or aspect-locked boxes snap by their bounds, still resizing about the fixed handle.
                rect, guides = snap_turned_resize(box, rotation, self.handle, dx, dy, preset.width, preset.height,
                                                  snap.tolerance, safe, keep_aspect=keeps_aspect,
                                                  extra_x=snap.extra_x, extra_y=snap.extra_y)
            frame = frame_for_rect(self.frame, preset, mirror, rect)
            return with_frame(self.before, self.layer_id, preset, frame), guides
        if snap.is_on:
            from .render import rotated_bounds

            # Turned boxes snap by what the eye sees: their bounds on the canvas.
            moved = rotated_bounds(Rect(box.x + dx, box.y + dy, box.w, box.h), self.rotation_deg)
            sx, sy, guides = snap_offset(moved, preset.width, preset.height, snap.tolerance, safe,
                                         snap.extra_x, snap.extra_y)
            dx, dy = dx + sx, dy + sy
        frame = moved_frame(self.frame, preset, mirror, dx, dy)
        return with_frame(self.before, self.layer_id, preset, frame), guides
