"""The screen / window capture source from the Sources dock: the add dialog lists the open windows
(off the GUI thread), a window is chosen by title with a crop, and its pixels reach the program;
on Wayland the dialog says what is needed.  The X server is a private Xvfb; Qt itself runs offscreen."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from studio.sources.base import SourceState
from tests.xvfb import Painter, xvfb

RED_RGB, BLUE_RGB = (220, 0, 0), (0, 0, 220)


@pytest.fixture
def x_screen(monkeypatch):
    with xvfb(640, 480) as display_name:
        monkeypatch.setenv("DISPLAY", display_name)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
        painter = Painter(display_name)
        painter.background((0, 128, 128))
        window = painter.window("Lazada price list", 40, 30, 320, 180, RED_RGB)
        painter.window("", 0, 0, 320, 20, BLUE_RGB, parent=window)  # a blue title strip we crop off
        try:
            yield painter
        finally:
            painter.close()


def test_add_a_window_capture_with_crop(x_screen, window, qtbot):
    window.resize(1366, 768)
    dialog = window.sources_dock.add_source("screen")
    form = dialog.screen_form
    assert not form.status.isVisible()  # an X11 session: nothing to say
    form.mode_combo.setCurrentIndex(form.mode_combo.findData("window"))
    assert form.window_combo.isVisible() and not form.monitor_spin.isVisible()
    qtbot.waitUntil(lambda: form.window_combo.findText("Lazada price list") >= 0, timeout=5000)
    form.window_combo.setCurrentIndex(form.window_combo.findText("Lazada price list"))
    form.crop_spins[0].setValue(20)  # top
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled()
    name, settings = dialog.values()
    assert settings["mode"] == "window" and settings["window_title"] == "Lazada price list" and settings["crop_top"] == 20
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    studio = window.studio
    spec = next(s for s in studio.collection.sources if s.kind == "screen")
    qtbot.waitUntil(lambda: studio.sources[spec.id].state is SourceState.ACTIVE, timeout=10000)

    def item():
        return next(i for i in studio.current_scene().items if i.source_id == spec.id)

    qtbot.waitUntil(lambda: item().height != studio.collection.canvas.height, timeout=10000)  # fitted on its first frame
    assert item().width == 2 * item().height  # the shape of the window less the cropped strip (320×160)

    def shows_red_only() -> bool:
        frame = studio.compositor.latest_program()
        if frame is None:
            return False
        placed = item()
        # Below the test pattern's time-code strip (drawn across the canvas's top band).
        box = frame.image[placed.y + 40 : placed.y + placed.height - 2, placed.x + 2 : placed.x + placed.width - 2].reshape(-1, 3).astype(int)
        return bool((np.abs(box - (0, 0, 220)).max(axis=1) <= 3).all())  # BGR red: the blue strip is cropped off

    qtbot.waitUntil(shows_red_only, timeout=10000)
    captured = studio.sources[spec.id].slot.peek().image
    assert captured.shape == (160, 320, 3) and tuple(captured[0, 0]) == (0, 0, 220)  # the blue strip is cropped off


def test_on_wayland_the_dialog_says_what_is_needed(window, qtbot, monkeypatch):
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    dialog = window.sources_dock.add_source("screen")
    qtbot.waitUntil(dialog.screen_form.status.isVisible, timeout=5000)
    assert "X11 session" in dialog.screen_form.status.text()
    dialog.reject()
