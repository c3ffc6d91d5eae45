"""YouTube Live chat and viewer count through the YouTube Data API v3.

Written from Google's reference:

- liveBroadcasts.list — https://developers.google.com/youtube/v3/live/docs/liveBroadcasts/list
  (``snippet.liveChatId`` of the broadcast; ``broadcastStatus=active`` for "my live one")
- liveChatMessages.list — https://developers.google.com/youtube/v3/live/docs/liveChatMessages/list
  (``GET /youtube/v3/liveChat/messages?liveChatId&part&pageToken``; wait at least
  ``pollingIntervalMillis`` and pass ``nextPageToken`` as ``pageToken``; messages oldest first;
  ``offlineAt`` once the stream went offline; 5 quota units per call)
- liveChatMessages.insert / delete — https://developers.google.com/youtube/v3/live/docs/liveChatMessages/insert
  (body ``{"snippet": {"liveChatId", "type": "textMessageEvent", "textMessageDetails":
  {"messageText"}}}``)
- liveChatBans.insert / delete — https://developers.google.com/youtube/v3/live/docs/liveChatBans/insert,
  https://developers.google.com/youtube/v3/live/docs/liveChatBans/delete (``DELETE
  /youtube/v3/liveChat/bans?id=<the id insert answered>``)
- videos.list ``liveStreamingDetails.concurrentViewers`` (a string; absent when hidden) —
  https://developers.google.com/youtube/v3/docs/videos#liveStreamingDetails
- errors — https://developers.google.com/youtube/v3/docs/errors and
  https://developers.google.com/youtube/v3/live/docs/errors (``{"error": {"code", "message",
  "errors": [{"domain", "reason", "message"}]}}``; 403 ``quotaExceeded``, 403
  ``rateLimitExceeded`` — also "sent too soon" polling —, 403 ``liveChatEnded`` /
  ``liveChatDisabled``, 404 ``liveChatNotFound``, 401 for an expired token)

YouTube chat has no threads: a reply to a viewer starts with "@name".  There is no public
API to pin a chat message, so PIN is not offered.  The messages we insert come back in
liveChatMessages.list like any other; the id (and the author's ``snippet.authorChannelId``)
from insert's answer keeps our own replies out of the audience's queue.
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from datetime import datetime
from decimal import Decimal
from typing import Any

from studio.connectors.base import Action, Connector, Emit, read_json
from studio.connectors.errors import (AuthError, ConnectorError, NotLiveYet, NotSupported, PlatformUnavailable,
                                      RateLimited, TokenExpired)
from studio.connectors.events import EventType, PlatformEvent, make_event
from studio.connectors.oauth import refresh_access_token
from studio.core.i18n import _

API_ORIGIN = "https://www.googleapis.com"
OAUTH_ORIGIN = "https://oauth2.googleapis.com"
DEFAULT_POLL_S = 5.0  # when a response carries no pollingIntervalMillis
VIEWERS_INTERVAL_S = 30.0
MAX_MESSAGE_CHARS = 200  # liveChatMessages.insert: messageText is at most 200 characters
BAN_SECONDS = 300
OWN_MESSAGES_KEPT = 500  # ids of the replies we posted, to know them when the list returns them
# A used-up daily quota comes back at midnight Pacific time; asking again every 10 minutes costs
# nothing (refused calls are not charged) and notices a quota raised in the console meanwhile.
QUOTA_RETRY_S = 600.0


class YouTubeConnector(Connector):
    """Chat and concurrent viewers of one broadcast (``target`` = broadcast/video id, or
    'active' for the account's live broadcast)."""

    platform = "youtube"
    display_name = "YouTube"
    actions = frozenset({Action.REPLY, Action.DELETE, Action.BAN, Action.UNBAN})

    def __init__(self, target: str, credentials, *, viewers_interval_s: float = VIEWERS_INTERVAL_S,
                 quota_retry_s: float = QUOTA_RETRY_S, **kwargs: Any) -> None:
        super().__init__(target, credentials, **kwargs)
        self.quota_retry_s = float(quota_retry_s)
        self.api = (credentials.api_base or API_ORIGIN) + "/youtube/v3"
        self.token_url = (credentials.oauth_base or OAUTH_ORIGIN) + "/token"
        self.viewers_interval_s = float(viewers_interval_s)
        self.live_chat_id: str | None = None
        self.video_id: str | None = None
        self._page_token: str | None = None  # kept across reconnects: nothing twice, nothing skipped
        self._next_viewers_at = 0.0
        self.own_channel_id: str | None = None  # the channel our replies are posted as
        self._own_ids: OrderedDict[str, None] = OrderedDict()
        self._own_texts: deque[str] = deque(maxlen=50)  # for a reply whose insert answer never came
        self.echoes_skipped = 0
        self._bans: dict[str, str] = {}  # banned channel id -> the ban's id (to lift it)

    # ------------------------------------------------------------------ HTTP

    async def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                    body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.require_token()}", "Accept": "application/json"}
        async with self.http.request(method, self.api + path, params=params, json=body, headers=headers) as response:
            data = await read_json(response)
            if response.status < 300:
                return data
            self._raise_for(response.status, data)

    def _raise_for(self, status: int, data: Any) -> None:
        error = data.get("error") if isinstance(data, dict) else None
        errors = error.get("errors") if isinstance(error, dict) else None
        reason = errors[0].get("reason") if isinstance(errors, list) and errors and isinstance(errors[0], dict) else None
        if status == 401:
            raise TokenExpired(_("YouTube refused the access token."))
        if reason == "quotaExceeded":
            raise RateLimited(_("YouTube's daily API quota is used up (it resets at midnight Pacific time); "
                                "chat reading pauses."), self.quota_retry_s, is_quota=True)
        if reason in ("rateLimitExceeded", "userRateLimitExceeded") or status == 429:
            raise RateLimited(_("YouTube asks us to slow down (rate limit)."))
        if reason in ("liveChatEnded", "liveChatNotFound"):
            self.live_chat_id = None
            self._page_token = None
            raise NotLiveYet(_("The YouTube live chat has ended or is not open."))
        if reason == "liveChatDisabled":
            raise AuthError(_("Live chat is turned off for this YouTube broadcast."))
        if status in (403, 404):
            raise AuthError(_("YouTube refused the request ({reason}): check that the account owns or moderates "
                              "broadcast {target}.").format(reason=reason or status, target=self.target))
        if status >= 500:
            raise PlatformUnavailable(_("YouTube answered with a server error ({status}).").format(status=status))
        raise ConnectorError(_("YouTube refused the request ({reason}).").format(reason=reason or status))

    async def refresh_token(self) -> None:
        await refresh_access_token(self.http, self.token_url, self.credentials, self.display_name)

    # ------------------------------------------------------------------ reading

    async def _find_chat(self) -> None:
        params: dict[str, Any] = {"part": "snippet,status"}
        if self.target in ("", "active", "mine"):
            params.update(broadcastStatus="active", broadcastType="all")
        else:
            params["id"] = self.target
        data = await self._call("GET", "/liveBroadcasts", params=params)
        items = data.get("items") if isinstance(data, dict) else None
        for item in items or []:
            chat_id = (item.get("snippet") or {}).get("liveChatId") if isinstance(item, dict) else None
            if chat_id:
                self.live_chat_id, self.video_id = str(chat_id), str(item.get("id") or self.target)
                return
        raise NotLiveYet(_("YouTube broadcast {target} has no live chat yet.").format(target=self.target or "active"))

    async def session(self, emit: Emit) -> None:
        if self.live_chat_id is None:
            await self._find_chat()
        while True:
            params = {"liveChatId": self.live_chat_id, "part": "id,snippet,authorDetails"}
            if self._page_token:
                params["pageToken"] = self._page_token
            data = await self._call("GET", "/liveChat/messages", params=params)
            if not isinstance(data, dict):
                raise PlatformUnavailable(_("YouTube answered without a message list."))
            self.mark_live(_("Reading YouTube chat."))
            for item in data.get("items") or []:
                if self._is_own(item):
                    self.echoes_skipped += 1
                    continue
                event = self._event_from(item)
                if event is not None:
                    await emit(event)
            if data.get("nextPageToken"):
                self._page_token = str(data["nextPageToken"])
            if time.monotonic() >= self._next_viewers_at:
                await self._poll_viewers(emit)
            if data.get("offlineAt"):
                self.live_chat_id = None
                self._page_token = None
                return  # the stream went offline: run() waits, then looks for a live chat again
            interval_ms = data.get("pollingIntervalMillis")
            wait_s = interval_ms / 1000.0 if isinstance(interval_ms, (int, float)) and interval_ms >= 0 else DEFAULT_POLL_S
            await asyncio.sleep(wait_s)

    async def _poll_viewers(self, emit: Emit) -> None:
        self._next_viewers_at = time.monotonic() + self.viewers_interval_s
        data = await self._call("GET", "/videos", params={"part": "liveStreamingDetails", "id": self.video_id})
        items = data.get("items") if isinstance(data, dict) else None
        details = (items[0].get("liveStreamingDetails") or {}) if items and isinstance(items[0], dict) else {}
        viewers = details.get("concurrentViewers")
        try:
            count = int(viewers)
        except (TypeError, ValueError):
            return  # hidden by the owner or not live: no figure rather than an invented one
        now = time.time()
        await emit(PlatformEvent(platform=self.platform, type=EventType.VIEWERS,
                                 platform_id=f"viewers:{self.video_id}:{int(now * 1000)}", t=now, count=count))

    def _is_own(self, item: Any) -> bool:
        """A reply we posted, now listed back to us (not the audience speaking)."""
        if not isinstance(item, dict):
            return False
        if item.get("id") in self._own_ids:
            return True
        snippet = item.get("snippet") or {}
        details = item.get("authorDetails") or {}
        author = details.get("channelId") or snippet.get("authorChannelId")
        text = (snippet.get("textMessageDetails") or {}).get("messageText") or snippet.get("displayMessage")
        # Listed before insert's answer reached us (or the answer was lost): our text, from our channel.
        is_ours = (self.own_channel_id is not None and author == self.own_channel_id) or details.get("isChatOwner") is True
        return is_ours and text in self._own_texts

    def _remember_own(self, answer: Any, message: str) -> None:
        if not isinstance(answer, dict):
            return
        if answer.get("id"):
            self._own_ids[str(answer["id"])] = None
            while len(self._own_ids) > OWN_MESSAGES_KEPT:
                self._own_ids.popitem(last=False)
        channel = (answer.get("snippet") or {}).get("authorChannelId")
        if isinstance(channel, str) and channel:
            self.own_channel_id = channel

    def _event_from(self, item: Any) -> PlatformEvent | None:
        if not isinstance(item, dict) or not item.get("id"):
            return None
        snippet = item.get("snippet") or {}
        author = item.get("authorDetails") or {}
        kind = snippet.get("type")
        common = dict(author=author.get("displayName"), author_id=author.get("channelId") or snippet.get("authorChannelId"),
                      t=_timestamp(snippet.get("publishedAt")))
        if kind == "textMessageEvent":
            text = (snippet.get("textMessageDetails") or {}).get("messageText") or snippet.get("displayMessage")
            return make_event(self.platform, EventType.COMMENT, item["id"], text=text, **common)
        if kind in ("superChatEvent", "superStickerEvent"):
            details = snippet.get("superChatDetails") or snippet.get("superStickerDetails") or {}
            text = details.get("userComment") or ((details.get("superStickerMetadata") or {}).get("altText"))
            return make_event(self.platform, EventType.GIFT, item["id"], text=text, count=1,
                              amount=_micros(details.get("amountMicros")), currency=details.get("currency"),
                              extra={"kind": kind, "display": str(details.get("amountDisplayString") or "")[:40]},
                              **common)
        return None  # membership, polls, deletions…: not audience events of ours

    # ------------------------------------------------------------------ writing

    async def reply(self, text: str, to: PlatformEvent | None = None) -> None:
        if self.live_chat_id is None:
            raise NotLiveYet(_("The YouTube live chat is not open yet; the reply was not sent."))
        message = f"@{to.author} {text}" if to is not None and to.author else text
        if len(message) > MAX_MESSAGE_CHARS:
            raise ConnectorError(_("YouTube chat messages are at most {n} characters; this one has {m}.").format(
                n=MAX_MESSAGE_CHARS, m=len(message)))
        body = {"snippet": {"liveChatId": self.live_chat_id, "type": "textMessageEvent",
                            "textMessageDetails": {"messageText": message}}}
        self._own_texts.append(message)  # known before the answer: the list may return it first
        answer = await self.with_fresh_token(
            lambda: self._call("POST", "/liveChat/messages", params={"part": "snippet"}, body=body))
        self._remember_own(answer, message)

    async def moderate(self, action: Action, event: PlatformEvent) -> None:
        if action is Action.DELETE:
            await self.with_fresh_token(lambda: self._call("DELETE", "/liveChat/messages", params={"id": event.platform_id}))
        elif action is Action.BAN and event.author_id and self.live_chat_id:
            body = {"snippet": {"liveChatId": self.live_chat_id, "type": "temporary", "banDurationSeconds": BAN_SECONDS,
                                "bannedUserDetails": {"channelId": event.author_id}}}
            answer = await self.with_fresh_token(
                lambda: self._call("POST", "/liveChat/bans", params={"part": "snippet"}, body=body))
            if isinstance(answer, dict) and answer.get("id"):
                self._bans[event.author_id] = str(answer["id"])
        elif action is Action.UNBAN and event.author_id:
            ban_id = self._bans.get(event.author_id)
            if ban_id is None:
                raise NotSupported(_("This YouTube ban was not made in this session; lift it in YouTube Studio."))
            await self.with_fresh_token(lambda: self._call("DELETE", "/liveChat/bans", params={"id": ban_id}))
            self._bans.pop(event.author_id, None)
        else:
            await super().moderate(action, event)



def _timestamp(value: Any) -> float:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    return time.time()


def _micros(value: Any) -> str | None:
    try:
        return format(Decimal(str(value)) / Decimal(1_000_000), "f")
    except (ArithmeticError, ValueError, TypeError):  # absent or not a number: no amount rather than a wrong one
        return None
