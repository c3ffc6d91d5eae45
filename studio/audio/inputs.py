"""Audio inputs: what the mixer pulls one block at a time.

An input owns its channel strip settings (gain, mute, sync offset, gate, limiter) and
the processors that apply them, so the mixer only calls :meth:`AudioInput.process_block`
on its own thread.  Settings are set from any thread (the GUI's): each setter swaps a
value under a lock and emits ``changed``; the mixer thread picks the new values up at
the next block.

Signals (callbacks run on the emitting thread; ``ui/`` must forward them queued):

* ``levels.emit(input=, peak_dbfs=, rms_dbfs=)`` once per processed block (50/s at 20 ms).
* ``state_changed.emit(input=, state=, message=)`` when :class:`InputState` changes.
* ``changed.emit(input=, param=)`` after a setting changed (``param`` is its name).
"""
from __future__ import annotations

import collections
import enum
import logging
import math
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, replace
from typing import Any, Callable, ClassVar

import numpy as np

from studio.audio import devices
from studio.audio.dsp import (
    MAX_SYNC_OFFSET_MS,
    SILENT_LEVELS,
    DelayLine,
    GateSettings,
    Levels,
    Limiter,
    LimiterSettings,
    NoiseGate,
    SmoothGain,
    db_to_gain,
    measure_levels,
    silence,
)
from studio.audio.monitor import MonitorTap
from studio.audio.ring import SampleRing
from studio.core.clock import NS_PER_S, now_ns
from studio.core.errors import AudioDeviceError
from studio.core.events import Signal
from studio.core.i18n import _

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
CHANNELS = 2
GAIN_DB_MIN = -60.0
GAIN_DB_MAX = 24.0
ERROR_LOG_INTERVAL_S = 10


class InputState(str, enum.Enum):
    STOPPED = "stopped"
    ACTIVE = "active"
    NO_DEVICE = "no_device"  # device missing or lost: silence flows, reopening in the background


class AudioInput(ABC):
    """Base of every audio input: channel-strip settings, meter, state, and the pull."""

    kind: ClassVar[str] = ""

    def __init__(
        self,
        input_id: str,
        name: str,
        *,
        sample_rate: int = SAMPLE_RATE,
        gain_db: float = 0.0,
        is_muted: bool = False,
        sync_offset_ms: float = 0.0,
        gate: GateSettings | None = None,
        limiter: LimiterSettings | None = None,
        is_monitored: bool = False,
    ) -> None:
        self.input_id = str(input_id)
        self.sample_rate = int(sample_rate)
        self.levels = Signal()
        self.state_changed = Signal()
        self.changed = Signal()
        self.state = InputState.STOPPED
        self.state_message = ""
        self.last_levels: Levels = SILENT_LEVELS
        self.underruns = 0  # blocks that came out (partly) silent for lack of audio
        self.read_errors = 0  # blocks replaced by silence because reading raised
        self._last_error_log_ns = -ERROR_LOG_INTERVAL_S * NS_PER_S
        self._lock = threading.Lock()
        self._name = str(name)
        self._gain_db = _clamp_gain_db(gain_db)
        self._is_muted = bool(is_muted)
        self._sync_offset_ms = _clamp_sync_offset_ms(sync_offset_ms)
        self._gate = (gate or GateSettings()).validated()
        self._limiter = (limiter or LimiterSettings(is_enabled=False)).validated()
        # Processors: touched only by the thread that calls process_block (the mixer's).
        self._delay = DelayLine(self.sample_rate, CHANNELS)
        self._fader = SmoothGain(db_to_gain(self._gain_db))
        self._mute = SmoothGain(0.0 if self._is_muted else 1.0)
        self._noise_gate = NoiseGate(self.sample_rate, self._gate)
        self._peak_limiter = Limiter(self.sample_rate, self._limiter)
        # "Monitor": every kind of input can also be heard on this computer's output (headphones);
        # the hand-off is a copy into a small ring, so the monitor never holds the mixer up.
        self.monitor_tap = MonitorTap(self, is_monitored)

    # -- settings (any thread) ---------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, name: str) -> None:
        self._set("_name", str(name), "name")

    @property
    def gain_db(self) -> float:
        return self._gain_db

    @gain_db.setter
    def gain_db(self, gain_db: float) -> None:
        """Fader gain in dB, clamped to [GAIN_DB_MIN, GAIN_DB_MAX]."""
        self._set("_gain_db", _clamp_gain_db(gain_db), "gain_db")

    @property
    def is_muted(self) -> bool:
        return self._is_muted

    @is_muted.setter
    def is_muted(self, is_muted: bool) -> None:
        self._set("_is_muted", bool(is_muted), "is_muted")

    @property
    def sync_offset_ms(self) -> float:
        return self._sync_offset_ms

    @sync_offset_ms.setter
    def sync_offset_ms(self, sync_offset_ms: float) -> None:
        """Delay this input by 0..2000 ms to line it up with late video."""
        self._set("_sync_offset_ms", _clamp_sync_offset_ms(sync_offset_ms), "sync_offset_ms")

    @property
    def gate(self) -> GateSettings:
        return self._gate

    @gate.setter
    def gate(self, gate: GateSettings) -> None:
        self._set("_gate", gate.validated(), "gate")

    def update_gate(self, **fields: Any) -> GateSettings:
        """Change some gate fields, e.g. ``update_gate(is_enabled=True, threshold_db=-40)``."""
        with self._lock:
            gate = replace(self._gate, **fields).validated()
        self.gate = gate
        return gate

    @property
    def limiter(self) -> LimiterSettings:
        return self._limiter

    @limiter.setter
    def limiter(self, limiter: LimiterSettings) -> None:
        self._set("_limiter", limiter.validated(), "limiter")

    def update_limiter(self, **fields: Any) -> LimiterSettings:
        """Change some limiter fields, e.g. ``update_limiter(ceiling_dbfs=-3)``."""
        with self._lock:
            limiter = replace(self._limiter, **fields).validated()
        self.limiter = limiter
        return limiter

    def _set(self, attribute: str, value: Any, param: str) -> None:
        with self._lock:
            if getattr(self, attribute) == value:
                return
            setattr(self, attribute, value)
        self.changed.emit(input=self, param=param)

    def describe(self) -> dict[str, Any]:
        """Settings as plain data (for saving a scene collection)."""
        with self._lock:
            return {
                "id": self.input_id,
                "kind": self.kind,
                "name": self._name,
                "gain_db": self._gain_db,
                "is_muted": self._is_muted,
                "sync_offset_ms": self._sync_offset_ms,
                "gate": asdict(self._gate),
                "limiter": asdict(self._limiter),
                "is_monitored": self.monitor_tap.is_monitored,
            }

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Begin producing audio (idempotent)."""
        self._set_state(InputState.ACTIVE)

    def stop(self) -> None:
        """Stop producing audio and join any thread (idempotent)."""
        self._set_state(InputState.STOPPED)

    def _set_state(self, state: InputState, message: str = "") -> None:
        with self._lock:
            if state is self.state and message == self.state_message:
                return
            self.state = state
            self.state_message = message
        self.state_changed.emit(input=self, state=state, message=message)

    # -- the pull (mixer thread) -------------------------------------------------------------
    @abstractmethod
    def read_block(self, frames: int) -> np.ndarray:
        """Raw input audio, ``(frames, 2)`` float32; silence when there is not enough."""

    def process_block(self, frames: int) -> np.ndarray:
        """Pull one block through the strip: sync delay → gain → gate → limiter → mute → meter.

        Called by the mixer thread only.  Never raises for a broken input: it logs and
        gives silence.
        """
        with self._lock:
            gain = db_to_gain(self._gain_db)
            mute_gain = 0.0 if self._is_muted else 1.0
            sync_offset_ms = self._sync_offset_ms
            self._noise_gate.settings = self._gate
            self._peak_limiter.settings = self._limiter
        try:
            block = self.read_block(frames)
            if block.shape != (frames, CHANNELS):
                raise ValueError(f"read_block gave {block.shape}, expected {(frames, CHANNELS)}")
        except Exception:
            self.read_errors += 1
            if now_ns() - self._last_error_log_ns >= ERROR_LOG_INTERVAL_S * NS_PER_S:
                # 50 failures a second would bury the log: one traceback per interval.
                self._last_error_log_ns = now_ns()
                log.exception("audio input %s failed to read (%d times); using silence", self.input_id, self.read_errors)
            block = silence(frames)
        if self._delay.delay_ms != sync_offset_ms:
            self._delay.delay_ms = sync_offset_ms
        block = self._delay.process(block)
        block = self._fader.process(block, gain)
        block = self._noise_gate.process(block)
        block = self._peak_limiter.process(block)
        block = self._mute.process(block, mute_gain)
        block = np.clip(block, -1.0, 1.0).astype(np.float32, copy=False)
        levels = measure_levels(block)
        self.last_levels = levels
        self.levels.emit(input=self, peak_dbfs=levels.peak_dbfs, rms_dbfs=levels.rms_dbfs)
        self.monitor_tap.offer(block)
        return block

    @property
    def gate_is_open(self) -> bool:
        """Whether the gate currently lets audio through (for a UI indicator)."""
        return self._noise_gate.is_open

    @property
    def limiter_reduction_db(self) -> float:
        """How much the limiter is pulling the level down right now (dB, >= 0)."""
        return self._peak_limiter.gain_reduction_db

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.input_id!r} {self.state.value}>"


class ToneInput(AudioInput):
    """A stereo test tone: a sine of ``frequency_hz`` peaking at ``level_dbfs``."""

    kind = "tone"

    def __init__(
        self,
        input_id: str,
        name: str,
        *,
        frequency_hz: float = 1000.0,
        level_dbfs: float = -12.0,
        **strip: Any,
    ) -> None:
        super().__init__(input_id, name, **strip)
        self._frequency_hz = _clamp_frequency_hz(frequency_hz, self.sample_rate)
        self._level_dbfs = min(0.0, float(level_dbfs))
        self._phase = 0.0  # radians at the next sample; continuous across blocks

    @property
    def frequency_hz(self) -> float:
        return self._frequency_hz

    @frequency_hz.setter
    def frequency_hz(self, frequency_hz: float) -> None:
        self._set("_frequency_hz", _clamp_frequency_hz(frequency_hz, self.sample_rate), "frequency_hz")

    @property
    def level_dbfs(self) -> float:
        return self._level_dbfs

    @level_dbfs.setter
    def level_dbfs(self, level_dbfs: float) -> None:
        self._set("_level_dbfs", min(0.0, float(level_dbfs)), "level_dbfs")

    def describe(self) -> dict[str, Any]:
        return dict(super().describe(), frequency_hz=self._frequency_hz, level_dbfs=self._level_dbfs)

    def read_block(self, frames: int) -> np.ndarray:
        if self.state is not InputState.ACTIVE:
            return silence(frames)
        step = 2.0 * math.pi * self._frequency_hz / self.sample_rate
        phases = self._phase + step * np.arange(frames, dtype=np.float64)
        self._phase = float((self._phase + step * frames) % (2.0 * math.pi))
        mono = (db_to_gain(self._level_dbfs) * np.sin(phases)).astype(np.float32)
        return np.repeat(mono[:, None], CHANNELS, axis=1)


class ClickInput(AudioInput):
    """A click track for A/V sync tests: a ``burst_ms`` burst of ``frequency_hz`` at every whole
    second of the wall clock (``time.time()``), each burst starting at phase 0.

    A receiver compares the audio timestamp of a click's onset with the wall second it stands
    for, as it compares a video frame's timestamp with the time-code strip's capture time.  So
    the onset must sit where the mixer's stamp says that second is: the mixer stamps its block
    ``k`` ``capture_ns = start + k * block`` (media clock) and mixes it no earlier than one block
    after that (its ticker never wakes early).  The input does not see the stamp; it recovers
    the mixer's grid as the smallest ``read time - samples read so far`` over the last
    ``GRID_WINDOW_READS`` reads (good to the ticker's wake-up latency, ~0.1 ms), and converts
    media time to wall time with the same offset :func:`studio.core.clock.media_to_wall_ms`
    uses.  The sliding window lets the grid follow blocks the mixer skipped (> 100 ms late).

    ``media_ns``/``wall_ns`` replace the two clocks (tests).
    """

    kind = "click"
    GRID_WINDOW_READS = 50  # one second of 20 ms blocks

    def __init__(
        self,
        input_id: str,
        name: str,
        *,
        frequency_hz: float = 1000.0,
        burst_ms: float = 20.0,
        level_dbfs: float = -6.0,
        media_ns: Callable[[], int] | None = None,
        wall_ns: Callable[[], int] | None = None,
        **strip: Any,
    ) -> None:
        super().__init__(input_id, name, **strip)
        self._frequency_hz = _clamp_frequency_hz(frequency_hz, self.sample_rate)
        self._burst_ms = min(500.0, max(1.0, float(burst_ms)))
        self._level_dbfs = min(0.0, float(level_dbfs))
        self._media_ns = media_ns or now_ns
        self._wall_ns = wall_ns or time.time_ns
        self._samples_read = 0  # since the input became active: our count of the mixer's blocks
        self._grid_candidates: collections.deque[int] = collections.deque(maxlen=self.GRID_WINDOW_READS)

    @property
    def frequency_hz(self) -> float:
        return self._frequency_hz

    @property
    def burst_ms(self) -> float:
        return self._burst_ms

    @property
    def level_dbfs(self) -> float:
        return self._level_dbfs

    def describe(self) -> dict[str, Any]:
        return dict(super().describe(), frequency_hz=self._frequency_hz, burst_ms=self._burst_ms,
                    level_dbfs=self._level_dbfs)

    def start(self) -> None:
        self._samples_read = 0
        self._grid_candidates.clear()
        super().start()

    def block_start_ns(self, frames: int) -> int:
        """Media-clock time of the first sample of the block being read now (the mixer's stamp)."""
        read_ns = self._media_ns()
        end_samples = self._samples_read + frames
        # This block ends ``end_samples`` after the grid's origin and is read no earlier than its end.
        self._grid_candidates.append(read_ns - end_samples * NS_PER_S // self.sample_rate)
        origin_ns = min(self._grid_candidates)
        return origin_ns + self._samples_read * NS_PER_S // self.sample_rate

    def read_block(self, frames: int) -> np.ndarray:
        if self.state is not InputState.ACTIVE:
            return silence(frames)
        start_ns = self.block_start_ns(frames)
        wall_minus_media_ns = self._wall_ns() - self._media_ns()
        self._samples_read += frames
        # Time of each sample since its wall-clock second (ns, float64: exact enough below 1 s).
        first_ns = (start_ns + wall_minus_media_ns) % NS_PER_S
        since_second_ns = (first_ns + np.arange(frames, dtype=np.float64) * (NS_PER_S / self.sample_rate)) % NS_PER_S
        is_burst = since_second_ns < self._burst_ms * 1e6
        mono = np.where(
            is_burst,
            db_to_gain(self._level_dbfs) * np.sin(2.0 * math.pi * self._frequency_hz * since_second_ns / NS_PER_S),
            0.0,
        ).astype(np.float32)
        return np.repeat(mono[:, None], CHANNELS, axis=1)


class DeviceInput(AudioInput):
    """A capture device through PortAudio at 48 kHz; mono devices are upmixed to stereo.

    The PortAudio callback writes into a bounded :class:`SampleRing`; the mixer reads
    from it.  Reading starts once ``latency_ms`` of audio is buffered (absorbing callback
    jitter) and audio beyond ``latency_ms + MAX_EXCESS_LATENCY_MS`` is skipped so latency
    cannot creep up.  A supervisor thread opens the device, notices loss (PortAudio
    stopped the stream, or no audio for ``stall_timeout_s``) and retries every
    ``retry_interval_s``; meanwhile the input reads silence in state ``NO_DEVICE``.
    """

    kind = "device"
    MAX_EXCESS_LATENCY_MS = 100.0
    BUFFER_MS = 500.0

    def __init__(
        self,
        input_id: str,
        name: str,
        *,
        device_id: str | None = None,
        latency_ms: float = 40.0,
        retry_interval_s: float = 1.0,
        stall_timeout_s: float = 3.0,
        **strip: Any,
    ) -> None:
        super().__init__(input_id, name, **strip)
        self.device_id = device_id  # a name from list_input_devices(); None = system default
        self.latency_ms = float(latency_ms)
        self.retry_interval_s = float(retry_interval_s)
        self.stall_timeout_s = float(stall_timeout_s)
        self.device_channels = 0  # channels the open device delivers (1 = upmixed mono)
        self.reconnects = 0  # successful opens after the first
        self._ring = SampleRing(int(self.BUFFER_MS * self.sample_rate / 1000), CHANNELS)
        self._is_primed = False
        self.skipped_frames = 0  # audio dropped to keep latency bounded
        self.device_overflows = 0  # callbacks where PortAudio reported lost input
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stream: devices.InputStreamHandle | None = None
        self._is_lost = threading.Event()
        self._last_callback_ns = 0
        self._callback_count = 0
        self._opened_count = 0

    def describe(self) -> dict[str, Any]:
        return dict(super().describe(), device_id=self.device_id)

    @property
    def overflow_frames(self) -> int:
        """Audio overwritten because the mixer did not read it in time."""
        return self._ring.overflow_frames

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._supervise, name=f"audio-device:{self.input_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
            if thread.is_alive():
                log.warning("audio input %s did not stop within %.1fs", self.input_id, timeout_s)
        self._thread = None
        self._close_stream()
        self._ring.clear()
        self._is_primed = False
        self._set_state(InputState.STOPPED)

    # -- supervisor thread -------------------------------------------------------------------
    def _supervise(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    if self._stream is None:
                        if not self._open():
                            self._stop.wait(self.retry_interval_s)
                            continue
                    self._stop.wait(0.05)
                    self._watch()
                except Exception:  # unexpected: log it, report it, and keep retrying
                    log.exception("audio input %s supervisor failed", self.input_id)
                    self._close_stream()
                    self._set_state(InputState.NO_DEVICE, _("The audio input hit an internal error. Retrying…"))
                    self._stop.wait(self.retry_interval_s)
        finally:
            self._close_stream()

    def _open(self) -> bool:
        self._is_lost.clear()
        self._ring.clear()
        self._is_primed = False
        try:
            stream = devices.open_input_stream(
                self.device_id, self.sample_rate, self._callback, self._finished_callback, max_channels=CHANNELS
            )
        except AudioDeviceError as exc:
            self._set_state(InputState.NO_DEVICE, _("{error} Retrying…").format(error=exc.message))
            return False
        self._stream = stream
        self.device_channels = stream.channels
        self._last_callback_ns = now_ns()  # the stall clock starts at open
        self._opened_count += 1
        if self._opened_count > 1:
            self.reconnects += 1
        log.info("audio input %s opened %s (%d ch)", self.input_id, stream.device_name, stream.channels)
        return True

    def _watch(self) -> None:
        stream = self._stream
        if stream is None:
            return
        silent_ns = now_ns() - self._last_callback_ns
        if self._is_lost.is_set() or not stream.is_active:
            reason = _("Audio device “{name}” was disconnected. Reconnecting…").format(name=stream.device_name)
        elif silent_ns > self.stall_timeout_s * NS_PER_S:
            reason = _("Audio device “{name}” stopped delivering sound. Reconnecting…").format(name=stream.device_name)
        else:
            if self._callback_count > 0 and silent_ns < NS_PER_S:
                self._set_state(InputState.ACTIVE)
            return
        log.warning("audio input %s lost its device: %s", self.input_id, reason)
        self._close_stream()
        self._set_state(InputState.NO_DEVICE, reason)

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()
        self._callback_count = 0

    # -- PortAudio callback thread -----------------------------------------------------------
    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        # Runs on PortAudio's thread: copy and return, nothing else.
        if status and status.input_overflow:
            self.device_overflows += 1
        if indata.shape[1] == 1:
            self._ring.write(np.repeat(indata, CHANNELS, axis=1))
        else:
            self._ring.write(indata[:, :CHANNELS])
        self._last_callback_ns = now_ns()
        self._callback_count += 1

    def _finished_callback(self) -> None:
        self._is_lost.set()

    # -- the pull (mixer thread) -------------------------------------------------------------
    def read_block(self, frames: int) -> np.ndarray:
        """Buffered device audio; silence while priming, after loss, or on underrun."""
        if self.state is not InputState.ACTIVE:
            if self._ring.available_frames > self._ring.capacity_frames // 2:
                self._ring.discard(self._ring.available_frames)  # nobody reads until active
            return silence(frames)
        latency_frames = int(self.latency_ms * self.sample_rate / 1000)
        available = self._ring.available_frames
        if not self._is_primed:
            if available < frames + latency_frames:
                return silence(frames)
            self._is_primed = True
        excess_frames = int(self.MAX_EXCESS_LATENCY_MS * self.sample_rate / 1000)
        if available > frames + latency_frames + excess_frames:
            # Latency crept up (a stall, or the device clock runs fast): back to the target.
            self.skipped_frames += self._ring.discard(available - frames - latency_frames)
        block = self._ring.read(frames)
        if block.shape[0] < frames:
            # Underrun: pad this block, then wait for the buffer to refill before reading on.
            self.underruns += 1
            self._is_primed = False
            block = np.concatenate([block, silence(frames - block.shape[0])])
        return block


INPUT_KINDS: dict[str, type[AudioInput]] = {
    ToneInput.kind: ToneInput, ClickInput.kind: ClickInput, DeviceInput.kind: DeviceInput}


def create_input(kind: str, input_id: str, name: str, **settings: Any) -> AudioInput:
    """Factory: ``create_input("device", "mic1", "Mic", device_id="pulse", gain_db=3)``."""
    try:
        cls = INPUT_KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown audio input kind {kind!r}; known: {sorted(INPUT_KINDS)}") from None
    if "gate" in settings and isinstance(settings["gate"], dict):
        settings["gate"] = GateSettings(**settings["gate"])
    if "limiter" in settings and isinstance(settings["limiter"], dict):
        settings["limiter"] = LimiterSettings(**settings["limiter"])
    return cls(input_id, name, **settings)


def _clamp_gain_db(gain_db: float) -> float:
    gain_db = float(gain_db)
    if math.isnan(gain_db):
        raise ValueError("gain_db must be a number, got NaN")
    return min(GAIN_DB_MAX, max(GAIN_DB_MIN, gain_db))


def _clamp_sync_offset_ms(sync_offset_ms: float) -> float:
    sync_offset_ms = float(sync_offset_ms)
    if math.isnan(sync_offset_ms):
        raise ValueError("sync_offset_ms must be a number, got NaN")
    return min(MAX_SYNC_OFFSET_MS, max(0.0, sync_offset_ms))


def _clamp_frequency_hz(frequency_hz: float, sample_rate: int) -> float:
    frequency_hz = float(frequency_hz)
    if math.isnan(frequency_hz):
        raise ValueError("frequency_hz must be a number, got NaN")
    return min(sample_rate / 2.0, max(1.0, frequency_hz))
