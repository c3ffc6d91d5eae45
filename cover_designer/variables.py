"""Variables filled into templates from a product, a CSV row or a show (times in the viewer's zone)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime


def show_time_variables(start: datetime, time_zone: str, locale: str) -> dict[str, str]:
    """``{start_time_local}`` etc. for a show start (aware datetime) in the target market's zone.

    Zone rules come from the tz database, so daylight-saving changes are handled (DST-safe)."""
    local = start.astimezone(ZoneInfo(time_zone))
    loc = locale.replace("-", "_")
    return {
        "start_time_local": format_datetime(local, "short", locale=loc),
        "start_date_local": format_datetime(local, "EEE d MMM", locale=loc),
        "start_clock_local": format_datetime(local, "HH:mm", locale=loc),
        "time_zone": time_zone,
    }


def product_variables(product: dict) -> dict[str, str]:
    """Common product fields → template variables (``discount`` computed if both prices are known)."""
    values = {str(k): str(v) for k, v in product.items() if v not in (None, "")}
    if "discount" not in values and values.get("price") and values.get("original_price"):
        try:
            price, original = float(values["price"]), float(values["original_price"])
            if original > price > 0:
                values["discount"] = str(round(100 * (1 - price / original)))
        except ValueError:
            pass
    return values
