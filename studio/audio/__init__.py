"""Audio engine: device capture, per-input processing, and the clock-driven mixer.

Qt-free.  Threads: one supervisor per device input (plus PortAudio's callback thread),
one mixer thread; every ``start()`` has a ``stop()`` that joins.
"""
from studio.audio.devices import list_input_devices, portaudio_status, rescan
from studio.audio.dsp import (
    DB_FLOOR,
    DelayLine,
    GateSettings,
    Levels,
    Limiter,
    LimiterSettings,
    NoiseGate,
    apply_gain,
    db_to_gain,
    gain_to_db,
    measure_levels,
)
from studio.audio.inputs import (
    AudioInput,
    DeviceInput,
    InputState,
    ToneInput,
    create_input,
)
from studio.audio.mixer import AudioBlock, AudioMixer, AudioSubscription

__all__ = [
    "DB_FLOOR",
    "AudioBlock",
    "AudioInput",
    "AudioMixer",
    "AudioSubscription",
    "DelayLine",
    "DeviceInput",
    "GateSettings",
    "InputState",
    "Levels",
    "Limiter",
    "LimiterSettings",
    "NoiseGate",
    "ToneInput",
    "apply_gain",
    "create_input",
    "db_to_gain",
    "gain_to_db",
    "list_input_devices",
    "measure_levels",
    "portaudio_status",
    "rescan",
]
