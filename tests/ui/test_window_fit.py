"""The main window fits a 1366×768 laptop screen: with the Live panel, while live, after
View → Reset layout, in Chinese and after dock toggles (issue #13)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt

from studio.control.launch import LiveControl
from ui import i18n as ui_i18n
from ui.golive import IDLE, LIVE
from ui.window_layout import MAX_MINIMUM_SIZE, dock_body

SCREEN_W, SCREEN_H = 1366, 768
LIVE_TIMEOUT_MS = 30_000
CATALOG = ("sku,title,price,original_price,currency,stock\n"
           "SKU-1,Linen shirt,19.99,29.99,USD,10\n"
           "SKU-2,Silk scarf,9.50,,USD,3\n")


@pytest.fixture
def live_window(window, tmp_path):
    """The window as the app builds it: with the Live panel mounted."""
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    control = LiveControl(window.studio, tmp_path / "show.db", catalog=catalog, port=None, token="tok-secret-123")
    control.start()
    try:
        window.mount_live_panel(control)
        yield window
    finally:
        window.golive.shutdown()
        window.live_panel.detach()
        control.stop()


def assert_fits(window, qtbot, when: str) -> None:
    """Minimum size within a 1366×768 screen; at 1366×768 the bottom docks are whole."""
    qtbot.wait(50)  # let queued layout requests run
    for name, size in (("minimumSizeHint", window.minimumSizeHint()), ("minimumSize", window.minimumSize())):
        assert size.width() <= MAX_MINIMUM_SIZE.width() and size.height() <= MAX_MINIMUM_SIZE.height(), (
            f"{when}: {name} {size.width()}×{size.height()} exceeds {MAX_MINIMUM_SIZE.width()}×{MAX_MINIMUM_SIZE.height()}")
    window.resize(SCREEN_W, SCREEN_H)
    qtbot.waitUntil(lambda: window.width() == SCREEN_W and window.height() == SCREEN_H, timeout=2000)
    qtbot.wait(50)
    usable = QRect(0, 0, window.width(), window.statusBar().geometry().top())
    for dock in (window.scenes_dock, window.sources_dock, window.mixer_dock):
        assert dock.isVisible(), f"{when}: {dock.windowTitle()} is hidden"
        assert not dock.isFloating()
        assert usable.contains(dock.geometry()), f"{when}: {dock.windowTitle()} at {dock.geometry()} is outside {usable}"
        scroll = dock.widget()
        assert scroll.verticalScrollBar().maximum() == 0, f"{when}: {dock.windowTitle()} is cut (scrolls)"
        body = dock_body(dock)
        assert body.height() >= body.minimumSizeHint().height()
    preview = window.preview
    assert preview.isVisible() and preview.width() >= 320 and preview.height() >= 180


def test_fits_with_the_live_panel_and_after_reset_layout(live_window, qtbot):
    window = live_window
    assert window.live_panel.isVisible()
    assert_fits(window, qtbot, "with the Live panel")
    # The Live panel shares a tab group with the stream health (the window's default layout).
    assert window.live_panel in window.tabifiedDockWidgets(window.health_dock)

    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, window.live_panel)  # a layout gone wrong
    window.health_dock.setFloating(True)
    window.reset_layout_action.trigger()
    assert not window.health_dock.isFloating()
    assert window.live_panel in window.tabifiedDockWidgets(window.health_dock)
    assert window.dockWidgetArea(window.live_panel) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.dockWidgetArea(window.rehearsal_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert_fits(window, qtbot, "after View → Reset layout")


def test_fits_after_dock_toggles_and_a_language_switch(live_window, qtbot):
    window = live_window
    for dock in window.docks:
        action = dock.toggleViewAction()
        action.trigger()
        assert not dock.isVisible()
        action.trigger()
        assert dock.isVisible()
    assert_fits(window, qtbot, "after dock toggles")

    window.set_language("zh_CN")
    qtbot.waitUntil(lambda: window.scenes_dock.windowTitle() != "Scenes", timeout=2000)
    assert_fits(window, qtbot, "in 简体中文")
    window.set_language("en")
    qtbot.waitUntil(lambda: window.scenes_dock.windowTitle() == "Scenes", timeout=2000)
    assert_fits(window, qtbot, "back in English")


def test_a_long_failure_reason_does_not_widen_the_window(window, qtbot):
    window.golive_widget.state_label.setText("Failed: " + "the server said something long in words " * 12)
    assert_fits(window, qtbot, "with a long failure reason")


def test_fits_while_live_on_the_rehearsal_receiver(live_window, qtbot):
    window = live_window
    controller, rehearsal = window.golive, window.rehearsal_dock
    window.resize(SCREEN_W, SCREEN_H)
    qtbot.mouseClick(window.golive_widget.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.state == LIVE, timeout=LIVE_TIMEOUT_MS)
    qtbot.waitUntil(lambda: len(rehearsal.previews) == 3 and all(p.frames_shown > 0 for p in rehearsal.previews.values()),
                    timeout=15_000)
    window.health_dock.update_stats()
    assert_fits(window, qtbot, "while live")
    assert window.size().width() == SCREEN_W and window.size().height() == SCREEN_H  # going live did not grow it

    ui_i18n.switch_language("zh_CN")
    assert_fits(window, qtbot, "live, in 简体中文")
    ui_i18n.switch_language("en")
    controller.stop()
    qtbot.waitUntil(lambda: controller.state == IDLE and not controller.is_busy, timeout=15_000)
    assert_fits(window, qtbot, "after stopping")


def test_fits_with_the_vertical_canvas_laid_out_by_hand(live_window, qtbot):
    """The vertical controls grow the scenes and sources docks; their buttons stay in sight."""
    window = live_window
    studio = window.studio
    studio.vertical.enable()
    studio.vertical.set_layout(studio.collection.current_scene, "manual")
    window.sources_dock.list.setCurrentRow(0)
    qtbot.waitUntil(lambda: window.scenes_dock.vertical_controls.isVisible(), timeout=5000)
    assert_fits(window, qtbot, "with a manual vertical layout")
