"""X11 windows by title, and where they are on the screen (python-xlib; no xdotool, no shell).

The screen source uses this to follow a window: found once by its title, then its geometry read
each frame (moved or resized, the capture follows; closed, it is looked up again by title).  The
window manager's ``_NET_CLIENT_LIST`` (EWMH) lists the top-level windows people see; without a
window manager the root's children are read instead.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from studio.core.errors import SourceError
from studio.core.i18n import _


@dataclass(frozen=True, slots=True)
class WindowInfo:
    """A top-level window: its X id, title and box in root (screen) coordinates."""

    window_id: int
    title: str
    x: int
    y: int
    width: int
    height: int


def session_problem(environ: dict[str, str] | None = None) -> str | None:
    """Why screen capture cannot work in this session, in words (None: an X11 display is there)."""
    environ = dict(os.environ if environ is None else environ)
    is_wayland = environ.get("XDG_SESSION_TYPE", "").lower() == "wayland" or bool(environ.get("WAYLAND_DISPLAY"))
    if is_wayland:
        return _(
            "This desktop runs Wayland, where apps may not capture the screen. Screen and window capture "
            "need an X11 session: log out and choose an Xorg / X11 session at the login screen."
        )
    if not environ.get("DISPLAY"):
        return _("Screen capture needs an X11 desktop session (DISPLAY is not set); none is running here.")
    return None


class X11Windows:
    """One connection to the X server (use it from one thread: the capture thread)."""

    def __init__(self, display_name: str | None = None) -> None:
        try:
            from Xlib import X, display, error
        except ImportError:
            raise SourceError(_("Window capture needs the python-xlib package; reinstall Bridgecast.")) from None
        self._X, self._error = X, error
        try:
            self._display = display.Display(display_name)
        except (error.DisplayError, error.ConnectionClosedError, OSError) as exc:
            raise SourceError(_("Cannot reach the X11 display {name} ({reason}).").format(name=display_name or os.environ.get("DISPLAY", ""), reason=exc)) from None
        self._root = self._display.screen().root
        self._atoms = {name: self._display.intern_atom(name) for name in ("_NET_CLIENT_LIST", "_NET_WM_NAME", "UTF8_STRING")}

    def close(self) -> None:
        self._display.close()

    def windows(self) -> list[WindowInfo]:
        """The visible top-level windows with a title (stacking order of the window manager)."""
        found: list[WindowInfo] = []
        for window in self._top_levels():
            info = self._info(window)
            if info is not None and info.title:
                found.append(info)
        return found

    def find(self, title: str) -> WindowInfo | None:
        """The first window whose title contains ``title`` (case-insensitive; an exact match first)."""
        wanted = title.strip().casefold()
        if not wanted:
            return None
        windows = self.windows()
        exact = [w for w in windows if w.title.casefold() == wanted]
        return (exact or [w for w in windows if wanted in w.title.casefold()] or [None])[0]

    def geometry(self, window_id: int) -> WindowInfo | None:
        """Where the window is now (None: it was closed or is not mapped)."""
        return self._info(self._display.create_resource_object("window", window_id))

    # -- X calls ------------------------------------------------------------------------------
    def _top_levels(self) -> list:
        try:
            listed = self._root.get_full_property(self._atoms["_NET_CLIENT_LIST"], self._X.AnyPropertyType)
        except self._error.XError:
            listed = None
        if listed is not None and listed.value is not None and len(listed.value):
            return [self._display.create_resource_object("window", int(w)) for w in listed.value]
        return list(self._root.query_tree().children)  # no window manager: the root's children

    def _info(self, window) -> WindowInfo | None:
        try:
            attributes = window.get_attributes()
            if attributes.map_state != self._X.IsViewable:
                return None
            geometry = window.get_geometry()
            origin = window.translate_coords(self._root, 0, 0)
            return WindowInfo(window.id, self._title(window), -origin.x, -origin.y, geometry.width, geometry.height)
        except (self._error.XError, self._error.BadWindow, self._error.BadDrawable):
            return None

    def _title(self, window) -> str:
        try:
            name = window.get_full_property(self._atoms["_NET_WM_NAME"], self._atoms["UTF8_STRING"])
            if name is not None and name.value:
                value = name.value
                return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            legacy = window.get_wm_name()
            return legacy.decode("latin-1") if isinstance(legacy, bytes) else (legacy or "")
        except self._error.XError:
            return ""
