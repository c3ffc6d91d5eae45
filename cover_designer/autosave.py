"""Saving cover documents safely, with an autosave copy for recovery after a crash.

``save`` writes atomically (temp file + rename) so the user's file is never half-written.
``autosave`` keeps ``<name>.autosave.json`` next to it; ``recover`` returns that copy when it is
newer than the saved file (the editor offers it on the next start); a clean save removes it.
Covers never saved yet autosave to one fixed file (``write_copy``/``read_copy``), offered the
same way when the editor next opens.
"""
from __future__ import annotations

from pathlib import Path

from .atomic import write_atomic
from .document import CoverDocument, load_document
from .errors import DocumentError


def _write_atomic(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))


def autosave_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.stem + ".autosave.json")


def save(doc: CoverDocument, path: str | Path) -> None:
    """Save the document and drop its autosave copy."""
    path = Path(path)
    _write_atomic(path, doc.to_json() + "\n")
    autosave_path(path).unlink(missing_ok=True)


def autosave(doc: CoverDocument, path: str | Path) -> Path:
    target = autosave_path(path)
    _write_atomic(target, doc.to_json() + "\n")
    return target


def recover(path: str | Path) -> CoverDocument | None:
    """The autosaved document if it is newer than the saved one (and readable), else None."""
    path = Path(path)
    backup = autosave_path(path)
    if not backup.exists():
        return None
    if path.exists() and path.stat().st_mtime_ns >= backup.stat().st_mtime_ns:
        return None
    try:
        return load_document(backup)
    except DocumentError:
        return None


def write_copy(doc: CoverDocument, target: str | Path) -> Path:
    """Write a recovery copy of a cover that has no file yet (atomic)."""
    target = Path(target)
    _write_atomic(target, doc.to_json() + "\n")
    return target


def read_copy(target: str | Path) -> CoverDocument | None:
    """The recovery copy at ``target`` if there is a readable one, else None."""
    target = Path(target)
    if not target.exists():
        return None
    try:
        return load_document(target)
    except DocumentError:
        return None
