"""The platforms' audience in the show: connectors' events into the show journal, answers back.

:class:`ShowAudience` runs a :class:`~studio.connectors.hub.ConnectorHub` for a live show
(:class:`~studio.live.session.LiveShow`).  What the hub hears lands in the show journal, so
the panel, the review and a SIGKILL restart all see it:

- a **comment** joins the show's one comment queue (``comment.received``, with its
  ``platform``; its id is ``platform:platform_id``, so a platform's retry is stored once) —
  questions, giveaway entries and quick replies work on it as on any comment;
- every other event (viewer counts, orders, likes, shares, follows, gifts, coupon claims) is
  journaled as ``platform.<type>`` with :meth:`PlatformEvent.to_dict` as its data (what
  :mod:`studio.review` reads).

After a restart the latest viewer count per platform comes back from the journal, and the
events already journaled are known to the hub, so a platform that sends them again is not
counted twice.  A reply journaled to a comment (from the panel, a quick reply, the control
API) is posted on the platform the comment came from, by a thread of its own; so is
moderation: hiding a platform's comment hides it there (Facebook) or deletes it (YouTube,
Twitch — their chats cannot hide), showing it again un-hides it where the platform can, and
blocking a viewer bans them on each platform they commented from (their platform user id as
heard this session; Facebook hides their comments), unblocking lifts it.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
from collections import OrderedDict
from typing import Any, Callable, Iterable

from studio.connectors import Action, Connector, ConnectorError, EventType, PlatformEvent, connector_from_spec
from studio.connectors.hub import ConnectorHub
from studio.core.i18n import _
from studio.live.errors import LiveError
from studio.live.platform_events import PLATFORM_PREFIX, journaled, orders_since

log = logging.getLogger(__name__)

MAX_REPLIES_WAITING = 200
MAX_REPLY_FAILURES_KEPT = 20
SEEN_ON_RESTART = 50_000  # platform events (newest) the hub is told about after a restart
AUTHORS_KEPT = 20_000  # viewers whose platform user id is known (to ban them when blocked)
_COUNTED_TYPES = (EventType.LIKE, EventType.SHARE, EventType.FOLLOW, EventType.GIFT)


def comment_id(platform: str, platform_id: str) -> str:
    """The comment queue's id of a platform's message: unique across platforms."""
    return f"{platform}:{platform_id}"


class ShowAudience:
    """Connectors for one live show; ``live`` is its :class:`~studio.live.session.LiveShow`."""

    def __init__(self, live: Any, *, hub_factory: Callable[..., ConnectorHub] = ConnectorHub) -> None:
        self.live = live
        self._viewers: dict[str, int] = {}
        self._totals: dict[str, int] = {}
        # (comment, reply text) or (comment, None, moderation) to do on the comment's platform
        self._outbox: queue.Queue[tuple[PlatformEvent, str | None, Action | None] | None] = queue.Queue(
            maxsize=MAX_REPLIES_WAITING)
        self._outbox_thread: threading.Thread | None = None
        self.replies_sent = 0
        self.moderations_sent = 0
        self.reply_failures: list[str] = []  # the latest replies or moderations that failed, in words
        self._authors: OrderedDict[str, dict[str, str]] = OrderedDict()  # viewer name -> {platform: user id}
        self._hidden_on_platform: set[str] = set()  # comment ids hidden (or deleted) on their platform
        seen = self._restore()
        self.hub = hub_factory(self._on_event, seen=seen)
        live.audience = self  # the show's one audience: its control API and snapshot read it

    # ------------------------------------------------------------------ lifecycle

    def connect(self, spec: str, **options: Any) -> Connector:
        """Add the connector for ``spec`` ('youtube:BROADCAST_ID' …); ConnectorError in words."""
        connector = connector_from_spec(spec, **options)
        self.add(connector)
        return connector

    def add(self, connector: Connector) -> None:
        self.hub.add(connector)

    def start(self) -> None:
        self.live.journal.event.connect(self._on_journal_event)
        self._outbox_thread = threading.Thread(target=self._send_replies, name="audience-replies", daemon=True)
        self._outbox_thread.start()
        self.hub.start()

    def stop(self) -> None:
        self.live.journal.event.disconnect(self._on_journal_event)
        self.hub.stop()
        if getattr(self.live, "audience", None) is self:
            self.live.audience = None
        thread, self._outbox_thread = self._outbox_thread, None
        if thread is not None:
            self._outbox.put(None)
            thread.join(5.0)

    # ------------------------------------------------------------------ readouts

    def viewers(self) -> dict[str, int]:
        """The latest viewer count per platform (as the platforms report it)."""
        return {**self._viewers, **self.hub.viewers()}

    def statuses(self) -> list[dict[str, Any]]:
        """Each connector's state and quota situation, in words."""
        return self.hub.statuses()

    def totals(self) -> dict[str, int]:
        """Likes, shares, follows, gifts and orders counted this show, by type."""
        return dict(self._totals)

    def orders(self, since: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        """Orders journaled after journal sequence ``since`` (oldest first), each with its ``seq``."""
        return orders_since(self.live.store, since, limit)

    # ------------------------------------------------------------------ answers

    def _on_journal_event(self, event: dict[str, Any]) -> None:
        """A reply or a moderation journaled by any path (panel, quick reply, control API) on a
        comment from a connected platform is done there — on the outbox thread, never the caller's."""
        kind = event.get("type")
        if kind == "comment.updated":
            self._on_comment_updated(event.get("data") or {})
            return
        if kind in ("user.blocked", "user.unblocked"):
            self._on_user_blocked(str((event.get("data") or {}).get("user") or ""), kind == "user.blocked")
            return
        if kind != "comment.replied":
            return
        data = event.get("data") or {}
        try:
            comment = self.live.comments.get(str(data.get("id")))
        except LiveError:
            return
        if not comment.platform or not data.get("text"):
            return
        platform_id = comment.id.partition(":")[2] or comment.id
        target = PlatformEvent(platform=comment.platform, type=EventType.COMMENT, platform_id=platform_id,
                               author=comment.user, text=comment.text, t=comment.t)
        try:
            self._outbox.put_nowait((target, str(data["text"]), None))
        except queue.Full:
            self._reply_failed(target, _("too many replies waiting to be sent"))

    def _on_comment_updated(self, data: dict[str, Any]) -> None:
        """Hidden or shown again in the panel: the same on the comment's platform (once per change)."""
        try:
            comment = self.live.comments.get(str(data.get("id")))
        except LiveError:
            return
        if not comment.platform or "is_hidden" not in data:
            return
        is_hidden = bool(data["is_hidden"])
        if is_hidden == (comment.id in self._hidden_on_platform):
            return  # another flag changed (question, answered): nothing to do on the platform
        if is_hidden:
            self._hidden_on_platform.add(comment.id)
        else:
            self._hidden_on_platform.discard(comment.id)
        self._queue_moderation(self._target(comment), Action.HIDE if is_hidden else Action.UNHIDE)

    def _on_user_blocked(self, user: str, is_blocked: bool) -> None:
        """Blocked (unblocked) in the panel: banned (unbanned) on each platform the viewer commented from."""
        for platform, author_id in (self._authors.get(user) or {}).items():
            target = PlatformEvent(platform=platform, type=EventType.COMMENT, platform_id=f"ban:{author_id}",
                                   author=user, author_id=author_id)
            self._queue_moderation(target, Action.BAN if is_blocked else Action.UNBAN)

    def _target(self, comment: Any) -> PlatformEvent:
        author_id = (self._authors.get(comment.user) or {}).get(comment.platform)
        return PlatformEvent(platform=comment.platform, type=EventType.COMMENT,
                             platform_id=comment.id.partition(":")[2] or comment.id, author=comment.user,
                             author_id=author_id, text=comment.text, t=comment.t)

    def _queue_moderation(self, target: PlatformEvent, action: Action) -> None:
        try:
            self._outbox.put_nowait((target, None, action))
        except queue.Full:
            self._reply_failed(target, _("too many replies waiting to be sent"))

    def _send_replies(self) -> None:
        while True:
            item = self._outbox.get()
            if item is None:
                return
            target, text, action = item
            name = self.hub.connector_for(target)
            if name is None:
                if action is None:
                    self._reply_failed(target, _("{platform} is not connected to this show").format(
                        platform=target.platform))
                continue  # moderation of a platform without a connector stays in the panel
            try:
                if action is None:
                    self.hub.reply(name, text or "", to=target)
                    self.replies_sent += 1
                else:
                    self._moderate(name, target, action)
            except (ConnectorError, LiveError) as exc:
                self._reply_failed(target, str(exc), action)
            except Exception as exc:  # one failed reply must not end the outbox
                log.exception("sending a reply or moderation to %s failed", target.platform)
                self._reply_failed(target, type(exc).__name__, action)

    def _moderate(self, name: str, target: PlatformEvent, wanted: Action) -> None:
        """Do ``wanted`` on the platform, or its nearest equivalent there; nothing where it has none."""
        actions = self.hub.actions_of(name)
        if wanted in (Action.BAN, Action.UNBAN) and Action.HIDE in actions:
            # Facebook's comment API bans no one: their comments are hidden (shown again on unblock).
            self._hide_all_of(name, target, is_hidden=wanted is Action.BAN)
            return
        action: Action | None = wanted if wanted in actions else None
        if wanted is Action.HIDE and action is None and Action.DELETE in actions:
            action = Action.DELETE  # YouTube and Twitch chats cannot hide a message: it is removed
        if action is None:
            return
        self.hub.moderate(name, action, target)
        self.moderations_sent += 1

    def _hide_all_of(self, name: str, target: PlatformEvent, is_hidden: bool) -> None:
        with self.live.journal.lock:
            ids = [key for key, comment in self.live.comments.by_id.items()
                   if comment.user == target.author and comment.platform == target.platform
                   and (key in self._hidden_on_platform) != is_hidden]
            if is_hidden:
                self._hidden_on_platform.update(ids)
            else:
                self._hidden_on_platform.difference_update(ids)
        for key in ids:
            self.hub.moderate(name, Action.HIDE if is_hidden else Action.UNHIDE,
                              PlatformEvent(platform=target.platform, type=EventType.COMMENT,
                                            platform_id=key.partition(":")[2], author=target.author))
            self.moderations_sent += 1

    def _reply_failed(self, target: PlatformEvent, reason: str, action: Action | None = None) -> None:
        if action is None:
            message = _("The reply to {user} on {platform} was not sent: {reason}").format(
                user=target.author or "?", platform=target.platform, reason=reason)
        elif action is Action.BAN:
            message = _("{user} was blocked here but not banned on {platform}: {reason}").format(
                user=target.author or "?", platform=target.platform, reason=reason)
        elif action is Action.UNBAN:
            message = _("{user} was unblocked here but is still banned on {platform}: {reason}").format(
                user=target.author or "?", platform=target.platform, reason=reason)
        else:
            message = _("{user}'s comment was changed here but not on {platform}: {reason}").format(
                user=target.author or "?", platform=target.platform, reason=reason)
        log.warning("%s", message)
        self.reply_failures.append(message)
        del self.reply_failures[:-MAX_REPLY_FAILURES_KEPT]

    # ------------------------------------------------------------------ the hub's sink (its own thread)

    def _on_event(self, event: PlatformEvent) -> None:
        if event.type is EventType.COMMENT and event.author_id:
            self._remember_author(event.author or "?", event.platform, event.author_id)
        if event.type is EventType.COMMENT:
            self.live.add_comment({"id": comment_id(event.platform, event.platform_id), "user": event.author or "?",
                                   "text": event.text or "", "t": event.t, "platform": event.platform})
            return
        data = event.to_dict()
        data.pop("seq", None)  # the hub's number; the journal numbers events itself
        with self.live.journal.lock:
            self.live.journal.commit(PLATFORM_PREFIX + event.type.value, data)
        if event.type is EventType.VIEWERS and event.count is not None:
            self._viewers[event.platform] = int(event.count)
        elif event.type in _COUNTED_TYPES or event.type is EventType.ORDER:
            self._totals[event.type.value] = self._totals.get(event.type.value, 0) + int(event.count or 1)

    def _remember_author(self, user: str, platform: str, author_id: str) -> None:
        ids = self._authors.pop(user, None) or {}
        ids[platform] = author_id
        self._authors[user] = ids  # newest last: the oldest is forgotten first
        while len(self._authors) > AUTHORS_KEPT:
            self._authors.popitem(last=False)

    # ------------------------------------------------------------------ restart

    def _restore(self) -> list[tuple[str, str]]:
        """Viewer counts and totals from the journal; the (platform, id) already journaled."""
        seen: list[tuple[str, str]] = []
        for _seq, data in journaled(self.live.store, None, 0, SEEN_ON_RESTART, newest=True):
            platform, kind = data.get("platform"), data.get("type")
            if not isinstance(platform, str) or not isinstance(kind, str):
                continue
            if data.get("id") is not None:
                seen.append((platform, str(data["id"])))
            if kind == EventType.VIEWERS.value and isinstance(data.get("count"), int):
                self._viewers[platform] = data["count"]
            elif kind in {t.value for t in _COUNTED_TYPES} | {EventType.ORDER.value}:
                self._totals[kind] = self._totals.get(kind, 0) + int(data.get("count") or 1)
        for key, comment in self.live.comments.by_id.items():
            platform, sep, platform_id = key.partition(":")
            if sep:
                seen.append((platform, platform_id))
            if comment.platform and comment.is_hidden:
                self._hidden_on_platform.add(key)  # done (or meant) before the restart: not again
        return seen


def audience_for(live: Any) -> ShowAudience:
    """The show's audience, made and started (with no connector yet) when it has none: what
    ``POST /api/v1/platform-events`` feeds for platforms without a connector of ours."""
    with _AUDIENCE_LOCK:
        audience = getattr(live, "audience", None)
        if audience is None:
            audience = ShowAudience(live)
            audience.start()
        return audience


_AUDIENCE_LOCK = threading.Lock()

__all__ = ["ShowAudience", "audience_for", "comment_id", "ConnectorError"]
