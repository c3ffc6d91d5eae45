"""The review of one show: a per-minute timeline, the run-of-show segments, the products.

Built from the show's journal (:mod:`studio.review.sources` says which events carry what) and
its stream stats samples.  Every figure is either read from those or ``None`` — a figure the
show did not record is never guessed; :attr:`Review.missing` says in words what was not there.

Conventions (the tests recompute every figure with these rules, by SQL over the journal):

- The show starts at the first stats sample that is ``live`` (else the first ``segment.entered``,
  else the first journal event) and ends at the last journal event or stats sample.  Minute
  ``m`` covers ``[start + 60 m, start + 60 (m + 1))``; a platform event counts at its own ``t``.
- Viewers in a minute: per platform, the last count it reported before the minute's end, if
  that is at most ``STALE_S`` old (platforms report every 30 s or so; one that missed a minute
  still has viewers, one silent for longer is unknown, not zero).  Viewers at a
  moment: per platform, the last count at or before it (else the first within the next 60 s),
  summed over the platforms that have one.
- Orders and GMV come from ``platform.order`` events; GMV is the sum of their ``amount`` in the
  show's currency (the one most orders use).
- A segment runs from its ``segment.entered`` to the next one's (the last: to the show's end);
  its planned start is the first segment's actual start plus the planned lengths before it.
"""
from __future__ import annotations

import math
from collections import Counter
from decimal import Decimal
from typing import Any

from studio.core.i18n import _
from studio.review import findings
from studio.review.quality import StreamQuality
from studio.review.records import (
    DEFAULT_PIN_WINDOW_MIN, MINUTE_S, STALE_S, Minute, Review, ViewerCounts, amount_of, clock_text, count_of, event_time,
)
from studio.review.segments import build_products, build_segments, pin_spans
from studio.review.sources import JournalEvent, ReviewError

def build_review(events: list[JournalEvent], state: dict[str, Any], stats: list[dict[str, Any]],
                 pin_window_min: int = DEFAULT_PIN_WINDOW_MIN, stats_unreadable: int = 0, is_archived: bool = False) -> Review:
    """The review of one show from its journal ``events``, saved ``state`` and stats samples.

    ``is_archived``: the show was put aside by "New show" (it is marked open in its copy because
    it was copied while open, not because it crashed)."""
    missing: list[str] = []
    quality = StreamQuality(stats)
    start = quality.first_live_t
    if start is None:
        entered = [e.t for e in events if e.type == "segment.entered"]
        start = entered[0] if entered else (events[0].t if events else None)
    if start is None:
        raise_empty()
    end = max([start, *(event_time(e) for e in events), *(r["t"] + 1.0 for r in stats)])
    minutes = [Minute(t=60 * m) for m in range(max(1, math.ceil((end - start) / MINUTE_S)))]

    def minute_of(t: float) -> Minute | None:
        index = int((t - start) // MINUTE_S)
        return minutes[index] if 0 <= index < len(minutes) else None

    currencies = Counter(str(e.data.get("currency")) for e in events
                         if e.type == "platform.order" and e.data.get("currency"))
    currency = currencies.most_common(1)[0][0] if currencies else None
    reports: list[tuple[float, str, int, int | None]] = []
    orders: list[dict[str, Any]] = []
    no_amount = other_currency = 0
    for event in events:
        t, data = event_time(event), event.data
        minute = minute_of(t)
        if event.type == "platform.viewers" and isinstance(data.get("count"), int):
            unique = (data.get("extra") or {}).get("unique_viewers") if isinstance(data.get("extra"), dict) else None
            reports.append((t, str(data.get("platform")), int(data["count"]), unique if isinstance(unique, int) else None))
        elif event.type == "platform.order":
            amount = amount_of(data.get("amount"))
            if amount is None:
                no_amount += 1
            elif currency is not None and data.get("currency") not in (None, currency):
                other_currency += 1
                amount = None
            quantity = data.get("quantity") if isinstance(data.get("quantity"), int) else 1
            orders.append({"t": t, "sku": str(data.get("sku")), "quantity": quantity, "amount": amount,
                           "coupon": data.get("coupon")})
            if minute is not None:
                minute.orders += 1
                minute.units += quantity
                minute.gmv = float(Decimal(str(minute.gmv)) + (amount or 0))
        elif minute is None:
            continue
        elif event.type in ("comment.received", "platform.comment"):
            minute.comments += 1
        elif event.type == "platform.like":
            minute.likes += count_of(data)
        elif event.type == "platform.share":
            minute.shares += count_of(data)
        elif event.type in ("coupon.claimed", "platform.coupon_claim"):
            minute.coupon_claims += 1
    viewers = ViewerCounts(reports)
    for minute in minutes:
        minute.viewers = viewers.latest_by_platform(start + minute.t + MINUTE_S, STALE_S)
    quality.fill(minutes, start)

    platforms = sorted(viewers.by_platform)
    if not reports:
        missing.append(_("No viewer counts: no platform was connected (or none reported its viewers)."))
    if not orders:
        missing.append(_("No orders: no platform reported any, so GMV and conversion are unknown."))
    if no_amount:
        missing.append(_("{count} orders came without an amount and are left out of GMV.").format(count=no_amount))
    if other_currency:
        missing.append(_("{count} orders in other currencies than {currency} are left out of GMV.").format(
            count=other_currency, currency=currency))
    missing.extend(quality.missing(minutes))
    if stats_unreadable:
        missing.append(_("{count} lines of the stream stats could not be read.").format(count=stats_unreadable))
    if (state.get("run") or {}).get("is_open") and events and not is_archived:
        missing.append(_("The show was not closed: it is on air now, or the app stopped without closing it (a crash or "
                         "power cut?); its journal stops at {clock}.").format(clock=clock_text(events[-1].t - start)))

    pins = pin_spans(events, start, end)
    segments = build_segments(events, state, start, end, viewers, orders, quality)
    if not segments:
        missing.append(_("No run-of-show: no segment was started, so there is no plan to compare with."))
    products = build_products(events, state, pins, orders, pin_window_min)
    review = Review(start_unix=start, end_unix=end, currency=currency, platforms=platforms, pin_window_min=pin_window_min,
                  timeline=minutes, segments=segments, products=products,
                  pins=[{"sku": p["sku"], "from_s": round(p["from"] - start, 1), "until_s": round(p["until"] - start, 1)}
                        for p in pins],
                  top_height=quality.top_height, missing=missing)
    review.findings = findings.compute(review, viewers, quality)
    return review


def raise_empty() -> None:
    raise ReviewError(_("This show has nothing to review: its journal is empty and no stream statistics were kept."))
