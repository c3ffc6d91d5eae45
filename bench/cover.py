"""``bridgecast bench cover --json``: cover render speed.

single_ms_p50: one 1080x1920 cover with 8 layers, layer cache cleared before each render (fonts
stay loaded, as in the editor).  batch: 50 CSV rows × 2 presets through the process pool
(``cover_designer.batch.run_batch``), JPEG export included.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _product_photo(path: Path, seed: int = 0) -> Path:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(seed)
    base = (rng.random((90, 160, 3)) * 255).astype("uint8")
    image = Image.fromarray(base).resize((1600, 900), Image.BICUBIC).filter(ImageFilter.GaussianBlur(8))
    draw = ImageDraw.Draw(image)
    draw.ellipse([500, 150, 1100, 750], fill=(240, 200, 60))
    image.save(path, quality=90)
    return path


def eight_layer_document(photo: str, logo: str):
    from cover_designer.document import parse_document

    return parse_document({
        "preset": "tiktok_live", "language": "en",
        "background": {"color": "#101820", "gradient_to": "#2B4A6F"},
        "variables": {"price": "1299.99", "original_price": "1599.99", "currency": "USD", "locale": "en_US",
                      "share_url": "https://example.com/live/123"},
        "layers": [
            {"type": "image", "src": photo, "fit": "fill", "frame": {"anchor": "top", "dy": 0.15, "w": 1, "h": 0.45}},
            {"type": "logo", "src": logo, "frame": {"anchor": "top_left", "relative_to": "safe", "w": 0.2, "h": 0.08}},
            {"type": "text", "text": "Summer Linen Drop", "font": {"size": 150}, "stroke": {"width": 6},
             "shadow": {}, "frame": {"relative_to": "safe", "anchor": "center", "dy": 0.12, "w": 0.95, "h": 0.16}},
            {"type": "text", "role": "subhead", "text": "Live now · Free shipping", "font": {"size": 80, "weight": "medium"},
             "plate": {}, "frame": {"relative_to": "safe", "anchor": "center", "dy": 0.26, "w": 0.9, "h": 0.07}},
            # A tilted badge, as designers make them: the bench pays for rotation too.
            {"type": "shape", "shape": "burst", "text": "50% OFF", "rotation_deg": -12,
             "frame": {"relative_to": "safe", "anchor": "top_right", "w": 0.35, "h": 0.2, "aspect": 1}},
            {"type": "shape", "shape": "ribbon", "text": "NEW", "fill": "#1E88E5",
             "frame": {"relative_to": "safe", "anchor": "left", "dy": -0.2, "w": 0.4, "h": 0.07}},
            {"type": "price", "frame": {"relative_to": "safe", "anchor": "bottom_left", "w": 0.7, "h": 0.16}},
            {"type": "qr", "frame": {"relative_to": "safe", "anchor": "bottom_right", "w": 0.25, "h": 0.16, "aspect": 1}},
        ],
    })


def bench_single(workdir: Path, iterations: int) -> dict:
    from cover_designer.render import clear_cache, render

    photo = _product_photo(workdir / "photo.jpg")
    from PIL import Image

    Image.new("RGBA", (400, 160), (255, 255, 255, 230)).save(workdir / "logo.png")
    doc = eight_layer_document(str(photo), str(workdir / "logo.png"))
    render(doc)  # warm fonts and the image cache
    cold, warm = [], []
    for _ in range(iterations):
        clear_cache()
        start = time.perf_counter()
        result = render(doc)
        cold.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        render(doc)
        warm.append((time.perf_counter() - start) * 1000)
    assert len(result.layers) == 8 and not result.problems, result.problems
    return {"single_ms_p50": round(statistics.median(cold), 1), "single_ms_max": round(max(cold), 1),
            "single_cached_ms_p50": round(statistics.median(warm), 1), "layers": len(result.layers),
            "width": result.image.width, "height": result.image.height}


def bench_batch(workdir: Path, rows: int, presets: list[str], workers: int) -> dict:
    from cover_designer.batch import run_batch
    from cover_designer.templates import load_template

    photos = [_product_photo(workdir / f"p{i}.jpg", seed=i) for i in range(5)]
    products = [{"sku": f"SKU{i:03d}", "product_name": f"Product {i}", "price": f"{99 + i}.90",
                 "original_price": f"{149 + i}.90", "discount": str(10 + i % 50), "product_image": str(photos[i % 5])}
                for i in range(rows)]
    doc = load_template("na_eu-apparel")
    results, seconds = run_batch(doc, products, presets, workdir / "out", "jpeg", workers=workers)
    written = sum(1 for r in results if r.path)
    return {"batch_covers": written, "batch_seconds": round(seconds, 2), "batch_rows": rows, "batch_presets": presets,
            "batch_workers": workers, "batch_failed": sum(1 for r in results if not r.ok)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bridgecast bench cover")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--presets", default="tiktok_live,youtube")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    with tempfile.TemporaryDirectory(prefix="bench-cover-") as tmp:
        workdir = Path(tmp)
        report = {"name": "cover"}
        report.update(bench_single(workdir, args.iterations))
        report.update(bench_batch(workdir, args.rows, [p for p in args.presets.split(",") if p], args.workers))
    report["targets"] = {"single_ms_p50": 150, "batch_seconds": 20, "batch_covers": 100}
    report["cpu_count"] = os.cpu_count()
    if not args.json:
        for key, value in report.items():
            print(f"{key}: {value}")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
