"""The referral ledger's typed records (inviters, joins, rewards), ring detection and the CSV export.

Pure data and functions: :class:`studio.live.referrals.Referrals` changes them under the show's
lock and journals every change.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Iterable

from studio.core.i18n import N_, _


class RewardState(StrEnum):
    VESTING = "vesting"  # waiting for the delay (or the invitee's order) before it counts
    VESTED = "vested"  # counts; a coupon is issued when it is granted
    GRANTED = "granted"  # the coupon exists in the coupons unit (claims work as any coupon's)
    HELD = "held"  # suspected farming, or the host held it: nothing is issued until released


class Role(StrEnum):
    INVITER = "inviter"
    INVITEE = "invitee"
    TIER = "tier"  # an inviter's tier coupon
    VIP = "vip"  # an inviter's VIP perk


# Why a join was refused or a reward held (journaled as a code and in words).
SELF_INVITE = "self_invite"
SAME_FINGERPRINT = "same_fingerprint"
ALREADY_JOINED = "already_joined"
CAP_REACHED = "cap_reached"
RING = "ring"
HOST_HOLD = "host_hold"
HOST_RELEASE = "host_release"
DELAY_PASSED = "delay_passed"
ORDER_PLACED = "order_placed"
REASON_TEXT = {
    SELF_INVITE: N_("the invitee is the inviter"),
    SAME_FINGERPRINT: N_("the invitee shares a device, account or network with the inviter"),
    ALREADY_JOINED: N_("this viewer already joined through an invite"),
    CAP_REACHED: N_("the inviter reached the cap for this show"),
    RING: N_("accounts linked by shared devices, accounts or networks"),
    HOST_HOLD: N_("held by the host"),
    HOST_RELEASE: N_("released by the host"),
    DELAY_PASSED: N_("the invitee stayed past the vesting delay"),
    ORDER_PLACED: N_("the invitee placed an order"),
}
COUNTED_STATES = (RewardState.VESTED, RewardState.GRANTED)


def reason_text(code: str) -> str:
    return _(REASON_TEXT[code]) if code in REASON_TEXT else code


@dataclass
class Inviter:
    code: str
    viewer: str
    name: str
    fingerprints: dict[str, str]
    link: str
    created_at: float
    joins: int = 0  # accepted joins this show (the tier counter)

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> "Inviter":
        return cls(code=data["code"], viewer=data["viewer"], name=data.get("name", ""),
                   fingerprints=dict(data.get("fingerprints", {})), link=data.get("link", ""),
                   created_at=data["created_at"], joins=int(data.get("joins", 0)))

    def to_state(self) -> dict[str, Any]:
        return {"code": self.code, "viewer": self.viewer, "name": self.name, "fingerprints": dict(self.fingerprints),
                "link": self.link, "created_at": self.created_at, "joins": self.joins}

    def public(self) -> dict[str, Any]:
        """Without the fingerprints (they identify devices; the journal keeps them)."""
        data = self.to_state()
        del data["fingerprints"]
        return data


@dataclass
class Join:
    id: str
    code: str
    invitee: str
    platform: str
    fingerprints: dict[str, str]
    t: float
    number: int  # the inviter's n-th accepted join

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> "Join":
        return cls(id=data["id"], code=data["code"], invitee=data["invitee"], platform=data.get("platform", ""),
                   fingerprints=dict(data.get("fingerprints", {})), t=data["t"], number=int(data["number"]))

    def to_state(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "invitee": self.invitee, "platform": self.platform,
                "fingerprints": dict(self.fingerprints), "t": self.t, "number": self.number}


@dataclass
class Reward:
    """One reward owed: ``points`` (inviters) and/or a coupon (``coupon_kind``/``coupon_value``;
    ``coupon_code`` once granted).  ``reason`` is the code of the last decision on it."""

    id: str
    join_id: str
    role: Role
    viewer: str
    code: str  # the inviter's code
    points: int
    coupon_kind: str | None
    coupon_value: str | None
    state: RewardState
    reason: str
    vests_at: float
    created_at: float
    coupon_code: str | None = None
    is_released: bool = False  # the host released it: ring detection does not hold it again
    detail: str = ""  # the ring's members, for the host

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> "Reward":
        return cls(id=data["id"], join_id=data["join_id"], role=Role(data["role"]), viewer=data["viewer"],
                   code=data["code"], points=int(data["points"]), coupon_kind=data.get("coupon_kind"),
                   coupon_value=data.get("coupon_value"), state=RewardState(data["state"]), reason=data.get("reason", ""),
                   vests_at=data["vests_at"], created_at=data["created_at"], coupon_code=data.get("coupon_code"),
                   is_released=bool(data.get("is_released")), detail=data.get("detail", ""))

    def to_state(self) -> dict[str, Any]:
        return {"id": self.id, "join_id": self.join_id, "role": self.role.value, "viewer": self.viewer, "code": self.code,
                "points": self.points, "coupon_kind": self.coupon_kind, "coupon_value": self.coupon_value,
                "state": self.state.value, "reason": self.reason, "vests_at": self.vests_at,
                "created_at": self.created_at, "coupon_code": self.coupon_code, "is_released": self.is_released,
                "detail": self.detail}

    def public(self) -> dict[str, Any]:
        data = self.to_state()
        data["reason_text"] = reason_text(self.reason) if self.reason else ""
        return data


@dataclass
class Ledger:
    """Everything of this show's programme, as saved under the store key ``referrals``."""

    inviters: dict[str, Inviter] = field(default_factory=dict)  # code → inviter
    joins: dict[str, Join] = field(default_factory=dict)
    rewards: dict[str, Reward] = field(default_factory=dict)
    refused: int = 0

    @classmethod
    def from_state(cls, data: dict[str, Any] | None) -> "Ledger":
        data = data or {}
        return cls(inviters={c: Inviter.from_state(i) for c, i in data.get("inviters", {}).items()},
                   joins={j["id"]: Join.from_state(j) for j in data.get("joins", [])},
                   rewards={r["id"]: Reward.from_state(r) for r in data.get("rewards", [])},
                   refused=int(data.get("refused", 0)))

    def to_state(self) -> dict[str, Any]:
        return {"inviters": {c: i.to_state() for c, i in self.inviters.items()},
                "joins": [j.to_state() for j in self.joins.values()],
                "rewards": [r.to_state() for r in self.rewards.values()], "refused": self.refused}

    def inviter_by_viewer(self, viewer: str) -> Inviter | None:
        return next((i for i in self.inviters.values() if i.viewer == viewer), None)

    def standings(self) -> list[dict[str, Any]]:
        """Every inviter with the points and invites that count (vested or granted), best first."""
        rows = {code: {"code": code, "name": inviter.name or inviter.viewer, "viewer": inviter.viewer, "points": 0,
                       "invites": 0, "held": 0, "since": inviter.created_at}
                for code, inviter in self.inviters.items()}
        for reward in self.rewards.values():
            row = rows.get(reward.code)
            if row is None or reward.role not in (Role.INVITER, Role.TIER):
                continue
            if reward.state in COUNTED_STATES:
                row["points"] += reward.points
                row["invites"] += reward.role == Role.INVITER
            elif reward.state == RewardState.HELD:
                row["held"] += 1
        ranked = sorted(rows.values(), key=lambda row: (-row["points"], -row["invites"], row["since"]))
        for row in ranked:
            del row["since"]
        return ranked


def ring_members(accounts: dict[str, dict[str, str]], links: Iterable[str], min_accounts: int) -> dict[str, list[str]]:
    """Accounts (name → fingerprints) linked through shared fingerprints of the ``links`` kinds
    into groups of at least ``min_accounts``: account → its group (sorted).  Union-find over the
    (kind, value) pairs, so a chain a–b (same device), b–c (same network) is one group."""
    parent = {name: name for name in accounts}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    first_owner: dict[tuple[str, str], str] = {}
    kinds = tuple(links)
    for name, prints in accounts.items():
        for kind in kinds:
            value = prints.get(kind)
            if not value:
                continue
            owner = first_owner.setdefault((kind, value), name)
            if owner != name:
                parent[root(name)] = root(owner)
    groups: dict[str, list[str]] = {}
    for name in accounts:
        groups.setdefault(root(name), []).append(name)
    return {name: sorted(group) for group in groups.values() if len(group) >= min_accounts for name in group}


CSV_COLUMNS = ("reward_id", "role", "viewer", "inviter_code", "inviter", "invitee", "platform", "points",
               "coupon_kind", "coupon_value", "coupon_code", "state", "reason", "created_at_utc", "vests_at_utc")


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is quoted with a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="seconds")


def ledger_csv(ledger: Ledger) -> str:
    """The rewards owed, one row each, for the team after the show (UTF-8 text; write with a BOM for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for reward in ledger.rewards.values():
        join = ledger.joins.get(reward.join_id)
        inviter = ledger.inviters.get(reward.code)
        writer.writerow([_cell(value) for value in (
            reward.id, reward.role.value, reward.viewer, reward.code, inviter.viewer if inviter else "",
            join.invitee if join else "", join.platform if join else "", reward.points, reward.coupon_kind or "",
            reward.coupon_value or "", reward.coupon_code or "", reward.state.value,
            reason_text(reward.reason) if reward.reason else "", _utc(reward.created_at), _utc(reward.vests_at))])
    return out.getvalue()


def review_summary(state: dict[str, Any], events: Iterable[tuple[str, dict[str, Any]]] = ()) -> dict[str, Any]:
    """The programme's figures for the post-show review, from a show database's saved ``state``
    and its journal ``events`` as (type, data) — what :func:`studio.review.read_journal` returns:
    joins, refusals by reason, rewards by state, points and coupons granted, the top five."""
    ledger = Ledger.from_state(state.get("referrals"))
    refused: dict[str, int] = {}
    for event_type, data in events:
        if event_type == "referral.join_refused":
            refused[str(data.get("reason"))] = refused.get(str(data.get("reason")), 0) + 1
    states: dict[str, int] = {}
    for reward in ledger.rewards.values():
        states[reward.state.value] = states.get(reward.state.value, 0) + 1
    counted = [r for r in ledger.rewards.values() if r.state in COUNTED_STATES]
    return {"inviters": len(ledger.inviters), "joins": len(ledger.joins), "refused": refused, "rewards": states,
            "points": sum(r.points for r in counted),
            "coupons_granted": sum(1 for r in ledger.rewards.values() if r.coupon_code),
            "top": ledger.standings()[:5]}
