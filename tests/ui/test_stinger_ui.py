"""The stinger in the window: chosen from studio mode (file checked off the GUI thread, cut point),
shown in the Scenes dock's transition choice, and played over the program on Take — checked on
the program's pixels before the cut point, after it and at the end."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from tests.stinger_video import make_stinger
from tests.ui.conftest import solid_png

RED, BLUE, WHITE = (0, 0, 220), (220, 0, 0), (255, 255, 255)


def _near(image, bgr, at) -> bool:
    return image is not None and bool(np.abs(image[at].astype(int) - bgr).max() <= 10)


def _program(studio):
    frame = studio.compositor.latest_program()
    return frame.image if frame is not None else None


def test_choose_a_stinger_in_studio_mode_and_take(window, qtbot, tmp_path):
    window.resize(1366, 768)
    studio, scenes, panel = window.studio, window.scenes_dock, window.studio_panel
    main = studio.current_scene()
    studio.add_source("image", "Red", {"path": str(solid_png(tmp_path / "r.png", RED, (640, 360)))}, main.id)
    product = studio.add_scene("Product")
    studio.add_source("image", "Blue", {"path": str(solid_png(tmp_path / "b.png", BLUE, (640, 360)))}, product.id)
    qtbot.waitUntil(lambda: _near(_program(studio), RED, (180, 20)), timeout=10000)
    window.studio_mode_action.trigger()
    qtbot.waitUntil(lambda: panel.isVisible(), timeout=5000)
    studio.studio_mode.set_scene(product.id)
    qtbot.waitUntil(lambda: "Product" in panel.caption.text() and panel.preview.image is not None, timeout=10000)
    qtbot.waitUntil(lambda: panel.stinger_button.isVisible() and panel.stinger_button.height() > 0, timeout=5000)

    # A video without transparency is refused in words; OK stays off.
    qtbot.mouseClick(panel.stinger_button, Qt.MouseButton.LeftButton)
    dialog = panel.stinger_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.set_path(make_stinger(tmp_path / "flat.mov", has_alpha=False))
    qtbot.waitUntil(lambda: "no transparency" in dialog.state_label.text(), timeout=10000)
    assert not ok.isEnabled()

    # A WebM with VP9 alpha, 2 s, cut at 1 s.
    dialog.set_path(make_stinger(tmp_path / "sting.webm", frames=30, fps=15, suffix=".webm"))
    qtbot.waitUntil(ok.isEnabled, timeout=10000)
    assert "2.0 s" in dialog.state_label.text()
    dialog.cut_spin.setValue(1000)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    transition = studio.collection.transition
    assert transition.kind == "stinger" and transition.stinger.cut_point_ms == 1000
    assert scenes.transition_combo.currentData() == "stinger" and not scenes.duration_spin.isEnabled()
    assert window.settings.video.stinger_path.endswith("sting.webm")  # the next new show has it too
    qtbot.waitUntil(lambda: "sting.webm" in panel.stinger_status.text() and "2.0 s" in panel.stinger_status.text(), timeout=10000)
    assert panel.stinger_status.isVisible() and scenes.stinger_status.text() == panel.stinger_status.text()

    qtbot.mouseClick(panel.take_button, Qt.MouseButton.LeftButton)
    assert studio.collection.current_scene == product.id and studio.compositor.is_transitioning
    seen: list[str] = []

    def phase() -> bool:
        image = _program(studio)
        name = None
        if _near(image, WHITE, (180, 320)):
            name = "old under" if _near(image, RED, (180, 20)) else "new under" if _near(image, BLUE, (180, 20)) else None
        elif _near(image, BLUE, (180, 320)) and not studio.compositor.is_transitioning:
            name = "new alone"
        if name and (not seen or seen[-1] != name):
            seen.append(name)
        return name == "new alone"

    qtbot.waitUntil(phase, timeout=10000)
    assert seen == ["old under", "new under", "new alone"]


def test_picking_stinger_without_a_video_asks_for_one_and_says_takes_fade(window, qtbot):
    scenes = window.scenes_dock
    scenes.transition_combo.setCurrentIndex(scenes.transition_combo.findData("stinger"))
    qtbot.waitUntil(lambda: window.findChild(QDialogButtonBox) is not None and window.findChild(QDialogButtonBox).isVisible(), timeout=5000)
    dialog = window.findChild(QDialogButtonBox).parent()
    assert "Choose a video" in dialog.state_label.text()
    dialog.reject()
    assert window.studio.collection.transition.kind == "stinger"
    qtbot.waitUntil(lambda: "takes use a fade" in scenes.stinger_status.text(), timeout=5000)
    assert scenes.stinger_status.isVisible()
