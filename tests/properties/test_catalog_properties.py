"""Product catalogs under random and mutated input (CSV and JSON): a ``CatalogResult`` whose
products all keep the limits, or a ``CatalogError`` in words, never another exception; bad rows
are row errors in words and never stop the good rows."""
from __future__ import annotations

import json
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from studio.core import limits
from studio.live.catalog import CatalogResult, import_catalog, parse_rows
from studio.live.errors import CatalogError
from tests.properties.strategies import json_scalars, json_values, mutated_lines

GOOD_LINES = [
    "sku,title,title_th,selling_points,price,original_price,currency,stock,image,link",
    "A1,Cotton shirt,เสื้อ,Soft|Breathable,19.99,29.99,USD,12,shirt.jpg,https://shop.example/a1",
    "B2,Wool hat,,Warm,9.5,,EUR,0,,",
    "C3,Rice cooker,,,1299000,1599000,IDR,,,",
]
HOSTILE_CELLS = st.sampled_from([
    "1e400", "-1", "NaN", "9" * 50, "1.123456", "1E-999999999", "=cmd|' /C calc'!A0", "\x00", "x" * 300,
    "a|" * 20, "", "\"", "USD", "1.5", "١٢٣",
])
COLUMNS = st.sampled_from(["sku", "title", "title_ar", "selling_points", "price", "original_price", "currency",
                           "stock", "image", "link", "extra"])


def _check(result: CatalogResult) -> None:
    assert all(error.message for error in result.errors)
    skus = [product.sku for product in result.products]
    assert len(skus) == len(set(skus))
    for product in result.products:
        assert 0 < len(product.sku) <= limits.MAX_SKU_CHARS
        assert 0 <= Decimal(product.price) <= limits.MAX_AMOUNT
        assert product.original_price is None or Decimal(product.original_price) <= limits.MAX_AMOUNT
        assert product.stock is None or 0 <= product.stock <= limits.MAX_UNITS
        assert all(len(title) <= limits.MAX_PRODUCT_TITLE_CHARS for title in product.titles.values())
        assert all(len(points) <= limits.MAX_SELLING_POINTS for points in product.selling_points.values())
        assert product.title("th")
        assert product.discount_percent is None or 0 <= product.discount_percent <= 100
        json.dumps(product.to_json(), allow_nan=False)


def _import(raw: bytes, suffix: str) -> CatalogResult | None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"products{suffix}"
        path.write_bytes(raw)
        try:
            return import_catalog(path)
        except CatalogError as exc:
            assert str(exc) and "Traceback" not in str(exc)
            return None


@given(st.lists(st.dictionaries(COLUMNS, st.one_of(json_scalars, HOSTILE_CELLS, json_values)), max_size=8))
def test_random_rows_give_products_within_the_limits_or_row_errors(rows):
    _check(parse_rows(rows))


@given(json_values)
def test_random_json_files_are_catalogs_or_refused_in_words(data):
    result = _import(json.dumps(data).encode(), ".json")
    if result is not None:
        _check(result)


@given(mutated_lines(GOOD_LINES, st.one_of(st.text(max_size=60), st.lists(HOSTILE_CELLS, max_size=10).map(",".join))))
def test_mutated_csv_files_are_catalogs_or_refused_in_words(lines):
    result = _import("\n".join(lines).encode(), ".csv")
    if result is not None:
        _check(result)


@given(st.binary(max_size=300))
def test_random_bytes_are_refused_in_words_or_read(raw):
    result = _import(raw, ".csv")
    if result is not None:
        _check(result)


def test_the_good_catalog_imports_whole():
    result = _import("\n".join(GOOD_LINES).encode(), ".csv")
    assert [product.sku for product in result.products] == ["A1", "B2", "C3"] and not result.errors


def test_huge_prices_long_fields_and_too_many_points_are_row_errors_in_words():
    rows = [
        {"sku": "A", "title": "Shirt", "price": "1e400", "currency": "USD"},
        {"sku": "B", "title": "Shirt", "price": "5", "original_price": "2000000000", "currency": "USD"},
        {"sku": "C", "title": "x" * 300, "price": "5", "currency": "USD"},
        {"sku": "S" * 101, "title": "Shirt", "price": "5", "currency": "USD"},
        {"sku": "D", "title": "Shirt", "price": "5", "currency": "USD", "selling_points": "|".join("abcdefghijk")},
        {"sku": "E", "title": "Shirt", "price": "5", "currency": "USD", "stock": "2000000"},
        {"sku": "F", "title": "Shirt", "price": "5.123456", "currency": "USD"},
        {"sku": "G", "title": "Shirt", "price": "5", "currency": "USD", "link": "https://x/" + "y" * 3000},
        {"sku": "OK", "title": "Shirt", "price": "1000000000", "currency": "IDR"},
    ]
    result = parse_rows(rows)
    assert [product.sku for product in result.products] == ["OK"]
    assert [error.message for error in result.errors] == [
        "Row 1: The price must be at most 1,000,000,000.",
        "Row 2: The original price must be at most 1,000,000,000.",
        "Row 3: The title is at most 255 characters; this one has 300.",
        "Row 4: the SKU is at most 100 characters; this one has 101.",
        "Row 5: A product has at most 10 selling points; this one has 11.",
        "Row 6: stock must be at most 1,000,000.",
        "Row 7: The price has more than 4 decimals.",
        "Row 8: The link is at most 2048 characters; this one has 3010.",
    ]


def test_rows_past_the_limit_are_left_out_in_words():
    rows = [{"sku": f"S{i}", "title": "T", "price": "1", "currency": "USD"} for i in range(limits.MAX_CATALOG_ROWS + 5)]
    result = parse_rows(rows)
    assert len(result.products) == limits.MAX_CATALOG_ROWS
    assert result.errors[-1].message == "Only the first 10,000 rows are read; the rest were left out."


def test_a_giant_cell_deep_json_and_an_oversized_file_are_refused_in_words(tmp_path):
    giant = tmp_path / "giant.csv"
    giant.write_text("sku,title,price,currency\nA," + "q" * 200_000 + ",1,USD\n", encoding="utf-8")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps([{"sku": "A", "title": json.loads("[" * 40 + "]" * 40)}]), encoding="utf-8")
    big = tmp_path / "big.csv"
    big.write_text("sku,title\n" + "A,B\n" * (limits.MAX_CATALOG_BYTES // 4 + 1), encoding="utf-8")
    messages = []
    for path in (giant, deep, nested, big):
        try:
            import_catalog(path)
        except CatalogError as exc:
            messages.append(str(exc))
    assert messages[0].startswith("giant.csv cannot be read as CSV: field larger than field limit")
    assert messages[1] == "deep.json is nested more than 32 levels deep; it is not a catalog."
    assert messages[2] == "nested.json is nested more than 32 levels deep; it is not a catalog."
    assert messages[3].startswith("big.csv is larger than 20 MB")
