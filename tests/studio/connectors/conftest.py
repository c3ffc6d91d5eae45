"""Fixtures for the connector tests: a hub whose sink records, fast back-off, stand-in platforms."""
from __future__ import annotations

import random
import threading

import pytest

from studio.connectors.hub import ConnectorHub
from studio.outputs.reconnect import Backoff


class RecordingSink:
    """The journal's place: keeps every event it is handed, in order."""

    def __init__(self) -> None:
        self.events = []
        self._lock = threading.Lock()

    def __call__(self, event) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, type_=None, platform=None):
        with self._lock:
            return [e for e in self.events if (type_ is None or e.type == type_) and (platform is None or e.platform == platform)]


@pytest.fixture
def sink():
    return RecordingSink()


@pytest.fixture
def hub(sink):
    hub = ConnectorHub(sink)
    yield hub
    hub.stop()


@pytest.fixture
def fast_backoff():
    """Reconnect in tens of milliseconds (no jitter) so outage tests run quickly."""
    return lambda: Backoff(0.05, 0.3, jitter=0.0, retry_after_max_s=5.0, rng=random.Random(1))
