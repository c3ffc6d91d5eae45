"""``bridgecast live --catalog`` with broken files (#14), run as a user runs it."""
from __future__ import annotations

from studio.live.store import LiveStore
from tests.test_live_cli import live

FIVE = "sku,title,price,currency,stock\n" + "".join(f"P{i},Product {i},{i}.50,USD,{i}\n" for i in range(1, 6))


def _saved_skus(db):
    store = LiveStore(db)
    try:
        return [p["sku"] for p in store.load_state().get("products", [])]
    finally:
        store.close()


def _run(catalog, db):
    return live("--canvas", "320x180", "--duration", "2", "--no-audio", "--no-show-stats",
                "--catalog", str(catalog), "--show-db", str(db))


def test_a_broken_catalog_keeps_the_saved_one_and_says_so(tmp_path):
    db = tmp_path / "show.db"
    good = tmp_path / "good.csv"
    good.write_text(FIVE, encoding="utf-8")
    first = _run(good, db)
    assert first.returncode == 0, first.stderr
    assert _saved_skus(db) == ["P1", "P2", "P3", "P4", "P5"]

    broken = tmp_path / "broken.csv"
    broken.write_text("sku,title,price,currency\n,No SKU,1,USD\nP9,Bad price,ten,USD\n", encoding="utf-8")
    second = _run(broken, db)
    assert second.returncode == 0, second.stderr
    lines = second.stderr.splitlines()
    assert "warning: catalog broken.csv: Row 1: the SKU is missing." in lines
    assert "warning: catalog broken.csv: Row 2: “ten” is not a price." in lines
    assert ("warning: nothing in broken.csv could be imported; the show goes on with the saved catalog (5 products)"
            in lines)
    assert "Traceback" not in second.stderr
    assert _saved_skus(db) == ["P1", "P2", "P3", "P4", "P5"]


def test_a_binary_catalog_with_nothing_saved_stops_before_going_live(tmp_path):
    binary = tmp_path / "products.csv"
    binary.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)))
    result = _run(binary, tmp_path / "show.db")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1] == "error: nothing in products.csv could be imported and no saved catalog can stand in for it"
    assert any(line.startswith("warning: products.csv is not a text catalog") for line in lines)
    assert "Traceback" not in result.stderr


def test_rows_with_problems_are_warned_and_the_good_rows_load(tmp_path):
    db = tmp_path / "show.db"
    partly = tmp_path / "partly.csv"
    partly.write_text("sku,title,price,currency\nP1,Scarf,9.99,USD\nP2,Mug,9.99,XXQ\n", encoding="utf-8")
    result = _run(partly, db)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "warning: catalog partly.csv: Row 2: “XXQ” is not a known currency code." in lines
    assert "warning: 1 row of partly.csv was left out" in lines
    assert _saved_skus(db) == ["P1"]
