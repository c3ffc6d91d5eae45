"""A recorded rehearsal show, built through the engine's own API for the review's tests.

A catalog, a five-segment run-of-show (pins and a flash sale as segment actions), a coupon
and its claims, comments through the show's comment queue, and two platforms' viewer counts,
likes, shares and orders as the generic connector takes them (``event_from_payload``, the
inbound schema) journaled with :func:`journal_platform_event`; beside it a ``--stats-jsonl``
file of the stream (1080p/540p/270p; limited to 540p for 90 s early in segment 3, a 4 s
reconnect in segment 4).  Deterministic (seeded), so every figure can be checked.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from studio.connectors.generic import event_from_payload
from studio.live.session import LiveShow
from studio.review.sources import journal_platform_event

T0 = 1_800_000_000.0  # when the stream went live
END_S = 1260  # 21 minutes on air
PLAN = [
    {"name": "Warm-up", "kind": "talk", "planned_s": 180, "actions": []},
    {"name": "Linen shirt", "planned_s": 300, "actions": [{"pin": "B07"}]},
    {"name": "Silk scarf", "planned_s": 300, "actions": [
        {"pin": "A12"}, {"flash_sale": {"sku": "A12", "stock": 20, "price": "19.90", "preroll_s": 10, "window_s": 120}}]},
    {"name": "Tea set", "planned_s": 240, "actions": [{"pin": "C33"}, {"show_coupon": "WELCOME10"}]},
    {"name": "Wrap-up", "kind": "talk", "planned_s": 120, "actions": [{"unpin": True}]},
]
SEGMENT_STARTS_S = [5, 205, 535, 955, 1155]  # segment 3 runs over (420 s for 300), segment 4 ends early
LIMITED_S = (545, 635)  # the top layer paused: 540p for 90 s in the Silk scarf's first two minutes
RECONNECT_S = (1000, 1004)
PRICES = {"A12": "29.90", "B07": "45.00", "C33": "60.00"}
CATALOG = ("sku,title,price,currency,stock\n"
           "A12,Silk scarf,29.90,USD,100\nB07,Linen shirt,45.00,USD,80\nC33,Tea set,60.00,USD,40\n")


@dataclass
class Recorded:
    db: Path
    stats: Path
    start: float
    end: float


def viewers_total(s: float) -> int:
    """The audience curve: a warm-up climb, a plateau, the Silk scarf's early loss (1,300 → 806,
    38 %), a slow recovery and a wrap-up fade."""
    if s < 205:
        return int(300 + 900 * s / 205)
    if s < 535:
        return 1200 + int(100 * (s - 205) / 330)
    if s < 655:
        return int(1300 - 494 * (s - 535) / 120)
    if s < 1155:
        return int(806 + 300 * (s - 655) / 500)
    return int(1106 - 400 * (s - 1155) / 105)


class _Platforms:
    def __init__(self, show: LiveShow) -> None:
        self.show = show
        self.sequence = 0
        self.unique = {"tiktok": 0, "youtube": 0}
        self.last = {"tiktok": 0, "youtube": 0}

    def send(self, payload: dict[str, Any]) -> None:
        self.sequence += 1
        payload.setdefault("id", f"{payload['type']}-{self.sequence}")
        journal_platform_event(self.show.journal, event_from_payload(payload))

    def viewers(self, t: float, s: float) -> None:
        total = viewers_total(s)
        for platform, share in (("tiktok", 0.7), ("youtube", 0.3)):
            count = round(total * share)
            self.unique[platform] += max(0, count - self.last[platform]) + 7  # arrivals, plus a few who came and went
            self.last[platform] = count
            self.send({"platform": platform, "type": "viewers", "count": count, "t": t,
                       "extra": {"unique_viewers": self.unique[platform]}})


def _stats_record(t: float, s: float) -> dict[str, Any]:
    is_limited = LIMITED_S[0] <= s < LIMITED_S[1]
    is_reconnecting = RECONNECT_S[0] <= s < RECONNECT_S[1]
    layers = [{"rid": rid, "width": w, "height": h, "fps": 30.0, "bitrate_bps": b, "keyframes": 1,
               "active": not (rid == "h" and is_limited)}
              for rid, w, h, b in (("h", 1920, 1080, 4_500_000), ("m", 960, 540, 1_500_000), ("l", 480, 270, 400_000))]
    return {"t": t, "state": "reconnecting" if is_reconnecting else "live", "layers": [] if is_reconnecting else layers,
            "rtt_ms": 40.0, "loss_fraction": 0.0, "available_bitrate_bps": 6_000_000, "dropped_frames": 0,
            "encoder": "libx264", "outputs": [{"id": "whip", "kind": "whip", "canvas": "horizontal", "state": "live",
                                                "bitrate_bps": 6_400_000, "fps": 30.0,
                                                "reconnects": 1 if s >= RECONNECT_S[0] else 0, "error": None}]}


def record_rehearsal(folder: Path, *, has_platforms: bool = True, has_plan: bool = True, crash_at_s: float | None = None,
                     stats_lost_s: tuple[float, float] | None = None, start: float = T0, name: str = "show.db",
                     stats_folder: Path | None = None) -> Recorded:
    """Record the rehearsal into ``folder/name`` (+ ``<stats_folder or folder/stats>/<name>.jsonl``);
    variants leave parts out."""
    folder.mkdir(parents=True, exist_ok=True)
    catalog = folder / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    clock_t = [start - 120.0]
    show = LiveShow(None, folder / name, catalog=catalog, clock=lambda: clock_t[0])
    rng = random.Random(17)
    platforms = _Platforms(show)
    show.coupons.create("WELCOME10", "percent", 10, quantity=500)
    if has_plan:
        show.rundown.set(PLAN)
    actions: list[tuple[float, int, Callable[[float, float], None]]] = []

    def at(s: float, action: Callable[[float, float], None]) -> None:
        actions.append((s, len(actions), action))

    for number, s in enumerate(SEGMENT_STARTS_S):
        if has_plan:
            at(s, lambda t, s: show.rundown.advance())
        else:  # the same pins by hand
            sku = [None, "B07", "A12", "C33", None][number]
            at(s, (lambda sku: lambda t, s: show.shelf.pin(sku) if sku else show.shelf.unpin())(sku))
            if sku == "A12":
                at(s, lambda t, s: show.flash_sale.start(**PLAN[2]["actions"][1]["flash_sale"]))
    if has_platforms:
        for s in range(0, END_S, 15):
            at(s + 1, lambda t, s: platforms.viewers(t, s))
        for s in range(0, END_S, 30):
            at(s + 2, lambda t, s: platforms.send({"platform": "tiktok", "type": "like", "count": rng.randint(20, 80), "t": t}))
        for s in range(60, END_S, 180):
            at(s + 3, lambda t, s: platforms.send({"platform": "youtube", "type": "share", "t": t}))
        _orders(at, platforms, rng)
    for s in range(0, END_S, 10):
        for k in range(rng.randint(0, 4) + (3 if 205 <= s < 535 else 0)):
            at(s + 4 + k, lambda t, s: show.comments.add({"id": f"c{t}", "user": f"viewer{int(t) % 37}",
                                                         "text": "How much is it?" if int(t) % 3 else "Love it", "t": t}))
    for s in range(250, 900, 45):
        at(s + 5, lambda t, s: show.coupons.claim("WELCOME10", f"claimer{int(s)}"))
    for number in range(12):  # flash-sale buyers while the Silk scarf's sale is open (545..665)
        at(560 + 8 * number, lambda t, s: show.flash_sale.purchase(f"fan{int(s)}", 1))
    actions.sort()
    stats_path = (stats_folder or folder / "stats") / (Path(name).stem + ".jsonl")
    stats_path.parent.mkdir(parents=True, exist_ok=True)
    end_s = crash_at_s if crash_at_s is not None else END_S
    with stats_path.open("w", encoding="utf-8") as out:
        for s in range(0, int(end_s)):
            if stats_lost_s is None or not stats_lost_s[0] <= s < stats_lost_s[1]:
                out.write(json.dumps(_stats_record(start + s, s)) + "\n")
    for s, _order, action in actions:
        if s >= end_s:
            break
        clock_t[0] = start + s
        action(clock_t[0], s)
    if crash_at_s is None:
        clock_t[0] = start + END_S
        show.stop()
    else:
        show.store.close()  # killed: the show is never marked closed
    return Recorded(db=folder / name, stats=stats_path, start=start, end=start + end_s)


def _orders(at: Callable[..., None], platforms: _Platforms, rng: random.Random) -> None:
    """Orders as the platforms report them: most while a product is pinned, some later."""
    schedule = [("B07", 215, 530, 14), ("A12", 545, 950, 22), ("C33", 965, 1150, 9), ("A12", 1160, 1250, 3)]
    for sku, first, last, count in schedule:
        for number in range(count):
            s = first + (last - first) * number / count
            quantity = 1 + (number % 3 == 0)
            price = "19.90" if sku == "A12" and 555 <= s < 675 else PRICES[sku]
            payload = {"platform": "tiktok" if number % 4 else "youtube", "type": "order", "sku": sku,
                       "quantity": quantity, "amount": f"{float(price) * quantity:.2f}", "currency": "USD",
                       "buyer": f"b{number}"}
            if number % 5 == 0:
                payload["coupon"] = "WELCOME10"
            at(s, (lambda payload: lambda t, s: platforms.send({**payload, "t": t}))(payload))
