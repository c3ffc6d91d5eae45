"""Product catalog import (CSV or JSON) with per-row errors.

Columns: ``sku``, ``title`` (default language) and ``title_<lang>`` (e.g. ``title_ar``),
``selling_points`` / ``selling_points_<lang>`` (``|``-separated), ``price``,
``original_price``, ``currency`` (ISO 4217), ``stock``, ``image``, ``link``.
A bad row is skipped and reported; the good rows still load.  A file that is not text
(a spreadsheet saved as .xlsx, an image) or not UTF-8 is refused as a whole, in words.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable

from babel.numbers import list_currencies

from studio.core import limits
from studio.core.i18n import _, ngettext
from studio.live import inputs
from studio.live.errors import CatalogError, LiveError

KNOWN_COLUMNS = {"sku", "title", "selling_points", "price", "original_price", "currency", "stock", "image", "link"}
_LOCALIZED_PREFIXES = ("title_", "selling_points_")
_CURRENCIES = frozenset(list_currencies())


@dataclass
class Product:
    sku: str
    titles: dict[str, str]  # language code ("" = default) -> title
    price: str  # decimal as text, exact
    currency: str
    original_price: str | None = None
    stock: int | None = None
    selling_points: dict[str, list[str]] = field(default_factory=dict)
    image: str | None = None
    link: str | None = None

    def title(self, language: str = "") -> str:
        base = language.split("_")[0]
        return self.titles.get(language) or self.titles.get(base) or self.titles.get("") or next(iter(self.titles.values()), self.sku)

    @property
    def discount_percent(self) -> int | None:
        if not self.original_price:
            return None
        original, price = Decimal(self.original_price), Decimal(self.price)
        if original <= 0 or price >= original:
            return None
        return int(((original - price) / original * 100).to_integral_value())

    @property
    def is_sold_out(self) -> bool:
        """Stock known and zero: the on-screen card says "Sold out" and pinning it warns."""
        return self.stock == 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Product":
        return cls(**data)


@dataclass
class RowError:
    row: int  # 1-based data row (CSV: header is row 0); 0 = the whole file/header
    column: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CatalogResult:
    products: list[Product]
    errors: list[RowError]

    @property
    def skipped_rows(self) -> list[int]:
        """The data rows left out because of a problem (row-0 notes such as an unknown column skip nothing)."""
        return sorted({error.row for error in self.errors if error.row > 0})


class CatalogNotImportedError(CatalogError):
    """Not one product of a catalog file could be imported; the catalog in use stays.

    ``errors`` lists every row's problem (:class:`RowError`) so the host can fix the file.
    """

    def __init__(self, name: str, errors: list[RowError]) -> None:
        self.errors = errors
        if errors:
            message = _("Nothing in {name} could be imported: every row has a problem; the catalog in use is kept.")
        else:
            message = _("{name} holds no products; the catalog in use is kept.")
        super().__init__(message.format(name=name))


class CatalogRowsSkippedError(CatalogError):
    """Some rows of a catalog file have problems: it replaces the catalog only when the host agrees."""

    def __init__(self, name: str, result: CatalogResult) -> None:
        self.result = result
        count = len(result.skipped_rows)
        super().__init__(ngettext("{count} row of {name} has a problem and would be left out.",
                                  "{count} rows of {name} have problems and would be left out.", count)
                         .format(count=count, name=name))


def _parse_decimal(text: Any) -> Decimal | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(str(text)) from None
    if not value.is_finite():
        raise ValueError(str(text))
    return value


def _rows_from_file(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open("rb") as file:
            raw = file.read(limits.MAX_CATALOG_BYTES + 1)
    except OSError as err:
        raise CatalogError(_("Cannot read the catalog file {path}: {error}").format(path=path, error=err.strerror or err)) from err
    if len(raw) > limits.MAX_CATALOG_BYTES:
        raise CatalogError(_("{name} is larger than {limit} MB; a catalog of {rows} products is far smaller. Check that "
                             "it is the right file.").format(name=path.name, limit=limits.MAX_CATALOG_BYTES // 1_000_000,
                                                             rows=f"{limits.MAX_CATALOG_ROWS:,}"))
    if b"\x00" in raw[:65536]:
        # Text catalogs never hold NUL bytes; spreadsheets (.xlsx), images and archives do.
        raise CatalogError(_("{name} is not a text catalog (it looks like a spreadsheet or other binary file). "
                             "Save it as “CSV UTF-8” or JSON and load it again.").format(name=path.name))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogError(_("{name} is not UTF-8 text. Save it from the spreadsheet as “CSV UTF-8” and load it again.")
                           .format(name=path.name)) from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise CatalogError(_("The catalog file is not valid JSON (line {line}).").format(line=err.lineno)) from err
        except RecursionError:
            data = None  # nested past any catalog: refused just below
        if data is None or limits.nested_deeper_than(data):
            raise CatalogError(_("{name} is nested more than {limit} levels deep; it is not a catalog.").format(
                name=path.name, limit=limits.MAX_JSON_DEPTH))
        if isinstance(data, dict):
            data = data.get("products", [])
        if not isinstance(data, list):
            raise CatalogError(_("A JSON catalog must be a list of products."))
        return data
    try:
        return list(csv.DictReader(io.StringIO(text)))
    except csv.Error as err:  # e.g. a cell longer than the csv module's field limit (131,072 characters)
        raise CatalogError(_("{name} cannot be read as CSV: {reason}. Check that it is the right file.").format(
            name=path.name, reason=err)) from None


def _selling_points(value: Any) -> list[str]:
    """``a|b|c`` (or a JSON list) as bounded lines of text; ``LiveError`` in words otherwise."""
    parts = value if isinstance(value, list) else str(value).split("|") if isinstance(value, str) else [value]
    points = [inputs.text(part, _("A selling point"), limits.MAX_SELLING_POINT_CHARS) for part in parts]
    points = [point for point in points if point]
    if len(points) > limits.MAX_SELLING_POINTS:
        raise LiveError(_("A product has at most {limit} selling points; this one has {count}.").format(
            limit=limits.MAX_SELLING_POINTS, count=len(points)))
    return points


def import_catalog(path: str | Path) -> CatalogResult:
    """Read a CSV or JSON catalog file; see :func:`parse_rows`."""
    return parse_rows(_rows_from_file(Path(path)))


def parse_rows(rows: Iterable[dict[str, Any]]) -> CatalogResult:
    """Validate rows; each problem becomes a RowError, good rows become Products."""
    products: list[Product] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    reported_unknown: set[str] = set()
    for index, row in enumerate(rows, start=1):
        if index > limits.MAX_CATALOG_ROWS:
            errors.append(RowError(0, None, _("Only the first {limit} rows are read; the rest were left out.").format(
                limit=f"{limits.MAX_CATALOG_ROWS:,}")))
            break
        if not isinstance(row, dict):
            errors.append(RowError(index, None, _("Row {row} is not an object.").format(row=index)))
            continue
        row_errors: list[RowError] = []
        for column in row:
            if column is None:  # CSV row with more cells than the header
                row_errors.append(RowError(index, None, _("Row {row} has more cells than the header.").format(row=index)))
                continue
            name = str(column).strip().lower()
            if name not in KNOWN_COLUMNS and not name.startswith(_LOCALIZED_PREFIXES) and name not in reported_unknown:
                reported_unknown.add(name)
                errors.append(RowError(0, str(column), _("Unknown column “{column}” is ignored.").format(column=column)))
        values = {str(k).strip().lower(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k is not None}
        sku = str(values.get("sku") or "").strip()
        if len(sku) > limits.MAX_SKU_CHARS:
            row_errors.append(RowError(index, "sku", _("Row {row}: the SKU is at most {limit} characters; this one has "
                                                       "{count}.").format(row=index, limit=limits.MAX_SKU_CHARS,
                                                                          count=len(sku))))
        elif not sku:
            row_errors.append(RowError(index, "sku", _("Row {row}: the SKU is missing.").format(row=index)))
        elif sku in seen:
            row_errors.append(RowError(index, "sku", _("Row {row}: SKU “{sku}” appears twice.").format(row=index, sku=sku)))
        price = original = None
        try:
            price = _parse_decimal(values.get("price"))
            if price is None:
                row_errors.append(RowError(index, "price", _("Row {row}: the price is missing.").format(row=index)))
            elif price < 0:
                row_errors.append(RowError(index, "price", _("Row {row}: the price cannot be negative.").format(row=index)))
            else:
                price = Decimal(inputs.amount(price, _("The price")))
        except ValueError:
            row_errors.append(RowError(index, "price", _("Row {row}: “{value}” is not a price.").format(
                row=index, value=inputs.quoted(values.get("price")))))
        except LiveError as err:  # past the largest amount, or more decimals than any currency has
            row_errors.append(RowError(index, "price", _("Row {row}: {reason}").format(row=index, reason=err)))
        try:
            original = _parse_decimal(values.get("original_price"))
            if original is not None:
                original = Decimal(inputs.amount(original, _("The original price")))
        except ValueError:
            row_errors.append(RowError(index, "original_price", _("Row {row}: “{value}” is not a price.").format(
                row=index, value=inputs.quoted(values.get("original_price")))))
        except LiveError as err:
            row_errors.append(RowError(index, "original_price", _("Row {row}: {reason}").format(row=index, reason=err)))
        currency = str(values.get("currency") or "").strip().upper()
        if currency not in _CURRENCIES:
            row_errors.append(RowError(index, "currency", _("Row {row}: “{value}” is not a known currency code.").format(
                row=index, value=inputs.quoted(values.get("currency") or ""))))
        stock = None
        stock_value = values.get("stock")
        if stock_value not in (None, ""):
            try:
                stock = int(str(stock_value)) if len(str(stock_value)) <= 20 else -1
                if stock < 0:
                    raise ValueError
            except ValueError:
                row_errors.append(RowError(index, "stock", _("Row {row}: stock must be a whole number of zero or more.").format(row=index)))
            else:
                if stock > limits.MAX_UNITS:
                    row_errors.append(RowError(index, "stock", _("Row {row}: stock must be at most {limit}.").format(
                        row=index, limit=f"{limits.MAX_UNITS:,}")))
        titles: dict[str, str] = {}
        points: dict[str, list[str]] = {}
        for key, value in values.items():
            if value in (None, ""):
                continue
            try:
                if key == "title":
                    titles[""] = inputs.text(value, _("The title"), limits.MAX_PRODUCT_TITLE_CHARS)
                elif key.startswith("title_"):
                    titles[key[len("title_"):]] = inputs.text(value, _("The title"), limits.MAX_PRODUCT_TITLE_CHARS)
                elif key == "selling_points" or key.startswith("selling_points_"):
                    lang = key[len("selling_points_"):] if key != "selling_points" else ""
                    points[lang] = _selling_points(value)
                elif key in ("image", "link"):
                    inputs.text(value, _("The image") if key == "image" else _("The link"), limits.MAX_LINK_CHARS)
            except LiveError as err:
                row_errors.append(RowError(index, key, _("Row {row}: {reason}").format(row=index, reason=err)))
        if not titles and sku and not any(str(error.column).startswith("title") for error in row_errors):
            row_errors.append(RowError(index, "title", _("Row {row}: the title is missing.").format(row=index)))
        if row_errors:
            errors.extend(row_errors)
            continue
        seen.add(sku)
        products.append(Product(
            sku=sku, titles=titles, price=str(price), currency=currency,
            original_price=str(original) if original is not None else None, stock=stock,
            selling_points=points, image=(str(values["image"]) if values.get("image") else None),
            link=(str(values["link"]) if values.get("link") else None),
        ))
    return CatalogResult(products, errors)
