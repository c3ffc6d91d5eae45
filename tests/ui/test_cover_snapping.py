"""Snapping while resizing turned and aspect-locked boxes, and snapping to other layers."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from cover_designer.presets import Rect
from cover_designer.render import rotate_point, rotated_bounds
from ui.cover_editor import (
    DocumentCommand, HANDLE_SIDES, edit_layer, resized_rect, snap_turned_resize,
)
from tests.ui.cover_helpers import open_cover_editor, wait_rendered


@pytest.fixture
def editor(qtbot):
    with open_cover_editor(qtbot) as window:
        yield window


def canvas_point(window, x: float, y: float) -> QPoint:
    scale, ox, oy = window.canvas._scale_origin()
    return QPoint(round(ox + x * scale), round(oy + y * scale))


def fixed_point(box: Rect, rotation: float, handle: str) -> tuple[float, float]:
    """The canvas position of the handle opposite ``handle``."""
    sx, sy = HANDLE_SIDES[handle]
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    return rotate_point(cx - sx * box.w / 2, cy - sy * box.h / 2, cx, cy, rotation)


def drag_for_bound(box, rotation, handle, target_right, axis=(1.0, 0.0)):
    """The mouse delta along ``axis`` that puts the turned bounds' right edge at ``target_right`` (bisection)."""
    low, high = -200.0, 1000.0
    for _ in range(60):
        mid = (low + high) / 2
        right = rotated_bounds(resized_rect(box, rotation, handle, mid * axis[0], mid * axis[1]), rotation).right
        low, high = (mid, high) if right < target_right else (low, mid)
    return low * axis[0], low * axis[1]


@pytest.mark.parametrize("rotation", [30.0, -20.0, 60.0])
def test_turned_resize_snaps_the_bounds_edge_and_keeps_the_opposite_handle(rotation):
    box = Rect(300, 200, 200, 100)
    dx, dy = drag_for_bound(box, rotation, "right", 637.0)
    plain = resized_rect(box, rotation, "right", dx, dy)
    assert rotated_bounds(plain, rotation).right == pytest.approx(637.0, abs=0.01)
    rect, guides = snap_turned_resize(box, rotation, "right", dx, dy, 1280, 720, tolerance=5)
    assert ("x", 640.0) in guides
    assert rotated_bounds(rect, rotation).right == pytest.approx(640.0, abs=0.01)
    assert rect.h == pytest.approx(box.h)  # a side handle changes one side only
    assert fixed_point(rect, rotation, "right") == pytest.approx(fixed_point(box, rotation, "right"), abs=0.01)
    # Out of reach: no snap, the plain resize.
    far, none = snap_turned_resize(box, rotation, "right", dx - 30, dy, 1280, 720, tolerance=5)
    assert none == [] and far == resized_rect(box, rotation, "right", dx - 30, dy)


def test_turned_corner_resize_snaps_both_axes():
    box = Rect(300, 200, 200, 100)
    rotation = 25.0
    # Find a corner drag that leaves the bounds 3 px short of the canvas centre lines on both axes.
    best = None
    for mx in range(0, 400):
        for my in range(0, 400, 2):
            bounds = rotated_bounds(resized_rect(box, rotation, "bottom_right", mx, my), rotation)
            miss = abs(bounds.right - 637) + abs(bounds.bottom - 357)
            if best is None or miss < best[0]:
                best = (miss, mx, my)
    _miss, mx, my = best
    rect, guides = snap_turned_resize(box, rotation, "bottom_right", mx, my, 1280, 720, tolerance=6)
    assert ("x", 640.0) in guides and ("y", 360.0) in guides
    bounds = rotated_bounds(rect, rotation)
    assert (bounds.right, bounds.bottom) == (pytest.approx(640, abs=0.05), pytest.approx(360, abs=0.05))
    assert fixed_point(rect, rotation, "bottom_right") == pytest.approx(fixed_point(box, rotation, "bottom_right"), abs=0.05)


def test_aspect_locked_resize_snaps_and_keeps_its_shape():
    box = Rect(100, 100, 200, 200)
    rect, guides = snap_turned_resize(box, 0.0, "bottom_right", 337 - 300, 10, 1280, 720, tolerance=6,
                                      keep_aspect=True, extra_x=(337.0 + 3,))
    assert ("x", 340.0) in guides
    assert rect.right == pytest.approx(340, abs=0.05)
    assert rect.w == pytest.approx(rect.h)
    assert (rect.x, rect.y) == (100, 100)


def test_dragging_a_turned_handle_snaps_then_undo_and_redo(qtbot, editor):
    turned = edit_layer(editor.model.document, "badge", rotation_deg=20)
    editor.undo_stack.push(DocumentCommand(editor.model, editor.model.document, turned, "turn"))
    editor.model.select("badge")
    wait_rendered(qtbot, editor)
    preset = editor.model.preset
    box = editor.canvas.boxes["badge"]
    before = editor.model.document.model_copy(deep=True)
    dx, dy = drag_for_bound(box, 20.0, "right", preset.width / 2 - 3)
    start_x, start_y = editor.canvas.handle_positions()["right"].x(), editor.canvas.handle_positions()["right"].y()
    scale = editor.canvas._scale_origin()[0]
    start = QPoint(round(start_x), round(start_y))
    end = QPoint(round(start_x + dx * scale), round(start_y + dy * scale))
    QTest.mousePress(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(editor.canvas, start + (end - start) / 2)
    QTest.mouseMove(editor.canvas, end)
    assert ("x", preset.width / 2) in editor.canvas._guides
    QTest.mouseRelease(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    wait_rendered(qtbot, editor)
    new = editor.canvas.boxes["badge"]
    assert rotated_bounds(new, 20.0).right == pytest.approx(preset.width / 2, abs=1.0)
    assert fixed_point(new, 20.0, "right") == pytest.approx(fixed_point(box, 20.0, "right"), abs=1.5)
    assert editor.undo_stack.count() == 2
    after = editor.model.document.model_copy(deep=True)
    editor.toolbar.undo_action.trigger()
    assert editor.model.document.model_dump() == before.model_dump()
    editor.toolbar.redo_action.trigger()
    assert editor.model.document.model_dump() == after.model_dump()
    wait_rendered(qtbot, editor)


def test_turned_resize_without_snapping_does_not_snap(qtbot, editor):
    editor.toolbar.snap_check.setChecked(False)
    turned = edit_layer(editor.model.document, "badge", rotation_deg=20)
    editor.undo_stack.push(DocumentCommand(editor.model, editor.model.document, turned, "turn"))
    editor.model.select("badge")
    wait_rendered(qtbot, editor)
    box = editor.canvas.boxes["badge"]
    dx, dy = drag_for_bound(box, 20.0, "right", editor.model.preset.width / 2 - 3)
    scale = editor.canvas._scale_origin()[0]
    handle = editor.canvas.handle_positions()["right"]
    start = QPoint(round(handle.x()), round(handle.y()))
    end = QPoint(round(handle.x() + dx * scale), round(handle.y() + dy * scale))
    QTest.mousePress(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(editor.canvas, end)
    assert editor.canvas._guides == []
    QTest.mouseRelease(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    wait_rendered(qtbot, editor)
    assert rotated_bounds(editor.canvas.boxes["badge"], 20.0).right < editor.model.preset.width / 2 - 1


def test_moving_snaps_to_another_layers_edge(qtbot, editor):
    photo = editor.canvas.boxes["photo"]
    box = editor.canvas.boxes["badge"]
    assert ("y", photo.y) not in [("y", v) for v in (0.0, 360.0, 720.0)]
    start = canvas_point(editor, box.x + box.w / 2, box.y + box.h / 2)
    # Move the badge up so its top edge is 4 canvas pixels below the photo's top edge.
    end = canvas_point(editor, box.x + box.w / 2, photo.y + 4 + box.h / 2)
    QTest.mousePress(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(editor.canvas, start + (end - start) / 2)
    QTest.mouseMove(editor.canvas, end)
    assert ("y", photo.y) in editor.canvas._guides
    QTest.mouseRelease(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    wait_rendered(qtbot, editor)
    assert editor.canvas.boxes["badge"].y == pytest.approx(photo.y, abs=1.0)
    editor.toolbar.undo_action.trigger()
    wait_rendered(qtbot, editor)
    assert editor.canvas.boxes["badge"].y == pytest.approx(box.y, abs=0.5)


def test_resize_snaps_to_another_layers_edge():
    from ui.cover_editor import snap_resize

    rect, guides = snap_resize(Rect(100, 100, 200, 100), "right", 1280, 720, 6, extra_x=(305.0,))
    assert guides == [("x", 305.0)] and rect.right == 305.0 and rect.x == 100


@pytest.mark.parametrize("side", ["left", "center", "right", "top", "middle", "bottom"])
def test_align_buttons_line_up_the_turned_bounds_and_reanchor(qtbot, editor, side):
    from ui.cover_editor import active_frame, reference_area

    turned = edit_layer(editor.model.document, "badge", rotation_deg=15)
    editor.undo_stack.push(DocumentCommand(editor.model, editor.model.document, turned, "turn"))
    editor.model.select("badge")
    wait_rendered(qtbot, editor)
    before = editor.model.document.model_copy(deep=True)
    frame = active_frame(editor.model.layer("badge"), editor.model.preset)
    area = reference_area(frame, editor.model.preset)
    QTest.mouseClick(editor.properties_panel.align_buttons[side], Qt.MouseButton.LeftButton)
    wait_rendered(qtbot, editor)
    bounds = rotated_bounds(editor.canvas.boxes["badge"], 15.0)
    expected = {"left": (bounds.x, area.x), "center": (bounds.x + bounds.w / 2, area.x + area.w / 2),
                "right": (bounds.right, area.right), "top": (bounds.y, area.y),
                "middle": (bounds.y + bounds.h / 2, area.y + area.h / 2), "bottom": (bounds.bottom, area.bottom)}[side]
    assert expected[0] == pytest.approx(expected[1], abs=1.0)
    anchor = active_frame(editor.model.layer("badge"), editor.model.preset).anchor
    word = {"center": None, "middle": None}.get(side, side)
    if word:
        assert word in anchor
    assert editor.undo_stack.count() == 2
    editor.toolbar.undo_action.trigger()
    assert editor.model.document.model_dump() == before.model_dump()
    wait_rendered(qtbot, editor)


def test_align_in_a_right_to_left_layout_goes_where_the_button_says(qtbot, editor):
    from ui.cover_editor import active_frame, reference_area

    rtl = editor.model.document.model_copy(deep=True)
    rtl.direction = "rtl"
    editor.undo_stack.push(DocumentCommand(editor.model, editor.model.document, rtl, "rtl"))
    editor.model.select("badge")
    wait_rendered(qtbot, editor)
    area = reference_area(active_frame(editor.model.layer("badge"), editor.model.preset), editor.model.preset)
    editor.properties_panel.align_buttons["right"].click()
    wait_rendered(qtbot, editor)
    assert editor.canvas.boxes["badge"].right == pytest.approx(area.right, abs=1.0)
    editor.properties_panel.align_buttons["left"].click()
    wait_rendered(qtbot, editor)
    assert editor.canvas.boxes["badge"].x == pytest.approx(area.x, abs=1.0)


def test_user_guides_add_drag_snap_and_drag_off(qtbot, editor):
    canvas = editor.canvas
    preset = editor.model.preset
    editor.toolbar.add_vertical_guide.trigger()
    assert canvas.user_guides == [("x", 0.5)]
    # Drag the guide from the centre to x = 300 canvas px.
    start = canvas_point(editor, preset.width / 2, 20)
    end = canvas_point(editor, 300, 20)
    assert canvas.guide_at(start) == 0
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(canvas, end)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    assert canvas.user_guides[0][0] == "x"
    assert canvas.user_guides[0][1] * preset.width == pytest.approx(300, abs=2)
    guide_x = canvas.user_guides[0][1] * preset.width
    assert editor.undo_stack.count() == 0  # guides are a view aid, not part of the cover

    # Moving the badge so its left edge comes 4 px right of the guide snaps it onto the guide.
    box = canvas.boxes["badge"]
    grab = canvas_point(editor, box.x + box.w / 2, box.y + box.h / 2)
    to = canvas_point(editor, guide_x + 4 + box.w / 2, box.y + box.h / 2)
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, grab)
    QTest.mouseMove(canvas, grab + (to - grab) / 2)
    QTest.mouseMove(canvas, to)
    assert ("x", guide_x) in canvas._guides
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to)
    wait_rendered(qtbot, editor)
    assert canvas.boxes["badge"].x == pytest.approx(guide_x, abs=1.0)

    # Dragging the guide off the canvas removes it.
    at = canvas_point(editor, guide_x, 5)
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    off = QPoint(2, at.y())
    QTest.mouseMove(canvas, off)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, off)
    assert canvas.user_guides == []
    editor.toolbar.add_horizontal_guide.trigger()
    editor.toolbar.add_vertical_guide.trigger()
    assert len(canvas.user_guides) == 2
    editor.toolbar.clear_guides_action.trigger()
    assert canvas.user_guides == []
