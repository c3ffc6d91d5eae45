"""Block-based audio processing in pure numpy (no Qt, no devices).

Every block is a float32 array shaped ``(frames, channels)`` with samples in [-1, 1].
Processors keep their own state between blocks, so one instance serves one signal path
and is only ever called from one thread (the mixer's).  Settings are small frozen
dataclasses so a GUI thread can swap them atomically while the mixer thread runs.

Gains that follow a detector (gate, limiter) are computed on a 1 ms control grid and
interpolated linearly per sample: smooth enough to avoid clicks, cheap enough for
Python (about 20 control points per 20 ms block instead of 960 per-sample steps).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

DB_FLOOR = -100.0  # what meters report for silence instead of -inf
CONTROL_INTERVAL_MS = 1.0  # envelope resolution of gate and limiter
MAX_SYNC_OFFSET_MS = 2000.0


# -- conversions -----------------------------------------------------------------------------
def db_to_gain(gain_db: float) -> float:
    """Decibels to a linear amplitude factor (``-inf`` gives 0)."""
    if gain_db == -math.inf:
        return 0.0
    return float(10.0 ** (gain_db / 20.0))


def gain_to_db(gain: float) -> float:
    """Linear amplitude to decibels, clamped at :data:`DB_FLOOR` (never ``-inf``)."""
    if gain <= 0.0:
        return DB_FLOOR
    return max(DB_FLOOR, 20.0 * math.log10(gain))


def silence(frames: int, channels: int = 2) -> np.ndarray:
    """A block of zeros."""
    return np.zeros((frames, channels), dtype=np.float32)


def _ms_to_frames(duration_ms: float, sample_rate: int) -> int:
    return max(0, int(round(duration_ms * sample_rate / 1000.0)))


def _control_bounds(frames: int, sample_rate: int) -> np.ndarray:
    """Sample offsets of the control points: 0, 48, 96, ..., frames (at 48 kHz)."""
    step = max(1, _ms_to_frames(CONTROL_INTERVAL_MS, sample_rate))
    bounds = np.arange(0, frames, step, dtype=np.int64)
    return np.append(bounds, frames)


def _segment_peaks(block: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Peak absolute value of each control segment, linked across channels."""
    magnitude = np.abs(block).max(axis=1) if block.ndim == 2 else np.abs(block)
    return np.maximum.reduceat(magnitude, bounds[:-1]).astype(np.float64)


def _ramp(points: np.ndarray, bounds: np.ndarray, frames: int) -> np.ndarray:
    """Per-sample gain interpolated linearly between control points at ``bounds``."""
    return np.interp(np.arange(frames, dtype=np.float64), bounds.astype(np.float64), points)


# -- gain ------------------------------------------------------------------------------------
def apply_gain(block: np.ndarray, gain_db: float) -> np.ndarray:
    """Multiply by a fixed gain in dB (exact; no smoothing)."""
    return (block * np.float32(db_to_gain(gain_db))).astype(np.float32, copy=False)


class SmoothGain:
    """A gain that glides from its previous value to the new one across one block.

    Used for faders and mute so a change made mid-show never clicks.
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = float(gain)

    def process(self, block: np.ndarray, target_gain: float) -> np.ndarray:
        frames = block.shape[0]
        start, target = self.gain, float(target_gain)
        self.gain = target
        if start == target or frames == 0:
            if target == 1.0:
                return block
            return (block * np.float32(target)).astype(np.float32, copy=False)
        ramp = np.linspace(start, target, frames + 1, dtype=np.float64)[1:].astype(np.float32)
        return block * (ramp[:, None] if block.ndim == 2 else ramp)


# -- meter -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Levels:
    """One block's meter reading."""

    peak_dbfs: float = DB_FLOOR
    rms_dbfs: float = DB_FLOOR


SILENT_LEVELS = Levels()


def measure_levels(block: np.ndarray) -> Levels:
    """Peak and RMS of a block in dBFS over all channels (silence reads :data:`DB_FLOOR`).

    RMS is not sine-corrected: a full-scale sine reads 0 dBFS peak and -3.01 dBFS RMS.
    """
    if block.size == 0:
        return SILENT_LEVELS
    samples = block.astype(np.float64, copy=False)
    peak = float(np.abs(samples).max())
    rms = float(np.sqrt(np.mean(np.square(samples))))
    return Levels(peak_dbfs=gain_to_db(peak), rms_dbfs=gain_to_db(rms))


# -- noise gate ------------------------------------------------------------------------------
@dataclass(frozen=True)
class GateSettings:
    """Noise gate: opens when the signal reaches ``threshold_db``, closes after ``hold_ms``
    below it, fading in over ``attack_ms`` and out over ``release_ms``."""

    is_enabled: bool = False
    threshold_db: float = -45.0
    attack_ms: float = 5.0
    hold_ms: float = 150.0
    release_ms: float = 150.0

    def validated(self) -> GateSettings:
        return replace(
            self,
            is_enabled=bool(self.is_enabled),
            threshold_db=_clamp(self.threshold_db, DB_FLOOR, 0.0, "threshold_db"),
            attack_ms=_clamp(self.attack_ms, 0.0, 1000.0, "attack_ms"),
            hold_ms=_clamp(self.hold_ms, 0.0, 5000.0, "hold_ms"),
            release_ms=_clamp(self.release_ms, 0.0, 5000.0, "release_ms"),
        )


class NoiseGate:
    """Stereo-linked noise gate with attack, hold and release ramps (click-free)."""

    def __init__(self, sample_rate: int, settings: GateSettings | None = None) -> None:
        self.sample_rate = int(sample_rate)
        self.settings = (settings or GateSettings()).validated()
        self.gain = 0.0  # current gate gain, 0 (closed) .. 1 (open)
        self._hold_frames_left = 0

    @property
    def is_open(self) -> bool:
        return self.gain > 0.0

    def reset(self) -> None:
        self.gain = 0.0
        self._hold_frames_left = 0

    def process(self, block: np.ndarray) -> np.ndarray:
        settings = self.settings
        if not settings.is_enabled:
            self.gain = 1.0  # a gate switched on later starts open instead of cutting in
            self._hold_frames_left = 0
            return block
        frames = block.shape[0]
        if frames == 0:
            return block
        bounds = _control_bounds(frames, self.sample_rate)
        peaks = _segment_peaks(block, bounds)
        threshold = db_to_gain(settings.threshold_db)
        hold_frames = _ms_to_frames(settings.hold_ms, self.sample_rate)
        attack_frames = _ms_to_frames(settings.attack_ms, self.sample_rate)
        release_frames = _ms_to_frames(settings.release_ms, self.sample_rate)
        points = np.empty(len(bounds), dtype=np.float64)
        gain = self.gain
        points[0] = gain
        for index, peak in enumerate(peaks):
            segment = int(bounds[index + 1] - bounds[index])
            if peak >= threshold:
                self._hold_frames_left = hold_frames
                target = 1.0
            elif self._hold_frames_left > 0:
                self._hold_frames_left -= segment
                target = 1.0
            else:
                target = 0.0
            if target > gain:
                gain = 1.0 if attack_frames == 0 else min(1.0, gain + segment / attack_frames)
            elif target < gain:
                gain = 0.0 if release_frames == 0 else max(0.0, gain - segment / release_frames)
            points[index + 1] = gain
        self.gain = gain
        if np.all(points == 1.0):
            return block
        ramp = _ramp(points, bounds, frames).astype(np.float32)
        return block * (ramp[:, None] if block.ndim == 2 else ramp)


# -- limiter ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LimiterSettings:
    """Peak limiter: output never exceeds ``ceiling_dbfs``; gain recovers over ``release_ms``."""

    is_enabled: bool = True
    ceiling_dbfs: float = -1.0
    release_ms: float = 60.0

    def validated(self) -> LimiterSettings:
        return replace(
            self,
            is_enabled=bool(self.is_enabled),
            ceiling_dbfs=_clamp(self.ceiling_dbfs, -60.0, 0.0, "ceiling_dbfs"),
            release_ms=_clamp(self.release_ms, 1.0, 5000.0, "release_ms"),
        )


class Limiter:
    """Stereo-linked peak limiter with look-ahead inside the block (no added latency).

    Each control point is at most the gain the loudest sample on either side of it
    needs, so the linear ramp between two points never lets a sample above the ceiling;
    the gain then recovers exponentially with ``release_ms``.  A final clip only catches
    float rounding.
    """

    def __init__(self, sample_rate: int, settings: LimiterSettings | None = None) -> None:
        self.sample_rate = int(sample_rate)
        self.settings = (settings or LimiterSettings()).validated()
        self.gain = 1.0  # current gain reduction factor (1 = not limiting)

    @property
    def gain_reduction_db(self) -> float:
        return -gain_to_db(self.gain) if self.gain < 1.0 else 0.0

    def reset(self) -> None:
        self.gain = 1.0

    def process(self, block: np.ndarray) -> np.ndarray:
        settings = self.settings
        if not settings.is_enabled:
            self.gain = 1.0
            return block
        frames = block.shape[0]
        if frames == 0:
            return block
        ceiling = db_to_gain(settings.ceiling_dbfs)
        bounds = _control_bounds(frames, self.sample_rate)
        peaks = _segment_peaks(block, bounds)
        if self.gain >= 1.0 and peaks.max() <= ceiling:
            return block  # the common case: nothing to do
        needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))  # per segment
        release_frames = settings.release_ms * self.sample_rate / 1000.0
        points = np.empty(len(bounds), dtype=np.float64)
        gain = min(self.gain, needed[0])
        points[0] = gain
        segments = len(needed)
        for index in range(segments):
            segment = float(bounds[index + 1] - bounds[index])
            recovered = 1.0 - (1.0 - gain) * math.exp(-segment / release_frames)
            limit = needed[index]
            if index + 1 < segments:
                limit = min(limit, needed[index + 1])
            gain = min(recovered, limit)
            points[index + 1] = gain
        self.gain = float(gain)
        ramp = _ramp(points, bounds, frames).astype(np.float32)
        out = block * (ramp[:, None] if block.ndim == 2 else ramp)
        bound = np.float32(ceiling)
        return np.clip(out, -bound, bound)


# -- delay -----------------------------------------------------------------------------------
class DelayLine:
    """Delays a signal by a whole number of samples (audio/video sync offset, 0..2000 ms).

    Changing the delay takes effect at the next block: growing it inserts silence,
    shrinking it skips the oldest buffered audio.
    """

    def __init__(self, sample_rate: int, channels: int = 2, delay_ms: float = 0.0) -> None:
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self._history = np.zeros((0, self.channels), dtype=np.float32)
        self.delay_frames = 0
        self.delay_ms = delay_ms

    @property
    def delay_ms(self) -> float:
        return self.delay_frames * 1000.0 / self.sample_rate

    @delay_ms.setter
    def delay_ms(self, delay_ms: float) -> None:
        delay_ms = _clamp(delay_ms, 0.0, MAX_SYNC_OFFSET_MS, "delay_ms")
        self.set_delay_frames(_ms_to_frames(delay_ms, self.sample_rate))

    def set_delay_frames(self, delay_frames: int) -> None:
        delay_frames = max(0, int(delay_frames))
        held = self._history.shape[0]
        if delay_frames > held:
            pad = np.zeros((delay_frames - held, self.channels), dtype=np.float32)
            self._history = np.concatenate([pad, self._history])
        elif delay_frames < held:
            self._history = self._history[held - delay_frames :]
        self.delay_frames = delay_frames

    def reset(self) -> None:
        self._history = np.zeros((self.delay_frames, self.channels), dtype=np.float32)

    def process(self, block: np.ndarray) -> np.ndarray:
        if self.delay_frames == 0:
            return block
        frames = block.shape[0]
        joined = np.concatenate([self._history, block.astype(np.float32, copy=False)])
        self._history = joined[frames:].copy()
        return joined[:frames]


def _clamp(value: float, lowest: float, highest: float, name: str) -> float:
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must be a number, got NaN")
    return min(highest, max(lowest, value))
