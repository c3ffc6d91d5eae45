"""The referral programme's rules: tiers as data, two-sided coupons, caps, vesting, VIP; and the
invite codes and links built from them.

Rules are saved with the show (and carried into the next one, like the catalog): a team sets
them once.  Every field is checked when set; a bad value is refused in words and the rules in
force stay as they were.
"""
from __future__ import annotations

import secrets
import urllib.parse
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from studio.core.i18n import _
from studio.live import inputs
from studio.live.errors import LiveError

# Invite codes avoid letters and digits that read alike on a phone screen (0/O, 1/I/L, 2/Z, 5/S, 8/B).
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
FINGERPRINT_KINDS = ("device_id", "account_id", "ip_hash")
MAX_TIERS = 20
MAX_DELAY_S = 24 * 3600
MAX_BASE_URL_CHARS = 500
COUPON_KINDS = ("percent", "amount", "free_shipping")
RULE_FIELDS = {"points_per_invite", "tiers", "inviter_coupon", "invitee_coupon", "cap_per_inviter", "vest_after_s",
               "vip_after_invites", "vip_coupon", "ring_min_accounts", "ring_links", "base_url", "campaign", "is_auto_grant"}


@dataclass(frozen=True)
class CouponSpec:
    """A coupon a reward issues (through the show's coupons unit): percent, amount or free shipping."""

    kind: str
    value: str

    @classmethod
    def parse(cls, raw: Any, what: str) -> "CouponSpec | None":
        if raw is None:
            return None
        if not isinstance(raw, dict) or set(raw) - {"kind", "value"}:
            raise LiveError(_("{what} must be an object with “kind” and “value”.").format(what=what))
        kind = raw.get("kind", "percent")
        if kind not in COUPON_KINDS:
            raise LiveError(_("Unknown coupon kind “{kind}”.").format(kind=inputs.quoted(kind)))
        value = "0" if kind == "free_shipping" else inputs.amount(raw.get("value", 0), what)
        if kind == "percent" and not 0 < Decimal(value) <= 100:
            raise LiveError(_("A percent coupon takes 1 to 100."))
        if kind == "amount" and Decimal(value) <= 0:
            raise LiveError(_("An amount coupon must be worth more than zero."))
        return cls(kind, value)

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value}


@dataclass(frozen=True)
class Tier:
    """What the inviter's ``at``-th accepted invite of the show earns on top: its points times
    ``multiplier`` and, when set, a ``coupon``."""

    at: int
    multiplier: int = 1
    coupon: CouponSpec | None = None

    @classmethod
    def parse(cls, raw: Any) -> "Tier":
        if not isinstance(raw, dict) or set(raw) - {"at", "multiplier", "coupon"}:
            raise LiveError(_("A tier is an object with “at”, “multiplier” and “coupon”."))
        return cls(inputs.count(raw.get("at"), _("A tier's invite number"), 1, 1000),
                   inputs.count(raw.get("multiplier", 1), _("A tier's multiplier"), 1, 100),
                   CouponSpec.parse(raw.get("coupon"), _("A tier's coupon")))

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "multiplier": self.multiplier, "coupon": self.coupon.to_json() if self.coupon else None}


@dataclass(frozen=True)
class ReferralRules:
    """Defaults for a live show: 5 points an invite, the 5th doubles, the 10th adds 30 % off;
    10 % off for both sides; at most 50 invites per inviter a show; rewards vest after 5 min;
    VIP after 20 vested invites over all shows; 3 accounts sharing a fingerprint are a ring."""

    points_per_invite: int = 5
    tiers: tuple[Tier, ...] = (Tier(5, 2), Tier(10, 1, CouponSpec("percent", "30")))
    inviter_coupon: CouponSpec | None = CouponSpec("percent", "10")
    invitee_coupon: CouponSpec | None = CouponSpec("percent", "10")
    cap_per_inviter: int = 50
    vest_after_s: int = 300
    vip_after_invites: int = 20
    vip_coupon: CouponSpec | None = CouponSpec("percent", "20")
    ring_min_accounts: int = 3
    ring_links: tuple[str, ...] = FINGERPRINT_KINDS
    base_url: str = ""
    campaign: str = ""  # utm_campaign of the links ("" : "live-" and the show's date)
    is_auto_grant: bool = True

    @classmethod
    def parse(cls, raw: Any, current: "ReferralRules | None" = None) -> "ReferralRules":
        """``raw`` (a request's JSON) over ``current``: only the fields given change."""
        if not isinstance(raw, dict):
            raise LiveError(_("The referral rules must be a JSON object."))
        unknown = set(raw) - RULE_FIELDS
        if unknown:
            raise LiveError(_("Unknown referral rule “{name}”.").format(name=sorted(unknown)[0]))
        rules = current or cls()
        changes: dict[str, Any] = {}
        if "points_per_invite" in raw:
            changes["points_per_invite"] = inputs.count(raw["points_per_invite"], _("The points per invite"), 0, 10_000)
        if "tiers" in raw:
            tiers = raw["tiers"]
            if not isinstance(tiers, list) or len(tiers) > MAX_TIERS:
                raise LiveError(_("The tiers must be a list of at most {count}.").format(count=MAX_TIERS))
            parsed = sorted((Tier.parse(tier) for tier in tiers), key=lambda tier: tier.at)
            if len({tier.at for tier in parsed}) != len(parsed):
                raise LiveError(_("Two tiers name the same invite number."))
            changes["tiers"] = tuple(parsed)
        for name, what in (("inviter_coupon", _("The inviter's coupon")), ("invitee_coupon", _("The invitee's coupon")),
                           ("vip_coupon", _("The VIP coupon"))):
            if name in raw:
                changes[name] = CouponSpec.parse(raw[name], what)
        if "cap_per_inviter" in raw:
            changes["cap_per_inviter"] = inputs.count(raw["cap_per_inviter"], _("The cap per inviter"), 1, 10_000)
        if "vest_after_s" in raw:
            changes["vest_after_s"] = inputs.count(raw["vest_after_s"], _("The vesting delay"), 0, MAX_DELAY_S)
        if "vip_after_invites" in raw:
            changes["vip_after_invites"] = inputs.count(raw["vip_after_invites"], _("The invites for VIP"), 1, 100_000)
        if "ring_min_accounts" in raw:
            changes["ring_min_accounts"] = inputs.count(raw["ring_min_accounts"], _("The accounts that make a ring"), 2, 100)
        if "ring_links" in raw:
            links = raw["ring_links"]
            if not isinstance(links, list) or not set(links) <= set(FINGERPRINT_KINDS):
                raise LiveError(_("Ring links are a list of: {names}.").format(names=", ".join(FINGERPRINT_KINDS)))
            changes["ring_links"] = tuple(kind for kind in FINGERPRINT_KINDS if kind in links)
        if "base_url" in raw:
            changes["base_url"] = base_url(raw["base_url"])
        if "campaign" in raw:
            campaign = inputs.text(raw["campaign"], _("The campaign name"), 64)
            if any(not (ch.isalnum() or ch in "-_.") for ch in campaign):
                raise LiveError(_("A campaign name is letters, digits, “-”, “_” or “.”."))
            changes["campaign"] = campaign
        if "is_auto_grant" in raw:
            if not isinstance(raw["is_auto_grant"], bool):
                raise LiveError(_("“{field}” must be true or false.").format(field="is_auto_grant"))
            changes["is_auto_grant"] = raw["is_auto_grant"]
        return replace(rules, **changes)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "ReferralRules":
        """The saved form (written by :meth:`to_json`, so trusted); None: the defaults."""
        if not data:
            return cls()
        return cls.parse(data)

    def to_json(self) -> dict[str, Any]:
        return {"points_per_invite": self.points_per_invite, "tiers": [tier.to_json() for tier in self.tiers],
                "inviter_coupon": _spec_json(self.inviter_coupon), "invitee_coupon": _spec_json(self.invitee_coupon),
                "cap_per_inviter": self.cap_per_inviter, "vest_after_s": self.vest_after_s,
                "vip_after_invites": self.vip_after_invites, "vip_coupon": _spec_json(self.vip_coupon),
                "ring_min_accounts": self.ring_min_accounts, "ring_links": list(self.ring_links),
                "base_url": self.base_url, "campaign": self.campaign, "is_auto_grant": self.is_auto_grant}

    def tier(self, number: int) -> Tier | None:
        """The tier the inviter's ``number``-th accepted invite hits, if any."""
        return next((tier for tier in self.tiers if tier.at == number), None)


def _spec_json(spec: CouponSpec | None) -> dict[str, str] | None:
    return spec.to_json() if spec else None


def base_url(value: Any) -> str:
    """An http(s) address for invite links (empty: codes only); :class:`LiveError` in words otherwise."""
    text = inputs.text(value, _("The invite link address"), MAX_BASE_URL_CHARS)
    if not text:
        return ""
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(ch.isspace() for ch in text):
        raise LiveError(_("The invite link address must start with https:// (or http://)."))
    return text


def invite_link(base: str, code: str, show: str) -> str:
    """``base`` with the invite code and UTM parameters added (existing query kept); "" without a base."""
    if not base:
        return ""
    parts = urllib.parse.urlsplit(base)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = [(key, value) for key, value in query if not key.startswith("utm_") and key != "ref"]
    query += [("ref", code), ("utm_source", "bridgecast"), ("utm_medium", "referral"), ("utm_campaign", show),
              ("utm_content", code)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def new_code(taken: set[str] | frozenset[str], length: int = CODE_LENGTH) -> str:
    """A random code from :data:`CODE_ALPHABET` not in ``taken`` (25⁶ ≈ 244 million codes)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
        if code not in taken:
            return code


def fingerprints(raw: Any) -> dict[str, str]:
    """The fingerprints a platform reported (any of device id, account id, IP hash), checked."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or set(raw) - set(FINGERPRINT_KINDS):
        raise LiveError(_("Fingerprints are an object with any of: {names}.").format(names=", ".join(FINGERPRINT_KINDS)))
    cleaned = {kind: inputs.text(raw[kind], kind, 128) for kind in FINGERPRINT_KINDS if raw.get(kind) is not None}
    return {kind: value for kind, value in cleaned.items() if value}
