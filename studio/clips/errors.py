"""The clips' one typed error: a reason in words the user reads (CLI line, the app's status)."""
from __future__ import annotations

from studio.core.errors import StudioError


class ClipsError(StudioError):
    """No clip can be made (no pins, no readable recording, nothing of the show recorded)."""
