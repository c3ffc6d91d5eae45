"""The show's running video sources: started from their specs, asleep unless a canvas draws
them, retired without making anyone wait for their capture threads.

A source in no scene on air decodes nothing (``set_awake(False)``); the engine says which are
on air after every plan change and when a fade ends.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from studio.core.events import Signal
from studio.scene import SourceSpec
from studio.sources import create_source
from studio.sources.base import SourceState, VideoSource


class RunningSources:
    """source id -> running :class:`VideoSource`; ``state_changed`` relays every source's state."""

    def __init__(self, on_air: Callable[[], set[str]]) -> None:
        self._by_id: dict[str, VideoSource] = {}
        self._on_air = on_air
        # The live show's variables for text sources ({price} …), set by the show that runs (None: none).
        self.text_variables: Callable[[], dict[str, str]] | None = None
        self.state_changed = Signal()  # emit(source=VideoSource, state=SourceState, message=str)

    def get(self, source_id: str) -> VideoSource | None:
        return self._by_id.get(source_id)

    def __contains__(self, source_id: object) -> bool:
        return source_id in self._by_id

    def __getitem__(self, source_id: str) -> VideoSource:
        return self._by_id[source_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def items(self):  # noqa: ANN201 - a dict view
        return self._by_id.items()

    def values(self):  # noqa: ANN201 - a dict view
        return self._by_id.values()

    def start(self, spec: SourceSpec) -> VideoSource:
        """Create and start ``spec``'s source (raises ``SourceError`` for an unknown kind)."""
        source = create_source(spec.kind, spec.id, spec.name, spec.settings)
        source.state_changed.connect(self._relay_state)
        if hasattr(source, "variables"):  # a text source: asks whichever show runs when it draws
            source.variables = self._text_variables
        # Born asleep unless a running canvas draws it: a source in no scene on air decodes nothing.
        source.set_awake(spec.id in self._on_air())
        self._by_id[spec.id] = source
        source.start()
        return source

    def _text_variables(self) -> dict[str, str]:
        provider = self.text_variables
        return provider() if provider is not None else {}

    def pop(self, source_id: str, default: VideoSource | None = None) -> VideoSource | None:
        """Take a source out of the show (the caller retires it)."""
        return self._by_id.pop(source_id, default)

    def take_all(self) -> list[VideoSource]:
        sources = list(self._by_id.values())
        self._by_id.clear()
        return sources

    def retire(self, source: VideoSource) -> None:
        """Stop a source without making the caller wait for its capture thread."""
        source.state_changed.disconnect(self._relay_state)
        source.request_stop()
        threading.Thread(target=source.stop, name=f"retire:{source.source_id}", daemon=True).start()

    def update_wakefulness(self) -> None:
        """Wake the sources a canvas draws and put the others to sleep (never waits for them)."""
        on_air = self._on_air()
        for source_id, source in self._by_id.items():
            source.set_awake(source_id in on_air)

    def dropped_frames(self) -> int:
        return sum(source.dropped_frames for source in self._by_id.values())

    def _relay_state(self, source: VideoSource, state: SourceState, message: str) -> None:
        self.state_changed.emit(source=source, state=state, message=message)
