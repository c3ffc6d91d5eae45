"""Screen and window capture (X11, through ``mss``): the whole screen, one monitor, a region, or a
window found by its title and followed as it moves — with a crop and a capture rate.

Hosts show a product page or a price sheet this way.  ``mss`` reads the X server's pixels with
XGetImage (or XShm) on the capture thread; a window is found and followed with python-xlib
(:mod:`studio.sources.x11_windows`).  On Wayland, or with no X display, the source says in words what
is needed and shows the "no signal" slate instead — nothing is raised to the user.  Like every
source it sleeps (grabs nothing) while no canvas draws it.

Window capture reads the screen where the window is (what X11 shows there): a window covering it
is captured too, as in OBS's "Window capture (Xlib)" without compositing.
"""
from __future__ import annotations

import logging
import threading
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from studio.core.clock import NS_PER_S, Ticker
from studio.core.errors import SourceError
from studio.core.i18n import _
from studio.sources import register
from studio.sources.base import SourceState, VideoSource, settings_problem
from studio.sources.x11_windows import WindowInfo, X11Windows, session_problem

log = logging.getLogger(__name__)

WINDOW_RETRY_S = 1.0  # a window not found (yet): look again this often


class ScreenSettings(BaseModel):
    """What a screen source captures (validated as a whole; bad values are refused in words)."""

    model_config = ConfigDict(extra="ignore")
    mode: Literal["screen", "monitor", "region", "window"] = "screen"
    monitor: int = Field(1, ge=1, le=16)  # mode "monitor": 1 = the first monitor (mss numbering)
    x: int = Field(0, ge=0, le=32_768)  # mode "region": the box in screen pixels
    y: int = Field(0, ge=0, le=32_768)
    width: int = Field(1280, ge=16, le=16_384)
    height: int = Field(720, ge=16, le=16_384)
    window_title: str = Field("", max_length=512)  # mode "window": part of the title
    crop_top: int = Field(0, ge=0, le=16_384)
    crop_right: int = Field(0, ge=0, le=16_384)
    crop_bottom: int = Field(0, ge=0, le=16_384)
    crop_left: int = Field(0, ge=0, le=16_384)
    fps: int = Field(15, ge=1, le=60)


def crop_box(box: dict[str, int], settings: ScreenSettings) -> dict[str, int] | None:
    """``box`` (mss's left/top/width/height) less the crop; None when nothing is left."""
    width = box["width"] - settings.crop_left - settings.crop_right
    height = box["height"] - settings.crop_top - settings.crop_bottom
    if width < 2 or height < 2:
        return None
    return {"left": box["left"] + settings.crop_left, "top": box["top"] + settings.crop_top, "width": width, "height": height}


def clip_to(box: dict[str, int], bounds: dict[str, int]) -> dict[str, int] | None:
    """The part of ``box`` inside ``bounds`` (X11 refuses to read pixels off the screen)."""
    left, top = max(box["left"], bounds["left"]), max(box["top"], bounds["top"])
    right = min(box["left"] + box["width"], bounds["left"] + bounds["width"])
    bottom = min(box["top"] + box["height"], bounds["top"] + bounds["height"])
    if right - left < 2 or bottom - top < 2:
        return None
    return {"left": left, "top": top, "width": right - left, "height": bottom - top}


def list_monitors() -> list[dict[str, int]]:
    """The monitors (mss numbering: index 0 is all of them together); call off the GUI thread."""
    import mss

    with mss.MSS() as grabber:
        return [dict(m) for m in grabber.monitors]


def list_window_titles() -> list[str]:
    """Titles of the visible windows, for the source's settings; call off the GUI thread."""
    windows = X11Windows()
    try:
        return [w.title for w in windows.windows()]
    finally:
        windows.close()


@register
class ScreenSource(VideoSource):
    """The screen, a monitor, a region or a window (X11), cropped, at ``fps``."""

    kind = "screen"

    def natural_size(self) -> tuple[int, int] | None:
        size = super().natural_size()
        if size is not None:
            return size
        try:
            settings = ScreenSettings.model_validate(self.settings)
        except ValidationError:
            return None
        if settings.mode == "region":
            return max(2, settings.width - settings.crop_left - settings.crop_right), max(2, settings.height - settings.crop_top - settings.crop_bottom)
        return None

    def _capture(self, stop: threading.Event) -> None:
        try:
            settings = ScreenSettings.model_validate(self.settings)
        except ValidationError as exc:
            problem = settings_problem(exc)
            self._set_state(SourceState.FAILED, _("The screen capture's settings are not valid: {problem}").format(problem=problem))
            return
        problem = session_problem()
        if problem is not None:
            self._set_state(SourceState.FAILED, problem)
            return
        try:
            import mss
            import mss.exception
        except ImportError:
            self._set_state(SourceState.FAILED, _("Screen capture needs the mss package; reinstall Bridgecast."))
            return
        try:
            grabber = mss.MSS()
        except mss.exception.ScreenShotError as exc:
            log.info("screen capture cannot open the display: %s", exc)
            self._set_state(SourceState.NO_SIGNAL, _("Cannot reach the X11 display to capture the screen."))
            return
        windows: X11Windows | None = None
        try:
            if settings.mode == "window":
                windows = X11Windows()
            self._run(settings, grabber, windows, stop)
        except SourceError as exc:
            self._set_state(SourceState.NO_SIGNAL, exc.message)
        finally:
            if windows is not None:
                windows.close()
            grabber.close()

    def _run(self, settings: ScreenSettings, grabber, windows: X11Windows | None, stop: threading.Event) -> None:
        import mss.exception

        ticker = Ticker(NS_PER_S // settings.fps, stop)
        window: WindowInfo | None = None
        while not stop.is_set():
            if self._wait_while_asleep(stop):
                ticker.reset()
            if windows is not None:
                window = self._follow(windows, window, settings.window_title)
                if window is None:
                    self._set_state(SourceState.NO_SIGNAL, _("No window titled “{title}” is open.").format(title=settings.window_title))
                    self._doze(stop, WINDOW_RETRY_S)
                    continue
            box = self._box(settings, grabber.monitors, window)
            if box is None:
                self._set_state(SourceState.NO_SIGNAL, _("Nothing is left to capture: the crop is larger than the picture, or the area is off the screen."))
                self._doze(stop, WINDOW_RETRY_S)
                continue
            try:
                shot = grabber.grab(box)
            except mss.exception.ScreenShotError as exc:  # the window went away between the lookup and the grab
                log.debug("screen grab failed: %s", exc)
                window = None
                self._doze(stop, WINDOW_RETRY_S / 4)
                continue
            # mss hands BGRA rows; the compositor takes BGR (one copy, the alpha byte dropped).
            bgra = np.frombuffer(shot.raw, np.uint8).reshape(shot.height, shot.width, 4)
            self._publish(np.ascontiguousarray(bgra[:, :, :3]))
            ticker.wait_next()

    @staticmethod
    def _follow(windows: X11Windows, window: WindowInfo | None, title: str) -> WindowInfo | None:
        """The window's box now: the one followed so far, or the first whose title matches."""
        if window is not None:
            now = windows.geometry(window.window_id)
            if now is not None:
                return now
        return windows.find(title)

    def _box(self, settings: ScreenSettings, monitors: list[dict[str, int]], window: WindowInfo | None) -> dict[str, int] | None:
        everything = monitors[0]
        if settings.mode == "monitor":
            if settings.monitor >= len(monitors):
                raise SourceError(_("Monitor {number} is not connected ({count} found).").format(number=settings.monitor, count=len(monitors) - 1))
            box = dict(monitors[settings.monitor])
        elif settings.mode == "region":
            box = {"left": everything["left"] + settings.x, "top": everything["top"] + settings.y, "width": settings.width, "height": settings.height}
        elif settings.mode == "window" and window is not None:
            box = {"left": window.x, "top": window.y, "width": window.width, "height": window.height}
        else:
            box = dict(everything)
        cropped = crop_box(box, settings)
        return clip_to(cropped, everything) if cropped is not None else None
