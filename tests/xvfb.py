"""A private X server (Xvfb) for tests, and a small X client that paints known colours on it."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from typing import Iterator

import pytest


def _free_display() -> int:
    for number in range(140, 400):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}") and not os.path.exists(f"/tmp/.X{number}-lock"):
            return number
    raise RuntimeError("no free X display number")


@contextmanager
def xvfb(width: int = 640, height: int = 480) -> Iterator[str]:
    """``:N`` of a fresh Xvfb (skips the test when Xvfb is not installed: tools/setup.sh test)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (tools/setup.sh test installs it)")
    number = _free_display()
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Xvfb :{number} did not start")
            time.sleep(0.05)
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


class Painter:
    """Plain X windows of one colour each (no window manager: they sit exactly where asked)."""

    def __init__(self, display_name: str) -> None:
        from Xlib import X, display

        self._X = X
        self.display = display.Display(display_name)
        self.root = self.display.screen().root

    def background(self, rgb: tuple[int, int, int]) -> None:
        self.root.change_attributes(background_pixel=_pixel(rgb))
        self.root.clear_area()
        self.display.sync()

    def window(self, title: str, x: int, y: int, width: int, height: int, rgb: tuple[int, int, int], parent=None):
        window = (parent or self.root).create_window(x, y, width, height, 0, self.display.screen().root_depth,
                                                     background_pixel=_pixel(rgb), override_redirect=False)
        if title:  # as toolkits do: _NET_WM_NAME in UTF-8, WM_NAME in Latin-1 where it fits
            utf8 = self.display.intern_atom("UTF8_STRING")
            window.change_property(self.display.intern_atom("_NET_WM_NAME"), utf8, 8, title.encode("utf-8"))
            window.set_wm_name(title.encode("latin-1", "replace"))
        window.map()
        self.display.sync()
        return window

    def move(self, window, x: int, y: int, width: int | None = None, height: int | None = None) -> None:
        changes = {"x": x, "y": y}
        if width is not None:
            changes.update(width=width, height=height)
        window.configure(**changes)
        self.display.sync()

    def close(self) -> None:
        self.display.close()


def _pixel(rgb: tuple[int, int, int]) -> int:
    red, green, blue = rgb
    return (red << 16) | (green << 8) | blue
