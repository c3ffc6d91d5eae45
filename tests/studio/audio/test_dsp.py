"""DSP building blocks on synthetic signals: exact numbers, no devices."""
from __future__ import annotations

import math

import numpy as np
import pytest

from studio.audio.dsp import (
    DB_FLOOR,
    DelayLine,
    GateSettings,
    Limiter,
    LimiterSettings,
    NoiseGate,
    SmoothGain,
    apply_gain,
    db_to_gain,
    gain_to_db,
    measure_levels,
)

SAMPLE_RATE = 48_000
BLOCK_FRAMES = 960


def sine(level_dbfs: float, frames: int, frequency_hz: float = 1000.0, start_frame: int = 0) -> np.ndarray:
    t = (np.arange(frames) + start_frame) / SAMPLE_RATE
    mono = (10 ** (level_dbfs / 20) * np.sin(2 * math.pi * frequency_hz * t)).astype(np.float32)
    return np.repeat(mono[:, None], 2, axis=1)


def blocks_of(signal: np.ndarray, frames: int = BLOCK_FRAMES):
    for start in range(0, signal.shape[0], frames):
        yield signal[start : start + frames]


def test_db_conversions_round_trip_and_clamp_silence():
    assert db_to_gain(0.0) == 1.0
    assert db_to_gain(-6.0) == pytest.approx(0.501187, rel=1e-6)
    assert db_to_gain(-math.inf) == 0.0
    assert gain_to_db(db_to_gain(-23.5)) == pytest.approx(-23.5)
    assert gain_to_db(0.0) == DB_FLOOR


def test_gain_is_exact():
    block = sine(-20.0, BLOCK_FRAMES)
    out = apply_gain(block, -6.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, block * np.float32(10 ** (-6.0 / 20)))
    np.testing.assert_array_equal(apply_gain(block, 0.0), block)


def test_smooth_gain_ramps_within_one_block_then_holds():
    fader = SmoothGain(1.0)
    ones = np.ones((BLOCK_FRAMES, 2), dtype=np.float32)
    ramped = fader.process(ones, 0.5)
    assert ramped[0, 0] < 1.0 and ramped[0, 0] > 0.99  # starts at the old gain
    assert ramped[-1, 0] == pytest.approx(0.5)  # ends at the new gain
    assert np.all(np.diff(ramped[:, 0]) <= 0)  # monotonic: no zipper
    np.testing.assert_allclose(fader.process(ones, 0.5), 0.5)


def test_meter_reads_minus_12_dbfs_sine_peak_and_rms():
    levels = measure_levels(sine(-12.0, BLOCK_FRAMES))
    assert levels.peak_dbfs == pytest.approx(-12.0, abs=0.1)
    assert levels.rms_dbfs == pytest.approx(levels.peak_dbfs - 3.01, abs=0.02)


def test_meter_clamps_silence_to_floor():
    levels = measure_levels(np.zeros((BLOCK_FRAMES, 2), dtype=np.float32))
    assert levels.peak_dbfs == DB_FLOOR and levels.rms_dbfs == DB_FLOOR
    assert measure_levels(np.zeros((0, 2), dtype=np.float32)).peak_dbfs == DB_FLOOR


def test_gate_closes_below_threshold_and_opens_above():
    gate = NoiseGate(SAMPLE_RATE, GateSettings(is_enabled=True, threshold_db=-40, attack_ms=5, hold_ms=50, release_ms=50))
    quiet = sine(-50.0, SAMPLE_RATE // 2)  # 500 ms below threshold
    out_quiet = np.concatenate([gate.process(block) for block in blocks_of(quiet)])
    assert not gate.is_open
    assert np.abs(out_quiet[-BLOCK_FRAMES:]).max() == 0.0  # closed: silence

    loud = sine(-30.0, SAMPLE_RATE // 2, start_frame=quiet.shape[0])
    out_loud = np.concatenate([gate.process(block) for block in blocks_of(loud)])
    assert gate.is_open and gate.gain == 1.0
    np.testing.assert_array_equal(out_loud[-BLOCK_FRAMES:], loud[-BLOCK_FRAMES:])  # open: untouched
    # The attack is a ramp, not a step: no sample jumps more than the signal itself allows.
    opening = out_loud[:BLOCK_FRAMES, 0]
    assert np.abs(np.diff(opening)).max() <= np.abs(np.diff(loud[:BLOCK_FRAMES, 0])).max() + 1e-6


def test_gate_holds_then_releases_smoothly():
    settings = GateSettings(is_enabled=True, threshold_db=-40, attack_ms=0, hold_ms=100, release_ms=100)
    gate = NoiseGate(SAMPLE_RATE, settings)
    gate.process(sine(-20.0, BLOCK_FRAMES))
    assert gate.gain == 1.0
    gains = []
    for _ in range(20):  # 400 ms of a signal below threshold
        gate.process(sine(-60.0, BLOCK_FRAMES))
        gains.append(gate.gain)
    # Still fully open through the hold (100 ms = 5 blocks), then fading, then closed.
    assert gains[3] == 1.0
    assert 0.0 < min(g for g in gains if g > 0) < 1.0
    assert gains[-1] == 0.0
    assert all(b <= a for a, b in zip(gains, gains[1:]))


def test_disabled_gate_passes_audio_untouched():
    gate = NoiseGate(SAMPLE_RATE, GateSettings(is_enabled=False, threshold_db=-10))
    block = sine(-50.0, BLOCK_FRAMES)
    assert gate.process(block) is block


def test_limiter_holds_ceiling_on_plus_6_db_sine():
    ceiling_dbfs = -1.0
    limiter = Limiter(SAMPLE_RATE, LimiterSettings(ceiling_dbfs=ceiling_dbfs, release_ms=50))
    hot = sine(6.0, SAMPLE_RATE)  # peaks at 2.0: far past full scale
    out = np.concatenate([limiter.process(block) for block in blocks_of(hot)])
    ceiling = 10 ** (ceiling_dbfs / 20)
    assert np.abs(out).max() <= ceiling  # never above, not even at the first sample
    # Not crushed either: once settled, peaks sit just under the ceiling.
    assert measure_levels(out[-BLOCK_FRAMES:]).peak_dbfs == pytest.approx(ceiling_dbfs, abs=0.5)
    assert limiter.gain_reduction_db == pytest.approx(7.0, abs=0.5)


def test_limiter_holds_ceiling_on_sudden_bursts_and_recovers():
    limiter = Limiter(SAMPLE_RATE, LimiterSettings(ceiling_dbfs=-3.0, release_ms=20))
    ceiling = 10 ** (-3.0 / 20)
    rng = np.random.default_rng(1)
    for index in range(50):
        block = (rng.standard_normal((BLOCK_FRAMES, 2)) * (1.5 if index % 7 == 3 else 0.05)).astype(np.float32)
        out = limiter.process(np.clip(block, -4, 4))
        assert np.abs(out).max() <= ceiling
    # A quiet signal after the bursts passes at unity once released.
    for _ in range(10):
        out = limiter.process(sine(-20.0, BLOCK_FRAMES))
    assert limiter.gain == pytest.approx(1.0, abs=1e-3)


def test_limiter_leaves_quiet_audio_alone():
    limiter = Limiter(SAMPLE_RATE, LimiterSettings(ceiling_dbfs=-1.0))
    block = sine(-12.0, BLOCK_FRAMES)
    assert limiter.process(block) is block


def test_delay_shifts_by_exact_samples():
    delay = DelayLine(SAMPLE_RATE, channels=2, delay_ms=10.0)
    assert delay.delay_frames == 480
    signal = np.random.default_rng(2).uniform(-1, 1, (BLOCK_FRAMES * 5, 2)).astype(np.float32)
    out = np.concatenate([delay.process(block) for block in blocks_of(signal, 700)])  # blocks unaligned to delay
    np.testing.assert_array_equal(out[:480], 0.0)
    np.testing.assert_array_equal(out[480:], signal[:-480])


def test_delay_is_clamped_to_2000_ms_and_can_change_live():
    delay = DelayLine(SAMPLE_RATE, delay_ms=5000.0)
    assert delay.delay_ms == 2000.0
    delay.delay_ms = 1.0
    assert delay.delay_frames == 48
    ramp = np.arange(200, dtype=np.float32)[:, None].repeat(2, axis=1)
    out = delay.process(ramp)
    np.testing.assert_array_equal(out[48:, 0], ramp[:-48, 0])
    delay.delay_ms = 0.0
    np.testing.assert_array_equal(delay.process(ramp), ramp)
    with pytest.raises(ValueError):
        delay.delay_ms = float("nan")
