"""The review's records: a minute, a segment, a product, the whole review; viewer counts by moment."""
from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from studio.review.sources import JournalEvent

MINUTE_S = 60.0
DEFAULT_PIN_WINDOW_MIN = 5
LOOKAHEAD_S = 60.0
STALE_S = 180.0  # a viewer count older than this says nothing about the minute
FULL_MINUTE_SAMPLES = 50  # fewer stats samples than this in a whole minute on air: stats were lost


@dataclass
class Minute:
    """One minute of the show (``t``: seconds since the start)."""

    t: int
    viewers: dict[str, int] = field(default_factory=dict)
    comments: int = 0
    likes: int = 0
    shares: int = 0
    orders: int = 0
    units: int = 0
    gmv: float = 0.0
    coupon_claims: int = 0
    stats_s: int = 0
    top_height: int | None = None
    limited_s: int | None = None
    frozen_s: int | None = None
    reconnects: int | None = None

    @property
    def viewers_total(self) -> int | None:
        return sum(self.viewers.values()) if self.viewers else None


@dataclass
class SegmentReview:
    index: int
    name: str
    kind: str
    planned_s: int | None
    planned_start_s: float | None
    actual_start_s: float | None
    actual_s: float | None
    viewers_start: int | None = None
    viewers_end: int | None = None
    viewers_peak: int | None = None
    drop_pct: float | None = None
    comments: int = 0
    interactions_per_min: float | None = None
    orders: int = 0
    gmv: float = 0.0
    unique_viewers: int | None = None
    conversion_pct: float | None = None
    limited_s: int | None = None
    lowest_height: int | None = None


@dataclass
class ProductReview:
    sku: str
    title: str
    pins: int = 0
    on_screen_s: float = 0.0
    orders: int = 0
    units: int = 0
    gmv: float = 0.0
    orders_after_pin: int = 0
    coupon_redemptions: int = 0
    flash_sale_units: int = 0


@dataclass
class Review:
    """Everything the report, the CLI and the Review window show about one show."""

    start_unix: float
    end_unix: float
    currency: str | None
    platforms: list[str]
    pin_window_min: int
    timeline: list[Minute]
    segments: list[SegmentReview]
    products: list[ProductReview]
    pins: list[dict[str, Any]]
    top_height: int | None
    missing: list[str]
    findings: list[dict[str, Any]] = field(default_factory=list)
    comparison: list[dict[str, Any]] = field(default_factory=list)
    # The referral programme's figures (studio.live.referral_ledger.review_summary); None: it did not run.
    referrals: dict[str, Any] | None = None

    @property
    def duration_s(self) -> float:
        return self.end_unix - self.start_unix

    def to_json(self) -> dict[str, Any]:
        timeline = []
        for minute in self.timeline:
            row = asdict(minute)
            row["viewers_total"] = minute.viewers_total
            timeline.append(row)
        return {"start_unix": self.start_unix, "end_unix": self.end_unix, "duration_s": round(self.duration_s, 1),
                "currency": self.currency, "platforms": self.platforms, "pin_window_min": self.pin_window_min,
                "timeline": timeline, "segments": [asdict(s) for s in self.segments],
                "products": [asdict(p) for p in self.products], "pins": self.pins, "findings": self.findings,
                "missing": self.missing, "comparison": self.comparison, "referrals": self.referrals}


def amount_of(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def count_of(data: dict[str, Any]) -> int:
    value = data.get("count")
    return int(value) if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 1


def event_time(event: JournalEvent) -> float:
    """When it happened: a platform event's own ``t`` (the platform's clock), else the journal's."""
    return event.when


class ViewerCounts:
    """Each platform's viewer reports in time order, to answer "how many at moment t" (by bisection:
    a three-hour show has tens of thousands of reports)."""

    def __init__(self, reports: list[tuple[float, str, int, int | None]]) -> None:
        self.by_platform: dict[str, list[tuple[float, int, int | None]]] = {}
        for t, platform, count, unique in sorted(reports, key=lambda report: report[0]):  # stable: journal order at a tie
            self.by_platform.setdefault(platform, []).append((t, count, unique))
        self._times = {platform: [row[0] for row in rows] for platform, rows in self.by_platform.items()}

    def _report_at(self, platform: str, t: float) -> tuple[float, int, int | None] | None:
        rows, times = self.by_platform[platform], self._times[platform]
        index = bisect.bisect_right(times, t)
        if index:
            return rows[index - 1]
        return rows[0] if rows and rows[0][0] <= t + LOOKAHEAD_S else None

    def latest_by_platform(self, before: float, stale_s: float) -> dict[str, int]:
        """Each platform's last count reported before ``before`` and at most ``stale_s`` older."""
        found = {}
        for platform, times in self._times.items():
            index = bisect.bisect_left(times, before)
            if index and times[index - 1] >= before - stale_s:
                found[platform] = self.by_platform[platform][index - 1][1]
        return found

    def at(self, t: float) -> int | None:
        counts = [row[1] for row in (self._report_at(p, t) for p in self.by_platform) if row is not None]
        return sum(counts) if counts else None

    def unique_at(self, t: float) -> int | None:
        values = [row[2] for row in (self._report_at(p, t) for p in self.by_platform) if row is not None]
        return sum(values) if values and all(v is not None for v in values) else None

    def peak_between(self, start: float, end: float) -> int | None:
        moments = {start}
        for times in self._times.values():
            moments.update(times[bisect.bisect_left(times, start):bisect.bisect_left(times, end)])
        values = [v for v in (self.at(t) for t in sorted(moments)) if v is not None]
        return max(values) if values else None


def clock_text(seconds: float) -> str:
    """Seconds since the start as a clock: 1:05:09, 23:04."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
