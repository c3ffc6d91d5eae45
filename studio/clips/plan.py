"""Which clips to cut: one per pin of the show's journal (pin → unpin, or the next pin), mapped
from wall time to recording time, trimmed to what was recorded and capped to the longest clip
the user wants.  The journal is read with the review's readers (:mod:`studio.review.sources`,
:func:`studio.review.segments.pin_spans`), so a pin means the same thing in both places.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from studio.clips.errors import ClipsError
from studio.clips.recording import RecordingInfo
from studio.core.i18n import _
from studio.live.catalog import Product
from studio.review.records import clock_text
from studio.review.segments import pin_spans
from studio.review.sources import JournalEvent, ReviewError, read_journal

DEFAULT_MAX_SECONDS = 60.0  # Reels and Shorts both take a minute; TikTok more
MIN_CLIP_S = 2.0  # shorter than this is a mis-tap, not a product segment
MAX_SECONDS_RANGE = (5.0, 600.0)


@dataclass(frozen=True)
class ClipPlan:
    """One clip: ``start_s``/``end_s`` in recording seconds; ``pinned_s``: how long the pin lasted."""

    number: int
    sku: str
    title: str
    product: Product | None
    start_s: float
    end_s: float
    pinned_s: float
    is_capped: bool
    is_trimmed: bool

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def file_stem(self) -> str:
        """``clip-01-SKU``: the SKU with anything a file name cannot hold replaced."""
        safe = re.sub(r"[^\w.-]+", "_", self.sku, flags=re.UNICODE).strip("._") or "product"
        return f"clip-{self.number:02d}-{safe[:60]}"


def read_show(db_path: str | Path) -> tuple[list[JournalEvent], dict[str, Any]]:
    """The show's journal and state (read-only); :class:`ClipsError` when it cannot be read."""
    try:
        return read_journal(db_path)
    except ReviewError as exc:
        raise ClipsError(str(exc)) from None


def _products(state: dict[str, Any]) -> dict[str, Product]:
    found = {}
    for row in state.get("products") or []:
        try:
            product = Product.from_json(row)
        except (TypeError, ValueError):
            continue
        found[product.sku] = product
    return found


def plan_clips(events: list[JournalEvent], state: dict[str, Any], recording: RecordingInfo,
               max_seconds: float = DEFAULT_MAX_SECONDS) -> tuple[list[ClipPlan], list[str]]:
    """The clips to cut and, in words, every pin left out or shortened and why.

    Raises :class:`ClipsError` when the show has no pin at all.
    """
    if not events:
        raise ClipsError(_("The show's journal is empty: nothing was pinned, so there is nothing to cut."))
    spans = pin_spans(events, events[0].t, events[-1].t)
    if not spans:
        raise ClipsError(_("No product was pinned during this show, so there is no product segment to cut."))
    products = _products(state)
    # One span per pin, in journal order (no span is dropped: the show starts at its first event).
    pinned = [e for e in events if e.type == "product.pinned"]
    show_start = events[0].t
    plans: list[ClipPlan] = []
    notes: list[str] = []
    for span, event in zip(spans, pinned):
        sku = span["sku"]
        pinned_s = span["until"] - span["from"]
        when = _("{sku} (pinned {start}–{end} into the show)").format(
            sku=sku, start=clock_text(span["from"] - show_start), end=clock_text(span["until"] - show_start))
        start = span["from"] - recording.start_wall_s
        end = span["until"] - recording.start_wall_s
        if end <= 0 or start >= recording.duration_s:
            notes.append(_("{pin}: not in the recording, which covers {start}–{end} of the show; no clip.").format(
                pin=when, start=clock_text(recording.start_wall_s - show_start), end=clock_text(recording.end_wall_s - show_start)))
            continue
        is_trimmed = start < 0 or end > recording.duration_s
        start, end = max(0.0, start), min(recording.duration_s, end)
        if end - start < MIN_CLIP_S:
            notes.append(_("{pin}: only {seconds:.1f} s of it was recorded, too short for a clip.").format(
                pin=when, seconds=end - start))
            continue
        if is_trimmed:
            notes.append(_("{pin}: the recording holds only part of it; the clip is {seconds:.1f} s.").format(
                pin=when, seconds=end - start))
        is_capped = end - start > max_seconds
        if is_capped:
            end = start + max_seconds
        product = products.get(sku)
        if product is None:
            notes.append(_("{pin}: the product is no longer in the catalog, so its clip has no price card.").format(pin=when))
        elif "stock" in event.data and (event.data["stock"] is None or isinstance(event.data["stock"], int)):
            product = replace(product, stock=event.data["stock"])  # as on air: "Sold out" only if it was then
        title = product.title() if product is not None else str(event.data.get("title") or sku)
        plans.append(ClipPlan(len(plans) + 1, sku, title, product, start, end, pinned_s, is_capped, is_trimmed))
    return plans, notes
