"""Inputs pulled directly (no mixer thread): the strip order, settings, tone, missing device."""
from __future__ import annotations

import numpy as np
import pytest

from studio.audio.dsp import DB_FLOOR, GateSettings, LimiterSettings
from studio.audio.inputs import DeviceInput, InputState, ToneInput, create_input
from tests.helpers import wait_until

FRAMES = 960


def started_tone(**kwargs) -> ToneInput:
    tone = ToneInput("tone", "Tone", **kwargs)
    tone.start()
    return tone


def test_tone_is_a_continuous_stereo_sine_at_its_level():
    tone = started_tone(frequency_hz=1000.0, level_dbfs=-12.0)
    first, second = tone.read_block(FRAMES), tone.read_block(FRAMES)
    assert first.shape == (FRAMES, 2) and first.dtype == np.float32
    np.testing.assert_array_equal(first[:, 0], first[:, 1])
    joined = np.concatenate([first, second])[:, 0]
    expected = 10 ** (-12 / 20) * np.sin(2 * np.pi * 1000 * np.arange(2 * FRAMES) / 48_000)
    np.testing.assert_allclose(joined, expected, atol=1e-5)  # phase carries across blocks


def test_stopped_tone_is_silent():
    tone = ToneInput("tone", "Tone")
    assert tone.state is InputState.STOPPED
    assert not tone.read_block(FRAMES).any()


def test_levels_signal_reports_each_processed_block():
    tone = started_tone(level_dbfs=-12.0)
    readings = []
    tone.levels.connect(lambda **kw: readings.append(kw))
    for _ in range(3):
        tone.process_block(FRAMES)
    assert len(readings) == 3
    assert readings[-1]["input"] is tone
    assert readings[-1]["peak_dbfs"] == pytest.approx(-12.0, abs=0.1)
    assert readings[-1]["rms_dbfs"] == pytest.approx(-15.01, abs=0.1)


def test_gain_and_mute_in_the_strip():
    tone = started_tone(level_dbfs=-12.0)
    tone.gain_db = -6.0
    tone.process_block(FRAMES)  # the fader glides during this block
    tone.process_block(FRAMES)
    assert tone.last_levels.peak_dbfs == pytest.approx(-18.0, abs=0.05)
    tone.is_muted = True
    tone.process_block(FRAMES)  # fades out
    assert not tone.process_block(FRAMES).any()
    assert tone.last_levels.peak_dbfs == DB_FLOOR


def test_sync_offset_delays_the_input():
    tone = started_tone(level_dbfs=-12.0, sync_offset_ms=30.0)
    out = np.concatenate([tone.process_block(FRAMES) for _ in range(3)])
    assert not out[:1440].any()  # 30 ms = 1440 frames of silence first
    assert out[1440:].any()


def test_gate_in_the_strip_silences_a_quiet_input():
    tone = started_tone(level_dbfs=-50.0, gate=GateSettings(is_enabled=True, threshold_db=-40, hold_ms=0, release_ms=20))
    for _ in range(5):
        out = tone.process_block(FRAMES)
    assert not out.any()
    assert not tone.gate_is_open


def test_limiter_in_the_strip_caps_a_boosted_input():
    tone = started_tone(level_dbfs=-6.0, gain_db=12.0, limiter=LimiterSettings(is_enabled=True, ceiling_dbfs=-3.0))
    for _ in range(5):
        out = tone.process_block(FRAMES)
    assert np.abs(out).max() <= 10 ** (-3 / 20)
    assert tone.limiter_reduction_db > 8.0


def test_settings_emit_changed_once_per_real_change_and_clamp():
    tone = ToneInput("tone", "Tone")
    changes = []
    tone.changed.connect(lambda **kw: changes.append(kw["param"]))
    tone.gain_db = 3.0
    tone.gain_db = 3.0  # no change, no event
    tone.is_muted = True
    tone.sync_offset_ms = 9999
    tone.update_gate(is_enabled=True, threshold_db=-30)
    tone.update_limiter(ceiling_dbfs=-2)
    tone.name = "Beep"
    assert changes == ["gain_db", "is_muted", "sync_offset_ms", "gate", "limiter", "name"]
    assert tone.sync_offset_ms == 2000.0
    tone.gain_db = 500
    assert tone.gain_db == 24.0
    with pytest.raises(ValueError):
        tone.gain_db = float("nan")
    assert tone.describe()["gate"]["threshold_db"] == -30


def test_create_input_factory_round_trips_describe():
    tone = ToneInput("t1", "Tone", gain_db=-3, frequency_hz=440, gate=GateSettings(is_enabled=True))
    data = tone.describe()
    copy = create_input(data.pop("kind"), data.pop("id"), data.pop("name"), **data)
    assert isinstance(copy, ToneInput) and copy.describe() == tone.describe()
    with pytest.raises(ValueError):
        create_input("theremin", "x", "X")


def test_missing_device_reads_silence_and_never_raises():
    device = DeviceInput("mic", "Mic", device_id="bridgecast-no-such-device", retry_interval_s=0.1)
    states = []
    device.state_changed.connect(lambda **kw: states.append(kw["state"]))
    device.start()
    try:
        assert wait_until(lambda: device.state is InputState.NO_DEVICE, 5.0)
        assert "bridgecast-no-such-device" in device.state_message
        for _ in range(5):
            block = device.process_block(FRAMES)
            assert block.shape == (FRAMES, 2) and not block.any()
        assert device.last_levels.peak_dbfs == DB_FLOOR
    finally:
        device.stop()
    assert device.state is InputState.STOPPED
    assert states[0] is InputState.NO_DEVICE and states[-1] is InputState.STOPPED


def test_device_input_buffers_primes_and_counts_underruns():
    """The ring logic without PortAudio: feed the callback by hand."""
    device = DeviceInput("mic", "Mic", latency_ms=20.0)
    device._set_state(InputState.ACTIVE)
    chunk = np.full((480, 1), 0.25, dtype=np.float32)  # a mono device, 10 ms per callback
    device._callback(chunk, 480, None, None)
    assert not device.read_block(FRAMES).any()  # priming: needs block + 20 ms
    for _ in range(3):
        device._callback(chunk, 480, None, None)
    block = device.read_block(FRAMES)
    assert block.shape == (FRAMES, 2) and np.all(block == 0.25)  # mono upmixed to stereo
    assert device.underruns == 0
    device.read_block(FRAMES)  # only 960 left... then nothing
    block = device.read_block(FRAMES)
    assert device.underruns == 1 and not block.any()
    # Latency cannot creep: a flood of audio is trimmed back to the target.
    for _ in range(40):
        device._callback(chunk, 480, None, None)
    device.read_block(FRAMES)
    assert device._ring.available_frames == 960  # latency_ms worth
    assert device.skipped_frames > 0
