"""LatestSlot's drop count: what a reader missed, not the frame-rate conversion a faster producer
implies (a 30 fps source in a 25 fps program showed "Dropped" climbing by 5 a second)."""
from __future__ import annotations

import pytest

from studio.core import frame as frame_module
from studio.core.frame import LatestSlot


@pytest.fixture
def clock(monkeypatch):
    now = {"ns": 0}
    monkeypatch.setattr(frame_module.time, "monotonic_ns", lambda: now["ns"])
    return now


def _run(slot: LatestSlot, clock, producer_hz: float, reader_hz: float, seconds: float,
         stall: tuple[float, float] | None = None) -> None:
    """Producer and reader on one simulated timeline; ``stall`` = (at, for) seconds the reader misses."""
    events = [(i / producer_hz, "put") for i in range(int(seconds * producer_hz))]
    events += [(i / reader_hz, "read") for i in range(int(seconds * reader_hz))
               if stall is None or not stall[0] <= i / reader_hz < stall[0] + stall[1]]
    for t, kind in sorted(events, key=lambda e: (e[0], e[1] == "read")):
        clock["ns"] = int(t * 1e9)
        slot.put(object()) if kind == "put" else slot.latest()


@pytest.mark.parametrize("producer_hz, reader_hz", [(30, 25), (60, 30), (50, 30)])
def test_a_faster_source_into_a_paced_reader_is_skipped_not_dropped(clock, producer_hz, reader_hz):
    slot = LatestSlot(reader_paced=True)
    _run(slot, clock, producer_hz, reader_hz, seconds=10)
    assert slot.dropped <= 1 and slot.skipped >= (producer_hz - reader_hz) * 10 - 2, (slot.skipped, slot.dropped)


def test_a_reader_that_misses_its_turn_drops(clock):
    slot = LatestSlot(reader_paced=True)
    _run(slot, clock, producer_hz=30, reader_hz=30, seconds=4, stall=(2.0, 0.5))
    assert 13 <= slot.dropped <= 16, (slot.skipped, slot.dropped)  # half a second of 30 fps, less the first 1.5 ticks


def test_an_unpaced_slot_counts_every_overwrite():
    slot = LatestSlot()
    slot.put(1)
    slot.put(2)
    slot.latest()
    slot.put(3)
    assert slot.dropped == 1 and slot.skipped == 0
