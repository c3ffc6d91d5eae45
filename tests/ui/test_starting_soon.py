"""Scenes ▸ Add a "starting soon" scene…: a show from the team's plan becomes a scene that counts
down on the program in the viewers' language; and a text source added from the Sources dock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from PySide6.QtWidgets import QDialogButtonBox

from studio.core import i18n
from studio.schedule.store import PlannedShow, add_planned_show
from ui.source_dialog import SourceDialog


def test_a_starting_soon_scene_counts_down_in_thai(window, qtbot):
    window.resize(1366, 768)
    start = (datetime.now(timezone.utc) + timedelta(minutes=30)).replace(microsecond=0)
    add_planned_show(PlannedShow(title="ลดกระหน่ำ 12.12", start=start, duration_min=90, markets=["TH"]))
    dock = window.scenes_dock
    before = len(window.studio.collection.scenes)
    dock.starting_soon_action.trigger()
    qtbot.waitUntil(lambda: dock.starting_soon_dialog is not None and dock.starting_soon_dialog.isVisible(), timeout=20000)
    dialog = dock.starting_soon_dialog
    dialog.market_box.setCurrentIndex(dialog.market_box.findData("TH"))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: len(window.studio.collection.scenes) == before + 1, timeout=5000)
    scene = window.studio.collection.scenes[-1]
    assert scene.name == "Starting soon: ลดกระหน่ำ 12.12"  # the operator's words (English UI) …
    spec = window.studio.collection.source(scene.items[0].source_id)
    thai = i18n.translator_for("th_TH").gettext("Starting in {countdown}")
    assert thai != "Starting in {countdown}" and thai.startswith("เริ่ม")
    assert spec.kind == "text" and spec.settings["text"].splitlines()[1] == thai  # … the viewers' Thai
    canvas = window.studio.collection.canvas
    assert (spec.settings["width"], spec.settings["height"]) == (canvas.width, canvas.height)

    window.studio.switch_scene(scene.id, transition="cut")
    source = window.studio.sources.get(spec.id)
    qtbot.waitUntil(lambda: source.latest_frame() is not None, timeout=10000)
    first = source.latest_frame()
    qtbot.waitUntil(lambda: source.latest_frame().sequence > first.sequence + 1, timeout=5000)
    assert not np.array_equal(first.image, source.latest_frame().image)  # the seconds count down
    item = scene.items[0]
    assert (item.x, item.y, item.width, item.height) == (0, 0, canvas.width, canvas.height)


def test_no_planned_show_is_said_in_words(window, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    said = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: said.append(text))
    window.scenes_dock.starting_soon_action.trigger()
    qtbot.waitUntil(lambda: bool(said), timeout=20000)
    assert "No show is planned yet" in said[0]


def test_the_text_source_dialog(qtbot):
    dialog = SourceDialog("text", canvas_size=(1920, 1080, 30))
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # no words yet
    dialog.text_edit.setPlainText("Free shipping today")
    dialog.language_edit.setText("th")
    dialog.scroll_spin.setValue(120)
    assert ok.isEnabled()
    name, settings = dialog.values()
    assert name == "Text" and settings["text"] == "Free shipping today" and settings["language"] == "th"
    assert settings["scroll_px_per_s"] == 120 and settings["width"] == 1920 and settings["box_color"]
