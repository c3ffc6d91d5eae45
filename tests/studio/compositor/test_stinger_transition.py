"""Stinger transitions: a video with alpha over the program, the new scene under it from the cut
point, for the video's length — checked on the program's pixels; files it cannot play fall back to
a fade with the reason in words."""
from __future__ import annotations

import numpy as np
import pytest

from studio.compositor import Compositor, LayerPlan
from studio.compositor.stinger import Stinger
from studio.core.frame import VideoFrame
from studio.sources.base import SourceState, VideoSource
from tests.helpers import wait_until
from tests.stinger_video import FORMATS, make_stinger

RED, BLUE, WHITE = (0, 0, 200), (200, 0, 0), (255, 255, 255)
MS = 1_000_000


class StillSource(VideoSource):
    kind = "still-test"

    def __init__(self, colour):
        super().__init__("s", "still")
        image = np.zeros((180, 320, 3), np.uint8)
        image[:] = colour
        self.slot.put(VideoFrame(image, 0, 1))
        self.state = SourceState.ACTIVE

    def _capture(self, stop):  # pragma: no cover - never started
        stop.wait()


def _near(image, bgr, at, tolerance=6) -> bool:
    return bool(np.abs(image[at].astype(int) - bgr).max() <= tolerance)


@pytest.fixture
def compositor():
    sources = {"old": StillSource(RED), "new": StillSource(BLUE)}
    comp = Compositor(320, 180, 30, sources.get)
    comp.set_plan([LayerPlan("o", "old", 0, 0, 320, 180)])
    yield comp
    comp.stop()


def _ready(stinger: Stinger) -> None:
    assert wait_until(lambda: stinger.is_ready or stinger.problem, 10)
    assert stinger.problem is None
    assert wait_until(lambda: stinger.buffered_frames >= 2, 10)


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_old_scene_under_the_stinger_then_the_new_one_then_the_new_one_alone(compositor, tmp_path, suffix):
    stinger = compositor.set_stinger(make_stinger(tmp_path / f"sting{suffix}", suffix=suffix), cut_point_ms=500)
    _ready(stinger)
    assert abs(stinger.duration_ms - 1000) <= 1  # 10 frames at 10 fps: the transition's length

    compositor.set_plan([LayerPlan("n", "new", 0, 0, 320, 180)], "stinger", 300)  # 300: ignored, the video decides
    fade = compositor._fade
    assert fade.kind == "stinger" and fade.duration_ns == 1000 * MS and compositor.transition_problem is None
    assert compositor.is_transitioning

    before = compositor.render(fade.start_ns + 200 * MS).image
    assert _near(before, RED, (90, 20)) and _near(before, WHITE, (90, 160))  # old scene under the stinger
    after = compositor.render(fade.start_ns + 700 * MS).image
    assert _near(after, BLUE, (90, 20)) and _near(after, WHITE, (90, 160))  # new scene under it
    end = compositor.render(fade.start_ns + 1000 * MS).image
    assert _near(end, BLUE, (90, 20)) and _near(end, BLUE, (90, 160))  # the new scene alone
    assert compositor._fade is None

    # Rewound for the next take: back to the old scene, the stinger plays again from its start.
    _ready(stinger)
    compositor.set_plan([LayerPlan("o", "old", 0, 0, 320, 180)], "stinger", 0)
    again = compositor.render(compositor._fade.start_ns + 100 * MS).image
    assert _near(again, BLUE, (90, 20)) and _near(again, WHITE, (90, 160))


def test_a_stinger_at_another_size_is_scaled_to_the_canvas(compositor, tmp_path):
    stinger = compositor.set_stinger(make_stinger(tmp_path / "big.mov", size=(640, 360)), cut_point_ms=0)
    _ready(stinger)
    compositor.set_plan([LayerPlan("n", "new", 0, 0, 320, 180)], "stinger")
    image = compositor.render(compositor._fade.start_ns + 50 * MS).image
    assert _near(image, WHITE, (90, 160)) and _near(image, BLUE, (90, 20))  # cut at 0: new scene at once


def test_the_decoder_buffer_is_bounded(compositor, tmp_path):
    stinger = compositor.set_stinger(make_stinger(tmp_path / "long.mov", frames=60, fps=30), cut_point_ms=0)
    _ready(stinger)
    assert wait_until(lambda: stinger.buffered_frames == stinger.capacity, 10)
    assert stinger.capacity < 60  # never the whole video at once
    compositor.set_plan([LayerPlan("n", "new", 0, 0, 320, 180)], "stinger")
    start = compositor._fade.start_ns
    for ms in range(0, 2000, 100):  # the compositor skips frames not yet due; the worker refills
        assert _near(compositor.render(start + ms * MS).image, WHITE, (90, 160))
        assert stinger.buffered_frames <= stinger.capacity


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: make_stinger(p / "flat.mov", has_alpha=False), "no transparency"),
        (lambda p: (p / "notes.mov").write_text("not a video") and str(p / "notes.mov"), "not a video"),
        (lambda p: str(p / "gone.mov"), "not there"),
        (lambda p: make_stinger(p / "slow.mov", frames=11, fps=1), "at most 10 s"),
    ],
)
def test_a_file_that_cannot_play_falls_back_to_a_fade_in_words(compositor, tmp_path, make, words):
    stinger = compositor.set_stinger(make(tmp_path), cut_point_ms=200)
    assert wait_until(lambda: stinger.problem is not None, 10)
    assert words in stinger.problem and "Traceback" not in stinger.problem
    compositor.set_plan([LayerPlan("n", "new", 0, 0, 320, 180)], "stinger", 400)
    fade = compositor._fade
    assert fade.kind == "fade" and fade.duration_ns == 400 * MS
    assert words in compositor.transition_problem and "fade" in compositor.transition_problem
    mid = compositor.render(fade.start_ns + 200 * MS).image
    assert not _near(mid, RED, (90, 160)) and not _near(mid, BLUE, (90, 160))  # a mix of the two


def test_no_stinger_chosen_is_a_fade_too(compositor):
    compositor.set_plan([LayerPlan("n", "new", 0, 0, 320, 180)], "stinger", 0)
    assert compositor._fade.kind == "fade" and compositor._fade.duration_ns > 0
    assert "No stinger" in compositor.transition_problem


def test_probe_tells_the_length_or_the_reason(tmp_path):
    from studio.compositor.stinger import StingerError, probe_stinger

    assert abs(probe_stinger(make_stinger(tmp_path / "ok.mov", frames=5, fps=10)) - 500) <= 1
    with pytest.raises(StingerError, match="no transparency"):
        probe_stinger(make_stinger(tmp_path / "flat.mov", has_alpha=False))


def test_a_replan_mid_take_keeps_the_stinger_playing_but_a_cut_ends_it(compositor, tmp_path):
    """The new scene's source wakes and is fitted mid-take (a re-plan): the video plays on over the
    new layout; an explicit cut (another switch) ends it."""
    stinger = compositor.set_stinger(make_stinger(tmp_path / "sting.mov"), cut_point_ms=300)
    _ready(stinger)
    compositor.set_plan([LayerPlan("n", "new", 0, 0, 320, 180)], "stinger")
    start = compositor._fade.start_ns
    compositor.set_plan([LayerPlan("n", "new", 0, 0, 160, 180)])  # refitted
    assert compositor._fade is not None and compositor._fade.start_ns == start
    image = compositor.render(start + 500 * MS).image
    assert _near(image, WHITE, (90, 160)) and _near(image, BLUE, (90, 20)) and _near(image, (0, 0, 0), (90, 300))
    compositor.set_plan([LayerPlan("o", "old", 0, 0, 320, 180)], "cut")
    assert compositor._fade is None
    assert _near(compositor.render(start + 600 * MS).image, RED, (90, 160))
