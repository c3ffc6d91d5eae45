"""A stand-in for the Graph API's live-video endpoints (comments, live views, replies, moderation).

Shapes from Meta's reference: interacting with viewers
(https://developers.facebook.com/docs/live-video-api/common-uses/interacting-with-viewers/),
the Live Video Comments edge with cursor paging
(https://developers.facebook.com/docs/graph-api/reference/live-video/comments,
https://developers.facebook.com/docs/graph-api/results), LiveVideo ``status``/``live_views``
(https://developers.facebook.com/docs/graph-api/reference/live-video/), comment replies, delete
and hide (https://developers.facebook.com/docs/graph-api/reference/comment), the error body
and codes (https://developers.facebook.com/docs/graph-api/guides/error-handling) and the
``X-App-Usage`` header (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
The access token may come as ``Authorization: Bearer`` or ``access_token``; the request log
never keeps it.
"""
from __future__ import annotations

import base64
import itertools
import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from bench.testbed.platforms.server import StandInServer

VERSION = "v21.0"


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{index}".encode()).decode()


def _position(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)[1])


def _error(code: int, message: str, type_: str = "OAuthException", subcode: int | None = None, status: int = 400):
    error: dict[str, Any] = {"message": message, "type": type_, "code": code, "fbtrace_id": uuid.uuid4().hex[:11]}
    if subcode is not None:
        error["error_subcode"] = subcode
    return web.json_response({"error": error}, status=status)


class FacebookStandIn(StandInServer):
    name = "facebook-standin"

    def __init__(self, *, live_video_id: str = "911936075671494", page_token: str = "EAAB-page-token",
                 page_size: int = 25) -> None:
        super().__init__()
        self.live_video_id = live_video_id
        self.valid_tokens = {page_token}
        self.page_size = page_size
        self.status = "LIVE"
        self.live_views = 0
        self.app_usage = {"call_count": 10, "total_time": 5, "total_cputime": 5}
        self.throttle_left = 0
        self.comments: list[dict[str, Any]] = []
        self.replies: list[tuple[str, str]] = []  # (parent id, message)
        self.deleted: list[str] = []
        self.hidden: list[str] = []
        self.served_ids: list[str] = []
        self._ids = itertools.count(1)

    def add_comment(self, name: str, message: str, user_id: str | None = None) -> str:
        comment_id = f"{self.live_video_id}_{next(self._ids):09d}"
        created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
        with self.lock:
            self.comments.append({"created_time": created, "from": {"name": name, "id": user_id or str(abs(hash(name)))},
                                  "message": message, "id": comment_id})
        return comment_id

    def expire_token(self) -> None:
        with self.lock:
            self.valid_tokens.clear()

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(f"/{VERSION}/{{node}}/comments", self._list)
        app.router.add_post(f"/{VERSION}/{{node}}/comments", self._reply)
        app.router.add_get(f"/{VERSION}/{{node}}", self._node)
        app.router.add_post(f"/{VERSION}/{{node}}", self._update)
        app.router.add_delete(f"/{VERSION}/{{node}}", self._delete)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler):  # the token may be a query parameter: never keep it
        query = {k: ("***" if k == "access_token" else v) for k, v in request.query.items()}
        with self.lock:
            self.requests.append((request.method, request.path, query))
        response = await handler(request)
        response.headers["X-App-Usage"] = json.dumps(self.app_usage)
        return response

    def _refusal(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else request.query.get("access_token", "")
        if token not in self.valid_tokens:
            return _error(190, "Error validating access token: Session has expired.", subcode=463)
        with self.lock:
            if self.throttle_left > 0:
                self.throttle_left -= 1
                return _error(4, "(#4) Application request limit reached", type_="OAuthException", status=403)
        return None

    async def _node(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        if request.match_info["node"] != self.live_video_id:
            return _error(100, "Unsupported get request. Object does not exist.", type_="GraphMethodException")
        fields = request.query.get("fields", "id").split(",")
        body: dict[str, Any] = {"id": self.live_video_id}
        if "status" in fields:
            body["status"] = self.status
        if "live_views" in fields:
            body["live_views"] = self.live_views
        return web.json_response(body)

    async def _list(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        if request.match_info["node"] != self.live_video_id:
            return _error(100, "Unsupported get request.", type_="GraphMethodException")
        if request.query.get("order") != "chronological":
            return _error(100, "this stand-in serves chronological order only", type_="GraphMethodException")
        start = _position(request.query["after"]) + 1 if "after" in request.query else 0
        limit = min(int(request.query.get("limit", self.page_size)), self.page_size)
        with self.lock:
            items = self.comments[start:start + limit]
            self.served_ids.extend(item["id"] for item in items)
            more = start + limit < len(self.comments)
        body: dict[str, Any] = {"data": items}
        if items:
            body["paging"] = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(items) - 1)}}
            if more:
                body["paging"]["next"] = f"{request.url.with_query(after=_cursor(start + len(items) - 1))}"
        return web.json_response(body)

    async def _reply(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        form = await request.post()
        message = str(form.get("message") or "")
        if not message:
            return _error(100, "(#100) The parameter message is required", type_="OAuthException")
        with self.lock:
            self.replies.append((request.match_info["node"], message))
        return web.json_response({"id": f"{request.match_info['node']}_{next(self._ids):09d}"})

    async def _update(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        form = await request.post()
        if form.get("is_hidden") == "true":
            with self.lock:
                self.hidden.append(request.match_info["node"])
        return web.json_response({"success": True})

    async def _delete(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        with self.lock:
            self.deleted.append(request.match_info["node"])
        return web.json_response({"success": True})
