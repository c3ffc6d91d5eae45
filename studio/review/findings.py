"""Findings in words, each computed from the review's own figures and carrying them.

A finding is ``{"kind", "text", "numbers"}``: ``numbers`` holds every figure the sentence
quotes, so a reader (and the tests) can check it.  Nothing is said about what was not measured.
"""
from __future__ import annotations

from typing import Any

from studio.core.i18n import _, ngettext
from studio.review.quality import StreamQuality
from studio.review.records import Review, ViewerCounts, clock_text

FIRST_MINUTES_S = 120.0
DROP_WORTH_SAYING_PCT = 20.0
OVERRUN_WORTH_SAYING_S = 60.0


def _finding(kind: str, text: str, **numbers: Any) -> dict[str, Any]:
    return {"kind": kind, "text": text, "numbers": numbers}


def _segment_label(segment: Any) -> str:
    return _("Segment {number} ({name})").format(number=segment.index + 1, name=segment.name)


def compute(review: Review, viewers: ViewerCounts, quality: StreamQuality) -> list[dict[str, Any]]:
    """Every finding the figures support, most telling first."""
    found = _peak(review, viewers)
    found += _early_drops(review, viewers, quality)
    found += _pins(review)
    found += _plan(review)
    found += _best_seller(review)
    found += _stream(review)
    return found


def _peak(review: Review, viewers: ViewerCounts) -> list[dict[str, Any]]:
    best = None
    for minute in review.timeline:
        total = minute.viewers_total
        if total is not None and (best is None or total > best.viewers_total):
            best = minute
    if best is None:
        return []
    during = next((s for s in review.segments if s.actual_start_s is not None
                   and s.actual_start_s <= best.t < s.actual_start_s + (s.actual_s or 0)), None)
    parts = ", ".join(f"{platform} {count:,}" for platform, count in sorted(best.viewers.items()))
    text = _("Viewers peaked at {viewers:,} in the minute from {clock} ({parts}).").format(
        viewers=best.viewers_total, clock=clock_text(best.t), parts=parts)
    if during is not None:
        text += " " + _("That was during {segment}.").format(segment=_segment_label(during))
    return [_finding("peak", text, viewers=best.viewers_total, t=best.t, by_platform=dict(best.viewers))]


def _early_drops(review: Review, viewers: ViewerCounts, quality: StreamQuality) -> list[dict[str, Any]]:
    found = []
    for segment in review.segments:
        if segment.actual_start_s is None or not segment.actual_s or segment.actual_s < 60:
            continue
        start = review.start_unix + segment.actual_start_s
        window_end = start + min(FIRST_MINUTES_S, segment.actual_s)
        before, after = viewers.at(start), viewers.at(window_end)
        if not before or after is None:
            continue
        drop = round(100.0 * (before - after) / before)
        if drop < DROP_WORTH_SAYING_PCT:
            continue
        minutes = round((window_end - start) / 60)
        text = _("{segment} lost {drop} % of viewers in its first {minutes} minutes ({before:,} → {after:,}).").format(
            segment=_segment_label(segment), drop=drop, minutes=minutes, before=before, after=after)
        limited_s, lowest = quality.between(start, window_end) if quality.records else (0, None)
        if limited_s and lowest:
            text = text[:-1] + _("; the stream was limited to {height}p for {seconds} s of it.").format(
                height=lowest, seconds=limited_s)
        found.append(_finding("segment_drop", text, segment=segment.index + 1, drop_pct=drop, viewers_before=before,
                              viewers_after=after, window_s=round(window_end - start), limited_s=limited_s,
                              lowest_height=lowest))
    return found


def _pins(review: Review) -> list[dict[str, Any]]:
    found = []
    for product in review.products:
        if not product.orders or not product.pins:
            continue
        share = round(100.0 * product.orders_after_pin / product.orders)
        text = _("Pins of {sku} were followed by {share} % of its orders ({after} of {orders} within {window} min of a pin).").format(
            sku=product.sku, share=share, after=product.orders_after_pin, orders=product.orders, window=review.pin_window_min)
        found.append(_finding("pin_orders", text, sku=product.sku, share_pct=share, orders_after_pin=product.orders_after_pin,
                              orders=product.orders, window_min=review.pin_window_min))
    for product in review.products:
        if product.orders and not product.pins:
            found.append(_finding("unpinned_orders", _("{sku} sold {orders} orders without ever being pinned.").format(
                sku=product.sku, orders=product.orders), sku=product.sku, orders=product.orders))
    return found


def _plan(review: Review) -> list[dict[str, Any]]:
    found = []
    for segment in review.segments:
        if segment.actual_s is None or not segment.planned_s or segment is review.segments[-1]:
            continue
        over = segment.actual_s - segment.planned_s
        if over >= OVERRUN_WORTH_SAYING_S:
            text = _("{segment} ran {over} over its planned {planned}.").format(
                segment=_segment_label(segment), over=clock_text(over), planned=clock_text(segment.planned_s))
        elif over <= -OVERRUN_WORTH_SAYING_S:
            text = _("{segment} ended {under} before its planned {planned}.").format(
                segment=_segment_label(segment), under=clock_text(-over), planned=clock_text(segment.planned_s))
        else:
            continue
        found.append(_finding("plan", text, segment=segment.index + 1, planned_s=segment.planned_s, actual_s=segment.actual_s))
    skipped = [s for s in review.segments if s.actual_s is None]
    if skipped:
        found.append(_finding("plan_skipped", _("Planned but never on air: {names}.").format(
            names=", ".join(_segment_label(s) for s in skipped)), segments=[s.index + 1 for s in skipped]))
    return found


def _best_seller(review: Review) -> list[dict[str, Any]]:
    rated = [(s.gmv / (s.actual_s / 60.0), s) for s in review.segments if s.actual_s and s.gmv > 0]
    if not rated:
        return []
    per_minute, best = max(rated, key=lambda pair: pair[0])
    text = _("{segment} sold best: {gmv:,.2f} {currency} in {minutes} min ({orders} orders, {per_minute:,.2f} a minute).").format(
        segment=_segment_label(best), gmv=best.gmv, currency=review.currency or "", minutes=round(best.actual_s / 60, 1),
        orders=best.orders, per_minute=per_minute)
    return [_finding("best_segment", text, segment=best.index + 1, gmv=best.gmv, orders=best.orders,
                     gmv_per_min=round(per_minute, 2))]


def _stream(review: Review) -> list[dict[str, Any]]:
    measured = [m for m in review.timeline if m.stats_s]
    if not measured:
        return []
    frozen = sum(m.frozen_s or 0 for m in measured)
    reconnects = sum(m.reconnects or 0 for m in measured)
    limited = sum(m.limited_s or 0 for m in measured)
    if not (frozen or reconnects or limited):
        return [_finding("stream", _("The stream sent its top layer ({height}p) the whole time, without a freeze.").format(
            height=review.top_height), frozen_s=0, reconnects=0, limited_s=0)]
    text = ngettext("The stream froze for {frozen} s, reconnected once and was below {height}p for {limited} s.",
                    "The stream froze for {frozen} s, reconnected {reconnects} times and was below {height}p for {limited} s.",
                    reconnects).format(
        frozen=frozen, reconnects=reconnects, height=review.top_height, limited=limited)
    return [_finding("stream", text, frozen_s=frozen, reconnects=reconnects, limited_s=limited)]
