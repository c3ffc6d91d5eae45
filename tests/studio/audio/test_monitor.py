"""Monitoring through a real PulseAudio null sink: a monitored input is heard on the default
output device and goes quiet when monitoring is switched off; no output device is a state
in words, never an exception, and the mixer never waits for the monitor."""
from __future__ import annotations

import pytest

from studio.audio.inputs import DeviceInput, InputState
from studio.audio.mixer import AudioMixer
from studio.audio.monitor import MonitorOutput, MonitorState
from studio.audio.playlist import PlaylistInput
from tests.helpers import wait_until
from tests.studio.audio.helpers import set_recording_volumes_to_full, write_tone_wav

pytestmark = pytest.mark.pulseaudio

TONE_DBFS = -12.0
FIRST_AUDIO_TIMEOUT_S = 8.0  # a null sink renders in up to 2 s chunks until something low-latency attaches


def test_monitored_input_is_heard_on_the_default_output_and_stops_when_switched_off(test_sink, tmp_path):
    wav = write_tone_wav(tmp_path / "song.wav", TONE_DBFS, 1000.0, duration_s=30.0)
    mixer = AudioMixer()
    monitor = MonitorOutput()  # the system's default output: the test sink here
    music = PlaylistInput("music", "Music", files=[str(wav)])
    mixer.add_input(music)
    music.monitor_tap.connect(monitor)
    ear = mixer.add_input(DeviceInput("ear", "Sink monitor", device_id="pulse", retry_interval_s=0.2))
    heard: list[float] = []
    ear.levels.connect(lambda input, peak_dbfs, rms_dbfs: heard.append(peak_dbfs))  # noqa: A006
    mixer.start()
    try:
        assert wait_until(lambda: ear.state is InputState.ACTIVE, FIRST_AUDIO_TIMEOUT_S), ear.state_message
        set_recording_volumes_to_full(test_sink.monitor_name, server=test_sink.server)
        assert not wait_until(lambda: heard and max(heard[-10:]) > -60.0, 1.0), "sound before monitoring was on"
        assert monitor.state is MonitorState.OFF
        music.monitor_tap.is_monitored = True
        assert wait_until(lambda: monitor.state is MonitorState.ACTIVE, 5), monitor.state_message
        assert wait_until(lambda: len(heard) > 5 and min(heard[-5:]) > TONE_DBFS - 3, FIRST_AUDIO_TIMEOUT_S), heard[-10:]
        assert max(heard[-5:]) < TONE_DBFS + 2  # the strip's level, not louder
        music.monitor_tap.is_monitored = False
        assert wait_until(lambda: monitor.state is MonitorState.OFF, 5)
        assert wait_until(lambda: max(heard[-5:]) < -60.0, FIRST_AUDIO_TIMEOUT_S), heard[-10:]
        # Off and on again at once (the supervisor may be ending): monitoring comes back.
        music.monitor_tap.is_monitored = True
        music.monitor_tap.is_monitored = False
        music.monitor_tap.is_monitored = True
        assert wait_until(lambda: monitor.state is MonitorState.ACTIVE, 5), monitor.state_message
        assert wait_until(lambda: min(heard[-5:]) > TONE_DBFS - 3, FIRST_AUDIO_TIMEOUT_S), heard[-10:]
    finally:
        mixer.stop()
        monitor.close()
    assert not monitor.monitored_ids


def test_no_output_device_is_said_in_words_and_the_show_goes_on(private_pulse, tmp_path):
    # The private PulseAudio server is not started: there is nowhere to play.
    wav = write_tone_wav(tmp_path / "song.wav", TONE_DBFS, 1000.0, duration_s=5.0)
    mixer = AudioMixer()
    monitor = MonitorOutput()
    music = PlaylistInput("music", "Music", files=[str(wav)], is_monitored=True)
    mixer.add_input(music)
    music.monitor_tap.connect(monitor)
    mixer.start()
    try:
        assert wait_until(lambda: monitor.state is MonitorState.NO_DEVICE, 10), monitor.state
        assert "No sound output device for monitoring" in monitor.state_message
        assert "Traceback" not in monitor.state_message
        # The strip still plays into the mix.
        assert wait_until(lambda: music.last_levels.peak_dbfs > TONE_DBFS - 3, 5)
    finally:
        mixer.stop()
        monitor.close()
    assert monitor.state is MonitorState.OFF
