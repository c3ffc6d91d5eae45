"""``ProductShelf``: the show's catalog and the product pinned on screen."""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

from studio.core.i18n import _
from studio.live.catalog import CatalogResult, Product, import_catalog
from studio.live.errors import NotFoundError
from studio.live.journal import ShowJournal
from studio.live.layout import OverlayLayout


class ProductShelf:
    """The products of the loaded catalog (in catalog order) and which one is pinned.

    State keys in the store: ``products`` (the catalog as JSON) and ``pinned_sku``.
    """

    def __init__(self, journal: ShowJournal, layout: OverlayLayout, saved: dict[str, Any]) -> None:
        self._journal = journal
        self._layout = layout
        self.products: OrderedDict[str, Product] = OrderedDict(
            (p["sku"], Product.from_json(p)) for p in saved.get("products", []))
        self.pinned_sku: str | None = saved.get("pinned_sku")
        self.catalog_errors: list[dict[str, Any]] = []

    def load(self, path: str | Path) -> CatalogResult:
        """Replace the catalog with the file at ``path``; rows with problems land in ``catalog_errors``."""
        result = import_catalog(path)
        with self._journal.lock:
            self.products = OrderedDict((p.sku, p) for p in result.products)
            self.catalog_errors = [e.to_json() for e in result.errors]
            self._journal.commit("catalog.loaded", {"products": len(result.products), "errors": len(result.errors)},
                                 {"products": self.to_json()})
        return result

    def product(self, sku: str) -> Product:
        try:
            return self.products[sku]
        except KeyError:
            raise NotFoundError(_("No product with SKU “{sku}”.").format(sku=sku)) from None

    @property
    def pinned(self) -> Product | None:
        return self.products.get(self.pinned_sku) if self.pinned_sku else None

    def pin(self, sku: str) -> dict[str, Any]:
        with self._journal.lock:
            product = self.product(sku)
            self.pinned_sku = sku
            self.redraw()
            return self._journal.commit("product.pinned", {"sku": sku, "title": product.title()},
                                        {"pinned_sku": self.pinned_sku})

    def unpin(self) -> dict[str, Any]:
        with self._journal.lock:
            sku, self.pinned_sku = self.pinned_sku, None
            self._layout.draw_product(None)  # also forgets the card: the next pin enters afresh
            return self._journal.commit("product.unpinned", {"sku": sku}, {"pinned_sku": self.pinned_sku})

    def redraw(self) -> None:
        self._layout.draw_product(self.pinned)

    def to_json(self) -> list[dict[str, Any]]:
        """The catalog as the control API's ``GET /api/v1/products`` returns it."""
        with self._journal.lock:
            return [p.to_json() for p in self.products.values()]
