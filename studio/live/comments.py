"""Inbound comment adapters: generic JSON (a platform webhook/WebSocket) and a rehearsal simulator."""
from __future__ import annotations

import logging
import random
import re
import threading
import time
import unicodedata
import uuid
from typing import Any, Callable

from studio.core import limits
from studio.core.i18n import _
from studio.core.loop_thread import LoopThread
from studio.live import inputs
from studio.live.errors import LiveError
from studio.live.questions import has_question_cue

log = logging.getLogger(__name__)
CommentSink = Callable[[dict[str, Any]], Any]

# Words that make a comment worth the assistant's attention (buying intent).
DEFAULT_KEYWORDS = ("price", "how much", "size", "shipping", "discount", "coupon", "stock", "color",
                    "多少钱", "价格", "尺码", "包邮", "优惠", "库存")

# Question marks of the scripts viewers write in: ASCII, full-width (CJK), Arabic (also Persian and
# Urdu), Greek, Ethiopic, Vai, Limbu, the small and vertical presentation forms, the interrobang
# family and the question-mark emoji.  Armenian puts its mark on the stressed word, not at the end.
QUESTION_MARKS = frozenset("?？؟\u037e፧꘏᥅︖﹖‽⁇⁈⁉❓❔⸮")
# Spanish opens a question with "¿" (mid-line too: "Hola, ¿cuánto cuesta?") and viewers often
# drop the closing mark in a chat.
OPENING_QUESTION_MARKS = frozenset("¿")
# Left at the end of a chat line after the question mark: emoji (and their joiners and
# variation selectors), closing brackets and quotes, spaces, exclamation marks ("How much?!").
_TRAILING_CATEGORIES = frozenset({"So", "Sk", "Cf", "Zs", "Pe", "Pf", "Mn", "Me"})
_TRAILING_MARKS = frozenset("\"'!！¡")


_PLATFORM_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")


def parse_generic(payload: dict[str, Any]) -> dict[str, Any]:
    """Map one platform JSON comment to ``{"id","user","text","t"}`` (tolerant of common field names).

    A platform's text and name are cut to ``MAX_COMMENT_CHARS`` / ``MAX_VIEWER_NAME_CHARS`` (the
    chat already showed them; cutting keeps a spammer's megabyte out of the journal); an id
    longer than ``MAX_COMMENT_ID_CHARS`` is refused (a cut id could collide with another)."""
    if not isinstance(payload, dict):
        raise LiveError(_("A comment must be a JSON object."))
    text = payload.get("text") or payload.get("message") or payload.get("content") or payload.get("comment")
    user = payload.get("user") or payload.get("author") or payload.get("username") or payload.get("nickname")
    profile = user if isinstance(user, dict) else {}
    if isinstance(user, dict):
        user = user.get("name") or user.get("id")
    if not isinstance(text, str) or not inputs.printable(text).strip():
        raise LiveError(_("A comment needs a text."))
    if not user:
        raise LiveError(_("A comment needs a user."))
    if isinstance(user, (dict, list)):
        raise LiveError(_("A comment's user must be a name or an id."))
    comment_id = str(payload.get("id") or payload.get("comment_id") or uuid.uuid4().hex)
    if len(comment_id) > limits.MAX_COMMENT_ID_CHARS:
        raise LiveError(_("A comment id is at most {count} characters.").format(count=limits.MAX_COMMENT_ID_CHARS))
    t = payload.get("t") or payload.get("timestamp")
    is_time = isinstance(t, (int, float)) and not isinstance(t, bool) and -1e14 < t < 1e14  # not NaN or 1e400
    # Characters no card can show are dropped: a winner's name and an answered question go on screen.
    comment = {"id": comment_id, "user": inputs.printable(str(user))[:limits.MAX_VIEWER_NAME_CHARS] or "?",
               "text": inputs.printable(text.strip())[:limits.MAX_COMMENT_CHARS], "t": float(t) if is_time else time.time()}
    # Viewer facts some platforms send; giveaway conditions use them (kept only when given).
    follower = _first(payload, profile, ("is_follower", "follower", "following"))
    if isinstance(follower, bool):
        comment["is_follower"] = follower
    # A top-level "created_at" is usually the comment's own time: only the user object's counts.
    created = _timestamp(_first(payload, profile, ("account_created_at", "user_created_at"))
                         or profile.get("created_at"))
    if created is not None:
        comment["account_created_at"] = created
    platform = payload.get("platform")
    if isinstance(platform, str) and _PLATFORM_NAME.fullmatch(platform):
        comment["platform"] = platform  # the badge in the panel; replies go back there
    return comment


def is_question(text: str) -> bool:
    """Whether a comment reads as a question: it ends with a question mark of any script (after
    trailing emoji, closing quotes or brackets, "!"), has Spanish "¿" in it, or carries a question
    cue of one of the shows' languages without its mark ("ราคาเท่าไหร่", "ready gak kak", "这个多少钱";
    studio.live.questions)."""
    return has_question_mark(text) or has_question_cue(text)


def has_question_mark(text: str) -> bool:
    """The question-mark half of ``is_question`` (any script's mark at the end, or Spanish "¿")."""
    stripped = text.strip()
    if any(mark in stripped for mark in OPENING_QUESTION_MARKS):
        return True
    end = len(stripped)
    while end > 0 and stripped[end - 1] not in QUESTION_MARKS and (
            stripped[end - 1] in _TRAILING_MARKS or unicodedata.category(stripped[end - 1]) in _TRAILING_CATEGORIES):
        end -= 1
    return end > 0 and stripped[end - 1] in QUESTION_MARKS


def _first(payload: dict[str, Any], profile: dict[str, Any], names: tuple[str, ...]) -> Any:
    for source in (profile, payload):
        for name in names:
            if source.get(name) is not None:
                return source[name]
    return None


def _timestamp(value: Any) -> float | None:
    """Unix seconds (or milliseconds) or an ISO 8601 date/time → Unix seconds; None if unreadable
    (NaN, infinity and numbers past the year 9999 included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if not -1e14 < value < 1e14:  # also NaN; milliseconds up to 5138 AD
            return None
        return float(value) / 1000.0 if value > 1e11 else float(value)
    if isinstance(value, str) and value.strip() and len(value) <= 64:
        from datetime import datetime, timezone

        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            return parsed.timestamp()
        except (ValueError, OverflowError, OSError):
            return None
    return None


class CommentAdapter:
    """Base: an adapter pushes parsed comments into ``sink`` until stopped."""

    def start(self, sink: CommentSink) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class CommentSimulator(CommentAdapter):
    """Rehearsal comments at ``per_minute``; a seeded RNG makes runs repeatable."""

    SAMPLES = ("How much is this?", "What size should I get?", "Is shipping free to Canada?", "Love it!",
               "Does it come in red?", "Hello from Manila", "discount code please", "多少钱？", "包邮吗", "wow")

    def __init__(self, per_minute: float = 60.0, seed: int = 1) -> None:
        self.per_minute = per_minute
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._count = 0

    def make_comment(self) -> dict[str, Any]:
        self._count += 1
        return {"id": f"sim-{self._count}", "user": f"viewer{self._rng.randint(1, 500)}", "text": self._rng.choice(self.SAMPLES), "t": time.time()}

    def start(self, sink: CommentSink) -> None:
        self._stop.clear()

        def run() -> None:
            interval = 60.0 / max(self.per_minute, 0.001)
            while not self._stop.wait(interval):
                try:
                    sink(self.make_comment())
                except Exception:
                    log.exception("comment simulator sink failed")

        self._thread = threading.Thread(target=run, name="comment-simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None


class WebSocketCommentAdapter(CommentAdapter):
    """Read a platform's comment stream from a WebSocket: one JSON comment (or a list) per message.

    Reconnects with backoff on its own thread/loop; bad messages are logged and skipped.
    """

    def __init__(self, url: str, headers: dict[str, str] | None = None, max_backoff_s: float = 10.0) -> None:
        self.url = url
        self._headers = headers or {}
        self.max_backoff_s = max_backoff_s
        self._loop_thread: LoopThread | None = None
        self._stopping = threading.Event()
        self.received = 0
        self.rejected = 0

    def start(self, sink: CommentSink) -> None:
        self._stopping.clear()
        self._loop_thread = LoopThread("comment-websocket").start()
        self._loop_thread.spawn(self._main(sink))  # a failure is logged; stop() cancels it

    async def _main(self, sink: CommentSink) -> None:
        import asyncio
        import json

        import aiohttp

        backoff = 0.2
        async with aiohttp.ClientSession() as session:
            while not self._stopping.is_set():
                try:
                    async with session.ws_connect(self.url, headers=self._headers, heartbeat=20) as ws:
                        backoff = 0.2
                        async for message in ws:
                            if message.type != aiohttp.WSMsgType.TEXT:
                                continue
                            try:
                                data = json.loads(message.data)
                            except json.JSONDecodeError:
                                self.rejected += 1
                                continue
                            for item in data if isinstance(data, list) else [data]:
                                try:
                                    sink(item)
                                    self.received += 1
                                except LiveError:
                                    self.rejected += 1
                except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as err:
                    log.info("comment stream unavailable (%s); retrying in %.1f s", type(err).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)

    def stop(self) -> None:
        self._stopping.set()
        loop_thread, self._loop_thread = self._loop_thread, None
        if loop_thread is not None:
            loop_thread.stop(5)  # cancels the reading task, closes the loop, joins
