"""Fill a cover's variables from a product of the live catalog (the CSV/JSON file the live panel
imports).

The cover designer does not read catalog files itself: it sits below the engine, so the caller (the
``bridgecast`` command, the cover editor) passes in the live panel's reader, and this module only
needs the few product fields a cover shows (``CoverProduct``).

A product's fields become ``{product_name}``, ``{price}``, ``{original_price}``, ``{discount}``,
``{currency}``, ``{sku}``, ``{link}`` and ``{image}``/``{product_image}``; photo layers that are still
empty placeholders take the product photo.  Fields the product does not have are cleared, so a
cover filled from one product never keeps the previous product's discount or photo.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

from studio.core.errors import StudioError
from studio.core.i18n import _

from .document import CoverDocument
from .errors import CoverError, DocumentError

# Every variable a product fills (cleared when the product has no value for it).
PRODUCT_VARIABLES = ("product_name", "price", "original_price", "discount", "currency", "sku", "link", "image",
                     "product_image")
# Image layers with one of these sources (or none) are the template's product-photo placeholder.
PHOTO_PLACEHOLDERS = ("", "{product_image}", "{image}")


class CoverProduct(Protocol):
    """The fields of a catalog product that a cover shows (``studio.live.catalog.Product`` has them)."""

    @property
    def sku(self) -> str: ...
    @property
    def price(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def original_price(self) -> str | None: ...
    @property
    def image(self) -> str | None: ...
    @property
    def link(self) -> str | None: ...
    @property
    def discount_percent(self) -> int | None: ...

    def title(self, language: str = "") -> str:
        """The product name in ``language`` (a fallback name when it has none in that language)."""
        ...


class RowProblem(Protocol):
    """A catalog row that was skipped or has a problem, in words."""

    @property
    def message(self) -> str: ...


class CatalogRead(Protocol):
    """What a catalog reader returns: the good products and the row problems (``CatalogResult``)."""

    @property
    def products(self) -> Sequence[CoverProduct]: ...
    @property
    def errors(self) -> Sequence[RowProblem]: ...


# Reads a catalog file; a file it cannot read at all raises a StudioError or CoverError with a message
# in words.  The live panel's ``studio.live.catalog.import_catalog`` is the one the app passes in.
CatalogReader = Callable[[Path], CatalogRead]


@dataclass
class ProductCatalog:
    """A catalog file as read for covers: its good products and the rows that were skipped."""

    path: Path
    result: CatalogRead

    @property
    def products(self) -> Sequence[CoverProduct]:
        return self.result.products

    @property
    def folder(self) -> Path:
        return self.path.resolve().parent

    def find(self, sku: str) -> CoverProduct:
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


def load_catalog(path: str | Path, read_catalog: CatalogReader) -> ProductCatalog:
    """Read a product catalog (CSV or JSON) with ``read_catalog`` (the live panel's loader); bad rows
    are skipped and listed in ``problems()``; an unreadable file raises DocumentError."""
    path = Path(path)
    try:
        result = read_catalog(path)
    except (StudioError, CoverError) as exc:
        raise DocumentError(str(exc)) from None
    if not result.products:
        reasons = "; ".join(error.message for error in result.errors[:3])
        raise DocumentError(_("The catalog {path} has no usable products.").format(path=path.name)
                            + (f" {reasons}" if reasons else ""))
    return ProductCatalog(path, result)


def product_image_path(product: CoverProduct, folder: Path | None) -> str | None:
    """The product photo as a path the renderer can open: relative paths resolve against the
    catalog's folder; a photo that is a web address is not downloaded (None)."""
    image = (product.image or "").strip()
    if not image or "://" in image:
        return None
    path = Path(image).expanduser()
    if not path.is_absolute() and folder is not None:
        path = folder / path
    return str(path.resolve()) if path.is_file() else str(path)


def photo_note(product: CoverProduct, folder: Path | None) -> str | None:
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


def product_variables(product: CoverProduct, language: str = "", folder: Path | None = None) -> dict[str, str]:
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


def apply_product(doc: CoverDocument, product: CoverProduct, folder: Path | None = None) -> CoverDocument:
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
