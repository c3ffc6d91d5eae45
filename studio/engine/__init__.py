"""The engine: one show's sources, compositors, audio and render plans (see :mod:`studio.engine.engine`)."""
from studio.engine.engine import OPENCV_THREADS, Studio, default_collection, limit_opencv_threads

__all__ = ["OPENCV_THREADS", "Studio", "default_collection", "limit_opencv_threads"]
