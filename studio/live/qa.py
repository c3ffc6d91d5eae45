"""The show's chat side: inbound comments and moderation (:class:`Comments`), the answer pinned
on screen, and the assistant's saved reply templates (:class:`QuickReplies`).

A comment naming the open giveaway's keyword is handed to :class:`~studio.live.giveaway.Giveaway`
while the show's lock is held, so the journal reads comment → entry for every viewer.
"""
from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from studio.core import limits
from studio.core.i18n import _
from studio.live import inputs, render, reply_template
from studio.live.comments import is_question, parse_generic
from studio.live.errors import LiveError, NotFoundError
from studio.live.giveaway import Giveaway
from studio.live.journal import ShowJournal
from studio.live.layout import OverlayLayout
from studio.live.products import ProductShelf
from studio.live.promotions import Coupons
from studio.live.store import LiveStore

MAX_COMMENTS_IN_MEMORY = 5000
MAX_ANSWER_CHARS = limits.MAX_ANSWER_CHARS
QUICK_REPLY_VARIABLES = reply_template.VARIABLES
MAX_QUICK_REPLIES = limits.MAX_QUICK_REPLIES
MAX_QUICK_REPLY_CHARS = limits.MAX_QUICK_REPLY_CHARS
MAX_QUICK_REPLY_TITLE_CHARS = limits.MAX_QUICK_REPLY_TITLE_CHARS
COMMENT_FLAGS = ("is_question", "is_hidden", "is_answered")


@dataclass
class Comment:
    """One viewer comment as journaled.  ``is_follower`` and ``account_created_at`` (Unix seconds)
    are kept only when the platform sent them (giveaway conditions read them)."""

    id: str
    user: str
    text: str
    t: float
    highlights: list[str] = field(default_factory=list)
    is_question: bool = False
    is_hidden: bool = False
    is_answered: bool = False
    is_follower: bool | None = None
    account_created_at: float | None = None
    platform: str | None = None  # where it was said ('youtube', 'twitch' …); None: the control API

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Comment":
        return cls(id=data["id"], user=data["user"], text=data["text"], t=data["t"],
                   highlights=list(data.get("highlights", [])), is_question=bool(data.get("is_question")),
                   is_hidden=bool(data.get("is_hidden")), is_answered=bool(data.get("is_answered")),
                   is_follower=data.get("is_follower"), account_created_at=data.get("account_created_at"),
                   platform=data.get("platform"))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "user": self.user, "text": self.text, "t": self.t}
        if self.platform is not None:
            data["platform"] = self.platform
        if self.is_follower is not None:
            data["is_follower"] = self.is_follower
        if self.account_created_at is not None:
            data["account_created_at"] = self.account_created_at
        data.update(highlights=list(self.highlights), is_question=self.is_question, is_hidden=self.is_hidden,
                    is_answered=self.is_answered)
        return data

    def flags(self) -> dict[str, bool]:
        return {"is_question": self.is_question, "is_hidden": self.is_hidden, "is_answered": self.is_answered}


@dataclass(frozen=True)
class PinnedAnswer:
    """The question (id, user, text) and the answer shown on screen."""

    comment_id: str
    user: str
    text: str
    answer: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "PinnedAnswer":
        comment = data["comment"]
        return cls(comment_id=comment["id"], user=comment["user"], text=comment["text"], answer=data["answer"])

    def to_json(self) -> dict[str, Any]:
        return {"comment": {"id": self.comment_id, "user": self.user, "text": self.text}, "answer": self.answer}


@dataclass(frozen=True)
class QuickReply:
    """A saved answer template (see ``QUICK_REPLY_VARIABLES``)."""

    id: str
    title: str
    text: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "QuickReply":
        return cls(id=data["id"], title=data["title"], text=data["text"])

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "text": self.text}


class QuickReplies:
    """The assistant's reply templates, filled per comment from the show as it is at send time.

    State key in the store: ``quick_replies``.
    """

    def __init__(self, journal: ShowJournal, layout: OverlayLayout, shelf: ProductShelf, coupons: Coupons,
                 saved: dict[str, Any]) -> None:
        self._journal = journal
        self._layout = layout
        self._shelf = shelf
        self._coupons = coupons
        self.replies: list[QuickReply] = [QuickReply.from_json(r) for r in saved.get("quick_replies", [])]

    def __len__(self) -> int:
        return len(self.replies)

    def save(self, text: str, title: str = "", reply_id: str | None = None) -> dict[str, Any]:
        """Add (or with ``reply_id`` replace) a reply template.  Variables: ``{name}`` (the viewer),
        ``{product}``, ``{price}``, ``{sku}`` (the pinned product), ``{coupon}`` (the coupon on screen)."""
        text = str(text or "").strip()
        if not text:
            raise LiveError(_("A quick reply needs a text."))
        self.check_template(text)
        with self._journal.lock:
            reply = QuickReply(reply_id or uuid.uuid4().hex[:8], (str(title).strip() or text)[:MAX_QUICK_REPLY_TITLE_CHARS], text)
            index = next((i for i, r in enumerate(self.replies) if r.id == reply.id), None)
            if index is None:
                if reply_id is not None:
                    raise NotFoundError(_("No quick reply “{id}”.").format(id=reply_id))
                if len(self.replies) >= MAX_QUICK_REPLIES:
                    raise LiveError(_("At most {count} quick replies; delete one first.").format(count=MAX_QUICK_REPLIES))
                self.replies.append(reply)
            else:
                self.replies[index] = reply
            return self._journal.commit("quick_reply.saved", reply.to_json(), self._state())

    def delete(self, reply_id: str) -> dict[str, Any]:
        with self._journal.lock:
            self.get(reply_id)
            self.replies = [r for r in self.replies if r.id != reply_id]
            return self._journal.commit("quick_reply.deleted", {"id": reply_id}, self._state())

    def get(self, reply_id: str) -> QuickReply:
        for reply in self.replies:
            if reply.id == reply_id:
                return reply
        raise NotFoundError(_("No quick reply “{id}”.").format(id=reply_id))

    @staticmethod
    def check_template(text: str) -> None:
        """:class:`LiveError` in words for a template that is too long or would not fill."""
        reply_template.check(text, MAX_QUICK_REPLY_CHARS)

    def fill(self, text: str, comment: Comment) -> str:
        """The template with its variables filled for ``comment`` and the show as it is now, at
        most ``MAX_ANSWER_CHARS`` long (plain substitution: see :mod:`studio.live.reply_template`)."""
        product = self._shelf.pinned
        locale = self._layout.locale
        values = {"name": comment.user, "product": product.title(locale) if product else "",
                  "sku": product.sku if product else "",
                  "price": render.format_price(product.price, product.currency, locale) if product else "",
                  "coupon": self._coupons.shown_code or ""}
        return reply_template.fill(text, values, MAX_ANSWER_CHARS)

    def to_json(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.replies]

    def _state(self) -> dict[str, Any]:
        return {"quick_replies": self.to_json()}


class Comments:
    """Inbound comments (the newest ``MAX_COMMENTS_IN_MEMORY`` in memory, every one in the journal),
    questions, hiding and blocking, replies and the answer pinned on screen.

    State keys in the store: ``blocked`` and ``pinned_answer``; each comment is its own row.
    """

    def __init__(self, journal: ShowJournal, layout: OverlayLayout, store: LiveStore, giveaway: Giveaway,
                 quick_replies: QuickReplies, keywords: tuple[str, ...], saved: dict[str, Any]) -> None:
        self._journal = journal
        self._layout = layout
        self._giveaway = giveaway
        self._quick_replies = quick_replies
        self.keywords = tuple(k.lower() for k in keywords)
        self.blocked: list[str] = saved.get("blocked", [])
        self.pinned_answer: PinnedAnswer | None = (PinnedAnswer.from_json(saved["pinned_answer"])
                                                   if saved.get("pinned_answer") else None)
        self.by_id: OrderedDict[str, Comment] = OrderedDict(
            (c["id"], Comment.from_json(c)) for c in store.load_comments(MAX_COMMENTS_IN_MEMORY))
        self.counts: dict[str, int] = store.comment_counts()  # per viewer, whole show
        for comment in self.by_id.values():  # blocks are journaled once, not per comment
            if comment.user in self.blocked:
                comment.is_hidden = True

    def add(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Take one inbound comment (generic JSON).  Blocked users are journaled but hidden."""
        parsed = parse_generic(payload)
        lowered = parsed["text"].lower()
        highlights = [k for k in self.keywords if k in lowered]
        comment = Comment(id=parsed["id"], user=parsed["user"], text=parsed["text"], t=parsed["t"], highlights=highlights,
                          is_question=is_question(parsed["text"]) or bool(highlights),
                          is_hidden=parsed["user"] in self.blocked, is_follower=parsed.get("is_follower"),
                          account_created_at=parsed.get("account_created_at"), platform=parsed.get("platform"))
        with self._journal.lock:
            if comment.id in self.by_id:
                return None  # a platform retry; already stored
            self.by_id[comment.id] = comment
            while len(self.by_id) > MAX_COMMENTS_IN_MEMORY:
                self.by_id.popitem(last=False)
            self.counts[comment.user] = self.counts.get(comment.user, 0) + 1
            data = comment.to_json()
            outcome = self._giveaway.consider(data, self.counts[comment.user])
            event = self._journal.commit("comment.received", data, self._giveaway.state() if outcome else None,
                                         comment=data)
            if outcome is not None:
                self._giveaway.announce(outcome)
            return event

    def get(self, comment_id: str) -> Comment:
        try:
            return self.by_id[comment_id]
        except KeyError:
            raise NotFoundError(_("No comment “{id}”.").format(id=comment_id)) from None

    def update(self, comment_id: str, **flags: bool) -> dict[str, Any]:
        """Set ``is_question`` / ``is_hidden`` / ``is_answered`` on a comment."""
        with self._journal.lock:
            comment = self.get(comment_id)
            for key, value in flags.items():
                if key in COMMENT_FLAGS:
                    setattr(comment, key, bool(value))
            return self._journal.commit("comment.updated", {"id": comment_id, **comment.flags()}, comment=comment.to_json())

    def block_user(self, user: str, is_blocked: bool = True) -> dict[str, Any]:
        user = inputs.text(user, _("The viewer"), limits.MAX_VIEWER_NAME_CHARS, required=True)
        with self._journal.lock:
            if is_blocked and user not in self.blocked:
                self.blocked.append(user)
            elif not is_blocked and user in self.blocked:
                self.blocked.remove(user)
            for comment in self.by_id.values():
                if comment.user == user:
                    comment.is_hidden = is_blocked
            return self._journal.commit("user.blocked" if is_blocked else "user.unblocked", {"user": user},
                                        {"blocked": list(self.blocked)})

    def pin_answer(self, comment_id: str, answer: str) -> dict[str, Any]:
        with self._journal.lock:
            comment = self.get(comment_id)
            comment.is_answered = True
            self.pinned_answer = PinnedAnswer(comment.id, comment.user, comment.text,
                                              inputs.printable(str(answer))[:MAX_ANSWER_CHARS])
            self.redraw()
            pinned = self.pinned_answer.to_json()
            return self._journal.commit("answer.pinned", pinned, {"pinned_answer": pinned}, comment=comment.to_json())

    def unpin_answer(self) -> dict[str, Any]:
        with self._journal.lock:
            self.pinned_answer = None
            self._layout.draw_answer(None)
            return self._journal.commit("answer.unpinned", {}, {"pinned_answer": None})

    def reply(self, comment_id: str, reply_id: str | None = None, text: str | None = None, pin: bool = False) -> dict[str, Any]:
        """Answer a comment by name with a quick reply (or a one-off ``text`` template): journaled as
        ``comment.replied`` (the platform posts it to the chat); ``pin`` also shows it on screen."""
        with self._journal.lock:
            comment = self.get(comment_id)
            template = self._quick_replies.get(reply_id).text if reply_id else str(text or "").strip()
            if not template:
                raise LiveError(_("Choose a quick reply or type an answer first."))
            self._quick_replies.check_template(template)
            answer = inputs.printable(self._quick_replies.fill(template, comment))
            comment.is_answered = True
            event = self._journal.commit("comment.replied", {"id": comment_id, "user": comment.user, "reply_id": reply_id,
                                                             "text": answer}, comment=comment.to_json())
            if pin:
                self.pin_answer(comment_id, answer)
            return event

    def recent(self, only_questions: bool = False, include_hidden: bool = False, limit: int = 200) -> list[dict[str, Any]]:
        """The newest ``limit`` comments (``GET /api/v1/comments``), oldest first."""
        with self._journal.lock:
            items = [c.to_json() for c in self.by_id.values()
                     if (include_hidden or not c.is_hidden) and (not only_questions or (c.is_question and not c.is_answered))]
        return items[-limit:]

    @property
    def question_count(self) -> int:
        """Open questions: asked, not answered, not hidden."""
        return sum(1 for c in self.by_id.values() if c.is_question and not c.is_answered and not c.is_hidden)

    def redraw(self) -> None:
        self._layout.draw_answer(self.pinned_answer.to_json() if self.pinned_answer else None)
