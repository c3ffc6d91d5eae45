"""The PortAudio boundary when PortAudio is missing or busy (no server needed)."""
from __future__ import annotations

import pytest

from studio.audio import devices
from studio.audio.inputs import DeviceInput, InputState
from studio.core.errors import AudioDeviceError
from tests.helpers import wait_until


@pytest.fixture
def no_portaudio(monkeypatch):
    """Behave as if ``import sounddevice`` had failed (libportaudio2 not installed)."""
    monkeypatch.setattr(devices, "_sounddevice", None)
    monkeypatch.setattr(devices, "_import_error", "PortAudio library not found")


def test_portaudio_status_reports_version_when_present():
    ok, message = devices.portaudio_status()
    assert ok and "PortAudio" in message


def test_missing_portaudio_gives_empty_list_and_a_fix_hint(no_portaudio):
    ok, message = devices.portaudio_status()
    assert not ok and "libportaudio2" in message
    assert devices.list_input_devices() == []
    assert devices.rescan() is False
    with pytest.raises(AudioDeviceError, match="libportaudio2"):
        devices.open_input_stream("pulse", 48_000, lambda *args: None)


def test_device_input_without_portaudio_reads_silence(no_portaudio):
    device = DeviceInput("mic", "Mic", device_id="pulse", retry_interval_s=0.1)
    device.start()
    try:
        assert wait_until(lambda: device.state is InputState.NO_DEVICE, 3.0)
        assert "libportaudio2" in device.state_message
        assert not device.process_block(960).any()
    finally:
        device.stop()


def test_rescan_waits_while_a_stream_is_open(monkeypatch):
    monkeypatch.setattr(devices, "_open_stream_count", 1)
    assert devices.rescan() is False
    monkeypatch.setattr(devices, "_open_stream_count", 0)
    assert devices.rescan() is True


def test_listed_devices_have_the_documented_keys():
    for device in devices.list_input_devices():
        assert set(device) == {"id", "name", "channels", "sample_rate", "host_api", "is_default"}
        assert isinstance(device["id"], str) and device["channels"] > 0
