"""The show's "Stinger" strip follows the armed stinger: it is on the mixer while the transition is
a stinger whose video has sound (known once the file is decoded ahead), and goes when another
transition or a silent or unusable file is chosen.  Its level, mute and monitor switch are kept
while it is away and saved with the show like any strip (one strip: a show has one stinger)."""
from __future__ import annotations

import logging
import threading
from typing import Any

from studio.audio.stinger_sound import StingerSoundInput
from studio.compositor.stinger import Stinger
from studio.core.i18n import _
from studio.engine.audio_inputs import ShowAudioInputs, make_input

log = logging.getLogger(__name__)

STRIP_ID = "stinger-sound"


class StingerStrip:
    """Adds, attaches and retires the mixer's :class:`StingerSoundInput` (any thread; never waits)."""

    def __init__(self, audio_inputs: ShowAudioInputs) -> None:
        self._audio = audio_inputs
        self._stinger: Stinger | None = None
        self._kept: dict[str, Any] = {}  # the strip's settings while it is away
        self._last: StingerSoundInput | None = None  # the strip last added (a reload of the mixer drops it)
        self._lock = threading.RLock()

    @property
    def strip(self) -> StingerSoundInput | None:
        return next((inp for inp in self._audio.mixer.inputs if isinstance(inp, StingerSoundInput)), None)

    def follow(self, stinger: Stinger | None) -> None:
        """The program's stinger is now ``stinger`` (``None``: no stinger transition)."""
        with self._lock:
            if stinger is not self._stinger:
                if self._stinger is not None:
                    self._stinger.changed.disconnect(self._on_stinger_changed)
                self._stinger = stinger
                if stinger is not None:
                    stinger.changed.connect(self._on_stinger_changed)
        self.sync()

    def _on_stinger_changed(self, **_payload: Any) -> None:
        # On the stinger's decoder thread: a failure here must never reach it.
        try:
            self.sync()
        except Exception:
            log.exception("the stinger strip could not follow the stinger")

    def sync(self) -> None:
        """Match the strip to the stinger (call again after the mixer's inputs were reloaded)."""
        with self._lock:
            stinger, strip = self._stinger, self.strip
            if strip is not None:
                self._last = strip  # perhaps loaded with the show's saved strips
            is_silent = stinger is None or stinger.problem is not None or (stinger.is_ready and not stinger.has_sound)
            if is_silent:
                if strip is not None:
                    self._retire(strip)
                elif self._last is not None:
                    self._keep(self._last)
                return
            assert stinger is not None
            if strip is None and self._last is not None:  # the mixer's inputs were reloaded without it
                self._keep(self._last)
            if strip is None:
                if not stinger.has_sound:
                    return  # still loading: the strip appears once the file turns out to have sound
                strip = self._add()
                if strip is None:
                    return
            strip.attach(stinger)

    def _add(self) -> StingerSoundInput | None:
        settings = dict(self._kept)
        settings.setdefault("picture_delay_ms", self._audio.picture_delay_ms)
        settings.pop("name", None)
        input_id = settings.pop("id", STRIP_ID)
        try:
            strip = make_input(StingerSoundInput.kind, input_id, _("Stinger"), **settings)
            assert isinstance(strip, StingerSoundInput)
            self._audio.mixer.add_input(strip)
        except (ValueError, TypeError) as exc:
            log.warning("stinger strip not added: %s", exc)
            return None
        strip.monitor_tap.connect(self._audio.monitor)
        self._last = strip
        return strip

    def _keep(self, strip: StingerSoundInput) -> None:
        data = strip.describe()
        data.pop("kind", None)
        self._kept, self._last = data, None

    def _retire(self, strip: StingerSoundInput) -> None:
        self._keep(strip)
        strip.monitor_tap.connect(None)
        strip.attach(None)
        self._audio.mixer.remove_input(strip)
