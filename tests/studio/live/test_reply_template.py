"""Quick-reply templates never reach Python's format mini-language: plain ``{name}`` substitution,
bounded output, unknown placeholders left as written, a too-long template refused in words."""
from __future__ import annotations

import tracemalloc

import pytest

from studio.live import LiveShow, reply_template
from studio.live.errors import LiveError
from studio.live.qa import MAX_ANSWER_CHARS

VALUES = {"name": "Ana", "product": "Silk scarf", "price": "$19.99", "coupon": "SAVE10", "sku": "SKU-1"}


@pytest.fixture
def show(tmp_path, clock, catalog_csv):
    live = LiveShow(None, tmp_path / "show.db", catalog=catalog_csv, clock=clock)
    yield live
    live.stop()


def test_known_variables_are_substituted_and_escaped_braces_read_as_braces():
    assert reply_template.fill("Hi {name}! {product} ({sku}) is {price}; code {coupon}. {{ok}}", VALUES, 300) == (
        "Hi Ana! Silk scarf (SKU-1) is $19.99; code SAVE10. {ok}")


@pytest.mark.parametrize("template", [
    "{name:>1000000000}", "{name!r}", "{name.__class__}", "{0}", "{}", "{user}", "{name[0]}", "{ name }", "{", "}", "a{b",
])
def test_anything_but_a_plain_known_placeholder_is_left_as_written(template):
    assert reply_template.fill(template, VALUES, 300) == template[:300]


def test_the_hostile_width_spec_allocates_nothing_and_is_refused_when_saved(show):
    hostile = "{name:>1000000000}"
    tracemalloc.start()
    try:
        filled = reply_template.fill(hostile, VALUES, MAX_ANSWER_CHARS)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert filled == hostile and peak < 1_000_000  # str.format allocated 1.2 GB here
    with pytest.raises(LiveError) as refused:
        show.quick_replies.save(hostile)
    assert str(refused.value) == ("Unknown variable “{name:>1000000000}” "
                                  "(use {name}, {product}, {price}, {coupon}, {sku}).")
    assert len(show.quick_replies) == 0


def test_a_reply_from_a_template_saved_before_the_check_is_bounded(show):
    """A template already in a store (written by an older version) is re-checked at send time."""
    show.comments.add({"id": "c1", "user": "Ana", "text": "price?"})
    with pytest.raises(LiveError, match="Unknown variable"):
        show.comments.reply("c1", text="{name:>1000000000}")
    assert not show.comments.get("c1").is_answered


def test_output_is_bounded_however_many_placeholders_fill():
    long_values = dict(VALUES, product="P" * 10_000)
    filled = reply_template.fill("{product}" * 30, long_values, 300)
    assert filled == "P" * 300
    assert len(reply_template.fill("{name}" * 100, VALUES, 300)) == 300


def test_a_template_that_is_too_long_is_refused_in_words_and_nothing_is_saved(show):
    with pytest.raises(LiveError) as refused:
        show.quick_replies.save("x" * 301)
    assert str(refused.value) == "A quick reply is at most 300 characters; this one has 301."
    assert len(show.quick_replies) == 0
    show.comments.add({"id": "c1", "user": "Ana", "text": "price?"})
    with pytest.raises(LiveError, match="at most 300 characters"):
        show.comments.reply("c1", text="y" * 100_000)
    assert show.quick_replies.save("x" * 300)["data"]["text"] == "x" * 300


def test_a_long_unknown_placeholder_is_quoted_short():
    with pytest.raises(LiveError) as refused:
        reply_template.check("{" + "a" * 200 + "}", 300)
    assert len(str(refused.value)) < 120 and "…}" in str(refused.value)


def test_a_filled_reply_names_the_viewer_and_the_pinned_product(show):
    show.shelf.pin("SKU-1")
    show.comments.add({"id": "c1", "user": "Ana", "text": "price?"})
    event = show.comments.reply("c1", text="Hi {name}, {product} is {price} {{today}}")
    assert event["data"]["text"] == "Hi Ana, Silk scarf is $19.99 {today}"
