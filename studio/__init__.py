"""Bridgecast Studio engine: sources, audio, compositor, outputs, live-commerce state.

The engine never imports Qt; ``ui/`` presents it.
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("bridgecast-studio")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"
