"""Facebook Live comments and live viewer count through the Graph API.

Written from Meta's reference:

- Live Video API, interacting with viewers —
  https://developers.facebook.com/docs/live-video-api/common-uses/interacting-with-viewers/
  (poll ``GET /{live-video-id}/comments``; each comment ``{"id", "message", "created_time",
  "from": {"name", "id"}}``; ``paging.cursors.after``).  The Server-Sent Events stream
  (``streaming-graph.facebook.com/{id}/live_comments``) was deprecated and removed at the end
  of 2023 (https://developers.facebook.com/docs/graph-api/server-sent-events), so we poll.
- Live Video Comments edge — https://developers.facebook.com/docs/graph-api/reference/live-video/comments
  (``order=chronological``, ``filter=stream``, ``live_filter=no_filter``, ``after=<cursor>``)
- LiveVideo fields ``live_views`` and ``status`` (LIVE, LIVE_STOPPED, …) —
  https://developers.facebook.com/docs/graph-api/reference/live-video/
- Comment Comments edge (a reply: ``POST /{comment-id}/comments`` with ``message``) and
  ``DELETE /{comment-id}`` — https://developers.facebook.com/docs/graph-api/reference/comment/comments/,
  https://developers.facebook.com/docs/graph-api/reference/comment ; hiding: ``POST
  /{comment-id}`` with ``is_hidden=true``
- errors — https://developers.facebook.com/docs/graph-api/guides/error-handling
  (``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``; 190 / OAuthException
  → the token expired or was revoked; 4, 17, 32, 613 → throttled, wait; 1, 2 → temporary);
  rate limiting — https://developers.facebook.com/docs/graph-api/overview/rate-limiting
  (``X-App-Usage`` header: ``call_count``, ``total_time``, ``total_cputime`` in percent)

A Page access token does not refresh with a refresh-token grant: when Facebook refuses it the
account must be connected again.  The token travels in the ``Authorization`` header, never
in a URL (URLs end up in error messages).
"""
from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any

from studio.connectors.base import Action, Connector, Emit, read_json
from studio.connectors.errors import AuthError, ConnectorError, NotLiveYet, PlatformUnavailable, RateLimited, TokenExpired
from studio.connectors.events import EventType, PlatformEvent, make_event
from studio.core.i18n import _

API_ORIGIN = "https://graph.facebook.com"
GRAPH_VERSION = "v21.0"
POLL_S = 2.0
VIEWERS_INTERVAL_S = 30.0
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001})
TRANSIENT_CODES = frozenset({1, 2})
MAX_COMMENT_CHARS = 8000


class FacebookConnector(Connector):
    """Comments and live viewers of one live video (``target`` = the LiveVideo id)."""

    platform = "facebook"
    display_name = "Facebook"
    # BAN hides the comment too: the comment API has no ban of its author.
    actions = frozenset({Action.REPLY, Action.DELETE, Action.BAN, Action.HIDE, Action.UNHIDE})

    def __init__(self, target: str, credentials, *, poll_s: float = POLL_S,
                 viewers_interval_s: float = VIEWERS_INTERVAL_S, **kwargs: Any) -> None:
        super().__init__(target, credentials, **kwargs)
        self.api = f"{credentials.api_base or API_ORIGIN}/{GRAPH_VERSION}"
        self.poll_s = float(poll_s)
        self.viewers_interval_s = float(viewers_interval_s)
        self._after: str | None = None  # kept across reconnects
        self._next_viewers_at = 0.0

    async def _graph(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                     form: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.require_token()}"}
        async with self.http.request(method, self.api + path, params=params, data=form, headers=headers) as response:
            data = await read_json(response)
            self._note_usage(response.headers.get("X-App-Usage"))
            if response.status < 300 and not (isinstance(data, dict) and "error" in data):
                return data
            error = data.get("error") if isinstance(data, dict) else None
            code = error.get("code") if isinstance(error, dict) else None
            if code == 190 or (isinstance(error, dict) and error.get("type") == "OAuthException" and code in (102, 463, 467)):
                raise TokenExpired(_("Facebook refused the access token."))
            if code in THROTTLE_CODES:
                raise RateLimited(_("Facebook is throttling this app's requests (code {code}).").format(code=code))
            if code in TRANSIENT_CODES or response.status >= 500:
                raise PlatformUnavailable(_("Facebook answered with a temporary error ({status}).").format(
                    status=code or response.status))
            if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
                raise AuthError(_("Facebook refused: the Page token lacks a permission for live video {target}.").format(
                    target=self.target))
            if code == 100:
                raise AuthError(_("Facebook does not know live video {target} (or the token cannot see it).").format(
                    target=self.target))
            raise ConnectorError(_("Facebook refused the request ({status}).").format(status=code or response.status))

    def _note_usage(self, header: str | None) -> None:
        if not header:
            return
        try:
            usage = json.loads(header)
            highest = max(int(usage.get(name, 0)) for name in ("call_count", "total_time", "total_cputime"))
        except (ValueError, TypeError, AttributeError):
            return
        if highest >= 75:
            self.note_quota(_("Facebook app usage is at {n}% of its hourly limit.").format(n=highest))

    async def session(self, emit: Emit) -> None:
        await self._poll_viewers(emit, must_be_live=True)
        while True:
            params = {"order": "chronological", "filter": "stream", "live_filter": "no_filter", "limit": 100,
                      "fields": "id,message,created_time,from{name,id}"}
            if self._after:
                params["after"] = self._after
            data = await self._graph("GET", f"/{self.target}/comments", params=params)
            self.mark_live(_("Reading Facebook comments."))
            for item in (data.get("data") if isinstance(data, dict) else None) or []:
                event = self._comment(item)
                if event is not None:
                    await emit(event)
            after = ((data.get("paging") or {}).get("cursors") or {}).get("after") if isinstance(data, dict) else None
            if after:
                self._after = str(after)
            if time.monotonic() >= self._next_viewers_at:
                await self._poll_viewers(emit, must_be_live=False)
            has_more = isinstance(data, dict) and bool((data.get("paging") or {}).get("next"))
            await asyncio.sleep(0 if has_more else self.poll_s)

    async def _poll_viewers(self, emit: Emit, must_be_live: bool) -> None:
        self._next_viewers_at = time.monotonic() + self.viewers_interval_s
        data = await self._graph("GET", f"/{self.target}", params={"fields": "status,live_views"})
        status = data.get("status") if isinstance(data, dict) else None
        if status != "LIVE":
            if must_be_live or status in ("LIVE_STOPPED", "VOD"):
                raise NotLiveYet(_("Facebook live video {target} is not live ({status}).").format(
                    target=self.target, status=status or "?"))
            return
        views = data.get("live_views")
        if isinstance(views, int) and not isinstance(views, bool):
            now = time.time()
            await emit(PlatformEvent(platform=self.platform, type=EventType.VIEWERS,
                                     platform_id=f"viewers:{self.target}:{int(now * 1000)}", t=now, count=views))

    def _comment(self, item: Any) -> PlatformEvent | None:
        if not isinstance(item, dict) or not item.get("id"):
            return None
        sender = item.get("from") or {}
        return make_event(self.platform, EventType.COMMENT, item["id"], text=item.get("message"),
                          author=sender.get("name"), author_id=sender.get("id"), t=_timestamp(item.get("created_time")))

    async def reply(self, text: str, to: PlatformEvent | None = None) -> None:
        if not text.strip():
            raise ConnectorError(_("The reply is empty."))
        if len(text) > MAX_COMMENT_CHARS:
            raise ConnectorError(_("Facebook comments are at most {n} characters; this one has {m}.").format(
                n=MAX_COMMENT_CHARS, m=len(text)))
        parent = to.platform_id if to is not None and to.platform == self.platform else self.target
        await self.with_fresh_token(lambda: self._graph("POST", f"/{parent}/comments", form={"message": text}))

    async def moderate(self, action: Action, event: PlatformEvent) -> None:
        if action is Action.DELETE:
            await self.with_fresh_token(lambda: self._graph("DELETE", f"/{event.platform_id}"))
        elif action in (Action.BAN, Action.HIDE, Action.UNHIDE):
            hidden = "false" if action is Action.UNHIDE else "true"
            await self.with_fresh_token(lambda: self._graph("POST", f"/{event.platform_id}", form={"is_hidden": hidden}))
        else:
            await super().moderate(action, event)


def _timestamp(value: Any) -> float:
    """Graph API times look like '2018-08-30T18:47:02+0000'."""
    if isinstance(value, str):
        try:
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").timestamp()
        except ValueError:
            pass
    return time.time()
