"""The auto layout's crop window: dead zone, smoothing, speed cap, hold and return, clamping;
and face detection once on a real face photo."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from studio.compositor.reframe import FaceFinder, Reframer, find_faces, haar_face_detector, window_size
from studio.core.clock import NS_PER_S
from tests.helpers import wait_until

FRAME = (1280, 720)
FRAME_NS = NS_PER_S // 30
FACE_PHOTO = Path(__file__).resolve().parents[1] / "cover_designer" / "data" / "astronaut.jpg"


def face_at(centre_x, centre_y=300.0, size=120.0):
    return (centre_x - size / 2, centre_y - size / 2, size, size)


def run(reframer, frames, start_frame=0, faces=None, every=10):
    """Step ``frames`` frames at 30 fps, telling the reframer about ``faces`` every ``every`` frames (3 Hz)."""
    windows = []
    for index in range(start_frame, start_frame + frames):
        t = index * FRAME_NS
        if faces is not None and index % every == 0:
            reframer.observe(faces(index) if callable(faces) else faces, FRAME, t)
        windows.append(reframer.step(FRAME, t))
    return windows


def test_window_has_the_output_aspect_and_fits_the_frame():
    assert window_size(1280, 720, 1080, 1920) == (405, 720)
    assert window_size(640, 360, 360, 640) == (202, 360)
    assert window_size(1920, 1080, 1080, 1920) == (608, 1080)
    assert window_size(400, 1000, 1080, 1920) == (400, 711)  # a tall frame: the window is full width


def test_starts_centred_without_faces():
    reframer = Reframer(1080, 1920)
    window = run(reframer, 1)[0]
    assert (window.width, window.height) == (405, 720)
    assert window.x == round(640 - 405 / 2) and window.y == 0


def test_no_move_while_the_face_stays_in_the_dead_zone():
    reframer = Reframer(1080, 1920)
    # The window is 405 px wide: its middle 30 % is ±60 px around the centre (640).
    wobble = [face_at(640 + dx) for dx in (-55, 40, -20, 55, 0, -45)]
    windows = run(reframer, 180, faces=lambda i: [wobble[(i // 10) % len(wobble)]])
    assert {w.x for w in windows} == {windows[0].x}


def test_detector_noise_never_shows_as_jitter_after_a_move():
    reframer = Reframer(1080, 1920)
    rng = np.random.default_rng(7)
    windows = run(reframer, 300, faces=lambda i: [face_at(1000 + rng.normal(0, 8), 300 + rng.normal(0, 8))])
    settled = [w.x for w in windows[150:]]
    assert len(set(settled)) == 1  # parked, no 1-px dance
    assert abs(settled[0] + 405 / 2 - 1000) < 405 * 0.15  # with the face inside the dead zone


def test_glide_is_smooth_capped_and_never_overshoots():
    reframer = Reframer(1080, 1920, smoothing_time_s=0.45, max_pan_windows_per_s=0.8)
    run(reframer, 5)
    windows = run(reframer, 120, start_frame=5, faces=[face_at(1000)])
    xs = [w.x for w in windows]
    steps = np.diff(xs)
    assert xs[-1] == min(1280 - 405, round(1000 - 405 / 2))  # arrived, face centred
    assert (steps >= 0).all()  # one direction only: no overshoot, no back-and-forth
    max_step_px = 0.8 * 405 / 30 + 1  # speed cap per frame (+1 for rounding)
    assert steps.max() <= max_step_px
    assert (steps > 0).sum() > 10  # a glide over many frames, not a jump


def test_window_stays_inside_the_frame():
    reframer = Reframer(1080, 1920)
    windows = run(reframer, 200, faces=[face_at(1270, 700)])
    assert windows[-1].x == 1280 - 405 and windows[-1].y == 0
    assert all(0 <= w.x <= 1280 - 405 for w in windows)


def test_no_face_holds_then_eases_back_to_centre():
    reframer = Reframer(1080, 1920, hold_s=2.0)
    run(reframer, 100, faces=lambda i: [face_at(1100)] if i < 60 else [])  # follows the face to the right
    parked = run(reframer, 1, start_frame=100)[0].x
    assert parked == 1280 - 405
    held = run(reframer, 9, start_frame=101, faces=[])  # last face at frame 50: holds until frame 110
    assert {w.x for w in held} == {parked}
    back = run(reframer, 150, start_frame=110, faces=[])
    xs = [w.x for w in back]
    assert xs[3] < parked and xs[-1] == round(640 - 405 / 2)  # leaves at once, then home
    assert all(b <= a for a, b in zip(xs, xs[1:]))  # eased straight back, no wobble


def test_keeps_following_the_same_person_when_a_second_appears():
    reframer = Reframer(1080, 1920)
    run(reframer, 90, faces=[face_at(300)])
    before = run(reframer, 1, start_frame=90)[0].x
    # A guest, a little larger, enters on the right: the window stays with the host.
    windows = run(reframer, 90, start_frame=91, faces=[face_at(300), face_at(1000, size=150)])
    assert {w.x for w in windows} == {before}
    # The host leaves: the guest is followed.
    windows = run(reframer, 120, start_frame=181, faces=[face_at(1000, size=150)])
    assert windows[-1].x > before + 300


def test_a_new_frame_size_recentres():
    reframer = Reframer(1080, 1920)
    run(reframer, 90, faces=[face_at(1100)])
    window = reframer.step((640, 360), 100 * FRAME_NS)
    assert (window.x, window.y, window.width, window.height) == (219, 0, 202, 360)


# -- detection on a real face ------------------------------------------------------------------
def _photo_frame():
    """A 1280×720 program with the astronaut photo (a real face) on its right-hand side."""
    photo = cv2.imread(str(FACE_PHOTO))
    photo = cv2.resize(photo, (600, 600), interpolation=cv2.INTER_AREA)
    frame = np.full((720, 1280, 3), 90, np.uint8)
    frame[60:660, 660:1260] = photo
    return frame


needs_cascade = pytest.mark.skipif(haar_face_detector() is None, reason="this OpenCV ships no Haar face cascade")


@needs_cascade
def test_haar_finds_the_real_face_on_a_small_copy():
    faces = find_faces(_photo_frame(), haar_face_detector())
    assert faces, "no face found"
    x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
    # The astronaut's face is at about (207, 77) size 111 in the 600-px photo, placed at (660, 60).
    assert 800 < x + w / 2 < 960 and 80 < y + h / 2 < 260


@needs_cascade
def test_face_finder_answers_off_thread_at_its_own_rate():
    finder = FaceFinder(haar_face_detector(), interval_ns=NS_PER_S // 3)
    finder.start()
    try:
        frame = _photo_frame()
        assert finder.offer(frame, 0)
        assert not finder.offer(frame, NS_PER_S // 30)  # too soon: not even handed over
        assert wait_until(lambda: finder.detections == 1, 10)
        faces, size, seen_ns = finder.poll()
        assert size == (1280, 720) and seen_ns == 0 and faces
        assert finder.poll() is None  # each answer once
    finally:
        finder.stop()


@needs_cascade
def test_the_vertical_cut_follows_a_real_face():
    from studio.compositor import CleanPicture
    from studio.compositor.vertical import VerticalCompositor

    vertical = VerticalCompositor(360, 640, 30, {}.get)  # the default detector: OpenCV's cascade
    vertical.face_finder.start()
    try:
        frame = _photo_frame()  # the face is right of centre, at x ≈ 880
        first = vertical.reframer.step((1280, 720), 0)
        assert first.x == round(640 - 405 / 2)
        index = 0

        def cut_one():
            nonlocal index
            index += 1
            vertical.cut(CleanPicture(frame, index * FRAME_NS, index, index * FRAME_NS))
            centre_x, target_x = vertical.reframer.centre[0], vertical.reframer.target[0]
            return target_x > 740 and abs(centre_x - target_x) < 1  # aimed at the face and arrived

        assert wait_until(cut_one, 20, interval_s=0.01)
        window = vertical.reframer.step((1280, 720), (index + 1) * FRAME_NS)
        assert window.x > first.x + 200  # it moved right …
        assert window.x <= 880 <= window.x + window.width  # … and the face is in the picture
    finally:
        vertical.face_finder.stop()
