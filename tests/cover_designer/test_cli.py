"""`bridgecast cover …` end to end (render, lint, batch, resize) and the cover benchmark."""
from __future__ import annotations

import csv
import json

from PIL import Image

from cover_designer.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS, main


def test_render_template(tmp_path, capsys):
    out = tmp_path / "cover.png"
    code = main(["render", "sea-apparel", "--preset", "tiktok_live", "--set", "price=499", "--out", str(out), "--json"])
    assert code == EXIT_OK
    with Image.open(out) as image:
        assert image.size == (1080, 1920)
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["preset"] == "tiktok_live"


def test_render_with_region_switch(tmp_path):
    out = tmp_path / "cover.jpg"
    assert main(["render", "na_eu-food", "--preset", "youtube", "--region", "middle_east", "--out", str(out)]) == EXIT_OK
    assert out.stat().st_size > 1000


def test_lint_json_and_bad_document(tmp_path, capsys):
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({"preset": "douyin", "layers": [{"type": "text", "text": "Sale", "color": "#000000"}]}), encoding="utf-8")
    assert main(["lint", str(doc), "--preset", "douyin", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert any(f["rule"] == "L9" for f in report["findings"])
    doc.write_text(json.dumps({"layers": [{"type": "text", "text": "a", "font": {"size": -3}}]}), encoding="utf-8")
    assert main(["lint", str(doc), "--preset", "youtube", "--json"]) == EXIT_BAD_INPUT
    assert "layers[0].font.size" in capsys.readouterr().err
    assert main(["render", "no-such-template", "--preset", "youtube", "--out", str(tmp_path / "x.png")]) == EXIT_BAD_INPUT
    assert main(["lint", str(doc), "--preset", "nope"]) == EXIT_BAD_INPUT


def test_batch_errors_per_row(tmp_path, capsys):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff garbage")
    products = tmp_path / "products.csv"
    with products.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "product_name", "price", "original_price", "product_image"])
        writer.writerow(["A1", "Linen Shirt", "29.90", "49.90", ""])
        writer.writerow(["B2", "Bad Price", "abc", "", ""])
        writer.writerow(["C3", "Broken Photo", "19.90", "", str(broken)])
        writer.writerow(["D4", "Wool Coat", "129", "199", ""])
    out = tmp_path / "out"
    code = main(["batch", str(products), "--template", "na_eu-apparel", "--presets", "youtube,shopee_square",
                 "--out", str(out), "--workers", "2", "--json"])
    assert code == EXIT_PROBLEMS
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    by_key = {}
    for row in report["results"]:
        by_key.setdefault(row["key"], []).append(row)
    assert all(r["ok"] and r["path"] for r in by_key["A1"] + by_key["D4"])
    assert all(not r["ok"] and not r["path"] and "price" in r["errors"][0] for r in by_key["B2"])
    assert all(not r["ok"] and "damaged" in " ".join(r["errors"]) for r in by_key["C3"])
    assert (out / "A1-shopee_square.jpg").stat().st_size <= 200 * 1024
    assert (out / "report.json").exists()


def test_batch_missing_column(tmp_path, capsys):
    products = tmp_path / "products.csv"
    products.write_text("sku,product_name\nA1,Shirt\n", encoding="utf-8")
    code = main(["batch", str(products), "--template", "na_eu-apparel", "--presets", "youtube", "--out", str(tmp_path)])
    assert code == EXIT_BAD_INPUT
    assert "price" in capsys.readouterr().err


def test_resize_command(tmp_path):
    assert main(["resize", "jp_kr-beauty", "--out", str(tmp_path), "--format", "jpeg"]) == EXIT_OK
    assert len(list(tmp_path.glob("*.jpg"))) == 3


def test_templates_and_presets_listing(capsys):
    assert main(["templates", "--json"]) == EXIT_OK
    assert len(json.loads(capsys.readouterr().out)) >= 25
    assert main(["presets", "--json"]) == EXIT_OK
    assert any(p["id"] == "tiktok_live" for p in json.loads(capsys.readouterr().out))


def test_bench_cover_prints_json_last(capsys):
    from bench.cover import main as bench_main

    assert bench_main(["--json", "--iterations", "2", "--rows", "2", "--workers", "2"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["batch_covers"] == 4
    assert {"single_ms_p50", "batch_covers", "batch_seconds"} <= set(report)
