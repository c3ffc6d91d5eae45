"""The control API's routes: commands on the show's units, the read-only views and the assistant page.

Every command runs off the event loop (SQLite commits and overlay renders must not block it)
and answers ``{"ok": true, "event": …}``; a refused command raises :class:`LiveError`, which
the server's guard turns into a 400 (404 for :class:`NotFoundError`) with the reason in words.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Awaitable, Callable

import cv2
from aiohttp import web

from studio.control.page import strings_js
from studio.control.validation import ApiDescription, parse_json
from studio.core.i18n import _
from studio.live.errors import LiveError
from studio.live.platform_events import comments_since, orders_since

log = logging.getLogger(__name__)

# The request's JSON body as the guard parsed and checked it against the API document.
JSON_BODY: Any = web.RequestKey("json_body", object) if hasattr(web, "RequestKey") else "json_body"
WEB_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "web"


class ControlRoutes:
    """The route table and handlers for one ``LiveShow`` (``studio`` gives ``program.jpg``; may be None).

    ``offload(fn)`` runs ``fn`` on the server's worker threads and returns its result.
    """

    def __init__(self, live_show: Any, studio: Any | None, offload: Callable[[Callable[[], Any]], Awaitable[Any]]) -> None:
        self.live = live_show
        self.studio = studio
        self._offload = offload

    def add_to(self, r: web.UrlDispatcher) -> None:
        """Register every route but the event WebSocket (the server owns the sockets)."""
        r.add_get("/", self._page)
        r.add_get("/assistant", self._page)
        r.add_get("/assets/{name}", self._asset)
        r.add_get("/api/v1/openapi.json", self._openapi)
        r.add_get("/api/v1/state", self._state)
        r.add_get("/api/v1/products", self._products)
        r.add_get("/api/v1/catalog/errors", self._catalog_errors)
        r.add_post("/api/v1/products/unpin", self._call(lambda live, body, m: live.shelf.unpin()))
        r.add_post("/api/v1/products/{sku}/pin", self._call(lambda live, body, m: live.shelf.pin(m["sku"])))
        r.add_get("/api/v1/program.jpg", self._program)
        r.add_post("/api/v1/coupons", self._call(lambda live, body, m: live.coupons.create(**_pick(body, (
            "code", "kind", "value", "quantity", "per_viewer_cap", "starts_at", "ends_at", "is_referral", "currency")))))
        r.add_post("/api/v1/coupons/hide", self._call(lambda live, body, m: live.coupons.show(None)))
        r.add_post("/api/v1/coupons/{code}/show", self._call(lambda live, body, m: live.coupons.show(m["code"])))
        r.add_post("/api/v1/coupons/{code}/end", self._call(lambda live, body, m: live.coupons.end(m["code"])))
        r.add_post("/api/v1/coupons/{code}/claim", self._call(lambda live, body, m: live.coupons.claim(
            m["code"], _required(body, "viewer"), body.get("invited_by"))))
        r.add_post("/api/v1/flash-sale", self._call(lambda live, body, m: live.flash_sale.start(
            _required(body, "sku"), _required(body, "stock"), **_pick(body, ("price", "preroll_s", "window_s", "per_buyer_cap")))))
        r.add_post("/api/v1/flash-sale/stop", self._call(lambda live, body, m: live.flash_sale.stop()))
        r.add_post("/api/v1/flash-sale/clear", self._call(lambda live, body, m: live.flash_sale.clear()))
        r.add_post("/api/v1/flash-sale/purchase", self._call(lambda live, body, m: live.flash_sale.purchase(
            _required(body, "buyer"), body.get("quantity", 1))))
        r.add_post("/api/v1/giveaway", self._call(lambda live, body, m: live.giveaway.open(
            _required(body, "keyword"), body.get("prize", ""), body.get("winners", 1), body.get("conditions"))))
        r.add_post("/api/v1/giveaway/draw", self._call(lambda live, body, m: live.giveaway.draw(body.get("count"))))
        r.add_post("/api/v1/giveaway/close", self._call(lambda live, body, m: live.giveaway.close()))
        r.add_get("/api/v1/comments", self._comments)
        r.add_post("/api/v1/comments", self._call(self._inbound_comments))
        r.add_get("/api/v1/orders", self._orders)
        r.add_post("/api/v1/platform-events", self._call(self._platform_events))
        r.add_post("/api/v1/comments/{id}", self._call(lambda live, body, m: live.comments.update(
            m["id"], **_pick(body, ("is_question", "is_hidden", "is_answered")))))
        r.add_post("/api/v1/comments/{id}/answer", self._call(lambda live, body, m: live.comments.pin_answer(m["id"], _required(body, "answer"))))
        r.add_post("/api/v1/comments/{id}/reply", self._call(lambda live, body, m: live.comments.reply(
            m["id"], **_pick(body, ("reply_id", "text", "pin")))))
        r.add_get("/api/v1/quick-replies", self._quick_replies)
        r.add_post("/api/v1/quick-replies", self._call(lambda live, body, m: live.quick_replies.save(
            _required(body, "text"), body.get("title", ""), body.get("id"))))
        r.add_post("/api/v1/quick-replies/{id}/delete", self._call(lambda live, body, m: live.quick_replies.delete(m["id"])))
        r.add_post("/api/v1/answer/unpin", self._call(lambda live, body, m: live.comments.unpin_answer()))
        r.add_post("/api/v1/users/{user}/block", self._call(lambda live, body, m: live.comments.block_user(m["user"], bool(body.get("is_blocked", True)))))
        r.add_post("/api/v1/segments", self._call(lambda live, body, m: live.rundown.set(_required(body, "segments"))))
        r.add_post("/api/v1/segments/next", self._call(lambda live, body, m: live.rundown.advance()))
        self._add_referrals(r)

    def _add_referrals(self, r: web.UrlDispatcher) -> None:
        """The referral programme (:mod:`studio.live.referrals`): rules, codes, joins, the host's decisions."""
        r.add_post("/api/v1/referrals/rules", self._call(lambda live, body, m: live.referrals.set_rules(body)))
        r.add_post("/api/v1/referrals/inviters", self._call(lambda live, body, m: live.referrals.add_inviter(
            _required(body, "viewer"), body.get("name", ""), body.get("fingerprints"))))
        r.add_post("/api/v1/referrals/joins", self._call(lambda live, body, m: live.referrals.join(
            _required(body, "code"), _required(body, "invitee"), body.get("platform", ""), body.get("fingerprints"))))
        r.add_post("/api/v1/referrals/orders", self._call(lambda live, body, m: live.referrals.order(_required(body, "invitee"))))
        r.add_post("/api/v1/referrals/rewards/{id}/grant", self._call(lambda live, body, m: live.referrals.grant(m["id"])))
        r.add_post("/api/v1/referrals/rewards/{id}/hold", self._call(lambda live, body, m: live.referrals.hold(m["id"])))
        r.add_post("/api/v1/referrals/leaderboard/show", self._call(lambda live, body, m: live.referrals.show_board(
            body.get("is_shown", True))))
        r.add_get("/api/v1/referrals/leaderboard", self._referral_leaderboard)
        r.add_get("/api/v1/referrals/ledger", self._referral_ledger)
        r.add_get("/api/v1/referrals/ledger.csv", self._referral_csv)

    def _call(self, action: Callable[[Any, dict, Any], Any]) -> Callable:
        async def handler(request: web.Request) -> web.Response:
            # The guard has checked the body against the API document and parsed it.
            body: Any = request[JSON_BODY] if JSON_BODY in request else parse_json(await request.read())
            if body is None:
                body = {}
            if not isinstance(body, (dict, list)):
                raise LiveError(_("The request body must be a JSON object."))
            try:
                result = await self._offload(lambda: action(self.live, body, request.match_info))
            except TypeError:  # a field of the wrong shape the document let through
                log.warning("bad request body for %s", request.path, exc_info=True)
                raise LiveError(_("The request has a field of the wrong type.")) from None
            return web.json_response({"ok": True, "event": result})
        return handler

    @staticmethod
    def _inbound_comments(live: Any, body: Any, _match: Any) -> dict[str, Any]:
        items = body if isinstance(body, list) else [body]
        accepted = 0
        errors = []
        for index, item in enumerate(items):
            try:
                if live.comments.add(item) is not None:
                    accepted += 1
            except LiveError as err:
                errors.append({"index": index, "error": err.message})
        return {"accepted": accepted, "errors": errors}

    @staticmethod
    def _platform_events(live: Any, body: Any, _match: Any) -> dict[str, Any]:
        """The generic connector's inbound route: one event (a bad one is a 400 in words) or a
        list (each bad one listed by index, the others taken); a repeat of an event already
        taken (same platform and id) is counted, not taken twice."""
        from studio.connectors.errors import ConnectorError
        from studio.live.audience import audience_for

        hub = audience_for(live).hub
        items = body if isinstance(body, list) else [body]
        accepted = duplicates = 0
        errors = []
        for index, item in enumerate(items):
            try:
                if hub.ingest(item) is None:
                    duplicates += 1
                else:
                    accepted += 1
            except ConnectorError as err:
                if not isinstance(body, list):
                    raise LiveError(str(err)) from None
                errors.append({"index": index, "error": str(err)})
        return {"accepted": accepted, "duplicates": duplicates, "errors": errors}

    async def _openapi(self, request: web.Request) -> web.Response:
        return web.Response(body=ApiDescription.load().raw, content_type="application/json", charset="utf-8")

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(await self._offload(self.live.snapshot))

    async def _products(self, request: web.Request) -> web.Response:
        # The contract's body is the catalog itself: a JSON array of products.
        return web.json_response(await self._offload(self.live.shelf.to_json))

    async def _quick_replies(self, request: web.Request) -> web.Response:
        return web.json_response({"quick_replies": self.live.quick_replies.to_json()})

    async def _referral_leaderboard(self, request: web.Request) -> web.Response:
        size = _whole(request.query.get("limit"), 5, 1, 100)
        return web.json_response({"leaderboard": await self._offload(lambda: self.live.referrals.leaderboard(size))})

    async def _referral_ledger(self, request: web.Request) -> web.Response:
        return web.json_response(await self._offload(self.live.referrals.to_json))

    async def _referral_csv(self, request: web.Request) -> web.Response:
        text = await self._offload(self.live.referrals.csv_text)
        return web.Response(text=text, content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": 'attachment; filename="referral-ledger.csv"'})

    async def _catalog_errors(self, request: web.Request) -> web.Response:
        return web.json_response({"errors": self.live.shelf.catalog_errors})

    async def _comments(self, request: web.Request) -> web.Response:
        limit = _whole(request.query.get("limit"), 200, 1, 1000)  # checked against the API document
        if "since" in request.query:
            # The contract's merged queue: every comment (any platform) journaled after SEQ.
            since = _whole(request.query.get("since"), 0, 0, None)
            return web.json_response(await self._offload(lambda: comments_since(self.live.store, since, limit)))
        only_questions = request.query.get("questions") in ("1", "true")
        return web.json_response({"comments": await self._offload(lambda: self.live.comments.recent(only_questions, limit=limit))})

    async def _orders(self, request: web.Request) -> web.Response:
        since = _whole(request.query.get("since"), 0, 0, None)
        limit = _whole(request.query.get("limit"), 500, 1, 1000)
        return web.json_response(await self._offload(lambda: orders_since(self.live.store, since, limit)))

    async def _program(self, request: web.Request) -> web.Response:
        def encode() -> bytes | None:
            if self.studio is None:
                return None
            frame = self.studio.compositor.latest_program()
            if frame is None:
                return None
            ok, data = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, 80])
            return data.tobytes() if ok else None

        data = await self._offload(encode)
        if data is None:
            return web.json_response({"error": _("No program frame yet.")}, status=503)
        return web.Response(body=data, content_type="image/jpeg")

    async def _page(self, request: web.Request) -> web.StreamResponse:
        return self._file("assistant.html")

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name == "strings.js":
            response = web.Response(body=strings_js(), content_type="text/javascript", charset="utf-8")
            response.headers["Content-Security-Policy"] = "default-src 'none'"
            return response
        if name not in ("assistant.js", "assistant.css"):
            raise web.HTTPNotFound()
        return self._file(name)

    @staticmethod
    def _file(name: str) -> web.StreamResponse:
        types = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
        path = WEB_DIR / name
        response = web.Response(body=path.read_bytes(), content_type=types[path.suffix], charset="utf-8")
        response.headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
        return response



def _pick(body: Any, names: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise LiveError(_("The request body must be a JSON object."))
    return {name: body[name] for name in names if name in body}


def _required(body: Any, name: str) -> Any:
    if not isinstance(body, dict) or body.get(name) in (None, ""):
        raise LiveError(_("“{field}” is required.").format(field=name))
    return body[name]


def _whole(text: str | None, default: int, low: int, high: int | None) -> int:
    """A query parameter's whole number (the API document has checked its form and range)."""
    if text is None or not text.strip().lstrip("+").isdigit():
        return default
    value = max(low, int(text))
    return value if high is None else min(high, value)
