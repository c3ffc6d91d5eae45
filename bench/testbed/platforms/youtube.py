"""A stand-in for the YouTube Data API v3 live-chat endpoints and Google's token endpoint.

Shapes from Google's reference: liveBroadcasts.list
(https://developers.google.com/youtube/v3/live/docs/liveBroadcasts/list), liveChatMessages
list/insert/delete (https://developers.google.com/youtube/v3/live/docs/liveChatMessages),
liveChatBans.insert, videos.list ``liveStreamingDetails``
(https://developers.google.com/youtube/v3/docs/videos), the error body
(https://developers.google.com/youtube/v3/docs/errors: ``{"error": {"code", "message",
"errors": [{"message", "domain", "reason"}]}}``), the refresh-token grant
(https://developers.google.com/identity/protocols/oauth2/native-app#offline) and the desktop-app
sign-in (same page, steps 2–5, with RFC 7636 PKCE and RFC 6749 §4.1/§5.2): the authorization
endpoint ``/o/oauth2/v2/auth`` takes ``client_id``, ``redirect_uri`` (a loopback address),
``response_type=code``, ``scope``, ``code_challenge``, ``code_challenge_method`` and ``state``
and sends the browser back to ``redirect_uri`` with ``code``, ``scope`` and ``state`` — or
``error=access_denied`` when the user declines; an unknown client gets Google's error page
(401 ``invalid_client``), not a redirect.  The token endpoint trades the code once, for the
same ``redirect_uri`` and a ``code_verifier`` whose S256 is the challenge, and answers errors
as ``{"error", "error_description"}``.  channels.list ``mine=true``
(https://developers.google.com/youtube/v3/docs/channels/list) names the signed-in channel.

The authorization endpoint plays the account holder: ``consent`` is ``"approve"`` (default) or
``"deny"``; ``answer_state`` replaces the ``state`` it sends back (a test of an answer that is
not ours).

Behaviour a test can ask for: a polling interval that is enforced (a list call sooner than
the last ``pollingIntervalMillis`` gets 403 ``rateLimitExceeded`` and is counted in
``too_soon``), paging with ``nextPageToken``, an access token that expires (401 until the
refresh grant hands out a new one), a number of ``quotaExceeded`` / ``rateLimitExceeded``
answers, and going down / coming back (:class:`StandInServer`).
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from yarl import URL

from bench.testbed.platforms.server import StandInServer


def _error(status: int, reason: str, message: str, domain: str = "youtube.liveChat") -> web.Response:
    return web.json_response({"error": {"code": status, "message": message,
                                        "errors": [{"message": message, "domain": domain, "reason": reason}]}},
                             status=status)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class YouTubeStandIn(StandInServer):
    name = "youtube-standin"

    def __init__(self, *, broadcast_id: str = "bc-1", live_chat_id: str = "chat-1", polling_interval_ms: int = 50,
                 page_size: int = 20, access_token: str = "ya29.first-token", refresh_token: str = "1//refresh-token",
                 client_id: str = "client-1.apps.googleusercontent.com", client_secret: str = "client-secret") -> None:
        super().__init__()
        self.broadcast_id = broadcast_id
        self.live_chat_id = live_chat_id
        self.polling_interval_ms = polling_interval_ms
        self.page_size = page_size
        self.refresh_token = refresh_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.valid_tokens = {access_token}
        self.is_chat_open = True
        self.is_offline = False
        self.concurrent_viewers: int | None = 0
        self.messages: list[dict[str, Any]] = []
        self.inserted: list[dict[str, Any]] = []  # request bodies of liveChatMessages.insert
        self.deleted: list[str] = []
        self.bans: list[dict[str, Any]] = []
        self.unbanned: list[str] = []  # ids given to liveChatBans.delete
        self._ban_ids: set[str] = set()
        self.served_ids: list[str] = []
        self.served_at: dict[str, float] = {}  # message id -> time.monotonic() of the first list that held it
        self.too_soon = 0
        self.quota_errors_left = 0
        self.rate_limit_errors_left = 0
        self.unauthorized = 0
        self.refreshes = 0
        self._next_poll_allowed = 0.0
        self._ids = itertools.count(1)
        self.consent = "approve"  # the account holder's answer on the consent page: "approve" | "deny"
        self.answer_state: str | None = None  # send this state back instead of the request's
        self.channel_title = "Silk Road Shop"
        self.owner_name = "Silk Road Shop"  # the display name our inserted replies carry
        self.authorizations: list[dict[str, str]] = []  # query of each authorization request
        self.code_exchanges = 0
        self._codes: dict[str, dict[str, str]] = {}  # unused authorization codes

    # ------------------------------------------------------------------ test controls

    def add_message(self, author: str, text: str, *, channel_id: str | None = None, message_id: str | None = None,
                    kind: str = "textMessageEvent", details: dict[str, Any] | None = None,
                    is_chat_owner: bool = False) -> str:
        message_id = message_id or f"LCC.{next(self._ids):06d}"
        snippet: dict[str, Any] = {"type": kind, "liveChatId": self.live_chat_id,
                                   "authorChannelId": channel_id or f"UC{author.encode().hex()[:20]}",
                                   "publishedAt": _iso(time.time()), "hasDisplayContent": True, "displayMessage": text}
        if kind == "textMessageEvent":
            snippet["textMessageDetails"] = {"messageText": text}
        elif details is not None:
            snippet["superChatDetails" if kind == "superChatEvent" else "superStickerDetails"] = details
        with self.lock:
            self.messages.append({"kind": "youtube#liveChatMessage", "etag": uuid.uuid4().hex, "id": message_id,
                                  "snippet": snippet,
                                  "authorDetails": {"channelId": snippet["authorChannelId"], "displayName": author,
                                                    "channelUrl": f"http://www.youtube.com/channel/{snippet['authorChannelId']}",
                                                    "profileImageUrl": "https://yt3.example/p.jpg", "isVerified": False,
                                                    "isChatOwner": is_chat_owner, "isChatSponsor": False, "isChatModerator": False}})
        return message_id

    # ------------------------------------------------------------------ routes

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/token", self._token)
        app.router.add_get("/o/oauth2/v2/auth", self._authorize)
        app.router.add_get("/youtube/v3/channels", self._channels)
        app.router.add_get("/youtube/v3/liveBroadcasts", self._broadcasts)
        app.router.add_get("/youtube/v3/videos", self._videos)
        app.router.add_get("/youtube/v3/liveChat/messages", self._list)
        app.router.add_post("/youtube/v3/liveChat/messages", self._insert)
        app.router.add_delete("/youtube/v3/liveChat/messages", self._delete)
        app.router.add_post("/youtube/v3/liveChat/bans", self._ban)
        app.router.add_delete("/youtube/v3/liveChat/bans", self._unban)
        return app

    def _authorized(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        with self.lock:
            if header.startswith("Bearer ") and header[7:] in self.valid_tokens:
                return None
            self.unauthorized += 1
        return web.json_response({"error": {"code": 401, "message": "Request had invalid authentication credentials.",
                                             "errors": [{"message": "Invalid Credentials", "domain": "global",
                                                         "reason": "authError", "location": "Authorization",
                                                         "locationType": "header"}], "status": "UNAUTHENTICATED"}},
                                 status=401)

    def _limits(self) -> web.Response | None:
        with self.lock:
            if self.quota_errors_left > 0:
                self.quota_errors_left -= 1
                return _error(403, "quotaExceeded", "The request cannot be completed because you have exceeded your "
                              "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.", "youtube.quota")
            if self.rate_limit_errors_left > 0:
                self.rate_limit_errors_left -= 1
                return _error(403, "rateLimitExceeded", "The request was sent too soon after the previous one.")
        return None

    async def _authorize(self, request: web.Request) -> web.Response:
        query = request.query
        with self.lock:
            self.authorizations.append(dict(query))
        if query.get("client_id") != self.client_id:
            return web.Response(status=401, content_type="text/html",
                                text="<p>Error 401: invalid_client</p><p>The OAuth client was not found.</p>")
        redirect = URL(query.get("redirect_uri", ""))
        if redirect.scheme != "http" or redirect.host not in ("127.0.0.1", "localhost", "::1"):
            return web.Response(status=400, content_type="text/html",
                                text="<p>Error 400: redirect_uri_mismatch</p>")
        if query.get("response_type") != "code" or not query.get("scope") or \
                query.get("code_challenge_method", "plain") not in ("S256", "plain") or not query.get("code_challenge"):
            return web.Response(status=400, content_type="text/html", text="<p>Error 400: invalid_request</p>")
        state = self.answer_state if self.answer_state is not None else query.get("state", "")
        if self.consent == "deny":
            answer = {"error": "access_denied", "state": state}
        else:
            code = f"4/0{uuid.uuid4().hex}"
            with self.lock:
                self._codes[code] = {"redirect_uri": str(redirect), "challenge": query["code_challenge"],
                                     "method": query.get("code_challenge_method", "plain")}
            answer = {"code": code, "scope": query["scope"], "state": state}
        raise web.HTTPFound(redirect.update_query(answer))

    async def _code_grant(self, form) -> web.Response:
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return web.json_response({"error": "invalid_client", "error_description": "The OAuth client was not found."},
                                     status=401)
        with self.lock:
            grant = self._codes.pop(str(form.get("code") or ""), None)
        if grant is None:
            return web.json_response({"error": "invalid_grant", "error_description": "Malformed auth code."}, status=400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return web.json_response({"error": "redirect_uri_mismatch", "error_description": "Bad Request"}, status=400)
        verifier = str(form.get("code_verifier") or "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (digest if grant["method"] == "S256" else verifier) != grant["challenge"]:
            return web.json_response({"error": "invalid_grant", "error_description": "Invalid code verifier."},
                                     status=400)
        token, refresh = f"ya29.{uuid.uuid4().hex}", f"1//{uuid.uuid4().hex}"
        with self.lock:
            self.valid_tokens.add(token)
            self.refresh_token = refresh
            self.code_exchanges += 1
        return web.json_response({"access_token": token, "expires_in": 3599, "refresh_token": refresh,
                                  "scope": "https://www.googleapis.com/auth/youtube.force-ssl", "token_type": "Bearer"})

    async def _channels(self, request: web.Request) -> web.Response:
        if (refused := self._authorized(request)) is not None:
            return refused
        items = []
        if request.query.get("mine") == "true":
            items.append({"kind": "youtube#channel", "etag": "c1", "id": "UCowner",
                          "snippet": {"title": self.channel_title, "description": "", "customUrl": "@silkroadshop"}})
        return web.json_response({"kind": "youtube#channelListResponse", "etag": "c0",
                                  "pageInfo": {"totalResults": len(items), "resultsPerPage": 5}, "items": items})

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") == "authorization_code":
            return await self._code_grant(form)
        if form.get("grant_type") != "refresh_token" or form.get("client_id") != self.client_id \
                or form.get("client_secret") != self.client_secret or form.get("refresh_token") != self.refresh_token:
            return web.json_response({"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
                                     status=400)
        token = f"ya29.{uuid.uuid4().hex}"
        with self.lock:
            self.valid_tokens = {token}
            self.refreshes += 1
        return web.json_response({"access_token": token, "expires_in": 3599, "token_type": "Bearer",
                                  "scope": "https://www.googleapis.com/auth/youtube.force-ssl"})

    async def _broadcasts(self, request: web.Request) -> web.Response:
        if (refused := self._authorized(request) or self._limits()) is not None:
            return refused
        if "part" not in request.query:
            return _error(400, "missingRequiredParameter", "No filter selected. Expected one of: part", "youtube.parameter")
        wanted = request.query.get("id")
        is_active_query = request.query.get("broadcastStatus") == "active"
        items = []
        if wanted == self.broadcast_id or (is_active_query and self.is_chat_open):
            snippet: dict[str, Any] = {"publishedAt": _iso(time.time() - 600), "channelId": "UCowner",
                                       "title": "Live show", "isDefaultBroadcast": False}
            if self.is_chat_open:
                snippet["liveChatId"] = self.live_chat_id
            items.append({"kind": "youtube#liveBroadcast", "etag": "e1", "id": self.broadcast_id, "snippet": snippet,
                          "status": {"lifeCycleStatus": "live" if self.is_chat_open else "ready",
                                     "privacyStatus": "public"}})
        return web.json_response({"kind": "youtube#liveBroadcastListResponse", "etag": "e0",
                                  "pageInfo": {"totalResults": len(items), "resultsPerPage": 5}, "items": items})

    async def _videos(self, request: web.Request) -> web.Response:
        if (refused := self._authorized(request) or self._limits()) is not None:
            return refused
        items = []
        if request.query.get("id") == self.broadcast_id:
            details: dict[str, Any] = {"actualStartTime": _iso(time.time() - 600)}
            if self.concurrent_viewers is not None:
                details["concurrentViewers"] = str(self.concurrent_viewers)  # documented as a string
            if self.is_chat_open:
                details["activeLiveChatId"] = self.live_chat_id
            items.append({"kind": "youtube#video", "etag": "v1", "id": self.broadcast_id, "liveStreamingDetails": details})
        return web.json_response({"kind": "youtube#videoListResponse", "etag": "v0",
                                  "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}, "items": items})

    async def _list(self, request: web.Request) -> web.Response:
        if (refused := self._authorized(request)) is not None:
            return refused
        query = request.query
        if "part" not in query or "liveChatId" not in query:
            return _error(400, "missingRequiredParameter", "liveChatId and part are required", "youtube.parameter")
        if query["liveChatId"] != self.live_chat_id or not self.is_chat_open:
            return _error(404, "liveChatNotFound", "The live chat that you are trying to retrieve cannot be found.")
        now = time.monotonic()
        with self.lock:
            if now < self._next_poll_allowed:
                self.too_soon += 1
                return _error(403, "rateLimitExceeded", "The request was sent too soon after the previous one.")
        if (refused := self._limits()) is not None:
            return refused
        token = query.get("pageToken")
        try:
            start = int(token[1:]) if token else 0
        except ValueError:
            return _error(400, "invalidPageToken", "The request specifies an invalid page token.", "youtube.parameter")
        with self.lock:
            items = self.messages[start:start + self.page_size]
            self.served_ids.extend(item["id"] for item in items)
            served = time.monotonic()
            for item in items:
                self.served_at.setdefault(item["id"], served)  # when a client first could read it
            interval = self.polling_interval_ms
            self._next_poll_allowed = time.monotonic() + interval / 1000.0
            body: dict[str, Any] = {"kind": "youtube#liveChatMessageListResponse", "etag": uuid.uuid4().hex,
                                    "nextPageToken": f"p{start + len(items)}", "pollingIntervalMillis": interval,
                                    "pageInfo": {"totalResults": len(self.messages), "resultsPerPage": len(items)},
                                    "items": items}
            if self.is_offline:
                body["offlineAt"] = _iso(time.time())
        return web.json_response(body)

    async def _insert(self, request: web.Request) -> web.Response:
        if (refused := self._authorized(request)) is not None:
            return refused
        if request.query.get("part") != "snippet":
            return _error(400, "missingRequiredParameter", "part=snippet is required", "youtube.parameter")
        try:
            body = await request.json()
            snippet = body["snippet"]
            text = snippet["textMessageDetails"]["messageText"]
        except (ValueError, KeyError, TypeError):
            return _error(400, "invalidValue", "The request body is not a liveChatMessage resource.", "youtube.parameter")
        if snippet.get("liveChatId") != self.live_chat_id:
            return _error(404, "liveChatNotFound", "The live chat cannot be found.")
        if snippet.get("type") != "textMessageEvent":
            return _error(400, "invalidValue", "snippet.type must be textMessageEvent.", "youtube.parameter")
        if not text or len(text) > 200:
            return _error(400, "messageTextInvalid", "The messageText is empty or longer than 200 characters.")
        with self.lock:
            self.inserted.append(body)
        # The inserted message joins the chat (liveChatMessages.list returns it like any other);
        # the answer is the liveChatMessage resource, snippet.authorChannelId included.
        message_id = self.add_message(self.owner_name, text, channel_id="UCowner", is_chat_owner=True)
        with self.lock:
            resource = next(m for m in reversed(self.messages) if m["id"] == message_id)
            answer = {key: resource[key] for key in ("kind", "etag", "id", "snippet")}
        return web.json_response(answer)

    async def _delete(self, request: web.Request) -> web.Response:
        if (refused := self._authorized(request)) is not None:
            return refused
        with self.lock:
            self.deleted.append(request.query.get("id", ""))
        return web.Response(status=204)

    async def _ban(self, request: web.Request) -> web.Response:
        if (refused := self._authorized(request)) is not None:
            return refused
        body = await request.json()
        ban_id = uuid.uuid4().hex
        with self.lock:
            self.bans.append(body)
            self._ban_ids.add(ban_id)
        return web.json_response({"kind": "youtube#liveChatBan", "id": ban_id, "snippet": body.get("snippet")})

    async def _unban(self, request: web.Request) -> web.Response:
        if (refused := self._authorized(request)) is not None:
            return refused
        ban_id = request.query.get("id", "")
        with self.lock:
            if ban_id not in self._ban_ids:
                return _error(404, "liveChatBanNotFound", "The ban that you are trying to delete cannot be found.")
            self._ban_ids.discard(ban_id)
            self.unbanned.append(ban_id)
        return web.Response(status=204)
