"""Shared set-up for the cover editor's pytest-qt tests."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import numpy as np

from cover_designer.templates import load_template
from ui.cover_editor import CoverEditorWindow

DEFAULT_TEMPLATE = "na_eu-apparel"


def wait_rendered(qtbot: Any, window: CoverEditorWindow, timeout_ms: int = 20000) -> None:
    """Until the off-thread render has landed and nothing is pending."""
    qtbot.waitUntil(lambda: window.is_idle() and window.canvas.image is not None, timeout=timeout_ms)


def photo_centre(window: CoverEditorWindow) -> list[int]:
    """The rendered canvas's bytes at the photo layer's centre (first three of the pixel)."""
    image = window.canvas.image
    data = np.frombuffer(bytes(image.constBits()), np.uint8).reshape(image.height(), image.bytesPerLine())
    box = window.canvas.boxes["photo"]
    x, y = int(box.x + box.w / 2), int(box.y + box.h / 2)
    return data[y, x * 4:x * 4 + 3].tolist()


@contextlib.contextmanager
def open_cover_editor(qtbot: Any, document: Any = None, preset: str = "youtube", *,
                      select: str | None = None) -> Iterator[CoverEditorWindow]:
    """A shown 1400x900 editor with ``document`` (default: the NA/EU apparel template) rendered;
    closed and its render pool drained afterwards."""
    window = CoverEditorWindow()
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.open_document(document if document is not None else load_template(DEFAULT_TEMPLATE), preset)
    if select is not None:
        window.model.select(select)
    wait_rendered(qtbot, window)
    try:
        yield window
    finally:
        close_without_asking(window)


def close_without_asking(window: CoverEditorWindow) -> None:
    """Close the editor as a test's teardown: unsaved edits are let go without the question."""
    window.undo_stack.setClean()
    window.close()
    window.pool.waitForDone(20000)
