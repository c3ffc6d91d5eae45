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
def catalog_csv(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text(
        "sku,title,title_ar,price,original_price,currency,stock\n"
        "SKU-1,Silk scarf,وشاح حرير,19.99,39.99,USD,50\n"
        "SKU-2,Travel mug,كوب سفر,12.50,,EUR,20\n",
        encoding="utf-8",
    )
    return path


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


def card_match(image_bgr: np.ndarray, overlay) -> float:
    """Mean colour distance between the program and an overlay over its opaque pixels (0 = identical)."""
    rgba = overlay.rgba
    h, w = rgba.shape[:2]
    region = image_bgr[overlay.y:overlay.y + h, overlay.x:overlay.x + w, ::-1].astype(np.float32)
    mask = rgba[..., 3] == 255  # text, price and badge are opaque
    return float(np.abs(region[mask] - rgba[..., :3][mask].astype(np.float32)).mean())
