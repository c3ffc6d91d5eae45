"""Editing geometry of a cover (no Qt): frames in canvas pixels, the eight resize handles and the
rotate handle, and snapping while moving and resizing (also turned boxes).

The editor's canvas turns mouse drags into these calls; boxes are ``presets.Rect`` and points plain
``(x, y)`` tuples, so the rules are tested without a window."""
from __future__ import annotations

import math

from .document import CoverDocument, Frame
from .presets import Preset, Rect

ROTATION_SNAP_DEG = 15.0  # Shift while rotating


def frame_key(layer, preset: Preset) -> str | None:
    """Which frame the preset uses: a ``frame_by_aspect`` entry, or ``None`` for the base frame."""
    return preset.aspect_class if preset.aspect_class in layer.frame_by_aspect else None


def active_frame(layer, preset: Preset) -> Frame:
    key = frame_key(layer, preset)
    return layer.frame_by_aspect[key] if key else layer.frame


def reference_area(frame: Frame, preset: Preset) -> Rect:
    """The canvas or safe area that the frame's fractions refer to, in canvas pixels."""
    from .render import resolve_frame

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
    from .document import ANCHOR_POINTS, MIRRORED_ANCHOR

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
    from .render import resolve_frame

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
    from .render import rotate_point

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
                safe: Rect | None = None, extra_x: tuple[float, ...] = (),
                extra_y: tuple[float, ...] = ()) -> tuple[Rect, list[tuple[str, float]]]:
    """An unturned box being resized by ``handle``: its moving edges snap to the canvas' edges and
    centre lines, the safe area's edges and ``extra_x``/``extra_y`` (other layers' edges and
    centres) within ``tolerance``; the opposite edges stay put."""
    sx, sy = HANDLE_SIDES[handle]
    xs = [0.0, width / 2, float(width), *extra_x] + ([safe.x, safe.right] if safe else [])
    ys = [0.0, height / 2, float(height), *extra_y] + ([safe.y, safe.bottom] if safe else [])
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


def _bounds_lines(rect: Rect, rotation_deg: float) -> tuple[list[float], list[float]]:
    """Left/centre/right and top/centre/bottom of a box's turned bounds on the canvas."""
    from .render import rotated_bounds

    bounds = rotated_bounds(rect, rotation_deg)
    return ([bounds.x, bounds.x + bounds.w / 2, bounds.right], [bounds.y, bounds.y + bounds.h / 2, bounds.bottom])


def snap_turned_resize(box: Rect, rotation_deg: float, handle: str, dx: float, dy: float, width: float, height: float,
                       tolerance: float, safe: Rect | None = None, keep_aspect: bool = False,
                       extra_x: tuple[float, ...] = (), extra_y: tuple[float, ...] = ()) -> tuple[Rect, list[tuple[str, float]]]:
    """Resize of a turned (or aspect-locked) box by ``handle`` with snapping: the edges and centre of
    the box's turned bounds, as the eye sees them, snap to the canvas' edges and centre lines, the
    safe area's edges and ``extra_x``/``extra_y`` (other layers) within ``tolerance``.

    The drag stays a resize about the fixed opposite handle: the snap nudges the mouse delta (the
    bounds move linearly with it) so the nearest bound line lands on its target."""
    xs = [0.0, width / 2, float(width), *extra_x] + ([safe.x, safe.right] if safe else [])
    ys = [0.0, height / 2, float(height), *extra_y] + ([safe.y, safe.bottom] if safe else [])

    def lines(mx: float, my: float) -> tuple[list[float], list[float]]:
        return _bounds_lines(resized_rect(box, rotation_deg, handle, mx, my, keep_aspect), rotation_deg)

    line_x, line_y = lines(dx, dy)
    step_x, step_y = lines(dx + 1.0, dy), lines(dx, dy + 1.0)
    # How each bound line moves per canvas pixel of mouse movement (piecewise linear in the drag).
    grad_x = [(step_x[0][i] - line_x[i], step_y[0][i] - line_x[i]) for i in range(3)]
    grad_y = [(step_x[1][i] - line_y[i], step_y[1][i] - line_y[i]) for i in range(3)]

    def best(values: list[float], grads: list[tuple[float, float]], targets: list[float]):
        found = None
        for value, grad in zip(values, grads):
            if abs(grad[0]) + abs(grad[1]) < 1e-3:
                continue  # this line does not move with the drag: snapping it would do nothing
            for target in targets:
                gap = target - value
                if abs(gap) <= tolerance and (found is None or abs(gap) < abs(found[0])):
                    found = (gap, grad, target)
        return found

    snap_x, snap_y = best(line_x, grad_x, xs), best(line_y, grad_y, ys)
    plain = resized_rect(box, rotation_deg, handle, dx, dy, keep_aspect)
    if snap_x is None and snap_y is None:
        return plain, []
    correction = None
    if snap_x and snap_y:
        (gx, (ax, bx), _), (gy, (ay, by), _) = snap_x, snap_y  # the snap targets are not needed here
        det = ax * by - bx * ay
        if abs(det) > 1e-6:
            correction = ((gx * by - bx * gy) / det, (ax * gy - gx * ay) / det)
        else:  # both lines move together: snap the nearer one only
            snap_x, snap_y = (snap_x, None) if abs(gx) <= abs(gy) else (None, snap_y)
    if correction is None:
        gap, (a, b), _target = snap_x or snap_y
        norm = a * a + b * b
        correction = (gap * a / norm, gap * b / norm)
    mx, my = dx + correction[0], dy + correction[1]
    after_x, after_y = lines(mx, my)
    guides: list[tuple[str, float]] = []
    # Keep only the snaps that really landed (a box hitting its minimum size stops following).
    if snap_x and min(abs(value - snap_x[2]) for value in after_x) <= 0.5:
        guides.append(("x", snap_x[2]))
    if snap_y and min(abs(value - snap_y[2]) for value in after_y) <= 0.5:
        guides.append(("y", snap_y[2]))
    if not guides:
        return plain, []
    return resized_rect(box, rotation_deg, handle, mx, my, keep_aspect), guides


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
                safe: Rect | None = None, extra_x: tuple[float, ...] = (),
                extra_y: tuple[float, ...] = ()) -> tuple[float, float, list[tuple[str, float]]]:
    """Shift that puts the box's edge/centre on the canvas' (or safe area's) edge/centre, or on
    ``extra_x``/``extra_y`` (other layers' edges and centres), within ``tolerance``."""
    guides: list[tuple[str, float]] = []
    xs = [0.0, width / 2, float(width), *extra_x] + ([safe.x, safe.right] if safe else [])
    ys = [0.0, height / 2, float(height), *extra_y] + ([safe.y, safe.bottom] if safe else [])
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


def box_fraction(box: Rect | None, rotation_deg: float, x: float, y: float) -> tuple[float, float] | None:
    """A canvas point as fractions of a box's unturned frame (the box turned by ``rotation_deg``
    about its centre); None without a box."""
    from .render import rotate_point

    if box is None or box.w <= 0 or box.h <= 0:
        return None
    px, py = rotate_point(x, y, box.x + box.w / 2, box.y + box.h / 2, -rotation_deg)
    return (px - box.x) / box.w, (py - box.y) / box.h


def layer_at_point(layers, boxes: dict[str, Rect], rotations: dict[str, float], x: float, y: float) -> str:
    """The topmost visible layer of ``layers`` (bottom first) whose drawn, turned box holds the
    canvas point ("" for none)."""
    from .render import rotate_point

    for layer in reversed(layers):
        box = boxes.get(layer.id)
        if not box or layer.hidden:
            continue
        # Turn the point back into the box's own axes.
        px, py = rotate_point(x, y, box.x + box.w / 2, box.y + box.h / 2, -rotations.get(layer.id, 0.0))
        if box.x <= px <= box.right and box.y <= py <= box.bottom:
            return layer.id
    return ""


def snap_lines(boxes: dict[str, Rect], rotations: dict[str, float], exclude: str, guides: list[tuple[str, float]],
               width: float, height: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Lines a dragged layer snaps to besides the canvas and safe area: the designer's ``guides``
    (axis, fraction of the canvas) and the edges and centres of every other layer's turned bounds."""
    from .render import rotated_bounds

    xs: list[float] = [fraction * width for axis, fraction in guides if axis == "x"]
    ys: list[float] = [fraction * height for axis, fraction in guides if axis == "y"]
    for other, box in boxes.items():
        if other == exclude:
            continue
        bounds = rotated_bounds(box, rotations.get(other, 0.0))
        xs += [bounds.x, bounds.x + bounds.w / 2, bounds.right]
        ys += [bounds.y, bounds.y + bounds.h / 2, bounds.bottom]
    return tuple(xs), tuple(ys)


def box_pixels(box: Rect) -> tuple[int, int]:
    """A drawn box's size in whole pixels (at least 1×1)."""
    return max(1, round(box.w)), max(1, round(box.h))


def handle_direction(handle: str, rotation_deg: float) -> int:
    """Which way a resize handle pulls on screen, turned with its box: 0 horizontal, 1 falling
    diagonal (top-left to bottom-right), 2 vertical, 3 rising diagonal (for the cursor shape)."""
    sx, sy = HANDLE_SIDES[handle]
    angle = (math.degrees(math.atan2(sy, sx)) + rotation_deg) % 180
    return round(angle / 45) % 4


# Frame fields shown in pixels of the preset: which side of the reference area each one measures.
FRAME_PIXEL_SIDES = {"dx": "w", "dy": "h", "w": "w", "h": "h"}
FRAME_FRACTION_RANGES = {"dx": (-1.0, 1.0), "dy": (-1.0, 1.0), "w": (0.01, 2.0), "h": (0.01, 2.0)}


def frame_pixels(frame: Frame, preset: Preset) -> dict[str, tuple[float, float, float]]:
    """The frame's offsets and size in pixels of ``preset``: ``{field: (value_px, lowest_px, highest_px)}``
    (the document keeps fractions of the canvas or safe area, so one design fits every preset)."""
    area = reference_area(frame, preset)
    out = {}
    for key, side in FRAME_PIXEL_SIDES.items():
        length = getattr(area, side)
        low, high = FRAME_FRACTION_RANGES[key]
        out[key] = (getattr(frame, key) * length, low * length, high * length)
    return out


def frame_with_pixels(frame: Frame, preset: Preset, key: str, value_px: float) -> Frame:
    """``frame`` with one offset or size set from pixels of ``preset`` (kept as a fraction, clamped to the schema)."""
    length = getattr(reference_area(frame, preset), FRAME_PIXEL_SIDES[key]) or 1.0
    low, high = FRAME_FRACTION_RANGES[key]
    return frame.model_copy(update={key: round(min(high, max(low, value_px / length)), 5)})
