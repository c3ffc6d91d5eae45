"""Text source: words on the program — a title, a price line, a scrolling ticker, a countdown.

Laid out and shaped by the cover designer's text engine (:mod:`cover_designer.text`: raqm shaping,
the region packs' fonts with per-script fallback, so Arabic joins and reads right to left, Thai and
Vietnamese marks stack, CJK wraps between characters), with an outline, a drop shadow and an
optional background box.  ``{countdown}`` in the text counts down to ``countdown_to`` (an ISO 8601
time with its offset): the "starting soon" scene is a full-canvas text source with it.  The live
show's pinned product fills ``{product}``, ``{price}``, ``{original_price}``, ``{discount}`` and
``{stock}`` (:data:`SHOW_VARIABLES`, in the show's locale — what viewers read; empty while nothing is
pinned), looked up once a second through ``variables`` (set by the engine, see
:meth:`studio.live.session.LiveShow.program_variables`).

Cost: a static text is drawn once and the same picture republished once a second; a countdown
is drawn once a second (when its digits change); a ticker (``scroll_px_per_s`` > 0) is drawn
once as a strip and each frame is a slice of it at the canvas rate.
"""
from __future__ import annotations

import logging
import math
import re
import threading
from datetime import datetime, timezone
from typing import Callable, Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from studio.core.clock import NS_PER_S, Ticker, now_ns
from studio.core.i18n import _
from studio.sources import register
from studio.sources.base import SourceState, VideoSource, settings_problem

log = logging.getLogger(__name__)

REPUBLISH_INTERVAL_S = 1.0
SHOW_VARIABLES = ("product", "price", "original_price", "discount", "stock")
MAX_TEXT_CHARS = 2000
_HEX = re.compile(r"#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?")


def _colour(value: str) -> tuple[int, int, int, int]:
    value = value.lstrip("#")
    alpha = int(value[6:8], 16) if len(value) == 8 else 255
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), alpha


class TextSettings(BaseModel):
    """What a text source draws (validated as a whole; out-of-range values are refused in words)."""

    model_config = ConfigDict(extra="ignore")
    text: str = Field("", max_length=MAX_TEXT_CHARS)
    language: str = Field("en", pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")
    width: int = Field(1280, ge=16, le=7680)
    height: int = Field(160, ge=16, le=4320)
    size_px: int = Field(64, ge=8, le=400)
    color: str = Field("#FFFFFF", pattern=_HEX.pattern)
    outline_px: int = Field(0, ge=0, le=24)
    outline_color: str = Field("#000000", pattern=_HEX.pattern)
    shadow_px: int = Field(0, ge=0, le=40)
    box_color: str = Field("", pattern=r"^(|#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?)$")
    box_radius: int = Field(-1, ge=-1, le=200)  # -1: rounded as the text's size suggests
    align: Literal["start", "center", "end"] = "center"
    max_lines: int = Field(4, ge=1, le=20)
    scroll_px_per_s: int = Field(0, ge=0, le=2000)
    fps: int = Field(30, ge=1, le=60)
    countdown_to: str = ""

    @field_validator("countdown_to")
    @classmethod
    def _time(cls, value: str) -> str:
        if value:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError("the countdown's time needs its UTC offset, e.g. 2026-11-11T20:00+08:00")
        return value

    @property
    def target(self) -> datetime | None:
        return datetime.fromisoformat(self.countdown_to) if self.countdown_to else None


def countdown_text(target: datetime | None, now: datetime | None = None) -> str:
    """``H:MM:SS`` (or ``MM:SS`` under an hour) until ``target``; ``0:00`` once it has passed."""
    if target is None:
        return ""
    now = now or datetime.now(timezone.utc)
    left = max(0, math.ceil((target - now).total_seconds()))
    hours, rest = divmod(left, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


def fill_variables(settings: TextSettings, now: datetime | None = None, values: dict[str, str] | None = None) -> str:
    """The text with ``{countdown}`` and the show's variables filled in (a show variable without a
    value is empty — viewers never read "{price}"; other braces stay as written)."""
    text = settings.text
    if "{countdown}" in text:
        text = text.replace("{countdown}", countdown_text(settings.target, now))
    if "{" in text:
        for name in SHOW_VARIABLES:
            text = text.replace("{" + name + "}", (values or {}).get(name, ""))
    return text


def render_text(settings: TextSettings, text: str, strip: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(BGR, alpha) of ``text`` drawn as ``settings`` say.  ``strip``: one line as wide as it is
    (a ticker's whole run), ``settings.height`` high, instead of wrapped into the box."""
    from cover_designer.text import draw_layout, layout_text, resolve_align

    pad = max(4, settings.size_px // 4)
    language = settings.language.replace("_", "-")
    one_line = " ".join(text.split())
    if strip:
        layout = layout_text(one_line, 10 ** 6, settings.height - 2 * pad, settings.size_px, max(8, settings.size_px // 2),
                             "bold", language, "auto", 1, True)
        width = max(16, int(layout.width) + 2 * pad)
    else:
        layout = layout_text(text, settings.width - 2 * pad, settings.height - 2 * pad, settings.size_px,
                             max(8, settings.size_px // 3), "bold", language, "auto", settings.max_lines, True)
        width = settings.width
    height = settings.height
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if settings.box_color:
        radius = min(pad, height // 4) if settings.box_radius < 0 else min(settings.box_radius, height // 2)
        ImageDraw.Draw(image).rounded_rectangle([0, 0, width - 1, height - 1], radius=radius, fill=_colour(settings.box_color))
    top = (height - layout.height) / 2
    align = "left" if strip else resolve_align(settings.align, layout.direction)
    box_w = width - 2 * pad
    if settings.shadow_px:
        shadow = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        draw_layout(ImageDraw.Draw(shadow), layout, pad + settings.shadow_px, top + settings.shadow_px, box_w, align,
                    (0, 0, 0, 160), language, settings.outline_px, (0, 0, 0, 160))
        image = Image.alpha_composite(image, shadow.filter(ImageFilter.GaussianBlur(settings.shadow_px / 2)))
    draw_layout(ImageDraw.Draw(image), layout, pad, top, box_w, align, _colour(settings.color), language,
                settings.outline_px, _colour(settings.outline_color) if settings.outline_px else None)
    rgba = np.asarray(image, dtype=np.uint8)
    alpha = np.ascontiguousarray(rgba[:, :, 3])
    # The compositor takes premultiplied colour with its alpha (as the image source gives it).
    bgr = (rgba[:, :, 2::-1].astype(np.uint16) * alpha[:, :, None] + 127) // 255
    return np.ascontiguousarray(bgr.astype(np.uint8)), alpha


def ticker_window(strip: tuple[np.ndarray, np.ndarray], width: int, offset_px: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``width``-wide view of a scrolling strip at ``offset_px`` (the strip enters from the right
    edge and leaves at the left, then again)."""
    bgr, alpha = strip
    period = bgr.shape[1] + width
    start = offset_px % period - width  # < 0: the strip has not reached the left edge yet
    out_bgr = np.zeros((bgr.shape[0], width, 3), np.uint8)
    out_alpha = np.zeros((bgr.shape[0], width), np.uint8)
    first, last = max(0, start), min(bgr.shape[1], start + width)
    if last > first:
        out_bgr[:, first - start:last - start] = bgr[:, first:last]
        out_alpha[:, first - start:last - start] = alpha[:, first:last]
    return out_bgr, out_alpha


@register
class TextSource(VideoSource):
    kind = "text"

    def __init__(self, source_id: str, name: str, settings: dict | None = None) -> None:
        super().__init__(source_id, name, settings)
        # The show's variables (name -> text), asked once a second; None: no show, all empty.
        self.variables: Callable[[], dict[str, str]] | None = None
        self.shown_text: str | None = None  # the words on the picture last drawn

    def _values(self) -> dict[str, str]:
        provider = self.variables
        if provider is None:
            return {}
        try:
            return provider()
        except Exception:  # noqa: BLE001 - a broken provider empties the variables, the text stays up
            log.exception("the show's text variables could not be read")
            return {}

    def natural_size(self) -> tuple[int, int] | None:
        try:
            parsed = TextSettings.model_validate(self.settings)
        except ValidationError:
            return None
        return parsed.width, parsed.height

    def _capture(self, stop: threading.Event) -> None:
        try:
            settings = TextSettings.model_validate(self.settings)
        except ValidationError as exc:
            problem = settings_problem(exc)
            self._set_state(SourceState.FAILED, _("The text source's settings are not valid: {problem}").format(problem=problem))
            return
        if settings.scroll_px_per_s:
            self._run_ticker(settings, stop)
        else:
            self._run_still(settings, stop)

    def _run_still(self, settings: TextSettings, stop: threading.Event) -> None:
        shown: str | None = None
        picture: tuple[np.ndarray, np.ndarray] | None = None
        while not stop.is_set():
            self._wait_while_asleep(stop)
            text = fill_variables(settings, values=self._values())
            if text != shown or picture is None:
                picture, shown = render_text(settings, text), text
                self.shown_text = text
            self._publish(picture[0], alpha=picture[1])
            # Wake at the next whole second: a countdown's digits change then.
            self._nudge.clear()
            self._nudge.wait(REPUBLISH_INTERVAL_S - (now_ns() % NS_PER_S) / NS_PER_S + 0.005)

    def _run_ticker(self, settings: TextSettings, stop: threading.Event) -> None:
        text = fill_variables(settings, values=self._values())
        strip = render_text(settings, text, strip=True)
        self.shown_text = text
        ticker = Ticker(NS_PER_S // settings.fps, stop)
        started = now_ns()
        checked = started
        while not stop.is_set():
            if self._wait_while_asleep(stop):
                ticker.reset()
            if now_ns() - checked >= REPUBLISH_INTERVAL_S * NS_PER_S:  # a countdown or the pinned product moved on
                checked = now_ns()
                fresh = fill_variables(settings, values=self._values())
                if fresh != text:
                    text, strip = fresh, render_text(settings, fresh, strip=True)
                    self.shown_text = text
            offset = int((now_ns() - started) / NS_PER_S * settings.scroll_px_per_s)
            bgr, alpha = ticker_window(strip, settings.width, offset)
            self._publish(bgr, alpha=alpha)
            ticker.wait_next()
