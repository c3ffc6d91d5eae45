"""The show's audio inputs: microphones and test tones feeding the mixer, loaded from the
collection and saved back with the strips' current settings."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from studio.audio import AudioInput, AudioMixer, create_input, list_input_devices
from studio.scene import AudioInputSpec

log = logging.getLogger(__name__)


def default_microphone(chosen: str | None) -> str | None | bool:
    """The configured microphone (``chosen``: a device id, ``None`` = system default, ``""`` =
    none), the system default if any input exists, else none (``False``)."""
    if chosen == "":
        return False
    if chosen is not None:
        return chosen
    try:
        return None if list_input_devices() else False
    except Exception:  # PortAudio missing: the app still opens, without a microphone
        log.warning("no audio input devices available", exc_info=True)
        return False


class ShowAudioInputs:
    """Adds, removes and (re)loads the mixer's inputs; ``on_change()`` after each edit."""

    def __init__(self, mixer: AudioMixer, on_change: Callable[[], None]) -> None:
        self.mixer = mixer
        self._on_change = on_change

    def load(self, specs: list[AudioInputSpec]) -> None:
        """Replace the mixer's inputs with ``specs`` (a bad entry is skipped, the others load)."""
        for audio_input in self.mixer.inputs:
            self.mixer.remove_input(audio_input)
            audio_input.stop()
        for spec in specs:
            try:
                self.mixer.add_input(create_input(spec.kind, spec.id, spec.name, **spec.settings))
            except (ValueError, TypeError) as exc:  # a bad entry must not stop the others
                log.warning("audio input %s skipped: %s", spec.id, exc)

    def add(self, kind: str, name: str, **settings: Any) -> AudioInput:
        """Add a microphone ("device", ``device_id=None`` = default) or a test tone ("tone")."""
        spec = AudioInputSpec(kind=kind, name=name, settings=settings)
        audio_input = create_input(spec.kind, spec.id, spec.name, **spec.settings)
        self.mixer.add_input(audio_input)
        self._on_change()
        return audio_input

    def remove(self, input_id: str) -> None:
        removed = self.mixer.remove_input(input_id)
        if removed is not None:
            threading.Thread(target=removed.stop, name=f"retire:{input_id}", daemon=True).start()
            self._on_change()

    def specs(self) -> list[AudioInputSpec]:
        """The mixer's inputs as saved data (their strips change directly from the mixer UI)."""
        specs = []
        for audio_input in self.mixer.inputs:
            data = audio_input.describe()
            kind, input_id, name = data.pop("kind"), data.pop("id"), data.pop("name")
            specs.append(AudioInputSpec(id=input_id, kind=kind, name=name, settings=data))
        return specs
