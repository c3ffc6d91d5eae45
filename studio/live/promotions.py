"""Coupons and flash sales: the show's two promotions, each a unit with typed state.

Prices and coupon values are kept as decimal text (``"19.99"``) so nothing is lost to binary
floats; deadlines are absolute wall-clock seconds from the journal's clock, so a restart after
SIGKILL resumes a flash sale's countdown with the right remaining time.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from babel import UnknownLocaleError
from babel.numbers import format_currency

from studio.core import limits
from studio.core.i18n import _
from studio.live import inputs
from studio.live.errors import LiveError, NotFoundError
from studio.live.journal import ShowJournal
from studio.live.layout import OVERLAY_FLASH, OverlayLayout
from studio.live.products import ProductShelf

PREROLL_RANGE_S = (10, 300)
WINDOW_RANGE_S = (60, 20 * 60)


class NoDiscountError(LiveError):
    """A flash sale's price is not below the catalog price; raised only when the caller asked for
    a discount (``require_discount=True``), so a panel can ask "start anyway?" and try again."""


class CouponKind(StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"
    FREE_SHIPPING = "free_shipping"


COUPON_KINDS = tuple(kind.value for kind in CouponKind)


@dataclass
class Coupon:
    """One coupon as journaled (``claims``: viewer → how many times they claimed it)."""

    code: str
    kind: CouponKind
    value: str
    currency: str | None = None
    quantity: int | None = None
    per_viewer_cap: int = 1
    starts_at: float | None = None
    ends_at: float | None = None
    is_referral: bool = False
    claimed: int = 0
    claims: dict[str, int] = field(default_factory=dict)
    is_ended: bool = False

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> "Coupon":
        return cls(code=data["code"], kind=CouponKind(data["kind"]), value=data["value"], currency=data.get("currency"),
                   quantity=data.get("quantity"), per_viewer_cap=data.get("per_viewer_cap", 1),
                   starts_at=data.get("starts_at"), ends_at=data.get("ends_at"), is_referral=bool(data.get("is_referral")),
                   claimed=data.get("claimed", 0), claims=dict(data.get("claims", {})), is_ended=bool(data.get("is_ended")))

    def to_state(self) -> dict[str, Any]:
        """The stored form (the renderer draws a banner from it too)."""
        return {"code": self.code, "kind": self.kind.value, "value": self.value, "currency": self.currency,
                "quantity": self.quantity, "per_viewer_cap": self.per_viewer_cap, "starts_at": self.starts_at,
                "ends_at": self.ends_at, "is_referral": self.is_referral, "claimed": self.claimed,
                "claims": dict(self.claims), "is_ended": self.is_ended}

    def is_active(self, now_s: float) -> bool:
        return (not self.is_ended and (self.starts_at is None or now_s >= self.starts_at)
                and (self.ends_at is None or now_s < self.ends_at)
                and (self.quantity is None or self.claimed < self.quantity))


class Coupons:
    """Percent / amount / free-shipping coupons, their claims and the one shown on screen.

    State keys in the store: ``coupons`` (code → coupon) and ``shown_coupon``.
    """

    def __init__(self, journal: ShowJournal, layout: OverlayLayout, saved: dict[str, Any]) -> None:
        self._journal = journal
        self._layout = layout
        self.by_code: dict[str, Coupon] = {code: Coupon.from_state(c) for code, c in saved.get("coupons", {}).items()}
        self.shown_code: str | None = saved.get("shown_coupon")

    def create(self, code: str = "", kind: str = "percent", value: Any = 0, quantity: int | None = None,
               per_viewer_cap: int = 1, starts_at: float | None = None, ends_at: float | None = None,
               is_referral: bool = False, currency: str | None = None) -> dict[str, Any]:
        """Percent / amount / free-shipping coupon; a referral coupon rewards inviter and invitee.

        Every field is checked before anything is saved (:mod:`studio.live.inputs`): an amount
        that is not finite or past ``MAX_AMOUNT``, a count that is not whole, a time that is not
        a time (``ends_at: "tomorrow"``) are refused in words."""
        code = str(code or "").strip().upper() if isinstance(code, str) else ""
        if not re.fullmatch(r"[A-Z0-9_-]{2,32}", code):
            raise LiveError(_("A coupon code is 2–32 letters, digits, “-” or “_”."))
        if not isinstance(kind, str) or kind not in COUPON_KINDS:
            raise LiveError(_("Unknown coupon kind “{kind}”.").format(kind=inputs.quoted(kind)))
        amount = inputs.amount(value, _("The coupon value")) if kind != CouponKind.FREE_SHIPPING else "0"
        if kind == CouponKind.PERCENT and not 0 < Decimal(amount) <= 100:
            raise LiveError(_("A percent coupon takes 1 to 100."))
        if kind == CouponKind.AMOUNT and Decimal(amount) <= 0:
            raise LiveError(_("An amount coupon must be worth more than zero."))
        units = None if quantity in (None, "") else inputs.count(quantity, _("The quantity"), 1)
        cap = inputs.count(per_viewer_cap, _("The per-viewer cap"), 1)
        starts = inputs.moment(starts_at, _("The start"))
        ends = inputs.moment(ends_at, _("The end"))
        if starts is not None and ends is not None and ends <= starts:
            raise LiveError(_("A coupon must end after it starts."))
        currency_code = _currency(currency)
        with self._journal.lock:
            if code in self.by_code:
                raise LiveError(_("Coupon “{code}” already exists.").format(code=code))
            coupon = Coupon(code=code, kind=CouponKind(kind), value=amount, currency=currency_code, quantity=units,
                            per_viewer_cap=cap, starts_at=starts, ends_at=ends, is_referral=bool(is_referral))
            self.by_code[code] = coupon
            return self._journal.commit("coupon.created", self.public(coupon), self._state())

    def get(self, code: str) -> Coupon:
        try:
            return self.by_code[str(code).upper()]
        except KeyError:
            raise NotFoundError(_("No coupon “{code}”.").format(code=code)) from None

    def claim(self, code: str, viewer: str, invited_by: str | None = None) -> dict[str, Any]:
        """Record a claim (from platform events).  Referral coupons also credit the inviter."""
        with self._journal.lock:
            coupon = self.get(code)
            if not coupon.is_active(self._journal.clock()):
                raise LiveError(_("Coupon “{code}” is not active.").format(code=coupon.code))
            viewer = inputs.text(viewer, _("The viewer"), limits.MAX_VIEWER_NAME_CHARS, required=True)
            invited_by = inputs.text(invited_by, _("The inviter"), limits.MAX_VIEWER_NAME_CHARS) or None
            if coupon.claims.get(viewer, 0) >= coupon.per_viewer_cap:
                raise LiveError(_("{viewer} already claimed coupon “{code}”.").format(viewer=viewer, code=coupon.code))
            if coupon.is_referral and invited_by and str(invited_by) == viewer:
                raise LiveError(_("A viewer cannot invite themselves."))
            coupon.claims[viewer] = coupon.claims.get(viewer, 0) + 1
            coupon.claimed += 1
            data: dict[str, Any] = {"code": coupon.code, "viewer": viewer, "claimed": coupon.claimed}
            if coupon.is_referral and invited_by:
                data["inviter"] = str(invited_by)
                data["inviter_reward"] = True
            return self._journal.commit("coupon.claimed", data, self._state())

    def show(self, code: str | None) -> dict[str, Any]:
        """Put coupon ``code`` on screen (None takes the banner off)."""
        with self._journal.lock:
            if code is not None:
                code = self.get(code).code
            self.shown_code = code
            self.redraw()
            return self._journal.commit("coupon.shown" if code else "coupon.hidden", {"code": code},
                                        {"shown_coupon": self.shown_code})

    def end(self, code: str) -> dict[str, Any]:
        with self._journal.lock:
            coupon = self.get(code)
            coupon.is_ended = True
            if self.shown_code == coupon.code:
                self.shown_code = None
                self._layout.draw_coupon(None)
            return self._journal.commit("coupon.ended", {"code": coupon.code},
                                        {**self._state(), "shown_coupon": self.shown_code})

    def redraw(self) -> None:
        if not self._layout.is_drawing:
            return
        coupon = self.by_code.get(self.shown_code) if self.shown_code is not None else None
        self._layout.draw_coupon(coupon.to_state() if coupon is not None else None)

    def public(self, coupon: Coupon) -> dict[str, Any]:
        """A coupon as the snapshot and the events show it (no per-viewer claims)."""
        public = coupon.to_state()
        del public["claims"]
        public["is_active"] = coupon.is_active(self._journal.clock())
        public["is_shown"] = self.shown_code == coupon.code
        return public

    def to_json(self) -> list[dict[str, Any]]:
        return [self.public(c) for c in self.by_code.values()]

    def _state(self) -> dict[str, Any]:
        return {"coupons": {code: c.to_state() for code, c in self.by_code.items()}}


class FlashPhase(StrEnum):
    PREROLL = "preroll"
    LIVE = "live"
    ENDED = "ended"


class EndReason(StrEnum):
    SOLD_OUT = "sold_out"
    TIME = "time"
    STOPPED = "stopped"


@dataclass
class FlashSaleState:
    """One flash sale as journaled.  ``announced`` is the last phase the journal announced
    (the ticker announces the opening and the end once each); ``buyers``: buyer → quantity."""

    id: str
    sku: str
    price: str | None
    stock: int
    per_buyer_cap: int
    created_at: float
    starts_at: float
    ends_at: float
    sold: int = 0
    buyers: dict[str, int] = field(default_factory=dict)
    end_reason: EndReason | None = None
    announced: FlashPhase = FlashPhase.PREROLL

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> "FlashSaleState":
        return cls(id=data["id"], sku=data["sku"], price=data.get("price"), stock=data["stock"],
                   per_buyer_cap=data["per_buyer_cap"], created_at=data["created_at"], starts_at=data["starts_at"],
                   ends_at=data["ends_at"], sold=data.get("sold", 0), buyers=dict(data.get("buyers", {})),
                   end_reason=EndReason(data["end_reason"]) if data.get("end_reason") else None,
                   announced=FlashPhase(data.get("announced", FlashPhase.PREROLL)))

    def to_state(self) -> dict[str, Any]:
        return {"id": self.id, "sku": self.sku, "price": self.price, "stock": self.stock, "sold": self.sold,
                "per_buyer_cap": self.per_buyer_cap, "created_at": self.created_at, "starts_at": self.starts_at,
                "ends_at": self.ends_at, "buyers": dict(self.buyers),
                "end_reason": self.end_reason.value if self.end_reason else None, "announced": self.announced.value}

    @property
    def remaining(self) -> int:
        return self.stock - self.sold

    def phase(self, now_s: float) -> FlashPhase:
        if self.end_reason:
            return FlashPhase.ENDED
        if now_s < self.starts_at:
            return FlashPhase.PREROLL
        if now_s < self.ends_at and self.sold < self.stock:
            return FlashPhase.LIVE
        return FlashPhase.ENDED

    def ran_out_reason(self) -> EndReason:
        return EndReason.SOLD_OUT if self.sold >= self.stock else EndReason.TIME


class FlashSale:
    """The show's flash sale: a pre-roll countdown, a sale window, stock and a per-buyer cap.

    One at a time; the ended sale stays (and on screen until :meth:`clear`) until the next
    starts.  State key in the store: ``flash_sale``.
    """

    def __init__(self, journal: ShowJournal, layout: OverlayLayout, shelf: ProductShelf, saved: dict[str, Any]) -> None:
        self._journal = journal
        self._layout = layout
        self._shelf = shelf
        self.current: FlashSaleState | None = (FlashSaleState.from_state(saved["flash_sale"])
                                               if saved.get("flash_sale") else None)
        self._shown_second: int | None = None

    def start(self, sku: str, stock: int, price: Any = None, preroll_s: int = 10,
              window_s: int = 300, per_buyer_cap: int = 1, require_discount: bool = False) -> dict[str, Any]:
        """Schedule a flash sale of ``stock`` units of ``sku`` at ``price`` (None: the catalog price).

        Refused in words: more units than the catalog has in stock, a price that is not an amount
        above zero.  A price not below the catalog price gives viewers no discount: with
        ``require_discount`` that is refused (:class:`NoDiscountError`, for "start anyway?"),
        otherwise the sale starts and the event's data carries the ``warning``.
        """
        with self._journal.lock:
            product = self._shelf.product(sku)
            if self.current and self.current.phase(self._journal.clock()) in (FlashPhase.PREROLL, FlashPhase.LIVE):
                raise LiveError(_("A flash sale is already running."))
            preroll = inputs.count(preroll_s, _("The pre-roll"), *PREROLL_RANGE_S)
            window = inputs.count(window_s, _("The sale window"), *WINDOW_RANGE_S)
            units = inputs.count(stock, _("The stock"), 1)
            if product.stock is not None and units > product.stock:
                raise LiveError(_("Only {stock} of {sku} are in stock: a flash sale cannot offer {units}.").format(
                    stock=product.stock, sku=product.sku, units=units))
            sale_price = _sale_price(price)
            warning = self._no_discount_warning(product, sale_price)
            if warning and require_discount:
                raise NoDiscountError(warning)
            now = self._journal.clock()
            self.current = FlashSaleState(
                id=uuid.uuid4().hex[:12], sku=product.sku, price=sale_price, stock=units,
                per_buyer_cap=inputs.count(per_buyer_cap, _("The per-buyer cap"), 1),
                created_at=now, starts_at=now + preroll, ends_at=now + preroll + window)
            self.redraw()
            data = self.to_json() or {}
            if warning:
                data["warning"] = warning
            return self._journal.commit("flash_sale.scheduled", data, self._state())

    def _no_discount_warning(self, product: Any, sale_price: str | None) -> str | None:
        """Words for a sale price that is not below the catalog price (None when it is below)."""
        catalog = Decimal(product.price)
        if sale_price is not None and Decimal(sale_price) < catalog:
            return None
        shown = _money(product.price, product.currency, self._layout.locale)
        if sale_price is None:
            return _("No sale price is set, so {sku} sells at its catalog price {catalog}: viewers get no discount.").format(
                sku=product.sku, catalog=shown)
        return _("The sale price {price} is not below the catalog price {catalog}: viewers get no discount.").format(
            price=_money(sale_price, product.currency, self._layout.locale), catalog=shown)

    def purchase(self, buyer: str, quantity: int = 1) -> dict[str, Any]:
        """A flash-sale order (from the platform): checks the window, per-buyer cap and stock."""
        with self._journal.lock:
            sale = self.current
            if sale is None or sale.phase(self._journal.clock()) != FlashPhase.LIVE:
                raise LiveError(_("No flash sale is open."))
            quantity = inputs.count(quantity, _("The quantity"), 1)
            buyer = inputs.text(buyer, _("The buyer"), limits.MAX_VIEWER_NAME_CHARS, required=True)
            if sale.buyers.get(buyer, 0) + quantity > sale.per_buyer_cap:
                raise LiveError(_("{buyer} may buy at most {cap}.").format(buyer=buyer, cap=sale.per_buyer_cap))
            if sale.sold + quantity > sale.stock:
                raise LiveError(_("Only {remaining} left.").format(remaining=sale.remaining))
            sale.buyers[buyer] = sale.buyers.get(buyer, 0) + quantity
            sale.sold += quantity
            event = self._journal.commit("flash_sale.sold", {"id": sale.id, "buyer": buyer, "quantity": quantity,
                                                             "remaining": sale.remaining}, self._state())
            if sale.sold >= sale.stock:
                self._end(EndReason.SOLD_OUT)
            else:
                self.redraw()
            return event

    def stop(self) -> dict[str, Any]:
        with self._journal.lock:
            if self.current is None or self.current.phase(self._journal.clock()) == FlashPhase.ENDED:
                raise LiveError(_("No flash sale is running."))
            return self._end(EndReason.STOPPED)

    def clear(self) -> None:
        """Take the (ended) flash-sale card off the program."""
        with self._journal.lock:
            self._layout.remove(OVERLAY_FLASH)

    def tick(self) -> None:
        """Announce the opening and the end once each; redraw the card when the countdown's second changes."""
        sale = self.current
        if sale is None:
            return
        phase = sale.phase(self._journal.clock())
        if phase == FlashPhase.LIVE and sale.announced == FlashPhase.PREROLL:
            sale.announced = FlashPhase.LIVE
            self._journal.commit("flash_sale.opened", {"id": sale.id, "ends_at": sale.ends_at}, self._state())
        if phase == FlashPhase.ENDED and sale.announced != FlashPhase.ENDED:
            self._end(sale.ran_out_reason())
        second = int(max(sale.starts_at, sale.ends_at) - self._journal.clock()) if phase != FlashPhase.ENDED else -1
        if second != self._shown_second:
            self._shown_second = second
            self.redraw()

    def redraw(self) -> None:
        if not self._layout.is_drawing:
            return
        public = self.to_json()
        self._layout.draw_flash_sale(public, self._shelf.products.get(public["sku"]) if public else None)

    def to_json(self) -> dict[str, Any] | None:
        """The sale as the snapshot and the events show it (no buyers), with its phase and countdown."""
        sale = self.current
        if sale is None:
            return None
        now = self._journal.clock()
        phase = sale.phase(now)
        countdown = sale.starts_at - now if phase == FlashPhase.PREROLL else sale.ends_at - now if phase == FlashPhase.LIVE else 0.0
        public = sale.to_state()
        del public["buyers"], public["announced"]
        public.update(phase=phase.value, countdown_s=round(max(0.0, countdown), 3), remaining=sale.remaining)
        if phase == FlashPhase.ENDED and not public["end_reason"]:
            public["end_reason"] = sale.ran_out_reason().value
        return public

    def _end(self, reason: EndReason) -> dict[str, Any]:
        sale = self.current
        assert sale is not None
        sale.end_reason = reason
        sale.announced = FlashPhase.ENDED
        self.redraw()
        return self._journal.commit("flash_sale.ended", {"id": sale.id, "reason": reason.value, "sold": sale.sold,
                                                         "remaining": sale.remaining}, self._state())

    def _state(self) -> dict[str, Any]:
        return {"flash_sale": self.current.to_state() if self.current else None}


def _sale_price(value: Any) -> str | None:
    """A flash-sale price as exact decimal text (None: the catalog price); :class:`LiveError` in
    words for anything that is not an amount above zero."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = inputs.finite_decimal(value)
    if number is None:
        raise LiveError(_("The sale price “{value}” is not an amount; write it like 9.99.").format(value=inputs.quoted(value)))
    if number <= 0:
        raise LiveError(_("The sale price must be above zero."))
    return inputs.amount(number, _("The sale price"))


def _currency(value: Any) -> str | None:
    """An ISO 4217 code (``"USD"``) or None; :class:`LiveError` in words otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    code = value.strip().upper() if isinstance(value, str) else ""
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise LiveError(_("A currency is a three-letter code like USD or EUR."))
    return code


def _money(amount: str, currency: str, locale: str) -> str:
    try:
        return format_currency(Decimal(amount), currency, locale=locale)
    except (ValueError, TypeError, UnknownLocaleError):
        return f"{amount} {currency}"
