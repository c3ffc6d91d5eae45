"""A media file with sound gets its own strip in the mixer dock, with a working Monitor switch;
a music playlist is added through its dialog and skips a bad file in words (1366×768)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from studio.audio.monitor import MonitorState
from tests.studio.sources.av_media import make_av_clip, tone
from tests.studio.sources.helpers import make_video


def test_media_file_with_sound_shows_its_strip_and_monitor_toggles(window, qtbot, tmp_path):
    window.resize(1366, 768)
    screen = QGuiApplication.primaryScreen().availableGeometry()
    assert window.width() <= max(1366, screen.width()) and window.height() <= max(768, screen.height())
    dock = window.mixer_dock
    studio = window.studio
    clip = make_av_clip(tmp_path / "product.mp4", seconds=2.0, sound="tone")
    spec, _item = studio.add_source("media_file", "Product video", {"path": str(clip)})
    input_id = f"media-{spec.id}"
    qtbot.waitUntil(lambda: input_id in dock.strips, timeout=5000)
    strip = dock.strip_for(input_id)
    assert strip.isVisibleTo(dock)
    assert strip.name_label.text() == "Product video"
    assert not dock.scroll.horizontalScrollBar().isVisible()  # the extra button fits the dock
    media_input = studio.audio_inputs.media_input(spec.id)
    # The meters move: the file's −12 dBFS tone, well above −30 dBFS, on its own strip.
    qtbot.waitUntil(lambda: strip.meter.peak_dbfs > -30.0, timeout=5000)
    assert media_input.last_levels.peak_dbfs > -30.0

    # Monitor: off by default, on with a click (the engine's flag and the monitor bus follow).
    button = strip.monitor_button
    assert button is not None and not button.isChecked() and not media_input.monitor_tap.is_monitored
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert media_input.monitor_tap.is_monitored
    assert studio.audio_inputs.monitor.monitored_ids == [input_id]
    # With or without an output device here, the state is known, and a missing one is said in words.
    monitor = studio.audio_inputs.monitor
    qtbot.waitUntil(lambda: monitor.state in (MonitorState.ACTIVE, MonitorState.NO_DEVICE), timeout=5000)
    if monitor.state is MonitorState.NO_DEVICE:
        qtbot.waitUntil(lambda: "monitoring" in button.toolTip(), timeout=2000)
    else:
        assert "Monitor: on" in button.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not media_input.monitor_tap.is_monitored
    assert studio.audio_inputs.monitor.monitored_ids == []

    # Saved with the collection; renaming and removing the source rename and remove the strip.
    saved = [entry for entry in studio.snapshot_collection().audio_inputs if entry.kind == "media_audio"]
    assert [(entry.id, entry.settings["source_id"]) for entry in saved] == [(input_id, spec.id)]
    studio.update_source(spec.id, name="Scarf video")
    qtbot.waitUntil(lambda: strip.name_label.text() == "Scarf video", timeout=2000)
    studio.remove_source(spec.id)
    qtbot.waitUntil(lambda: input_id not in dock.strips, timeout=3000)


def test_media_file_without_sound_gets_no_strip(window, qtbot, tmp_path):
    studio = window.studio
    spec, _item = studio.add_source("media_file", "Silent", {"path": str(make_video(tmp_path / "silent.mp4"))})
    qtbot.waitUntil(lambda: studio.sources[spec.id].has_audio is False, timeout=5000)
    assert studio.audio_inputs.media_input(spec.id) is None
    assert not window.mixer_dock.strips


def test_playlist_dialog_adds_music_that_skips_a_bad_file(window, qtbot, tmp_path):
    import wave

    import numpy as np

    good = tmp_path / "song.wav"
    with wave.open(str(good), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(48_000)
        handle.writeframes((tone(0, 48_000 * 2, level_dbfs=-12.0) * 32767).astype(np.int16).tobytes())
    bad = tmp_path / "notes.mp3"
    bad.write_text("not music")
    dock = window.mixer_dock
    dialog = dock.open_playlist_dialog()
    dialog.name_edit.setText("Background music")
    ok = dialog.button_box.button(dialog.button_box.StandardButton.Ok)
    ok.click()  # no files yet: said under the list, the dialog stays open
    assert dialog.isVisible() and dialog.hint_label.text() == "Add at least one music file."
    dialog.add_files([str(bad), str(good)])
    ok.click()
    playlist = next(inp for inp in window.studio.mixer.inputs if inp.kind == "playlist")
    qtbot.waitUntil(lambda: playlist.input_id in dock.strips, timeout=3000)
    strip = dock.strip_for(playlist.input_id)
    assert strip.name_label.text() == "Background music" and strip.monitor_button is not None
    qtbot.waitUntil(lambda: "notes.mp3" in strip.state_label.toolTip(), timeout=5000)
    qtbot.waitUntil(lambda: strip.playlist_controls.title_label.toolTip() == "song", timeout=5000)
    qtbot.waitUntil(lambda: strip.meter.peak_dbfs > -30.0, timeout=5000)
    # The message and the extra buttons fit the dock at 1366×768: no sideways scrolling.
    window.resize(1366, 768)
    qtbot.wait(50)
    assert not dock.scroll.horizontalScrollBar().isVisible()

    # Edit: the dialog shows the list and writes the changes back.
    editor = dock.edit_playlist(playlist)
    assert editor.files == [str(bad), str(good)]
    editor.file_list.setCurrentRow(0)
    editor.remove_selected()
    editor.shuffle_box.setChecked(True)
    editor.button_box.button(editor.button_box.StandardButton.Ok).click()
    assert playlist.files == [str(good)] and playlist.is_shuffled


def test_source_dialog_offers_restart_when_shown_for_media_files(qtbot):
    from ui.source_dialog import SourceDialog

    dialog = SourceDialog("media_file", settings={"path": "/tmp/clip.mp4", "restart_on_show": True})
    qtbot.addWidget(dialog)
    assert dialog.restart_check is not None and dialog.restart_check.isChecked()
    assert dialog.restart_check.text() == "Play from the &start each time it is shown"
    dialog.restart_check.setChecked(False)
    _name, settings = dialog.values()
    assert settings["restart_on_show"] is False and settings["loop"] is True
    image_dialog = SourceDialog("image")
    qtbot.addWidget(image_dialog)
    assert image_dialog.restart_check is None
