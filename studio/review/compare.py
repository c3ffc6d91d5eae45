"""Shows compared with each other: the last few shows' headline figures beside this one's.

Each earlier show is reviewed from its own archived journal (``shows/show-*.db``) and the
stats files that overlap it.  ``same_slot`` marks shows that started on the same weekday
within an hour of this one's local start time — the fair comparison for a market's slot.
"""
from __future__ import annotations

import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

from studio.core.i18n import _, ngettext
from studio.review.records import Review

SLOT_TOLERANCE_H = 1


def headline(review: Review) -> dict[str, Any]:
    """The figures a show is compared on (None when the show did not record them)."""
    totals = [m.viewers_total for m in review.timeline if m.viewers_total is not None]
    has_orders = any(m.orders for m in review.timeline)
    return {
        "start_unix": review.start_unix,
        "duration_s": round(review.duration_s, 1),
        "peak_viewers": max(totals) if totals else None,
        "average_viewers": round(statistics.fmean(totals)) if totals else None,
        "comments": sum(m.comments for m in review.timeline),
        "orders": sum(m.orders for m in review.timeline) if has_orders else None,
        "gmv": round(sum(m.gmv for m in review.timeline), 2) if has_orders else None,
        "currency": review.currency,
    }


def is_same_slot(a_unix: float, b_unix: float) -> bool:
    a, b = datetime.fromtimestamp(a_unix), datetime.fromtimestamp(b_unix)
    gap_h = abs((a.hour + a.minute / 60) - (b.hour + b.minute / 60))
    return a.weekday() == b.weekday() and min(gap_h, 24 - gap_h) <= SLOT_TOLERANCE_H


def compare(review: Review, others: list[tuple[Path, Review]]) -> list[dict[str, Any]]:
    """One row per show (this one first), newest first among the others."""
    rows = [{"show": _("this show"), "is_this_show": True, "same_slot": True, **headline(review)}]
    for path, other in sorted(others, key=lambda pair: pair[1].start_unix, reverse=True):
        rows.append({"show": path.name, "is_this_show": False,
                     "same_slot": is_same_slot(review.start_unix, other.start_unix), **headline(other)})
    return rows


def comparison_findings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """How this show's average viewers and GMV stand against the earlier shows' mean."""
    if len(rows) < 2:
        return []
    this, earlier = rows[0], rows[1:]
    same_slot = [row for row in earlier if row["same_slot"]]
    if same_slot:  # the fair comparison: the same weekday and hour (the same audience's evening)
        earlier = same_slot
    found = []
    for key, label in (("average_viewers", _("Average viewers")), ("gmv", _("GMV"))):
        values = [row[key] for row in earlier if row[key] is not None]
        if this[key] is None or not values or not statistics.fmean(values):
            continue
        mean = statistics.fmean(values)
        change = round(100.0 * (this[key] - mean) / mean)
        digits = 2 if key == "gmv" else 0
        if same_slot:
            text = ngettext("{label} {value} is {change:+d} % against the last show on this weekday and hour ({mean}).",
                            "{label} {value} is {change:+d} % against the mean of the last {count} shows on this weekday "
                            "and hour ({mean}).", len(values))
        else:
            text = ngettext("{label} {value} is {change:+d} % against the previous show ({mean}).",
                            "{label} {value} is {change:+d} % against the last {count} shows' mean ({mean}).", len(values))
        text = text.format(label=label, value=f"{this[key]:,.{digits}f}", change=change, count=len(values),
                           mean=f"{mean:,.{digits}f}")
        found.append({"kind": "comparison", "text": text,
                      "numbers": {key: this[key], "mean_of_last": round(mean, 2), "shows": len(values), "change_pct": change,
                                  "same_slot_only": bool(same_slot)}})
    return found
