"""View ▸ Studio mode: clicking a scene previews it (the program stays), the Sources dock edits the
preview, and Take puts it on air with the transition — checked on the program's pixels mid-way."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from tests.ui.conftest import solid_png

RED, BLUE = (0, 0, 220), (220, 0, 0)


def _near(image, bgr, at) -> bool:
    return bool(np.abs(image[at].astype(int) - bgr).max() <= 10)


def test_preview_then_take_with_a_slide(window, qtbot, tmp_path):
    window.resize(1366, 768)
    studio, scenes, sources = window.studio, window.scenes_dock, window.sources_dock
    main = studio.current_scene()
    studio.add_source("image", "Red", {"path": str(solid_png(tmp_path / "r.png", RED, (640, 360)))}, main.id)
    product = studio.add_scene("Product")
    studio.add_source("image", "Blue", {"path": str(solid_png(tmp_path / "b.png", BLUE, (640, 360)))}, product.id)
    qtbot.waitUntil(lambda: _near(studio.compositor.latest_program().image, RED, (180, 320)), timeout=10000)

    window.studio_mode_action.trigger()
    assert studio.studio_mode.is_on and window.studio_mode_action.isChecked()
    qtbot.waitUntil(lambda: window.studio_panel.isVisible(), timeout=5000)
    # A click on the Product scene previews it; the program stays red.
    row = next(r for r in range(scenes.list.count()) if scenes.list.item(r).text() == "Product")
    rect = scenes.list.visualItemRect(scenes.list.item(row))
    qtbot.mouseClick(scenes.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert studio.studio_mode.scene_id == product.id and studio.collection.current_scene == main.id
    qtbot.waitUntil(lambda: "Product" in window.studio_panel.caption.text(), timeout=5000)
    qtbot.waitUntil(lambda: window.studio_panel.preview.image is not None, timeout=10000)
    qtbot.waitUntil(lambda: _near(studio.studio_mode.compositor.latest_program().image, BLUE, (180, 320)), timeout=10000)
    assert _near(studio.compositor.latest_program().image, RED, (180, 320))
    qtbot.waitUntil(lambda: sources.list.count() == 1 and sources.list.item(0).text() == "Blue", timeout=5000)  # the preview's layers

    # Take with a 1 s slide: mid-way the program shows both, then the product alone.
    scenes.transition_combo.setCurrentIndex(scenes.transition_combo.findData("slide"))
    scenes.duration_spin.setValue(1000)
    qtbot.mouseClick(window.studio_panel.take_button, Qt.MouseButton.LeftButton)
    assert studio.collection.current_scene == product.id
    qtbot.waitUntil(lambda: studio.compositor.is_transitioning, timeout=2000)
    seen_both = []

    def mid_way() -> bool:
        image = studio.compositor.latest_program().image
        if _near(image, RED, (180, 20)) and _near(image, BLUE, (180, 620)):
            seen_both.append(True)
        return bool(seen_both)

    qtbot.waitUntil(mid_way, timeout=3000)
    qtbot.waitUntil(lambda: _near(studio.compositor.latest_program().image, BLUE, (180, 20)), timeout=5000)

    window.studio_mode_action.trigger()
    assert not studio.studio_mode.is_on and studio.studio_mode.compositor is None
    qtbot.waitUntil(lambda: not window.studio_panel.isVisible(), timeout=5000)


def test_scene_hotkeys_switch_the_program_and_in_studio_mode_the_preview(window, qtbot):
    """Ctrl+1 … Ctrl+9 from anywhere in the window: the nth scene on the program (a cut or the dock's
    transition) — in studio mode into the preview, and Ctrl+Enter takes it."""
    from PySide6.QtTest import QTest

    window.resize(1366, 768)
    studio, scenes = window.studio, window.scenes_dock
    main = studio.current_scene()
    product = studio.add_scene("Product")
    qtbot.waitUntil(lambda: scenes.list.count() == 2, timeout=5000)
    assert scenes.list.item(1).toolTip() == "Ctrl+2 switches to this scene"
    window.activateWindow()
    window.preview.setFocus()
    QTest.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: studio.collection.current_scene == product.id, timeout=3000)
    QTest.keyClick(window, Qt.Key.Key_9, Qt.KeyboardModifier.ControlModifier)  # no ninth scene: nothing happens
    assert studio.collection.current_scene == product.id

    window.studio_mode_action.trigger()
    QTest.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: studio.studio_mode.scene_id == main.id, timeout=3000)
    assert studio.collection.current_scene == product.id  # the program waits for Take
    QTest.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: studio.collection.current_scene == main.id, timeout=3000)
    window.studio_mode_action.trigger()
