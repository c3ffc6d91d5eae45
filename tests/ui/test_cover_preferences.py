"""Positions in pixels of the preset, and what the cover designer remembers: the gallery's region
filter and the export folder (across editors, i.e. across sessions)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog

from cover_designer.geometry import active_frame, reference_area
from cover_designer.preferences import load_preferences, preferences_path
from cover_designer.presets import PRESETS
from tests.ui.cover_helpers import open_cover_editor, wait_rendered


def test_position_and_size_are_shown_in_pixels_of_the_preset(qtbot):
    with open_cover_editor(qtbot, select="headline") as window:
        panel = window.properties_panel
        for preset_id in ("youtube", "tiktok_live"):
            window.model.set_preset(preset_id)
            wait_rendered(qtbot, window)
            preset = PRESETS[preset_id]
            frame = active_frame(window.model.layer("headline"), preset)
            area = reference_area(frame, preset)
            assert panel.frame_spins["w"].suffix() == " px" and panel.frame_spins["w"].decimals() == 0
            assert panel.frame_spins["w"].value() == round(frame.w * area.w)
            assert panel.frame_spins["h"].value() == round(frame.h * area.h)
            assert panel.frame_spins["dx"].value() == round(frame.dx * area.w)
            assert panel.frame_spins["dy"].value() == round(frame.dy * area.h)
            assert panel.frame_spins["w"].maximum() == pytest.approx(2 * area.w, abs=1)
        # Typing pixels stores the matching fraction of the area (one undo step).
        preset = PRESETS["tiktok_live"]
        area = reference_area(active_frame(window.model.layer("headline"), preset), preset)
        panel.frame_spins["w"].setValue(500)
        panel.frame_spins["w"].editingFinished.emit()
        frame = active_frame(window.model.layer("headline"), preset)
        assert frame.w == pytest.approx(500 / area.w, abs=1e-4)
        assert window.undo_stack.count() == 1
        wait_rendered(qtbot, window)
        assert panel.frame_spins["w"].value() == 500
        # Leaving a field unchanged adds no undo step.
        panel.frame_spins["h"].editingFinished.emit()
        assert window.undo_stack.count() == 1


def open_gallery_and(window, action) -> None:
    """Open the template gallery (a modal dialog), run ``action(gallery)`` inside it, then cancel."""
    seen = {}

    def inside() -> None:
        gallery = window.gallery
        seen["filters"] = gallery.filters()
        action(gallery)
        gallery.reject()

    QTimer.singleShot(0, inside)
    window.choose_template()
    return seen["filters"]


def test_the_gallery_keeps_its_region_filter(qtbot):
    with open_cover_editor(qtbot) as window:
        qtbot.waitUntil(lambda: window.preferences_loaded, timeout=10000)
        first = open_gallery_and(window, lambda gallery: gallery.region.setCurrentIndex(gallery.region.findData("sea")))
        assert first == ("", "")
        assert open_gallery_and(window, lambda gallery: None) == ("sea", "")
        qtbot.waitUntil(lambda: load_preferences().gallery_region == "sea", timeout=10000)
    with open_cover_editor(qtbot) as later:  # the next session
        qtbot.waitUntil(lambda: later.preferences_loaded, timeout=10000)
        assert open_gallery_and(later, lambda gallery: None) == ("sea", "")


def test_the_export_folder_is_remembered(qtbot, tmp_path, monkeypatch):
    folder = tmp_path / "covers out"
    folder.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(folder))
    with open_cover_editor(qtbot) as window:
        qtbot.waitUntil(lambda: window.preferences_loaded, timeout=10000)
        window.export_panel.folder_button.click()
        assert window.export_panel.export_folder == str(folder)
        qtbot.waitUntil(lambda: load_preferences().export_folder == str(folder), timeout=10000)
    assert preferences_path().exists()
    with open_cover_editor(qtbot) as later:
        qtbot.waitUntil(lambda: later.preferences_loaded, timeout=10000)
        assert later.export_panel.export_folder == str(folder)
        assert "covers out" in later.export_panel.folder_button.text()


def test_a_remembered_folder_that_is_gone_falls_back_to_home(qtbot, tmp_path):
    from pathlib import Path

    from cover_designer.preferences import CoverPreferences, save_preferences

    save_preferences(CoverPreferences(export_folder=str(tmp_path / "deleted")))
    with open_cover_editor(qtbot) as window:
        qtbot.waitUntil(lambda: window.preferences_loaded, timeout=10000)
        assert window.export_panel.export_folder == str(Path.home())


def test_unreadable_preferences_mean_defaults(tmp_path):
    path = tmp_path / "preferences.json"
    path.write_text("{ broken", encoding="utf-8")
    assert load_preferences(path).export_folder == ""
    path.write_text('{"schema_version": 99, "export_folder": "/x"}', encoding="utf-8")
    assert load_preferences(path).export_folder == ""
