"""Fixtures for driving the real main window over a real, running engine."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QThreadPool

from studio.settings import Settings
from ui import i18n as ui_i18n
from ui.app import create_studio, shutdown
from ui.main_window import MainWindow

# Canvas small enough to keep the suite fast; the engine treats every size alike.
CANVAS = {"canvas_width": 640, "canvas_height": 360, "fps": 30}


@pytest.fixture
def settings() -> Settings:
    settings = Settings(language="en")
    settings.video = settings.video.model_copy(update=CANVAS)
    settings.audio.microphone = ""  # no microphone: the mixer starts empty whatever the machine has
    return settings


@pytest.fixture
def window(qtbot, settings):
    """The real MainWindow over a started Studio (test pattern, mixer without a mic)."""
    ui_i18n.switch_language("en")
    studio = create_studio(settings)
    main_window = MainWindow(studio, settings)
    qtbot.addWidget(main_window)
    main_window.show()
    qtbot.waitExposed(main_window)
    try:
        yield main_window
    finally:
        main_window.close()
        QThreadPool.globalInstance().waitForDone(5000)
        shutdown(studio, settings, save=False)
        ui_i18n.switch_language("en")


def solid_png(path, bgr: tuple[int, int, int], size: tuple[int, int] = (320, 180)):
    """A PNG of one colour, given in BGR like the program frames."""
    rgb = tuple(reversed(bgr))
    Image.new("RGB", size, rgb).save(path)
    return path


def program_pixel(studio, x_fraction: float = 0.5, y_fraction: float = 0.5) -> np.ndarray | None:
    frame = studio.compositor.latest_program()
    if frame is None:
        return None
    h, w = frame.image.shape[:2]
    return frame.image[int(h * y_fraction), int(w * x_fraction)]


def is_colour(pixel, bgr, tolerance: int = 12) -> bool:
    return pixel is not None and bool(np.all(np.abs(pixel.astype(int) - np.array(bgr)) <= tolerance))
