"""Typed live-show errors; ``str(err)`` is a translated message for the assistant."""
from __future__ import annotations

from studio.core.errors import StudioError


class LiveError(StudioError):
    """A live-show command could not be carried out (bad input or wrong moment)."""


class NotFoundError(LiveError, KeyError):
    """The product, coupon, comment or giveaway named does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class CatalogError(LiveError, ValueError):
    """A catalog file cannot be read at all (per-row problems are reported as RowError)."""
