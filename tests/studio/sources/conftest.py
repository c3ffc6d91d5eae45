"""Fixtures for source tests: every started source is stopped, whatever the test did."""
from __future__ import annotations

import pytest

from studio.sources.base import VideoSource


@pytest.fixture
def started():
    """``started(source)`` starts a source and guarantees it is stopped after the test."""
    sources: list[VideoSource] = []

    def start(source: VideoSource) -> VideoSource:
        sources.append(source)
        source.start()
        return source

    try:
        yield start
    finally:
        for source in sources:
            source.stop()
