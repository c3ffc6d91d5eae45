"""``OverlayLayout``: where and how the show's cards appear on the program.

Each unit of the show hands its card's content here (already as the JSON the renderer takes);
the layout picks the region pack and locale, the corner (mirrored for right-to-left locales),
the z-order and the enter/exit motion.  Without a studio (headless tests) nothing is drawn.

When the engine's vertical canvas is on, every card also goes on the vertical program, drawn
again at its vertical size and placed inside the platforms' safe box by
:class:`studio.live.vertical.VerticalCards` (rules in :mod:`studio.live.vertical`).
"""
from __future__ import annotations

from typing import Any, Callable

from studio.core.i18n import _
from studio.live import render
from studio.live.catalog import Product
from studio.live.errors import LiveError
from studio.live.vertical import VerticalCards
from studio.overlays import Animation, Overlay

# Overlay ids and z-order on the program.
OVERLAY_PRODUCT = "live.product"
OVERLAY_COUPON = "live.coupon"
OVERLAY_FLASH = "live.flash_sale"
OVERLAY_GIVEAWAY = "live.giveaway"
OVERLAY_ANSWER = "live.answer"
OVERLAY_LEADERBOARD = "live.leaderboard"
ANIMATION_MS = 250  # enter/exit slide + fade of every card
SLIDE_PX_1080P = 48  # how far a card glides in, at 1080 lines (scaled with the canvas)
MARGIN_PX_1080P = 40


def region_id(region: str | None) -> str | None:
    """A region pack id (cover_designer.regions) or None; raises LiveError for an unknown one."""
    from cover_designer.regions import REGIONS

    if region is None or not str(region).strip():
        return None
    key = str(region).strip().lower().replace("-", "_")
    if key not in REGIONS:
        raise LiveError(_("Unknown region “{name}” (use one of: {names}).").format(name=region, names=", ".join(sorted(REGIONS))))
    return key


def checked_locale(locale: str) -> str:
    """``locale`` when CLDR knows it; :class:`LiveError` in words otherwise."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale)
    except (ValueError, TypeError, UnknownLocaleError):
        raise LiveError(_("Unknown locale “{locale}”.").format(locale=locale)) from None
    return locale


class OverlayLayout:
    """Places the show's cards on ``studio``'s program with their motion; remembers the cards
    that are playing their exit motion until :meth:`sweep` takes them off."""

    def __init__(self, studio: Any | None, locale: str = "en_US", region: str | None = None) -> None:
        self.studio = studio
        self.locale = locale
        self.region = region_id(region)  # the region pack chosen for the cards; None = the locale's
        self._leaving: dict[str, Overlay] = {}  # overlays playing their exit motion, removed by sweep()
        self._drawn_sku: str | None = None
        self.vertical = VerticalCards(studio, ANIMATION_MS, SLIDE_PX_1080P)  # the same cards on the vertical program
        self._canvases_changed = getattr(studio, "canvases_changed", None)
        if self._canvases_changed is not None:
            self._canvases_changed.connect(self.vertical.mark_stale)

    def close(self) -> None:
        """Stop following the engine's canvases (the show stopped)."""
        if self._canvases_changed is not None:
            self._canvases_changed.disconnect(self.vertical.mark_stale)
            self._canvases_changed = None

    @property
    def is_drawing(self) -> bool:
        return self.studio is not None

    @property
    def overlay_region(self) -> str:
        """The region pack the cards are drawn with: the chosen one, else the locale's."""
        from cover_designer.regions import region_for_locale

        return self.region or region_for_locale(self.locale)

    @property
    def is_mirrored(self) -> bool:
        """Middle-East locales mirror the whole overlay layout (not numbers or logos); the same
        answer the cards' own layout gets from the region style."""
        return render.overlay_style(self.locale, self.overlay_region).is_mirrored

    # -- the cards -------------------------------------------------------------------------------
    def draw_product(self, product: Product | None) -> None:
        if self.studio is None:
            return
        if product is None:
            self._drawn_sku = None
            self.remove(OVERLAY_PRODUCT)
            return
        width, height, scale = self._geometry()
        locale, region = self.locale, self.overlay_region

        def paint(scale: float, width_px: int | None = None, min_text_px: int = 0) -> Any:
            return render.product_card(product, locale, scale, region=region, width_px=width_px, min_text_px=min_text_px)

        rgba = paint(scale)
        margin = int(MARGIN_PX_1080P * scale)
        x = width - margin - rgba.shape[1] if self.is_mirrored else margin
        replay = self._drawn_sku is not None and self._drawn_sku != product.sku  # another product: enter again
        self._drawn_sku = product.sku
        self._put(OVERLAY_PRODUCT, rgba, x, height - margin - rgba.shape[0], 10, replay=replay)
        self._put_vertical(OVERLAY_PRODUCT, "product", 10, paint, replay)

    def draw_coupon(self, coupon: dict[str, Any] | None) -> None:
        if self.studio is None:
            return
        if coupon is None:
            self.remove(OVERLAY_COUPON)
            return
        width, _height, scale = self._geometry()
        locale, region = self.locale, self.overlay_region

        def paint(scale: float, width_px: int | None = None, min_text_px: int = 0) -> Any:
            return render.coupon_banner(coupon, locale, scale, region=region, width_px=width_px, min_text_px=min_text_px)

        rgba = paint(scale)
        margin = int(MARGIN_PX_1080P * scale)
        self._put(OVERLAY_COUPON, rgba, margin if self.is_mirrored else width - margin - rgba.shape[1], margin, 11)
        self._put_vertical(OVERLAY_COUPON, "coupon", 11, paint)

    def draw_flash_sale(self, sale: dict[str, Any] | None, product: Product | None) -> None:
        if self.studio is None:
            return
        if sale is None:
            self.remove(OVERLAY_FLASH)
            return
        width, height, scale = self._geometry()
        locale, region = self.locale, self.overlay_region

        def paint(scale: float, width_px: int | None = None, min_text_px: int = 0) -> Any:
            return render.flash_sale_card(sale, product, locale, scale, region=region, width_px=width_px,
                                          min_text_px=min_text_px)

        rgba = paint(scale)
        margin = int(MARGIN_PX_1080P * scale)
        x = margin if self.is_mirrored else width - margin - rgba.shape[1]
        self._put(OVERLAY_FLASH, rgba, x, height - margin - rgba.shape[0], 12)
        self._put_vertical(OVERLAY_FLASH, "flash_sale", 12, paint)

    def draw_giveaway(self, giveaway: dict[str, Any] | None) -> None:
        if self.studio is None:
            return
        if giveaway is None or (not giveaway["is_open"] and not giveaway["winners"]):
            self.remove(OVERLAY_GIVEAWAY)
            return
        width, _height, scale = self._geometry()
        margin = int(MARGIN_PX_1080P * scale)
        locale, region = self.locale, self.overlay_region

        def paint(scale: float, width_px: int | None = None, min_text_px: int = 0) -> Any:
            return render.giveaway_card(giveaway, scale, locale, region, width_px=width_px, min_text_px=min_text_px)

        rgba = paint(scale)
        self._put(OVERLAY_GIVEAWAY, rgba, width - margin - rgba.shape[1] if self.is_mirrored else margin, margin, 13)
        self._put_vertical(OVERLAY_GIVEAWAY, "giveaway", 13, paint)

    def draw_answer(self, answer: dict[str, Any] | None) -> None:
        if self.studio is None:
            return
        if answer is None:
            self.remove(OVERLAY_ANSWER)
            return
        width, height, scale = self._geometry()
        locale, region = self.locale, self.overlay_region

        def paint(scale: float, width_px: int | None = None, min_text_px: int = 0) -> Any:
            return render.answer_card(answer["comment"], answer["answer"], scale, locale, region, width_px=width_px,
                                      min_text_px=min_text_px)

        rgba = paint(scale)
        self._put(OVERLAY_ANSWER, rgba, (width - rgba.shape[1]) // 2, int(height * 0.55), 14)
        self._put_vertical(OVERLAY_ANSWER, "answer", 14, paint)

    def draw_leaderboard(self, rows: list[dict[str, Any]] | None) -> None:
        """The referral leaderboard below the coupon's corner (horizontal program only)."""
        if self.studio is None:
            return
        if rows is None:
            self.remove(OVERLAY_LEADERBOARD)
            return
        width, _height, scale = self._geometry()
        rgba = render.leaderboard_card(rows, scale, self.locale, self.overlay_region)
        margin = int(MARGIN_PX_1080P * scale)
        x = margin if self.is_mirrored else width - margin - rgba.shape[1]
        self._put(OVERLAY_LEADERBOARD, rgba, x, int(160 * scale), 9)

    # -- motion ----------------------------------------------------------------------------------
    def remove(self, overlay_id: str) -> None:
        """Take a card off: it plays its exit motion, then :meth:`sweep` removes it."""
        if self.studio is None:
            return
        self.vertical.remove(overlay_id)
        current = self._current(overlay_id)
        if current is None or current.animation is None:
            self.studio.remove_overlay(overlay_id)
            return
        if not current.is_leaving:
            leaving = current.leaving()
            self.studio.compositor.set_overlay(leaving)
            self._leaving[overlay_id] = leaving

    def sweep(self) -> None:
        """Remove the cards whose exit motion has finished (called by the show's ticker)."""
        self.vertical.sweep()
        for overlay_id, leaving in list(self._leaving.items()):
            if leaving.has_left():
                del self._leaving[overlay_id]
                if self._current(overlay_id) is leaving:  # not shown again meanwhile
                    self.studio.remove_overlay(overlay_id)

    def clear_leaving(self) -> None:
        """At stop: cards mid-exit go now rather than linger unseen."""
        self.vertical.clear_leaving()
        for overlay_id in list(self._leaving):
            self._leaving.pop(overlay_id)
            if self.studio is not None:
                self.studio.remove_overlay(overlay_id)

    # -- the vertical program --------------------------------------------------------------------
    def follow_canvas(self) -> None:
        """On the show's ticker: lay the vertical cards out again after the vertical canvas was
        turned on, resized or off (``canvases_changed`` only marks it; no rendering on its thread)."""
        if self.studio is not None:
            self.vertical.follow_canvas(self.is_mirrored)

    def set_vertical_platforms(self, platforms: tuple[str, ...] | list[str]) -> None:
        """Keep the vertical cards clear of these platforms' UI ("tiktok", "instagram", "shopee", …;
        empty: TikTok, Reels and Shorts together).  Raises :class:`LiveError` for an unknown one."""
        self.vertical.set_platforms(platforms, self.is_mirrored)

    def _put_vertical(self, overlay_id: str, kind: str, z: int, paint: Callable[..., Any], replay: bool = False) -> None:
        """The same card on the vertical program, drawn at its vertical size (nothing while the canvas is off)."""
        self.vertical.put(overlay_id, kind, z, paint, self.is_mirrored, replay)

    def _geometry(self) -> tuple[int, int, float]:
        canvas = self.studio.collection.canvas
        return canvas.width, canvas.height, canvas.height / 1080.0

    def _slide(self, overlay_id: str) -> tuple[int, int]:
        """Where a card glides in from: its nearest screen edge (mirrored for right-to-left)."""
        _width, _height, scale = self._geometry()
        step = int(SLIDE_PX_1080P * scale)
        side = -1 if self.is_mirrored else 1
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
        compositor = getattr(self.studio, "compositor", None)
        if compositor is None:  # an engine without a compositor of ours: no motion
            self.studio.set_overlay(overlay_id, rgba, int(x), int(y), z=z)
            return
        current = self._current(overlay_id)
        self._leaving.pop(overlay_id, None)
        is_new = current is None or current.is_leaving or replay
        dx, dy = self._slide(overlay_id)
        compositor.set_overlay(Overlay(overlay_id, rgba, x=int(x), y=int(y), z=z,
                                       shown_ns=None if is_new else current.shown_ns,
                                       animation=Animation(ANIMATION_MS, slide_dx=dx, slide_dy=dy)), starts_now=is_new)
