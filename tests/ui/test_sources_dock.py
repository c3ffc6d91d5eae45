"""Sources dock details: state shown in words, z-order, transform, properties."""
from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from tests.ui.conftest import is_colour, program_pixel, solid_png

BLUE = (255, 0, 0)


def test_missing_file_shows_no_signal_with_reason(window, qtbot, tmp_path):
    studio = window.studio
    dock = window.sources_dock
    spec, _item = studio.add_source("image", "Logo", {"path": str(tmp_path / "missing.png")})
    qtbot.waitUntil(lambda: "no signal" in dock.state_text(spec.id), timeout=3000)
    row = dock.list.item(0)
    assert row.text() == "Logo — no signal"
    assert "missing.png" in row.toolTip()
    # The file appears: the row shows the plain name again.
    solid_png(tmp_path / "missing.png", BLUE)
    qtbot.waitUntil(lambda: dock.state_text(spec.id) == "Logo", timeout=5000)


def test_z_order_transform_and_properties(window, qtbot, tmp_path):
    studio = window.studio
    dock = window.sources_dock
    spec, item = studio.add_source("image", "Card", {"path": str(solid_png(tmp_path / "b.png", BLUE))})
    qtbot.waitUntil(lambda: is_colour(program_pixel(studio), BLUE), timeout=3000)
    # "Running" reaches the dock as a queued signal that may come after the first program frame.
    qtbot.waitUntil(lambda: dock.state_text(spec.id) == "Card", timeout=3000)
    dock.select_item(item.id)
    assert dock.list.currentRow() == 0
    dock.down_action.trigger()  # behind the test pattern
    assert studio.current_scene().items[0].id == item.id
    assert dock.list.item(1).text() == "Card"
    qtbot.waitUntil(lambda: not is_colour(program_pixel(studio), BLUE), timeout=3000)
    dock.up_action.trigger()
    assert studio.current_scene().items[-1].id == item.id

    dialog = dock.edit_transform()
    dialog.x_spin.setValue(0)
    dialog.y_spin.setValue(0)
    dialog.width_spin.setValue(160)
    dialog.height_spin.setValue(90)
    dialog.opacity_spin.setValue(100)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    placed = studio.current_scene().items[-1]
    assert (placed.x, placed.y, placed.width, placed.height) == (0, 0, 160, 90)
    qtbot.waitUntil(lambda: is_colour(program_pixel(studio, 0.1, 0.2), BLUE) and not is_colour(program_pixel(studio, 0.5, 0.5), BLUE), timeout=3000)

    properties = dock.edit_properties()
    properties.name_edit.setText("Blue card")
    properties.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert studio.collection.source(spec.id).name == "Blue card"
    assert dock.list.item(0).text() == "Blue card"

    dock.remove_action.trigger()
    assert studio.collection.source(spec.id) is None
    assert dock.list.count() == 1


def test_camera_dialog_lists_devices_off_the_gui_thread(window, qtbot, monkeypatch):
    import threading

    import ui.source_dialog as source_dialog

    calls = []

    def fake_devices(names=None):
        calls.append(threading.current_thread() is threading.main_thread())
        return [{"id": "/dev/video0", "name": "HDMI capture", "backend": "v4l2", "modes": [
            {"width": 1920, "height": 1080, "fps": 30.0, "pixel_format": "MJPG"},
            {"width": 1280, "height": 720, "fps": 60.0, "pixel_format": "YUYV"},
        ]}]

    monkeypatch.setattr(source_dialog, "list_video_devices", fake_devices)
    dialog = window.sources_dock.add_source("camera")
    qtbot.waitUntil(lambda: dialog.device_combo.count() == 1, timeout=3000)
    assert calls == [False]
    assert dialog.device_combo.currentText() == "HDMI capture"
    assert dialog.mode_combo.count() == 3  # device default + two modes
    dialog.mode_combo.setCurrentIndex(2)
    assert dialog.mode_combo.currentText() == "1280×720 @ 60 fps  YUYV"
    name, settings = dialog.values()
    assert settings == {"device": "/dev/video0", "backend": "v4l2", "width": 1280, "height": 720, "fps": 60.0, "pixel_format": "YUYV"}
    dialog.reject()
