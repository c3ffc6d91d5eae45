"""Reading the platforms' events back from a show's journal (no connector needed).

Connector events other than comments are journaled as ``platform.<type>`` with the data of
:meth:`studio.connectors.events.PlatformEvent.to_dict` (see :mod:`studio.live.audience`);
comments are in the comment queue with their ``platform``.  These readers serve the control
API (``GET /api/v1/orders``, ``GET /api/v1/comments?since=``) and the audience after a restart.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Iterator

log = logging.getLogger(__name__)

PLATFORM_PREFIX = "platform."
ORDER_EVENT = PLATFORM_PREFIX + "order"
NO_PLATFORM = "api"  # a comment posted to the control API by the team's own tools


def journaled(store: Any, event_type: str | None, since: int = 0, limit: int = 500,
              newest: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(seq, data)`` of platform events after journal ``since`` (one type, or every platform type)."""
    pattern = event_type if event_type is not None else PLATFORM_PREFIX + "%"
    for seq, text in store.query_events(pattern, since, limit, newest=newest):
        try:
            data = json.loads(text)
        except ValueError:
            log.warning("journal event %s is not JSON; skipped", seq)
            continue
        if isinstance(data, dict):
            yield seq, data


def orders_since(store: Any, since: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    """Orders journaled after ``since``, oldest first, each with its journal ``seq``."""
    return [dict(data, seq=seq) for seq, data in journaled(store, ORDER_EVENT, since, limit)]


def comments_since(store: Any, since: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    """The merged comment queue after journal ``since`` (new or changed), oldest first: every
    comment as stored plus ``seq``, ``platform`` and ``author`` (the contract's names)."""
    result = []
    for seq, comment in store.comments_since(since, limit):
        item = dict(comment, seq=seq)
        item.setdefault("platform", NO_PLATFORM)
        item["author"] = comment.get("user")
        result.append(item)
    return result
