"""The referral programme: tiers, two-sided coupons, anti-farming, vesting, VIP, ledger and restart."""
from __future__ import annotations

import csv
import urllib.parse

import pytest

from studio.live import LiveShow
from studio.live.errors import LiveError, NotFoundError
from studio.live.referral_ledger import ring_members
from studio.live.referral_rules import CODE_ALPHABET, ReferralRules, invite_link


@pytest.fixture
def show(tmp_path, clock):
    live = LiveShow(None, tmp_path / "show.db", clock=clock)
    yield live
    live.stop()


def _rewards(show, viewer, role=None):
    return [r for r in show.referrals.ledger.rewards.values() if r.viewer == viewer and (role is None or r.role == role)]


def test_tiers_two_sided_coupons_and_vesting(show, clock):
    show.referrals.set_rules({"vest_after_s": 300, "base_url": "https://shop.example/live?x=1", "campaign": "spring"})
    code = show.referrals.add_inviter("tt:ann", "Ann")["data"]["code"]
    assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
    for n in range(10):
        event = show.referrals.join(code.lower(), f"tt:guest{n}", "tiktok", {"device_id": f"d{n}"})
        assert event["type"] == "referral.joined"
    inviter_points = [r.points for r in sorted(_rewards(show, "tt:ann", "inviter"), key=lambda r: r.created_at)]
    assert sum(inviter_points) == 5 * 9 + 10  # the 5th invite doubles
    assert len(_rewards(show, "tt:ann", "tier")) == 1  # the 10th adds the large coupon
    assert show.referrals.leaderboard()[0]["points"] == 0  # nothing counts before it vests
    clock.advance(301)
    show.tick()
    board = show.referrals.leaderboard()
    assert board[0]["points"] == 55 and board[0]["invites"] == 10
    granted = [r for r in show.referrals.ledger.rewards.values() if r.coupon_code]
    assert len(granted) == 21  # 10 inviter + 10 invitee + 1 tier coupon
    guest_coupon = _rewards(show, "tt:guest3", "invitee")[0].coupon_code
    assert show.coupons.get(guest_coupon).is_referral
    show.coupons.claim(guest_coupon, "tt:guest3")  # claims work as for any coupon
    assert len({r.coupon_code for r in granted}) == 21
    link = urllib.parse.urlsplit(show.referrals.ledger.inviters[code].link)
    query = dict(urllib.parse.parse_qsl(link.query))
    assert query == {"x": "1", "ref": code, "utm_source": "bridgecast", "utm_medium": "referral",
                     "utm_campaign": "spring", "utm_content": code}


def test_an_order_vests_at_once(show):
    code = show.referrals.add_inviter("ann")["data"]["code"]
    show.referrals.join(code, "bob")
    event = show.referrals.order("bob")
    assert event["type"] == "referral.vested" and event["data"]["rewards"][0]["reason"] == "order_placed"
    assert show.referrals.leaderboard()[0]["points"] == 5


@pytest.mark.parametrize("invitee,prints,reason", [
    ("ann", {}, "self_invite"),
    ("bob", {"device_id": "ann-phone"}, "same_fingerprint"),
    ("bob", {"ip_hash": "ann-net"}, "same_fingerprint"),
])
def test_self_invites_are_refused_and_journaled_with_the_reason(show, invitee, prints, reason):
    code = show.referrals.add_inviter("ann", fingerprints_={"device_id": "ann-phone", "ip_hash": "ann-net"})["data"]["code"]
    event = show.referrals.join(code, invitee, "tiktok", prints)
    assert event["type"] == "referral.join_refused" and event["data"]["reason"] == reason
    assert event["data"]["reason_text"]
    assert not show.referrals.ledger.rewards
    assert [e["data"]["reason"] for e in show.store.events(event_type="referral.join_refused")] == [reason]


def test_cap_and_repeat_joins(show):
    show.referrals.set_rules({"cap_per_inviter": 2})
    code = show.referrals.add_inviter("ann")["data"]["code"]
    other = show.referrals.add_inviter("cat")["data"]["code"]
    show.referrals.join(code, "b1")
    assert show.referrals.join(other, "b1")["data"]["reason"] == "already_joined"
    show.referrals.join(code, "b2")
    assert show.referrals.join(code, "b3")["data"]["reason"] == "cap_reached"


def test_a_ring_is_held_and_the_host_releases_one(show, clock):
    code = show.referrals.add_inviter("ann")["data"]["code"]
    show.referrals.join(code, "f1", "tiktok", {"device_id": "farm"})
    show.referrals.join(code, "f2", "tiktok", {"device_id": "farm", "ip_hash": "n1"})
    assert not any(r.state == "held" for r in show.referrals.ledger.rewards.values())  # two may be a family
    event = show.referrals.join(code, "f3", "tiktok", {"ip_hash": "n1"})  # linked through f2's network
    held = {r.viewer for r in show.referrals.ledger.rewards.values() if r.state == "held"}
    assert held == {"ann", "f1", "f2", "f3"}
    assert {h["reason"] for h in event["data"]["held"]} == {"ring"}
    assert "f1, f2, f3" in event["data"]["held"][0]["detail"]
    clock.advance(1000)
    show.tick()
    assert show.referrals.leaderboard()[0]["points"] == 0  # held rewards never vest on their own
    reward = _rewards(show, "f1")[0]
    show.referrals.grant(reward.id)
    assert reward.state == "granted" and reward.reason == "host_release" and reward.coupon_code
    with pytest.raises(LiveError):
        show.referrals.hold(reward.id)
    with pytest.raises(NotFoundError):
        show.referrals.grant("NOPE")


def test_ring_members_chain_across_kinds():
    accounts = {"a": {"device_id": "x"}, "b": {"device_id": "x", "ip_hash": "n"}, "c": {"ip_hash": "n"}, "d": {}}
    assert ring_members(accounts, ("device_id", "ip_hash"), 3) == {"a": ["a", "b", "c"], "b": ["a", "b", "c"],
                                                                   "c": ["a", "b", "c"]}
    assert ring_members(accounts, ("device_id",), 3) == {}


@pytest.mark.parametrize("raw", [{"tiers": [{"at": 0}]}, {"vest_after_s": -1}, {"base_url": "javascript:alert(1)"},
                                 {"inviter_coupon": {"kind": "percent", "value": 150}}, {"bogus": 1}, [],
                                 {"tiers": [{"at": 5}, {"at": 5}]}, {"ring_links": ["email"]}, {"campaign": "a b"}])
def test_bad_rules_are_refused_in_words_and_the_rules_stay(show, raw):
    before = show.referrals.rules
    with pytest.raises(LiveError) as refused:
        show.referrals.set_rules(raw)
    assert str(refused.value) and show.referrals.rules == before


def test_vip_across_shows_rules_carry_and_codes_restart(tmp_path, clock):
    show = LiveShow(None, tmp_path / "show.db", clock=clock)
    try:
        show.referrals.set_rules({"vip_after_invites": 3, "vest_after_s": 0})
        code = show.referrals.add_inviter("ann")["data"]["code"]
        show.referrals.join(code, "g1")
        show.referrals.join(code, "g2")
        show.tick()
        show.new_show()
        assert not show.referrals.ledger.inviters and show.referrals.rules.vip_after_invites == 3
        code = show.referrals.add_inviter("ann")["data"]["code"]
        show.referrals.join(code, "g3")
        show.tick()
        assert "ann" in show.referrals.vips
        perk = _rewards(show, "ann", "vip")[0]
        assert perk.state == "granted" and perk.coupon_code
        assert show.referrals.leaderboard()[0]["is_vip"]
    finally:
        show.stop()
    again = LiveShow(None, tmp_path / "show.db", clock=clock)
    try:
        assert "ann" in again.referrals.vips and again.referrals.lifetime["ann"] == 3
    finally:
        again.stop()


def test_ledger_csv_and_restart(tmp_path, clock):
    show = LiveShow(None, tmp_path / "show.db", clock=clock)
    show.referrals.set_rules({"vest_after_s": 0})
    code = show.referrals.add_inviter("=cmd|evil", "Ann")["data"]["code"]
    show.referrals.join(code, "bob", "shopee")
    show.tick()
    path = show.referrals.export_csv(tmp_path / "out" / "ledger.csv")
    before = show.referrals.to_json()
    show.stop()
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert {row["role"] for row in rows} == {"inviter", "invitee"}
    assert all(row["state"] == "granted" and row["coupon_code"].startswith("RF") for row in rows)
    assert rows[0]["inviter"] == "'=cmd|evil"  # never a formula in a spreadsheet
    again = LiveShow(None, tmp_path / "show.db", clock=clock)
    try:
        assert again.referrals.to_json() == before
    finally:
        again.stop()


def test_invite_link_without_base_is_empty():
    assert invite_link("", "ABC", "x") == ""
    assert ReferralRules.from_json(ReferralRules().to_json()) == ReferralRules()


def test_the_review_reads_the_programme_from_a_show_database(show, clock):
    from studio.live.referral_ledger import review_summary
    from studio.review import read_journal

    code = show.referrals.add_inviter("ann", "Ann")["data"]["code"]
    show.referrals.join(code, "ann")
    show.referrals.join(code, "bob")
    show.referrals.order("bob")
    events, state = read_journal(show.store.path)
    summary = review_summary(state, ((e.type, e.data) for e in events))
    assert summary["joins"] == 1 and summary["refused"] == {"self_invite": 1}
    assert summary["rewards"] == {"granted": 2} and summary["points"] == 5 and summary["coupons_granted"] == 2
    assert summary["top"][0]["name"] == "Ann"


def test_events_name_fingerprint_kinds_and_the_state_keeps_the_values(show):
    """Events go to the assistants' tablets: device ids and IP hashes stay in the show database."""
    code = show.referrals.add_inviter("ann", fingerprints_={"device_id": "ann-phone"})["data"]["code"]
    joined = show.referrals.join(code, "bob", "tiktok", {"device_id": "bob-phone", "ip_hash": "h1"})
    refused = show.referrals.join(code, "cat", "tiktok", {"device_id": "ann-phone"})
    assert joined["data"]["join"]["fingerprints"] == ["device_id", "ip_hash"]
    assert refused["data"]["shared_with_inviter"] == ["device_id"]
    events = list(show.store.events())
    assert not any("bob-phone" in str(e["data"]) or "ann-phone" in str(e["data"]) for e in events)
    assert show.store.load_state()["referrals"]["joins"][0]["fingerprints"]["device_id"] == "bob-phone"
