"""A stand-in for the Shopee Open Platform's livestream API (v2) and its token refresh.

Shapes from Shopee's API reference (open.shopee.com, module "Livestream"; its machine-readable
pages are kept verbatim by https://github.com/congminh1254/shopee-sdk/tree/main/schemas as
``v2.livestream.get_session_detail``, ``get_latest_comment_list``, ``get_session_metric``,
``post_comment``, ``ban_user_comment`` and ``v2.public.refresh_access_token``):

- User APIs carry ``partner_id``, ``timestamp`` (refused when more than 5 minutes away),
  ``access_token``, ``user_id`` and ``sign`` = hex HMAC-SHA256 (partner key) of
  ``partner_id + path + timestamp + access_token + user_id``; the Public refresh API signs
  ``partner_id + path + timestamp``;
- every answer is ``{"error", "message", "request_id", "response"}`` with the reference's error
  names and messages ("The session(session_id:…) is not ongoing", "Too many requests, please
  try again later", "Invalid access_token" under ``error_auth``…).  The reference gives no HTTP
  status for them; this stand-in answers 200 for data and parameter errors, 403 for
  ``error_auth`` and 429 for "Too many requests" — the connector reads the body either way;
- get_latest_comment_list returns only the comments of the last 10 seconds (as documented),
  ``page_size`` at a time with ``next_offset``; a refresh token works once.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import time
import uuid
from typing import Any

from aiohttp import web

from bench.testbed.platforms.server import StandInServer

LIVESTREAM = "/api/v2/livestream/"
REFRESH_PATH = "/api/v2/auth/access_token/get"
COMMENT_WINDOW_S = 10.0


def _sign(key: str, *parts: str) -> str:
    return hmac.new(key.encode(), "".join(parts).encode(), hashlib.sha256).hexdigest()


def _answer(response: dict[str, Any] | None = None, error: str = "", message: str = "", status: int = 200) -> web.Response:
    return web.json_response({"error": error, "message": message, "request_id": uuid.uuid4().hex,
                              "response": response if response is not None else {}}, status=status)


class ShopeeStandIn(StandInServer):
    name = "shopee-standin"

    def __init__(self, *, session_id: int = 6236215, partner_id: int = 2001887, partner_key: str = "shpk-partner-key",
                 user_id: int = 1987885, access_token: str = "shopee-access-1", refresh_token: str = "shopee-refresh-1",
                 page_size: int = 20) -> None:
        super().__init__()
        self.session_id = session_id
        self.partner_id = partner_id
        self.partner_key = partner_key
        self.user_id = user_id
        self.valid_tokens = {access_token}
        self.refresh_token = refresh_token
        self.page_size = page_size
        self.status = 1  # 0 initial, 1 ongoing, 2 ended
        self.metric: dict[str, Any] = {"gmv": 0.0, "atc": 0, "ctr": 0.0, "co": 0.0, "orders": 0, "ccu": 0,
                                       "engage_ccu_1m": 0, "peak_ccu": 0, "likes": 0, "comments": 0, "shares": 0,
                                       "views": 0, "avg_viewing_duration": 0}
        self.comments: list[dict[str, Any]] = []
        self.posted: list[dict[str, Any]] = []  # bodies of post_comment
        self.bans: list[dict[str, Any]] = []
        self.unbans: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.refreshes = 0
        self.too_many_left = 0
        self._ids = itertools.count(273887178)

    def add_comment(self, username: str, content: str, user_id: int | None = None, at: float | None = None) -> int:
        comment_id = next(self._ids)
        with self.lock:
            self.comments.append({"comment_id": comment_id, "content": content, "timestamp": int(at or time.time()),
                                  "user_id": user_id or (abs(hash(username)) % 10**9), "username": username,
                                  "_at": at or time.time()})
        return comment_id

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(LIVESTREAM + "get_session_detail", self._detail)
        app.router.add_get(LIVESTREAM + "get_latest_comment_list", self._comments)
        app.router.add_get(LIVESTREAM + "get_session_metric", self._metric)
        app.router.add_post(LIVESTREAM + "post_comment", self._post_comment)
        app.router.add_post(LIVESTREAM + "ban_user_comment", self._ban)
        app.router.add_post(LIVESTREAM + "unban_user_comment", self._unban)
        app.router.add_post(REFRESH_PATH, self._refresh)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler):  # the token is a query parameter: never keep it
        query = {k: ("***" if k in ("access_token", "sign") else v) for k, v in request.query.items()}
        with self.lock:
            self.requests.append((request.method, request.path, query))
        return await handler(request)

    def _refusal(self, request: web.Request, *, is_public: bool = False) -> web.Response | None:
        query = request.query
        try:
            timestamp = int(query.get("timestamp", ""))
        except ValueError:
            return _answer(error="error_param", message="Wrong parameters, detail: timestamp.")
        if query.get("partner_id") != str(self.partner_id):
            return _answer(error="error_param", message="Wrong parameters, detail: partner_id.")
        if abs(time.time() - timestamp) > 300:
            return _answer(error="error_param", message="Wrong parameters, detail: timestamp expired.")
        parts = [query["partner_id"], request.path, query["timestamp"]]
        if not is_public:
            parts += [query.get("access_token", ""), query.get("user_id", "")]
        if not hmac.compare_digest(query.get("sign", ""), _sign(self.partner_key, *parts)):
            with self.lock:
                self.bad_signatures += 1
            return _answer(error="error_auth", message="Wrong sign.", status=403)
        if is_public:
            return None
        if query.get("access_token") not in self.valid_tokens or query.get("user_id") != str(self.user_id):
            return _answer(error="error_auth", message="Invalid access_token.", status=403)
        with self.lock:
            if self.too_many_left > 0:
                self.too_many_left -= 1
                return _answer(error="error_server", message="Too many requests, please try again later", status=429)
        return None

    def _session(self, value: Any) -> web.Response | None:
        if str(value) != str(self.session_id):
            return _answer(error="error_data", message=f"The session(session_id:{value}) is not exist")
        return None

    async def _detail(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request) or self._session(request.query.get("session_id"))) is not None:
            return refused
        now = int(time.time())
        return _answer({"session_id": self.session_id, "title": "Silk week", "description": "", "cover_image_url": "",
                        "status": self.status, "share_url": f"https://live.shopee.co.id/share?session={self.session_id}",
                        "is_test": False, "create_time": now - 600, "update_time": now - 60,
                        "start_time": now - 300 if self.status else 0, "end_time": now if self.status == 2 else 0,
                        "stream_url_list": {}})

    def _ongoing(self) -> web.Response | None:
        if self.status != 1:
            return _answer(error="error_data", message=f"The session(session_id:{self.session_id}) is not ongoing")
        return None

    async def _comments(self, request: web.Request) -> web.Response:
        query = request.query
        if (refused := self._refusal(request) or self._session(query.get("session_id")) or self._ongoing()) is not None:
            return refused
        offset = int(query.get("offset", 0) or 0)
        with self.lock:
            recent = [c for c in self.comments if c["_at"] >= time.time() - COMMENT_WINDOW_S]
            page = recent[offset:offset + self.page_size]
        items = [{key: value for key, value in c.items() if not key.startswith("_")} for c in page]
        return _answer({"next_offset": offset + len(items), "list": items})

    async def _metric(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request) or self._session(request.query.get("session_id")) or self._ongoing()):
            return refused
        return _answer(dict(self.metric))

    async def _post_comment(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        try:
            body = await request.json()
        except ValueError:
            return _answer(error="error_param", message="Parse data error: body")
        if (refused := self._session(body.get("session_id")) or self._ongoing()) is not None:
            return refused
        content = str(body.get("content") or "")
        if not content:
            return _answer(error="error_param", message="Cannot send empty comment")
        if len(content) > 150:
            return _answer(error="error_data", message="The content cannot exceed 150 characters")
        with self.lock:
            self.posted.append(body)
        comment_id = self.add_comment("Silk Road Shop", content, user_id=self.user_id)  # listed back like any comment
        return _answer({"comment_id": comment_id})

    async def _ban(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        body = await request.json()
        if (refused := self._session(body.get("session_id")) or self._ongoing()) is not None:
            return refused
        if body.get("ban_user_id") == self.user_id:
            return _answer(error="error_data", message="You can not ban yourself")
        with self.lock:
            self.bans.append(body)
        return _answer({})

    async def _unban(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        body = await request.json()
        if (refused := self._session(body.get("session_id")) or self._ongoing()) is not None:
            return refused
        with self.lock:
            self.unbans.append(body)
        return _answer({})

    async def _refresh(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request, is_public=True)) is not None:
            return refused
        body = await request.json()
        if body.get("partner_id") != self.partner_id or body.get("user_id") != self.user_id \
                or body.get("refresh_token") != self.refresh_token:
            return web.json_response({"error": "error_param", "message": "Wrong parameters, detail: refresh_token.",
                                      "request_id": uuid.uuid4().hex})
        token, rotated = uuid.uuid4().hex, uuid.uuid4().hex
        with self.lock:
            self.valid_tokens = {token}
            self.refresh_token = rotated  # each refresh token works once
            self.refreshes += 1
        return web.json_response({"error": "", "message": "", "request_id": uuid.uuid4().hex,
                                  "partner_id": self.partner_id, "user_id": self.user_id, "access_token": token,
                                  "refresh_token": rotated, "expire_in": 14400})
