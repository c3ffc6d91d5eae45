"""A stand-in for Twitch chat (IRC over WebSocket), the Helix API and Twitch's token endpoint.

Shapes from Twitch's reference: IRC concepts and tags (https://dev.twitch.tv/docs/chat/irc/,
https://dev.twitch.tv/docs/irc/tags/), sending and replying
(https://dev.twitch.tv/docs/irc/send-receive-messages/), Get Streams, Delete Chat Messages and
Ban User (https://dev.twitch.tv/docs/api/reference/), rate limits
(https://dev.twitch.tv/docs/api/guide/#twitch-rate-limits), refresh tokens
(https://dev.twitch.tv/docs/authentication/refresh-tokens/), the Device Code Grant flow
(https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#device-code-grant-flow:
``POST /oauth2/device`` → ``device_code``, ``expires_in``, ``interval``, ``user_code``,
``verification_uri``; ``POST /oauth2/token`` with
``grant_type=urn:ietf:params:oauth:grant-type:device_code`` → 400 ``{"status": 400, "message":
"authorization_pending"}`` until the user approves; RFC 8628 §3.5 ``slow_down`` /
``access_denied``; ``invalid device code`` once expired) and token validation
(https://dev.twitch.tv/docs/authentication/validate-tokens/: ``GET /oauth2/validate`` with
``Authorization: OAuth <token>`` → ``client_id``, ``login``, ``scopes``, ``user_id``,
``expires_in``; 401 ``invalid access token``).  The chat WebSocket is served at
the origin's root, Helix under ``/helix``, the token endpoint at ``/oauth2/token``.

A test can say things in chat (one line per frame, or several lines in one frame as Twitch
does), send PING and RECONNECT, expire the token (the chat login then fails with
``NOTICE * :Login authentication failed`` and Helix answers 401), answer Helix with 429 and
``Ratelimit-*`` headers, and go down / come back on the same port.
"""
from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from bench.testbed.platforms.server import StandInServer

HOST = "tmi.twitch.tv"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\:").replace(" ", "\\s").replace("\r", "\\r").replace("\n", "\\n")


def _tags(tags: dict[str, Any]) -> str:
    return "@" + ";".join(f"{key}={_escape(str(value))}" for key, value in tags.items())


class TwitchStandIn(StandInServer):
    name = "twitch-standin"

    def __init__(self, *, channel: str = "shopchannel", room_id: str = "1001", bot_login: str = "shopbot",
                 bot_user_id: str = "2002", access_token: str = "first-access-token",
                 refresh_token: str = "first-refresh-token", client_id: str = "twitch-client-id",
                 client_secret: str = "twitch-client-secret") -> None:
        super().__init__()
        self.channel = channel
        self.room_id = room_id
        self.bot_login = bot_login
        self.bot_user_id = bot_user_id
        self.valid_tokens = {access_token}
        self.refresh_token = refresh_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.is_live = True
        self.viewer_count = 0
        self.rate_limit_left = 0
        self.refuse_messages_with: str | None = None  # a NOTICE msg-id such as "msg_ratelimit"
        self.received: list[tuple[dict[str, str], str, str]] = []  # (tags, channel, text) of our client's PRIVMSGs
        self.raw_from_clients: list[str] = []  # every line a client sent, PASS masked
        self.pongs = 0
        self.logins = 0
        self.failed_logins = 0
        self.refreshes = 0
        self.helix_unauthorized = 0
        self.deleted: list[dict[str, str]] = []
        self.bans: list[tuple[dict[str, str], Any]] = []
        self.unbans: list[dict[str, str]] = []
        self._clients: set[web.WebSocketResponse] = set()
        self._joined: set[web.WebSocketResponse] = set()
        self._ids = itertools.count(1)
        self.device_interval_s = 5  # seconds, an integer as Twitch sends it
        self.device_expires_in_s = 1800
        self.slow_down_left = 0  # answer this many device polls with slow_down
        self.device_polls = 0

    # ------------------------------------------------------------------ test controls

    def device_answer(self, user_code: str, answer: str) -> None:
        """The account holder types ``user_code`` on the activation page and answers
        "approve" or "deny"."""
        with self.lock:
            self._device_for(user_code)["state"] = answer

    def say(self, user: str, text: str, *, bits: int | None = None, reply_parent: str | None = None,
            message_id: str | None = None) -> str:
        message_id = message_id or str(uuid.UUID(int=next(self._ids)))
        self.call(self._broadcast, [self._privmsg(user, text, message_id, bits, reply_parent)])
        return message_id

    def say_many(self, lines: list[tuple[str, str]]) -> list[str]:
        """Several messages in one WebSocket frame (``\\r\\n``-separated), as Twitch batches them."""
        ids = [str(uuid.UUID(int=next(self._ids))) for _ in lines]
        self.call(self._broadcast, [self._privmsg(u, t, i, None, None) for (u, t), i in zip(lines, ids)], True)
        return ids

    def gift_subs(self, user: str, count: int) -> str:
        notice_id = str(uuid.uuid4())
        tags = {"display-name": user, "id": notice_id, "login": user.lower(), "msg-id": "submysterygift",
                "msg-param-mass-gift-count": count, "room-id": self.room_id, "system-msg": f"{user} is gifting {count} subs!",
                "tmi-sent-ts": int(time.time() * 1000), "user-id": "3003"}
        self.call(self._broadcast, [f"{_tags(tags)} :{HOST} USERNOTICE #{self.channel}"])
        return notice_id

    def ping(self) -> None:
        self.call(self._broadcast, [f"PING :{HOST}"], False, False)

    def send_reconnect(self) -> None:
        self.call(self._reconnect_all)

    @property
    def joined(self) -> int:
        return len(self._joined)

    # ------------------------------------------------------------------ chat

    def _privmsg(self, user: str, text: str, message_id: str, bits: int | None, reply_parent: str | None) -> str:
        tags: dict[str, Any] = {"badge-info": "", "badges": "", "color": "#1E90FF", "display-name": user,
                                "emotes": "", "first-msg": 0, "flags": "", "id": message_id, "mod": 0,
                                "room-id": self.room_id, "subscriber": 0, "tmi-sent-ts": int(time.time() * 1000),
                                "turbo": 0, "user-id": str(abs(hash(user)) % 10**8), "user-type": ""}
        if bits:
            tags["bits"] = bits
        if reply_parent:
            tags["reply-parent-msg-id"] = reply_parent
        login = user.lower().replace(" ", "_")
        return f"{_tags(tags)} :{login}!{login}@{login}.{HOST} PRIVMSG #{self.channel} :{text}"

    async def _broadcast(self, lines: list[str], one_frame: bool = False, joined_only: bool = True) -> None:
        clients = list(self._joined if joined_only else self._clients)
        for ws in clients:
            if one_frame:
                await ws.send_str("\r\n".join(lines) + "\r\n")
            else:
                for line in lines:
                    await ws.send_str(line + "\r\n")

    async def _reconnect_all(self) -> None:
        for ws in list(self._clients):
            await ws.send_str(f":{HOST} RECONNECT\r\n")

    async def before_close(self) -> None:
        for ws in list(self._clients):
            await ws.close()

    async def _chat(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._clients.add(ws)
        capabilities: set[str] = set()
        password = nick = None
        try:
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    continue
                for line in frame.data.split("\r\n"):
                    if not line:
                        continue
                    with self.lock:
                        self.raw_from_clients.append("PASS ***" if line.startswith("PASS ") else line)
                    if line.startswith("CAP REQ :"):
                        capabilities.update(line[9:].split())
                        await ws.send_str(f":{HOST} CAP * ACK :{line[9:]}\r\n")
                    elif line.startswith("PASS "):
                        password = line[5:]
                    elif line.startswith("NICK "):
                        nick = line[5:].strip()
                        if not (password and password.startswith("oauth:") and password[6:] in self.valid_tokens):
                            self.failed_logins += 1
                            await ws.send_str(f":{HOST} NOTICE * :Login authentication failed\r\n")
                            await ws.close()
                            break
                        self.logins += 1
                        welcome = [f":{HOST} 001 {nick} :Welcome, GLHF!", f":{HOST} 002 {nick} :Your host is {HOST}",
                                   f":{HOST} 003 {nick} :This server is rather new", f":{HOST} 004 {nick} :-",
                                   f":{HOST} 375 {nick} :-", f":{HOST} 372 {nick} :You are in a maze of twisty passages.",
                                   f":{HOST} 376 {nick} :>"]
                        if "twitch.tv/commands" in capabilities and "twitch.tv/tags" in capabilities:
                            welcome.append(f"{_tags({'display-name': nick, 'user-id': self.bot_user_id, 'user-type': ''})} "
                                           f":{HOST} GLOBALUSERSTATE")
                        await ws.send_str("\r\n".join(welcome) + "\r\n")
                    elif line.startswith("JOIN #"):
                        channel = line[6:].strip()
                        self._joined.add(ws)
                        await ws.send_str(f":{nick}!{nick}@{nick}.{HOST} JOIN #{channel}\r\n"
                                          f":{nick}.{HOST} 353 {nick} = #{channel} :{nick}\r\n"
                                          f":{nick}.{HOST} 366 {nick} #{channel} :End of /NAMES list\r\n"
                                          f"{_tags({'emote-only': 0, 'followers-only': -1, 'r9k': 0, 'room-id': self.room_id, 'slow': 0, 'subs-only': 0})}"
                                          f" :{HOST} ROOMSTATE #{channel}\r\n")
                    elif line.startswith("PONG"):
                        self.pongs += 1
                    elif "PRIVMSG #" in line:
                        tags: dict[str, str] = {}
                        rest = line
                        if rest.startswith("@"):
                            raw, _s, rest = rest[1:].partition(" ")
                            tags = dict(item.partition("=")[::2] for item in raw.split(";"))
                        head, _s, text = rest.partition(" :")
                        if self.refuse_messages_with:
                            await ws.send_str(f"@msg-id={self.refuse_messages_with} :{HOST} NOTICE #{self.channel} "
                                              ":Your message was not sent because you are sending messages too quickly.\r\n")
                            continue
                        with self.lock:
                            self.received.append((tags, head.split()[1].lstrip("#"), text))
                        await ws.send_str(f"{_tags({'display-name': nick, 'mod': 0})} :{HOST} USERSTATE #{self.channel}\r\n")
        finally:
            self._clients.discard(ws)
            self._joined.discard(ws)
        return ws

    # ------------------------------------------------------------------ Helix and OAuth

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._chat)
        app.router.add_get("/helix/streams", self._streams)
        app.router.add_delete("/helix/moderation/chat", self._delete)
        app.router.add_post("/helix/moderation/bans", self._ban)
        app.router.add_delete("/helix/moderation/bans", self._unban)
        app.router.add_post("/oauth2/token", self._token)
        app.router.add_post("/oauth2/device", self._device)
        app.router.add_get("/oauth2/validate", self._validate)
        return app

    def _helix_refusal(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if request.headers.get("Client-Id") != self.client_id or not header.startswith("Bearer ") \
                or header[7:] not in self.valid_tokens:
            self.helix_unauthorized += 1
            return web.json_response({"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}, status=401)
        with self.lock:
            if self.rate_limit_left > 0:
                self.rate_limit_left -= 1
                return web.json_response({"error": "Too Many Requests", "status": 429, "message": "Too Many Requests"},
                                         status=429, headers={"Ratelimit-Limit": "800", "Ratelimit-Remaining": "0",
                                                              "Ratelimit-Reset": str(int(time.time()) + 1)})
        return None

    async def _streams(self, request: web.Request) -> web.Response:
        if (refused := self._helix_refusal(request)) is not None:
            return refused
        data = []
        if self.is_live and request.query.get("user_login", "").lower() == self.channel:
            data.append({"id": "40952121085", "user_id": self.room_id, "user_login": self.channel,
                         "user_name": self.channel.title(), "game_id": "509658", "game_name": "Just Chatting",
                         "type": "live", "title": "Flash sale", "viewer_count": self.viewer_count,
                         "started_at": "2026-12-07T10:00:00Z", "language": "en", "thumbnail_url": "", "tag_ids": [],
                         "tags": ["English"], "is_mature": False})
        return web.json_response({"data": data, "pagination": {}},
                                 headers={"Ratelimit-Limit": "800", "Ratelimit-Remaining": "799",
                                          "Ratelimit-Reset": str(int(time.time()) + 60)})

    async def _delete(self, request: web.Request) -> web.Response:
        if (refused := self._helix_refusal(request)) is not None:
            return refused
        if request.query.get("broadcaster_id") != self.room_id or request.query.get("moderator_id") != self.bot_user_id:
            return web.json_response({"error": "Forbidden", "status": 403, "message": "not a moderator"}, status=403)
        with self.lock:
            self.deleted.append(dict(request.query))
        return web.Response(status=204)

    async def _ban(self, request: web.Request) -> web.Response:
        if (refused := self._helix_refusal(request)) is not None:
            return refused
        body = await request.json()
        with self.lock:
            self.bans.append((dict(request.query), body))
        return web.json_response({"data": [{"broadcaster_id": self.room_id, "moderator_id": self.bot_user_id,
                                            "user_id": body["data"]["user_id"], "created_at": "2026-12-07T10:00:00Z",
                                            "end_time": None}]})

    async def _device(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_id") != self.client_id:
            return web.json_response({"status": 400, "message": "invalid client"}, status=400)
        device_code, user_code = uuid.uuid4().hex, uuid.uuid4().hex[:8].upper()
        with self.lock:
            self._devices[device_code] = {"user_code": user_code, "state": "pending", "scopes": str(form.get("scopes") or ""),
                                          "expires_at": time.monotonic() + self.device_expires_in_s}
        return web.json_response({"device_code": device_code, "expires_in": self.device_expires_in_s,
                                  "interval": self.device_interval_s, "user_code": user_code,
                                  "verification_uri": f"https://www.twitch.tv/activate?public=true&device-code={user_code}"})

    async def _device_grant(self, form) -> web.Response:
        def refused(message: str) -> web.Response:
            return web.json_response({"status": 400, "message": message}, status=400)

        if form.get("client_id") != self.client_id:
            return refused("invalid client")
        with self.lock:
            self.device_polls += 1
            device = self._devices.get(str(form.get("device_code") or ""))
            if device is None or device["expires_at"] < time.monotonic():
                return refused("invalid device code")
            if self.slow_down_left > 0:
                self.slow_down_left -= 1
                return refused("slow_down")
            if device["state"] == "pending":
                return refused("authorization_pending")
            if device["state"] == "deny":
                del self._devices[str(form["device_code"])]
                return refused("access_denied")
            del self._devices[str(form["device_code"])]
            token, refresh = uuid.uuid4().hex, uuid.uuid4().hex
            self.valid_tokens.add(token)
            self.refresh_token = refresh
        return web.json_response({"access_token": token, "expires_in": 14124, "refresh_token": refresh,
                                  "scope": device["scopes"].split(), "token_type": "bearer"})

    async def _validate(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        if not header.startswith("OAuth ") or header[6:] not in self.valid_tokens:
            return web.json_response({"status": 401, "message": "invalid access token"}, status=401)
        return web.json_response({"client_id": self.client_id, "login": self.bot_login,
                                  "scopes": ["chat:edit", "chat:read"], "user_id": self.bot_user_id, "expires_in": 14000})

    async def _unban(self, request: web.Request) -> web.Response:
        if (refused := self._helix_refusal(request)) is not None:
            return refused
        query = dict(request.query)
        with self.lock:
            banned = {str(body["data"]["user_id"]) for _q, body in self.bans}
            if query.get("user_id") not in banned:
                return web.json_response({"error": "Bad Request", "status": 400,
                                          "message": "The user specified in the user_id field is not banned."},
                                         status=400)
            self.unbans.append(query)
        return web.Response(status=204)

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code":
            return await self._device_grant(form)
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token \
                or form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return web.json_response({"status": 400, "message": "Invalid refresh token"}, status=400)
        token, rotated = uuid.uuid4().hex, uuid.uuid4().hex
        with self.lock:
            self.valid_tokens = {token}
            self.refresh_token = rotated  # Twitch may hand out a new refresh token
            self.refreshes += 1
        return web.json_response({"access_token": token, "refresh_token": rotated, "expires_in": 14124,
                                  "scope": ["chat:edit", "chat:read", "moderator:manage:chat_messages"],
                                  "token_type": "bearer"})
