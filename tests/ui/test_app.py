"""Start-up and quit pieces of the app: the autosaved collection, settings, screenshots."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from studio.settings import load_settings
from ui import app as app_module
from ui.app import Autosaver, autosave_path, create_studio, load_autosaved_collection, shutdown

ROOT = Path(__file__).resolve().parents[2]


def test_autosaved_collection_is_reloaded_and_a_broken_one_kept_aside(window, qtbot, settings):
    studio = window.studio
    studio.add_scene("Warm-up")
    saver = Autosaver(studio, window.bridge, parent=window)
    saver.save_now()
    collection, warning = load_autosaved_collection()
    assert warning is None and [s.name for s in collection.scenes] == ["Main", "Warm-up"]

    autosave_path().write_text('{"scenes": [{"name": ""}]}', encoding="utf-8")
    collection, warning = load_autosaved_collection()
    assert collection is None
    assert "scenes[0].name" in warning
    kept = list(autosave_path().parent.glob("scenes.json.broken-*"))
    assert len(kept) == 1 and not autosave_path().exists()


def test_autosave_follows_changes(window, qtbot, monkeypatch):
    monkeypatch.setattr(app_module, "AUTOSAVE_DELAY_MS", 50)
    saver = Autosaver(window.studio, window.bridge, parent=window)
    window.studio.add_scene("Q&A")
    qtbot.waitUntil(lambda: saver.saves == 1, timeout=2000)
    assert json.loads(autosave_path().read_text(encoding="utf-8"))["scenes"][1]["name"] == "Q&A"
    # A fader move is saved too (audio strips live in the collection).
    tone = window.mixer_dock.add_tone()
    qtbot.waitUntil(lambda: saver.saves == 2, timeout=2000)
    window.mixer_dock.strip_for(tone.input_id).fader.setValue(-35)
    qtbot.waitUntil(lambda: saver.saves == 3, timeout=2000)
    saved = json.loads(autosave_path().read_text(encoding="utf-8"))
    assert saved["audio_inputs"][0]["settings"]["gain_db"] == -3.5
    saver.stop()


def test_shutdown_joins_threads_and_saves(settings, qtbot):
    studio = create_studio(settings)
    assert studio.compositor.is_running
    shutdown(studio, settings)
    assert not studio.compositor.is_running and not studio.mixer.is_running
    assert autosave_path().exists()
    loaded, warning = load_settings()
    assert warning is None and loaded.language == "en"


def test_run_app_opens_takes_a_screenshot_and_quits(tmp_path):
    """The real entry point, in its own process (``app.exec()`` must not run inside pytest-qt's app)."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.json").write_text(json.dumps({"schema_version": 1, "language": "zh_CN", "audio": {"microphone": ""}}), encoding="utf-8")
    shot = tmp_path / "shot.png"
    env = dict(os.environ, BRIDGECAST_CONFIG_DIR=str(config), BRIDGECAST_SCREENSHOT=str(shot), BRIDGECAST_QUIT_AFTER_S="1", QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", "import sys; from ui.app import run_app; sys.exit(run_app([]))"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    image = QImage(str(shot))
    assert image.width() >= 800 and image.height() >= 500
    assert (config / "scenes.json").exists() and (config / "window.ini").exists()  # saved at quit
    assert json.loads((config / "settings.json").read_text(encoding="utf-8"))["language"] == "zh_CN"


def test_a_show_database_that_cannot_be_opened_asks_and_keeps_the_file(settings, qtbot):
    from studio.control.launch import default_show_db
    from ui.app import open_live_control

    path = default_show_db()
    path.parent.mkdir(parents=True, exist_ok=True)
    garbage = b"this is my shopping list, not a show\n" * 50
    path.write_bytes(garbage)
    studio = create_studio(settings)
    try:
        questions: list[str] = []
        # "Quit": nothing is opened, nothing touched.
        assert open_live_control(studio, settings, lambda words: questions.append(words) or False) is None
        assert path.read_bytes() == garbage and "not a show database" in questions[0] and "kept as" in questions[0]
        # "Start a new show": the file is kept beside it under a new name, and a new show opens.
        control = open_live_control(studio, settings, lambda words: True)
        try:
            kept = [p for p in path.parent.iterdir() if p.name.startswith("show.db.damaged-")]
            assert len(kept) == 1 and kept[0].read_bytes() == garbage
            assert control is not None and control.live.snapshot()["pinned_sku"] is None
        finally:
            control.stop()
    finally:
        shutdown(studio, settings, save=False)
