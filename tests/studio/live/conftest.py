from __future__ import annotations

import pytest


class FakeClock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock():
    return FakeClock()


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
