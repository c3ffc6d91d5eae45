"""The engine keeps OpenCV off its spinning worker pool (see ``studio.engine.limit_opencv_threads``)."""
from __future__ import annotations

from studio.engine import Studio


def test_the_engine_runs_opencv_on_the_calling_thread(monkeypatch):
    import cv2

    before = cv2.getNumThreads()
    try:
        Studio(collection=None)
        assert cv2.getNumThreads() == 1
        monkeypatch.setenv("BRIDGECAST_OPENCV_THREADS", "2")
        Studio(collection=None)
        assert cv2.getNumThreads() == 2
    finally:
        cv2.setNumThreads(before)
