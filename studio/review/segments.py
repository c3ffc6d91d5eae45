"""Run-of-show segments (plan against actual) and products (pins against orders) of one show."""
from __future__ import annotations

import bisect
from decimal import Decimal
from typing import Any

from studio.review.quality import StreamQuality
from studio.review.records import ProductReview, SegmentReview, ViewerCounts, count_of, event_time
from studio.review.sources import JournalEvent


def pin_spans(events: list[JournalEvent], start: float, end: float) -> list[dict[str, Any]]:
    """Each time a product was on screen: ``{"sku", "from", "until"}`` in wall seconds (a pin lasts
    until the unpin, the next pin or the show's end)."""
    spans: list[dict[str, Any]] = []
    for event in events:
        if event.type == "product.pinned":
            if spans and spans[-1]["until"] is None:
                spans[-1]["until"] = event.t
            spans.append({"sku": str(event.data.get("sku")), "from": event.t, "until": None})
        elif event.type == "product.unpinned" and spans and spans[-1]["until"] is None:
            spans[-1]["until"] = event.t
    for span in spans:
        if span["until"] is None:
            span["until"] = max(end, span["from"])
    return [span for span in spans if span["until"] >= start]


def _plan(events: list[JournalEvent], state: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The plan's segments and the journal position it was set at (the last ``plan.set``)."""
    for position in range(len(events) - 1, -1, -1):
        if events[position].type == "plan.set":
            return list(events[position].data.get("segments") or []), position
    return list((state.get("plan") or {}).get("segments") or []), -1


def build_segments(events: list[JournalEvent], state: dict[str, Any], start: float, end: float,
                   viewers: ViewerCounts, orders: list[dict[str, Any]], quality: StreamQuality) -> list[SegmentReview]:
    planned, position = _plan(events, state)
    entered = [e for e in events[position + 1:] if e.type == "segment.entered"]
    if not entered and not planned:
        return []
    timed = sorted(((event_time(e), e) for e in events), key=lambda pair: pair[0])
    times = [t for t, _event in timed]
    first_t = entered[0].t if entered else None
    planned_starts: list[float | None] = []
    offset = 0.0
    for segment in planned:
        planned_starts.append(None if first_t is None else first_t + offset)
        offset += float(segment.get("planned_s") or 0)
    reviews: list[SegmentReview] = []
    for number, entry in enumerate(entered):
        index = int(entry.data.get("index", number))
        seg_start = entry.t
        seg_end = entered[number + 1].t if number + 1 < len(entered) else end
        plan = planned[index] if 0 <= index < len(planned) else {}
        review = SegmentReview(
            index=index, name=str(entry.data.get("name") or plan.get("name") or ""), kind=str(plan.get("kind") or ""),
            planned_s=entry.data.get("planned_s", plan.get("planned_s")),
            planned_start_s=_relative(planned_starts[index] if 0 <= index < len(planned_starts) else None, start),
            actual_start_s=round(seg_start - start, 1), actual_s=round(seg_end - seg_start, 1))
        inside = [event for _t, event in timed[bisect.bisect_left(times, seg_start):bisect.bisect_left(times, seg_end)]]
        _measure(review, inside, seg_start, seg_end, viewers, orders, quality)
        reviews.append(review)
    done = {review.index for review in reviews}
    for index, segment in enumerate(planned):
        if index not in done:  # planned, never on air
            reviews.append(SegmentReview(index=index, name=str(segment.get("name") or ""), kind=str(segment.get("kind") or ""),
                                         planned_s=segment.get("planned_s"),
                                         planned_start_s=_relative(planned_starts[index], start),
                                         actual_start_s=None, actual_s=None))
    reviews.sort(key=lambda r: (r.actual_start_s is None, r.actual_start_s or 0.0, r.index))
    return reviews


def _relative(t: float | None, start: float) -> float | None:
    return None if t is None else round(t - start, 1)


def _measure(review: SegmentReview, events: list[JournalEvent], seg_start: float, seg_end: float,
             viewers: ViewerCounts, orders: list[dict[str, Any]], quality: StreamQuality) -> None:
    interactions = 0
    for event in events:  # the segment's own events
        if event.type in ("comment.received", "platform.comment"):
            review.comments += 1
            interactions += 1
        elif event.type in ("platform.like", "platform.share"):
            interactions += count_of(event.data)
    minutes = (seg_end - seg_start) / 60.0
    review.interactions_per_min = round(interactions / minutes, 2) if minutes > 0 else None
    inside = [order for order in orders if seg_start <= order["t"] < seg_end]
    review.orders = len(inside)
    review.gmv = float(sum((order["amount"] or Decimal(0) for order in inside), Decimal(0)))
    review.viewers_start = viewers.at(seg_start)
    review.viewers_end = viewers.at(seg_end)
    review.viewers_peak = viewers.peak_between(seg_start, seg_end)
    if review.viewers_start and review.viewers_end is not None:
        review.drop_pct = round(100.0 * (review.viewers_start - review.viewers_end) / review.viewers_start, 1)
    unique_start, unique_end = viewers.unique_at(seg_start), viewers.unique_at(seg_end)
    if unique_start is not None and unique_end is not None and review.viewers_start is not None:
        review.unique_viewers = review.viewers_start + max(0, unique_end - unique_start)
        if review.unique_viewers:
            review.conversion_pct = round(100.0 * review.orders / review.unique_viewers, 2)
    if quality.records:
        review.limited_s, review.lowest_height = quality.between(seg_start, seg_end)


def build_products(events: list[JournalEvent], state: dict[str, Any], pins: list[dict[str, Any]],
                   orders: list[dict[str, Any]], pin_window_min: int) -> list[ProductReview]:
    titles: dict[str, str] = {}
    for product in state.get("products") or []:
        if isinstance(product, dict) and product.get("sku"):
            names = product.get("titles") or {}
            titles[str(product["sku"])] = str(names.get("") or next(iter(names.values()), "")) if isinstance(names, dict) else ""
    for event in events:
        if event.type == "product.pinned" and event.data.get("sku"):
            titles.setdefault(str(event.data["sku"]), str(event.data.get("title") or ""))
    for order in orders:
        titles.setdefault(order["sku"], "")
    sale_sku = {str(e.data.get("id")): str(e.data.get("sku")) for e in events if e.type == "flash_sale.scheduled"}
    window_s = 60.0 * pin_window_min
    products = {sku: ProductReview(sku=sku, title=title) for sku, title in titles.items()}
    for pin in pins:
        product = products[pin["sku"]] if pin["sku"] in products else products.setdefault(pin["sku"], ProductReview(pin["sku"], ""))
        product.pins += 1
        product.on_screen_s = round(product.on_screen_s + pin["until"] - pin["from"], 1)
    for order in orders:
        product = products[order["sku"]]
        product.orders += 1
        product.units += order["quantity"]
        product.gmv = float(Decimal(str(product.gmv)) + (order["amount"] or 0))
        product.coupon_redemptions += bool(order.get("coupon"))
        if any(pin["sku"] == order["sku"] and pin["from"] <= order["t"] < pin["from"] + window_s for pin in pins):
            product.orders_after_pin += 1
    for event in events:
        if event.type == "flash_sale.sold" and sale_sku.get(str(event.data.get("id"))) in products:
            products[sale_sku[str(event.data.get("id"))]].flash_sale_units += int(event.data.get("quantity") or 0)
    return list(products.values())
