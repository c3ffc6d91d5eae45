"""Post-show numbers straight from the journal (what was pinned when, sales, claims, comments)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from studio.live.store import LiveStore


def summarize(db_path: str | Path) -> dict[str, Any]:
    """One JSON-able summary of a show database; safe to run while the show is live (WAL readers)."""
    store = LiveStore(db_path)
    try:
        counts: Counter[str] = Counter()
        pins: list[dict[str, Any]] = []
        sales: dict[str, dict[str, Any]] = {}
        claims: Counter[str] = Counter()
        comment_minutes: Counter[int] = Counter()
        questions = 0
        first_t = last_t = None
        for event in store.events():
            counts[event["type"]] += 1
            t, data = event["t"], event["data"]
            first_t = t if first_t is None else first_t
            last_t = t
            if event["type"] == "product.pinned":
                if pins and pins[-1]["until"] is None:
                    pins[-1]["until"] = t
                pins.append({"sku": data["sku"], "from": t, "until": None})
            elif event["type"] == "product.unpinned" and pins and pins[-1]["until"] is None:
                pins[-1]["until"] = t
            elif event["type"] == "flash_sale.scheduled":
                sales[data["id"]] = {"sku": data["sku"], "stock": data["stock"], "sold": 0, "end_reason": None}
            elif event["type"] == "flash_sale.sold" and data["id"] in sales:
                sales[data["id"]]["sold"] += data["quantity"]
            elif event["type"] == "flash_sale.ended" and data["id"] in sales:
                sales[data["id"]]["end_reason"] = data["reason"]
            elif event["type"] == "coupon.claimed":
                claims[data["code"]] += 1
            elif event["type"] == "comment.received":
                comment_minutes[int((t - (first_t or t)) // 60)] += 1
                questions += bool(data.get("is_question"))
        return {
            "duration_s": (last_t - first_t) if first_t is not None else 0.0,
            "events": dict(counts),
            "pins": pins,
            "flash_sales": list(sales.values()),
            "coupon_claims": dict(claims),
            "comments": counts["comment.received"],
            "questions": questions,
            "comments_per_minute_peak": max(comment_minutes.values(), default=0),
        }
    finally:
        store.close()
