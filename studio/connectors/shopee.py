"""Shopee Live comments and viewers through the Shopee Open Platform's livestream API (v2).

Written from Shopee's own API reference (open.shopee.com, module "Livestream", whose
machine-readable pages a public SDK keeps verbatim in
https://github.com/congminh1254/shopee-sdk/tree/main/schemas — ``v2.livestream.*.json``):

- every livestream call is a *User* API: query parameters ``partner_id``, ``timestamp`` (valid
  5 minutes), ``access_token`` (4 hours), ``user_id`` and ``sign`` = hex HMAC-SHA256 with the
  partner key of ``partner_id + api path + timestamp + access_token + user_id``;
- ``GET /api/v2/livestream/get_session_detail?session_id`` → ``response.status`` 0 initial,
  1 ongoing, 2 ended;
- ``GET /api/v2/livestream/get_latest_comment_list?session_id&offset`` → comments of the last
  10 seconds, ``response.list[]`` of ``{comment_id, content, timestamp, user_id, username}``
  and ``response.next_offset``;
- ``GET /api/v2/livestream/get_session_metric?session_id`` → ``response.ccu`` (viewers now),
  ``peak_ccu``, ``likes``, ``comments``, ``shares``, ``views``, ``orders``, ``gmv``…;
- ``POST /api/v2/livestream/post_comment`` body ``{"session_id", "content"}`` (at most 150
  characters; posted as the streamer) → ``response.comment_id``;
- ``POST /api/v2/livestream/ban_user_comment`` body ``{"session_id", "ban_user_id"}``, and
  ``unban_user_comment`` with ``{"session_id", "unban_user_id"}``;
- ``POST /api/v2/auth/access_token/get`` (a *Public* API: sign = ``partner_id + path +
  timestamp``) body ``{"partner_id", "refresh_token", "user_id"}`` → ``access_token``, a new
  ``refresh_token`` (each is used once), ``expire_in``;
- every answer is ``{"error", "message", "request_id", "response"}``; ``error`` is empty on
  success, else ``error_auth``, ``error_param``, ``error_data`` ("The session … is not ongoing"),
  ``error_server`` ("Too many requests, please try again later") ….  The reference lists the
  error bodies but not their HTTP statuses, so the body decides here.

The comment list only covers the last 10 seconds: comments said while we are disconnected
for longer are not sent to us later (as with Twitch's IRC).  The livestream API is offered
for TW, ID, TH, PH, MY, SG and VN.  The access token travels in the URL as Shopee requires;
URLs are therefore never put in a message or a log line.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections import OrderedDict
from typing import Any

from studio.connectors.base import Action, Connector, Emit, read_json
from studio.connectors.errors import (AuthError, ConnectorError, NotLiveYet, PlatformUnavailable, RateLimited,
                                      TokenExpired)
from studio.connectors.events import EventType, PlatformEvent, make_event
from studio.core.i18n import _

API_ORIGIN = "https://partner.shopeemobile.com"
LIVESTREAM = "/api/v2/livestream/"
REFRESH_PATH = "/api/v2/auth/access_token/get"
POLL_S = 3.0  # the list holds the last 10 s: poll well inside that window
VIEWERS_INTERVAL_S = 30.0
MAX_COMMENT_CHARS = 150
MAX_PAGES_PER_POLL = 20
OWN_COMMENTS_KEPT = 500


def sign(partner_key: str, *parts: str) -> str:
    """Shopee's request signature: hex HMAC-SHA256 of the parts joined, keyed with the partner key."""
    return hmac.new(partner_key.encode(), "".join(parts).encode(), hashlib.sha256).hexdigest()


class ShopeeConnector(Connector):
    """Comments and viewers of one Shopee Live session (``target`` = the livestream session id)."""

    platform = "shopee"
    display_name = "Shopee"
    actions = frozenset({Action.REPLY, Action.BAN, Action.UNBAN})

    def __init__(self, target: str, credentials, *, poll_s: float = POLL_S,
                 viewers_interval_s: float = VIEWERS_INTERVAL_S, **kwargs: Any) -> None:
        super().__init__(target, credentials, **kwargs)
        self.origin = credentials.api_base or API_ORIGIN
        self.poll_s = float(poll_s)
        self.viewers_interval_s = float(viewers_interval_s)
        self._next_viewers_at = 0.0
        self._own_ids: OrderedDict[str, None] = OrderedDict()

    def credential_problem(self) -> str | None:
        problem = super().credential_problem()
        if problem is not None:
            return problem
        if not (self.credentials.client_id and self.credentials.client_secret and self.credentials.user_id):
            return _("Shopee needs the app's partner ID (OAuth client ID), its partner key (OAuth client secret) and the "
                     "streamer's Shopee user ID.")
        if not self.target.isdigit():
            return _("A Shopee livestream session ID is a number, not “{target}”.").format(target=self.target)
        return None

    # ------------------------------------------------------------------ HTTP

    def _signed_query(self, path: str, *, is_public: bool = False) -> dict[str, str]:
        partner_id, key = str(self.credentials.client_id or ""), self.credentials.client_secret or ""
        timestamp = str(int(time.time()))
        if is_public:
            return {"partner_id": partner_id, "timestamp": timestamp, "sign": sign(key, partner_id, path, timestamp)}
        token, user_id = self.require_token(), str(self.credentials.user_id or "")
        return {"partner_id": partner_id, "timestamp": timestamp, "access_token": token, "user_id": user_id,
                "sign": sign(key, partner_id, path, timestamp, token, user_id)}

    async def _call(self, method: str, name: str, *, params: dict[str, Any] | None = None,
                    body: dict[str, Any] | None = None) -> dict[str, Any]:
        if self.credential_problem():
            raise AuthError(self.credential_problem() or "")
        path = LIVESTREAM + name
        query = {**(params or {}), **self._signed_query(path)}
        async with self.http.request(method, self.origin + path, params=query, json=body) as response:
            data = await read_json(response)
            return self._answer(response.status, data)

    def _answer(self, status: int, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            if status == 429:
                raise RateLimited(_("Shopee asks us to slow down (too many requests)."))
            if status >= 500:
                raise PlatformUnavailable(_("Shopee answered with a server error ({status}).").format(status=status))
            raise PlatformUnavailable(_("Shopee answered without the documented JSON ({status}).").format(status=status))
        error, message = str(data.get("error") or ""), str(data.get("message") or "")
        if not error and status < 400:
            response = data.get("response")
            return response if isinstance(response, dict) else {}
        lowered = message.lower()
        if error in ("invalid_access_token", "invalid_acceess_token") or (error == "error_auth" and "token" in lowered):
            raise TokenExpired(_("Shopee refused the access token."))
        if error == "error_auth":
            raise AuthError(_("Shopee refused: this app is not authorised for the streamer's livestreams."))
        if "too many requests" in lowered or status == 429:
            raise RateLimited(_("Shopee asks us to slow down (too many requests)."))
        if "not ongoing" in lowered:
            raise NotLiveYet(_("Shopee Live session {target} is not live.").format(target=self.target))
        if "not belong to you" in lowered or "is not exist" in lowered or "invalid session_id" in lowered:
            raise AuthError(_("Shopee does not know livestream session {target} for this streamer.").format(
                target=self.target))
        if "not supported for current region" in lowered:
            raise AuthError(_("Shopee's livestream API is not offered in this shop's region (TW, ID, TH, PH, MY, SG "
                              "and VN only)."))
        if error == "error_server" or status >= 500:
            raise PlatformUnavailable(_("Shopee answered with a temporary error ({error}).").format(error=error or status))
        raise ConnectorError(_("Shopee refused the request ({error}: {message}).").format(
            error=error or status, message=message[:160]))

    async def refresh_token(self) -> None:
        credentials = self.credentials
        if not (credentials.refresh_token and credentials.client_id and credentials.user_id):
            await super().refresh_token()
            return
        try:
            body = {"partner_id": int(credentials.client_id), "refresh_token": credentials.refresh_token,
                    "user_id": int(credentials.user_id)}
        except ValueError:
            raise AuthError(_("The Shopee partner ID and user ID are numbers.")) from None
        query = self._signed_query(REFRESH_PATH, is_public=True)
        async with self.http.post(self.origin + REFRESH_PATH, params=query, json=body) as response:
            data = await read_json(response)
            status = response.status
        if not isinstance(data, dict):
            raise PlatformUnavailable(_("Shopee's token service answered without the documented JSON ({status})."
                                        ).format(status=status))
        token, rotated = data.get("access_token"), data.get("refresh_token")
        if data.get("error") or not isinstance(token, str) or not token:
            if str(data.get("error") or "") in ("error_server", "error_network"):
                raise PlatformUnavailable(_("Shopee's token service is unavailable; trying again."))
            raise AuthError(_("Shopee no longer accepts this streamer's refresh token: connect the account again."))
        credentials.update_token(token, rotated if isinstance(rotated, str) and rotated else None)

    # ------------------------------------------------------------------ reading

    async def session(self, emit: Emit) -> None:
        detail = await self._call("GET", "get_session_detail", params={"session_id": self.target})
        status = detail.get("status")
        if status != 1:
            if status == 0:
                raise NotLiveYet(_("Shopee Live session {target} has not started yet.").format(target=self.target))
            raise NotLiveYet(_("Shopee Live session {target} has ended.").format(target=self.target))
        while True:
            await self._read_comments(emit)
            self.mark_live(_("Reading Shopee Live comments."))
            if time.monotonic() >= self._next_viewers_at:
                await self._poll_viewers(emit)
            await asyncio.sleep(self.poll_s)

    async def _read_comments(self, emit: Emit) -> None:
        offset = 0
        for _page in range(MAX_PAGES_PER_POLL):
            params: dict[str, Any] = {"session_id": self.target}
            if offset:
                params["offset"] = offset
            answer = await self._call("GET", "get_latest_comment_list", params=params)
            items = answer.get("list") if isinstance(answer.get("list"), list) else []
            for item in items:
                event = self._comment(item)
                if event is not None:
                    await emit(event)
            next_offset = answer.get("next_offset")
            if not items or not isinstance(next_offset, int) or next_offset <= offset:
                return
            offset = next_offset

    def _comment(self, item: Any) -> PlatformEvent | None:
        if not isinstance(item, dict) or item.get("comment_id") is None:
            return None
        comment_id = str(item["comment_id"])
        if comment_id in self._own_ids:
            return None  # our own reply, listed back like any comment
        stamp = item.get("timestamp")
        return make_event(self.platform, EventType.COMMENT, comment_id, text=item.get("content"),
                          author=item.get("username"), author_id=item.get("user_id"),
                          t=float(stamp) if isinstance(stamp, (int, float)) and stamp > 0 else time.time())

    async def _poll_viewers(self, emit: Emit) -> None:
        self._next_viewers_at = time.monotonic() + self.viewers_interval_s
        metric = await self._call("GET", "get_session_metric", params={"session_id": self.target})
        ccu = metric.get("ccu")
        if isinstance(ccu, int) and not isinstance(ccu, bool) and ccu >= 0:
            now = time.time()
            await emit(PlatformEvent(platform=self.platform, type=EventType.VIEWERS,
                                     platform_id=f"viewers:{self.target}:{int(now * 1000)}", t=now, count=ccu))

    # ------------------------------------------------------------------ writing

    async def reply(self, text: str, to: PlatformEvent | None = None) -> None:
        message = f"@{to.author} {text}" if to is not None and to.author else text
        message = " ".join(message.split())
        if not message:
            raise ConnectorError(_("The reply is empty."))
        if len(message) > MAX_COMMENT_CHARS:
            raise ConnectorError(_("Shopee Live comments are at most {n} characters; this one has {m}.").format(
                n=MAX_COMMENT_CHARS, m=len(message)))
        answer = await self.with_fresh_token(lambda: self._call(
            "POST", "post_comment", body={"session_id": int(self.target), "content": message}))
        if answer.get("comment_id") is not None:
            self._own_ids[str(answer["comment_id"])] = None
            while len(self._own_ids) > OWN_COMMENTS_KEPT:
                self._own_ids.popitem(last=False)

    async def moderate(self, action: Action, event: PlatformEvent) -> None:
        if action not in (Action.BAN, Action.UNBAN) or not event.author_id:
            await super().moderate(action, event)
            return
        name = "ban" if action is Action.BAN else "unban"
        try:
            body = {"session_id": int(self.target), f"{name}_user_id": int(event.author_id)}
        except ValueError:
            raise ConnectorError(_("Shopee user IDs are numbers; this comment's author has none.")) from None
        await self.with_fresh_token(lambda: self._call("POST", f"{name}_user_comment", body=body))
