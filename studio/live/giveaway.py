"""Commit-reveal giveaway draw anyone can verify, and the entry conditions it draws under.

Before the draw the audience sees ``commitment = SHA-256(seed)`` of a 32-byte seed from
:mod:`secrets`.  After the draw the seed is revealed; ``draw_winners(seed, entries, …)`` over
the sorted entry list (minus earlier winners) reproduces the winners exactly.  An entry list
may name a viewer more than once (``entries_per_viewer`` > 1: each qualifying comment is one
more ticket); a viewer still wins at most once per draw.

Conditions (followers only, minimum account age, minimum comments, an exclusion list, entries
per viewer) are fixed when the giveaway opens and journaled with it, and each refusal is
journaled with its reason, so the audit shows who could enter and why others could not.
"""
from __future__ import annotations

import hashlib
import secrets
from typing import Any

from studio.core.i18n import N_, _
from studio.live.errors import LiveError

# Refusal reasons (journaled as codes; shown in words through REFUSAL_TEXT).
EXCLUDED = "excluded"
NOT_FOLLOWER = "not_follower"
ACCOUNT_TOO_NEW = "account_too_new"
ACCOUNT_AGE_UNKNOWN = "account_age_unknown"
TOO_FEW_COMMENTS = "too_few_comments"
REFUSAL_TEXT = {
    EXCLUDED: N_("on the exclusion list"),
    NOT_FOLLOWER: N_("not a follower"),
    ACCOUNT_TOO_NEW: N_("account too new"),
    ACCOUNT_AGE_UNKNOWN: N_("account age unknown"),
    TOO_FEW_COMMENTS: N_("too few comments"),
}
MAX_EXCLUDED_USERS = 5000
DAY_S = 86_400


def refusal_text(reason: str) -> str:
    return _(REFUSAL_TEXT[reason]) if reason in REFUSAL_TEXT else reason


def clean_conditions(raw: dict[str, Any] | None) -> dict[str, Any]:
    """Validated conditions with every key present; :class:`LiveError` in words for a bad value."""
    raw = dict(raw or {})
    unknown = set(raw) - {"followers_only", "min_account_age_days", "min_comments", "excluded_users", "entries_per_viewer"}
    if unknown:
        raise LiveError(_("Unknown giveaway condition “{name}”.").format(name=sorted(unknown)[0]))

    def whole(name: str, low: int, high: int, default: int) -> int:
        value = raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise LiveError(_("{what} must be a whole number.").format(what=name))
        try:
            number = int(value)
        except ValueError:
            raise LiveError(_("{what} must be a whole number.").format(what=name)) from None
        if not low <= number <= high:
            raise LiveError(_("{what} must be between {low} and {high}.").format(what=name, low=low, high=high))
        return number

    excluded = raw.get("excluded_users", [])
    if isinstance(excluded, str):
        excluded = [part for part in excluded.replace("\n", ",").split(",")]
    if not isinstance(excluded, list):
        raise LiveError(_("The exclusion list must be a list of viewer names."))
    names = sorted({str(name).strip() for name in excluded if str(name).strip()})
    if len(names) > MAX_EXCLUDED_USERS:
        raise LiveError(_("The exclusion list may hold at most {count} names.").format(count=MAX_EXCLUDED_USERS))
    return {
        "followers_only": bool(raw.get("followers_only", False)),
        "min_account_age_days": whole("min_account_age_days", 0, 3650, 0),
        "min_comments": whole("min_comments", 0, 1000, 0),
        "excluded_users": names,
        "entries_per_viewer": whole("entries_per_viewer", 1, 100, 1),
    }


def refusal(conditions: dict[str, Any], comment: dict[str, Any], comments_by_user: int, now_s: float) -> str | None:
    """Why this comment's author may not enter (a reason code), or None when they may.

    Uses only what the journal holds (the comment as received and the count of the author's
    comments in this show), so an auditor can recompute every decision.
    """
    user = comment["user"]
    if user in conditions.get("excluded_users", ()):
        return EXCLUDED
    if conditions.get("followers_only") and comment.get("is_follower") is not True:
        return NOT_FOLLOWER
    min_days = conditions.get("min_account_age_days", 0)
    if min_days:
        created = comment.get("account_created_at")
        if not isinstance(created, (int, float)):
            return ACCOUNT_AGE_UNKNOWN
        if now_s - created < min_days * DAY_S:
            return ACCOUNT_TOO_NEW
    if comments_by_user < conditions.get("min_comments", 0):
        return TOO_FEW_COMMENTS
    return None


def new_seed() -> bytes:
    return secrets.token_bytes(32)


def commitment(seed: bytes) -> str:
    return hashlib.sha256(seed).hexdigest()


def draw_winners(seed: bytes, entries: list[str], count: int, round_number: int = 1,
                 excluded: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Pick ``count`` distinct winners.  Deterministic in (seed, sorted entries, round, excluded).

    Pick i takes index ``SHA-256(seed ‖ "round:i") mod len(pool)`` from the sorted pool of
    tickets and removes every ticket of the winner; a 256-bit number makes the modulo bias
    negligible.  With one ticket per viewer this is a plain draw without replacement.
    """
    pool = sorted(entry for entry in entries if entry not in excluded)
    winners: list[str] = []
    pick = 0
    while pool and len(winners) < count:
        digest = hashlib.sha256(seed + f"{round_number}:{pick}".encode()).digest()
        winner = pool[int.from_bytes(digest, "big") % len(pool)]
        winners.append(winner)
        pool = [entry for entry in pool if entry != winner]
        pick += 1
    return winners


def verify(seed_hex: str, commitment_hex: str, entries: list[str], winners: list[str], round_number: int = 1,
           excluded: set[str] | frozenset[str] = frozenset()) -> bool:
    """True when the revealed seed matches the commitment and reproduces the winners."""
    seed = bytes.fromhex(seed_hex)
    return commitment(seed) == commitment_hex and draw_winners(seed, entries, len(winners), round_number, excluded) == winners
