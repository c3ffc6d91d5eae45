"""Covers filled from a product of the live catalog (CSV or JSON, read by studio.live.catalog and
passed in from above): the engine mapping, photo placeholders, and
``bridgecast cover render/lint --product-catalog --sku``."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cover_designer import cli
from cover_designer.cli import EXIT_BAD_INPUT, EXIT_OK
from cover_designer.errors import DocumentError
from cover_designer.products import apply_product, photo_note, product_variables
from cover_designer.products import load_catalog as load_with
from cover_designer.render import render
from cover_designer.templates import load_template
from ui.cover_catalog import read_live_catalog

ROOT = Path(__file__).resolve().parents[2]


def load_catalog(path):
    """The cover designer's catalog, read by the live panel's reader (as the app passes it in)."""
    return load_with(path, read_live_catalog)


def main(argv):
    """``bridgecast cover``: the cover CLI with the live panel's catalog reader passed in."""
    return cli.main(argv, read_catalog=read_live_catalog)


def write_catalog(folder: Path) -> Path:
    """Two good products (one with a photo next to the file), one bad row."""
    Image.new("RGB", (400, 300), (20, 160, 60)).save(folder / "shirt.png")
    path = folder / "catalog.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "title", "title_de", "price", "original_price", "currency", "stock", "image", "link"])
        writer.writerow(["SHIRT-1", "Linen Shirt", "Leinenhemd", "29.90", "49.90", "USD", "12", "shirt.png",
                         "https://shop.example/shirt"])
        writer.writerow(["MUG-2", "Travel Mug", "", "12.00", "", "EUR", "", "", ""])
        writer.writerow(["BAD-3", "Broken", "", "abc", "", "USD", "", "", ""])
    return path


def test_catalog_product_maps_to_the_variables(tmp_path):
    catalog = load_catalog(write_catalog(tmp_path))
    assert [p.sku for p in catalog.products] == ["SHIRT-1", "MUG-2"]
    assert any("abc" in problem for problem in catalog.problems())  # the bad row is reported, not fatal
    shirt = catalog.find("shirt-1")
    values = product_variables(shirt, "en", catalog.folder)
    assert values == {"product_name": "Linen Shirt", "price": "29.90", "original_price": "49.90", "discount": "40",
                      "currency": "USD", "sku": "SHIRT-1", "link": "https://shop.example/shirt",
                      "image": str((tmp_path / "shirt.png").resolve()),
                      "product_image": str((tmp_path / "shirt.png").resolve())}
    assert product_variables(shirt, "de", catalog.folder)["product_name"] == "Leinenhemd"
    with pytest.raises(DocumentError) as info:
        catalog.find("NOPE")
    assert "NOPE" in info.value.message


def test_json_catalog_and_unusable_files(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"products": [{"sku": "J1", "title": "Lamp", "price": "80", "currency": "JPY",
                                              "image": "https://cdn.example/lamp.jpg"}]}), encoding="utf-8")
    catalog = load_catalog(path)
    lamp = catalog.find("J1")
    assert product_variables(lamp, "ja", catalog.folder)["product_name"] == "Lamp"
    assert "image" not in product_variables(lamp, "ja", catalog.folder)  # web photos are never downloaded
    assert "web address" in photo_note(lamp, catalog.folder)
    (tmp_path / "bad.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(DocumentError):
        load_catalog(tmp_path / "bad.json")
    (tmp_path / "empty.csv").write_text("sku,title,price,currency\n,,,\n", encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load_catalog(tmp_path / "empty.csv")
    assert "no usable products" in info.value.message
    with pytest.raises(DocumentError):
        load_catalog(tmp_path / "missing.csv")


def test_apply_product_fills_placeholders_and_clears_stale_values(tmp_path):
    catalog = load_catalog(write_catalog(tmp_path))
    template = load_template("na_eu-apparel")
    data = template.model_dump()
    photo = next(layer for layer in data["layers"] if layer["type"] == "image")
    photo["src"] = ""  # an empty photo placeholder takes the product photo too
    doc = template.model_validate(data).model_copy(update={"variables": {**template.variables, "feature": "keep me"}})
    shirt_doc = apply_product(doc, catalog.find("SHIRT-1"), catalog.folder)
    assert shirt_doc.variables["product_name"] == "Linen Shirt" and shirt_doc.variables["discount"] == "40"
    assert shirt_doc.variables["feature"] == "keep me"
    assert next(layer for layer in shirt_doc.layers if layer.type == "image").src == "{product_image}"
    result = render(shirt_doc, "youtube")
    assert not result.problems
    photo_info = next(info for info in result.layers if info.type == "image")
    assert photo_info.photo_size == (400, 300)
    # The product photo is drawn (green), not the grey placeholder.
    box = photo_info.frame
    crop = np.asarray(result.image.convert("RGB").crop((int(box.x) + 20, int(box.y) + 20, int(box.x) + 60, int(box.y) + 60)))
    assert crop[..., 1].mean() > 120 and crop[..., 0].mean() < 60
    # The next product has no original price, discount or photo: those are cleared, not kept.
    mug_doc = apply_product(shirt_doc, catalog.find("MUG-2"), catalog.folder)
    for name in ("original_price", "discount", "image", "product_image", "link"):
        assert name not in mug_doc.variables
    assert mug_doc.variables["currency"] == "EUR" and mug_doc.variables["price"] == "12.00"
    assert not render(mug_doc, "youtube").problems


def test_cli_render_from_catalog_product(tmp_path, capsys):
    catalog = write_catalog(tmp_path)
    out = tmp_path / "shirt.png"
    code = main(["render", "na_eu-apparel", "--preset", "youtube", "--product-catalog", str(catalog),
                 "--sku", "SHIRT-1", "--out", str(out), "--json"])
    assert code == EXIT_OK
    captured = capsys.readouterr()
    assert "abc" in captured.err  # the skipped row is reported as a warning
    with Image.open(out) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert (pixels[..., 1] > 140).sum() > 10000  # the green product photo is on the cover
    # --set still wins over the product.
    code = main(["lint", "na_eu-apparel", "--preset", "youtube", "--product-catalog", str(catalog), "--sku", "MUG-2",
                 "--set", "product_name=Mug", "--json"])
    assert code in (EXIT_OK, 1)
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["preset"] == "youtube"


def test_cli_product_errors_are_bad_input(tmp_path, capsys):
    catalog = write_catalog(tmp_path)
    out = tmp_path / "x.png"
    assert main(["render", "na_eu-apparel", "--preset", "youtube", "--product-catalog", str(catalog),
                 "--sku", "NOPE", "--out", str(out)]) == EXIT_BAD_INPUT
    assert "NOPE" in capsys.readouterr().err
    assert main(["render", "na_eu-apparel", "--preset", "youtube", "--sku", "SHIRT-1", "--out", str(out)]) == EXIT_BAD_INPUT
    assert "--product-catalog" in capsys.readouterr().err
    assert main(["render", "na_eu-apparel", "--preset", "youtube", "--product-catalog", str(tmp_path / "none.csv"),
                 "--sku", "A", "--out", str(out)]) == EXIT_BAD_INPUT
    assert not out.exists()


def test_cli_subprocess_fills_the_price(tmp_path):
    catalog = write_catalog(tmp_path)
    out = tmp_path / "mug.png"
    done = subprocess.run([sys.executable, "-m", "ui.cli", "cover", "render", "na_eu-apparel", "--preset", "youtube",
                           "--product-catalog", str(catalog), "--sku", "MUG-2", "--out", str(out), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == EXIT_OK, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["out"] == str(out) and out.exists()


def test_the_cover_cli_alone_cannot_read_catalogs(tmp_path, capsys):
    """Below the engine, the cover CLI has no catalog reader of its own, so it offers no catalog options."""
    out = tmp_path / "x.png"
    assert cli.main(["render", "na_eu-apparel", "--preset", "youtube", "--product-catalog", str(write_catalog(tmp_path)),
                     "--sku", "SHIRT-1", "--out", str(out)]) == EXIT_BAD_INPUT
    assert "usage: bridgecast cover" in capsys.readouterr().err and not out.exists()
