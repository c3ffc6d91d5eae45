"""Reading scene collection files for the app (blocking: call on a pool thread or at start).

The engine validates a file's structure; this also refuses source types this build
cannot create, so a file naming one fails *before* anything open is replaced.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QCoreApplication

from studio.engine import Studio
from studio.core.errors import SceneFileError
from studio.scene import SceneCollection
from studio.sources import source_kinds


def read_collection(path: str | os.PathLike[str]) -> SceneCollection:
    """Read and validate ``path``; raise ``SceneFileError`` naming the offending field."""
    collection = Studio.read_collection(path)
    known = set(source_kinds())
    for index, spec in enumerate(collection.sources):
        if spec.kind not in known:
            raise SceneFileError(
                QCoreApplication.translate("CollectionFiles", "Invalid scene collection: sources[{index}].kind: unknown source type “{kind}” (known: {known}).").format(
                    index=index, kind=spec.kind, known=", ".join(sorted(known))
                )
            )
    return collection
