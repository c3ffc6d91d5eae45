"""Every touch of aiortc internals lives in this package (aiortc pinned in pyproject.toml).

The publisher side: ``send`` (the packet sender: rid, pacing, capture-time clocks, NACKs,
keyframe-request hooks), ``simulcast`` (one sender per layer), ``tracks`` (encoded tracks fed
from encoder threads), ``codecs`` (the codec table), ``transport_cc`` (the feedback hook),
``ice_restart``, and ``internals`` (every private name, checked).  ``receive`` is the rehearsal
receiver side (per-rid demultiplexing).  What needs no aiortc (clocks, pacing, retransmission
history, packet items) lives in :mod:`studio.outputs`.
Tests in tests/studio/outputs/test_aiortc_adapter*.py fail loudly when an internal changes.
"""
import aiortc

PINNED_AIORTC_VERSION = "1.16.0"
IS_PINNED_VERSION = aiortc.__version__ == PINNED_AIORTC_VERSION
