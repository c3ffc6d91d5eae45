"""The live panel's catalog reader, handed down to the cover designer.

The cover designer sits below the engine and may not import ``studio.live``; the places at the top
that fill covers from a catalog file (``bridgecast cover … --product-catalog``, the editor's "Fill from
product…") pass this reader in.  No Qt here: the headless command uses it too.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from studio.live.catalog import CatalogResult


def read_live_catalog(path: Path) -> "CatalogResult":
    """Read a CSV or JSON product catalog exactly as the live panel imports it (bad rows reported)."""
    # Imported here: importing studio.live loads the whole live-show engine, and only the catalog
    # feature of the cover commands needs it.
    from studio.live.catalog import import_catalog

    return import_catalog(path)
