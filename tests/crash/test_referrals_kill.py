"""The referral programme survives SIGKILL.

1. A show process serves the control API; the referral run of ``test_referrals_api`` goes through
   it over HTTP, then the process is SIGKILLed.  The show opened again has exactly the ledger the
   API answered before the kill, and a new show process carries on from it (vesting, grants).
2. A busy show process (joins, orders, holds, grants, vesting on its ticker) is SIGKILLed at random
   points, again and again on one database.  After each kill: the ledger's joins are the journal's,
   every granted coupon reward has its coupon in the coupons unit and every referral coupon
   belongs to a reward (a kill between the two commits leaves the reward vested; the next start
   grants it with the same code), and nothing reported done is missing.
"""
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

import requests

from tests.studio.control.conftest import TOKEN
from tests.studio.control.test_referrals_api import AUTH, INVITERS, RING, get, post, run_referrals

ROOT = Path(__file__).resolve().parents[2]
ITERATIONS = int(os.environ.get("BRIDGECAST_KILL_ITERATIONS", "8"))
CHILD_START_TIMEOUT_S = 30.0


def _serve(db: Path) -> None:
    """Child 1: a show with its control server, until killed."""
    from studio.control import ControlServer
    from studio.live.session import LiveShow

    show = LiveShow(None, db)
    show.start()
    server = ControlServer(show, None, token=TOKEN, rate_per_s=1e6, burst=1_000_000)
    server.start()
    print("ready", server.url, flush=True)
    while True:
        time.sleep(1)


def _busy(db: Path, seed: int) -> None:
    """Child 2: referral traffic straight on the engine, each operation reported once journaled."""
    from studio.live.errors import LiveError
    from studio.live.session import LiveShow

    rng = random.Random(seed)
    show = LiveShow(None, db)
    show.start()  # the ticker vests and grants while joins come in
    show.referrals.set_rules({"vest_after_s": 0, "cap_per_inviter": 10_000})
    codes = [show.referrals.add_inviter(f"inviter{n}")["data"]["code"] for n in range(5)]
    print("ready", flush=True)
    for n in range(1_000_000):
        op = rng.choice(("join", "join", "join", "ring", "order", "hold", "grant"))
        event: dict = {}
        try:
            if op == "join":
                event = show.referrals.join(rng.choice(codes), f"s{seed}-v{n}", "tiktok", {"device_id": f"d{seed}-{n}"})
            elif op == "ring":
                event = show.referrals.join(rng.choice(codes), f"s{seed}-r{n}", "tiktok", {"device_id": f"farm{seed}-{n // 20}"})
            elif op == "order":
                event = show.referrals.order(f"s{seed}-v{n - 1}")
            else:
                with show.journal.lock:
                    open_rewards = [r.id for r in show.referrals.ledger.rewards.values() if r.state != "granted"]
                if open_rewards:
                    event = getattr(show.referrals, op)(rng.choice(open_rewards))
        except LiveError:
            continue
        if "seq" in event:  # journaled (an order whose rewards had vested already changes nothing)
            print("done", op, n, flush=True)


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.crash.test_referrals_kill", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)


def _ready_line(process: subprocess.Popen) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + CHILD_START_TIMEOUT_S
    for line in process.stdout:
        if line.startswith("ready"):
            return line.strip()
        assert time.monotonic() < deadline, "the show process did not start"
    raise AssertionError("the show process ended before it was ready")


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def _reopened_ledger(db: Path) -> dict:
    from studio.live.session import LiveShow

    show = LiveShow(None, db)
    try:
        return show.referrals.to_json()
    finally:
        show.stop()


def test_a_referral_run_through_the_api_is_all_there_after_sigkill(tmp_path):
    db = tmp_path / "show.db"
    process = _start(["serve", str(db)])
    try:
        url = _ready_line(process).split()[1]
        run_referrals(url)
        post(url, "/orders", {"invitee": "ann-1"})
        before = get(url, "/ledger").json()
    finally:
        _kill(process)
    assert _reopened_ledger(db) == before
    with sqlite3.connect(db) as con:
        kinds = dict(con.execute("SELECT type, COUNT(*) FROM events WHERE type LIKE 'referral.%' GROUP BY type").fetchall())
    assert kinds["referral.joined"] == sum(INVITERS.values()) and kinds["referral.join_refused"] == 3
    # A new show process carries on: the rules now vest at once; the ring stays held.
    process = _start(["serve", str(db)])
    try:
        url = _ready_line(process).split()[1]
        post(url, "/rules", {"vest_after_s": 0})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rewards = get(url, "/ledger").json()["rewards"]
            if not any(r["state"] in ("vesting", "vested") for r in rewards):
                break
            time.sleep(0.1)
        held = {r["viewer"] for r in rewards if r["state"] == "held"}
        assert held == {*RING, "tt:dewi"}
        assert get(url, "/leaderboard").json()["leaderboard"][0]["name"] == "Ann"
        state = requests.get(url + "/api/v1/state", headers=AUTH, timeout=30).json()
        assert sum(c["code"].startswith("RF") for c in state["coupons"]) == sum(r["state"] == "granted" for r in rewards)
    finally:
        _kill(process)


def _problems(db: Path) -> list[str]:
    from studio.live.session import LiveShow

    with sqlite3.connect(db) as con:
        check = con.execute("PRAGMA integrity_check").fetchone()[0]
        joined = {json.loads(data)["join"]["id"] for (data,) in con.execute(
            "SELECT data FROM events WHERE type = 'referral.joined'")}
    problems = [] if check == "ok" else [f"integrity_check: {check}"]
    show = LiveShow(None, db)
    try:
        show.tick()  # what a kill left vested is granted now, with the code it would have had
        ledger = show.referrals.ledger
        if set(ledger.joins) != joined:
            problems.append(f"{len(ledger.joins)} joins in the ledger, {len(joined)} in the journal")
        for reward in ledger.rewards.values():
            if reward.state == "granted" and reward.coupon_kind and reward.coupon_code not in show.coupons.by_code:
                problems.append(f"reward {reward.id} granted without its coupon")
        owners = {"RF" + reward_id for reward_id in ledger.rewards}
        strays = [code for code, coupon in show.coupons.by_code.items() if code.startswith("RF") and code not in owners]
        if strays:
            problems.append(f"referral coupons without a reward: {strays}")
    finally:
        show.stop()
    return problems


def test_a_busy_referral_show_killed_at_random_points_restarts_consistent(tmp_path):
    db = tmp_path / "show.db"
    rng = random.Random(20261207)
    reported, inconsistent = 0, []
    for iteration in range(ITERATIONS):
        process = _start(["busy", str(db), str(iteration)])
        try:
            _ready_line(process)
            assert process.stdout is not None
            stop_at = time.monotonic() + rng.uniform(0.05, 0.6)
            for line in process.stdout:
                reported += line.startswith("done")
                if time.monotonic() >= stop_at:
                    break
        finally:
            _kill(process)
        problems = _problems(db)
        if problems:
            inconsistent.append((iteration, problems))
    with sqlite3.connect(db) as con:
        kinds = dict(con.execute("SELECT type, COUNT(*) FROM events WHERE type LIKE 'referral.%' GROUP BY type").fetchall())
    journaled = sum(kinds.get(kind, 0) for kind in ("referral.joined", "referral.held", "referral.granted", "referral.vested",
                                                    "referral.join_refused"))
    print(f"\n[referral kill] {ITERATIONS} kills, {reported} operations reported done, {journaled} decisions journaled")
    assert inconsistent == [], inconsistent
    assert kinds.get("referral.joined") and kinds.get("referral.granted") and kinds.get("referral.held")
    assert journaled >= reported > 0


if __name__ == "__main__":  # the child: python -m tests.crash.test_referrals_kill serve DB | busy DB SEED
    if sys.argv[1] == "serve":
        _serve(Path(sys.argv[2]))
    else:
        _busy(Path(sys.argv[2]), int(sys.argv[3]))
