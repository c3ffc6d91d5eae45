"""The show's cards on the vertical (9:16) program: laid out for a phone, inside the platforms' safe box.

In the vertical canvas's auto layout the picture is cut from the horizontal program *before*
its overlays, so the horizontal cards never reach vertical viewers (and cropping them would
cut them anyway).  Each card is therefore drawn a second time, by the same renderer, at the
size it is shown on the vertical program, and placed by these rules:

- **The box.**  Cards stay inside the box that clears the platforms' own UI (right rail, bottom
  comment area, top bar): by default the engine's box for TikTok + Reels + Shorts together
  (PRODUCT.md: x 120–888, y 288–1248 on 1080×1920, scaled); for named platforms, the
  intersection of the cover designer's presets' safe areas (:func:`safe_box`).
- **Fixed slots, two stacks.**  Coupon then giveaway hang from the box's top edge; product
  card, flash sale above it, pinned answer above that stand on its bottom edge (where the
  platforms' own product pop-ups sit, above the comment feed).  Every card has its own slot,
  sized so that all five fit at once with a gap between neighbours, so cards never overlap
  and never jump when another one comes or goes.
- **Size.**  ``scale`` = box height ÷ (the five designed card heights + four gaps) — 1.26 on
  a 1080×1920 canvas; product card and coupon are their designed width × scale (at most the
  box's width), flash sale, giveaway and answer take the box's whole width: their long lines
  (the product with its price, the call with its keyword, the answer) need it at phone text size.
- **Legible on a phone.**  A vertical live fills a phone's screen, ~360 px (CSS/dp) wide at
  the narrowest; PRODUCT.md's L2 wants text ≥ 11 px there, so no text on a vertical card is
  smaller than 11 × canvas width ÷ 360 (33 px on a 1080-wide canvas).  The cards' rows hold
  text up to 27 px at scale 1, so the floor is capped at 27 × scale: on 9:16 canvases (every
  vertical platform's shape) the cap is above the L2 floor; on a squatter one (4:5) the text
  stays inside its rows rather than overlapping the next line.
- **Reading direction.**  The product card sits on the reading-start side, the coupon on the
  reading-end side (as on the horizontal program) — mirrored for right-to-left locales, like
  the horizontal layout; the cards' own insides mirror as they do there.
- **Motion.**  The horizontal card's enter/exit motion (same duration, fade and distance,
  scaled); a glide that would start outside the box comes from the other side instead, so
  not even the motion passes under the platforms' UI.

With the vertical canvas off nothing here renders or places anything.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from studio.core.i18n import _
from studio.live.errors import LiveError
from studio.live.render import CARD_SIZES_PX
from studio.overlays import Animation, Overlay
from studio.scene import CanvasRole, vertical_safe_box

PHONE_WIDTH_PX = 360  # the narrowest common phone screen (CSS px / dp) a vertical live fills
MIN_TEXT_PX_ON_PHONE = 11  # PRODUCT.md L2: text ≈ 11 px tall at the smallest display width
GAP_PX_AT_SCALE_1 = 16  # between two stacked cards, scaled like the cards
ROW_TEXT_PX_AT_SCALE_1 = 27  # the largest text the cards' rows hold at scale 1 (caps the phone floor)
TOP_STACK = ("coupon", "giveaway")  # hanging from the box's top edge, in this order
BOTTOM_STACK = ("product", "flash_sale", "answer")  # standing on the box's bottom edge, upwards
START_SIDE = frozenset({"product"})  # on the reading-start side (left; right when mirrored)
END_SIDE = frozenset({"coupon"})  # on the reading-end side
FULL_WIDTH = frozenset({"flash_sale", "giveaway", "answer"})  # as wide as the box

# Where the horizontal card glides in from (unit vector; x is flipped for right-to-left), as in
# OverlayLayout: the product from the start edge, the coupon from the end edge, the flash sale
# and the answer from below, the giveaway from above.
_SLIDE_FROM = {"product": (-1, 0), "coupon": (1, 0), "flash_sale": (0, 1), "giveaway": (0, -1), "answer": (0, 1)}

# Platform ids (the go-live presets' and common names) → the cover designer's preset with that
# platform's UI zones on a vertical picture.
PLATFORM_PRESETS = {
    "tiktok": "tiktok_live", "tiktok_live": "tiktok_live",
    "instagram": "instagram_vertical", "reels": "instagram_vertical", "facebook": "instagram_vertical",
    "instagram_vertical": "instagram_vertical", "facebook_vertical": "instagram_vertical",
    "youtube": "vertical_universal", "shorts": "vertical_universal", "youtube_shorts": "vertical_universal",
    "shopee": "shopee_vertical", "shopee_vertical": "shopee_vertical",
    "lazada": "vertical_universal", "vertical_universal": "vertical_universal", "generic_9x16": "generic_9x16",
}

# (scale, width_px, min_text_px) → the card's H×W×4 RGBA picture
Painter = Callable[[float, int | None, int], np.ndarray]


@dataclass(frozen=True)
class Box:
    """A rectangle in canvas pixels."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def contains(self, other: "Box") -> bool:
        return self.x <= other.x and self.y <= other.y and other.right <= self.right and other.bottom <= self.bottom

    def overlaps(self, other: "Box") -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom

    def moved(self, dx: int, dy: int) -> "Box":
        return Box(self.x + dx, self.y + dy, self.w, self.h)


# ------------------------------------------------------------------------------- arithmetic
def min_text_px(canvas_width: int) -> int:
    """The smallest text (px) a card may carry on a ``canvas_width``-wide vertical picture."""
    return math.ceil(MIN_TEXT_PX_ON_PHONE * canvas_width / PHONE_WIDTH_PX)


def safe_box(width: int, height: int, platforms: Iterable[str] = ()) -> Box:
    """The box cards stay in on a ``width``×``height`` vertical canvas.

    No platforms: the engine's box that clears TikTok, Reels and Shorts together.  Otherwise the
    intersection of each platform's safe area from the cover designer's presets, scaled to the
    canvas.  A platform whose preset lists no UI zones (Shopee's 900×1600) is given the cautious
    three-platform box: its app draws buttons and comments too, we just have no numbers for them.
    """
    from cover_designer.presets import PRESETS

    names = [str(name).strip().lower().replace("-", "_") for name in platforms if str(name).strip()]
    if not names:
        return Box(*vertical_safe_box(width, height))
    left, top, right, bottom = 0.0, 0.0, float(width), float(height)
    for name in names:
        preset_id = PLATFORM_PRESETS.get(name)
        if preset_id is None:
            raise LiveError(_("No safe area is known for “{name}” (use one of: {names}).").format(
                name=name, names=", ".join(sorted(PLATFORM_PRESETS))))
        preset = PRESETS[preset_id]
        if not preset.unsafe:
            preset = PRESETS["vertical_universal"]
        rect = preset.safe_rect()
        sx, sy = width / preset.width, height / preset.height
        left, top = max(left, rect.x * sx), max(top, rect.y * sy)
        right, bottom = min(right, rect.right * sx), min(bottom, rect.bottom * sy)
    x0, y0 = math.ceil(left), math.ceil(top)
    return Box(x0, y0, max(0, math.floor(right) - x0), max(0, math.floor(bottom) - y0))


@dataclass(frozen=True)
class VerticalPlan:
    """Where every card goes on one vertical canvas: ``slots`` maps a card kind to its box."""

    width: int
    height: int
    box: Box
    scale: float
    min_text_px: int
    slide_px: int
    slots: dict[str, Box]
    is_mirrored: bool

    def slide(self, kind: str) -> tuple[int, int]:
        """(dx, dy) the card glides in from: the horizontal card's direction, turned round when
        that would start it outside the box (and none when neither way fits)."""
        ux, uy = _SLIDE_FROM[kind]
        if self.is_mirrored:
            ux = -ux
        slot = self.slots[kind]
        for sign in (1, -1):
            dx, dy = sign * ux * self.slide_px, sign * uy * self.slide_px
            if self.box.contains(slot.moved(dx, dy)):
                return dx, dy
        return 0, 0


def plan(width: int, height: int, is_mirrored: bool = False, box: Box | None = None, slide_px_at_scale_1: int = 0) -> VerticalPlan:
    """Lay the five card slots out on a ``width``×``height`` vertical canvas (see the module's rules);
    ``slide_px_at_scale_1``: how far a card glides in at scale 1 (the horizontal layout's distance)."""
    box = box or Box(*vertical_safe_box(width, height))
    kinds = TOP_STACK + BOTTOM_STACK
    units = sum(CARD_SIZES_PX[kind][1] for kind in kinds) + GAP_PX_AT_SCALE_1 * (len(kinds) - 2)
    # Two stacks: the gap between them is whatever is left, at least one gap.
    units += GAP_PX_AT_SCALE_1
    scale = box.h / units
    gap = int(GAP_PX_AT_SCALE_1 * scale)

    def sized(kind: str) -> tuple[int, int]:
        designed_w, designed_h = CARD_SIZES_PX[kind]
        width = box.w if kind in FULL_WIDTH else min(int(designed_w * scale), box.w)
        return width, int(designed_h * scale)  # the height is the renderer's own int(h × scale)

    def x_for(kind: str, w: int) -> int:
        if kind in START_SIDE:
            return box.right - w if is_mirrored else box.x
        if kind in END_SIDE:
            return box.x if is_mirrored else box.right - w
        return box.x + (box.w - w) // 2

    slots: dict[str, Box] = {}
    y = box.y
    for kind in TOP_STACK:
        w, h = sized(kind)
        slots[kind] = Box(x_for(kind, w), y, w, h)
        y += h + gap
    y = box.bottom
    for kind in BOTTOM_STACK:
        w, h = sized(kind)
        y -= h
        slots[kind] = Box(x_for(kind, w), y, w, h)
        y -= gap
    floor_px = min(min_text_px(width), int(ROW_TEXT_PX_AT_SCALE_1 * scale))
    return VerticalPlan(width, height, box, scale, floor_px, int(slide_px_at_scale_1 * scale), slots, is_mirrored)


# ------------------------------------------------------------------------------- the cards
@dataclass
class _Card:
    kind: str
    z: int
    paint: Painter


class VerticalCards:
    """Puts the show's cards on ``studio``'s vertical program, laid out by :func:`plan`.

    Called under the show's lock, on the threads that draw the horizontal cards (the command
    thread, the show's ticker).  ``canvases_changed`` may arrive on any thread (the GUI's): it
    only marks the layout stale; the ticker lays the cards out again (:meth:`follow_canvas`).
    """

    def __init__(self, studio: Any | None, animation_ms: int, slide_px_at_scale_1: int) -> None:
        self.studio = studio
        self.animation_ms = animation_ms  # the horizontal cards' motion, so both programs move alike
        self.slide_px_at_scale_1 = slide_px_at_scale_1
        self.platforms: tuple[str, ...] = ()  # the vertical destinations' platforms; () = TikTok + Reels + Shorts
        self.renders = 0  # cards rendered for the vertical program (none while it is off)
        self._cards: dict[str, _Card] = {}  # what is up, to draw again when the canvas changes
        self._leaving: dict[str, Overlay] = {}
        self._is_stale = threading.Event()
        self._drawn_on: Any = self.compositor  # the vertical compositor the cards were last laid out on

    @property
    def compositor(self) -> Any | None:
        """The vertical compositor, or None while the canvas is off (or without an engine of ours)."""
        lookup = getattr(self.studio, "compositor_for", None)
        return lookup(CanvasRole.VERTICAL) if lookup is not None else None

    def plan(self, is_mirrored: bool) -> VerticalPlan | None:
        """The layout on the vertical canvas as it is now (None while it is off)."""
        compositor = self.compositor
        if compositor is None:
            return None
        return plan(compositor.width, compositor.height, is_mirrored, self._box(compositor), self.slide_px_at_scale_1)

    def _box(self, compositor: Any) -> Box:
        """The named platforms' box, else the engine's own (TikTok + Reels + Shorts).

        Computed for the compositor's size with the function behind ``Studio.vertical.safe_box``
        rather than by asking the engine: during a resize the engine's collection already has the
        new size while the old compositor is still the one drawn on.
        """
        return safe_box(compositor.width, compositor.height, self.platforms)

    # -- drawing (under the show's lock) ------------------------------------------------------------
    def put(self, overlay_id: str, kind: str, z: int, paint: Painter, is_mirrored: bool, replay: bool = False) -> None:
        """Show or redraw a card; a card new on screen (or ``replay``) plays the enter motion."""
        self._cards[overlay_id] = _Card(kind, z, paint)
        compositor = self.compositor
        if compositor is None:
            return  # the vertical canvas is off: no render, no work
        self._draw(compositor, overlay_id, self._cards[overlay_id], is_mirrored, replay)

    def remove(self, overlay_id: str) -> None:
        """Take a card off: it plays its exit motion, then :meth:`sweep` removes it."""
        self._cards.pop(overlay_id, None)
        compositor = self.compositor
        if compositor is None:
            return
        current = _find(compositor, overlay_id)
        if current is None or current.animation is None:
            compositor.remove_overlay(overlay_id)
        elif not current.is_leaving:
            leaving = current.leaving()
            compositor.set_overlay(leaving)
            self._leaving[overlay_id] = leaving

    def sweep(self) -> None:
        compositor = self.compositor
        for overlay_id, leaving in list(self._leaving.items()):
            if compositor is None:
                del self._leaving[overlay_id]
            elif leaving.has_left():
                del self._leaving[overlay_id]
                if _find(compositor, overlay_id) is leaving:  # not shown again meanwhile
                    compositor.remove_overlay(overlay_id)

    def clear_leaving(self) -> None:
        compositor = self.compositor
        for overlay_id in list(self._leaving):
            self._leaving.pop(overlay_id)
            if compositor is not None:
                compositor.remove_overlay(overlay_id)

    # -- following the canvas -----------------------------------------------------------------------
    def mark_stale(self, **_payload: Any) -> None:
        """``canvases_changed`` listener (any thread): lay out again on the next tick; nothing else here."""
        self._is_stale.set()

    def follow_canvas(self, is_mirrored: bool) -> None:
        """On the ticker: when the vertical canvas came, went or changed size, lay every card out on it
        again (a new compositor starts without overlays); when it is off, just forget the old one."""
        compositor = self.compositor
        if not self._is_stale.is_set() and compositor is self._drawn_on:
            return
        self._is_stale.clear()
        self._leaving.clear()  # they were on the compositor that went
        self._drawn_on = compositor
        # Cards already redrawn on this compositor keep their motion; the others enter afresh.
        self.relayout(is_mirrored)

    def relayout(self, is_mirrored: bool, replay: bool = False) -> None:
        """Draw every card up again at the current canvas's size (locale or platforms changed)."""
        compositor = self.compositor
        if compositor is None:
            return
        for overlay_id, card in list(self._cards.items()):
            self._draw(compositor, overlay_id, card, is_mirrored, replay)

    def set_platforms(self, platforms: Iterable[str], is_mirrored: bool) -> None:
        """Keep clear of these platforms' UI (go-live ids such as "tiktok", "instagram", "shopee")."""
        names = tuple(str(name) for name in platforms)
        if self.compositor is not None:
            safe_box(self.compositor.width, self.compositor.height, names)  # raises LiveError for an unknown one
        else:
            safe_box(1080, 1920, names)
        self.platforms = names
        self.relayout(is_mirrored)

    def _draw(self, compositor: Any, overlay_id: str, card: _Card, is_mirrored: bool, replay: bool) -> None:
        layout = plan(compositor.width, compositor.height, is_mirrored, self._box(compositor), self.slide_px_at_scale_1)
        slot = layout.slots[card.kind]
        rgba = card.paint(layout.scale, slot.w, layout.min_text_px)
        self.renders += 1
        current = _find(compositor, overlay_id)
        self._leaving.pop(overlay_id, None)
        is_new = current is None or current.is_leaving or replay
        dx, dy = layout.slide(card.kind)
        compositor.set_overlay(Overlay(overlay_id, rgba, x=slot.x, y=slot.y, z=card.z,
                                       shown_ns=None if is_new else current.shown_ns,
                                       animation=Animation(self.animation_ms, slide_dx=dx, slide_dy=dy)), starts_now=is_new)


def _find(compositor: Any, overlay_id: str) -> Overlay | None:
    return next((o for o in compositor.overlays if o.overlay_id == overlay_id), None)
