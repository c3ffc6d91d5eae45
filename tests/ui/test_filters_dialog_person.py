"""Sources ▸ Filters… at 1366×768: a virtual background (blur, then a colour, then a picture) and
beauty added to a host's layer from the dialog, live on the program; a picture that is not
chosen yet is said in words and the host stays on air."""
from __future__ import annotations

import cv2
import numpy as np

from bench.testbed.person_clip import person_frame


def _open_dialog(window, qtbot, tmp_path):
    studio, dock = window.studio, window.sources_dock
    canvas = studio.collection.canvas
    frame, truth = person_frame("shelf", 4, canvas.width, canvas.height)
    cv2.imwrite(str(tmp_path / "host.png"), frame)
    studio.add_source("image", "Host", {"path": str(tmp_path / "host.png")})
    qtbot.waitUntil(lambda: dock.list.count() == 2, timeout=5000)
    dock.list.setCurrentRow(0)  # the top row is the new layer
    dock.filters_action.trigger()
    dialog = dock.pending_dialog
    qtbot.waitExposed(dialog)
    return studio, dialog, frame, truth


def test_virtual_background_and_beauty_from_the_filters_dialog(window, qtbot, tmp_path):
    window.resize(1366, 768)
    studio, dialog, frame, truth = _open_dialog(window, qtbot, tmp_path)
    assert dialog.frameGeometry().width() <= 1366 and dialog.frameGeometry().height() <= 768

    def program() -> np.ndarray | None:
        latest = studio.compositor.latest_program()
        return None if latest is None else latest.image

    room = ~cv2.dilate(truth.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool)

    def room_detail() -> float:
        image = program()
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[room].mean())

    qtbot.waitUntil(lambda: program() is not None and np.abs(program()[room].astype(int) - frame[room]).mean() < 3, timeout=10000)
    sharp = room_detail()
    dialog.add_filter("virtual_background")
    assert [f.kind for f in studio.current_scene().items[-1].filters] == ["virtual_background"]
    assert dialog.mode_box.currentData() == "blur" and "strength" in dialog.sliders
    qtbot.waitUntil(lambda: room_detail() < 0.4 * sharp, timeout=10000)  # the shelf is blurred
    dialog.sliders["strength"].setValue(1000)
    assert studio.current_scene().items[-1].filters[0].strength == 1.0

    # A colour behind the host: the mode box, then the colour (the button's dialog calls this).
    dialog.mode_box.setCurrentIndex(dialog.mode_box.findData("color"))
    qtbot.waitUntil(lambda: dialog.colour_button is not None, timeout=5000)
    assert "strength" not in dialog.sliders
    dialog.set_background_colour(0, "#FF00FF")
    qtbot.waitUntil(lambda: np.abs(program()[room].astype(int) - (255, 0, 255)).max(axis=1).mean() < 4, timeout=10000)
    qtbot.waitUntil(lambda: dialog.colour_button is not None and dialog.colour_button.text() == "#FF00FF", timeout=5000)
    inner = cv2.erode(truth.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    assert np.abs(program()[inner].astype(int) - frame[inner]).mean() < 6  # the host herself is kept

    # A picture: none chosen yet is said; the last good program stays on air.
    dialog.mode_box.setCurrentIndex(dialog.mode_box.findData("image"))
    qtbot.waitUntil(lambda: "background picture" in dialog.problem.text(), timeout=10000)
    picture = np.zeros((90, 160, 3), np.uint8)
    picture[:] = (0, 200, 255)  # orange
    cv2.imwrite(str(tmp_path / "shop.png"), picture)
    qtbot.waitUntil(lambda: dialog.picture_button is not None, timeout=5000)
    dialog.set_background_picture(0, str(tmp_path / "shop.png"))
    qtbot.waitUntil(lambda: np.abs(program()[room].astype(int) - (0, 200, 255)).max(axis=1).mean() < 4, timeout=10000)
    qtbot.waitUntil(lambda: dialog.path_edit is not None and dialog.path_edit.text().endswith("shop.png"), timeout=5000)
    qtbot.waitUntil(lambda: dialog.problem.text() == "", timeout=5000)

    # Beauty after it, tuned by its sliders.
    dialog.add_filter("beauty")
    assert [f.kind for f in studio.current_scene().items[-1].filters] == ["virtual_background", "beauty"]
    assert set(dialog.sliders) == {"strength", "brightening"}
    dialog.sliders["brightening"].setValue(800)
    assert studio.current_scene().items[-1].filters[1].brightening == 0.8
