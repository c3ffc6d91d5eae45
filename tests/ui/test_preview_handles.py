"""Layers in the program preview are picked, dragged and resized with the mouse (1366×768 window)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from studio.scene import own_size_rect, resize_from_corner, snap_move
from tests.ui.conftest import is_colour, program_pixel, solid_png

MAGENTA = (255, 0, 255)


@pytest.fixture
def card(window, qtbot, tmp_path):
    """A 600×200 product card added to the show, and the preview it is shown in."""
    window.resize(1366, 768)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (1366, 768), timeout=3000)
    studio = window.studio
    spec, item = studio.add_source("image", "Card", {"path": str(solid_png(tmp_path / "card.png", MAGENTA, (600, 200)))})
    qtbot.waitUntil(lambda: _item(studio, item.id).width == 600, timeout=5000)
    preview = window.preview
    qtbot.waitUntil(lambda: preview.image is not None and not preview.picture_rect().isEmpty(), timeout=5000)
    return studio, preview, item.id


def _item(studio, item_id):
    return next(i for i in studio.current_scene().items if i.id == item_id)


def _widget_point(preview, x: float, y: float) -> QPoint:
    box = preview.editor.to_widget((round(x), round(y), 0, 0))
    return QPoint(round(box.left()), round(box.top()))


def _drag(preview, start: QPoint, end: QPoint, steps: int = 6) -> None:
    QTest.mousePress(preview, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, steps + 1):
        QTest.mouseMove(preview, start + (end - start) * (step / steps))
    QTest.mouseRelease(preview, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def test_an_image_is_added_at_its_own_size_centred(card, window):
    studio, _preview, item_id = card
    item = _item(studio, item_id)
    assert (item.x, item.y, item.width, item.height) == (20, 80, 600, 200)  # on the 640×360 canvas
    assert own_size_rect(1280, 720, 640, 360) == (0, 0, 640, 360)  # larger: scaled down to fit, never stretched
    assert own_size_rect(1000, 200, 640, 360) == (0, 116, 640, 128)


def test_click_selects_drag_moves_and_snaps_to_the_canvas_edge(card, qtbot):
    studio, preview, item_id = card
    selected = []
    preview.item_selected.connect(selected.append)
    QTest.mouseClick(preview, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _widget_point(preview, 320, 180))
    assert preview.editor.selected_item_id == item_id and selected == [item_id]

    _drag(preview, _widget_point(preview, 320, 180), _widget_point(preview, 370, 150))
    moved = _item(studio, item_id)
    assert abs(moved.x - 70) <= 2 and abs(moved.y - 50) <= 2 and (moved.width, moved.height) == (600, 200)
    # The same item API the Transform dialog uses: the program shows the card where it went.
    assert not preview.editor.is_dragging

    # Dragged to within a few screen pixels of the left edge: it sits exactly on it.
    start = _widget_point(preview, moved.x + 300, moved.y + 100)
    _drag(preview, start, start + QPoint(-_widget_point(preview, moved.x, 0).x() + _widget_point(preview, 3, 0).x(), 0))
    snapped = _item(studio, item_id)
    assert snapped.x == 0
    qtbot.waitUntil(lambda: is_colour(program_pixel(studio, 1 / 640, (snapped.y + 100) / 360), MAGENTA), timeout=3000)

    # A click on the pattern beside the card selects the pattern instead.
    QTest.mouseClick(preview, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _widget_point(preview, 630, 350))
    assert preview.editor.selected_item_id != item_id and selected[-1] == preview.editor.selected_item_id


def test_a_corner_handle_resizes_keeping_the_shape(card, qtbot):
    studio, preview, item_id = card
    QTest.mouseClick(preview, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _widget_point(preview, 320, 180))
    assert preview.editor.handle_at(QPointF(_widget_point(preview, 620, 280))) == "bottom_right"
    _drag(preview, _widget_point(preview, 620, 280), _widget_point(preview, 470, 230))
    resized = _item(studio, item_id)
    assert (resized.x, resized.y) == (20, 80), "the opposite corner stays put"
    assert abs(resized.width - 450) <= 3 and abs(resized.width / resized.height - 3.0) < 0.03
    # Painted with its handles: the preview grabs without trouble while something is selected.
    assert not preview.grab().isNull()


def test_the_geometry_snaps_edges_and_centres():
    assert snap_move((5, 100, 600, 200), 1920, 1080, 8) == ((0, 100, 600, 200), [("x", 0)])
    assert snap_move((657, 437, 600, 200), 1920, 1080, 8) == ((660, 440, 600, 200), [("x", 960.0), ("y", 540.0)])
    assert snap_move((100, 100, 600, 200), 1920, 1080, 8) == ((100, 100, 600, 200), [])
    rect, guides = resize_from_corner((660, 440, 600, 200), "bottom_right", 1915, 500, 1920, 1080, 8)
    assert rect == (660, 440, 1260, 420) and guides == [("x", 1920)]
    rect, _guides = resize_from_corner((660, 440, 600, 200), "top_left", 600, 300, 1920, 1080, 8)
    assert rect[0] + rect[2] == 1260 and rect[1] + rect[3] == 640  # anchored at the bottom-right corner


def test_the_preview_and_the_sources_dock_share_one_selection(card, window):
    from ui.sources_dock import ITEM_ID_ROLE

    _studio, preview, item_id = card
    rows = window.sources_dock.list
    QTest.mouseClick(preview, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _widget_point(preview, 320, 180))
    assert rows.currentItem() is not None and rows.currentItem().data(ITEM_ID_ROLE) == item_id
    # Picking the other layer's row selects it in the preview (its box and handles are drawn there).
    other = next(rows.item(i) for i in range(rows.count()) if rows.item(i).data(ITEM_ID_ROLE) != item_id)
    rows.setCurrentItem(other)
    assert preview.editor.selected_item_id == other.data(ITEM_ID_ROLE)
    # A click on nothing clears both.
    preview.editor.select(None)
    assert rows.currentItem() is None
