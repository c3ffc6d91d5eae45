from __future__ import annotations

import json
import time

from studio.live.catalog import import_catalog, parse_rows
from studio.live.store import LiveStore


def test_store_is_wal_and_journal_is_append_only(tmp_path):
    store = LiveStore(tmp_path / "show.db")
    assert store.journal_mode == "wal"
    first = store.append("a", {"x": 1}, {"k": [1]})
    second = store.append("b", {"x": 2}, {"k": [2]})
    assert second["seq"] > first["seq"]
    assert store.load_state() == {"k": [2]}
    assert [e["type"] for e in store.events()] == ["a", "b"]
    store.close()


def test_catalog_rows_with_errors(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "sku,title,price,currency,stock,colour\n"
        "A,Good,10,USD,5,red\n"
        "B,No price,,USD,5,blue\n"
        "C,Bad currency,10,XXQ,5,\n"
        "D,Bad stock,10,EUR,-1,\n"
        "A,Duplicate,10,USD,1,\n"
        ",No sku,10,USD,1,\n"
        "E,Bad price,ten,USD,1,\n",
        encoding="utf-8",
    )
    result = import_catalog(path)
    assert [p.sku for p in result.products] == ["A"]
    by_row = {(e.row, e.column) for e in result.errors}
    assert (0, "colour") in by_row  # unknown column reported once
    assert sum(1 for e in result.errors if e.column == "colour") == 1
    assert (2, "price") in by_row and (3, "currency") in by_row and (4, "stock") in by_row
    assert (5, "sku") in by_row and (6, "sku") in by_row and (7, "price") in by_row
    assert all(e.message for e in result.errors)


def test_json_catalog_and_localized_titles(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"products": [
        {"sku": "X", "title": "Lamp", "title_de": "Lampe", "price": "9.5", "currency": "eur", "selling_points": "warm|dimmable"},
        {"sku": "Y", "title": "Missing currency", "price": 3},
    ]}), encoding="utf-8")
    result = import_catalog(path)
    assert len(result.products) == 1
    product = result.products[0]
    assert product.title("de") == "Lampe" and product.title("fr") == "Lamp"
    assert product.currency == "EUR" and product.selling_points[""] == ["warm", "dimmable"]
    assert [(e.row, e.column) for e in result.errors] == [(2, "currency")]


def test_ten_thousand_rows_fast(tmp_path):
    path = tmp_path / "big.csv"
    lines = ["sku,title,price,original_price,currency,stock"]
    lines += [f"S{i},Product {i},{i % 100 + 0.99},{i % 100 + 10},USD,{i % 50}" for i in range(10_000)]
    lines[5000] = "S4999,Broken,,,USD,1"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    result = import_catalog(path)
    assert time.perf_counter() - started < 5.0
    assert len(result.products) == 9_999
    assert len(result.errors) == 1 and result.errors[0].row == 5000


def test_parse_rows_rejects_non_objects():
    result = parse_rows([1, {"sku": "A", "title": "t", "price": "1", "currency": "JPY"}])
    assert len(result.products) == 1 and result.errors[0].row == 1
