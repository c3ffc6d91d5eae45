"""Real audio through PulseAudio: a tone played into a null sink is recorded from its
monitor by a DeviceInput (ALSA's ``pulse`` device via PortAudio) and metered.

These run in CI (no skip): the fixtures start what they need.  A null sink renders in
up to 2 s chunks while nothing low-latency is attached, so the first audio can take that
long to arrive; the waits allow for it.
"""
from __future__ import annotations

import statistics

import numpy as np
import pytest

from studio.audio import devices
from studio.audio.dsp import DB_FLOOR, measure_levels
from studio.audio.inputs import DeviceInput, InputState
from studio.audio.mixer import AudioMixer
from tests.helpers import wait_until
from tests.studio.audio.helpers import TonePlayer, set_recording_volumes_to_full, write_tone_wav

pytestmark = pytest.mark.pulseaudio

TONE_LEVEL_DBFS = -12.0
TONE_FREQUENCY_HZ = 1000.0
SINE_RMS_BELOW_PEAK_DB = 3.01
FIRST_AUDIO_TIMEOUT_S = 8.0


class LevelLog:
    """Collects an input's ``levels`` events (mixer thread) for the test thread."""

    def __init__(self) -> None:
        self.readings: list[tuple[float, float]] = []

    def __call__(self, input, peak_dbfs: float, rms_dbfs: float) -> None:  # noqa: A002
        self.readings.append((peak_dbfs, rms_dbfs))

    def count(self) -> int:
        return len(self.readings)

    def hears_tone(self, from_index: int = 0) -> bool:
        recent = self.readings[from_index:][-5:]
        return len(recent) == 5 and all(peak > TONE_LEVEL_DBFS - 6 for peak, _ in recent)


def test_pulse_devices_are_listed(test_sink):
    listed = devices.list_input_devices()
    by_id = {device["id"]: device for device in listed}
    assert "pulse" in by_id, f"PortAudio does not list ALSA's pulse device: {listed}"
    pulse = by_id["pulse"]
    assert set(pulse) >= {"id", "name", "channels", "sample_rate"}
    assert pulse["channels"] >= 2 and pulse["sample_rate"] > 0


def test_device_input_meters_the_played_level(test_sink, tone_players, tmp_path):
    """THE real audio test: 1 kHz at -12 dBFS in, the meter must read it within 1 dB."""
    wav = write_tone_wav(tmp_path / "tone.wav", TONE_LEVEL_DBFS, TONE_FREQUENCY_HZ, duration_s=15.0)
    tone_players.append(TonePlayer(wav, test_sink.sink_name, server=test_sink.server))
    mixer = AudioMixer(sample_rate=48_000, block_ms=20)
    mic = mixer.add_input(DeviceInput("monitor", "Sink monitor", device_id="pulse", retry_interval_s=0.2))
    log = LevelLog()
    mic.levels.connect(log)
    subscription = mixer.subscribe(max_blocks=200)
    mixer.start()
    try:
        assert wait_until(lambda: mic.state is InputState.ACTIVE, FIRST_AUDIO_TIMEOUT_S), mic.state_message
        assert set_recording_volumes_to_full(test_sink.monitor_name, server=test_sink.server) >= 1
        assert wait_until(log.hears_tone, FIRST_AUDIO_TIMEOUT_S), f"no tone; last levels {log.readings[-5:]}"
        start = log.count()
        while subscription.get(timeout=0) is not None:  # only blocks from now on
            pass
        assert wait_until(lambda: log.count() >= start + 25, 3.0)  # 0.5 s of audio
        blocks = [subscription.get(timeout=1.0) for _ in range(20)]
    finally:
        mixer.stop()
    peaks = [peak for peak, _ in log.readings[start : start + 25]]
    rms = [rms for _, rms in log.readings[start : start + 25]]
    assert statistics.median(peaks) == pytest.approx(TONE_LEVEL_DBFS, abs=1.0)
    assert statistics.median(rms) == pytest.approx(TONE_LEVEL_DBFS - SINE_RMS_BELOW_PEAK_DB, abs=1.0)
    # The mixed output carries the same level (master limiter at -1 dBFS stays idle).
    mixed = np.concatenate([block.samples for block in blocks if block is not None])
    assert measure_levels(mixed).rms_dbfs == pytest.approx(TONE_LEVEL_DBFS - SINE_RMS_BELOW_PEAK_DB, abs=1.0)
    assert mic.device_channels == 2
    assert mic.state is InputState.STOPPED


def test_device_input_waits_for_its_device_and_survives_losing_it(private_pulse, tone_players, tmp_path):
    """No server yet → silence and NO_DEVICE; server appears → recovers; server killed
    mid-stream → NO_DEVICE, silence, no exception; server back → recovers again."""
    wav = write_tone_wav(tmp_path / "tone.wav", TONE_LEVEL_DBFS, TONE_FREQUENCY_HZ, duration_s=15.0)
    mixer = AudioMixer(sample_rate=48_000, block_ms=20)
    mic = mixer.add_input(DeviceInput("mic", "Mic", device_id="pulse", retry_interval_s=0.2))
    log = LevelLog()
    mic.levels.connect(log)
    states: list[InputState] = []
    mic.state_changed.connect(lambda input, state, message: states.append(state))  # noqa: A006
    subscription = mixer.subscribe(max_blocks=200)
    mixer.start()
    try:
        # 1. The device does not exist: silence flows, state says so.
        assert wait_until(lambda: mic.state is InputState.NO_DEVICE, 3.0)
        blocks = [subscription.get(timeout=1.0) for _ in range(5)]
        assert all(block is not None and not block.samples.any() for block in blocks)
        assert mic.last_levels.peak_dbfs == DB_FLOOR

        # 2. The device appears (PortAudio has to rescan to see it): recovery.
        private_pulse.start()
        tone_players.append(TonePlayer(wav, private_pulse.sink_name, server=private_pulse.address))
        assert wait_until(lambda: mic.state is InputState.ACTIVE, FIRST_AUDIO_TIMEOUT_S), mic.state_message
        assert wait_until(log.hears_tone, FIRST_AUDIO_TIMEOUT_S), f"no tone; last levels {log.readings[-5:]}"

        # 3. The device vanishes mid-stream.
        private_pulse.kill()
        assert wait_until(lambda: mic.state is InputState.NO_DEVICE, 5.0)
        assert mixer.is_running
        while subscription.get(timeout=0) is not None:
            pass
        blocks = [subscription.get(timeout=1.0) for _ in range(5)]
        assert all(block is not None and not block.samples.any() for block in blocks)

        # 4. And comes back.
        heard_before = log.count()
        private_pulse.start()
        tone_players.append(TonePlayer(wav, private_pulse.sink_name, server=private_pulse.address))
        assert wait_until(lambda: mic.state is InputState.ACTIVE, FIRST_AUDIO_TIMEOUT_S), mic.state_message
        assert wait_until(lambda: log.hears_tone(heard_before), FIRST_AUDIO_TIMEOUT_S)
        assert mic.reconnects >= 1
    finally:
        mixer.stop()
    assert states[:3] == [InputState.NO_DEVICE, InputState.ACTIVE, InputState.NO_DEVICE]
    assert states[-1] is InputState.STOPPED
