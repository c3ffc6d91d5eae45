"""The stream's quality minute by minute, from the stats samples (one a second, ``--stats-jsonl``).

Per sample: the layer sent is the tallest active layer; the stream is *limited* when that is
below the tallest layer the show sent at all, *frozen* when it was reconnecting or live with no
layer moving (none active, or every active one at 0 fps); a *reconnect* is a step into
``reconnecting``.
"""
from __future__ import annotations

from typing import Any

from studio.core.i18n import _
from studio.review.records import FULL_MINUTE_SAMPLES, MINUTE_S, Minute


def sent_height(record: dict[str, Any]) -> int | None:
    """The tallest active layer's height in one sample (None: nothing sent)."""
    heights = [layer.get("height") for layer in record.get("layers") or []
               if layer.get("active") and isinstance(layer.get("height"), int)]
    return max(heights) if heights else None


def is_frozen(record: dict[str, Any]) -> bool:
    if record.get("state") == "reconnecting":
        return True
    if record.get("state") != "live":
        return False
    active = [layer for layer in record.get("layers") or [] if layer.get("active")]
    return not active or all(isinstance(layer.get("fps"), (int, float)) and layer["fps"] <= 0 for layer in active)


class StreamQuality:
    """The samples of a show's stream, read once."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = sorted(records, key=lambda r: r["t"])
        live = [r for r in self.records if r.get("state") == "live"]
        self.first_live_t: float | None = live[0]["t"] if live else None
        heights = [h for h in (sent_height(r) for r in live) if h is not None]
        self.top_height: int | None = max(heights) if heights else None

    def is_limited(self, record: dict[str, Any]) -> bool:
        height = sent_height(record)
        return (record.get("state") == "live" and self.top_height is not None and height is not None
                and height < self.top_height)

    def fill(self, minutes: list[Minute], start: float) -> None:
        """Write the stream columns of each minute that has samples (the others stay None)."""
        previous_state = None
        for record in self.records:
            index = int((record["t"] - start) // MINUTE_S)
            state = record.get("state")
            is_reconnect = state == "reconnecting" and previous_state not in (None, "reconnecting")
            previous_state = state
            if not 0 <= index < len(minutes):
                continue
            minute = minutes[index]
            if minute.stats_s == 0:
                minute.limited_s = minute.frozen_s = minute.reconnects = 0
            minute.stats_s += 1
            minute.limited_s += self.is_limited(record)
            minute.frozen_s += is_frozen(record)
            minute.reconnects += is_reconnect
            height = sent_height(record) if state == "live" else None
            if height is not None:
                minute.top_height = height if minute.top_height is None else min(minute.top_height, height)

    def between(self, start: float, end: float) -> tuple[int, int | None]:
        """Seconds limited, and the lowest layer height sent, in ``[start, end)`` (wall seconds)."""
        rows = [r for r in self.records if start <= r["t"] < end]
        heights = [h for h in (sent_height(r) for r in rows if r.get("state") == "live") if h is not None]
        return sum(self.is_limited(r) for r in rows), (min(heights) if heights else None)

    def missing(self, minutes: list[Minute]) -> list[str]:
        """What is missing from the stream's record, in words."""
        if not self.records:
            return [_("No stream statistics were found for this show: stream quality is unknown.")]
        first = next((i for i, m in enumerate(minutes) if m.stats_s), None)
        last = max((i for i, m in enumerate(minutes) if m.stats_s), default=None)
        if first is None or last is None:
            return [_("The stream statistics do not cover this show's time: stream quality is unknown.")]
        gaps = [m for m in minutes[first + 1:last] if m.stats_s < FULL_MINUTE_SAMPLES]
        if not gaps:
            return []
        lost = sum(60 - m.stats_s for m in gaps)
        where = ", ".join(_clock(m.t) for m in gaps[:6]) + ("…" if len(gaps) > 6 else "")
        return [_("Stream statistics were lost for {seconds} s (in the minutes starting {where}): "
                  "quality there is unknown.").format(seconds=lost, where=where)]


def _clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"
