""""Make clips" in the Review window at 1366×768: the shown show's clips are cut on a pool thread
while the window keeps answering, with the progress and the outcome in words."""
from __future__ import annotations

import threading
from pathlib import Path

import av
from PySide6.QtCore import Qt

import ui.review_clips
from tests.studio.clips.rehearsal_recording import record_show


def _open_show(window, qtbot, db: Path):
    window.resize(1366, 768)
    window.review_action.trigger()
    review_window = window.review_window
    assert review_window.width() <= 1366 and review_window.height() <= 768

    def row_of_show():
        for row in range(review_window.show_list.count()):
            if Path(review_window.show_list.item(row).data(Qt.ItemDataRole.UserRole)) == db:
                return row
        return None

    qtbot.waitUntil(lambda: row_of_show() is not None, timeout=10_000)
    review_window.show_list.setCurrentRow(row_of_show())
    qtbot.waitUntil(lambda: review_window.review is not None and review_window.shown_path == db, timeout=20_000)
    return review_window


def test_make_clips_runs_off_the_gui_thread_with_progress_and_result_in_words(window, qtbot, isolated_settings,
                                                                              tmp_path, monkeypatch):
    recorded = record_show(tmp_path / "recording", isolated_settings / "live" / "shows" / "show-20261207-100000.db")
    threads = []
    real_make_clips = ui.review_clips.make_clips

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real_make_clips(*args, **kwargs)

    monkeypatch.setattr(ui.review_clips, "make_clips", spy)
    review_window = _open_show(window, qtbot, recorded.db)
    clips = review_window.clips
    assert clips.button.isEnabled() and clips.button.isVisible() and clips.button.text() == "Make clips…"
    clips.length.setValue(5)
    out = tmp_path / "clips"
    seen = []
    clips.progressed.connect(lambda *_args: seen.append(review_window.status_label.text()))
    with qtbot.waitSignal(clips.finished, timeout=180_000) as finished:
        clips.start(recorded.recording, out)
        assert not clips.button.isEnabled() and clips.stop_button.isVisible()
        # The GUI thread is free: it shows the progress while the clips are being cut.
        qtbot.waitUntil(lambda: review_window.status_label.text().startswith("Cutting clip 2 of 3…"), timeout=120_000)
    assert threads and threads[0] is not threading.main_thread()
    result = finished.args[0]
    assert review_window.status_label.text() == f"3 clip(s) written to {out}."
    assert clips.button.isEnabled() and not clips.stop_button.isVisible()
    assert [Path(clip.path).name for clip in result.clips] == ["clip-01-A12.mp4", "clip-02-B07.mp4", "clip-03-C33.mp4"]
    for clip in result.clips:
        with av.open(clip.path) as container:
            assert (container.streams.video[0].width, container.streams.video[0].height) == (1080, 1920)
            assert container.streams.audio
    assert any(text.startswith("Cutting clip 1 of 3…") for text in seen)


def test_make_clips_from_a_file_that_is_no_recording_says_so(window, qtbot, isolated_settings, tmp_path):
    recorded = record_show(tmp_path / "recording", isolated_settings / "live" / "shows" / "show-20261207-100000.db")
    review_window = _open_show(window, qtbot, recorded.db)
    garbage = tmp_path / "holiday.mkv"
    garbage.write_bytes(b"these are not the frames you are looking for" * 50)
    with qtbot.waitSignal(review_window.clips.finished, timeout=60_000) as finished:
        review_window.clips.start(garbage, tmp_path / "clips")
    assert finished.args[0] is None
    text = review_window.status_label.text()
    assert text.startswith("No clips: holiday.mkv cannot be read as a video recording") and "Traceback" not in text
    assert review_window.clips.button.isEnabled() and not (tmp_path / "clips").exists()


def test_the_recording_is_looked_for_in_the_recordings_folder(window, qtbot, tmp_path):
    window.settings.golive.recording.folder = str(tmp_path)
    window.review_action.trigger()
    assert window.review_window.clips.recordings_folder() == tmp_path
    window.settings.golive.recording.folder = str(tmp_path / "gone")
    assert window.review_window.clips.recordings_folder() == Path.home()


def test_stop_clips_stops_between_frames_and_leaves_no_half_clip(window, qtbot, isolated_settings, tmp_path):
    recorded = record_show(tmp_path / "recording", isolated_settings / "live" / "shows" / "show-20261207-100000.db")
    review_window = _open_show(window, qtbot, recorded.db)
    clips = review_window.clips
    out = tmp_path / "clips"
    with qtbot.waitSignal(clips.finished, timeout=120_000) as finished:
        clips.start(recorded.recording, out)
        qtbot.waitUntil(lambda: review_window.status_label.text().startswith("Cutting clip 1 of 3…"), timeout=60_000)
        qtbot.mouseClick(clips.stop_button, Qt.MouseButton.LeftButton)
    assert finished.args[0] is not None and finished.args[0].clips == []
    assert review_window.status_label.text() == f"Stopped: 0 clip(s) written to {out}."
    assert sorted(path.name for path in out.iterdir()) == []  # neither the half clip nor its cover
    assert clips.button.isEnabled() and not clips.stop_button.isVisible()
