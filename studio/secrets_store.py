"""Stream and control-API tokens, kept out of settings files, logs and exports.

Tokens live in the OS keyring when one is available (``keyring`` package with a real
backend), otherwise in ``secrets.json`` in the config dir with owner-only permissions.
Settings store only a reference name.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from studio.core.paths import config_dir

log = logging.getLogger(__name__)
SERVICE = "bridgecast"
_lock = threading.Lock()


def _keyring():
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or type(backend).__name__ in ("ChainerBackend",) and not backend.backends:
            return None
        return keyring
    except Exception:  # not installed or no usable backend (headless Linux)
        return None


def _file() -> Path:
    return config_dir() / "secrets.json"


def _read_file() -> dict[str, str]:
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_file(data: dict[str, str]) -> None:
    path = _file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def set_secret(name: str, value: str | None) -> None:
    """Store (or with ``None``/empty, forget) a secret under ``name``."""
    backend = None if os.environ.get("BRIDGECAST_CONFIG_DIR") else _keyring()
    with _lock:
        if backend is not None:
            try:
                if value:
                    backend.set_password(SERVICE, name, value)
                else:
                    backend.delete_password(SERVICE, name)
                return
            except Exception:
                log.warning("keyring unavailable; keeping the secret in the config dir", exc_info=False)
        data = _read_file()
        if value:
            data[name] = value
        else:
            data.pop(name, None)
        _write_file(data)


def get_secret(name: str) -> str | None:
    backend = None if os.environ.get("BRIDGECAST_CONFIG_DIR") else _keyring()
    with _lock:
        if backend is not None:
            try:
                value = backend.get_password(SERVICE, name)
                if value:
                    return value
            except Exception:
                pass
        return _read_file().get(name) or None
