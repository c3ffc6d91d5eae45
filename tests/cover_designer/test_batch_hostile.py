"""``cover batch`` with hostile CSV rows: duplicate SKUs keep every cover (the later one renamed and
said), giant fields, NUL bytes and formula-looking SKUs end as a cover or a row error in words."""
from __future__ import annotations

import json

from cover_designer.batch import read_products, row_keys, run_batch
from cover_designer.cli import main
from cover_designer.document import parse_document

DOC = {"preset": "youtube", "variables": {"currency": "USD", "locale": "en_US"},
       "layers": [{"type": "text", "text": "{product_name}"}, {"type": "price", "original": None}]}


def test_rows_with_the_same_file_name_keep_distinct_names_and_are_said():
    rows = [{"sku": "A1"}, {"sku": "A1"}, {"sku": "a/1"}, {"sku": "a-1"}, {"sku": "A1-row2"}, {"sku": "a1"}]
    keys, notes = row_keys(rows)
    assert keys == ["A1", "A1-row2", "a-1", "a-1-row4", "A1-row2-row5", "a1-row6"]
    assert len(set(k.casefold() for k in keys)) == len(keys)
    assert notes[0] == ("Row 2 makes the same file name as row 1 (“A1”); its covers are named “A1-row2-…” so "
                        "neither replaces the other.")
    assert len(notes) == 4


def test_a_batch_with_duplicate_skus_writes_every_cover(tmp_path, capsys):
    csv_path = tmp_path / "products.csv"
    csv_path.write_text("sku,product_name,price\nA1,Red shirt,10\nA1,Blue shirt,12\n", encoding="utf-8")
    template = tmp_path / "t.json"
    template.write_text(json.dumps(DOC), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["batch", str(csv_path), "--template", str(template), "--presets", "youtube", "--out", str(out),
                 "--workers", "1"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["A1-row2-youtube.jpg", "A1-youtube.jpg", "report.json"]
    assert "warning: Row 2 makes the same file name as row 1 (“A1”)" in capsys.readouterr().err


def test_hostile_rows_end_as_covers_or_row_errors_in_words(tmp_path):
    csv_path = tmp_path / "products.csv"
    csv_path.write_text("sku,product_name,price\n"
                        "=cmd|' /C calc'!A0,Formula,5\n"
                        "NUL,Bad\x00name,5\n"
                        "BIG," + "z" * 100_000 + ",5\n"
                        "HUGE,Huge,1e400\n", encoding="utf-8")
    rows = read_products(csv_path)
    results, _seconds = run_batch(parse_document(DOC), rows, ["youtube"], tmp_path / "out", workers=1)
    by_key = {result.key: result for result in results}
    assert by_key["cmd----C-calc--A0"].ok and by_key["NUL"].ok  # the file name keeps letters, digits, - and _
    assert by_key["BIG"].errors == ["Row 3: layers[0]: A text on a cover is at most 500 characters; this one has 100000."]
    assert by_key["HUGE"].errors == ["Row 4, column “price”: A price is at most 1,000,000,000; “1e400” is larger."]
    assert not any("unexpected" in error for result in results for error in result.errors)


def test_a_field_past_the_csv_limit_is_refused_in_words(tmp_path, capsys):
    csv_path = tmp_path / "giant.csv"
    csv_path.write_text("sku,product_name\nX," + "q" * 200_000 + "\n", encoding="utf-8")
    assert main(["batch", str(csv_path), "--template", "na_eu-apparel", "--presets", "youtube",
                 "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()
    assert capsys.readouterr().err.startswith("error: Cannot read the CSV file")
