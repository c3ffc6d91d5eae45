"""The audience's events, one typed shape for every platform (JSON-ready).

Every event carries the platform it came from and the platform's own id for it, so the
merged stream can be deduplicated by ``(platform, platform_id)`` and a reply can go back to
the right message on the right platform.  Viewer text is untrusted: :func:`clean_text`
removes control characters and bounds its length (a cut keeps whole characters, never half
an emoji sequence) and says whether it cut; markup stays as literal text — views show it as
plain text, never as rich text.
"""
from __future__ import annotations

import dataclasses
import time
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

MAX_TEXT_CHARS = 500
MAX_NAME_CHARS = 64
MAX_ID_CHARS = 200
ELLIPSIS = "…"
# Characters that join or modify the one before them: a cut must not leave them orphaned
# (a family emoji cut after its joiner, a flag cut between its two regional indicators).
_JOINERS = frozenset("\u200d\ufe0e\ufe0f")


class EventType(StrEnum):
    COMMENT = "comment"
    VIEWERS = "viewers"
    LIKE = "like"
    SHARE = "share"
    FOLLOW = "follow"
    GIFT = "gift"
    ORDER = "order"
    COUPON_CLAIM = "coupon_claim"


def clean_text(value: Any, limit: int = MAX_TEXT_CHARS) -> tuple[str, bool]:
    """``(text, was_cut)``: control characters dropped (line breaks and tabs become spaces),
    at most ``limit`` characters kept, ending in "…" when cut."""
    if value is None:
        return "", False
    text = str(value)
    kept = []
    for char in text:
        if char in "\r\n\t":
            kept.append(" ")
        elif unicodedata.category(char) != "Cc":
            kept.append(char)
    text = "".join(kept).strip()
    if len(text) <= limit:
        return text, False
    end = max(0, limit - 1)
    # Back off over combining marks, joiners and variation selectors so a cut keeps whole
    # graphemes (good enough for chat: ZWJ sequences, skin tones, accents, Thai marks).
    while end > 0 and (text[end] in _JOINERS or unicodedata.combining(text[end])
                       or text[end - 1] in _JOINERS or _is_skin_tone(text[end])):
        end -= 1
    return text[:end].rstrip() + ELLIPSIS, True


def _is_skin_tone(char: str) -> bool:
    return "\U0001f3fb" <= char <= "\U0001f3ff"


def decimal_text(value: Any) -> str | None:
    """A money amount as a plain decimal string ('19.99'); None when it is not a finite number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite():
        return None
    return format(amount, "f")


@dataclass(frozen=True)
class PlatformEvent:
    """One thing the audience did on one platform.

    ``platform`` is the platform's short name ('youtube', 'twitch', or a generic source's own
    name); ``platform_id`` the platform's id for this event (a chat message id, an order id);
    ``t`` when it happened (Unix seconds, the platform's time when it gives one).  ``count``
    is the viewer count (VIEWERS), the number of likes/bits/gifts otherwise.  ``seq`` is set by
    the hub when the event enters the merged stream.
    """

    platform: str
    type: EventType
    platform_id: str
    t: float = field(default_factory=time.time)
    author: str | None = None
    author_id: str | None = None
    text: str | None = None
    count: int | None = None
    sku: str | None = None
    quantity: int | None = None
    amount: str | None = None
    currency: str | None = None
    buyer: str | None = None
    coupon: str | None = None
    reply_to: str | None = None
    is_truncated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the event across sources and restarts."""
        return (self.platform, self.platform_id)

    def with_seq(self, seq: int) -> "PlatformEvent":
        return dataclasses.replace(self, seq=seq)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; fields that are not known are left out (never invented)."""
        data: dict[str, Any] = {"platform": self.platform, "type": self.type.value, "id": self.platform_id,
                                "t": round(self.t, 3)}
        for name in ("seq", "author", "author_id", "text", "count", "sku", "quantity", "amount", "currency",
                     "buyer", "coupon", "reply_to"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.is_truncated:
            data["truncated"] = True
        if self.extra:
            data["extra"] = dict(self.extra)
        return data


def make_event(platform: str, type_: EventType, platform_id: Any, *, text: Any = None, author: Any = None,
               author_id: Any = None, **fields: Any) -> PlatformEvent:
    """Build an event from platform data, cleaning and bounding every viewer-written field."""
    clean, is_cut = clean_text(text) if text is not None else (None, False)
    name = clean_text(author, MAX_NAME_CHARS)[0] if author is not None else None
    return PlatformEvent(
        platform=platform,
        type=type_,
        platform_id=clean_text(platform_id, MAX_ID_CHARS)[0],
        text=clean,
        author=name or None,
        author_id=clean_text(author_id, MAX_ID_CHARS)[0] if author_id is not None else None,
        is_truncated=is_cut,
        **fields,
    )
