"""Commit-reveal giveaway draw anyone can verify, and the entry conditions it draws under.

Before the draw the audience sees ``commitment = SHA-256(seed)`` of a 32-byte seed from
:mod:`secrets`.  After the draw the seed is revealed; ``draw_winners(seed, entries, …)`` over
the sorted entry list (minus earlier winners) reproduces the winners exactly.  An entry list
may name a viewer more than once (``entries_per_viewer`` > 1: each qualifying comment is one
more ticket); a viewer still wins at most once per draw.

Conditions (followers only, minimum account age, minimum comments, an exclusion list, entries
per viewer) are fixed when the giveaway opens and journaled with it, and each refusal is
journaled with its reason, so the audit shows who could enter and why others could not.

:class:`Giveaway` is the show's unit that runs one giveaway at a time with this draw.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from studio.core import limits
from studio.core.i18n import N_, _
from studio.live import inputs
from studio.live.errors import LiveError
from studio.live.journal import ShowJournal
from studio.live.layout import OverlayLayout

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
MAX_EXCLUDED_USERS = limits.MAX_EXCLUDED_USERS
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
        return inputs.count(raw.get(name, default), name, low, high)

    excluded = raw.get("excluded_users", [])
    if isinstance(excluded, str):
        excluded = [part for part in excluded.replace("\n", ",").split(",")]
    if not isinstance(excluded, list):
        raise LiveError(_("The exclusion list must be a list of viewer names."))
    if len(excluded) > MAX_EXCLUDED_USERS:
        raise LiveError(_("The exclusion list may hold at most {count} names.").format(count=MAX_EXCLUDED_USERS))
    names = sorted({inputs.text(name, _("A viewer name"), limits.MAX_VIEWER_NAME_CHARS) for name in excluded} - {""})
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


# -- the show's giveaway unit ------------------------------------------------------------------------
@dataclass(frozen=True)
class EntryConditions:
    """Who may enter, fixed when the giveaway opens (see :func:`clean_conditions` for the JSON form)."""

    followers_only: bool = False
    min_account_age_days: int = 0
    min_comments: int = 0
    excluded_users: tuple[str, ...] = ()
    entries_per_viewer: int = 1

    @classmethod
    def parse(cls, raw: dict[str, Any] | None) -> "EntryConditions":
        """Validated conditions from a request; :class:`LiveError` in words for a bad value."""
        return cls.from_json(clean_conditions(raw))

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "EntryConditions":
        """From the journaled form; a giveaway journaled before conditions existed has none."""
        data = data or {}
        return cls(followers_only=bool(data.get("followers_only", False)),
                   min_account_age_days=int(data.get("min_account_age_days", 0)), min_comments=int(data.get("min_comments", 0)),
                   excluded_users=tuple(data.get("excluded_users", ())), entries_per_viewer=int(data.get("entries_per_viewer", 1)))

    def to_json(self) -> dict[str, Any]:
        return {"followers_only": self.followers_only, "min_account_age_days": self.min_account_age_days,
                "min_comments": self.min_comments, "excluded_users": list(self.excluded_users),
                "entries_per_viewer": self.entries_per_viewer}


class GiveawayPhase(StrEnum):
    OPEN = "open"  # taking entries
    CLOSED = "closed"  # closed without a draw
    DRAWN = "drawn"  # at least one round drawn; the seed is public


@dataclass
class DrawRecord:
    """The audit of one draw round: everything :func:`verify` needs, as journaled."""

    round: int
    entries: list[str]
    excluded: list[str]
    count: int
    winners: list[str]
    commitment: str
    seed: str
    t: float
    conditions: EntryConditions
    refused: dict[str, str]

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> "DrawRecord":
        return cls(round=data["round"], entries=list(data["entries"]), excluded=list(data["excluded"]), count=data["count"],
                   winners=list(data["winners"]), commitment=data["commitment"], seed=data["seed"], t=data["t"],
                   conditions=EntryConditions.from_json(data.get("conditions")), refused=dict(data.get("refused", {})))

    def to_state(self) -> dict[str, Any]:
        return {"round": self.round, "entries": list(self.entries), "excluded": list(self.excluded), "count": self.count,
                "winners": list(self.winners), "commitment": self.commitment, "seed": self.seed, "t": self.t,
                "conditions": self.conditions.to_json(), "refused": dict(self.refused)}


@dataclass
class GiveawayState:
    """One giveaway as journaled.  ``seed`` is secret until the first draw; ``excluded`` are earlier
    winners (carried over when the same keyword opens again); ``refused``: viewer → reason code."""

    id: str
    keyword: str
    prize: str
    winner_count: int
    commitment: str
    seed: str
    conditions: EntryConditions
    is_open: bool = True
    entries: list[str] = field(default_factory=list)
    winners: list[str] = field(default_factory=list)
    draws: list[DrawRecord] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    excluded: list[str] = field(default_factory=list)

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> "GiveawayState":
        return cls(id=data["id"], keyword=data["keyword"], prize=data.get("prize", ""), winner_count=data["winner_count"],
                   commitment=data["commitment"], seed=data["seed"],
                   conditions=EntryConditions.from_json(data.get("conditions")), is_open=bool(data["is_open"]),
                   entries=list(data.get("entries", [])), winners=list(data.get("winners", [])),
                   draws=[DrawRecord.from_state(d) for d in data.get("draws", [])],
                   refused=dict(data.get("refused", {})), excluded=list(data.get("excluded", [])))

    def to_state(self) -> dict[str, Any]:
        return {"id": self.id, "keyword": self.keyword, "prize": self.prize, "winner_count": self.winner_count,
                "commitment": self.commitment, "seed": self.seed, "is_open": self.is_open, "entries": list(self.entries),
                "winners": list(self.winners), "draws": [d.to_state() for d in self.draws],
                "conditions": self.conditions.to_json(), "refused": dict(self.refused), "excluded": list(self.excluded)}

    @property
    def phase(self) -> GiveawayPhase:
        if self.is_open:
            return GiveawayPhase.OPEN
        return GiveawayPhase.DRAWN if self.draws else GiveawayPhase.CLOSED


@dataclass
class EntryOutcome:
    """What one comment did to the giveaway: entered (``user``) or refused (``reason``), not yet journaled."""

    giveaway_id: str
    user: str
    reason: str | None = None


class Giveaway:
    """The show's keyword giveaway: open (commitment and conditions published), entries from
    comments, draws (seed revealed), close.  State key in the store: ``giveaway``."""

    def __init__(self, journal: ShowJournal, layout: OverlayLayout, saved: dict[str, Any]) -> None:
        self._journal = journal
        self._layout = layout
        self.current: GiveawayState | None = GiveawayState.from_state(saved["giveaway"]) if saved.get("giveaway") else None

    def open(self, keyword: str, prize: str = "", winners: int = 1,
             conditions: dict[str, Any] | None = None) -> dict[str, Any]:
        """Open entries; the seed commitment and the entry conditions are published now, the seed
        only after the draw.  ``conditions``: ``followers_only``, ``min_account_age_days``,
        ``min_comments``, ``excluded_users``, ``entries_per_viewer`` (see :func:`clean_conditions`)."""
        keyword = inputs.text(keyword, _("The entry keyword"), limits.MAX_KEYWORD_CHARS)
        if not keyword:
            raise LiveError(_("A giveaway needs an entry keyword."))
        prize = inputs.text(prize, _("The prize"), limits.MAX_PRIZE_CHARS)
        winner_count = inputs.count(winners, _("The number of winners"), 1, 100)
        if conditions is not None and not isinstance(conditions, dict):
            raise LiveError(_("The giveaway conditions must be a JSON object."))
        rules = EntryConditions.parse(conditions)
        with self._journal.lock:
            seed = new_seed()
            previous = self.current
            self.current = GiveawayState(
                id=uuid.uuid4().hex[:12], keyword=keyword, prize=prize, winner_count=winner_count,
                commitment=commitment(seed), seed=seed.hex(), conditions=rules,
                excluded=list(previous.excluded) if previous is not None and previous.keyword == keyword else [])
            self.redraw()
            return self._journal.commit("giveaway.opened", self.to_json(), self.state())

    def draw(self, count: int | None = None) -> dict[str, Any]:
        """Draw winners; earlier winners are excluded; the audit record names seed, entries and round."""
        with self._journal.lock:
            g = self.current
            if g is None:
                raise LiveError(_("No giveaway is open."))
            count = g.winner_count if count is None else inputs.count(count, _("The number of winners"), 1, 100)
            round_number = len(g.draws) + 1
            entries = sorted(g.entries)
            excluded = sorted(set(g.excluded))
            winners = draw_winners(bytes.fromhex(g.seed), entries, count, round_number, set(excluded))
            if not winners:
                raise LiveError(_("No entries left to draw from."))
            g.is_open = False
            audit = DrawRecord(round=round_number, entries=entries, excluded=excluded, count=count, winners=winners,
                               commitment=g.commitment, seed=g.seed, t=self._journal.clock(),
                               conditions=g.conditions, refused=dict(sorted(g.refused.items())))
            g.draws.append(audit)
            g.winners.extend(winners)
            g.excluded = sorted(set(g.excluded) | set(winners))
            self.redraw()
            return self._journal.commit("giveaway.drawn", {"id": g.id, **audit.to_state()}, self.state())

    def close(self) -> dict[str, Any]:
        with self._journal.lock:
            if self.current is None:
                raise LiveError(_("No giveaway is open."))
            self.current.is_open = False
            self._layout.draw_giveaway(None)
            return self._journal.commit("giveaway.closed", {"id": self.current.id}, self.state())

    def consider(self, comment: dict[str, Any], comments_by_user: int) -> EntryOutcome | None:
        """Enter (or refuse) a visible comment's author when it names the keyword of the open
        giveaway.  Changes the state only; the caller journals the comment with :meth:`state`
        and then :meth:`announce`\\ s the outcome, so the journal reads comment → entry."""
        g = self.current
        if g is None or not g.is_open or comment["is_hidden"] or g.keyword.lower() not in comment["text"].lower():
            return None
        user = comment["user"]
        reason = refusal(g.conditions.to_json(), comment, comments_by_user, self._journal.clock())
        if reason is not None:
            if g.refused.get(user) != reason:  # journaled once per viewer and reason
                g.refused[user] = reason
                return EntryOutcome(g.id, user, reason)
            return None
        if g.entries.count(user) < g.conditions.entries_per_viewer:
            g.entries.append(user)
            g.refused.pop(user, None)
            return EntryOutcome(g.id, user)
        return None

    def announce(self, outcome: EntryOutcome) -> None:
        g = self.current
        assert g is not None
        if outcome.reason is None:
            self._journal.commit("giveaway.entered", {"id": outcome.giveaway_id, "user": outcome.user,
                                                      "entry_count": len(g.entries),
                                                      "user_entries": g.entries.count(outcome.user)})
            self.redraw()
        else:
            self._journal.commit("giveaway.entry_refused", {"id": outcome.giveaway_id, "user": outcome.user,
                                                            "reason": outcome.reason})

    def redraw(self) -> None:
        if self._layout.is_drawing:
            self._layout.draw_giveaway(self.to_json())

    def to_json(self) -> dict[str, Any] | None:
        """The giveaway as the snapshot and the events show it: the seed only after a draw, counts
        instead of the refusals."""
        g = self.current
        if g is None:
            return None
        public = g.to_state()
        del public["seed"], public["refused"]
        public["seed"] = g.seed if g.draws else None  # revealed only after a draw
        public["entry_count"] = len(g.entries)
        public["viewer_count"] = len(set(g.entries))
        public["refused_count"] = len(g.refused)
        return public

    def state(self) -> dict[str, Any]:
        """The store's ``giveaway`` key (also for a caller that journals a change made by :meth:`consider`)."""
        return {"giveaway": self.current.to_state() if self.current else None}

