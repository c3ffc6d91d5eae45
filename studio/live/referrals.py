"""``Referrals``: the show's referral programme — invite codes, joins, anti-farming, vesting, rewards.

An inviter gets a short code and a link with UTM parameters.  A join names the code, the
invitee and whatever fingerprints the platform reports (device id, account id, IP hash).  The
unit refuses self-invites (same viewer, or a fingerprint shared with the inviter), repeat joins
and joins past the inviter's cap; it holds every reward of a ring (≥ N accounts linked by shared
fingerprints); other rewards vest after a delay (or the invitee's order) and are then granted:
their coupons are created through the show's coupons unit, so claims work as for any coupon.
Every decision is journaled with its reason (a code and words).  State keys: ``referrals`` (this
show's ledger), ``referral_board`` (leaderboard on the program?), and — carried into the next
show — ``referral_rules`` and ``referral_history`` (vested invites per viewer over all shows, VIPs).
"""
from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from studio.core import limits
from studio.core.i18n import _
from studio.live import inputs
from studio.live.errors import LiveError, NotFoundError
from studio.live.journal import ShowJournal
from studio.live.layout import OverlayLayout
from studio.live.promotions import Coupons
from studio.live.referral_ledger import (ALREADY_JOINED, CAP_REACHED, DELAY_PASSED, HOST_HOLD, HOST_RELEASE, ORDER_PLACED,
                                         RING, SAME_FINGERPRINT, SELF_INVITE, Inviter, Join, Ledger, Reward, RewardState,
                                         Role, ledger_csv, reason_text, ring_members)
from studio.live.referral_rules import (CouponSpec, ReferralRules, fingerprints, invite_link, new_code)

LEADERBOARD_SIZE = 5
COUPON_PREFIX = "RF"
MAX_PLATFORM_CHARS = 32


class Referrals:
    """The referral programme of one show (see the module docstring)."""

    def __init__(self, journal: ShowJournal, layout: OverlayLayout, coupons: Coupons, saved: dict[str, Any]) -> None:
        self._journal = journal
        self._layout = layout
        self._coupons = coupons
        self.rules = ReferralRules.from_json(saved.get("referral_rules"))
        self.ledger = Ledger.from_state(saved.get("referrals"))
        history = saved.get("referral_history") or {}
        self.lifetime: dict[str, int] = {str(k): int(v) for k, v in history.get("invites", {}).items()}
        self.vips: set[str] = set(history.get("vip", []))
        self.is_board_shown = bool(saved.get("referral_board"))

    # -- rules and inviters ----------------------------------------------------------------------
    def set_rules(self, raw: Any) -> dict[str, Any]:
        """Change the rules given in ``raw`` (see :class:`ReferralRules`); the others stay."""
        with self._journal.lock:
            self.rules = ReferralRules.parse(raw, self.rules)
            return self._journal.commit("referral.rules_set", self.rules.to_json(),
                                        {"referral_rules": self.rules.to_json()})

    def add_inviter(self, viewer: Any, name: Any = "", fingerprints_: Any = None) -> dict[str, Any]:
        """Give ``viewer`` an invite code and link (a viewer who has one gets it back, unchanged)."""
        viewer = inputs.text(viewer, _("The inviter"), limits.MAX_VIEWER_NAME_CHARS, required=True)
        name = inputs.text(name, _("The inviter's name"), limits.MAX_VIEWER_NAME_CHARS)
        prints = fingerprints(fingerprints_)
        with self._journal.lock:
            existing = self.ledger.inviter_by_viewer(viewer)
            if existing is not None:
                return {"type": "referral.inviter_exists", "data": existing.public()}
            code = new_code(set(self.ledger.inviters))
            now = self._journal.clock()
            inviter = Inviter(code=code, viewer=viewer, name=name, fingerprints=prints,
                              link=invite_link(self.rules.base_url, code, self.campaign), created_at=now)
            self.ledger.inviters[code] = inviter
            # Events reach the assistants' tablets: they name the fingerprint kinds, the state keeps the values.
            return self._journal.commit("referral.inviter_added", {**inviter.public(), "fingerprints": sorted(prints)},
                                        self._state())

    @property
    def campaign(self) -> str:
        """The links' ``utm_campaign``: the rules' name, else "live-" and the show's date."""
        return self.rules.campaign or "live-" + time.strftime("%Y%m%d", time.localtime(self._journal.clock()))

    def inviter(self, code: Any) -> Inviter:
        key = str(code or "").strip().upper()
        try:
            return self.ledger.inviters[key]
        except KeyError:
            raise NotFoundError(_("No invite code “{code}”.").format(code=inputs.quoted(code))) from None

    # -- joins -----------------------------------------------------------------------------------
    def join(self, code: Any, invitee: Any, platform: Any = "", fingerprints_: Any = None) -> dict[str, Any]:
        """Register that ``invitee`` joined through ``code``.  A refusal (self-invite, repeat, cap)
        is a decision, journaled as ``referral.join_refused`` with its reason; an accepted join
        journals its rewards (vesting, or held as part of a ring) in the same event."""
        invitee = inputs.text(invitee, _("The invitee"), limits.MAX_VIEWER_NAME_CHARS, required=True)
        platform = inputs.text(platform, _("The platform"), MAX_PLATFORM_CHARS)
        prints = fingerprints(fingerprints_)
        with self._journal.lock:
            inviter = self.inviter(code)
            reason = self._refusal(inviter, invitee, prints)
            if reason is not None:
                self.ledger.refused += 1
                shared = sorted(kind for kind, value in prints.items() if inviter.fingerprints.get(kind) == value)
                return self._journal.commit("referral.join_refused", {
                    "code": inviter.code, "invitee": invitee, "platform": platform, "fingerprints": sorted(prints),
                    "shared_with_inviter": shared, "reason": reason, "reason_text": reason_text(reason)}, self._state())
            now = self._journal.clock()
            inviter.joins += 1
            join = Join(id=uuid.uuid4().hex[:12], code=inviter.code, invitee=invitee, platform=platform,
                        fingerprints=prints, t=now, number=inviter.joins)
            self.ledger.joins[join.id] = join
            rewards = self._rewards_for(inviter, join, now)
            held = self._hold_rings()
            self.redraw()
            return self._journal.commit("referral.joined", {
                "join": {**join.to_state(), "fingerprints": sorted(prints)}, "rewards": [r.public() for r in rewards],
                "held": [self._decision(r) for r in held]}, self._state())

    def _refusal(self, inviter: Inviter, invitee: str, prints: dict[str, str]) -> str | None:
        if invitee == inviter.viewer:
            return SELF_INVITE
        if any(inviter.fingerprints.get(kind) == value for kind, value in prints.items()):
            return SAME_FINGERPRINT
        if any(join.invitee == invitee for join in self.ledger.joins.values()):
            return ALREADY_JOINED
        if inviter.joins >= self.rules.cap_per_inviter:
            return CAP_REACHED
        return None

    def _rewards_for(self, inviter: Inviter, join: Join, now: float) -> list[Reward]:
        rules = self.rules
        tier = rules.tier(join.number)
        points = rules.points_per_invite * (tier.multiplier if tier else 1)
        made = [self._reward(join, Role.INVITER, inviter.viewer, points, rules.inviter_coupon, now),
                self._reward(join, Role.INVITEE, join.invitee, 0, rules.invitee_coupon, now)]
        if tier is not None and tier.coupon is not None:
            made.append(self._reward(join, Role.TIER, inviter.viewer, 0, tier.coupon, now))
        return made

    def _reward(self, join: Join, role: Role, viewer: str, points: int, coupon: CouponSpec | None, now: float) -> Reward:
        reward = Reward(id=new_code(set(self.ledger.rewards), 8), join_id=join.id, role=role, viewer=viewer,
                        code=join.code, points=points, coupon_kind=coupon.kind if coupon else None,
                        coupon_value=coupon.value if coupon else None, state=RewardState.VESTING, reason="",
                        vests_at=now + self.rules.vest_after_s, created_at=now)
        self.ledger.rewards[reward.id] = reward
        return reward

    def _hold_rings(self) -> list[Reward]:
        """Hold every reward not yet granted (nor released by the host) whose viewer, or whose
        join's invitee, is in a ring; returns the rewards held now."""
        accounts: dict[str, dict[str, str]] = {}
        for inviter in self.ledger.inviters.values():
            accounts.setdefault(inviter.viewer, {}).update(inviter.fingerprints)
        for join in self.ledger.joins.values():
            merged = accounts.setdefault(join.invitee, {})
            for kind, value in join.fingerprints.items():
                merged.setdefault(kind, value)
        rings = ring_members(accounts, self.rules.ring_links, self.rules.ring_min_accounts)
        held = []
        for reward in self.ledger.rewards.values():
            if reward.state in (RewardState.GRANTED, RewardState.HELD) or reward.is_released:
                continue
            join = self.ledger.joins.get(reward.join_id)
            group = rings.get(reward.viewer) or (rings.get(join.invitee) if join and reward.role != Role.INVITEE else None)
            if group:
                reward.state, reward.reason, reward.detail = RewardState.HELD, RING, ", ".join(group)
                held.append(reward)
        return held

    def order(self, invitee: Any) -> dict[str, Any]:
        """The invitee placed an order: their join's rewards vest now (held ones stay held)."""
        invitee = inputs.text(invitee, _("The invitee"), limits.MAX_VIEWER_NAME_CHARS, required=True)
        with self._journal.lock:
            join = next((j for j in self.ledger.joins.values() if j.invitee == invitee), None)
            if join is None:
                raise NotFoundError(_("{viewer} did not join through an invite.").format(viewer=invitee))
            due = [r for r in self.ledger.rewards.values()
                   if r.join_id == join.id and r.state == RewardState.VESTING]
            return self._vest(due, ORDER_PLACED) or {"type": "referral.nothing_to_vest", "data": {"invitee": invitee}}

    # -- vesting and the host's decisions ----------------------------------------------------------
    def tick(self) -> None:
        """Vest the rewards whose delay passed; grant vested ones when the rules grant by themselves
        (also those a crash left vested but not granted)."""
        now = self._journal.clock()
        due = [r for r in self.ledger.rewards.values() if r.state == RewardState.VESTING and r.vests_at <= now]
        if due:
            self._vest(due, DELAY_PASSED)
        elif self.rules.is_auto_grant:
            waiting = [r for r in self.ledger.rewards.values() if r.state == RewardState.VESTED]
            for reward in waiting:
                self._grant(reward, DELAY_PASSED)

    def _vest(self, due: list[Reward], reason: str) -> dict[str, Any] | None:
        if not due:
            return None
        for reward in due:
            reward.state, reward.reason = RewardState.VESTED, reason
        perks = self._count_lifetime([r for r in due if r.role == Role.INVITER])
        event = self._journal.commit("referral.vested", {"rewards": [self._decision(r) for r in due],
                                                         "vip": [self._decision(r) for r in perks]},
                                     self._state(history=True))
        if self.rules.is_auto_grant:
            for reward in [*due, *perks]:
                self._grant(reward, reason)
        self.redraw()
        return event

    def _count_lifetime(self, vested: list[Reward]) -> list[Reward]:
        """Count vested invites per viewer over all shows; a viewer passing the VIP mark becomes a
        VIP and gets the VIP perk (a reward of its own, vested at once)."""
        perks = []
        for reward in vested:
            count = self.lifetime.get(reward.viewer, 0) + 1
            self.lifetime[reward.viewer] = count
            if count >= self.rules.vip_after_invites and reward.viewer not in self.vips:
                self.vips.add(reward.viewer)
                join = self.ledger.joins[reward.join_id]
                perk = self._reward(join, Role.VIP, reward.viewer, 0, self.rules.vip_coupon, self._journal.clock())
                perk.state, perk.reason = RewardState.VESTED, reward.reason
                perks.append(perk)
        return perks

    def grant(self, reward_id: Any) -> dict[str, Any]:
        """The host grants (or releases a held) reward now: its coupon is issued."""
        with self._journal.lock:
            reward = self.reward(reward_id)
            if reward.state == RewardState.GRANTED:
                raise LiveError(_("Reward {id} was already granted.").format(id=reward.id))
            if reward.role == Role.INVITER and reward.state != RewardState.VESTED:
                self._count_lifetime([reward])  # a released invite counts towards VIP like a vested one
            reward.is_released = True
            event = self._grant(reward, HOST_RELEASE)
            self.redraw()
            return event

    def hold(self, reward_id: Any) -> dict[str, Any]:
        """The host holds a reward that is not granted yet: nothing is issued until released."""
        with self._journal.lock:
            reward = self.reward(reward_id)
            if reward.state == RewardState.GRANTED:
                raise LiveError(_("Reward {id} was already granted; it cannot be held.").format(id=reward.id))
            reward.state, reward.reason, reward.is_released = RewardState.HELD, HOST_HOLD, False
            self.redraw()
            return self._journal.commit("referral.held", {"rewards": [self._decision(reward)]}, self._state())

    def reward(self, reward_id: Any) -> Reward:
        key = str(reward_id or "").strip().upper()
        try:
            return self.ledger.rewards[key]
        except KeyError:
            raise NotFoundError(_("No reward “{id}”.").format(id=inputs.quoted(reward_id))) from None

    def _grant(self, reward: Reward, reason: str) -> dict[str, Any]:
        """Issue the reward's coupon (its code comes from the reward's id: after a crash between the
        two commits the coupon is found, not made twice) and journal the grant."""
        if reward.coupon_kind is not None:
            code = COUPON_PREFIX + reward.id
            if code not in self._coupons.by_code:
                self._coupons.create(code, reward.coupon_kind, reward.coupon_value, quantity=1, per_viewer_cap=1,
                                     is_referral=True)
            reward.coupon_code = code
        reward.state, reward.reason = RewardState.GRANTED, reason
        return self._journal.commit("referral.granted", {"rewards": [self._decision(reward)]}, self._state(history=True))

    @staticmethod
    def _decision(reward: Reward) -> dict[str, Any]:
        return {"id": reward.id, "role": reward.role.value, "viewer": reward.viewer, "state": reward.state.value,
                "reason": reward.reason, "reason_text": reason_text(reward.reason), "detail": reward.detail,
                "points": reward.points, "coupon_code": reward.coupon_code}

    # -- views -------------------------------------------------------------------------------------
    def leaderboard(self, size: int = LEADERBOARD_SIZE) -> list[dict[str, Any]]:
        """The top ``size`` inviters by the points that count (vested or granted)."""
        rows = self.ledger.standings()[:max(1, int(size))]
        for rank, row in enumerate(rows, 1):
            row["rank"], row["is_vip"] = rank, row["viewer"] in self.vips
        return rows

    def brief(self) -> dict[str, Any]:
        """What the show's snapshot carries: the top five, how many rewards are held, the card."""
        held = sum(r.state == RewardState.HELD for r in self.ledger.rewards.values())
        return {"leaderboard": self.leaderboard(), "held": held, "is_board_shown": self.is_board_shown}

    def to_json(self) -> dict[str, Any]:
        """The ledger as the API and the panel show it (no fingerprints)."""
        with self._journal.lock:
            return {"rules": self.rules.to_json(), "campaign": self.campaign,
                    "inviters": [i.public() for i in self.ledger.inviters.values()],
                    "rewards": [r.public() for r in self.ledger.rewards.values()],
                    "joins": len(self.ledger.joins), "refused": self.ledger.refused,
                    "vips": sorted(self.vips), "is_board_shown": self.is_board_shown}

    def csv_text(self) -> str:
        with self._journal.lock:
            return ledger_csv(self.ledger)

    def export_csv(self, path: str | Path) -> Path:
        """Write the ledger as CSV (UTF-8 with a BOM, so spreadsheet apps read the names right)."""
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(self.csv_text(), encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise LiveError(_("Cannot write the referral ledger to {path}: {reason}").format(
                path=target, reason=exc.strerror or exc)) from None
        return target

    # -- the program card ------------------------------------------------------------------------
    def show_board(self, is_shown: Any = True) -> dict[str, Any]:
        """Put the leaderboard card on the program (or take it off)."""
        if not isinstance(is_shown, bool):
            raise LiveError(_("“{field}” must be true or false.").format(field="is_shown"))
        with self._journal.lock:
            self.is_board_shown = is_shown
            self.redraw()
            return self._journal.commit("referral.board_shown" if is_shown else "referral.board_hidden", {},
                                        {"referral_board": is_shown})

    def redraw(self) -> None:
        if not self._layout.is_drawing:
            return
        self._layout.draw_leaderboard(self.leaderboard() if self.is_board_shown else None)

    def _state(self, history: bool = False) -> dict[str, Any]:
        state: dict[str, Any] = {"referrals": self.ledger.to_state()}
        if history:
            state["referral_history"] = {"invites": dict(self.lifetime), "vip": sorted(self.vips)}
        return state
