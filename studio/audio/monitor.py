"""Monitoring: chosen inputs' sound on this computer's default output device (headphones).

Each input that can be monitored carries a :class:`MonitorTap`.  While its ``is_monitored``
flag is on, the mixer thread copies the strip's processed block into that input's small
ring here — a lock and a copy, never a wait — and PortAudio's output callback sums the rings.
A supervisor thread opens the default output device while any input is monitored, notices
when the stream dies (device unplugged, PortAudio re-initialised) and reopens it; without a
device the state says so in words and the show goes on.
"""
from __future__ import annotations

import enum
import logging
import threading
from typing import Any

import numpy as np

from studio.audio.ring import SampleRing
from studio.core.events import Signal
from studio.core.i18n import _

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
CHANNELS = 2
# Each monitored input's queue: a few mixer blocks.  When the device reads slower than the
# mixer writes, the oldest sound is dropped, so the monitor's delay cannot creep up.
RING_MS = 120
RETRY_INTERVAL_S = 2.0
WATCH_INTERVAL_S = 0.2


class MonitorState(str, enum.Enum):
    OFF = "off"  # nothing monitored
    ACTIVE = "active"
    NO_DEVICE = "no_device"  # no output device (message says why); retried in the background


class MonitorOutput:
    """The monitor bus: the sum of every monitored input, played on the default output."""

    def __init__(self, sample_rate: int = SAMPLE_RATE, device: Any = None) -> None:
        self.sample_rate = int(sample_rate)
        self.device = device  # a PortAudio device (index or name); None: the system default
        self.state = MonitorState.OFF
        self.state_message = ""
        self.state_changed = Signal()  # emit(monitor=, state=, message=)
        self.callbacks = 0
        self.underruns = 0
        self._rings: dict[str, SampleRing] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stream: Any = None

    # -- inputs (any thread) ---------------------------------------------------------------
    @property
    def monitored_ids(self) -> list[str]:
        with self._lock:
            return list(self._rings)

    def set_monitored(self, input_id: str, is_monitored: bool) -> None:
        """Start or stop monitoring an input; opens or closes the device in the background."""
        with self._lock:
            if is_monitored and input_id not in self._rings:
                self._rings[input_id] = SampleRing(self.sample_rate * RING_MS // 1000, CHANNELS)
            elif not is_monitored:
                self._rings.pop(input_id, None)
            wanted = bool(self._rings)
        if wanted:
            self._ensure_thread()
        self._wake.set()

    def write(self, input_id: str, block: np.ndarray) -> None:
        """The mixer thread hands over one processed block of a monitored input."""
        ring = self._rings.get(input_id)
        if ring is not None:
            ring.write(block)

    # -- lifecycle -------------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is not None:  # the supervisor clears this itself, under the lock, as it ends
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._supervise, name="audio-monitor", daemon=True)
            self._thread.start()

    def close(self, timeout_s: float = 3.0) -> None:
        """Stop monitoring everything and join the supervisor (idempotent)."""
        with self._lock:
            self._rings.clear()
            thread = self._thread
        self._stop.set()
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
        self._set_state(MonitorState.OFF)

    def _supervise(self) -> None:
        try:
            while not self._stop.is_set():
                with self._lock:
                    wanted = bool(self._rings)
                if not wanted:
                    self._close_stream()
                    self._set_state(MonitorState.OFF)
                    with self._lock:
                        if not self._rings:  # still nothing to monitor: end (a later request starts anew)
                            self._thread = None
                            return
                    continue
                if self._stream is None:
                    if not self._open():
                        self._wake.clear()
                        self._stop.wait(RETRY_INTERVAL_S)
                        continue
                elif not self._stream_is_active():
                    log.warning("monitor output stopped; reopening")
                    self._close_stream()
                    continue
                self._wake.wait(WATCH_INTERVAL_S)
                self._wake.clear()
            self._close_stream()
        except Exception:  # unexpected: say so in words; the show goes on without monitoring
            log.exception("audio monitor failed")
            self._close_stream()
            self._set_state(MonitorState.NO_DEVICE, _("Monitoring stopped after an internal error."))
        with self._lock:
            if self._thread is threading.current_thread():
                self._thread = None

    def _open(self) -> bool:
        try:
            import sounddevice
        except (OSError, ImportError):
            self._set_state(MonitorState.NO_DEVICE, _(
                "Monitoring is unavailable: the PortAudio library is missing (install libportaudio2)."))
            return False
        try:
            stream = sounddevice.OutputStream(
                samplerate=self.sample_rate, channels=CHANNELS, dtype="float32", device=self.device,
                callback=self._callback, latency="low",
            )
            stream.start()
        except Exception as exc:  # PortAudioError, ValueError (no default device): both mean "no device"
            log.info("monitor output unavailable: %s", exc)
            self._set_state(MonitorState.NO_DEVICE, _(
                "No sound output device for monitoring ({reason}). Retrying…").format(reason=exc))
            return False
        self._stream = stream
        self._set_state(MonitorState.ACTIVE)
        return True

    def _stream_is_active(self) -> bool:
        try:
            return bool(self._stream is not None and self._stream.active)
        except Exception:
            return False

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.close(ignore_errors=True)
        except Exception:  # a stream whose device vanished may fail to close: it is gone anyway
            log.debug("closing the monitor stream failed", exc_info=True)

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        # PortAudio's thread: sum what each ring has, never wait.
        outdata.fill(0.0)
        self.callbacks += 1
        for ring in list(self._rings.values()):
            chunk = ring.read(frames)
            if chunk.shape[0] < frames:
                self.underruns += 1
            outdata[:chunk.shape[0]] += chunk
        np.clip(outdata, -1.0, 1.0, out=outdata)

    def _set_state(self, state: MonitorState, message: str = "") -> None:
        with self._lock:
            if state is self.state and message == self.state_message:
                return
            self.state, self.state_message = state, message
        self.state_changed.emit(monitor=self, state=state, message=message)


class MonitorTap:
    """An input's "Monitor" switch and its hand-off to the show's :class:`MonitorOutput`."""

    def __init__(self, audio_input: Any, is_monitored: bool = False) -> None:
        self._input = audio_input
        self._is_monitored = bool(is_monitored)
        self._output: MonitorOutput | None = None

    @property
    def is_monitored(self) -> bool:
        return self._is_monitored

    @is_monitored.setter
    def is_monitored(self, is_monitored: bool) -> None:
        is_monitored = bool(is_monitored)
        if is_monitored == self._is_monitored:
            return
        self._is_monitored = is_monitored
        if self._output is not None:
            self._output.set_monitored(self._input.input_id, is_monitored)
        self._input.changed.emit(input=self._input, param="is_monitored")

    @property
    def output(self) -> MonitorOutput | None:
        return self._output

    def connect(self, output: MonitorOutput | None) -> None:
        """Hand monitored sound to ``output`` (``None``: nowhere, e.g. the input left the show)."""
        previous, self._output = self._output, output
        if previous is not None and previous is not output:
            previous.set_monitored(self._input.input_id, False)
        if output is not None and self._is_monitored:
            output.set_monitored(self._input.input_id, True)

    def offer(self, block: np.ndarray) -> None:
        output = self._output
        if self._is_monitored and output is not None:
            output.write(self._input.input_id, block)
