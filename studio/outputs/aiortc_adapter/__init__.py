"""Every touch of aiortc internals lives in this package (aiortc pinned in pyproject.toml).

``send`` holds the publisher side (simulcast senders, packet tracks, keyframe-request
hooks, codec table); ``receive`` the rehearsal receiver side (per-rid demultiplexing).
Tests in tests/studio/outputs/test_aiortc_adapter*.py fail loudly when an internal changes.
"""
import aiortc

PINNED_AIORTC_VERSION = "1.16.0"
IS_PINNED_VERSION = aiortc.__version__ == PINNED_AIORTC_VERSION
