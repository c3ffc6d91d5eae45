"""Video source base: one capture thread per source, latest-frame hand-off, drops counted.

A source subclass implements ``_capture(stop)``: a loop that calls ``self._publish(image,
capture_ns)`` until ``stop`` is set.  The base class runs it on its own thread, catches and
logs anything unexpected, reports state changes, and restarts after a failure (devices
come back; the program never stops because one source failed).

A source the engine does not need (in no scene on any running canvas) is put to sleep with
``set_awake(False)``: its loop stops producing pictures — a file stops decoding, a pattern
stops drawing — so it costs nothing and, publishing nothing, counts no drops.  Subclasses call
``_wait_while_asleep(stop)`` at the top of their loop; one that is slow to open (a camera)
keeps its device open and calls ``_doze(stop, seconds)`` between cheap reads instead.
"""
from __future__ import annotations

import enum
import logging
import threading
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from studio.core.clock import now_ns
from studio.core.events import Signal
from studio.core.frame import LatestSlot, VideoFrame
from studio.core.threads import set_native_name

log = logging.getLogger(__name__)

RESTART_DELAY_S = 1.0


class SourceState(str, enum.Enum):
    STOPPED = "stopped"
    STARTING = "starting"
    ACTIVE = "active"
    NO_SIGNAL = "no_signal"  # device/file gone; slate shown, reopening in the background
    FAILED = "failed"  # configuration can never work (message says why)


def settings_problem(exc: Any) -> str:
    """A pydantic ``ValidationError`` on a source's settings in one line: ``field: message; …``."""
    return "; ".join(f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors())


class VideoSource(ABC):
    """Base for every picture source (camera, media file, image, test pattern)."""

    kind: ClassVar[str] = ""

    def __init__(self, source_id: str, name: str, settings: dict[str, Any] | None = None) -> None:
        self.source_id = source_id
        self.name = name
        self.settings: dict[str, Any] = dict(settings or {})
        self.slot: LatestSlot[VideoFrame] = LatestSlot(reader_paced=True)
        self.state = SourceState.STOPPED
        self.state_message = ""
        self.state_changed = Signal()  # emit(source=self, state=SourceState, message=str)
        self.frames_captured = 0
        self._sequence = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._awake = threading.Event()
        self._awake.set()  # awake unless the engine says otherwise (headless use, tests)
        self._nudge = threading.Event()  # set on wake-up or stop: ends a sleep at once
        self.wake_count = 0  # times it was woken after sleeping

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._set_state(SourceState.STARTING)
        self._thread = threading.Thread(target=self._thread_main, name=f"source:{self.source_id}", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the capture thread to end without waiting for it (``stop`` joins)."""
        self._stop.set()
        self._nudge.set()

    # -- sleeping --------------------------------------------------------------------------
    @property
    def is_awake(self) -> bool:
        return self._awake.is_set()

    def set_awake(self, is_awake: bool) -> None:
        """Produce pictures (True) or sleep (False); safe from any thread, never waits."""
        if is_awake == self._awake.is_set():
            return
        if is_awake:
            self.wake_count += 1
            self._awake.set()
            self._nudge.set()
        else:
            self._awake.clear()

    def _publish_poster(self, image: np.ndarray, capture_ns: int | None = None, alpha: np.ndarray | None = None) -> None:
        """A sleeping source's one picture: its size and look are known (and it is ACTIVE) before
        it goes on air, and, read by nobody on purpose, it is never counted as dropped."""
        self._publish(image, capture_ns, alpha)
        self.slot.latest()  # marked read

    def _wait_while_asleep(self, stop: threading.Event) -> int:
        """Block while asleep (until woken or stopped); returns the nanoseconds slept."""
        if self._awake.is_set():
            return 0
        started = now_ns()
        while not self._awake.is_set() and not stop.is_set():
            self._nudge.clear()
            if self._awake.is_set() or stop.is_set():  # woken between the check and the clear
                break
            self._nudge.wait()
        return now_ns() - started

    def _doze(self, stop: threading.Event, seconds: float) -> None:
        """Wait up to ``seconds``, ending early on wake-up or stop (a warm source's pause)."""
        self._nudge.clear()
        if self._awake.is_set() or stop.is_set():
            return
        self._nudge.wait(seconds)

    def stop(self, timeout: float = 3.0) -> None:
        self.request_stop()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("source %s did not stop within %.1fs", self.source_id, timeout)
        self._thread = None
        self.slot.close()
        self._set_state(SourceState.STOPPED)

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _thread_main(self) -> None:
        set_native_name(f"src-{self.kind}")
        while not self._stop.is_set():
            try:
                self._capture(self._stop)
                if not self._stop.is_set() and self.state is not SourceState.FAILED:
                    # The loop ended by itself (device gone, file ended without loop).
                    self._set_state(SourceState.NO_SIGNAL, self.state_message)
            except Exception as exc:  # log with traceback; keep the show going
                log.exception("source %s (%s) failed", self.source_id, self.kind)
                self._set_state(SourceState.NO_SIGNAL, str(exc))
            if self.state is SourceState.FAILED:
                break
            self._stop.wait(self.restart_delay_s())

    def restart_delay_s(self) -> float:
        return RESTART_DELAY_S

    @abstractmethod
    def _capture(self, stop: threading.Event) -> None:
        """Produce frames until ``stop`` is set; return or raise when the input is gone."""

    # -- helpers for subclasses -----------------------------------------------------------
    def _publish(self, image: np.ndarray, capture_ns: int | None = None, alpha: np.ndarray | None = None) -> None:
        self._sequence += 1
        self.frames_captured += 1
        self.slot.put(VideoFrame(image=image, capture_ns=capture_ns if capture_ns is not None else now_ns(), sequence=self._sequence, alpha=alpha))
        if self.state is not SourceState.ACTIVE:
            # After the put, so listeners reacting to ACTIVE can already read the frame.
            self._set_state(SourceState.ACTIVE)

    def _set_state(self, state: SourceState, message: str = "") -> None:
        if state is self.state and message == self.state_message:
            return
        self.state = state
        self.state_message = message
        self.state_changed.emit(source=self, state=state, message=message)

    # -- reading ---------------------------------------------------------------------------
    def latest_frame(self) -> VideoFrame | None:
        return self.slot.latest()

    @property
    def dropped_frames(self) -> int:
        return self.slot.dropped

    def natural_size(self) -> tuple[int, int] | None:
        """The source's picture size if known (for fitting a new layer)."""
        frame = self.slot.latest()
        return (frame.width, frame.height) if frame is not None else None

    def describe(self) -> dict[str, Any]:
        return {"id": self.source_id, "kind": self.kind, "name": self.name, "settings": dict(self.settings)}

    def update_settings(self, settings: dict[str, Any]) -> None:
        """Apply new settings by restarting the capture thread (cheap for every kind)."""
        was_running = self.is_running
        if was_running:
            self.stop()
            self.slot = LatestSlot(reader_paced=True)
        self.settings.update(settings)
        if was_running:
            self.start()
