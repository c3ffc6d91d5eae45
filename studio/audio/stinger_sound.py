"""The stinger's sound on the mixer: the "Stinger" strip.

A stinger video with an audio track (a whoosh, a jingle) is heard while it plays, as OBS plays a
stinger's audio on the output and, when asked, on the monitor.  The strip exists while the show's
transition is a stinger whose file has sound, so the host sets its level, mutes it or monitors it
before the first take; between takes it reads silence.

The sound is decoded whole ahead of time (:func:`studio.compositor.stinger.decode_sound`); each
playback's start on the media clock (:attr:`Stinger.playback`) places it: the sample ``t`` after
the first picture is due at ``began + t``, moved by ``picture_delay_ms`` as a media file's sound is
(the compositor shows a picture at its first tick after it is due).  A take cut short stops the
sound with the picture.
"""
from __future__ import annotations

from typing import Any, ClassVar, Protocol

import numpy as np

from studio.audio.dsp import silence
from studio.audio.inputs import CHANNELS, AudioInput, InputState
from studio.audio.media_audio import BlockCursor
from studio.core.clock import NS_PER_S


class PlaysSound(Protocol):
    """What the strip reads of a stinger (:class:`studio.compositor.stinger.Stinger`)."""

    sound: np.ndarray | None
    playback: tuple[int, int | None] | None
    duration_ms: float | None


class StingerSoundInput(AudioInput):
    """The mixer's strip for the show's stinger sound (``attach`` the armed stinger)."""

    kind: ClassVar[str] = "stinger_sound"

    def __init__(self, input_id: str, name: str, *, picture_delay_ms: float = 0.0, **strip: Any) -> None:
        super().__init__(input_id, name, **strip)
        self.picture_delay_ms = max(0.0, float(picture_delay_ms))
        self._stinger: PlaysSound | None = None
        self._cursor = BlockCursor(self.sample_rate)

    @property
    def stinger(self) -> PlaysSound | None:
        return self._stinger

    def attach(self, stinger: PlaysSound | None) -> None:
        """Play ``stinger``'s sound from its next playback on (``None``: silence)."""
        self._stinger = stinger

    def start(self) -> None:
        self._cursor.reset()
        super().start()

    def read_block(self, frames: int) -> np.ndarray:
        start_ns = self._cursor.block_start_ns(frames)
        stinger = self._stinger
        if stinger is None or self.state is not InputState.ACTIVE:
            return silence(frames)
        sound, playback = stinger.sound, stinger.playback
        if sound is None or playback is None:
            return silence(frames)
        began_ns, ended_ns = playback
        first = int(round((start_ns - began_ns - self.picture_delay_ms * 1_000_000) * self.sample_rate / NS_PER_S))
        end = min(sound.shape[0], first + frames)
        if stinger.duration_ms:  # never heard past the picture's end
            end = min(end, int(stinger.duration_ms * self.sample_rate / 1000))
        if ended_ns is not None:
            end = min(end, int((ended_ns - began_ns) * self.sample_rate // NS_PER_S))
        low = max(first, 0)
        if end <= low:
            return silence(frames)
        block = np.zeros((frames, CHANNELS), dtype=np.float32)
        block[low - first:end - first] = sound[low:end]
        return block
