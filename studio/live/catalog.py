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

from studio.core.i18n import _, ngettext
from studio.live.errors import CatalogError

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
        raw = path.read_bytes()
    except OSError as err:
        raise CatalogError(_("Cannot read the catalog file {path}: {error}").format(path=path, error=err.strerror or err)) from err
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
        if isinstance(data, dict):
            data = data.get("products", [])
        if not isinstance(data, list):
            raise CatalogError(_("A JSON catalog must be a list of products."))
        return data
    return list(csv.DictReader(io.StringIO(text)))


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
        if not sku:
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
        except ValueError:
            row_errors.append(RowError(index, "price", _("Row {row}: “{value}” is not a price.").format(row=index, value=values.get("price"))))
        try:
            original = _parse_decimal(values.get("original_price"))
        except ValueError:
            row_errors.append(RowError(index, "original_price", _("Row {row}: “{value}” is not a price.").format(row=index, value=values.get("original_price"))))
        currency = str(values.get("currency") or "").strip().upper()
        if currency not in _CURRENCIES:
            row_errors.append(RowError(index, "currency", _("Row {row}: “{value}” is not a known currency code.").format(row=index, value=values.get("currency") or "")))
        stock = None
        stock_value = values.get("stock")
        if stock_value not in (None, ""):
            try:
                stock = int(str(stock_value))
                if stock < 0:
                    raise ValueError
            except ValueError:
                row_errors.append(RowError(index, "stock", _("Row {row}: stock must be a whole number of zero or more.").format(row=index)))
        titles: dict[str, str] = {}
        points: dict[str, list[str]] = {}
        for key, value in values.items():
            if value in (None, ""):
                continue
            if key == "title":
                titles[""] = str(value)
            elif key.startswith("title_"):
                titles[key[len("title_"):]] = str(value)
            elif key == "selling_points" or key.startswith("selling_points_"):
                lang = key[len("selling_points_"):] if key != "selling_points" else ""
                points[lang] = value if isinstance(value, list) else [p.strip() for p in str(value).split("|") if p.strip()]
        if not titles and sku:
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
