"""Which clips a show's pins give against a recording: mapped, trimmed, capped, left out in words."""
from __future__ import annotations

from pathlib import Path

import pytest

from studio.clips.errors import ClipsError
from studio.clips.plan import plan_clips
from studio.clips.recording import RecordingInfo
from studio.review.sources import JournalEvent

T0 = 1_800_000_000.0
PRODUCTS = [{"sku": "A12", "titles": {"": "Silk scarf"}, "price": "29.90", "currency": "USD"}]


def journal(*rows: tuple[float, str, dict]) -> list[JournalEvent]:
    return [JournalEvent(seq, T0 + t, kind, data, T0 + t) for seq, (t, kind, data) in enumerate(rows, start=1)]


def recording(start_s: float, duration_s: float) -> RecordingInfo:
    return RecordingInfo(Path("show.mkv"), 1920, 1080, 30.0, duration_s, True, T0 + start_s, True)


def pin(t: float, sku: str) -> tuple[float, str, dict]:
    return t, "product.pinned", {"sku": sku, "title": sku}


def unpin(t: float) -> tuple[float, str, dict]:
    return t, "product.unpinned", {"sku": None}


def test_pins_map_from_wall_time_to_recording_time_trimmed_and_capped():
    events = journal((0, "catalog.loaded", {}), pin(100, "A12"), unpin(130), pin(200, "B07"), pin(320, "A12"),
                     unpin(400), pin(590, "B07"), unpin(700), pin(900, "A12"), unpin(901))
    plans, notes = plan_clips(events, {"products": PRODUCTS}, recording(start_s=90, duration_s=520), max_seconds=60)
    # Recording covers 90–610 s of the journal: 100–130, 200–320 (next pin), 320–400, 590–610 (trimmed).
    assert [(p.sku, round(p.start_s, 3), round(p.end_s, 3), p.is_capped, p.is_trimmed) for p in plans] == [
        ("A12", 10.0, 40.0, False, False), ("B07", 110.0, 170.0, True, False), ("A12", 230.0, 290.0, True, False),
        ("B07", 500.0, 520.0, False, True)]
    assert [p.file_stem for p in plans] == ["clip-01-A12", "clip-02-B07", "clip-03-A12", "clip-04-B07"]
    assert plans[1].product is None and plans[1].title == "B07" and plans[0].product.price == "29.90"
    assert len(notes) == 4
    assert "B07" in notes[0] and "no price card" in notes[0]
    assert "only part of it" in notes[1] and "no price card" in notes[2]
    assert "not in the recording" in notes[3] and "A12" in notes[3] and "1:30–10:10" in notes[3]


def test_a_pin_barely_recorded_is_left_out_in_words():
    events = journal(pin(10, "A12"), unpin(40))
    plans, notes = plan_clips(events, {"products": PRODUCTS}, recording(start_s=39, duration_s=100))
    assert plans == [] and "too short" in notes[0]


def test_no_pins_is_an_error_in_words():
    with pytest.raises(ClipsError, match="No product was pinned"):
        plan_clips(journal((0, "catalog.loaded", {})), {}, recording(0, 100))
    with pytest.raises(ClipsError, match="journal is empty"):
        plan_clips([], {}, recording(0, 100))


def test_the_card_shows_the_stock_the_product_had_when_it_was_pinned():
    sold_out_now = [{**PRODUCTS[0], "stock": 0}]
    events = journal((10, "product.pinned", {"sku": "A12", "title": "Silk scarf", "stock": 12}), unpin(40),
                     (50, "product.pinned", {"sku": "A12", "title": "Silk scarf", "stock": 0}), unpin(80))
    plans, _notes = plan_clips(events, {"products": sold_out_now}, recording(start_s=0, duration_s=100))
    assert [(p.product.stock, p.product.is_sold_out) for p in plans] == [(12, False), (0, True)]


def test_the_clip_rate_is_the_rate_the_recording_was_meant_to_have():
    from fractions import Fraction

    from studio.clips.writer import output_rate

    assert output_rate(30.001875) == 30 and output_rate(29.97) == Fraction(30000, 1001)
    assert output_rate(59.94006) == Fraction(60000, 1001) and output_rate(25.0) == 25 and output_rate(14.8) == 15
