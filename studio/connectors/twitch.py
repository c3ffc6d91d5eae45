"""Twitch chat over IRC-on-WebSocket and the viewer count from the Helix API.

Written from Twitch's reference:

- IRC concepts — https://dev.twitch.tv/docs/chat/irc/ (``wss://irc-ws.chat.twitch.tv:443``;
  ``CAP REQ :twitch.tv/tags twitch.tv/commands``, ``PASS oauth:<token>``, ``NICK <login>``,
  ``JOIN #<channel>``; answer ``PING :tmi.twitch.tv`` with ``PONG :tmi.twitch.tv``; one
  WebSocket frame may hold several ``\\r\\n``-separated lines; a failed login is
  ``NOTICE * :Login authentication failed``; ``RECONNECT`` asks the client to reconnect)
- tags — https://dev.twitch.tv/docs/chat/irc/#twitch-irc-tags and
  https://dev.twitch.tv/docs/irc/tags/ (``id``, ``display-name``, ``user-id``, ``tmi-sent-ts``,
  ``bits``, ``reply-parent-msg-id``, ``room-id``; values escape ``;`` space ``\\`` CR LF as
  ``\\:`` ``\\s`` ``\\\\`` ``\\r`` ``\\n``; USERNOTICE ``msg-id`` sub/resub/subgift…)
- replying — https://dev.twitch.tv/docs/irc/send-receive-messages/
  (``@reply-parent-msg-id=<id> PRIVMSG #<channel> :<text>``; at most 500 characters)
- Get Streams — https://dev.twitch.tv/docs/api/reference/#get-streams
  (``GET /helix/streams?user_login=`` with ``Authorization: Bearer`` and ``Client-Id``;
  ``data[0].viewer_count``; an empty ``data`` when the channel is offline)
- rate limits — https://dev.twitch.tv/docs/api/guide/#twitch-rate-limits (429 with
  ``Ratelimit-Limit``/``-Remaining``/``-Reset``, the reset as a Unix time)
- Delete Chat Messages / Ban User — https://dev.twitch.tv/docs/api/reference/#delete-chat-messages,
  https://dev.twitch.tv/docs/api/reference/#ban-user, https://dev.twitch.tv/docs/api/reference/#unban-user
  (``DELETE /moderation/bans?broadcaster_id&moderator_id&user_id``) (``broadcaster_id`` = the ``room-id`` tag,
  ``moderator_id`` = our ``user-id`` from GLOBALUSERSTATE)
- refreshing tokens — https://dev.twitch.tv/docs/authentication/refresh-tokens/

IRC keeps no history: what is said while we are disconnected is not sent to us later.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from studio.connectors.base import Action, Connector, Emit, read_json
from studio.connectors.errors import (AuthError, ConnectorError, NotLiveYet, PlatformUnavailable, RateLimited,
                                      TokenExpired)
from studio.connectors.events import EventType, PlatformEvent, make_event
from studio.connectors.oauth import refresh_access_token
from studio.core.i18n import _

log = logging.getLogger(__name__)
CHAT_URL = "wss://irc-ws.chat.twitch.tv:443"
API_ORIGIN = "https://api.twitch.tv"
OAUTH_ORIGIN = "https://id.twitch.tv"
VIEWERS_INTERVAL_S = 30.0
MAX_MESSAGE_CHARS = 500
BAN_SECONDS = 300
GIFT_NOTICES = frozenset({"sub", "resub", "subgift", "submysterygift", "giftpaidupgrade", "anongiftpaidupgrade"})
_TAG_ESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}


@dataclass
class IrcMessage:
    command: str
    params: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    prefix: str = ""

    @property
    def nick(self) -> str:
        return self.prefix.split("!", 1)[0]

    @property
    def trailing(self) -> str:
        return self.params[-1] if self.params else ""


def unescape_tag(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append(_TAG_ESCAPES.get(value[i + 1], value[i + 1]))
            i += 2
        else:
            if value[i] != "\\":
                out.append(value[i])
            i += 1
    return "".join(out)


def parse_irc(line: str) -> IrcMessage:
    """One IRC line (IRCv3 tags, prefix, command, params, trailing)."""
    tags: dict[str, str] = {}
    rest = line
    if rest.startswith("@"):
        raw, _sep, rest = rest[1:].partition(" ")
        for item in raw.split(";"):
            key, _eq, value = item.partition("=")
            tags[key] = unescape_tag(value)
    prefix = ""
    if rest.startswith(":"):
        prefix, _sep, rest = rest[1:].partition(" ")
    head, sep, trailing = rest.partition(" :")
    parts = head.split()
    params = parts[1:] + ([trailing] if sep else [])
    return IrcMessage(command=(parts[0] if parts else "").upper(), params=params, tags=tags, prefix=prefix)


class TwitchConnector(Connector):
    """Chat and viewer count of one channel (``target`` = the channel's login name)."""

    platform = "twitch"
    display_name = "Twitch"
    actions = frozenset({Action.REPLY, Action.DELETE, Action.BAN, Action.UNBAN})

    def __init__(self, target: str, credentials, *, viewers_interval_s: float = VIEWERS_INTERVAL_S, **kwargs: Any) -> None:
        super().__init__(target, credentials, **kwargs)
        base = credentials.api_base
        self.api = (base or API_ORIGIN) + "/helix"
        # With another API origin (tests) the chat WebSocket is served at that origin's root.
        self.chat_url = (("wss" + base[5:] if base.startswith("https") else "ws" + base[4:]) + "/") if base else CHAT_URL
        self.token_url = (credentials.oauth_base or OAUTH_ORIGIN) + "/oauth2/token"
        self.viewers_interval_s = float(viewers_interval_s)
        self.room_id: str | None = None
        self.own_user_id: str | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    def _token(self) -> str:
        return self.require_token().removeprefix("oauth:")

    # ------------------------------------------------------------------ chat

    async def session(self, emit: Emit) -> None:
        token = self._token()
        viewers = asyncio.create_task(self._viewers_loop(emit), name=f"{self.name} viewers")
        try:
            async with self.http.ws_connect(self.chat_url, autoping=True) as ws:
                self._ws = ws
                await ws.send_str("CAP REQ :twitch.tv/tags twitch.tv/commands")
                await ws.send_str(f"PASS oauth:{token}")
                await ws.send_str(f"NICK {(self.credentials.nick or self.target).lower()}")
                async for frame in ws:
                    if frame.type is not aiohttp.WSMsgType.TEXT:
                        if frame.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                            break
                        continue
                    for line in frame.data.split("\r\n"):
                        if line:
                            await self._handle(parse_irc(line), ws, emit)
            raise PlatformUnavailable(_("Twitch closed the chat connection."))
        finally:
            self._ws = None
            viewers.cancel()
            await asyncio.gather(viewers, return_exceptions=True)

    async def _handle(self, message: IrcMessage, ws: aiohttp.ClientWebSocketResponse, emit: Emit) -> None:
        command = message.command
        if command == "PING":
            await ws.send_str(f"PONG :{message.trailing or 'tmi.twitch.tv'}")
        elif command == "001":
            await ws.send_str(f"JOIN #{self.target}")
        elif command == "NOTICE" and message.params[:1] == ["*"]:
            text = message.trailing.lower()
            if "authentication failed" in text or "improperly formatted auth" in text:
                raise TokenExpired(_("Twitch refused the chat login."))
        elif command == "NOTICE" and message.tags.get("msg-id", "").startswith("msg_"):
            # Our last message was not posted (msg_ratelimit, msg_banned, msg_followersonly…).
            self.note_quota(_("Twitch did not post the last message: {notice}").format(notice=message.trailing[:200]))
        elif command == "JOIN" and message.params[:1] == [f"#{self.target}"]:
            self.mark_live(_("Reading Twitch chat #{channel}.").format(channel=self.target))
        elif command == "ROOMSTATE":
            self.room_id = message.tags.get("room-id") or self.room_id
        elif command == "GLOBALUSERSTATE":
            self.own_user_id = message.tags.get("user-id") or self.own_user_id
        elif command == "RECONNECT":
            raise PlatformUnavailable(_("Twitch asked us to reconnect (server maintenance)."))
        elif command == "PRIVMSG":
            await emit(self._chat_event(message))
        elif command == "USERNOTICE" and message.tags.get("msg-id") in GIFT_NOTICES:
            await emit(self._notice_event(message))

    def _chat_event(self, message: IrcMessage) -> PlatformEvent:
        tags = message.tags
        text = message.trailing
        if text.startswith("\x01ACTION ") and text.endswith("\x01"):  # "/me waves"
            text = text[8:-1]
        common = dict(author=tags.get("display-name") or message.nick, author_id=tags.get("user-id"),
                      t=_sent_at(tags), reply_to=tags.get("reply-parent-msg-id") or None)
        message_id = tags.get("id") or f"{message.nick}:{tags.get('tmi-sent-ts') or time.time()}"
        bits = _int(tags.get("bits"))
        if bits:
            return make_event(self.platform, EventType.GIFT, message_id, text=text, count=bits,
                              extra={"kind": "bits"}, **common)
        return make_event(self.platform, EventType.COMMENT, message_id, text=text, **common)

    def _notice_event(self, message: IrcMessage) -> PlatformEvent:
        tags = message.tags
        kind = tags.get("msg-id", "")
        count = _int(tags.get("msg-param-mass-gift-count")) or 1
        return make_event(self.platform, EventType.GIFT, tags.get("id") or f"{kind}:{time.time()}",
                          text=message.trailing or tags.get("system-msg"), author=tags.get("display-name") or tags.get("login"),
                          author_id=tags.get("user-id"), t=_sent_at(tags), count=count, extra={"kind": kind})

    # ------------------------------------------------------------------ Helix

    async def _helix(self, method: str, path: str, *, params: dict[str, Any], body: Any = None) -> Any:
        if not self.credentials.client_id:
            raise AuthError(_("Twitch API calls need the app's client id: set BRIDGECAST_TWITCH_CLIENT_ID."))
        headers = {"Authorization": f"Bearer {self._token()}", "Client-Id": self.credentials.client_id}
        async with self.http.request(method, self.api + path, params=params, json=body, headers=headers) as response:
            data = await read_json(response)
            if response.status < 300:
                return data
            message = data.get("message") if isinstance(data, dict) else None
            if response.status == 401:
                raise TokenExpired(_("Twitch refused the access token."))
            if response.status == 429:
                reset = _int(response.headers.get("Ratelimit-Reset"))
                wait = max(1.0, reset - time.time()) if reset else None
                raise RateLimited(_("Twitch's API rate limit is reached (resets in {s:.0f} s).").format(s=wait or 60), wait)
            if response.status >= 500:
                raise PlatformUnavailable(_("Twitch answered with a server error ({status}).").format(status=response.status))
            raise ConnectorError(_("Twitch refused the request ({status}: {message}).").format(
                status=response.status, message=str(message or "")[:200]))

    async def _viewers_loop(self, emit: Emit) -> None:
        """Poll the viewer count beside the chat; its own trouble never ends the chat."""
        while True:
            wait = self.viewers_interval_s
            try:
                data = await self.with_fresh_token(lambda: self._helix("GET", "/streams", params={"user_login": self.target}))
                streams = data.get("data") if isinstance(data, dict) else None
                if streams:
                    count = _int(streams[0].get("viewer_count")) if isinstance(streams[0], dict) else None
                    if count is not None:
                        now = time.time()
                        await emit(PlatformEvent(platform=self.platform, type=EventType.VIEWERS,
                                                 platform_id=f"viewers:{self.target}:{int(now * 1000)}", t=now, count=count))
            except RateLimited as err:
                self.status.rate_limited += 1
                self.note_quota(str(err))
                wait = max(wait, err.retry_after_s or wait)
            except AuthError as err:
                self.note_quota(str(err))
                return
            except (ConnectorError, aiohttp.ClientError, OSError, asyncio.TimeoutError) as err:
                log.info("%s: viewer count unavailable (%s)", self.name, type(err).__name__)
            await asyncio.sleep(wait)

    async def refresh_token(self) -> None:
        await refresh_access_token(self.http, self.token_url, self.credentials, self.display_name)


    # ------------------------------------------------------------------ writing

    async def reply(self, text: str, to: PlatformEvent | None = None) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            raise NotLiveYet(_("Not connected to Twitch chat; the reply was not sent."))
        line = " ".join(text.split())  # no CR/LF may reach the IRC line
        if not line:
            raise ConnectorError(_("The reply is empty."))
        if len(line) > MAX_MESSAGE_CHARS:
            raise ConnectorError(_("Twitch chat messages are at most {n} characters; this one has {m}.").format(
                n=MAX_MESSAGE_CHARS, m=len(line)))
        tags = f"@reply-parent-msg-id={to.platform_id} " if to is not None and to.platform == self.platform else ""
        await ws.send_str(f"{tags}PRIVMSG #{self.target} :{line}")

    async def moderate(self, action: Action, event: PlatformEvent) -> None:
        if action not in (Action.DELETE, Action.BAN, Action.UNBAN):
            await super().moderate(action, event)
            return
        if not (self.room_id and self.own_user_id):
            raise NotLiveYet(_("Twitch has not told us the channel and moderator ids yet; try again in a moment."))
        params = {"broadcaster_id": self.room_id, "moderator_id": self.own_user_id}
        if action is Action.DELETE:
            await self.with_fresh_token(lambda: self._helix("DELETE", "/moderation/chat",
                                                         params={**params, "message_id": event.platform_id}))
        elif action is Action.UNBAN and event.author_id:
            await self.with_fresh_token(lambda: self._helix("DELETE", "/moderation/bans",
                                                         params={**params, "user_id": event.author_id}))
        elif event.author_id:
            body = {"data": {"user_id": event.author_id, "duration": BAN_SECONDS, "reason": "Bridgecast: moderated"}}
            await self.with_fresh_token(lambda: self._helix("POST", "/moderation/bans", params=params, body=body))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _sent_at(tags: dict[str, str]) -> float:
    sent = _int(tags.get("tmi-sent-ts"))
    return sent / 1000.0 if sent else time.time()
