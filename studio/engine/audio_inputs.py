"""The show's audio inputs: microphones, test tones and music playlists feeding the mixer, plus
one strip per media source with sound, loaded from the collection and saved back with the
strips' current settings.

A media source's strip follows its source: it appears once the file turns out to have sound
(or at once when the collection saved one), takes the source's name, and goes when the source
goes.  Its strip settings are saved like any input's, as a ``media_audio`` entry naming the
source.  Every input that can be monitored is connected to the show's one monitor output.
"""
from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from studio.audio import AudioInput, AudioMixer, create_input, list_input_devices
from studio.audio.media_audio import MediaAudioInput
from studio.audio.monitor import MonitorOutput
from studio.audio.playlist import PlaylistInput
from studio.audio.stinger_sound import StingerSoundInput
from studio.scene import AudioInputSpec

log = logging.getLogger(__name__)

MEDIA_KIND = MediaAudioInput.kind
# A frame due at t reaches the program at the compositor's first tick after t: on average half a
# canvas frame later (30 fps: 0..33 ms, measured 13 ms on one run).  The media's sound is moved by
# that average, so the offset a viewer sees stays within ±half a frame whatever the ticks' phase.
PICTURE_DELAY_MS = 1000.0 / 30 / 2


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


def make_input(kind: str, input_id: str, name: str, **settings: Any) -> AudioInput:
    """``create_input`` plus the kinds of this show: "playlist", "media_audio", "stinger_sound"."""
    if kind == PlaylistInput.kind:
        return PlaylistInput(input_id, name, **_strip_objects(settings))
    if kind == MEDIA_KIND:
        return MediaAudioInput(input_id, name, **_strip_objects(settings))
    if kind == StingerSoundInput.kind:  # the show's stinger sound (studio.engine.stinger_strip)
        return StingerSoundInput(input_id, name, **_strip_objects(settings))
    return create_input(kind, input_id, name, **settings)


def _strip_objects(settings: dict[str, Any]) -> dict[str, Any]:
    from studio.audio.dsp import GateSettings, LimiterSettings

    settings = dict(settings)
    if isinstance(settings.get("gate"), dict):
        settings["gate"] = GateSettings(**settings["gate"])
    if isinstance(settings.get("limiter"), dict):
        settings["limiter"] = LimiterSettings(**settings["limiter"])
    return settings


class ShowAudioInputs:
    """Adds, removes and (re)loads the mixer's inputs; ``on_change()`` after each edit."""

    def __init__(self, mixer: AudioMixer, on_change: Callable[[], None]) -> None:
        self.mixer = mixer
        self.monitor = MonitorOutput(mixer.sample_rate)
        self.picture_delay_ms = PICTURE_DELAY_MS  # see MediaAudioInput
        self._on_change = on_change
        self._saved_media: dict[str, AudioInputSpec] = {}  # source id -> its saved strip
        self._running: Any = None
        self._on_program: Callable[[], set[str]] | None = None
        self._sync_lock = threading.RLock()
        self._followed_feeds: weakref.WeakSet[Any] = weakref.WeakSet()  # feeds whose has_audio_changed we hear

    def follow_sources(self, running: Any, collection_changed: Any,
                       on_program: Callable[[], set[str]] | None = None) -> None:
        """Keep one strip per media source with sound (``running``: the show's running sources;
        ``on_program()``: the ids of the sources viewers see now — only their sound is heard)."""
        self._running = running
        self._on_program = on_program
        running.state_changed.connect(self._on_source_state)
        collection_changed.connect(self._on_collection_changed)

    def _on_source_state(self, **_payload: Any) -> None:
        # Called on a source's capture thread: a failure here must never reach the source.
        try:
            self.sync_media()
        except Exception:
            log.exception("media strips could not follow the sources")

    def _on_collection_changed(self, what: str = "", **_payload: Any) -> None:
        if what in ("sources", "collection"):
            self.sync_media()

    def load(self, specs: list[AudioInputSpec]) -> None:
        """Replace the mixer's inputs with ``specs`` (a bad entry is skipped, the others load)."""
        for audio_input in self.mixer.inputs:
            self._retire(audio_input)
        self._saved_media = {}
        for spec in specs:
            if spec.kind == MEDIA_KIND:
                self._saved_media[str(spec.settings.get("source_id", ""))] = spec
                continue
            try:
                self._add(make_input(spec.kind, spec.id, spec.name, **spec.settings))
            except (ValueError, TypeError) as exc:  # a bad entry must not stop the others
                log.warning("audio input %s skipped: %s", spec.id, exc)
        self.sync_media()

    def add(self, kind: str, name: str, **settings: Any) -> AudioInput:
        """Add a microphone ("device", ``device_id=None`` = default), a test tone ("tone") or a
        music playlist ("playlist", ``files=[...]``)."""
        spec = AudioInputSpec(kind=kind, name=name, settings=settings)
        audio_input = make_input(spec.kind, spec.id, spec.name, **spec.settings)
        self._add(audio_input)
        self._on_change()
        return audio_input

    def remove(self, input_id: str) -> None:
        audio_input = self.mixer.get_input(input_id)
        if audio_input is None or isinstance(audio_input, (MediaAudioInput, StingerSoundInput)):
            return  # a media source's strip goes with its source, the stinger's with the stinger
        self._retire(audio_input)
        self._on_change()

    def specs(self) -> list[AudioInputSpec]:
        """The mixer's inputs as saved data (their strips change directly from the mixer UI)."""
        specs = []
        for audio_input in self.mixer.inputs:
            data = audio_input.describe()
            kind, input_id, name = data.pop("kind"), data.pop("id"), data.pop("name")
            specs.append(AudioInputSpec(id=input_id, kind=kind, name=name, settings=data))
        return specs

    def close(self) -> None:
        """Close the monitor output (the mixer stops its inputs itself)."""
        self.monitor.close()

    # -- media sources ---------------------------------------------------------------------------
    def media_input(self, source_id: str) -> MediaAudioInput | None:
        """The strip of a media source, if it has one."""
        return next((inp for inp in self.mixer.inputs if isinstance(inp, MediaAudioInput) and inp.source_id == source_id), None)

    def sync_media(self) -> None:
        """Match the media strips to the running media sources (any thread; never waits)."""
        running = self._running
        if running is None:
            return
        with self._sync_lock:
            sources = {source_id: source for source_id, source in list(running.items()) if hasattr(source, "audio_feed")}
            for source in sources.values():
                # A source asleep from the start opens its file without changing state: its feed
                # says when the file turns out to have sound.
                if source.audio_feed not in self._followed_feeds:
                    self._followed_feeds.add(source.audio_feed)
                    source.audio_feed.has_audio_changed.connect(self._on_source_state)
            strips = {inp.source_id: inp for inp in self.mixer.inputs if isinstance(inp, MediaAudioInput)}
            for source_id, strip in strips.items():
                source = sources.get(source_id)
                if source is None or source.audio_feed.has_audio is False:
                    self._retire(strip)
                    self._saved_media.pop(source_id, None)
            for source_id, source in sources.items():
                strip = strips.get(source_id)
                if strip is None or self.mixer.get_input(strip.input_id) is None:
                    strip = self._new_media_strip(source_id, source)
                    if strip is None:
                        continue
                strip.attach(source.audio_feed)
                if strip.name != source.name:
                    strip.name = source.name

    def _new_media_strip(self, source_id: str, source: Any) -> MediaAudioInput | None:
        saved = self._saved_media.get(source_id)
        if saved is None and source.audio_feed.has_audio is not True:
            return None  # not known to have sound (yet)
        settings = dict(saved.settings) if saved is not None else {}
        settings["source_id"] = source_id
        settings.setdefault("picture_delay_ms", self.picture_delay_ms)
        input_id = saved.id if saved is not None else f"media-{source_id}"
        try:
            strip = make_input(MEDIA_KIND, input_id, source.name, **settings)
        except (ValueError, TypeError) as exc:
            log.warning("media strip %s skipped: %s", input_id, exc)
            return None
        on_program = self._on_program
        if on_program is not None:
            strip.is_heard = lambda: source_id in on_program()  # type: ignore[attr-defined]
        try:
            self._add(strip)
        except ValueError:  # another thread added it first
            return None
        return strip  # type: ignore[return-value]

    # -- helpers ---------------------------------------------------------------------------------
    def _add(self, audio_input: AudioInput) -> None:
        tap = getattr(audio_input, "monitor_tap", None)
        self.mixer.add_input(audio_input)
        if tap is not None:
            tap.connect(self.monitor)

    def _retire(self, audio_input: AudioInput) -> None:
        tap = getattr(audio_input, "monitor_tap", None)
        if tap is not None:
            tap.connect(None)
        self.mixer.remove_input(audio_input)  # stops it (its thread, if any, ends within a block)
