"""The preview never waits: its tick only peeks at the newest program frame."""
from __future__ import annotations

import threading
import time

import numpy as np

from studio.engine import Studio
from studio.core.frame import LatestSlot, VideoFrame
from studio.settings import Settings
from ui.preview import ProgramPreview


def _forbid_blocking(monkeypatch):
    def blocked(*_args, **_kwargs):
        raise AssertionError("the preview tick called a blocking function")

    monkeypatch.setattr(LatestSlot, "take", blocked)
    monkeypatch.setattr(threading.Event, "wait", blocked)
    monkeypatch.setattr(threading.Condition, "wait", blocked)
    monkeypatch.setattr(threading.Condition, "wait_for", blocked)
    monkeypatch.setattr(time, "sleep", blocked)


def test_tick_returns_at_once_without_any_frame(qtbot, monkeypatch):
    studio = Studio(Settings())  # never started: the compositor has no frame at all
    preview = ProgramPreview(studio, preview_fps=30)
    qtbot.addWidget(preview)
    with monkeypatch.context() as patch:
        _forbid_blocking(patch)
        started = time.perf_counter()
        for _ in range(200):
            preview.tick()
        elapsed_s = time.perf_counter() - started
    assert preview.image is None
    assert elapsed_s < 0.1  # 200 ticks: well under a millisecond each
    preview.resize(320, 180)
    preview.repaint()  # painting the "no picture" placeholder works too


def test_tick_shows_new_frames_only_and_keeps_the_buffer(qtbot, monkeypatch):
    studio = Studio(Settings())
    preview = ProgramPreview(studio, preview_fps=30)
    qtbot.addWidget(preview)
    preview.resize(480, 270)
    image = np.zeros((180, 320, 3), np.uint8)
    image[:, :, 2] = 255  # red in BGR
    studio.compositor.publish(VideoFrame(image=image, capture_ns=0, sequence=1))
    with monkeypatch.context() as patch:
        _forbid_blocking(patch)
        preview.tick()
        preview.tick()  # same frame: nothing new to do
    assert preview.frames_shown == 1
    assert preview.image.pixelColor(5, 5).red() == 255 and preview.image.pixelColor(5, 5).blue() == 0
    preview.show()
    qtbot.waitExposed(preview)
    painted = preview.grab().toImage()
    rect = preview.target_rect()
    assert painted.pixelColor(rect.center()).red() > 240
    assert rect.width() == 480 and rect.height() == 270


def test_preview_timer_follows_visibility(qtbot):
    studio = Studio(Settings())
    preview = ProgramPreview(studio, preview_fps=25)
    qtbot.addWidget(preview)
    assert preview._timer.interval() == 40
    assert not preview._timer.isActive()
    preview.show()
    qtbot.waitExposed(preview)
    assert preview._timer.isActive()
    preview.hide()
    assert not preview._timer.isActive()


def test_the_vertical_preview_follows_the_vertical_canvas(qtbot, monkeypatch):
    from studio.scene import CanvasRole
    from ui.vertical_preview import CanvasPreviews

    studio = Studio(Settings())  # never started: frames are published by hand
    program = ProgramPreview(studio, preview_fps=30)
    previews = CanvasPreviews(studio, program)
    qtbot.addWidget(previews)
    previews.resize(900, 400)
    previews.show()
    qtbot.waitExposed(previews)
    assert not previews.is_vertical_shown
    previews.vertical.tick()  # the canvas is off: nothing to show, nothing waited for
    assert previews.vertical.image is None

    studio.vertical.enable(180, 320)
    qtbot.waitUntil(lambda: previews.is_vertical_shown, timeout=2000)  # relayed from the engine's signal
    image = np.zeros((320, 180, 3), np.uint8)
    image[:, :, 0] = 255  # blue in BGR
    studio.compositor_for(CanvasRole.VERTICAL).publish(VideoFrame(image=image, capture_ns=0, sequence=1))
    with monkeypatch.context() as patch:
        _forbid_blocking(patch)
        previews.vertical.tick()
    assert previews.vertical.frames_shown == 1
    assert (previews.vertical.image.width(), previews.vertical.image.height()) == (180, 320)
    assert previews.vertical.image.pixelColor(5, 5).blue() == 255
    rect = previews.vertical.target_rect()
    assert rect.height() > rect.width()  # letterboxed as 9:16

    studio.vertical.disable()
    qtbot.waitUntil(lambda: not previews.is_vertical_shown, timeout=2000)
    previews.vertical.tick()
    assert previews.vertical.image is None
    previews.detach()


def test_the_engine_scales_the_picture_to_the_widget_and_it_is_painted_as_is(qtbot):
    from studio.engine import default_collection
    from studio.scene import Canvas

    studio = Studio(Settings(), default_collection(Canvas(width=640, height=360, fps=30)))
    studio.start()
    try:
        preview = ProgramPreview(studio, preview_fps=30)
        qtbot.addWidget(preview)
        preview.resize(400, 300)
        preview.show()
        qtbot.waitExposed(preview)
        qtbot.waitUntil(lambda: preview.image is not None and preview.image.format() == preview.image.Format.Format_RGB32, timeout=5000)
        rect = preview.target_rect()
        ratio = preview.devicePixelRatioF()
        assert (preview.image.width(), preview.image.height()) == (round(rect.width() * ratio), round(rect.height() * ratio))
        assert (rect.width(), rect.height()) == (400, 225)
        assert studio.compositor.preview.size == (round(400 * ratio), round(225 * ratio))
        painted = preview.grab().toImage()
        grey = painted.pixelColor(rect.left() + rect.width() // 14, rect.top() + rect.height() // 2)
        assert abs(grey.red() - 192) <= 8 and abs(grey.blue() - 192) <= 8

        preview.hide()  # hidden: the engine stops making preview pictures
        assert studio.compositor.preview.size is None
        made = studio.compositor.preview.frames_made
        qtbot.wait(200)
        assert studio.compositor.preview.frames_made == made
    finally:
        studio.stop()
