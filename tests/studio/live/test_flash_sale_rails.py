"""Commerce safety rails: a flash sale never offers more than the stock, never at a price of zero or
less, and a sale price that is no discount is said in words (refused when a discount is required)."""
from __future__ import annotations

import pytest

from studio.live import LiveShow
from studio.live.errors import LiveError
from studio.live.promotions import NoDiscountError


@pytest.fixture
def show(tmp_path, clock, catalog_csv):  # SKU-1: 19.99 USD, 50 in stock; SKU-2: 12.50 EUR, 20 in stock
    live = LiveShow(None, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    yield live
    live.stop()


def test_more_units_than_in_stock_is_refused_in_words(show):
    with pytest.raises(LiveError) as refused:
        show.flash_sale.start("SKU-2", stock=21, price="9.99")
    assert str(refused.value) == "Only 20 of SKU-2 are in stock: a flash sale cannot offer 21."
    assert show.flash_sale.current is None
    event = show.flash_sale.start("SKU-2", stock=20, price="9.99")  # all of it is fine
    assert event["data"]["stock"] == 20 and "warning" not in event["data"]


def test_unknown_stock_is_not_a_limit(tmp_path, clock):
    catalog = tmp_path / "c.csv"
    catalog.write_text("sku,title,price,currency\nA,Mug,10.00,USD\n", encoding="utf-8")
    live = LiveShow(None, tmp_path / "show.db", catalog=catalog, clock=clock)
    try:
        assert live.flash_sale.start("A", stock=500, price="8")["data"]["stock"] == 500
    finally:
        live.stop()


@pytest.mark.parametrize("price,words", [
    ("0", "The sale price must be above zero."),
    ("-5", "The sale price must be above zero."),
    ("0.00", "The sale price must be above zero."),
    ("nan", "The sale price “nan” is not an amount; write it like 9.99."),
    ("inf", "The sale price “inf” is not an amount; write it like 9.99."),
    ("Infinity", "The sale price “Infinity” is not an amount; write it like 9.99."),
    ("9,99abc", "The sale price “9,99abc” is not an amount; write it like 9.99."),
    (float("nan"), "The sale price “nan” is not an amount; write it like 9.99."),
])
def test_a_price_that_is_not_an_amount_above_zero_is_refused(show, price, words):
    with pytest.raises(LiveError) as refused:
        show.flash_sale.start("SKU-1", stock=5, price=price)
    assert str(refused.value) == words
    assert show.flash_sale.current is None


def test_no_discount_is_refused_when_a_discount_is_required(show):
    for price in ("19.99", "25", None, ""):
        with pytest.raises(NoDiscountError) as refused:
            show.flash_sale.start("SKU-1", stock=5, price=price, require_discount=True)
        assert "viewers get no discount" in str(refused.value) and "$19.99" in str(refused.value)
        assert show.flash_sale.current is None
    assert show.flash_sale.start("SKU-1", stock=5, price="14.99", require_discount=True)["data"]["price"] == "14.99"


def test_no_discount_starts_with_a_warning_otherwise(show):
    """Callers that cannot ask (the run-of-show, the control API) start the sale; the event says why it is no deal."""
    event = show.flash_sale.start("SKU-1", stock=5)
    assert event["data"]["warning"] == ("No sale price is set, so SKU-1 sells at its catalog price $19.99: "
                                        "viewers get no discount.")
    assert list(show.store.events())[-1]["data"]["warning"] == event["data"]["warning"]  # journaled with it


def test_the_warning_writes_prices_the_show_locale_way(tmp_path, clock, catalog_csv):
    live = LiveShow(None, tmp_path / "show.db", catalog=catalog_csv, clock=clock, locale="de_DE")
    try:
        with pytest.raises(NoDiscountError) as refused:
            live.flash_sale.start("SKU-2", stock=5, price="13", require_discount=True)
        assert "13,00\u00a0€" in str(refused.value) and "12,50\u00a0€" in str(refused.value)
    finally:
        live.stop()


def test_an_amount_coupon_worth_nothing_is_refused(show):
    with pytest.raises(LiveError) as refused:
        show.coupons.create("ZERO", "amount", "0")
    assert "more than zero" in str(refused.value)
    assert "ZERO" not in show.coupons.by_code
