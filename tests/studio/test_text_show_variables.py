"""Text sources fill in the live show's pinned product — {product}, {price}, {original_price},
{discount}, {stock} — in the show's locale (what viewers read), and the words change on the
program within a second of a pin; nothing pinned: empty, never a raw "{price}"."""
from __future__ import annotations

import time

import pytest

from studio.engine import Studio, default_collection
from studio.live.render import format_price
from studio.live.session import LiveShow
from studio.scene import Canvas
from studio.sources.text import TextSettings, fill_variables


def _wait(predicate, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


@pytest.fixture
def studio():
    running = Studio(collection=default_collection(Canvas(width=640, height=360, fps=30)))
    running.start()
    yield running
    running.stop()


def test_fill_variables_leaves_other_braces_and_empties_show_variables():
    settings = TextSettings(text="{product} now {price} (was {original_price}) {unknown}")
    assert fill_variables(settings) == " now  (was ) {unknown}"
    assert fill_variables(settings, values={"product": "Scarf", "price": "$19.99", "original_price": "$39.99"}) == \
        "Scarf now $19.99 (was $39.99) {unknown}"


def test_the_show_fills_the_pinned_product_in_its_locale(tmp_path, catalog_csv):
    live = LiveShow(None, tmp_path / "show.db", catalog=catalog_csv, locale="ar_SA")
    try:
        assert set(live.program_variables().values()) == {""}
        live.shelf.pin("SKU-1")
        values = live.program_variables()
        assert values["product"] == "وشاح حرير"
        assert values["price"] == format_price("19.99", "USD", "ar_SA") and "19.99" in values["price"], values
        assert values["discount"] == "50%" and values["stock"] == "50", values
    finally:
        live.stop()
    indonesian = LiveShow(None, tmp_path / "id.db", catalog=catalog_csv, locale="id_ID")
    try:
        indonesian.shelf.pin("SKU-1")
        assert indonesian.program_variables()["price"] == "US$19,99"  # the market's decimal comma, as on the cards
    finally:
        indonesian.stop()


def test_a_text_source_on_the_program_follows_the_pin(tmp_path, catalog_csv, studio):
    live = LiveShow(studio, tmp_path / "show.db", catalog=catalog_csv, locale="en_US")
    try:
        spec, _item = studio.add_source("text", "Price line", {"text": "{product}: {price} (was {original_price})"})
        source = studio.running.get(spec.id)
        assert _wait(lambda: source.shown_text == ":  (was )"), source.shown_text
        live.shelf.pin("SKU-1")
        assert _wait(lambda: source.shown_text == "Silk scarf: $19.99 (was $39.99)"), source.shown_text
        live.shelf.unpin()
        assert _wait(lambda: source.shown_text == ":  (was )"), source.shown_text
    finally:
        live.stop()
    assert studio.running.text_variables is None  # the stopped show no longer speaks on the program
