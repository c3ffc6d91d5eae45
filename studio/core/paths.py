"""Where Bridgecast keeps things: the per-user config directory and the shipped resources."""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "bridgecast"
CONFIG_DIR_ENV = "BRIDGECAST_CONFIG_DIR"
RESOURCES_DIR = Path(__file__).resolve().parent.parent.parent / "resources"


def config_dir() -> Path:
    """The user's config directory (``BRIDGECAST_CONFIG_DIR`` overrides it, e.g. in tests)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def free_path(folder: Path, stem: str, suffix: str) -> Path:
    """``stem + suffix`` in ``folder``, numbered (``stem-2``, ``stem-3`` …) when taken: what a
    program writes never overwrites an earlier file of the user's."""
    path = folder / f"{stem}{suffix}"
    number = 2
    while path.exists():
        path = folder / f"{stem}-{number}{suffix}"
        number += 1
    return path
