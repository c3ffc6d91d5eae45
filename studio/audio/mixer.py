"""The audio mixer: a clock-driven thread that pulls every input once per block.

Per block (20 ms = 960 frames at 48 kHz): each input's strip (sync delay → gain → gate →
limiter → mute → meter, see :meth:`AudioInput.process_block`), the sum, master gain,
master limiter, master meter, then one :class:`AudioBlock` to every subscriber.

Timestamps: ``pts_samples`` counts frames since :meth:`AudioMixer.start` (the encoders'
timeline; consecutive blocks differ by exactly ``frames_per_block``), ``capture_ns`` is
the media-clock time (:func:`studio.core.clock.now_ns`) of the block's first sample on that
same timeline.  While nobody subscribes and no input is monitored, the thread wakes every
``IDLE_WAKE_MS`` and mixes the blocks due as one (the inputs and meters see one longer block);
with a subscriber it wakes every block, so an output's audio waits no longer than before.
When the thread wakes late it mixes the missed blocks at once (up to ``MAX_CATCH_UP_BLOCKS``)
so audio keeps pace with the clock; beyond that the missed time becomes a gap in
``pts_samples`` and is counted in ``skipped_blocks``.

Signals (run on the mixer thread; ``ui/`` forwards them queued):

* ``levels.emit(mixer=, peak_dbfs=, rms_dbfs=)``: master meter, once per block (while no
  output, recorder or monitor takes blocks, once per ``IDLE_WAKE_MS`` over the blocks mixed then).
* ``changed.emit(mixer=, change=, input=, param=)``: ``change`` is ``"added"``,
  ``"removed"`` or ``"param"``; ``input`` is ``None`` for master settings
  (``param`` ``"master_gain_db"``/``"master_is_muted"``/``"master_limiter"``).
"""
from __future__ import annotations

import collections
import logging
import threading
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from studio.audio.dsp import (
    SILENT_LEVELS,
    Levels,
    Limiter,
    LimiterSettings,
    SmoothGain,
    db_to_gain,
    measure_levels,
)
from studio.audio.inputs import CHANNELS, AudioInput, _clamp_gain_db
from studio.core.clock import NS_PER_MS, NS_PER_S, Ticker, now_ns
from studio.core.events import Signal
from studio.core.threads import set_native_name

log = logging.getLogger(__name__)

MAX_CATCH_UP_BLOCKS = 5
# While no output, recorder or monitor takes the mixed blocks (only the meters look), the thread
# wakes this often and mixes the blocks due since as one: waking 50 times a second cost the idle
# app about as much as the mixing.  The meters still get 25 fresh levels a second.
IDLE_WAKE_MS = 40


@dataclass(frozen=True)
class AudioBlock:
    """One mixed block: ``samples`` is ``(frames, 2)`` float32 in [-1, 1], read-only
    (shared by all subscribers)."""

    samples: np.ndarray
    pts_samples: int
    capture_ns: int
    sample_rate: int = 48_000

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_ns(self) -> int:
        return self.frames * NS_PER_S // self.sample_rate


class AudioSubscription:
    """A bounded queue of mixed blocks for one consumer; the oldest block is dropped
    (and counted in ``dropped_blocks``) when the consumer falls behind."""

    def __init__(self, max_blocks: int = 50) -> None:
        if max_blocks <= 0:
            raise ValueError("max_blocks must be positive")
        self.max_blocks = int(max_blocks)
        self.dropped_blocks = 0
        self._blocks: collections.deque[AudioBlock] = collections.deque(maxlen=self.max_blocks)
        self._condition = threading.Condition()
        self._is_closed = False

    def put(self, block: AudioBlock) -> None:
        with self._condition:
            if self._is_closed:
                return
            if len(self._blocks) == self.max_blocks:
                self.dropped_blocks += 1
            self._blocks.append(block)
            self._condition.notify()

    def get(self, timeout: float | None = None) -> AudioBlock | None:
        """The oldest pending block; waits up to ``timeout`` seconds (``None`` = forever).

        Returns ``None`` on timeout or once the subscription is closed and drained.
        """
        with self._condition:
            if not self._condition.wait_for(lambda: self._blocks or self._is_closed, timeout):
                return None
            return self._blocks.popleft() if self._blocks else None

    @property
    def pending_blocks(self) -> int:
        with self._condition:
            return len(self._blocks)

    @property
    def is_closed(self) -> bool:
        return self._is_closed

    def close(self) -> None:
        """Stop receiving blocks and wake a waiting ``get``."""
        with self._condition:
            self._is_closed = True
            self._condition.notify_all()


class AudioMixer:
    """Mixes the inputs on its own clock-driven thread and hands blocks to subscribers."""

    def __init__(self, sample_rate: int = 48_000, block_ms: int = 20) -> None:
        if sample_rate <= 0 or block_ms <= 0:
            raise ValueError("sample_rate and block_ms must be positive")
        if (sample_rate * block_ms) % 1000:
            raise ValueError("block_ms must be a whole number of samples")
        self.sample_rate = int(sample_rate)
        self.block_ms = int(block_ms)
        self.frames_per_block = self.sample_rate * self.block_ms // 1000
        self.levels = Signal()
        self.changed = Signal()
        self.last_levels: Levels = SILENT_LEVELS
        self.blocks_mixed = 0
        self.skipped_blocks = 0  # blocks never mixed because the thread was far too late
        self._lock = threading.Lock()
        self._inputs: list[AudioInput] = []
        self._subscriptions: list[AudioSubscription] = []
        self._master_gain_db = 0.0
        self._master_is_muted = False
        self._master_limiter_settings = LimiterSettings().validated()
        self._master_fader = SmoothGain(1.0)
        self._master_mute = SmoothGain(1.0)
        self._master_limiter = Limiter(self.sample_rate, self._master_limiter_settings)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Set under the lock from start() to stop(): an input added meanwhile starts itself, also one
        # added while start() is still starting the others (the thread is not alive yet then).
        self._is_started = False
        self._pts_samples = 0
        self._start_ns = 0

    # -- inputs ------------------------------------------------------------------------------
    @property
    def inputs(self) -> list[AudioInput]:
        """The inputs in mixing order (a copy)."""
        with self._lock:
            return list(self._inputs)

    def get_input(self, input_id: str) -> AudioInput | None:
        with self._lock:
            return next((inp for inp in self._inputs if inp.input_id == input_id), None)

    def add_input(self, audio_input: AudioInput) -> AudioInput:
        """Add an input (started at once if the mixer runs).  Ids must be unique."""
        if audio_input.sample_rate != self.sample_rate:
            raise ValueError(f"input runs at {audio_input.sample_rate} Hz, the mixer at {self.sample_rate} Hz")
        with self._lock:
            if any(inp.input_id == audio_input.input_id for inp in self._inputs):
                raise ValueError(f"an audio input with id {audio_input.input_id!r} already exists")
            self._inputs.append(audio_input)
            is_running = self._is_started
        audio_input.changed.connect(self._on_input_changed)
        if is_running:
            audio_input.start()
        self.changed.emit(mixer=self, change="added", input=audio_input, param=None)
        return audio_input

    def remove_input(self, audio_input: AudioInput | str) -> AudioInput | None:
        """Remove (and stop) an input given by object or id; returns it, or ``None``."""
        with self._lock:
            if isinstance(audio_input, str):
                found = next((inp for inp in self._inputs if inp.input_id == audio_input), None)
            else:
                found = audio_input if audio_input in self._inputs else None
            if found is None:
                return None
            self._inputs.remove(found)
        found.changed.disconnect(self._on_input_changed)
        found.stop()
        self.changed.emit(mixer=self, change="removed", input=found, param=None)
        return found

    def _on_input_changed(self, input: AudioInput, param: str) -> None:  # noqa: A002 (signal keyword)
        self.changed.emit(mixer=self, change="param", input=input, param=param)

    # -- master ------------------------------------------------------------------------------
    @property
    def master_gain_db(self) -> float:
        return self._master_gain_db

    @master_gain_db.setter
    def master_gain_db(self, gain_db: float) -> None:
        self._set_master("_master_gain_db", _clamp_gain_db(gain_db), "master_gain_db")

    @property
    def master_is_muted(self) -> bool:
        return self._master_is_muted

    @master_is_muted.setter
    def master_is_muted(self, is_muted: bool) -> None:
        self._set_master("_master_is_muted", bool(is_muted), "master_is_muted")

    @property
    def master_limiter(self) -> LimiterSettings:
        return self._master_limiter_settings

    @master_limiter.setter
    def master_limiter(self, limiter: LimiterSettings) -> None:
        self._set_master("_master_limiter_settings", limiter.validated(), "master_limiter")

    def update_master_limiter(self, **fields: Any) -> LimiterSettings:
        """Change some master limiter fields, e.g. ``update_master_limiter(ceiling_dbfs=-2)``."""
        with self._lock:
            limiter = replace(self._master_limiter_settings, **fields).validated()
        self.master_limiter = limiter
        return limiter

    def _set_master(self, attribute: str, value: Any, param: str) -> None:
        with self._lock:
            if getattr(self, attribute) == value:
                return
            setattr(self, attribute, value)
        self.changed.emit(mixer=self, change="param", input=None, param=param)

    # -- subscribers -------------------------------------------------------------------------
    def subscribe(self, max_blocks: int = 50) -> AudioSubscription:
        """A new queue that receives every mixed block from now on."""
        subscription = AudioSubscription(max_blocks)
        with self._lock:
            self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: AudioSubscription) -> None:
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)
        subscription.close()

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the inputs and the mixing thread; ``pts_samples`` restarts at 0."""
        with self._lock:
            if self._is_started:
                return
            self._is_started = True
            inputs = list(self._inputs)
        for audio_input in inputs:
            audio_input.start()
        self._stop.clear()
        self._pts_samples = 0
        self._thread = threading.Thread(target=self._run, name="audio-mixer", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        """Stop the thread and every input, joining their threads (idempotent)."""
        with self._lock:
            self._is_started = False
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
            if thread.is_alive():
                log.warning("audio mixer did not stop within %.1fs", timeout_s)
        self._thread = None
        for audio_input in self.inputs:
            audio_input.stop()

    def _run(self) -> None:
        set_native_name("mixer")
        block_ns = self.block_ms * NS_PER_MS
        ticker = Ticker(block_ns, self._stop)
        self._start_ns = now_ns()
        ticker.reset()
        blocks_per_wake = 1
        while not self._stop.is_set():
            ticker.interval_ns = blocks_per_wake * block_ns
            skipped = ticker.wait_next() * blocks_per_wake
            if self._stop.is_set():
                break
            due = min(skipped, MAX_CATCH_UP_BLOCKS) + blocks_per_wake
            if blocks_per_wake == 1:
                for _ in range(due):
                    self._mix_guarded(1)
            else:  # only the meters looked when the thread went to sleep: the due blocks as one
                self._mix_guarded(due)
            if skipped > MAX_CATCH_UP_BLOCKS:
                missed = skipped - MAX_CATCH_UP_BLOCKS
                self.skipped_blocks += missed
                self._pts_samples += missed * self.frames_per_block
                log.warning("audio mixer %d blocks late; %d skipped", skipped, missed)
            blocks_per_wake = 1 if self._needs_every_block() else self.idle_blocks_per_wake

    @property
    def idle_blocks_per_wake(self) -> int:
        """Blocks mixed per wake-up while nobody takes blocks: at least one, IDLE_WAKE_MS of sound."""
        return max(1, IDLE_WAKE_MS // self.block_ms)

    def _needs_every_block(self) -> bool:
        """Whether someone takes the blocks themselves (an output, a recorder, a monitored input),
        so each must be mixed on its own tick; otherwise only the meters look."""
        with self._lock:
            return bool(self._subscriptions) or any(inp.monitor_tap.is_monitored for inp in self._inputs)

    def _mix_guarded(self, blocks: int) -> None:
        try:
            self._mix_one(self._pts_samples, blocks)
        except Exception:  # log and keep the clock going: one bad block is not the show
            log.exception("audio mixer failed to mix a block")
        finally:
            self._pts_samples += blocks * self.frames_per_block

    def _mix_one(self, pts_samples: int, blocks: int = 1) -> None:
        """Mix ``blocks`` blocks as one (several only when nobody takes blocks: see :meth:`_run`)."""
        frames = self.frames_per_block * blocks
        with self._lock:
            inputs = list(self._inputs)
            subscriptions = list(self._subscriptions)
            master_gain = 0.0 if self._master_is_muted else 1.0
            fader_gain = db_to_gain(self._master_gain_db)
            self._master_limiter.settings = self._master_limiter_settings
            is_taken = bool(subscriptions) or any(inp.monitor_tap.is_monitored for inp in inputs)
        if blocks > 1 and is_taken:  # someone started taking blocks since the thread went to sleep
            for index in range(blocks):
                self._mix_one(pts_samples + index * self.frames_per_block)
            return
        mix = np.zeros((frames, CHANNELS), dtype=np.float32)
        for audio_input in inputs:
            try:
                mix += audio_input.process_block(frames)
            except Exception:  # process_block already guards reads; this guards listeners
                log.exception("audio input %s failed while mixing", audio_input.input_id)
        mix = self._master_fader.process(mix, fader_gain)
        mix = self._master_limiter.process(mix)
        mix = self._master_mute.process(mix, master_gain)
        mix = np.clip(mix, -1.0, 1.0).astype(np.float32, copy=False)
        mix.flags.writeable = False
        levels = measure_levels(mix)
        self.last_levels = levels
        self.levels.emit(mixer=self, peak_dbfs=levels.peak_dbfs, rms_dbfs=levels.rms_dbfs)
        block = AudioBlock(
            samples=mix,
            pts_samples=pts_samples,
            capture_ns=self._start_ns + pts_samples * NS_PER_S // self.sample_rate,
            sample_rate=self.sample_rate,
        )
        self.blocks_mixed += blocks
        for subscription in subscriptions:
            subscription.put(block)

    @property
    def master_limiter_reduction_db(self) -> float:
        """How much the master limiter is pulling the level down right now (dB, >= 0)."""
        return self._master_limiter.gain_reduction_db
