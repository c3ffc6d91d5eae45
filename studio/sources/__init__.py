"""Source kinds and the factory that builds them from scene-collection data."""
from __future__ import annotations

from typing import Any

from studio.core.errors import SourceError
from studio.core.i18n import _
from studio.sources.base import SourceState, VideoSource

_REGISTRY: dict[str, type[VideoSource]] = {}


def register(cls: type[VideoSource]) -> type[VideoSource]:
    _REGISTRY[cls.kind] = cls
    return cls


def source_kinds() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def create_source(kind: str, source_id: str, name: str, settings: dict[str, Any] | None = None) -> VideoSource:
    _load_builtin()
    cls = _REGISTRY.get(kind)
    if cls is None:
        raise SourceError(_("Unknown source type “{kind}”.").format(kind=kind))
    return cls(source_id, name, settings)


def _load_builtin() -> None:
    # Imported lazily so importing the package stays cheap and free of cycles.
    import importlib

    for module in ("testpattern", "image", "media_file", "camera", "text", "screen"):
        try:
            importlib.import_module(f"studio.sources.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"studio.sources.{module}":
                raise


__all__ = ["SourceState", "VideoSource", "create_source", "register", "source_kinds"]
