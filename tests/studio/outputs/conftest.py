"""Fixtures for the output tests."""
from __future__ import annotations

import pytest

from studio.outputs.aiortc_adapter import codecs


@pytest.fixture(autouse=True)
def aiortc_codec_table():
    """install_codecs() extends aiortc's process-wide table; give every other test aiortc's own back."""
    yield
    codecs.uninstall_codecs()
