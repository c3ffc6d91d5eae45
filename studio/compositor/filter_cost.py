"""What each item's picture tools cost a frame, measured on the compositor's thread, and the
notice that says so in words when they make the program late.

The program is late when the compositor's median render time over the last second comes within
:data:`LATE_SHARE` of the frame's time, or when ticks were missed since the last look.  The notice
names the item whose filters cost most, if they are a real part of the render and of the frame
(:data:`BLAME_SHARE`, :data:`BLAME_FRAME_SHARE`) and ran in the last second (a still picture is
filtered once, then costs nothing); a late program with cheap filters is not blamed on them.
"""
from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Iterable

from studio.core.i18n import _

LATE_SHARE = 0.85  # a median render above this share of the frame time leaves no room
BLAME_SHARE = 0.25  # filters that cost at least this share of the render are named ...
BLAME_FRAME_SHARE = 0.15  # ... and at least this share of the frame's time (5 ms at 30 fps)
FRESH_S = 1.0  # filters that have not run for this long cost nothing now
RECENT_FRAMES = 30  # the render times and filter costs looked at: the last second at 30 fps


@dataclass(slots=True)
class ItemCost:
    name: str
    recent_ms: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_FRAMES))
    updated_s: float = 0.0  # monotonic time of the last measurement

    @property
    def cost_ms(self) -> float:
        """The median of the recent frames: a frame the OS took the CPU away from does not count."""
        return statistics.median(self.recent_ms) if self.recent_ms else 0.0


class FilterCosts:
    """Per-item filter cost (the median of the last frames where the filters ran)."""

    def __init__(self, fps: float) -> None:
        self.frame_ms = 1000.0 / fps if fps > 0 else 33.3
        self._items: dict[str, ItemCost] = {}
        self._lock = threading.Lock()
        self._late_ticks_seen: int | None = None

    def record(self, item_id: str, name: str, cost_ms: float) -> None:
        with self._lock:
            known = self._items.get(item_id)
            if known is None:
                if len(self._items) > 256:
                    self._items.clear()
                known = self._items[item_id] = ItemCost(name)
            known.name, known.updated_s = name, time.monotonic()
            known.recent_ms.append(cost_ms)

    def forget_except(self, item_ids: Iterable[str]) -> None:
        """Drop the items no longer drawn (their filters cost nothing now)."""
        keep = set(item_ids)
        with self._lock:
            for item_id in [i for i in self._items if i not in keep]:
                del self._items[item_id]

    def costs(self) -> dict[str, float]:
        with self._lock:
            return {item_id: round(item.cost_ms, 2) for item_id, item in self._items.items()}

    def notice(self, render_ms: Iterable[float], late_ticks: int) -> str | None:
        """The notice in words, or None while the program keeps time (or filters are not why)."""
        recent = list(render_ms)[-RECENT_FRAMES:]
        missed = 0 if self._late_ticks_seen is None else late_ticks - self._late_ticks_seen
        self._late_ticks_seen = late_ticks
        if not recent:
            return None
        render = statistics.median(recent)
        if render < LATE_SHARE * self.frame_ms and missed < 3:
            return None
        fresh_after = time.monotonic() - FRESH_S
        with self._lock:
            running = [item for item in self._items.values() if item.updated_s >= fresh_after]
        worst = max(running, key=lambda item: item.cost_ms, default=None)
        if worst is None or worst.cost_ms < max(BLAME_SHARE * render, BLAME_FRAME_SHARE * self.frame_ms):
            return None
        return _("Filters on “{item}” take {ms} ms a frame; the program is late — turn a filter off or down, "
                 "or lower the canvas size or frame rate.").format(item=worst.name, ms=round(worst.cost_ms))
