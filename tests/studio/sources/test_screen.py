"""Screen and window capture on a real X server (a private Xvfb): the whole screen, a monitor, a
region, a window found by title and followed as it moves and resizes, the crop; on Wayland or with
no display the source says what is needed in words; asleep it grabs nothing."""
from __future__ import annotations

import time

import numpy as np
import pytest

from studio.sources import create_source, source_kinds
from studio.sources.base import SourceState
from studio.sources.x11_windows import X11Windows, session_problem
from tests.helpers import wait_until
from tests.xvfb import Painter, xvfb

TEAL, RED, BLUE, YELLOW = (0, 128, 128), (220, 0, 0), (0, 0, 220), (240, 220, 0)  # RGB as X paints them


def _bgr(rgb):
    return rgb[::-1]


def _is(image, rgb, row, column) -> bool:
    return bool(np.abs(image[row, column].astype(int) - _bgr(rgb)).max() <= 2)


@pytest.fixture(scope="module")
def screen():
    """A 640×480 X server: teal desktop, a red "价格表 Price sheet — Sheets" window at (100, 50) of 200×100
    with a blue 50×40 box at (20, 20) inside it."""
    with xvfb(640, 480) as display_name:
        painter = Painter(display_name)
        painter.background(TEAL)
        window = painter.window("价格表 Price sheet — Sheets", 100, 50, 200, 100, RED)
        painter.window("", 20, 20, 50, 40, BLUE, parent=window)
        try:
            yield display_name, painter, window
        finally:
            painter.close()


@pytest.fixture
def x11(screen, monkeypatch):
    display_name, painter, window = screen
    monkeypatch.setenv("DISPLAY", display_name)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    return painter, window


def _frame(source, started, size=None):
    started(source)
    assert wait_until(lambda: source.state in (SourceState.ACTIVE, SourceState.FAILED, SourceState.NO_SIGNAL) and source.slot.peek() is not None
                      and (size is None or source.slot.peek().image.shape[:2] == size), 10), source.state_message
    return source.slot.peek().image


def test_the_source_kind_is_offered():
    assert "screen" in source_kinds()


def test_whole_screen(x11, started):
    image = _frame(create_source("screen", "s", "Screen", {"mode": "screen", "fps": 10}), started)
    assert image.shape == (480, 640, 3)
    assert _is(image, TEAL, 5, 5) and _is(image, RED, 55, 105) and _is(image, BLUE, 75, 125)


def test_one_monitor_and_a_monitor_that_is_not_there(x11, started):
    image = _frame(create_source("screen", "m", "Monitor", {"mode": "monitor", "monitor": 1}), started)
    assert image.shape == (480, 640, 3) and _is(image, RED, 55, 105)
    missing = started(create_source("screen", "m3", "Monitor 3", {"mode": "monitor", "monitor": 3}))
    assert wait_until(lambda: missing.state is SourceState.NO_SIGNAL, 10)
    assert "Monitor 3 is not connected" in missing.state_message


def test_region_with_crop(x11, started):
    settings = {"mode": "region", "x": 100, "y": 50, "width": 200, "height": 100, "crop_left": 20, "crop_top": 20, "crop_right": 30, "crop_bottom": 10}
    source = create_source("screen", "r", "Region", settings)
    assert source.natural_size() == (150, 70)  # known before the first grab: the item is laid out at once
    image = _frame(source, started)
    assert image.shape == (70, 150, 3)
    assert _is(image, BLUE, 0, 0) and _is(image, BLUE, 39, 49)  # the blue box starts at the cropped corner
    assert _is(image, RED, 40, 0) and _is(image, RED, 0, 50) and _is(image, RED, 69, 149)


def test_a_window_by_title_is_followed_as_it_moves_and_resizes(x11, started):
    painter, window = x11
    source = create_source("screen", "w", "Window", {"mode": "window", "window_title": "price SHEET", "crop_top": 10, "fps": 20})
    image = _frame(source, started)
    assert image.shape == (90, 200, 3)  # the window less 10 px at the top
    assert _is(image, BLUE, 10, 20) and _is(image, RED, 0, 0) and _is(image, RED, 89, 199)
    try:
        painter.move(window, 300, 250)
        assert wait_until(lambda: not _is(source.slot.peek().image, TEAL, 89, 199) and _is(source.slot.peek().image, BLUE, 10, 20)
                          and source.slot.peek().sequence > 0, 10)
        painter.move(window, 300, 250, 260, 120)
        assert wait_until(lambda: source.slot.peek().image.shape == (110, 260, 3), 10)
        moved = source.slot.peek().image
        assert _is(moved, BLUE, 10, 20) and _is(moved, RED, 109, 259)
    finally:
        painter.move(window, 100, 50, 200, 100)


def test_a_window_that_is_not_open_is_said_in_words(x11, started):
    source = started(create_source("screen", "n", "Window", {"mode": "window", "window_title": "Shopee Seller Centre"}))
    assert wait_until(lambda: source.state is SourceState.NO_SIGNAL, 10)
    assert "No window titled “Shopee Seller Centre” is open." == source.state_message


def test_window_lookup_lists_titles(x11):
    windows = X11Windows()
    try:
        titles = [w.title for w in windows.windows()]
        found = windows.find("sheets")
    finally:
        windows.close()
    assert "价格表 Price sheet — Sheets" in titles
    assert (found.x, found.y, found.width, found.height) == (100, 50, 200, 100)


def test_asleep_it_grabs_nothing(x11, started):
    source = create_source("screen", "z", "Screen", {"mode": "screen", "fps": 30})
    source.set_awake(False)
    started(source)
    time.sleep(0.3)
    assert source.frames_captured == 0
    source.set_awake(True)
    assert wait_until(lambda: source.frames_captured > 0, 10)


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "X11 session"),
        ({}, "DISPLAY is not set"),
    ],
)
def test_wayland_or_no_display_says_what_is_needed(environ, words, monkeypatch, started):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert words in session_problem()
    source = started(create_source("screen", "x", "Screen", {"mode": "screen"}))
    assert wait_until(lambda: source.state is SourceState.FAILED, 10)
    assert words in source.state_message and "Traceback" not in source.state_message


def test_settings_out_of_range_are_refused_in_words(started):
    source = started(create_source("screen", "b", "Screen", {"mode": "region", "width": 4, "fps": 500}))
    assert wait_until(lambda: source.state is SourceState.FAILED, 10)
    assert source.state_message.startswith("The screen capture's settings are not valid:") and "fps" in source.state_message
