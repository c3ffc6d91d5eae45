"""Audio helpers for the views: the studio's mixer and adding inputs through the engine."""
from __future__ import annotations

from typing import Any

from studio.engine import Studio

TEST_TONE_HZ = 1000.0
TEST_TONE_DBFS = -20.0


def mixer_of(studio: Studio) -> Any | None:
    """The studio's ``AudioMixer``, or ``None`` when audio is unavailable in this build."""
    return getattr(studio, "mixer", None)


def add_tone_input(studio: Studio, name: str) -> Any:
    """A 1 kHz test tone at −20 dBFS (for checking levels and the stream's audio)."""
    return studio.audio_inputs.add("tone", name, frequency_hz=TEST_TONE_HZ, level_dbfs=TEST_TONE_DBFS)


def add_device_input(studio: Studio, name: str, device_id: str | None) -> Any:
    """A microphone or other capture device (``None`` = the system default input)."""
    return studio.audio_inputs.add("device", name, device_id=device_id)


def list_input_devices() -> list[dict[str, Any]]:
    """Audio capture devices (blocking: PortAudio may rescan; call off the GUI thread)."""
    from studio.audio import list_input_devices as engine_list

    return list(engine_list())
