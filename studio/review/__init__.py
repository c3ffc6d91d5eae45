"""The post-show review: what a show's journal and stream stats say, in figures, words and charts.

Qt-free.  :func:`review_show` builds a :class:`~studio.review.records.Review` (timeline per
minute, run-of-show segments, products, findings, what is missing, comparison with earlier
shows); :mod:`studio.review.report` writes it as HTML, PDF and CSV; :mod:`studio.review.charts`
draws the charts the report and the app's Review window share.
"""
from __future__ import annotations

from pathlib import Path

from studio.review.compare import compare, comparison_findings
from studio.review.model import build_review
from studio.review.records import DEFAULT_PIN_WINDOW_MIN, Review
from studio.review.sources import ARCHIVE_DIR, ReviewError, read_journal, read_stats, show_history, stats_for_span

DEFAULT_COMPARE_LAST = 5
MIN_COMPARED_S = 60.0

__all__ = ["DEFAULT_COMPARE_LAST", "DEFAULT_PIN_WINDOW_MIN", "Review", "ReviewError", "review_show"]


def _one(db_path: Path, stats_paths: list[Path] | None, stats_dir: Path | None, pin_window_min: int) -> Review:
    events, state = read_journal(db_path)
    if stats_paths is None:
        stats_paths = []
        if stats_dir is not None and events:
            stats_paths = stats_for_span(stats_dir, events[0].t, events[-1].t)
    records, unreadable = read_stats(stats_paths)
    if events and records:  # samples of another show in a given file are not this show's
        first, last = events[0].t - 120.0, events[-1].t + 120.0
        records = [r for r in records if first <= r["t"] <= last]
    review = build_review(events, state, records, pin_window_min, unreadable, is_archived=db_path.parent.name == ARCHIVE_DIR)
    review.referrals = _referrals(events, state)
    return review


def _referrals(events: list, state: dict) -> dict | None:
    """The referral programme's figures when the show ran one (inviters or joins), else None."""
    from studio.live.referral_ledger import review_summary

    summary = review_summary(state, ((event.type, event.data) for event in events))
    return summary if summary["inviters"] or summary["joins"] else None


def review_show(db_path: str | Path, *, stats_paths: list[Path] | None = None, stats_dir: Path | None = None,
                pin_window_min: int = DEFAULT_PIN_WINDOW_MIN, compare_last: int = DEFAULT_COMPARE_LAST) -> Review:
    """Review the show in ``db_path`` with the given stats files (None: those in ``stats_dir``
    that overlap the show) against up to ``compare_last`` earlier shows of its history.
    Raises :class:`ReviewError` in words when the show cannot be read."""
    db_path = Path(db_path)
    review = _one(db_path, stats_paths, stats_dir, pin_window_min)
    others = []
    if compare_last > 0:
        history = show_history(db_path) if db_path.parent.name != "shows" else show_history(db_path.parent.parent / "show.db")
        for show in history:
            if show.path.resolve() == db_path.resolve() or show.first_t is None or show.first_t >= review.start_unix:
                continue
            try:
                other = _one(show.path, None, stats_dir, pin_window_min)
            except ReviewError:
                continue  # an unreadable old show is left out of the comparison, not the review
            if other.duration_s >= MIN_COMPARED_S:  # a show opened and never used is not a show to compare with
                others.append((show.path, other))
            if len(others) >= compare_last:
                break
    review.comparison = compare(review, others)
    review.findings += comparison_findings(review.comparison)
    return review
