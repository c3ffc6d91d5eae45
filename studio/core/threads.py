"""The operating system's name of the calling thread (Linux ``prctl(PR_SET_NAME)``).

Python's thread names live only inside Python; ``top -H``, ``/proc/<pid>/task/*/comm`` and the
benchmarks see "python" for all of them.  Threads doing heavy work name themselves so that their CPU
can be told apart from outside (``bridgecast bench pipeline`` splits encode from everything else by
these names).  Threads a library starts from a named thread (x264's, FFmpeg's) inherit the name.
Elsewhere than Linux, or should the call fail, nothing happens.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

_PR_SET_NAME = 15
_MAX_BYTES = 15  # the kernel keeps 16 bytes with the terminating NUL

# Prefix of every encoding thread's name (the colour conversion feeding the ladder included).
ENCODE_PREFIX = "enc-"

_libc = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        _libc = None


def set_native_name(name: str) -> None:
    """Name the calling thread for the OS (cut to 15 bytes of ASCII)."""
    if _libc is None:
        return
    raw = name.encode("ascii", "replace")[:_MAX_BYTES]
    try:
        _libc.prctl(_PR_SET_NAME, ctypes.c_char_p(raw), 0, 0, 0)
    except (AttributeError, OSError):
        pass


def native_name() -> str | None:
    """The calling thread's OS name (None where it cannot be read)."""
    if _libc is None:
        return None
    buffer = ctypes.create_string_buffer(_MAX_BYTES + 1)
    try:
        if _libc.prctl(16, buffer, 0, 0, 0) != 0:  # PR_GET_NAME
            return None
    except (AttributeError, OSError):
        return None
    return buffer.value.decode("ascii", "replace")


class named_while:
    """``with named_while("enc-h"):`` — the calling thread carries ``name`` for the block (threads a
    library starts inside it, such as x264's pool at encoder open, inherit it), then its own again."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._previous: str | None = None

    def __enter__(self) -> "named_while":
        self._previous = native_name()
        set_native_name(self.name)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._previous is not None:
            set_native_name(self._previous)
