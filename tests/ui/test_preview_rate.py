"""The preview runs lighter while live (Settings ▸ Go live… ▸ Preview while live): light by
default, smooth or paused on request; back to the idle rate when the show ends."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from studio.settings import LIGHT_PREVIEW_FPS, UiSettings
from ui.golive import IDLE, LIVE

LIVE_TIMEOUT_MS = 30_000


def test_the_rate_follows_the_setting_and_the_show():
    ui = UiSettings(preview_fps=30)
    assert ui.live_preview == "light"
    assert (ui.preview_rate(False), ui.preview_rate(True)) == (30, LIGHT_PREVIEW_FPS)
    assert UiSettings(preview_fps=10).preview_rate(True) == 10  # never faster than the idle rate
    assert UiSettings(live_preview="smooth").preview_rate(True) == 30
    assert UiSettings(live_preview="paused").preview_rate(True) == 0
    assert UiSettings(live_preview="paused").preview_rate(False) == 30


def _choose_live_preview(window, qtbot, value: str) -> None:
    window.open_golive_settings()
    dialog = window.golive_settings_dialog
    qtbot.waitExposed(dialog)
    dialog.preview_box.setCurrentIndex(dialog.preview_box.findData(value))
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert window.settings.ui.live_preview == value


def _stop(window, qtbot) -> None:
    qtbot.mouseClick(window.golive_widget.button, Qt.MouseButton.LeftButton)
    box = window.golive_widget.confirm_box
    next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole).click()
    qtbot.waitUntil(lambda: window.golive.state == IDLE and not window.golive.is_busy, timeout=20_000)


def test_light_while_live_then_paused_then_back_to_the_idle_rate(window, qtbot):
    window.resize(1366, 768)
    preview = window.preview
    qtbot.waitUntil(lambda: preview.image is not None, timeout=5000)
    assert preview.preview_fps == window.settings.ui.preview_fps == 30

    qtbot.mouseClick(window.golive_widget.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.golive.state == LIVE, timeout=LIVE_TIMEOUT_MS)
    qtbot.waitUntil(lambda: preview.preview_fps == LIGHT_PREVIEW_FPS, timeout=5000)
    assert window.canvas_previews.vertical.preview_fps == LIGHT_PREVIEW_FPS
    shown = preview.frames_shown
    qtbot.waitUntil(lambda: preview.frames_shown > shown + 3, timeout=5000)  # still a moving picture

    # Paused from the settings while on air: applies at once, nothing is made for the preview.
    _choose_live_preview(window, qtbot, "paused")
    assert preview.is_paused and preview.image is None
    assert window.studio.compositor.preview.size is None
    shown = preview.frames_shown
    qtbot.wait(300)
    assert preview.frames_shown == shown

    _stop(window, qtbot)
    qtbot.waitUntil(lambda: not preview.is_paused and preview.preview_fps == 30, timeout=5000)
    qtbot.waitUntil(lambda: preview.image is not None, timeout=5000)


def test_the_rate_when_not_live_is_a_setting_that_applies_at_once(window, qtbot):
    preview = window.preview
    assert preview.preview_fps == window.settings.ui.preview_fps == 30  # the default: smooth
    window.open_golive_settings()
    dialog = window.golive_settings_dialog
    qtbot.waitExposed(dialog)
    box = dialog.idle_preview_box
    assert [box.itemData(i) for i in range(box.count())] == [30, 20, 15, 10]
    assert box.currentData() == 30 and box.currentText() == "30 fps"
    box.setCurrentIndex(box.findData(10))
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert window.settings.ui.preview_fps == 10
    assert preview.preview_fps == 10 and window.canvas_previews.vertical.preview_fps == 10
    assert window.studio_panel.preview.preview_fps == 10
    # While live the light preview never runs faster than this.
    assert window.settings.ui.preview_rate(True) == 10
