"""Replacing the catalog (#13/#14): a file that imports nothing never replaces a good catalog, a file
with bad rows is applied only when the caller agrees, and a pin the new catalog lacks goes off air."""
from __future__ import annotations

import pytest

from studio.live import LiveShow
from studio.live.catalog import CatalogNotImportedError, CatalogRowsSkippedError
from studio.live.errors import CatalogError

FIVE = ("sku,title,price,currency,stock\n" + "".join(f"P{i},Product {i},{i}.50,USD,{i * 10}\n" for i in range(1, 6)))


@pytest.fixture
def show(tmp_path, clock):
    good = tmp_path / "five.csv"
    good.write_text(FIVE, encoding="utf-8")
    live = LiveShow(None, tmp_path / "show.db", catalog=good, clock=clock)
    yield live
    live.stop()


def _skus(show):
    return [p["sku"] for p in show.shelf.to_json()]


def test_rows_with_problems_are_refused_unless_allowed(show, tmp_path):
    partly = tmp_path / "partly.csv"
    partly.write_text("sku,title,price,currency\nP1,Scarf,9.99,USD\nP2,Mug,ten,USD\nP3,Hat,5,XXQ\nP4,Cap,,USD\n", encoding="utf-8")
    with pytest.raises(CatalogRowsSkippedError) as refused:
        show.shelf.load(partly, allow_skipped_rows=False)
    assert _skus(show) == ["P1", "P2", "P3", "P4", "P5"]  # nothing changed
    result = refused.value.result
    assert result.skipped_rows == [2, 3, 4]
    assert [(e.row, e.column) for e in result.errors] == [(2, "price"), (3, "currency"), (4, "price")]
    assert "3 rows of partly.csv" in str(refused.value)
    show.shelf.apply(result, "partly.csv")  # the host said "Replace anyway"
    assert _skus(show) == ["P1"]


@pytest.mark.parametrize("content", [
    b"sku,title,price,currency\n,No SKU,1,USD\nP2,Bad,x,USD\n",  # every row bad
    b"",  # empty
    b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00binary spreadsheet",  # an .xlsx renamed .csv
    "sku,title,price,currency\nP1,Écharpe,9,EUR\n".encode("latin-1"),  # not UTF-8
])
def test_a_file_that_imports_nothing_keeps_the_catalog_and_the_pin(show, tmp_path, content):
    show.shelf.pin("P3")
    broken = tmp_path / "broken.csv"
    broken.write_bytes(content)
    with pytest.raises(CatalogError) as refused:
        show.shelf.load(broken)
    assert str(refused.value)  # said in words
    assert "Traceback" not in str(refused.value)
    assert _skus(show) == ["P1", "P2", "P3", "P4", "P5"]
    assert show.snapshot()["pinned_sku"] == "P3"
    assert show.snapshot()["pinned_product"]["sku"] == "P3"


def test_nothing_imported_lists_every_row_problem(show, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text("sku,title,price,currency\n,No SKU,1,USD\nP2,Bad,x,USD\n", encoding="utf-8")
    with pytest.raises(CatalogNotImportedError) as refused:
        show.shelf.load(broken)
    assert [(e.row, e.column) for e in refused.value.errors] == [(1, "sku"), (2, "price")]


def test_a_replacement_without_the_pinned_product_unpins_it(show, tmp_path):
    show.shelf.pin("P5")
    smaller = tmp_path / "smaller.csv"
    smaller.write_text("sku,title,price,currency\nP1,Scarf,9.99,USD\n", encoding="utf-8")
    event = show.shelf.apply(show.shelf.read(smaller), "smaller.csv")
    assert event["type"] == "catalog.loaded"
    assert event["data"]["unpinned_sku"] == "P5"
    state = show.snapshot()
    assert state["pinned_sku"] is None and state["pinned_product"] is None
    # A restart sees the same: the unpin was journaled with the catalog.
    assert show.store.load_state()["pinned_sku"] is None


def test_a_replacement_keeping_the_pinned_product_keeps_the_pin_with_new_stock(show, tmp_path):
    show.shelf.pin("P1")
    update = tmp_path / "update.csv"
    update.write_text("sku,title,price,currency,stock\nP1,Scarf,9.99,USD,0\n", encoding="utf-8")
    event = show.shelf.apply(show.shelf.read(update), "update.csv")
    assert event["data"]["unpinned_sku"] is None
    assert show.shelf.pinned.stock == 0 and show.shelf.pinned.is_sold_out


def test_pinning_a_sold_out_product_says_so_in_the_event(show, tmp_path):
    update = tmp_path / "update.csv"
    update.write_text("sku,title,price,currency,stock\nP1,Scarf,9.99,USD,0\nP2,Mug,3,USD,\n", encoding="utf-8")
    show.shelf.load(update)
    sold_out = show.shelf.pin("P1")["data"]
    assert sold_out["stock"] == 0 and sold_out["is_sold_out"] is True
    unknown = show.shelf.pin("P2")["data"]  # stock not given: not "sold out"
    assert unknown["stock"] is None and unknown["is_sold_out"] is False
