"""The stinger's sound (issue #18 leftovers): a stinger video with an audio track is heard through
the mixer's "Stinger" strip while it plays, on the picture's timeline.

The stinger (tests/stinger_video.py): a QuickTime Animation picture with alpha and a PCM track that is silent
but for a 10 ms burst of 1 kHz exactly at the cut point.  The program's frames (compositor
subscription) say when the cut happened (the new scene shows under the video); the program's sound
(mixer subscription) says when the click was heard.  Both carry media-clock stamps."""
from __future__ import annotations

import threading

import numpy as np

from studio.audio.stinger_sound import StingerSoundInput
from studio.engine import Studio, default_collection
from studio.scene import Canvas, StingerSettings
from studio.settings import Settings
from tests.helpers import colour_png, near, wait_until
from tests.stinger_video import make_sounding_stinger, make_stinger

RED, BLUE = (0, 0, 220), (220, 0, 0)
FPS, CUT_MS = 30, 500
MAX_OFFSET_MS = 40.0  # the A/V bound




def _two_scene_show(tmp_path, sting: str) -> tuple[Studio, str]:
    settings = Settings()
    settings.audio.microphone = ""
    studio = Studio(settings=settings, collection=default_collection(Canvas(width=320, height=180, fps=FPS)))
    main = studio.current_scene()
    studio.add_source("image", "Red", {"path": colour_png(tmp_path / "r.png", RED)}, main.id)
    product = studio.add_scene("Product")
    studio.add_source("image", "Blue", {"path": colour_png(tmp_path / "b.png", BLUE)}, product.id)
    studio.set_transition("stinger", 300, StingerSettings(path=sting, cut_point_ms=CUT_MS))
    return studio, product.id


def test_the_stinger_click_is_heard_with_the_cut_point_frame(tmp_path):
    studio, product = _two_scene_show(tmp_path, make_sounding_stinger(tmp_path / "sting.mov", cut_point_ms=CUT_MS))
    studio.start()
    frames_slot = studio.compositor.subscribe()
    sound = studio.mixer.subscribe(max_blocks=500)
    cut_frames: list[int] = []
    done = threading.Event()

    def watch_program() -> None:
        while not done.is_set():
            frame = frames_slot.take(timeout=0.2)
            if frame is not None and not cut_frames and near(frame.image, BLUE, (90, 20)) and near(frame.image, (255, 255, 255), (90, 160)):
                cut_frames.append(frame.capture_ns)  # the new scene under the stinger: the cut point's frame

    watcher = threading.Thread(target=watch_program, name="test-program-watch")
    watcher.start()
    try:
        stinger = studio.compositor.stinger
        assert stinger is not None and wait_until(lambda: stinger.is_ready, 10)
        strip = studio.stinger_strip.strip
        assert isinstance(strip, StingerSoundInput) and strip.stinger is stinger  # the file has sound
        assert wait_until(lambda: near(studio.compositor.latest_program().image, RED, (90, 20)), 10)
        studio.switch_scene(product)
        assert wait_until(lambda: bool(cut_frames), 5, interval_s=0.01)
        assert wait_until(lambda: not studio.compositor.is_transitioning, 5)
        blocks = []
        while (block := sound.get(timeout=0.5)) is not None and block.capture_ns < stinger.playback[0] + 2_000_000_000:
            blocks.append(block)
    finally:
        done.set()
        watcher.join()
        studio.stop()
    loud = [(b.capture_ns + int(np.flatnonzero(np.abs(b.samples[:, 0]) > 0.1)[0]) * 1_000_000_000 // b.sample_rate)
            for b in blocks if np.abs(b.samples[:, 0]).max() > 0.1]
    assert loud, "the stinger's click never reached the program's sound"
    offset_ms = (loud[0] - cut_frames[0]) / 1e6
    assert abs(offset_ms) <= MAX_OFFSET_MS, f"click {offset_ms:+.1f} ms from the cut point's frame"
    heard_ms = (loud[-1] - loud[0]) / 1e6
    assert heard_ms < 40, f"one click, heard once ({heard_ms:.0f} ms of loud blocks)"


def test_a_silent_stinger_has_no_strip_and_another_transition_retires_it(tmp_path):
    studio, _product = _two_scene_show(tmp_path, make_stinger(tmp_path / "silent.mov", frames=10, fps=10))
    studio.start()
    try:
        stinger = studio.compositor.stinger
        assert stinger is not None and wait_until(lambda: stinger.is_ready, 10)
        assert not stinger.has_sound and studio.stinger_strip.strip is None
        studio.set_transition("stinger", 300, StingerSettings(path=make_sounding_stinger(tmp_path / "s.mov", cut_point_ms=CUT_MS), cut_point_ms=CUT_MS))
        assert wait_until(lambda: studio.stinger_strip.strip is not None, 10)
        studio.stinger_strip.strip.gain_db = -9.0
        studio.set_transition("fade", 300)
        assert studio.stinger_strip.strip is None  # a fade has no sound
        studio.set_transition("stinger", 300)  # back: the strip returns with its level
        assert wait_until(lambda: studio.stinger_strip.strip is not None, 10)
        assert studio.stinger_strip.strip.gain_db == -9.0
        saved = studio.snapshot_collection()
    finally:
        studio.stop()
    assert [(entry.kind, entry.settings["gain_db"]) for entry in saved.audio_inputs] == [("stinger_sound", -9.0)]
    reopened = Studio(settings=studio.settings, collection=saved)  # saved with the show, back when it opens
    reopened.start()
    try:
        assert wait_until(lambda: reopened.compositor.stinger is not None and reopened.compositor.stinger.is_ready, 10)
        strip = reopened.stinger_strip.strip
        assert strip is not None and strip.gain_db == -9.0 and strip.stinger is reopened.compositor.stinger
    finally:
        reopened.stop()
