"""A tiny, thread-safe observer used by engine models (Qt-free, napari-style).

Callbacks run on the thread that emits.  ``ui/`` forwards them to the GUI thread with
queued signals; engine code must keep callbacks short.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

log = logging.getLogger(__name__)
Callback = Callable[..., Any]


class Signal:
    """``sig.connect(cb)``, ``sig.disconnect(cb)``, ``sig.emit(**payload)``."""

    def __init__(self) -> None:
        self._callbacks: list[Callback] = []
        self._lock = threading.Lock()

    def connect(self, callback: Callback) -> Callback:
        with self._lock:
            if callback not in self._callbacks:
                self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def emit(self, **payload: Any) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(**payload)
            except Exception:  # one bad listener must not break the emitter's thread
                log.exception("event listener %r failed", callback)
