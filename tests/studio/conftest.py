"""Fixtures shared by the engine's test folders (live show and control API)."""
from __future__ import annotations

import pytest


@pytest.fixture
def catalog_csv(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text(
        "sku,title,title_ar,price,original_price,currency,stock\n"
        "SKU-1,Silk scarf,وشاح حرير,19.99,39.99,USD,50\n"
        "SKU-2,Travel mug,كوب سفر,12.50,,EUR,20\n",
        encoding="utf-8",
    )
    return path
