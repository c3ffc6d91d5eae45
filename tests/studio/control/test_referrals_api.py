"""A referral run through the real control server: 30 invitees across 5 inviters with tiers hit,
a farming ring detected and held, refusals journaled with their reasons, the host's grant and
hold, the coupons issued (and claimable), the leaderboard on the program, the ledger CSV, an
invite poster per inviter, and the same ledger after the show is opened again."""
from __future__ import annotations

import csv
import io

import pytest
import requests

from studio.control import ControlServer
from studio.live import LiveShow
from studio.live.layout import OVERLAY_LEADERBOARD
from studio.live.referral_posters import write_invite_posters
from tests.studio.control.conftest import TOKEN
from tests.studio.live.conftest import FakeClock
from tests.studio.live.test_referrals_posters import START, qr_text

AUTH = {"Authorization": f"Bearer {TOKEN}"}
INVITERS = {"ann": 10, "bao": 6, "chen": 5, "dewi": 5, "eko": 4}  # accepted invites each: 30 in all
RING = ("dewi-3", "dewi-4", "dewi-5")  # three "viewers" on one device: a farm
RULES = {"vest_after_s": 300, "base_url": "https://shop.example/live", "campaign": "spring-live",
         "tiers": [{"at": 5, "multiplier": 2}, {"at": 10, "coupon": {"kind": "amount", "value": "15"}}]}


def post(url: str, path: str, body: dict | None = None) -> dict:
    response = requests.post(url + "/api/v1/referrals" + path, json=body or {}, headers=AUTH, timeout=30)
    assert response.status_code == 200, (path, response.status_code, response.text)
    return response.json()["event"]


def get(url: str, path: str) -> requests.Response:
    response = requests.get(url + "/api/v1/referrals" + path, headers=AUTH, timeout=30)
    assert response.status_code == 200, (path, response.text)
    return response


def run_referrals(url: str) -> dict[str, str]:
    """The show's referral traffic over HTTP: rules, 5 inviters, 30 joins (3 of them a ring) and
    three refusals; returns inviter → code."""
    post(url, "/rules", RULES)
    codes = {}
    for name in INVITERS:
        event = post(url, "/inviters", {"viewer": f"tt:{name}", "name": name.title(),
                                        "fingerprints": {"device_id": f"dev-{name}", "ip_hash": f"net-{name}"}})
        codes[name] = event["data"]["code"]
    for name, count in INVITERS.items():
        for n in range(1, count + 1):
            invitee = f"{name}-{n}"
            device = "farm-1" if invitee in RING else f"dev-{invitee}"
            event = post(url, "/joins", {"code": codes[name], "invitee": invitee, "platform": "tiktok",
                                         "fingerprints": {"device_id": device, "ip_hash": f"net-{invitee}"}})
            assert event["type"] == "referral.joined"
    refusals = [({"code": codes["ann"], "invitee": "tt:ann"}, "self_invite"),
                ({"code": codes["eko"], "invitee": "eko-alt", "fingerprints": {"device_id": "dev-eko"}}, "same_fingerprint"),
                ({"code": codes["bao"], "invitee": "ann-1"}, "already_joined")]
    for body, reason in refusals:
        event = post(url, "/joins", {**body, "platform": "tiktok"})
        assert event["type"] == "referral.join_refused" and event["data"]["reason"] == reason
        assert event["data"]["reason_text"]
    return codes


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def show(studio, tmp_path, clock):
    # No ticker thread: the test moves the clock and ticks, so vesting happens when it says.
    live = LiveShow(studio, tmp_path / "show.db", clock=clock)
    control = ControlServer(live, studio, token=TOKEN)
    control.start()
    yield live, control
    control.stop()
    live.stop()


def test_a_referral_run_through_the_control_api(show, clock, tmp_path):
    live, control = show
    url = control.url
    codes = run_referrals(url)
    ledger = get(url, "/ledger").json()
    assert len(ledger["inviters"]) == 5 and ledger["joins"] == 30 and ledger["refused"] == 3
    assert all(i["link"].endswith(f"ref={i['code']}&utm_source=bridgecast&utm_medium=referral"
                                  f"&utm_campaign=spring-live&utm_content={i['code']}") for i in ledger["inviters"])
    held = [r for r in ledger["rewards"] if r["state"] == "held"]
    # The ring: each of its 3 joins holds the invitee's coupon and the inviter's points, with the reason.
    assert sorted((r["role"], r["viewer"]) for r in held) == sorted(
        [("invitee", v) for v in RING] + [("inviter", "tt:dewi")] * 3)
    assert {r["reason"] for r in held} == {"ring"} and all("dewi-3, dewi-4, dewi-5" in r["detail"] for r in held)
    # Before the delay nothing counts; an order vests at once; the host holds one reward.
    assert get(url, "/leaderboard").json()["leaderboard"][0]["points"] == 0
    assert post(url, "/orders", {"invitee": "ann-1"})["type"] == "referral.vested"
    eko_guest = next(r for r in ledger["rewards"] if r["viewer"] == "eko-1")
    assert post(url, f"/rewards/{eko_guest['id']}/hold")["data"]["rewards"][0]["reason"] == "host_hold"
    clock.advance(301)
    live.tick()
    board = get(url, "/leaderboard?limit=5").json()["leaderboard"]
    assert [(row["name"], row["points"], row["invites"]) for row in board] == [
        ("Ann", 5 * 9 + 10, 10), ("Bao", 5 * 5 + 10, 6), ("Chen", 4 * 5 + 10, 5), ("Eko", 20, 4), ("Dewi", 10, 2)]
    ledger = get(url, "/ledger").json()
    states = {}
    for reward in ledger["rewards"]:
        states[reward["state"]] = states.get(reward["state"], 0) + 1
    assert states == {"granted": 30 + 30 - 6 - 1 + 1, "held": 7}  # 60 two-sided + ann's 10th-invite coupon
    tier = next(r for r in ledger["rewards"] if r["role"] == "tier")
    assert tier["viewer"] == "tt:ann" and tier["coupon_kind"] == "amount" and tier["coupon_value"] == "15"
    # The host releases one held reward: its coupon is issued like the others.
    ring_guest = next(r for r in ledger["rewards"] if r["viewer"] == "dewi-3")
    granted = post(url, f"/rewards/{ring_guest['id']}/grant")["data"]["rewards"][0]
    assert granted["reason"] == "host_release" and granted["coupon_code"]
    response = requests.post(url + f"/api/v1/referrals/rewards/{ring_guest['id']}/hold", headers=AUTH, timeout=30)
    assert response.status_code == 400 and "already granted" in response.json()["error"]
    assert requests.post(url + "/api/v1/referrals/rewards/NOPE/grant", headers=AUTH, timeout=30).status_code == 404
    # Every coupon issued is a real coupon of the show: the invitee claims theirs.
    guest = next(r for r in get(url, "/ledger").json()["rewards"] if r["viewer"] == "bao-2")
    claim = requests.post(url + f"/api/v1/coupons/{guest['coupon_code']}/claim", json={"viewer": "bao-2"},
                          headers=AUTH, timeout=30)
    assert claim.status_code == 200
    state = requests.get(url + "/api/v1/state", headers=AUTH, timeout=30).json()
    assert sum(c["code"].startswith("RF") for c in state["coupons"]) == 30 + 30 - 6 - 1 + 1 + 1
    assert [row["name"] for row in state["referrals"]["leaderboard"]] == ["Ann", "Bao", "Chen", "Eko", "Dewi"]
    assert state["referrals"]["held"] == 6 and not state["referrals"]["is_board_shown"]
    # The leaderboard on the program.
    post(url, "/leaderboard/show", {"is_shown": True})
    assert any(o.overlay_id == OVERLAY_LEADERBOARD for o in live.studio.compositor.overlays)
    # The ledger after the show, as CSV.
    csv_response = get(url, "/ledger.csv")
    assert csv_response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_response.text)))
    assert len(rows) == 61 and {row["state"] for row in rows} == {"granted", "held"}
    assert {row["reason"] for row in rows if row["state"] == "held"} >= {"held by the host"}
    written = live.referrals.export_csv(tmp_path / "after" / "referrals.csv")
    assert written.read_bytes().decode("utf-8-sig") == csv_response.text
    # An invite poster per inviter, its QR code the inviter's link.
    posters = write_invite_posters(live.referrals, tmp_path / "posters", "id_ID", start=START, time_zone="Asia/Jakarta")
    links = {i["code"]: i["link"] for i in ledger["inviters"]}
    assert sorted(p.code for p in posters) == sorted(codes.values()) and all(p.path for p in posters)
    assert all(qr_text(p.path) == links[p.code] for p in posters)
    # Every decision is in the journal with its reason.
    kinds = {}
    for event in live.store.events():
        kinds[event["type"]] = kinds.get(event["type"], 0) + 1
    assert kinds["referral.joined"] == 30 and kinds["referral.join_refused"] == 3
    assert kinds["referral.vested"] == 2 and kinds["referral.held"] == 1
    ring_event = [e for e in live.store.events(event_type="referral.joined") if e["data"]["held"]]
    assert len(ring_event) == 1 and ring_event[0]["data"]["join"]["invitee"] == "dewi-5"
    assert codes and len(set(codes.values())) == 5
    # The post-show review carries the programme: figures, the top inviters, a CSV beside the others.
    from studio.review import report, review_show

    review = review_show(live.store.path, stats_paths=[], compare_last=0)
    assert review.referrals["joins"] == 30 and sum(review.referrals["refused"].values()) == 3
    assert [row["name"] for row in review.referrals["top"]] == ["Ann", "Bao", "Chen", "Eko", "Dewi"]
    assert review.to_json()["referrals"]["rewards"]["held"] == 6
    page = report.to_html(review)
    assert "Referral programme" in page and "joins: 30" in page and "Ann" in page
    report.write_csv(review, tmp_path / "review")
    rows = list(csv.DictReader((tmp_path / "review" / "referrals.csv").open(encoding="utf-8")))
    assert [row["name"] for row in rows] == ["Ann", "Bao", "Chen", "Eko", "Dewi"] and rows[0]["points"] == str(5 * 9 + 10)


def test_a_reopened_show_has_the_same_ledger(studio, tmp_path, clock):
    live = LiveShow(studio, tmp_path / "show.db", clock=clock)
    control = ControlServer(live, studio, token=TOKEN)
    control.start()
    try:
        run_referrals(control.url)
        clock.advance(301)
        live.tick()
        before = get(control.url, "/ledger").json()
    finally:
        control.stop()
        live.stop()
    again = LiveShow(None, tmp_path / "show.db", clock=clock)
    try:
        assert again.referrals.to_json() == before
    finally:
        again.stop()
