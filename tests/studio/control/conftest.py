from __future__ import annotations

import time

import numpy as np
import pytest

from studio.control import ControlServer
from studio.engine import Studio, default_collection
from studio.live import LiveShow
from studio.scene import Canvas

TOKEN = "test-token-123_abc"


@pytest.fixture
def studio():
    engine = Studio(collection=default_collection(Canvas(width=640, height=360, fps=30)))
    engine.start()
    yield engine
    engine.stop()


@pytest.fixture
def live(studio, tmp_path, catalog_csv):
    show = LiveShow(studio, tmp_path / "show.db", catalog=catalog_csv)
    show.start()
    yield show
    show.stop()


@pytest.fixture
def server(live, studio):
    control = ControlServer(live, studio, token=TOKEN)
    control.start()
    yield control
    control.stop()


def wait_frame_after(studio, sequence: int, frames: int = 2, timeout_s: float = 5.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        frame = studio.compositor.latest_program()
        if frame is not None and frame.sequence >= sequence + frames:
            return frame
        time.sleep(0.005)
    raise AssertionError("no new program frame")


def program_with_picture(studio, timeout_s: float = 5.0):
    """The newest program frame once the sources deliver pictures (the very first ticks are black)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        frame = studio.compositor.latest_program()
        if frame is not None and frame.image.any():
            return frame
        time.sleep(0.005)
    raise AssertionError("no program picture")


def card_match(image_bgr: np.ndarray, overlay, tick_ns: int | None = None, background: np.ndarray | None = None,
               jitter_ms: int = 30) -> float:
    """Mean colour distance between the program and an overlay over its opaque pixels (0 = identical).

    Without ``tick_ns``: the card at rest (full opacity, final place).  With the frame's
    ``tick_ns`` and a ``background`` (a program frame from before the card appeared): the card as
    its enter motion draws it at that moment — shifted and blended over the background.  The
    compositor stamps the tick before it draws, so the best match on the card's own trajectory
    within ``jitter_ms`` after the tick counts (a 1-D search along the motion, not a tolerance).
    """
    rgba = overlay.rgba
    h, w = rgba.shape[:2]
    mask = rgba[..., 3] == 255  # text, price and badge are opaque
    card = rgba[..., :3].astype(np.float32)
    if tick_ns is None:
        region = image_bgr[overlay.y:overlay.y + h, overlay.x:overlay.x + w, ::-1].astype(np.float32)
        return float(np.abs(region[mask] - card[mask]).mean())
    assert background is not None, "an animated card needs the program behind it"
    best = float("inf")
    canvas_h, canvas_w = image_bgr.shape[:2]
    for step_ms in range(jitter_ms + 1):
        opacity, x, y = overlay.frame_state(tick_ns + step_ms * 1_000_000)
        x0, y0, x1, y1 = max(0, x), max(0, y), min(canvas_w, x + w), min(canvas_h, y + h)
        if x1 <= x0 or y1 <= y0:
            continue
        inside = mask[y0 - y:y1 - y, x0 - x:x1 - x]
        drawn = image_bgr[y0:y1, x0:x1, ::-1].astype(np.float32)[inside]
        behind = background[y0:y1, x0:x1, ::-1].astype(np.float32)[inside]
        expected = opacity * card[y0 - y:y1 - y, x0 - x:x1 - x][inside] + (1.0 - opacity) * behind
        best = min(best, float(np.abs(drawn - expected).mean()))
    return best
