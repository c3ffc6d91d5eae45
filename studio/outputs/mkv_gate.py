"""Holding a Matroska recording's first bytes back until its first cluster is complete.

FFmpeg's Matroska muxer writes the header (EBML, segment, tracks) at once and each cluster when
it closes.  A process killed between the two leaves a header without a cluster, which no player
opens (PyAV: "End of file").  :class:`FirstClusterGate` sits between the muxer and the file:
what the muxer writes stays in memory until :func:`first_cluster_end` finds a complete cluster,
then goes to the file in one write, and everything after passes straight through.
"""
from __future__ import annotations

import io
from typing import Any

# Matroska element ids (EBML): the segment holds the header elements, then the clusters.
_EBML_SEGMENT_ID = 0x18538067
_EBML_CLUSTER_ID = 0x1F43B675
# The gate lets go anyway past this much held data (a muxer that never closes a cluster).
_MAX_HELD_BYTES = 16 << 20


def _ebml_vint(data: memoryview, position: int, *, keep_marker: bool) -> tuple[int, int, bool] | None:
    """(value, length, is_unknown_size) of the EBML variable-length integer at ``position``."""
    if position >= len(data) or data[position] == 0:
        return None
    first = data[position]
    length = 8 - first.bit_length() + 1
    if position + length > len(data):
        return None
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[position + 1:position + length]:
        value = (value << 8) | byte
    is_unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, length, is_unknown


def first_cluster_end(data: bytes | bytearray | memoryview) -> int | None:
    """The byte offset where the file's first Matroska cluster ends, or None while it is incomplete."""
    view = memoryview(data)
    position = 0
    while True:
        element_id = _ebml_vint(view, position, keep_marker=True)
        if element_id is None:
            return None
        size = _ebml_vint(view, position + element_id[1], keep_marker=False)
        if size is None:
            return None
        body = position + element_id[1] + size[1]
        if element_id[0] == _EBML_SEGMENT_ID:
            position = body  # descend: the clusters are the segment's children
            continue
        if element_id[0] == _EBML_CLUSTER_ID:
            if size[2]:
                return None  # unknown size: its end is not known yet
            end = body + size[0]
            return end if end <= len(view) else None
        if size[2]:
            return None
        position = body + size[0]


class FirstClusterGate(io.RawIOBase):
    """The muxer's output: held in memory until the first cluster is complete, then written to
    ``file`` at once and passed straight through.  A header alone (written before any cluster)
    is a file no player opens; an empty file is plainly "nothing recorded yet"."""

    def __init__(self, file: Any) -> None:
        super().__init__()
        self._file = file
        self._held: io.BytesIO | None = io.BytesIO()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        held = self._held
        if held is None:
            return _write_all(self._file, data)
        count = held.write(data)
        buffer = held.getbuffer()
        try:
            is_complete = len(buffer) > _MAX_HELD_BYTES or first_cluster_end(buffer) is not None
        finally:
            buffer.release()
        if is_complete:
            self.release()
        return count

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return (self._held if self._held is not None else self._file).seek(offset, whence)

    def tell(self) -> int:
        return (self._held if self._held is not None else self._file).tell()

    def release(self) -> None:
        """Write what is held (at the same offsets) and pass everything through from now on."""
        held, self._held = self._held, None
        if held is None:
            return
        position = held.tell()
        self._file.seek(0)
        _write_all(self._file, held.getvalue())
        self._file.seek(position)

    def close(self) -> None:  # the recorder releases, then closes the real file itself
        super().close()


def _write_all(file: Any, data: Any) -> int:
    view = memoryview(data)
    written = 0
    while written < len(view):
        written += file.write(view[written:]) or 0
    return written
