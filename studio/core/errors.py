"""Typed engine errors carrying a message meant for the user (already translated)."""
from __future__ import annotations


class StudioError(Exception):
    """Base for errors the user should read.  ``str(err)`` is the user-facing message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SceneFileError(StudioError, ValueError):
    """A scene collection file is unreadable or invalid; the message names the field."""


class SourceError(StudioError):
    """A source could not be created or opened."""


class DeviceLostError(SourceError):
    """A capture device vanished; callers show a slate and retry."""


class AudioDeviceError(StudioError):
    """An audio device could not be opened or was lost."""


class SettingsError(StudioError, ValueError):
    """Settings file invalid; defaults are used and the bad file is kept aside."""
