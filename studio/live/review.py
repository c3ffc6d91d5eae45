"""Post-show numbers straight from the journal (what was pinned when, sales, claims, comments)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from studio.core.i18n import _, ngettext


def summarize(db_path: str | Path) -> dict[str, Any]:
    """One JSON-able summary of a show database; safe to run while the show is live (WAL readers)."""
    from studio.review.sources import read_journal

    journal, _state = read_journal(db_path)  # read-only: reviewing never creates or changes a show file
    counts: Counter[str] = Counter()
    pins: list[dict[str, Any]] = []
    sales: dict[str, dict[str, Any]] = {}
    claims: Counter[str] = Counter()
    comment_minutes: Counter[int] = Counter()
    questions = 0
    first_t = last_t = None
    for event in journal:
        counts[event.type] += 1
        t, data = event.t, event.data
        first_t = t if first_t is None else first_t
        last_t = t
        if event.type == "product.pinned":
            if pins and pins[-1]["until"] is None:
                pins[-1]["until"] = t
            pins.append({"sku": data["sku"], "from": t, "until": None})
        elif event.type == "product.unpinned" and pins and pins[-1]["until"] is None:
            pins[-1]["until"] = t
        elif event.type == "flash_sale.scheduled":
            sales[data["id"]] = {"sku": data["sku"], "stock": data["stock"], "sold": 0, "end_reason": None}
        elif event.type == "flash_sale.sold" and data["id"] in sales:
            sales[data["id"]]["sold"] += data["quantity"]
        elif event.type == "flash_sale.ended" and data["id"] in sales:
            sales[data["id"]]["end_reason"] = data["reason"]
        elif event.type == "coupon.claimed":
            claims[data["code"]] += 1
        elif event.type == "comment.received":
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


# ---------------------------------------------------------------------------------------------
# Which stream to review, and the stream review in words
def went_live(path: Path) -> bool:
    """Whether a stats file shows the stream live at least once (not a failed attempt)."""
    from studio.outputs.show_stats import read_records

    records, _bad = read_records(path)
    return any(record.get("state") == "live" for record in records)


def newest_live_stats(directory: Path) -> tuple[Path | None, int]:
    """The newest stats file of a show that went live, and how many files were looked at.

    Attempts that never got on air (a refused token, a server that did not answer) keep their
    stats too; they are skipped, so the review is of the last real show.
    """
    candidates = sorted(directory.glob("*.jsonl"), key=lambda p: p.stat().st_mtime, reverse=True) if directory.is_dir() else []
    for path in candidates:
        try:
            if went_live(path):
                return path, len(candidates)
        except OSError:
            continue  # unreadable: look at the next one
    return None, len(candidates)


def no_live_show_reason(attempts: int) -> str:
    """Why there is nothing to review although stats were kept: no attempt got on air."""
    return ngettext("no show has gone live yet (the one attempt recorded never got on air)",
                    "no show has gone live yet (none of the {count} attempts recorded got on air)", attempts).format(count=attempts)


def _or_unknown(value: Any, fmt: str = "{}") -> str:
    return fmt.format(value) if value is not None else _("unknown")


def stream_lines(stream: dict[str, Any]) -> list[str]:
    """A stream summary (``show_stats.summarize``) as lines of text; a number not measured reads "unknown"."""
    lines = [stream["file"], "  " + stream["verdict"]]
    if not stream.get("samples"):
        return lines
    layers = stream.get("layers") or {}
    if layers:
        lines.append("  " + ", ".join(
            _("{rid} {size} sent {share}% of the time").format(
                rid=rid, size=layer.get("size") or "?",
                share=_or_unknown(None if layer.get("active_share") is None else round(100 * layer["active_share"])))
            for rid, layer in layers.items()))
    estimate = stream.get("estimate_bps_min")
    loss = stream.get("loss_fraction_p50")
    lines.append("  " + _("round trip p50 {rtt}, loss p50 {loss}, lowest estimate {estimate}").format(
        rtt=_or_unknown(stream.get("rtt_ms_p50"), "{:g} ms"),
        loss=_or_unknown(None if loss is None else round(100 * loss, 1), "{:g}%"),
        estimate=_or_unknown(None if estimate is None else int(estimate) // 1000, "{} kbit/s")))
    return lines


# ---------------------------------------------------------------------------------------------
# The show's review (viewers, segments, products: studio.review) for the command line
def review_of_show(db: Path | None, stats_paths: list[Path] | None, stats_dir: Path | None,
                   pin_window_min: int, compare_last: int) -> tuple[Any, str | None]:
    """``(review, None)``, or ``(None, why not in words)`` when the show cannot be reviewed."""
    from studio.review import ReviewError, review_show

    if db is None:
        return None, _("no show database to review (give one with --show-db DB)")
    try:
        return review_show(db, stats_paths=stats_paths, stats_dir=stats_dir, pin_window_min=pin_window_min,
                           compare_last=compare_last), None
    except ReviewError as exc:
        return None, str(exc)


def review_lines(review: Any) -> list[str]:
    """The review's findings and what the show did not record, as lines of text."""
    lines = [_("Show review:")]
    lines += ["  " + finding["text"] for finding in review.findings] or ["  " + _("nothing stands out")]
    if review.missing:
        lines.append(_("Not recorded:"))
        lines += ["  " + text for text in review.missing]
    return lines
