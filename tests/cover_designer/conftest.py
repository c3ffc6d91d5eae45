"""Helpers for cover tests: golden-image comparison with a tolerance."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

GOLDEN_DIR = Path(__file__).parent / "golden"
# Tolerances: fonts/FreeType versions move antialiasing a little; layout changes move a lot.
MAX_MEAN_ABS_DIFF = 4.0
MAX_DIFFERING_FRACTION = 0.02  # pixels differing by more than 48 in any channel
PIXEL_THRESHOLD = 48


def compare_golden(image: Image.Image, name: str, size: tuple[int, int] | None = None) -> None:
    """Compare with tests/cover_designer/golden/NAME.png; BRIDGECAST_UPDATE_GOLDEN=1 rewrites it."""
    image = image.convert("RGB")
    if size:
        image = image.resize(size, Image.BILINEAR)
    path = GOLDEN_DIR / f"{name}.png"
    if os.environ.get("BRIDGECAST_UPDATE_GOLDEN") == "1" or not path.exists():
        if not path.exists() and os.environ.get("BRIDGECAST_UPDATE_GOLDEN") != "1":
            pytest.fail(f"golden image {path.name} missing; run with BRIDGECAST_UPDATE_GOLDEN=1 to create it")
        GOLDEN_DIR.mkdir(exist_ok=True)
        image.save(path, optimize=True)
        return
    expected = Image.open(path).convert("RGB")
    assert expected.size == image.size, f"{name}: size {image.size} != golden {expected.size}"
    a = np.asarray(image, dtype=np.int16)
    b = np.asarray(expected, dtype=np.int16)
    diff = np.abs(a - b)
    mean = float(diff.mean())
    differing = float((diff.max(axis=2) > PIXEL_THRESHOLD).mean())
    if mean > MAX_MEAN_ABS_DIFF or differing > MAX_DIFFERING_FRACTION:
        out = Path(os.environ.get("TMPDIR", "/tmp")) / f"golden-actual-{name}.png"
        image.save(out)
        pytest.fail(f"{name}: mean abs diff {mean:.2f} (max {MAX_MEAN_ABS_DIFF}), differing {differing:.2%} "
                    f"(max {MAX_DIFFERING_FRACTION:.0%}); actual saved to {out}")


@pytest.fixture(autouse=True)
def english(monkeypatch):
    from studio.core import i18n

    monkeypatch.setattr(i18n, "_current", "en")
