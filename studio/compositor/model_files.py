"""The picture tools' model files (shipped in ``resources/models/``), read once and checked against
their SHA-256 so a damaged install says so in words instead of failing inside OpenCV."""
from __future__ import annotations

import hashlib
from pathlib import Path

from studio.core.errors import SourceError


def read_verified(path: Path, sha256: str, missing: str, damaged: str) -> bytes:
    """``path``'s bytes; ``missing`` (with ``{reason}``) or ``damaged`` — both already in the UI's
    language — as a :class:`SourceError` when it cannot be read or is not the file we ship."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(missing.format(reason=exc.strerror or exc)) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SourceError(damaged)
    return data
