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
Login for Devices (https://developers.facebook.com/docs/facebook-login/for-devices):
``POST /device/login`` with ``access_token=<APP_ID>|<CLIENT_TOKEN>`` and ``scope`` → ``code``,
``user_code``, ``verification_uri``, ``expires_in``, ``interval``; ``POST /device/login_status``
with ``access_token`` and ``code`` → ``{"access_token", "expires_in"}`` once approved, else a
Graph error with ``error_subcode`` 1349174 (pending, code 31), 1349172 (polling too frequently,
code 17) or 1349152 (code expired, code 463).  ``GET /me`` and ``GET /me/accounts`` (the Pages
the user manages, each with its Page access token:
https://developers.facebook.com/docs/pages-api/getting-started) follow sign-in.
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
        self.unhidden: list[str] = []
        self.served_ids: list[str] = []
        self._ids = itertools.count(1)
        self.app_id, self.client_token = "438201", "c1ient-token"
        self.user_name = "Mei Lin"
        self.pages: list[dict[str, str]] = [{"id": "1122", "name": "Silk Road Shop", "access_token": page_token}]
        self.device_interval_s = 5
        self.device_expires_in_s = 420
        self.slow_down_left = 0
        self.device_polls = 0
        self._user_tokens: set[str] = set()

    def device_approve(self, user_code: str) -> None:
        """The account holder enters ``user_code`` at facebook.com/device and continues."""
        with self.lock:
            self._device_for(user_code)["approved"] = True

    def add_comment(self, name: str, message: str, user_id: str | None = None) -> str:
        comment_id = f"{self.live_video_id}_{next(self._ids):09d}"
        created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
        with self.lock:
            self.comments.append({"created_time": created, "from": {"name": name, "id": user_id or str(abs(hash(name)))},
                                  "message": message, "id": comment_id})
        return comment_id

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(f"/{VERSION}/device/login", self._device_login)
        app.router.add_post(f"/{VERSION}/device/login_status", self._device_status)
        app.router.add_get(f"/{VERSION}/me", self._me)
        app.router.add_get(f"/{VERSION}/me/accounts", self._accounts)
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

    async def _app_refusal(self, form) -> web.Response | None:
        if form.get("access_token") != f"{self.app_id}|{self.client_token}":
            return _error(190, "Invalid OAuth access token.")
        return None

    async def _device_login(self, request: web.Request) -> web.Response:
        form = await request.post()
        if (refused := await self._app_refusal(form)) is not None:
            return refused
        code, user_code = uuid.uuid4().hex, uuid.uuid4().hex[:6].upper()
        with self.lock:
            self._devices[code] = {"user_code": user_code, "approved": False,
                                   "expires_at": time.monotonic() + self.device_expires_in_s}
        return web.json_response({"code": code, "user_code": user_code, "verification_uri": "https://www.facebook.com/device",
                                  "expires_in": self.device_expires_in_s, "interval": self.device_interval_s})

    async def _device_status(self, request: web.Request) -> web.Response:
        form = await request.post()
        if (refused := await self._app_refusal(form)) is not None:
            return refused
        with self.lock:
            self.device_polls += 1
            device = self._devices.get(str(form.get("code") or ""))
            if device is None or device["expires_at"] < time.monotonic():
                return web.json_response({"error": {"message": "The session has expired", "type": "OAuthException",
                                                    "code": 463, "error_subcode": 1349152,
                                                    "error_user_title": "Activation Code Expired",
                                                    "error_user_msg": "The code you entered has expired."}}, status=400)
            if self.slow_down_left > 0:
                self.slow_down_left -= 1
                return web.json_response({"error": {"message": "User request limit reached", "type": "OAuthException",
                                                    "code": 17, "error_subcode": 1349172,
                                                    "error_user_title": "OAuth Device Excessive Polling",
                                                    "error_user_msg": "Your device is polling too frequently."}},
                                         status=400)
            if not device["approved"]:
                return web.json_response({"error": {"message": "This request requires the user to take a pending action",
                                                    "type": "OAuthException", "code": 31, "error_subcode": 1349174,
                                                    "error_user_title": "Device Login Authorization Pending",
                                                    "error_user_msg": "User has not yet authorized your application."}},
                                         status=400)
            del self._devices[str(form["code"])]
            token = f"EAAU-{uuid.uuid4().hex}"
            self._user_tokens.add(token)
        return web.json_response({"access_token": token, "data_access_expiration_time": int(time.time()) + 7776000,
                                  "expires_in": 5183999})

    def _user_refusal(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else request.query.get("access_token", "")
        if token not in self._user_tokens:
            return _error(190, "Error validating access token: Session has expired.", subcode=463)
        return None

    async def _me(self, request: web.Request) -> web.Response:
        if (refused := self._user_refusal(request)) is not None:
            return refused
        return web.json_response({"name": self.user_name, "id": "10158"})

    async def _accounts(self, request: web.Request) -> web.Response:
        if (refused := self._user_refusal(request)) is not None:
            return refused
        pages = [{"access_token": page["access_token"], "category": "Shopping & retail", "name": page["name"],
                  "id": page["id"], "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]}
                 for page in self.pages]
        return web.json_response({"data": pages, "paging": {"cursors": {"before": "QVFIU", "after": "QVFIU"}}})

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
        elif form.get("is_hidden") == "false":
            with self.lock:
                self.unhidden.append(request.match_info["node"])
        return web.json_response({"success": True})

    async def _delete(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        with self.lock:
            self.deleted.append(request.match_info["node"])
        return web.json_response({"success": True})
