"""The Review window's "Make clips" action: one vertical clip per pinned product of the shown
show, cut from its recording by :func:`studio.clips.make_clips` on a pool thread.

The GUI thread only asks for the recording (a file dialog opening in the recordings folder),
shows the progress and the outcome in words, and can stop the work between two frames; the
clips go to a folder beside the recording (``<recording>-clips``), never over earlier files.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton, QSpinBox, QWidget

from studio.clips import DEFAULT_MAX_SECONDS, MAX_SECONDS_RANGE, ClipsError, ClipsResult, make_clips
from ui.workers import run_in_background

log = logging.getLogger(__name__)


class ClipsAction(QObject):
    """The button, the longest-clip box and the work behind them; ``say`` shows a line of status."""

    progressed = Signal(int, int, float)  # clips done, clips in all, fraction of the current one (any thread)
    finished = Signal(object)  # the ClipsResult, or None when it failed or was stopped

    def __init__(self, parent: QWidget, say: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._parent = parent
        self._say = say
        self.button = QPushButton()
        self.button.setObjectName("makeClipsButton")
        self.stop_button = QPushButton()
        self.stop_button.setVisible(False)
        self.length = QSpinBox()
        self.length.setRange(int(MAX_SECONDS_RANGE[0]), int(MAX_SECONDS_RANGE[1]))
        self.length.setValue(int(DEFAULT_MAX_SECONDS))
        self.length_label = QLabel()
        self.length_label.setBuddy(self.length)
        self.show_db: Path | None = None
        self.result: ClipsResult | None = None
        self._cancel: threading.Event | None = None
        self.button.clicked.connect(self._choose_recording)
        self.stop_button.clicked.connect(self.stop)
        self.progressed.connect(self._show_progress)
        # A closed window stops the work at the next frame (the clip being written is removed).
        stopping = self._stopping = [threading.Event()]
        parent.destroyed.connect(lambda *_args: stopping[0].set())
        self.retranslate()

    def widgets(self) -> list[QWidget]:
        return [self.length_label, self.length, self.button, self.stop_button]

    def retranslate(self) -> None:
        self.button.setText(self.tr("Make clips…"))
        self.button.setToolTip(self.tr("One vertical clip per pinned product, cut from this show's recording, "
                                       "with the product card and a cover, ready for TikTok, Reels and Shorts"))
        self.stop_button.setText(self.tr("Stop clips"))
        self.length_label.setText(self.tr("Longest clip:"))
        self.length.setSuffix(self.tr(" s"))

    @property
    def is_running(self) -> bool:
        return self._cancel is not None

    def set_show(self, show_db: Path | None) -> None:
        self.show_db = show_db
        self.button.setEnabled(show_db is not None and not self.is_running)

    def recordings_folder(self) -> Path:
        """Where Go live records (the app's setting, else the default), else the home folder."""
        from studio.settings import default_recording_folder

        settings = getattr(self._parent.parentWidget(), "settings", None)  # the main window's
        recording = getattr(getattr(settings, "golive", None), "recording", None)
        folder = Path(recording.folder).expanduser() if getattr(recording, "folder", None) else default_recording_folder()
        return folder if folder.is_dir() else Path.home()

    def _choose_recording(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self._parent, self.tr("The show's recording"),
                                                    str(self.recordings_folder()),
                                                    self.tr("Recordings (*.mkv *.mp4);;All files (*)"))
        if path:
            recording = Path(path)
            self.start(recording, recording.with_name(recording.stem + "-clips"))

    def start(self, recording: Path, out_dir: Path) -> None:
        """Cut the shown show's clips from ``recording`` into ``out_dir`` on a pool thread."""
        if self.show_db is None or self.is_running:
            return
        cancel = self._cancel = self._stopping[0] = threading.Event()
        show_db, max_seconds = self.show_db, float(self.length.value())
        self.result = None
        self.button.setEnabled(False)
        self.stop_button.setVisible(True)
        self._say(self.tr("Reading the recording…"))

        def work() -> ClipsResult:
            from studio.settings import load_settings

            settings, _warning = load_settings()
            return make_clips(show_db, recording, out_dir, max_seconds=max_seconds, locale=settings.locale or "en_US",
                              region=settings.region, cancel=cancel,
                              on_progress=lambda done, count, fraction: self.progressed.emit(done, count, fraction))

        run_in_background(work, self._done, self._failed, receiver=self)

    def stop(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self._say(self.tr("Stopping after this frame…"))

    def _show_progress(self, done: int, count: int, fraction: float) -> None:
        if self._cancel is None or self._cancel.is_set() or done >= count:
            return
        self._say(self.tr("Cutting clip {number} of {count}… {percent} %").format(
            number=done + 1, count=count, percent=int(fraction * 100)))

    def _end(self) -> None:
        self._cancel = None
        self.stop_button.setVisible(False)
        self.button.setEnabled(self.show_db is not None)

    def _done(self, result: ClipsResult) -> None:
        was_stopped = self._cancel is not None and self._cancel.is_set()
        self._end()
        self.result = result
        count = len(result.clips)
        if was_stopped:
            text = self.tr("Stopped: {count} clip(s) written to {folder}.").format(count=count, folder=result.out_dir)
        else:
            text = self.tr("{count} clip(s) written to {folder}.").format(count=count, folder=result.out_dir)
        if result.notes:
            text += " " + " ".join(result.notes)
        self._say(text)
        self.finished.emit(result)

    def _failed(self, error: BaseException) -> None:
        self._end()
        if isinstance(error, ClipsError):
            self._say(self.tr("No clips: {reason}").format(reason=str(error)))
        else:
            log.error("making clips failed", exc_info=error)
            self._say(self.tr("No clips: something went wrong ({reason}); the details are in the log.").format(
                reason=type(error).__name__))
        self.finished.emit(None)
