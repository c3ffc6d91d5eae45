"""Crash consistency of the show database: a child process runs a busy show (comments, pins,
coupon claims, flash-sale orders, platform events — each journaled with its state in one SQLite
transaction) and is SIGKILLed at random points, again and again on the same database.  After
every kill the show is opened again and must be consistent: the restored state says what the
journal says (the flash sale's remaining units = stock − units sold in the journal; the pinned
product = the last pin/unpin event; each coupon's claim count = its claim events; one comment row
per comment received), SQLite's integrity check passes, and nothing the child had reported as
done is missing."""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# CI: a dozen kills; BRIDGECAST_KILL_ITERATIONS asks for more (e.g. 200 before a release).
ITERATIONS = int(os.environ.get("BRIDGECAST_KILL_ITERATIONS", "12"))
CHILD_START_TIMEOUT_S = 30.0
CATALOG = "sku,title,price,currency,stock\nSKU-1,Silk scarf,19.99,USD,1000000\nSKU-2,Travel mug,12.50,USD,1000000\n"
SALE_STOCK = 100_000


def _prepare(db: Path, catalog: Path) -> None:
    """The show the children run: a catalog, a coupon, and a flash sale already open (started with
    a clock 11 s behind, so its 10 s pre-roll is over in real time)."""
    from studio.live.session import LiveShow

    show = LiveShow(None, db, clock=lambda: time.time() - 11)
    try:
        show.shelf.load(catalog)
        show.coupons.create("SAVE10", "percent", 10, per_viewer_cap=1000)
        show.flash_sale.start("SKU-1", SALE_STOCK, preroll_s=10, window_s=1200, per_buyer_cap=1000)
    finally:
        show.stop()
        show.store.close()


def _child(db: Path, catalog: Path, seed: int) -> None:
    """The busy show: one operation after another, each reported on stdout once it is journaled."""
    from studio.connectors.events import EventType, make_event
    from studio.live.audience import ShowAudience
    from studio.live.errors import LiveError
    from studio.live.session import LiveShow

    rng = random.Random(seed)
    show = LiveShow(None, db)
    audience = ShowAudience(show)  # no connector: its sink is what connectors feed
    print("ready", flush=True)
    for n in range(1_000_000):
        op = rng.choice(("comment", "pin", "claim", "buy", "platform"))
        try:
            if op == "comment":
                show.add_comment({"id": f"s{seed}-c{n}", "user": f"viewer{n % 97}", "text": f"how much is it {n}?"})
            elif op == "pin":
                show.shelf.pin(rng.choice(("SKU-1", "SKU-2"))) if rng.random() < 0.7 else show.shelf.unpin()
            elif op == "claim":
                show.coupons.claim("SAVE10", f"viewer{seed}-{n}")
            elif op == "buy":
                show.flash_sale.purchase(f"buyer{seed}-{n % 200}", rng.randint(1, 3))
            else:
                audience._on_event(make_event("tiktok", EventType.ORDER, f"s{seed}-o{n}", sku="SKU-2", quantity=1,
                                              amount="12.50", currency="USD"))
        except LiveError:
            continue
        print("done", op, n, flush=True)


def _kill_child(db: Path, catalog: Path, seed: int, delay_s: float) -> int:
    """Run a child on ``db``, SIGKILL it ``delay_s`` after it is ready; how many operations it reported."""
    process = subprocess.Popen([sys.executable, "-m", "tests.crash.test_show_kill", str(db), str(catalog), str(seed)],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    done = 0
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + CHILD_START_TIMEOUT_S
        ready_at = None
        for line in process.stdout:
            now = time.monotonic()
            if line.startswith("ready"):
                ready_at = now
            elif line.startswith("done"):
                done += 1
            if (ready_at is not None and now - ready_at >= delay_s) or now > deadline:
                break
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(10)
    return done


def _journal(db: Path, event_type: str) -> list[dict]:
    with sqlite3.connect(db) as con:
        return [json.loads(data) for (data,) in con.execute("SELECT data FROM events WHERE type = ? ORDER BY seq", (event_type,))]


def _problems(db: Path) -> list[str]:
    """What is inconsistent after a restart (empty: nothing)."""
    from studio.live.session import LiveShow

    problems = []
    with sqlite3.connect(db) as con:
        check = con.execute("PRAGMA integrity_check").fetchone()[0]
        pins = con.execute("SELECT type, data FROM events WHERE type IN ('product.pinned', 'product.unpinned') "
                           "ORDER BY seq DESC LIMIT 1").fetchone()
        received = {row[0] for row in con.execute("SELECT json_extract(data, '$.id') FROM events WHERE type = 'comment.received'")}
        rows = {row[0] for row in con.execute("SELECT id FROM comments")}
    if check != "ok":
        problems.append(f"integrity_check: {check}")
    show = LiveShow(None, db)
    try:
        sale = show.flash_sale.current
        sold = sum(e["quantity"] for e in _journal(db, "flash_sale.sold") if sale is not None and e["id"] == sale.id)
        if sale is not None and sale.remaining != sale.stock - sold:
            problems.append(f"flash sale: remaining {sale.remaining}, journal says {sale.stock - sold}")
        last_pin = (json.loads(pins[1]).get("sku") if pins[0] == "product.pinned" else None) if pins else None
        if show.shelf.pinned_sku != last_pin:
            problems.append(f"pinned {show.shelf.pinned_sku!r}, journal says {last_pin!r}")
        coupon = next((c for c in show.coupons.to_json() if c["code"] == "SAVE10"), None)
        claims = len(_journal(db, "coupon.claimed"))
        if coupon is not None and coupon["claimed"] != claims:
            problems.append(f"coupon claimed {coupon['claimed']}, journal says {claims}")
        if rows != received:
            problems.append(f"comments: {len(rows)} rows, {len(received)} received")
    finally:
        show.stop()
        show.store.close()
    return problems


def test_a_show_killed_at_random_points_restarts_consistent(tmp_path):
    db, catalog = tmp_path / "show.db", tmp_path / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    _prepare(db, catalog)
    rng = random.Random(20261207)
    reported = 0
    inconsistent = []
    for iteration in range(ITERATIONS):
        reported += _kill_child(db, catalog, seed=iteration, delay_s=rng.uniform(0.05, 0.8))
        problems = _problems(db)
        if problems:
            inconsistent.append((iteration, problems))
    # Every operation the children reported as done is in the journal (journaled before the print).
    with sqlite3.connect(db) as con:
        kinds = dict(con.execute("SELECT type, COUNT(*) FROM events GROUP BY type").fetchall())
    counted = ("comment.received", "product.pinned", "product.unpinned", "coupon.claimed", "flash_sale.sold", "platform.order")
    journaled = sum(kinds.get(kind, 0) for kind in counted)
    assert all(kinds.get(kind) for kind in counted), kinds  # every kind of change was under way at the kills
    print(f"\n[show kill] {ITERATIONS} kills, {reported} operations reported done, {journaled} journaled, "
          f"{len(inconsistent)} inconsistent restarts")
    assert inconsistent == [], inconsistent
    assert journaled >= reported > 0


if __name__ == "__main__":  # the child: python -m tests.crash.test_show_kill DB CATALOG SEED
    _child(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
