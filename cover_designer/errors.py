"""Typed errors for the cover designer; each carries a user-facing message (already translated)."""
from __future__ import annotations


class CoverError(ValueError):
    """Base class: ``message`` is shown to the user; ``path`` names the JSON location if any."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.message = message
        self.path = path


class DocumentError(CoverError):
    """A cover document (JSON) is malformed or refers to unknown things."""


class ImageLoadError(CoverError):
    """An image layer's file is missing, corrupt or too large (decompression bomb)."""


class FontError(CoverError):
    """No installed font can draw some text."""


class ExportError(CoverError):
    """The cover could not be written within the preset's limits."""


class TemplateError(CoverError):
    """Unknown template id or a broken template file."""
