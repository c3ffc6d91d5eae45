"""The generic connector: a documented inbound format for platforms without a public API.

TikTok LIVE and Lazada publish no comment API; a team's own bridge (a browser extension, a
seller-centre export script) sends events in the format of
``resources/schemas/platform-event.schema.json`` — to ``POST /api/v1/platform-events``, to
the control API's WebSocket, or, with ``BRIDGECAST_<NAME>_API_BASE`` set to a ``ws://`` or
``wss://`` URL, this connector reads them from the bridge's own WebSocket (one JSON event or
a list per message).  Every event is validated; what is wrong is said in words naming the
field, and a bad event never stops the others.
"""
from __future__ import annotations

import functools
import json
import logging
import time
import uuid
from typing import Any

import aiohttp
import jsonschema

from studio.connectors.base import Connector, Emit
from studio.connectors.errors import EventFormatError, NotLiveYet
from studio.connectors.events import EventType, PlatformEvent, decimal_text, make_event
from studio.core.i18n import _
from studio.core.paths import RESOURCES_DIR

log = logging.getLogger(__name__)
SCHEMA_PATH = RESOURCES_DIR / "schemas" / "platform-event.schema.json"
MAX_PROBLEMS_SHOWN = 5


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def problems(payload: Any) -> list[str]:
    """Everything wrong with ``payload``, each in words naming the field (empty: it is valid)."""
    if not isinstance(payload, dict):
        return [_("A platform event must be a JSON object.")]
    found: list[str] = []
    for error in sorted(_validator().iter_errors(payload), key=lambda e: list(e.absolute_path)):
        found.extend(_words(error, payload))
    return list(dict.fromkeys(found))


def _words(error: jsonschema.ValidationError, payload: dict[str, Any]) -> list[str]:
    field = ".".join(str(part) for part in error.absolute_path) or None
    kind = error.validator
    if kind == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        kind_of = payload.get("type", "")
        return [_("'{field}' is missing (a {type} event needs it).").format(field=name, type=kind_of)
                if kind_of else _("'{field}' is missing.").format(field=name) for name in missing]
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        return [_("'{field}' is not a field of a platform event (put extra data in 'extra').").format(field=name)
                for name in error.instance if name not in known]
    if kind == "enum":
        return [_("'{field}' must be one of: {values}.").format(field=field, values=", ".join(error.validator_value))]
    if kind == "type":
        return [_("'{field}' has the wrong type (expected {expected}).").format(
            field=field, expected=" or ".join(error.validator_value) if isinstance(error.validator_value, list)
            else error.validator_value)]
    if kind == "pattern":
        hints = {"platform": _("lower-case letters, digits, '.', '_' or '-', at most 32"),
                 "amount": _("a plain number such as 19.99"),
                 "currency": _("a three-letter ISO 4217 code such as USD")}
        return [_("'{field}' must be {hint}.").format(field=field, hint=hints.get(field or "", error.validator_value))]
    if kind in ("minLength",):
        return [_("'{field}' must not be empty.").format(field=field)]
    if kind in ("maxLength",):
        return [_("'{field}' is longer than {n} characters.").format(field=field, n=error.validator_value)]
    if kind in ("minimum",):
        return [_("'{field}' must be at least {n}.").format(field=field, n=error.validator_value)]
    return [_("'{field}' is not valid.").format(field=field or "event")]


def event_from_payload(payload: Any) -> PlatformEvent:
    """A :class:`PlatformEvent` from one inbound event; :class:`EventFormatError` when invalid."""
    found = problems(payload)
    if found:
        shown = " ".join(found[:MAX_PROBLEMS_SHOWN])
        if len(found) > MAX_PROBLEMS_SHOWN:
            shown += " " + _("({n} more problems.)").format(n=len(found) - MAX_PROBLEMS_SHOWN)
        raise EventFormatError(shown)
    type_ = EventType(payload["type"])
    platform_id = payload.get("id") or f"{type_.value}:{uuid.uuid4().hex}"  # no id: cannot be deduplicated
    return make_event(
        payload["platform"], type_, platform_id, text=payload.get("text"), author=payload.get("author"),
        author_id=payload.get("author_id"), t=float(payload.get("t") or time.time()), count=payload.get("count"),
        sku=payload.get("sku"), quantity=payload.get("quantity"), amount=decimal_text(payload.get("amount")),
        currency=payload.get("currency"), buyer=payload.get("buyer")[:64] if payload.get("buyer") else None,
        coupon=payload.get("coupon"), reply_to=payload.get("reply_to"), extra=dict(payload.get("extra") or {}),
    )


class GenericConnector(Connector):
    """A named inbound source ('generic:tiktok'): events come through the hub's ``ingest`` or,
    when the API base is a WebSocket URL, from that bridge."""

    platform = "generic"
    display_name = "Generic"

    def __init__(self, target: str, credentials, **kwargs: Any) -> None:
        super().__init__(target, credentials, **kwargs)
        self.display_name = target  # the platform's own name ('tiktok') in every message
        self.url = credentials.api_base if credentials.api_base and credentials.api_base.startswith(("ws://", "wss://")) else None
        self.rejected = 0
        self.last_problem: str | None = None

    async def session(self, emit: Emit) -> None:
        if self.url is None:
            self.mark_live(_("Waiting for events from {name} (POST /api/v1/platform-events).").format(name=self.target))
            await _forever()
        headers = {"Authorization": f"Bearer {self.credentials.token}"} if self.credentials.token else {}
        async with self.http.ws_connect(self.url, headers=headers, heartbeat=20) as ws:
            self.mark_live(_("Reading events from the {name} bridge.").format(name=self.target))
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(message.data)
                except ValueError:
                    self._reject(_("A message from the bridge is not JSON."))
                    continue
                for item in data if isinstance(data, list) else [data]:
                    try:
                        await emit(event_from_payload(item))
                    except EventFormatError as err:
                        self._reject(str(err))
        raise NotLiveYet(_("The {name} bridge closed the connection.").format(name=self.target))

    def credential_problem(self) -> str | None:
        return None  # posted events are checked by the control API's token; a bridge may need none

    def serves(self, platform: str) -> bool:
        return platform == self.target

    def _reject(self, problem: str) -> None:
        self.rejected += 1
        self.last_problem = problem
        self.status.message = _("Reading events from the {name} bridge; {n} refused, the last: {problem}").format(
            name=self.target, n=self.rejected, problem=problem)


async def _forever() -> None:
    import asyncio

    await asyncio.Event().wait()
