"""``LiveShow``: the live commerce state of one show, journaled to SQLite and drawn on the program.

The show is a facade over units with one job each, all sharing one :class:`ShowJournal`
(store, event bus, clock, lock) and one :class:`OverlayLayout`:

- ``show.shelf``: the catalog and the pinned product (:mod:`studio.live.products`)
- ``show.coupons``, ``show.flash_sale``: promotions (:mod:`studio.live.promotions`)
- ``show.giveaway``: the commit-reveal giveaway (:mod:`studio.live.giveaway`)
- ``show.comments``, ``show.quick_replies``: chat, Q&A and replies (:mod:`studio.live.qa`)
- ``show.rundown``: the run-of-show (:mod:`studio.live.rundown`)
- ``show.referrals``: the referral programme (:mod:`studio.live.referrals`)

Every command validates, writes one journal event plus the new state in one SQLite
transaction, emits ``event`` (``studio.core.events.Signal``: ``emit(event=dict)``) and refreshes the
affected overlay.  Deadlines are absolute wall-clock seconds from the injected ``clock`` so a
restart after SIGKILL resumes countdowns with the right remaining time.
"""
from __future__ import annotations

import copy
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable

from studio.core.events import Signal
from studio.core.i18n import _, ngettext
from studio.core.paths import free_path
from studio.live.catalog import Product
from studio.live.comments import DEFAULT_KEYWORDS, CommentAdapter
from studio.live.giveaway import Giveaway
from studio.live.journal import ShowJournal
from studio.live.layout import OverlayLayout, checked_locale, region_id
from studio.live.products import ProductShelf
from studio.live.promotions import Coupons, FlashSale
from studio.live.qa import Comments, QuickReplies
from studio.live.referrals import Referrals
from studio.live.rundown import Plan, RunOfShow
from studio.live.store import LiveStore

log = logging.getLogger(__name__)

TICK_INTERVAL_S = 0.25
RUN_KEY = "run"  # store key: {"is_open": bool, "opened_at": wall s} (bookkeeping, not journaled)
# What a new show takes over from the last one: preparation, not anything on air.
CARRIED_KEYS = ("products", "quick_replies", "blocked", "referral_rules", "referral_history")
ARCHIVE_DIR = "shows"


class LiveShow:
    """The assistant's side of a show.  ``start()`` runs a small ticker thread; ``stop()`` joins it.

    ``studio`` may be None (headless tests); then nothing is drawn.  ``clock`` returns wall
    seconds (inject a fake in tests and call :meth:`tick`).  Commands live on the units
    (``show.coupons.create(...)``, ``show.flash_sale.start(...)``); :meth:`pin`, :meth:`unpin`,
    :meth:`product`, :meth:`create_coupon` and :meth:`add_comment` stay here for the callers
    outside the live package that use them (output and settings tests, the channel-delivery checks).
    """

    def __init__(self, studio: Any | None, db_path: str | Path, catalog: str | Path | None = None,
                 locale: str = "en_US", clock: Callable[[], float] = time.time,
                 keywords: tuple[str, ...] = DEFAULT_KEYWORDS, region: str | None = None) -> None:
        self.studio = studio
        self.audience: Any = None  # the platforms' audience (studio.live.audience.ShowAudience) when one runs
        self.clock = clock
        self.store = LiveStore(db_path)
        self.journal = ShowJournal(self.store, clock)
        self.event: Signal = self.journal.event  # emit(event={"seq","t","type","data"})
        self.stream_state: Callable[[], str] = lambda: "offline"
        self.layout = OverlayLayout(studio, locale, region)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._adapters: list[CommentAdapter] = []
        self._keywords = keywords
        saved = self.store.load_state()
        self._build_units(saved)
        self.restored = bool(saved)
        # The app marks the show open while it runs it and closed at a clean stop: a show found
        # open was interrupted (crash, power cut) and comes back by itself; a show that ended
        # cleanly comes back only when the host says so (see ``previous_show``, ``new_show``).
        self.was_interrupted = bool((saved.get(RUN_KEY) or {}).get("is_open"))
        self.store.put_state({RUN_KEY: {"is_open": True, "opened_at": self.clock()}})
        if catalog is not None:
            self.shelf.load(catalog)
        running = getattr(studio, "running", None)
        if running is not None and hasattr(running, "text_variables"):
            running.text_variables = self.program_variables  # text sources' {price}, {product} …

    def program_variables(self) -> dict[str, str]:
        """What text sources on the program fill in, in the show's locale (what viewers read): the
        pinned product's ``product``, ``price``, ``original_price``, ``discount`` and ``stock``; all
        empty while nothing is pinned."""
        from babel.numbers import format_decimal, format_percent

        from studio.live.render import format_price
        from studio.sources.text import SHOW_VARIABLES

        values = dict.fromkeys(SHOW_VARIABLES, "")
        locale = self.layout.locale
        with self.journal.lock:
            product = self.shelf.pinned
            if product is None:
                return values
            values["product"] = product.title(locale)
            values["price"] = format_price(product.price, product.currency, locale)
            if product.original_price:
                values["original_price"] = format_price(product.original_price, product.currency, locale)
            if product.discount_percent is not None:
                values["discount"] = format_percent(product.discount_percent / 100, locale=locale)
            if product.stock is not None:
                values["stock"] = format_decimal(product.stock, locale=locale)
        return values

    def _build_units(self, saved: dict[str, Any]) -> None:
        self.shelf = ProductShelf(self.journal, self.layout, saved)
        self.coupons = Coupons(self.journal, self.layout, saved)
        self.flash_sale = FlashSale(self.journal, self.layout, self.shelf, saved)
        self.giveaway = Giveaway(self.journal, self.layout, saved)
        self.quick_replies = QuickReplies(self.journal, self.layout, self.shelf, self.coupons, saved)
        self.comments = Comments(self.journal, self.layout, self.store, self.giveaway, self.quick_replies, self._keywords, saved)
        # Looked up at action time: an engine may swap its scene switcher (and tests pass None).
        studio = self.studio
        switch_scene = (lambda scene: studio.switch_scene(scene)) if studio is not None else None
        self.rundown = RunOfShow(self.journal, self.shelf, self.coupons, self.flash_sale, switch_scene, saved)
        self.referrals = Referrals(self.journal, self.layout, self.coupons, saved)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Draw the restored state and start the ticker (countdowns, overtime)."""
        self.tick()
        self.refresh_overlays()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="live-ticker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        running = getattr(self.studio, "running", None)
        if running is not None and getattr(running, "text_variables", None) == self.program_variables:
            running.text_variables = None  # the show's words leave the text sources with it
        audience = self.audience
        if audience is not None:
            audience.stop()  # connectors first: nothing more may journal into a closing show
        for adapter in self._adapters:
            adapter.stop()
        self._adapters.clear()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(3.0)
            self._thread = None
        with self.journal.lock:
            self.layout.clear_leaving()
            self.layout.close()
        try:
            self.store.put_state({RUN_KEY: {"is_open": False, "closed_at": self.clock()}})
        except sqlite3.Error:  # a full disk must not keep the app from quitting; next start sees a crash
            log.warning("could not mark the show as closed", exc_info=True)
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
        # Looked up per comment: a new show replaces the units, the adapters stay.
        adapter.start(lambda payload: self.comments.add(payload))

    def tick(self) -> None:
        """Announce phase changes (pre-roll → live → ended), segment overtime; redraw countdowns;
        lay the vertical cards out again when the vertical canvas came, went or changed size."""
        with self.journal.lock:
            self.layout.follow_canvas()
            self.layout.sweep()
            self.flash_sale.tick()
            self.rundown.tick()
            self.referrals.tick()

    # -- one show after another ----------------------------------------------------------------------
    def previous_show(self) -> list[str]:
        """What the show restored from the database still has going, in words (empty: nothing):
        the app asks before bringing these back on air after a clean quit."""
        with self.journal.lock:
            items = []
            if self.shelf.pinned_sku:
                items.append(_("product {sku} on screen").format(sku=self.shelf.pinned_sku))
            if self.coupons.shown_code:
                items.append(_("coupon {code} on screen").format(code=self.coupons.shown_code))
            elif self.coupons.by_code:
                items.append(ngettext("{count} coupon", "{count} coupons", len(self.coupons.by_code)).format(count=len(self.coupons.by_code)))
            if self.flash_sale.current is not None:
                items.append(_("a flash sale of {sku}").format(sku=self.flash_sale.current.sku))
            if self.giveaway.current is not None:
                items.append(_("the giveaway “{keyword}”").format(keyword=self.giveaway.current.keyword))
            if self.comments.pinned_answer is not None:
                items.append(_("a pinned answer"))
            if self.rundown.plan.index >= 0:
                items.append(_("the run-of-show at segment {number}").format(number=self.rundown.plan.index + 1))
            comment_count = self.store.count_events("comment.received")
            if comment_count:
                items.append(ngettext("{count} comment", "{count} comments", comment_count).format(count=comment_count))
            return items

    def new_show(self) -> dict[str, Any]:
        """Start a fresh show: the current one is copied to ``shows/show-<time>.db`` next to the
        database (for ``bridgecast review --show-db``), then nothing is on air any more and the
        journal starts again.  The catalog, quick replies and blocked viewers carry over, and the
        run-of-show plan's segments (from the top).  Returns the ``show.new`` event."""
        with self.journal.lock:
            saved = self.store.load_state()
            carried = {key: saved[key] for key in CARRIED_KEYS if key in saved}
            if self.rundown.plan.segments:
                carried["plan"] = Plan(segments=self.rundown.plan.segments).to_state()
            carried[RUN_KEY] = {"is_open": True, "opened_at": self.clock()}
            archive = self._archive_path()
            self.store.archive_to(archive)
            self.store.reset(carried)
            self._build_units(carried)
            self.refresh_overlays()  # every card of the last show leaves the program
            self.was_interrupted = False
            return self.journal.commit("show.new", {"archive": str(archive)})

    def _archive_path(self) -> Path:
        folder = self.store.path.parent / ARCHIVE_DIR
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock()))
        return free_path(folder, f"show-{stamp}", ".db")

    # -- snapshot --------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The contract's ``GET /api/v1/state`` body."""
        with self.journal.lock:
            pinned = self.shelf.pinned
            return copy.deepcopy({
                "pinned_sku": self.shelf.pinned_sku,
                "pinned_product": pinned.to_json() if pinned else None,
                "segment": self.rundown.current_json(),
                "plan": self.rundown.outline_json(),
                "coupons": self.coupons.to_json(),
                "shown_coupon": self.coupons.shown_code,
                "flash_sale": self.flash_sale.to_json(),
                "giveaway": self.giveaway.to_json(),
                "pinned_answer": self.comments.pinned_answer.to_json() if self.comments.pinned_answer else None,
                "question_count": self.comments.question_count,
                "blocked": list(self.comments.blocked),
                "quick_replies": self.quick_replies.to_json(),
                "referrals": self.referrals.brief(),
                "stream_state": self.stream_state(),
                # The latest viewer count per connected platform ({} with none connected).
                "viewers": self.audience.viewers() if self.audience is not None else {},
                "t": self.clock(),
            })

    # -- the cards' language and region ----------------------------------------------------------
    @property
    def locale(self) -> str:
        return self.layout.locale

    @property
    def region(self) -> str | None:
        return self.layout.region

    @property
    def overlay_region(self) -> str:
        """The region pack the cards are drawn with: the chosen one, else the locale's."""
        return self.layout.overlay_region

    def set_locale(self, locale: str) -> None:
        """Prices, dates and the mirrored layout follow ``locale`` (CLDR, e.g. "de_DE", "ar_SA") from now on."""
        checked_locale(locale)
        with self.journal.lock:
            self.layout.locale = locale
            self.refresh_overlays()

    def set_region(self, region: str | None) -> None:
        """Draw the cards with ``region``'s pack (palette, fonts, phrases); None follows the locale."""
        key = region_id(region)
        with self.journal.lock:
            self.layout.region = key
            self.refresh_overlays()

    def set_vertical_platforms(self, platforms: tuple[str, ...] | list[str]) -> None:
        """Keep the vertical cards clear of the UI of the platforms the vertical program goes to
        ("tiktok", "instagram", "shopee", …); empty: TikTok, Reels and Shorts together."""
        with self.journal.lock:
            self.layout.set_vertical_platforms(platforms)

    def refresh_overlays(self) -> None:
        with self.journal.lock:
            self.shelf.redraw()
            self.coupons.redraw()
            self.flash_sale.redraw()
            self.giveaway.redraw()
            self.comments.redraw()
            self.referrals.redraw()

    # -- kept for callers outside studio.live ----------------------------------------------------
    def product(self, sku: str) -> Product:
        return self.shelf.product(sku)

    def pin(self, sku: str) -> dict[str, Any]:
        return self.shelf.pin(sku)

    def unpin(self) -> dict[str, Any]:
        return self.shelf.unpin()

    def add_comment(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Take one inbound comment; see :meth:`Comments.add <studio.live.qa.Comments.add>`."""
        return self.comments.add(payload)

    def create_coupon(self, code: str = "", kind: str = "percent", value: Any = 0, **options: Any) -> dict[str, Any]:
        """See :meth:`Coupons.create <studio.live.promotions.Coupons.create>`."""
        return self.coupons.create(code, kind, value, **options)
