"""A music playlist as a mixer input: files played one after another, looped or shuffled,
with next/previous and an optional crossfade.

A decoder thread reads the files with PyAV, resamples them to 48 kHz stereo and keeps
:data:`BUFFER_AHEAD_MS` of sound in a ring the mixer reads; the thread waits while the ring
is full, so it never runs ahead of the show.  A file that cannot be played is skipped with a
message in words (``skipped``, ``state_message``) and the others keep playing.  Music has no
picture to follow, so it is not timestamped: it plays from the moment it is added.
"""
from __future__ import annotations

import collections
import logging
import os
import random
import threading
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from studio.audio.dsp import silence
from studio.audio.inputs import CHANNELS, AudioInput, InputState
from studio.audio.ring import SampleRing
from studio.core.events import Signal
from studio.core.i18n import _

log = logging.getLogger(__name__)

BUFFER_AHEAD_MS = 300
RING_MS = 1000
MAX_CROSSFADE_MS = 10_000.0
_IDLE_WAIT_S = 0.5
_FULL_WAIT_S = 0.02


class _Skip(Exception):
    """The user asked for another track (or changed the list) while one was playing."""


class PlaylistInput(AudioInput):
    """Music from a list of files.  ``files``: paths; ``is_looping``: start again after the last;
    ``is_shuffled``: a new random order each round; ``crossfade_ms``: overlap of consecutive
    tracks (0 = none); ``is_monitored``: also on the monitor output.

    ``track_changed.emit(input=, index=, title=)`` when a track starts being heard (index into
    ``files``; ``None`` after the last one), on the mixer's thread; next/previous count from
    the track heard.  ``skipped`` lists the messages of files that could not be played.
    """

    kind: ClassVar[str] = "playlist"

    def __init__(self, input_id: str, name: str, *, files: list[str] | tuple[str, ...] = (), is_looping: bool = True,
                 is_shuffled: bool = False, crossfade_ms: float = 0.0, **strip: Any) -> None:
        super().__init__(input_id, name, **strip)
        self._files = [str(path) for path in files]
        self.is_looping = bool(is_looping)
        self.is_shuffled = bool(is_shuffled)
        self.crossfade_ms = min(MAX_CROSSFADE_MS, max(0.0, float(crossfade_ms)))
        self.track_changed = Signal()
        self.current_index: int | None = None
        self.skipped: list[str] = []
        self.tracks_started = 0
        self._ring = SampleRing(self.sample_rate * RING_MS // 1000, CHANNELS)
        self._request: int | None = None  # +1 next, -1 previous, 0 the list changed
        self._request_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tail: np.ndarray | None = None  # the last track's faded-out end, mixed into the next start
        self._tail_position = 0
        self._held = silence(0)  # a track's last crossfade_ms, held back until we know what follows
        # Where each track starts in the sound written so far: announced when the mixer reaches
        # it (the decoder runs up to BUFFER_AHEAD_MS ahead, a short track's whole length).
        self._marks: collections.deque[tuple[int, int | None, int | None, int]] = collections.deque()
        self._marks_lock = threading.Lock()
        self._written_frames = 0
        self._round = 0  # a new order (shuffle) each round; positions belong to one round
        self._heard: tuple[int | None, int] = (None, 0)  # position and round of the track heard now

    # -- settings (any thread) -------------------------------------------------------------
    @property
    def files(self) -> list[str]:
        return list(self._files)

    def set_files(self, files: list[str]) -> None:
        """Replace the list; playback starts again from its first track."""
        self._files = [str(path) for path in files]
        self.skipped = []
        self._ask(0)
        self.changed.emit(input=self, param="files")

    def configure(self, *, is_looping: bool, is_shuffled: bool, crossfade_ms: float) -> None:
        """Loop, shuffle and crossfade, taken from the next track on."""
        self.is_looping = bool(is_looping)
        self.is_shuffled = bool(is_shuffled)
        self.crossfade_ms = min(MAX_CROSSFADE_MS, max(0.0, float(crossfade_ms)))
        self.changed.emit(input=self, param="playback")

    def next(self) -> None:
        self._ask(+1)

    def previous(self) -> None:
        self._ask(-1)

    @property
    def buffered_frames(self) -> int:
        """Decoded sound waiting for the mixer."""
        return self._ring.available_frames

    @property
    def current_title(self) -> str:
        index = self.current_index
        return Path(self._files[index]).stem if index is not None and index < len(self._files) else ""

    def describe(self) -> dict[str, Any]:
        return dict(super().describe(), files=list(self._files), is_looping=self.is_looping,
                    is_shuffled=self.is_shuffled, crossfade_ms=self.crossfade_ms)

    def _ask(self, request: int) -> None:
        with self._request_lock:
            self._request = request
        self._wake.set()

    def _take_request(self) -> int | None:
        with self._request_lock:
            request, self._request = self._request, None
        return request

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._set_state(InputState.ACTIVE)
        self._thread = threading.Thread(target=self._run, name=f"playlist:{self.input_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
            if thread.is_alive():
                log.warning("playlist %s did not stop within %.1fs", self.input_id, timeout_s)
        self._thread = None
        self._clear_ring()
        self._set_state(InputState.STOPPED)

    # -- decoder thread --------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._play_all()
        except Exception:  # unexpected: log it, say so, and let the show go on without music
            log.exception("playlist %s failed", self.input_id)
            self._set_state(InputState.NO_DEVICE, _("The playlist stopped after an internal error."))

    def _play_all(self) -> None:
        position = 0
        order: list[int] = []
        failures_in_a_row = 0
        while not self._stop.is_set():
            files = list(self._files)
            if not files:
                self._set_state(InputState.NO_DEVICE, _("The playlist is empty. Add music files."))
                self._wait_for_request()
                continue
            if not order or len(order) != len(files):
                order = self._new_order(len(files))
                position = 0
            if position >= len(order):
                if not self.is_looping:
                    if self._tail is not None:  # the last track's end, faded out
                        self._write_ring(self._tail[self._tail_position:])
                        self._tail = None
                    self._mark(None, None)  # "ended" once its last sound is heard
                    request = self._wait_for_request()
                    position = 0 if request in (None, 0, 1) else len(order) - 1
                    continue
                order = self._new_order(len(files))
                position = 0
                self._round += 1
            if failures_in_a_row >= len(files):
                self._set_state(InputState.NO_DEVICE, _("None of the playlist's files can be played."))
                request = self._wait_for_request()
                failures_in_a_row = 0
                continue
            index = order[position]
            outcome = self._play_file(position, index, files[index])
            request = self._take_request() if outcome == "request" else None
            failures_in_a_row = failures_in_a_row + 1 if outcome == "bad" else 0
            if request in (-1, 1):
                # From the track heard, not the one being decoded ahead (-1: before this round).
                heard_position, heard_round = self._heard
                base = heard_position if heard_position is not None and heard_round == self._round else -1
                position = max(0, base - 1) if request == -1 else base + 1
            elif request == 0:  # a new list: from its start
                order, position = [], 0
            else:
                position += 1

    def _new_order(self, count: int) -> list[int]:
        order = list(range(count))
        if self.is_shuffled:
            random.shuffle(order)
        return order

    def _wait_for_request(self) -> int | None:
        while not self._stop.is_set():
            self._wake.wait(_IDLE_WAIT_S)
            self._wake.clear()
            request = self._take_request()
            if request is not None:
                return request
        return None

    def _play_file(self, position: int, index: int, path: str) -> str:
        """Play one file into the ring: "ended", "bad" (skipped), "request" or "stopped"."""
        import av
        import av.error

        try:
            container = av.open(os.path.expanduser(path), mode="r", metadata_errors="ignore")
        except FileNotFoundError:
            self._skip(path, _("the file was not found"))
            return "bad"
        except (av.error.InvalidDataError, IsADirectoryError, av.error.DemuxerNotFoundError):
            self._skip(path, _("it is not a music file Bridgecast can read"))
            return "bad"
        except (av.FFmpegError, OSError, ValueError) as exc:
            self._skip(path, getattr(exc, "strerror", None) or str(exc))
            return "bad"
        try:
            if not container.streams.audio:
                self._skip(path, _("it has no sound"))
                return "bad"
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="stereo", rate=self.sample_rate)
            has_sound = False
            try:
                for frame in container.decode(stream):
                    for out in resampler.resample(frame):
                        samples = out.to_ndarray().reshape(-1, CHANNELS)
                        if not has_sound:
                            has_sound = True
                            self.tracks_started += 1
                            self._mark(position, index)
                        self._feed(samples)
            except _Skip:
                self._clear_ring()
                self._tail = None
                return "request" if not self._stop.is_set() else "stopped"
            except (av.FFmpegError, ValueError) as exc:
                if not has_sound:
                    self._skip(path, getattr(exc, "strerror", None) or str(exc))
                    return "bad"
                log.warning("playlist %s: %s broke off: %s", self.input_id, path, exc)
            if not has_sound:
                self._skip(path, _("it has no sound"))
                return "bad"
            self._end_track()
            return "stopped" if self._stop.is_set() else "ended"
        finally:
            container.close()

    def _mark(self, position: int | None, index: int | None) -> None:
        """The sound written from now on is track ``index`` (``None``: the list has ended)."""
        with self._marks_lock:
            self._marks.append((self._written_frames, position, index, self._round))

    def _write_ring(self, samples: np.ndarray) -> None:
        with self._marks_lock:
            self._ring.write(samples)
            self._written_frames += samples.shape[0]

    def _clear_ring(self) -> None:
        """Drop the sound not heard yet (a skip): the tracks it held were never heard."""
        with self._marks_lock:
            self._ring.clear()
            self._marks.clear()

    def _announce_heard(self) -> None:
        """Mixer thread: announce the tracks whose first sample has just been read."""
        with self._marks_lock:
            heard_frames = self._written_frames - self._ring.available_frames
            reached = []
            while self._marks and self._marks[0][0] <= heard_frames:
                reached.append(self._marks.popleft())
        for _start, position, index, round_ in reached:
            self.current_index = index
            self._heard = (position, round_)
            if index is None:
                self._set_state(InputState.ACTIVE, _("The playlist has ended."))
            else:
                # A skipped file's message stays (the host should hear about it) until the list changes.
                self._set_state(InputState.ACTIVE, self.skipped[-1] if self.skipped else "")
            self.track_changed.emit(input=self, index=index, title=self.current_title)

    def _skip(self, path: str, reason: str) -> None:
        message = _("Skipped “{file}”: {reason}").format(file=Path(path).name, reason=reason)
        if message not in self.skipped:  # a looping list meets its bad file every round: said once
            log.info("playlist %s: %s", self.input_id, message)
            self.skipped.append(message)
        self._set_state(InputState.ACTIVE, message)

    def _crossfade_frames(self) -> int:
        return int(self.crossfade_ms * self.sample_rate / 1000)

    def _feed(self, samples: np.ndarray) -> None:
        """Write one decoded chunk, waiting while the ring is full; raises ``_Skip`` on a request."""
        samples = np.array(samples, dtype=np.float32, copy=True)
        if self._tail is not None:  # the previous track fades out under this one's start
            tail = self._tail
            count = min(samples.shape[0], tail.shape[0] - self._tail_position)
            ramp = (np.arange(self._tail_position, self._tail_position + count, dtype=np.float32) / tail.shape[0])[:, None]
            samples[:count] = samples[:count] * ramp + tail[self._tail_position:self._tail_position + count]
            self._tail_position += count
            if self._tail_position >= tail.shape[0]:
                self._tail = None
        hold = self._crossfade_frames()
        if hold:
            held = np.concatenate([self._held, samples])
            samples, self._held = held[:max(0, held.shape[0] - hold)], held[max(0, held.shape[0] - hold):]
        ahead = self.sample_rate * BUFFER_AHEAD_MS // 1000
        while self._ring.available_frames > ahead:
            if self._stop.is_set() or self._request is not None:
                raise _Skip
            self._wake.wait(_FULL_WAIT_S)
            self._wake.clear()
        if self._stop.is_set() or self._request is not None:
            raise _Skip
        self._write_ring(samples)

    def _end_track(self) -> None:
        """The track ended by itself: its held-back end becomes the next start's fade-out."""
        held, self._held = self._held, silence(0)
        if held.shape[0] == 0:
            return
        ramp = (1.0 - np.arange(held.shape[0], dtype=np.float32) / held.shape[0])[:, None]
        self._tail, self._tail_position = held * ramp, 0

    # -- the pull (mixer thread) -----------------------------------------------------------
    def read_block(self, frames: int) -> np.ndarray:
        if self.state is InputState.STOPPED:
            return silence(frames)
        block = self._ring.read(frames)
        if self._marks:
            self._announce_heard()
        if block.shape[0] < frames:
            if self.current_index is not None and block.shape[0]:
                self.underruns += 1
            block = np.concatenate([block, silence(frames - block.shape[0])])
        return block
