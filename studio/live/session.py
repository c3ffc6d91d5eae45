"""``LiveShow``: the live commerce state of one show, journaled to SQLite and drawn on the program.

Every command validates, writes one journal event plus the new state in one SQLite
transaction, emits ``event`` (``studio.core.events.Signal``: ``emit(event=dict)``) and refreshes the
affected overlay.  Deadlines are absolute wall-clock seconds from the injected ``clock`` so a
restart after SIGKILL resumes countdowns with the right remaining time.
"""
from __future__ import annotations

import copy
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

from studio.core.clock import now_ns
from studio.core.events import Signal
from studio.core.i18n import _
from studio.live import giveaway as draw
from studio.live import render
from studio.live.catalog import CatalogResult, Product, import_catalog
from studio.live.comments import DEFAULT_KEYWORDS, CommentAdapter, parse_generic
from studio.live.errors import LiveError, NotFoundError
from studio.live.store import LiveStore
from studio.overlays import Animation, Overlay

log = logging.getLogger(__name__)

COUPON_KINDS = ("percent", "amount", "free_shipping")
PREROLL_RANGE_S = (10, 300)
WINDOW_RANGE_S = (60, 20 * 60)
MAX_COMMENTS_IN_MEMORY = 5000
TICK_INTERVAL_S = 0.25

# Overlay ids and z-order on the program.
OVERLAY_PRODUCT = "live.product"
OVERLAY_COUPON = "live.coupon"
OVERLAY_FLASH = "live.flash_sale"
OVERLAY_GIVEAWAY = "live.giveaway"
OVERLAY_ANSWER = "live.answer"
ANIMATION_MS = 250  # enter/exit slide + fade of every card
SLIDE_PX_1080P = 48  # how far a card glides in, at 1080 lines (scaled with the canvas)
# Variables a quick-reply template may use; filled from the comment and the show at send time.
QUICK_REPLY_VARIABLES = ("name", "product", "price", "coupon", "sku")
MAX_QUICK_REPLIES = 50


def _decimal(value: Any, what: str) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise LiveError(_("{what} must be a number.").format(what=what)) from None
    if not number.is_finite() or number < 0:
        raise LiveError(_("{what} must be a number.").format(what=what))
    return str(number)


def _int(value: Any, what: str, low: int, high: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise LiveError(_("{what} must be a whole number.").format(what=what)) from None
    if number < low or (high is not None and number > high):
        if high is None:
            raise LiveError(_("{what} must be at least {low}.").format(what=what, low=low))
        raise LiveError(_("{what} must be between {low} and {high}.").format(what=what, low=low, high=high))
    return number


def _region_id(region: str | None) -> str | None:
    """A region pack id (cover_designer.regions) or None; raises LiveError for an unknown one."""
    from cover_designer.regions import REGIONS

    if region is None or not str(region).strip():
        return None
    key = str(region).strip().lower().replace("-", "_")
    if key not in REGIONS:
        raise LiveError(_("Unknown region “{name}” (use one of: {names}).").format(name=region, names=", ".join(sorted(REGIONS))))
    return key


class LiveShow:
    """The assistant's side of a show.  ``start()`` runs a small ticker thread; ``stop()`` joins it.

    ``studio`` may be None (headless tests); then nothing is drawn.  ``clock`` returns wall
    seconds (inject a fake in tests and call :meth:`tick`).
    """

    def __init__(self, studio: Any | None, db_path: str | Path, catalog: str | Path | None = None,
                 locale: str = "en_US", clock: Callable[[], float] = time.time,
                 keywords: tuple[str, ...] = DEFAULT_KEYWORDS, region: str | None = None) -> None:
        self.studio = studio
        self.locale = locale
        self.region = _region_id(region)  # the region pack chosen for the cards; None = the locale's
        self.clock = clock
        self.keywords = tuple(k.lower() for k in keywords)
        self.event = Signal()  # emit(event={"seq","t","type","data"})
        self.store = LiveStore(db_path)
        self.stream_state: Callable[[], str] = lambda: "offline"
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._adapters: list[CommentAdapter] = []
        self._shown_second: int | None = None
        self._leaving: dict[str, Overlay] = {}  # overlays playing their exit motion, removed by tick()
        self._drawn_sku: str | None = None
        self.catalog_errors: list[dict[str, Any]] = []
        saved = self.store.load_state()
        self.products: OrderedDict[str, Product] = OrderedDict(
            (p["sku"], Product.from_json(p)) for p in saved.get("products", []))
        self.pinned_sku: str | None = saved.get("pinned_sku")
        self.coupons: dict[str, dict[str, Any]] = saved.get("coupons", {})
        self.shown_coupon: str | None = saved.get("shown_coupon")
        self.flash_sale: dict[str, Any] | None = saved.get("flash_sale")
        self.giveaway: dict[str, Any] | None = saved.get("giveaway")
        self.blocked: list[str] = saved.get("blocked", [])
        self.pinned_answer: dict[str, Any] | None = saved.get("pinned_answer")
        self.quick_replies: list[dict[str, Any]] = saved.get("quick_replies", [])
        self.plan: dict[str, Any] = saved.get("plan", {"segments": [], "index": -1, "entered_at": None, "overtime_sent": False})
        self.comments: OrderedDict[str, dict[str, Any]] = OrderedDict((c["id"], c) for c in self.store.load_comments(MAX_COMMENTS_IN_MEMORY))
        self.comment_counts: dict[str, int] = self.store.comment_counts()  # per viewer, whole show
        for comment in self.comments.values():  # blocks are journaled once, not per comment
            if comment["user"] in self.blocked:
                comment["is_hidden"] = True
        self.restored = bool(saved)
        if catalog is not None:
            self.load_catalog(catalog)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Draw the restored state and start the ticker (countdowns, overtime)."""
        self.tick()
        self.refresh_overlays()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="live-ticker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        for adapter in self._adapters:
            adapter.stop()
        self._adapters.clear()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(3.0)
            self._thread = None
        with self._lock:
            for overlay_id in list(self._leaving):  # cards mid-exit go now rather than linger unseen
                self._leaving.pop(overlay_id)
                if self.studio is not None:
                    self.studio.remove_overlay(overlay_id)
        self.store.close()

    def _run(self) -> None:
        try:
            while not self._stop.wait(TICK_INTERVAL_S):
                try:
                    self.tick()
                except Exception:
                    log.exception("live ticker failed; continuing")
        finally:
            log.debug("live ticker stopped")

    def add_comment_adapter(self, adapter: CommentAdapter) -> None:
        self._adapters.append(adapter)
        adapter.start(self.add_comment)

    # -- journaling ----------------------------------------------------------------------------
    def _commit(self, event_type: str, data: dict[str, Any], keys: tuple[str, ...] = (), comment: dict[str, Any] | None = None) -> dict[str, Any]:
        values = {
            "products": lambda: [p.to_json() for p in self.products.values()],
            "pinned_sku": lambda: self.pinned_sku,
            "coupons": lambda: self.coupons,
            "shown_coupon": lambda: self.shown_coupon,
            "flash_sale": lambda: self.flash_sale,
            "giveaway": lambda: self.giveaway,
            "blocked": lambda: self.blocked,
            "pinned_answer": lambda: self.pinned_answer,
            "quick_replies": lambda: self.quick_replies,
            "plan": lambda: self.plan,
        }
        event = self.store.append(event_type, data, {k: values[k]() for k in keys}, comment=comment, t=self.clock())
        self.event.emit(event=event)
        return event

    # -- catalog --------------------------------------------------------------------------------
    def load_catalog(self, path: str | Path) -> CatalogResult:
        result = import_catalog(path)
        with self._lock:
            self.products = OrderedDict((p.sku, p) for p in result.products)
            self.catalog_errors = [e.to_json() for e in result.errors]
            self._commit("catalog.loaded", {"products": len(result.products), "errors": len(result.errors)}, ("products",))
        return result

    def product(self, sku: str) -> Product:
        try:
            return self.products[sku]
        except KeyError:
            raise NotFoundError(_("No product with SKU “{sku}”.").format(sku=sku)) from None

    def pin(self, sku: str) -> dict[str, Any]:
        with self._lock:
            product = self.product(sku)
            self.pinned_sku = sku
            self._draw_product()
            return self._commit("product.pinned", {"sku": sku, "title": product.title()}, ("pinned_sku",))

    def unpin(self) -> dict[str, Any]:
        with self._lock:
            sku, self.pinned_sku = self.pinned_sku, None
            self._drawn_sku = None
            self._remove(OVERLAY_PRODUCT)
            return self._commit("product.unpinned", {"sku": sku}, ("pinned_sku",))

    # -- coupons --------------------------------------------------------------------------------
    def create_coupon(self, code: str = "", kind: str = "percent", value: Any = 0, quantity: int | None = None,
                      per_viewer_cap: int = 1, starts_at: float | None = None, ends_at: float | None = None,
                      is_referral: bool = False, currency: str | None = None) -> dict[str, Any]:
        """Percent / amount / free-shipping coupon; a referral coupon rewards inviter and invitee."""
        code = str(code or "").strip().upper()
        if not re.fullmatch(r"[A-Z0-9_-]{2,32}", code):
            raise LiveError(_("A coupon code is 2–32 letters, digits, “-” or “_”."))
        if kind not in COUPON_KINDS:
            raise LiveError(_("Unknown coupon kind “{kind}”.").format(kind=kind))
        amount = _decimal(value, _("The coupon value")) if kind != "free_shipping" else "0"
        if kind == "percent" and not 0 < Decimal(amount) <= 100:
            raise LiveError(_("A percent coupon takes 1 to 100."))
        with self._lock:
            if code in self.coupons:
                raise LiveError(_("Coupon “{code}” already exists.").format(code=code))
            if starts_at is not None and ends_at is not None and float(ends_at) <= float(starts_at):
                raise LiveError(_("A coupon must end after it starts."))
            coupon = {
                "code": code, "kind": kind, "value": amount, "currency": currency,
                "quantity": None if quantity in (None, "") else _int(quantity, _("The quantity"), 1),
                "per_viewer_cap": _int(per_viewer_cap, _("The per-viewer cap"), 1),
                "starts_at": None if starts_at is None else float(starts_at),
                "ends_at": None if ends_at is None else float(ends_at),
                "is_referral": bool(is_referral), "claimed": 0, "claims": {}, "is_ended": False,
            }
            self.coupons[code] = coupon
            return self._commit("coupon.created", self._coupon_public(coupon), ("coupons",))

    def _coupon(self, code: str) -> dict[str, Any]:
        try:
            return self.coupons[str(code).upper()]
        except KeyError:
            raise NotFoundError(_("No coupon “{code}”.").format(code=code)) from None

    def _coupon_public(self, coupon: dict[str, Any]) -> dict[str, Any]:
        public = {k: v for k, v in coupon.items() if k != "claims"}
        now = self.clock()
        public["is_active"] = (not coupon["is_ended"] and (coupon["starts_at"] is None or now >= coupon["starts_at"])
                               and (coupon["ends_at"] is None or now < coupon["ends_at"])
                               and (coupon["quantity"] is None or coupon["claimed"] < coupon["quantity"]))
        public["is_shown"] = self.shown_coupon == coupon["code"]
        return public

    def claim_coupon(self, code: str, viewer: str, invited_by: str | None = None) -> dict[str, Any]:
        """Record a claim (from platform events).  Referral coupons also credit the inviter."""
        with self._lock:
            coupon = self._coupon(code)
            public = self._coupon_public(coupon)
            if not public["is_active"]:
                raise LiveError(_("Coupon “{code}” is not active.").format(code=coupon["code"]))
            viewer = str(viewer)
            if coupon["claims"].get(viewer, 0) >= coupon["per_viewer_cap"]:
                raise LiveError(_("{viewer} already claimed coupon “{code}”.").format(viewer=viewer, code=coupon["code"]))
            if coupon["is_referral"] and invited_by and str(invited_by) == viewer:
                raise LiveError(_("A viewer cannot invite themselves."))
            coupon["claims"][viewer] = coupon["claims"].get(viewer, 0) + 1
            coupon["claimed"] += 1
            data = {"code": coupon["code"], "viewer": viewer, "claimed": coupon["claimed"]}
            if coupon["is_referral"] and invited_by:
                data["inviter"] = str(invited_by)
                data["inviter_reward"] = True
            return self._commit("coupon.claimed", data, ("coupons",))

    def show_coupon(self, code: str | None) -> dict[str, Any]:
        with self._lock:
            if code is not None:
                code = self._coupon(code)["code"]
            self.shown_coupon = code
            self._draw_coupon()
            return self._commit("coupon.shown" if code else "coupon.hidden", {"code": code}, ("shown_coupon",))

    def end_coupon(self, code: str) -> dict[str, Any]:
        with self._lock:
            coupon = self._coupon(code)
            coupon["is_ended"] = True
            if self.shown_coupon == coupon["code"]:
                self.shown_coupon = None
                self._remove(OVERLAY_COUPON)
            return self._commit("coupon.ended", {"code": coupon["code"]}, ("coupons", "shown_coupon"))

    # -- flash sale ----------------------------------------------------------------------------
    def start_flash_sale(self, sku: str, stock: int, price: Any = None, preroll_s: int = 10,
                         window_s: int = 300, per_buyer_cap: int = 1) -> dict[str, Any]:
        with self._lock:
            product = self.product(sku)
            if self.flash_sale and self._flash_phase(self.flash_sale) in ("preroll", "live"):
                raise LiveError(_("A flash sale is already running."))
            preroll = _int(preroll_s, _("The pre-roll"), *PREROLL_RANGE_S)
            window = _int(window_s, _("The sale window"), *WINDOW_RANGE_S)
            now = self.clock()
            self.flash_sale = {
                "id": uuid.uuid4().hex[:12], "sku": product.sku,
                "price": _decimal(price, _("The sale price")) if price not in (None, "") else None,
                "stock": _int(stock, _("The stock"), 1), "sold": 0,
                "per_buyer_cap": _int(per_buyer_cap, _("The per-buyer cap"), 1),
                "created_at": now, "starts_at": now + preroll, "ends_at": now + preroll + window,
                "buyers": {}, "end_reason": None, "announced": "preroll",
            }
            self._draw_flash()
            return self._commit("flash_sale.scheduled", self._flash_public(), ("flash_sale",))

    def _flash_phase(self, sale: dict[str, Any]) -> str:
        if sale["end_reason"]:
            return "ended"
        now = self.clock()
        if now < sale["starts_at"]:
            return "preroll"
        if now < sale["ends_at"] and sale["sold"] < sale["stock"]:
            return "live"
        return "ended"

    def _flash_public(self) -> dict[str, Any] | None:
        sale = self.flash_sale
        if sale is None:
            return None
        phase = self._flash_phase(sale)
        now = self.clock()
        countdown = sale["starts_at"] - now if phase == "preroll" else sale["ends_at"] - now if phase == "live" else 0.0
        public = {k: v for k, v in sale.items() if k not in ("buyers", "announced")}
        public.update(phase=phase, countdown_s=round(max(0.0, countdown), 3), remaining=sale["stock"] - sale["sold"])
        if phase == "ended" and not public["end_reason"]:
            public["end_reason"] = "sold_out" if sale["sold"] >= sale["stock"] else "time"
        return public

    def purchase(self, buyer: str, quantity: int = 1) -> dict[str, Any]:
        """A flash-sale order (from the platform): checks the window, per-buyer cap and stock."""
        with self._lock:
            sale = self.flash_sale
            if sale is None or self._flash_phase(sale) != "live":
                raise LiveError(_("No flash sale is open."))
            quantity = _int(quantity, _("The quantity"), 1)
            buyer = str(buyer)
            if sale["buyers"].get(buyer, 0) + quantity > sale["per_buyer_cap"]:
                raise LiveError(_("{buyer} may buy at most {cap}.").format(buyer=buyer, cap=sale["per_buyer_cap"]))
            if sale["sold"] + quantity > sale["stock"]:
                raise LiveError(_("Only {remaining} left.").format(remaining=sale["stock"] - sale["sold"]))
            sale["buyers"][buyer] = sale["buyers"].get(buyer, 0) + quantity
            sale["sold"] += quantity
            event = self._commit("flash_sale.sold", {"id": sale["id"], "buyer": buyer, "quantity": quantity,
                                                     "remaining": sale["stock"] - sale["sold"]}, ("flash_sale",))
            if sale["sold"] >= sale["stock"]:
                self._end_flash("sold_out")
            else:
                self._draw_flash()
            return event

    def stop_flash_sale(self) -> dict[str, Any]:
        with self._lock:
            if self.flash_sale is None or self._flash_phase(self.flash_sale) == "ended":
                raise LiveError(_("No flash sale is running."))
            return self._end_flash("stopped")

    def _end_flash(self, reason: str) -> dict[str, Any]:
        sale = self.flash_sale
        assert sale is not None
        sale["end_reason"] = reason
        sale["announced"] = "ended"
        self._draw_flash()
        return self._commit("flash_sale.ended", {"id": sale["id"], "reason": reason, "sold": sale["sold"],
                                                 "remaining": sale["stock"] - sale["sold"]}, ("flash_sale",))

    def clear_flash_sale(self) -> None:
        """Take the (ended) flash-sale card off the program."""
        with self._lock:
            self._remove(OVERLAY_FLASH)

    # -- giveaway --------------------------------------------------------------------------------
    def open_giveaway(self, keyword: str, prize: str = "", winners: int = 1,
                      conditions: dict[str, Any] | None = None) -> dict[str, Any]:
        """Open entries; the seed commitment and the entry conditions are published now, the seed
        only after the draw.  ``conditions``: ``followers_only``, ``min_account_age_days``,
        ``min_comments``, ``excluded_users``, ``entries_per_viewer`` (see :mod:`studio.live.giveaway`)."""
        keyword = str(keyword or "").strip()
        if not keyword:
            raise LiveError(_("A giveaway needs an entry keyword."))
        if conditions is not None and not isinstance(conditions, dict):
            raise LiveError(_("The giveaway conditions must be a JSON object."))
        rules = draw.clean_conditions(conditions)
        with self._lock:
            seed = draw.new_seed()
            previous = self.giveaway or {}
            self.giveaway = {
                "id": uuid.uuid4().hex[:12], "keyword": keyword, "prize": str(prize)[:200],
                "winner_count": _int(winners, _("The number of winners"), 1, 100),
                "commitment": draw.commitment(seed), "seed": seed.hex(), "is_open": True,
                "entries": [], "winners": [], "draws": [], "conditions": rules, "refused": {},
                "excluded": previous.get("excluded", []) if previous.get("keyword") == keyword else [],
            }
            self._draw_giveaway()
            return self._commit("giveaway.opened", self._giveaway_public(), ("giveaway",))

    def _giveaway_public(self) -> dict[str, Any] | None:
        g = self.giveaway
        if g is None:
            return None
        public = {k: v for k, v in g.items() if k not in ("seed", "refused")}
        public["seed"] = g["seed"] if g["draws"] else None  # revealed only after a draw
        public["entry_count"] = len(g["entries"])
        public["viewer_count"] = len(set(g["entries"]))
        public["conditions"] = g.get("conditions") or draw.clean_conditions(None)
        public["refused_count"] = len(g.get("refused", {}))
        return public

    def draw_giveaway(self, count: int | None = None) -> dict[str, Any]:
        """Draw winners; earlier winners are excluded; the audit record names seed, entries and round."""
        with self._lock:
            g = self.giveaway
            if g is None:
                raise LiveError(_("No giveaway is open."))
            count = g["winner_count"] if count is None else _int(count, _("The number of winners"), 1, 100)
            round_number = len(g["draws"]) + 1
            entries = sorted(g["entries"])
            excluded = sorted(set(g["excluded"]))
            winners = draw.draw_winners(bytes.fromhex(g["seed"]), entries, count, round_number, set(excluded))
            if not winners:
                raise LiveError(_("No entries left to draw from."))
            g["is_open"] = False
            audit = {"round": round_number, "entries": entries, "excluded": excluded, "count": count,
                     "winners": winners, "commitment": g["commitment"], "seed": g["seed"], "t": self.clock(),
                     "conditions": g.get("conditions") or draw.clean_conditions(None),
                     "refused": dict(sorted(g.get("refused", {}).items()))}
            g["draws"].append(audit)
            g["winners"].extend(winners)
            g["excluded"] = sorted(set(g["excluded"]) | set(winners))
            self._draw_giveaway()
            return self._commit("giveaway.drawn", {"id": g["id"], **audit}, ("giveaway",))

    def close_giveaway(self) -> dict[str, Any]:
        with self._lock:
            if self.giveaway is None:
                raise LiveError(_("No giveaway is open."))
            gid = self.giveaway["id"]
            self.giveaway["is_open"] = False
            self._remove(OVERLAY_GIVEAWAY)
            return self._commit("giveaway.closed", {"id": gid}, ("giveaway",))

    # -- comments -------------------------------------------------------------------------------
    def add_comment(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Take one inbound comment (generic JSON).  Blocked users are journaled but hidden."""
        comment = parse_generic(payload)
        lowered = comment["text"].lower()
        comment["highlights"] = [k for k in self.keywords if k in lowered]
        comment["is_question"] = comment["text"].rstrip().endswith(("?", "？")) or bool(comment["highlights"])
        comment["is_hidden"] = comment["user"] in self.blocked
        comment["is_answered"] = False
        with self._lock:
            if comment["id"] in self.comments:
                return None  # a platform retry; already stored
            self.comments[comment["id"]] = comment
            while len(self.comments) > MAX_COMMENTS_IN_MEMORY:
                self.comments.popitem(last=False)
            user = comment["user"]
            self.comment_counts[user] = self.comment_counts.get(user, 0) + 1
            entered = refused = None
            g = self.giveaway
            if g and g["is_open"] and not comment["is_hidden"] and g["keyword"].lower() in lowered:
                rules = g.get("conditions") or {}
                reason = draw.refusal(rules, comment, self.comment_counts[user], self.clock())
                if reason is not None:
                    if g.setdefault("refused", {}).get(user) != reason:  # journaled once per viewer and reason
                        g["refused"][user] = reason
                        refused = reason
                elif g["entries"].count(user) < rules.get("entries_per_viewer", 1):
                    g["entries"].append(user)
                    g.get("refused", {}).pop(user, None)
                    entered = user
            event = self._commit("comment.received", comment, ("giveaway",) if entered or refused else (), comment=comment)
            if entered:
                self._commit("giveaway.entered", {"id": g["id"], "user": entered, "entry_count": len(g["entries"]),
                                                  "user_entries": g["entries"].count(entered)})
                self._draw_giveaway()
            elif refused:
                self._commit("giveaway.entry_refused", {"id": g["id"], "user": user, "reason": refused})
            return event

    def _comment(self, comment_id: str) -> dict[str, Any]:
        try:
            return self.comments[comment_id]
        except KeyError:
            raise NotFoundError(_("No comment “{id}”.").format(id=comment_id)) from None

    def update_comment(self, comment_id: str, **flags: bool) -> dict[str, Any]:
        """Set ``is_question`` / ``is_hidden`` / ``is_answered`` on a comment."""
        with self._lock:
            comment = self._comment(comment_id)
            for key, value in flags.items():
                if key in ("is_question", "is_hidden", "is_answered"):
                    comment[key] = bool(value)
            return self._commit("comment.updated", {"id": comment_id, **{k: comment[k] for k in ("is_question", "is_hidden", "is_answered")}}, comment=comment)

    def block_user(self, user: str, is_blocked: bool = True) -> dict[str, Any]:
        with self._lock:
            user = str(user)
            if is_blocked and user not in self.blocked:
                self.blocked.append(user)
            elif not is_blocked and user in self.blocked:
                self.blocked.remove(user)
            for comment in self.comments.values():
                if comment["user"] == user:
                    comment["is_hidden"] = is_blocked
            return self._commit("user.blocked" if is_blocked else "user.unblocked", {"user": user}, ("blocked",))

    def pin_answer(self, comment_id: str, answer: str) -> dict[str, Any]:
        with self._lock:
            comment = self._comment(comment_id)
            comment["is_answered"] = True
            self.pinned_answer = {"comment": {k: comment[k] for k in ("id", "user", "text")}, "answer": str(answer)[:300]}
            self._draw_answer()
            return self._commit("answer.pinned", self.pinned_answer, ("pinned_answer",), comment=comment)

    def unpin_answer(self) -> dict[str, Any]:
        with self._lock:
            self.pinned_answer = None
            self._remove(OVERLAY_ANSWER)
            return self._commit("answer.unpinned", {}, ("pinned_answer",))

    # -- quick replies ------------------------------------------------------------------------------
    def save_quick_reply(self, text: str, title: str = "", reply_id: str | None = None) -> dict[str, Any]:
        """Add (or with ``reply_id`` replace) a reply template.  Variables: ``{name}`` (the viewer),
        ``{product}``, ``{price}``, ``{sku}`` (the pinned product), ``{coupon}`` (the coupon on screen)."""
        text = str(text or "").strip()
        if not text:
            raise LiveError(_("A quick reply needs a text."))
        if len(text) > 300:
            raise LiveError(_("A quick reply is at most 300 characters."))
        self._check_template(text)
        with self._lock:
            reply = {"id": reply_id or uuid.uuid4().hex[:8], "title": (str(title).strip() or text)[:40], "text": text}
            index = next((i for i, r in enumerate(self.quick_replies) if r["id"] == reply["id"]), None)
            if index is None:
                if reply_id is not None:
                    raise NotFoundError(_("No quick reply “{id}”.").format(id=reply_id))
                if len(self.quick_replies) >= MAX_QUICK_REPLIES:
                    raise LiveError(_("At most {count} quick replies; delete one first.").format(count=MAX_QUICK_REPLIES))
                self.quick_replies.append(reply)
            else:
                self.quick_replies[index] = reply
            return self._commit("quick_reply.saved", dict(reply), ("quick_replies",))

    def delete_quick_reply(self, reply_id: str) -> dict[str, Any]:
        with self._lock:
            self._quick_reply(reply_id)
            self.quick_replies = [r for r in self.quick_replies if r["id"] != reply_id]
            return self._commit("quick_reply.deleted", {"id": reply_id}, ("quick_replies",))

    def _quick_reply(self, reply_id: str) -> dict[str, Any]:
        for reply in self.quick_replies:
            if reply["id"] == reply_id:
                return reply
        raise NotFoundError(_("No quick reply “{id}”.").format(id=reply_id))

    @staticmethod
    def _check_template(text: str) -> None:
        import string

        try:
            fields = [field for _literal, field, _spec, _conversion in string.Formatter().parse(text) if field is not None]
        except ValueError:
            raise LiveError(_("A quick reply has an unmatched curly bracket.")) from None
        for field in fields:
            if field not in QUICK_REPLY_VARIABLES:
                raise LiveError(_("Unknown variable “{field}” (use {variables}).").format(
                    field="{" + field + "}", variables=", ".join("{" + name + "}" for name in QUICK_REPLY_VARIABLES)))

    def fill_quick_reply(self, text: str, comment: dict[str, Any]) -> str:
        """The template with its variables filled for ``comment`` and the show as it is now."""
        product = self.products.get(self.pinned_sku) if self.pinned_sku else None
        values = {"name": comment.get("user", ""), "product": product.title(self.locale) if product else "",
                  "sku": product.sku if product else "",
                  "price": render.format_price(product.price, product.currency, self.locale) if product else "",
                  "coupon": self.shown_coupon or ""}
        return text.format(**values)

    def reply(self, comment_id: str, reply_id: str | None = None, text: str | None = None, pin: bool = False) -> dict[str, Any]:
        """Answer a comment by name with a quick reply (or a one-off ``text`` template): journaled as
        ``comment.replied`` (the platform posts it to the chat); ``pin`` also shows it on screen."""
        with self._lock:
            comment = self._comment(comment_id)
            template = self._quick_reply(reply_id)["text"] if reply_id else str(text or "").strip()
            if not template:
                raise LiveError(_("Choose a quick reply or type an answer first."))
            self._check_template(template)
            answer = self.fill_quick_reply(template, comment)[:300]
            comment["is_answered"] = True
            event = self._commit("comment.replied", {"id": comment_id, "user": comment["user"], "reply_id": reply_id,
                                                     "text": answer}, comment=comment)
            if pin:
                self.pin_answer(comment_id, answer)
            return event

    def comment_list(self, only_questions: bool = False, include_hidden: bool = False, limit: int = 200) -> list[dict[str, Any]]:
        with self._lock:
            items = [c for c in self.comments.values()
                     if (include_hidden or not c["is_hidden"]) and (not only_questions or (c["is_question"] and not c["is_answered"]))]
        return items[-limit:]

    # -- run-of-show ----------------------------------------------------------------------------
    def set_plan(self, segments: list[dict[str, Any]]) -> dict[str, Any]:
        """Segments: ``{"name","kind","planned_s","talking_points":[...],"actions":[...],"overtime_actions":[...]}``.

        Actions: ``{"pin": sku}``, ``{"unpin": true}``, ``{"show_coupon": code}``,
        ``{"flash_sale": {...start_flash_sale kwargs}}``, ``{"scene": scene_id}``.
        """
        clean = []
        for index, seg in enumerate(segments):
            if not isinstance(seg, dict) or not str(seg.get("name", "")).strip():
                raise LiveError(_("Segment {number} needs a name.").format(number=index + 1))
            clean.append({"name": str(seg["name"]), "kind": str(seg.get("kind", "product")),
                          "planned_s": _int(seg.get("planned_s", 600), _("The planned duration"), 1),
                          "talking_points": [str(p) for p in seg.get("talking_points", [])],
                          "actions": list(seg.get("actions", [])), "overtime_actions": list(seg.get("overtime_actions", []))})
        with self._lock:
            self.plan = {"segments": clean, "index": -1, "entered_at": None, "overtime_sent": False}
            return self._commit("plan.set", {"segments": clean}, ("plan",))

    def advance(self) -> dict[str, Any]:
        """Enter the next segment and fire its actions."""
        with self._lock:
            index = self.plan["index"] + 1
            if index >= len(self.plan["segments"]):
                raise LiveError(_("This is the last segment."))
            self.plan.update(index=index, entered_at=self.clock(), overtime_sent=False)
            segment = self.plan["segments"][index]
            event = self._commit("segment.entered", {"index": index, "name": segment["name"], "planned_s": segment["planned_s"]}, ("plan",))
            self._run_actions(segment["actions"])
            return event

    def _segment_public(self) -> dict[str, Any] | None:
        index = self.plan["index"]
        if index < 0:
            return None
        segment = self.plan["segments"][index]
        elapsed = self.clock() - self.plan["entered_at"]
        return {"index": index, "name": segment["name"], "kind": segment["kind"], "planned_s": segment["planned_s"],
                "talking_points": segment["talking_points"], "elapsed_s": round(elapsed, 3),
                "remaining_s": round(segment["planned_s"] - elapsed, 3), "is_overtime": elapsed > segment["planned_s"],
                "count": len(self.plan["segments"])}

    def _run_actions(self, actions: list[dict[str, Any]]) -> None:
        for action in actions:
            try:
                if "pin" in action:
                    self.pin(action["pin"])
                elif action.get("unpin"):
                    self.unpin()
                elif "show_coupon" in action:
                    self.show_coupon(action["show_coupon"])
                elif "flash_sale" in action:
                    self.start_flash_sale(**action["flash_sale"])
                elif "scene" in action and self.studio is not None:
                    self.studio.switch_scene(action["scene"])
                else:
                    raise LiveError(_("Unknown segment action."))
            except Exception as err:  # a broken plan step must not stop the show
                log.warning("segment action %r failed: %s", action, err)
                self._commit("segment.action_failed", {"action": action, "error": str(err)})

    # -- ticking ---------------------------------------------------------------------------------
    def tick(self) -> None:
        """Announce phase changes (pre-roll → live → ended), segment overtime; redraw countdowns."""
        with self._lock:
            self._sweep_leaving()
            sale = self.flash_sale
            if sale is not None:
                phase = self._flash_phase(sale)
                if phase == "live" and sale["announced"] == "preroll":
                    sale["announced"] = "live"
                    self._commit("flash_sale.opened", {"id": sale["id"], "ends_at": sale["ends_at"]}, ("flash_sale",))
                if phase == "ended" and sale["announced"] != "ended":
                    self._end_flash("sold_out" if sale["sold"] >= sale["stock"] else "time")
                second = int(max(sale["starts_at"], sale["ends_at"]) - self.clock()) if phase != "ended" else -1
                if second != self._shown_second:
                    self._shown_second = second
                    self._draw_flash()
            segment = self._segment_public()
            if segment and segment["is_overtime"] and not self.plan["overtime_sent"]:
                self.plan["overtime_sent"] = True
                self._commit("segment.overtime", {"index": segment["index"], "name": segment["name"],
                                                  "planned_s": segment["planned_s"]}, ("plan",))
                self._run_actions(self.plan["segments"][segment["index"]]["overtime_actions"])

    # -- snapshot --------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The contract's ``GET /api/v1/state`` body."""
        with self._lock:
            pinned = self.products.get(self.pinned_sku) if self.pinned_sku else None
            return copy.deepcopy({
                "pinned_sku": self.pinned_sku,
                "pinned_product": pinned.to_json() if pinned else None,
                "segment": self._segment_public(),
                "plan": [{"name": s["name"], "kind": s["kind"], "planned_s": s["planned_s"]} for s in self.plan["segments"]],
                "coupons": [self._coupon_public(c) for c in self.coupons.values()],
                "shown_coupon": self.shown_coupon,
                "flash_sale": self._flash_public(),
                "giveaway": self._giveaway_public(),
                "pinned_answer": self.pinned_answer,
                "question_count": sum(1 for c in self.comments.values() if c["is_question"] and not c["is_answered"] and not c["is_hidden"]),
                "blocked": list(self.blocked),
                "quick_replies": list(self.quick_replies),
                "stream_state": self.stream_state(),
                "t": self.clock(),
            })

    def products_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [p.to_json() for p in self.products.values()]

    # -- overlays ---------------------------------------------------------------------------------
    @property
    def _is_mirrored(self) -> bool:
        """Middle-East locales mirror the whole overlay layout (not numbers or logos); the same
        answer the cards' own layout gets from the region style."""
        return render.overlay_style(self.locale, self.overlay_region).is_mirrored

    def _geometry(self) -> tuple[int, int, float]:
        canvas = self.studio.collection.canvas
        return canvas.width, canvas.height, canvas.height / 1080.0

    def _slide(self, overlay_id: str) -> tuple[int, int]:
        """Where a card glides in from: its nearest screen edge (mirrored for right-to-left)."""
        _width, _height, scale = self._geometry()
        step = int(SLIDE_PX_1080P * scale)
        side = -1 if self._is_mirrored else 1
        return {OVERLAY_PRODUCT: (-step * side, 0), OVERLAY_COUPON: (step * side, 0), OVERLAY_FLASH: (0, step),
                OVERLAY_GIVEAWAY: (0, -step), OVERLAY_ANSWER: (0, step)}.get(overlay_id, (0, 0))

    def _current(self, overlay_id: str) -> Overlay | None:
        compositor = getattr(self.studio, "compositor", None)
        if compositor is None:
            return None
        return next((o for o in compositor.overlays if o.overlay_id == overlay_id), None)

    def _put(self, overlay_id: str, rgba: Any, x: int, y: int, z: int, replay: bool = False) -> None:
        """Show (or redraw) a card.  A card that is new on screen, or ``replay``, plays the enter
        motion; a redraw (countdown tick, stock change) keeps the motion already under way."""
        if self.studio is None:
            return
        compositor = getattr(self.studio, "compositor", None)
        if compositor is None:  # an engine without a compositor of ours: no motion
            self.studio.set_overlay(overlay_id, rgba, int(x), int(y), z=z)
            return
        current = self._current(overlay_id)
        self._leaving.pop(overlay_id, None)
        if current is not None and not current.is_leaving and not replay:
            shown_ns = current.shown_ns
        else:
            shown_ns = now_ns()
        dx, dy = self._slide(overlay_id)
        compositor.set_overlay(Overlay(overlay_id, rgba, x=int(x), y=int(y), z=z, shown_ns=shown_ns,
                                       animation=Animation(ANIMATION_MS, slide_dx=dx, slide_dy=dy)))

    def _remove(self, overlay_id: str) -> None:
        """Take a card off: it plays its exit motion, then ``tick()`` removes it."""
        if self.studio is None:
            return
        current = self._current(overlay_id)
        if current is None or current.animation is None:
            self.studio.remove_overlay(overlay_id)
            return
        if not current.is_leaving:
            leaving = current.leaving()
            self.studio.compositor.set_overlay(leaving)
            self._leaving[overlay_id] = leaving

    def _sweep_leaving(self) -> None:
        for overlay_id, leaving in list(self._leaving.items()):
            if leaving.has_left():
                del self._leaving[overlay_id]
                if self._current(overlay_id) is leaving:  # not shown again meanwhile
                    self.studio.remove_overlay(overlay_id)

    def set_locale(self, locale: str) -> None:
        """Prices, dates and the mirrored layout follow ``locale`` (CLDR, e.g. "de_DE", "ar_SA") from now on."""
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(locale)
        except (ValueError, TypeError, UnknownLocaleError):
            raise LiveError(_("Unknown locale “{locale}”.").format(locale=locale)) from None
        with self._lock:
            self.locale = locale
            self.refresh_overlays()

    @property
    def overlay_region(self) -> str:
        """The region pack the cards are drawn with: the chosen one, else the locale's."""
        from cover_designer.regions import region_for_locale

        return self.region or region_for_locale(self.locale)

    def set_region(self, region: str | None) -> None:
        """Draw the cards with ``region``'s pack (palette, fonts, phrases); None follows the locale."""
        key = _region_id(region)
        with self._lock:
            self.region = key
            self.refresh_overlays()

    def refresh_overlays(self) -> None:
        with self._lock:
            self._draw_product()
            self._draw_coupon()
            self._draw_flash()
            self._draw_giveaway()
            self._draw_answer()

    def _draw_product(self) -> None:
        if self.studio is None:
            return
        if self.pinned_sku is None or self.pinned_sku not in self.products:
            self._drawn_sku = None
            self._remove(OVERLAY_PRODUCT)
            return
        width, height, scale = self._geometry()
        rgba = render.product_card(self.products[self.pinned_sku], self.locale, scale, region=self.overlay_region)
        margin = int(40 * scale)
        x = width - margin - rgba.shape[1] if self._is_mirrored else margin
        replay = self._drawn_sku is not None and self._drawn_sku != self.pinned_sku  # another product: enter again
        self._drawn_sku = self.pinned_sku
        self._put(OVERLAY_PRODUCT, rgba, x, height - margin - rgba.shape[0], 10, replay=replay)

    def _draw_coupon(self) -> None:
        if self.studio is None:
            return
        if self.shown_coupon is None or self.shown_coupon not in self.coupons:
            self._remove(OVERLAY_COUPON)
            return
        width, _height, scale = self._geometry()
        rgba = render.coupon_banner(self.coupons[self.shown_coupon], self.locale, scale, region=self.overlay_region)
        margin = int(40 * scale)
        self._put(OVERLAY_COUPON, rgba, margin if self._is_mirrored else width - margin - rgba.shape[1], margin, 11)

    def _draw_flash(self) -> None:
        if self.studio is None:
            return
        public = self._flash_public()
        if public is None:
            self._remove(OVERLAY_FLASH)
            return
        width, height, scale = self._geometry()
        rgba = render.flash_sale_card(public, self.products.get(public["sku"]), self.locale, scale,
                                      region=self.overlay_region)
        margin = int(40 * scale)
        x = margin if self._is_mirrored else width - margin - rgba.shape[1]
        self._put(OVERLAY_FLASH, rgba, x, height - margin - rgba.shape[0], 12)

    def _draw_giveaway(self) -> None:
        if self.studio is None:
            return
        public = self._giveaway_public()
        if public is None or (not public["is_open"] and not public["winners"]):
            self._remove(OVERLAY_GIVEAWAY)
            return
        width, _height, scale = self._geometry()
        margin = int(40 * scale)
        rgba = render.giveaway_card(public, scale, self.locale, self.overlay_region)
        self._put(OVERLAY_GIVEAWAY, rgba, width - margin - rgba.shape[1] if self._is_mirrored else margin, margin, 13)

    def _draw_answer(self) -> None:
        if self.studio is None:
            return
        if self.pinned_answer is None:
            self._remove(OVERLAY_ANSWER)
            return
        width, height, scale = self._geometry()
        rgba = render.answer_card(self.pinned_answer["comment"], self.pinned_answer["answer"], scale, self.locale,
                                   self.overlay_region)
        self._put(OVERLAY_ANSWER, rgba, (width - rgba.shape[1]) // 2, int(height * 0.55), 14)
