"""What the cover designer remembers between sessions: the export folder and the template
gallery's filters.  Typed and versioned like the app's settings, in ``covers/preferences.json``
under the config directory; a missing or unreadable file means the defaults (never an error the
user has to deal with, and the broken file is not overwritten until something changes)."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from .atomic import write_atomic

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1


class CoverPreferences(BaseModel):
    """The export folder ("" = the home folder) and the gallery's region/category filters ("" = all)."""

    model_config = ConfigDict(extra="ignore")

    schema_version: Literal[1] = SCHEMA_VERSION
    export_folder: str = ""
    gallery_region: str = ""
    gallery_category: str = ""


def preferences_path() -> Path:
    from studio.core.paths import config_dir

    return config_dir() / "covers" / "preferences.json"


def load_preferences(path: Path | None = None) -> CoverPreferences:
    """The saved preferences, or the defaults when there are none or they cannot be read."""
    path = path or preferences_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
            raise ValueError(f"unsupported preferences: {str(data)[:80]}")
        return CoverPreferences.model_validate(data)
    except FileNotFoundError:
        return CoverPreferences()
    except (OSError, ValueError, ValidationError) as exc:
        log.warning("cover designer preferences %s unusable (%s); using the defaults", path, exc)
        return CoverPreferences()


def save_preferences(preferences: CoverPreferences, path: Path | None = None) -> Path:
    return write_atomic(path or preferences_path(), (preferences.model_dump_json(indent=2) + "\n").encode("utf-8"))
