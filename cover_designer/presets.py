"""Platform cover presets: canvas size, areas covered by the platform's UI, file limits.

Numbers come from the product brief (docs/PRODUCT.md, "Platform cover presets").  Unsafe zones
are rectangles in canvas pixels where the platform draws its own UI over the cover.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from studio.core.i18n import N_


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def intersects(self, other: "Rect") -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom

    def intersection_area(self, other: "Rect") -> float:
        w = min(self.right, other.right) - max(self.x, other.x)
        h = min(self.bottom, other.bottom) - max(self.y, other.y)
        return max(0.0, w) * max(0.0, h)


@dataclass(frozen=True)
class Preset:
    """One platform's cover format."""

    id: str
    name: str
    width: int
    height: int
    unsafe: tuple[tuple[str, Rect], ...] = ()
    max_bytes: int | None = None
    formats: tuple[str, ...] = ("png", "jpeg", "webp")
    title_max_chars: int | None = None
    # "ok": text is fine; "avoid": little/no text wanted (warn); "none": no text allowed on covers (warn).
    text_policy: str = "ok"
    # Width in px at which the cover is smallest on screen (for L2 text height).
    smallest_display_width_px: int = 168
    notes: str = ""
    aliases: tuple[str, ...] = field(default=())
    allows_logo: bool = True
    # How many covers the platform takes for one show (Lazada: 3); see coverset.py.
    cover_count: int = 1

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def aspect_class(self) -> str:
        ratio = self.width / self.height
        if ratio > 1.2:
            return "landscape"
        if ratio < 0.83:
            return "portrait"
        return "square"

    def safe_rect(self) -> Rect:
        """Largest rectangle left by trimming every unsafe zone that touches an edge."""
        left, top, right, bottom = 0.0, 0.0, float(self.width), float(self.height)
        for _name, zone in self.unsafe:
            is_column = zone.h >= self.height * 0.5 and zone.w < self.width * 0.5
            is_row = zone.w >= self.width * 0.5 and zone.h < self.height * 0.5
            if is_column and zone.x <= 0:
                left = max(left, zone.right)
            elif is_column and zone.right >= self.width:
                right = min(right, zone.x)
            elif is_row and zone.y <= 0:
                top = max(top, zone.bottom)
            elif is_row and zone.bottom >= self.height:
                bottom = min(bottom, zone.y)
        # Corner badges (e.g. YouTube's duration) do not shrink the whole safe area.
        return Rect(left, top, right - left, bottom - top)

    def min_text_height_px(self) -> float:
        """L2: 11 px tall at the smallest display width, scaled to this canvas."""
        return 11.0 * self.width / self.smallest_display_width_px


def _edges(w: int, h: int, top: float = 0, bottom: float = 0, left: float = 0, right: float = 0):
    zones = []
    if top:
        zones.append((N_("top bar"), Rect(0, 0, w, top)))
    if bottom:
        zones.append((N_("bottom captions and buttons"), Rect(0, h - bottom, w, bottom)))
    if left:
        zones.append((N_("left edge"), Rect(0, 0, left, h)))
    if right:
        zones.append((N_("right rail"), Rect(w - right, 0, right, h)))
    return tuple(zones)


MB = 1024 * 1024

PRESETS: dict[str, Preset] = {
    p.id: p
    for p in [
        Preset("youtube", "YouTube live", 1280, 720,
               unsafe=((N_("duration badge"), Rect(1280 - 180, 720 - 80, 180, 80)),),
               max_bytes=2 * MB, formats=("jpeg", "png"), smallest_display_width_px=168,
               notes="1280x720 (min 640 wide), JPG/PNG <= 2 MB, duration badge bottom-right"),
        Preset("tiktok_live", "TikTok LIVE", 1080, 1920,
               unsafe=_edges(1080, 1920, top=250, bottom=460, right=180),
               title_max_chars=32, smallest_display_width_px=180,
               notes="title <= 32 chars; right rail, bottom and top covered"),
        Preset("instagram_vertical", "Instagram / Facebook vertical", 1080, 1920,
               unsafe=_edges(1080, 1920, top=0.14 * 1920, bottom=0.35 * 1920, left=0.06 * 1080, right=0.06 * 1080),
               smallest_display_width_px=180, notes="Meta safe zone: 14% top, 35% bottom, 6% sides",
               aliases=("facebook_vertical", "reels")),
        Preset("facebook_live", "Facebook live", 1280, 720, max_bytes=10 * MB, smallest_display_width_px=168),
        Preset("shopee_square", "Shopee Live (1:1)", 800, 800, max_bytes=200 * 1024, title_max_chars=20,
               formats=("jpeg", "webp", "png"), smallest_display_width_px=160,
               notes="1:1, <= 200 KB, title <= 20 chars; person fills 60-70%", aliases=("shopee",)),
        Preset("shopee_vertical", "Shopee Live (900x1600)", 900, 1600, max_bytes=200 * 1024, title_max_chars=20,
               formats=("jpeg", "webp", "png"), smallest_display_width_px=160),
        Preset("lazada", "Lazada LazLive", 800, 800, text_policy="avoid", smallest_display_width_px=160, allows_logo=False,
               cover_count=3, aliases=("lazlive",), notes="3 covers, little text, no watermark/logo, local-language title"),
        Preset("twitch_vod", "Twitch VOD", 1280, 720, max_bytes=10 * MB, smallest_display_width_px=168,
               aliases=("twitch",)),
        Preset("twitch_offline", "Twitch offline banner", 1920, 1080, max_bytes=10 * MB,
               smallest_display_width_px=320),
        Preset("douyin", "Douyin", 1080, 1920, text_policy="none", smallest_display_width_px=180,
               notes="no text; collages or borders allowed"),
        Preset("generic_9x16", "Generic 9:16", 900, 1600,
               unsafe=_edges(900, 1600, top=160, bottom=160, left=81, right=81),
               smallest_display_width_px=160, notes="keep content in the central 738x1280"),
        Preset("vertical_universal", "Vertical (TikTok + Reels + Shorts)", 1080, 1920,
               unsafe=_edges(1080, 1920, top=288, bottom=1920 - 1248, left=120, right=1080 - 888),
               smallest_display_width_px=180, notes="box x 120-888, y 288-1248 clears all three UIs"),
    ]
}

_ALIASES = {alias: p.id for p in PRESETS.values() for alias in p.aliases}


def get_preset(preset_id: str) -> Preset:
    from studio.core.i18n import _

    from .errors import DocumentError

    key = preset_id.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in PRESETS:
        raise DocumentError(_("Unknown preset “{name}” (use one of: {names}).").format(
            name=preset_id, names=", ".join(sorted(PRESETS))))
    return PRESETS[key]
