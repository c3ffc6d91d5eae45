"""Fill a cover's variables from a product of the live catalog (the CSV/JSON file the live panel
imports, read with ``studio.live.catalog``).

A product's fields become ``{product_name}``, ``{price}``, ``{original_price}``, ``{discount}``,
``{currency}``, ``{sku}``, ``{link}`` and ``{image}``/``{product_image}``; photo layers that are still
empty placeholders take the product photo.  Fields the product does not have are cleared, so a
cover filled from one product never keeps the previous product's discount or photo.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio.core.i18n import _

from .document import CoverDocument
from .errors import DocumentError

if TYPE_CHECKING:  # pragma: no cover
    from studio.live.catalog import CatalogResult, Product

# Every variable a product fills (cleared when the product has no value for it).
PRODUCT_VARIABLES = ("product_name", "price", "original_price", "discount", "currency", "sku", "link", "image",
                     "product_image")
# Image layers with one of these sources (or none) are the template's product-photo placeholder.
PHOTO_PLACEHOLDERS = ("", "{product_image}", "{image}")


@dataclass
class ProductCatalog:
    """A catalog file as read for covers: its good products and the rows that were skipped."""

    path: Path
    result: "CatalogResult"

    @property
    def products(self) -> list["Product"]:
        return self.result.products

    @property
    def folder(self) -> Path:
        return self.path.resolve().parent

    def find(self, sku: str) -> "Product":
        """The product with ``sku`` (exact, then ignoring case); a DocumentError names the file otherwise."""
        for product in self.products:
            if product.sku == sku:
                return product
        for product in self.products:
            if product.sku.casefold() == sku.casefold():
                return product
        raise DocumentError(_("No product with SKU “{sku}” in {path} ({count} products).").format(
            sku=sku, path=self.path.name, count=len(self.products)))

    def problems(self) -> list[str]:
        """The catalog's row problems in words (rows skipped, columns ignored)."""
        return [error.message for error in self.result.errors]


def load_catalog(path: str | Path) -> ProductCatalog:
    """Read a product catalog (CSV or JSON) with the live panel's loader; bad rows are skipped and
    listed in ``problems()``; an unreadable file raises DocumentError."""
    # Imported here: the live package is large and only this feature of the cover designer needs it.
    from studio.live.catalog import import_catalog
    from studio.live.errors import CatalogError

    path = Path(path)
    try:
        result = import_catalog(path)
    except CatalogError as exc:
        raise DocumentError(str(exc)) from None
    if not result.products:
        reasons = "; ".join(error.message for error in result.errors[:3])
        raise DocumentError(_("The catalog {path} has no usable products.").format(path=path.name)
                            + (f" {reasons}" if reasons else ""))
    return ProductCatalog(path, result)


def product_image_path(product: "Product", folder: Path | None) -> str | None:
    """The product photo as a path the renderer can open: relative paths resolve against the
    catalog's folder; a photo that is a web address is not downloaded (None)."""
    image = (product.image or "").strip()
    if not image or "://" in image:
        return None
    path = Path(image).expanduser()
    if not path.is_absolute() and folder is not None:
        path = folder / path
    return str(path.resolve()) if path.is_file() else str(path)


def photo_note(product: "Product", folder: Path | None) -> str | None:
    """Why the product photo cannot go on the cover, in words (None when it can or there is none)."""
    image = (product.image or "").strip()
    if not image:
        return None
    if "://" in image:
        return _("The photo of “{sku}” is a web address; covers use photo files on this computer, so the "
                 "photo placeholder stays empty.").format(sku=product.sku)
    path = product_image_path(product, folder)
    if path and not Path(path).is_file():
        return _("The photo of “{sku}” was not found: {path}").format(sku=product.sku, path=path)
    return None


def product_variables(product: "Product", language: str = "", folder: Path | None = None) -> dict[str, str]:
    """A catalog product → cover variables (only the fields it has)."""
    values = {"product_name": product.title(language.replace("-", "_")), "price": product.price,
              "currency": product.currency, "sku": product.sku}
    if product.original_price:
        values["original_price"] = product.original_price
    if product.discount_percent is not None:
        values["discount"] = str(product.discount_percent)
    if product.link:
        values["link"] = product.link
    image = product_image_path(product, folder)
    if image:
        values["image"] = values["product_image"] = image
    return values


def apply_product(doc: CoverDocument, product: "Product", folder: Path | None = None) -> CoverDocument:
    """A copy of ``doc`` filled from ``product``: its variables set (the product's missing fields
    cleared, other variables kept) and empty photo placeholders pointed at ``{product_image}``."""
    values = product_variables(product, doc.language, folder)
    variables = {name: value for name, value in doc.variables.items() if name not in PRODUCT_VARIABLES}
    variables.update(values)
    new = doc.model_copy(update={"variables": variables}, deep=True)
    if "product_image" in values:
        for layer in new.layers:
            if layer.type == "image" and layer.src.strip() in PHOTO_PLACEHOLDERS:
                layer.src = "{product_image}"
    return new
