"""``ProductShelf``: the show's catalog and the product pinned on screen."""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

from studio.core.i18n import _
from studio.live.catalog import (CatalogNotImportedError, CatalogResult, CatalogRowsSkippedError, Product,
                                 import_catalog)
from studio.live.errors import NotFoundError
from studio.live.journal import ShowJournal
from studio.live.layout import OverlayLayout


class ProductShelf:
    """The products of the loaded catalog (in catalog order) and which one is pinned.

    State keys in the store: ``products`` (the catalog as JSON) and ``pinned_sku``.

    A catalog replaces the one in use only when at least one product imported
    (:class:`CatalogNotImportedError` otherwise) and, when some rows were left out, only if
    the caller says so (``load(path, allow_skipped_rows=True)``, or :meth:`read` then
    :meth:`apply` after asking).  A pinned product the new catalog lacks is unpinned and taken
    off the program in the same journal event (``catalog.loaded`` with ``unpinned_sku``).
    """

    def __init__(self, journal: ShowJournal, layout: OverlayLayout, saved: dict[str, Any]) -> None:
        self._journal = journal
        self._layout = layout
        self.products: OrderedDict[str, Product] = OrderedDict(
            (p["sku"], Product.from_json(p)) for p in saved.get("products", []))
        self.pinned_sku: str | None = saved.get("pinned_sku")
        self.catalog_errors: list[dict[str, Any]] = []

    @staticmethod
    def read(path: str | Path) -> CatalogResult:
        """Import the file at ``path`` without changing anything (the caller decides what to apply).

        Raises :class:`~studio.live.errors.CatalogError` when the file cannot be read at all.
        """
        return import_catalog(path)

    def load(self, path: str | Path, allow_skipped_rows: bool = True) -> CatalogResult:
        """Read ``path`` and replace the catalog with it; see :meth:`apply`.

        With ``allow_skipped_rows=False`` a file with bad rows raises :class:`CatalogRowsSkippedError`
        (holding the result, for the caller to ask and :meth:`apply`) and changes nothing.
        """
        result = self.read(path)
        name = Path(path).name
        if result.products and result.skipped_rows and not allow_skipped_rows:
            raise CatalogRowsSkippedError(name, result)
        self.apply(result, name)
        return result

    def apply(self, result: CatalogResult, name: str = "") -> dict[str, Any]:
        """Replace the catalog with ``result``'s products; returns the ``catalog.loaded`` event.

        Raises :class:`CatalogNotImportedError` (and keeps the catalog in use) when no product imported.
        """
        if not result.products:
            raise CatalogNotImportedError(name or _("the catalog file"), result.errors)
        with self._journal.lock:
            self.products = OrderedDict((p.sku, p) for p in result.products)
            self.catalog_errors = [e.to_json() for e in result.errors]
            state: dict[str, Any] = {"products": [p.to_json() for p in self.products.values()]}
            unpinned = self.pinned_sku if self.pinned_sku is not None and self.pinned_sku not in self.products else None
            if unpinned is not None:
                # The card must not stay on air for a product the show no longer sells.
                self.pinned_sku = None
                self._layout.draw_product(None)
                state["pinned_sku"] = None
            else:
                self.redraw()  # the pinned product's price or stock may have changed
            pinned = self.pinned
            data = {"products": len(result.products), "errors": len(result.errors),
                    "skipped_rows": len(result.skipped_rows), "unpinned_sku": unpinned,
                    "pinned_sku": self.pinned_sku, "pinned_is_sold_out": pinned is not None and pinned.is_sold_out}
            return self._journal.commit("catalog.loaded", data, state)

    def product(self, sku: str) -> Product:
        try:
            return self.products[sku]
        except KeyError:
            raise NotFoundError(_("No product with SKU “{sku}”.").format(sku=sku)) from None

    @property
    def pinned(self) -> Product | None:
        return self.products.get(self.pinned_sku) if self.pinned_sku else None

    def pin(self, sku: str) -> dict[str, Any]:
        """Put ``sku``'s card on screen; the event carries ``stock`` and ``is_sold_out`` (a sold-out
        product is still pinned, its card says so, and the panel warns)."""
        with self._journal.lock:
            product = self.product(sku)
            self.pinned_sku = sku
            self.redraw()
            return self._journal.commit("product.pinned", {"sku": sku, "title": product.title(), "stock": product.stock,
                                                           "is_sold_out": product.is_sold_out},
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
