"""A media file's sound goes through the mixer in sync with its picture (issue #18, "Must show").

The file is made here with PyAV: its picture carries the time-code strip (shared/CONTRACTS.md)
of the file's own clock (shifted to an hour ago on the wall clock, whole seconds kept whole),
and its sound a 20 ms burst of 1 kHz at every whole second of that same clock.  The engine plays
it as a media source on the program; the show goes live to the local nginx-rtmp; a viewer pulls
the stream back and compares where the stream put the pictures with where it put the clicks
(:func:`bench.testbed.av_sync.pull_av_sync`).  The issue's bound is |offset| ≤ 40 ms.
"""
from __future__ import annotations

import json
import os
import time

import pytest

from bench.testbed.av_sync import pull_av_sync
from bench.testbed.rtmp_server import SETUP_HINT, RtmpServer, missing_parts
from studio.engine import Studio
from studio.golive.plan import GoLivePlan, RtmpTarget
from studio.golive.service import GoLiveService
from studio.scene import Canvas, Scene, SceneCollection, SceneItem, SourceSpec, Transition
from studio.settings import Settings
from studio.sources.base import SourceState
from tests.helpers import wait_until
from tests.studio.sources.av_media import make_av_clip

WIDTH, HEIGHT, FPS = 640, 360, 30
KEY = "media-sound-key-5d1e"
CLIP_S = 45.0  # longer than setting up, going live and the pull: no loop inside the pull
PULL_S = 6.0
MAX_AV_OFFSET_MS = 40.0  # the acceptance bound
MIN_STRIP_READABLE = 0.9


@pytest.fixture(scope="module", autouse=True)
def rtmp_test_bed_installed():
    missing = missing_parts()
    if missing:
        pytest.fail(f"RTMP test bed missing {', '.join(missing)}: {SETUP_HINT}", pytrace=False)


def media_show(path) -> tuple[Studio, str]:
    spec = SourceSpec(kind="media_file", name="Product video", settings={"path": str(path), "loop": True})
    scene = Scene(name="Main", items=[SceneItem(source_id=spec.id, width=WIDTH, height=HEIGHT)])
    collection = SceneCollection(canvas=Canvas(width=WIDTH, height=HEIGHT, fps=FPS),
                                 transition=Transition(kind="cut", duration_ms=0), sources=[spec],
                                 scenes=[scene], current_scene=scene.id)
    settings = Settings()
    settings.audio.microphone = ""
    studio = Studio(settings=settings, collection=collection)
    studio.start()
    return studio, spec.id


def test_media_file_sound_is_on_the_stream_in_sync_with_its_picture(tmp_path, capsys):
    # Whole wall seconds an hour ago: the viewer unwraps the strip near "now" to this very time.
    base_ms = (time.time_ns() // 1_000_000 // 1000 - 3600) * 1000
    clip = make_av_clip(tmp_path / "clicks.mp4", seconds=CLIP_S, fps=FPS, width=WIDTH, height=HEIGHT,
                        sound="click", strip_base_ms=base_ms)
    studio, source_id = media_show(clip)
    service = None
    try:
        assert wait_until(lambda: studio.sources[source_id].state is SourceState.ACTIVE, 10)
        assert wait_until(lambda: studio.audio_inputs.media_input(source_id) is not None, 5)
        with RtmpServer(keys=[KEY]) as rtmp:
            plan = GoLivePlan(whip=None, rtmp=(RtmpTarget(rtmp.url(KEY), id="rtmp"),), encoder="libx264")
            service = GoLiveService(studio, plan)
            service.start()
            assert service.wait_live(30), f"{service.state}: {service.failure}"
            report = rtmp.call(pull_av_sync, rtmp.url(KEY), PULL_S)
            service.stop()
            service = None
        summary = report.as_dict()
        with capsys.disabled():
            print(f"\n(load average {os.getloadavg()[0]:.1f}) media file A/V over RTMP: {json.dumps(summary)}")
        assert report.stream.error is None, summary
        assert report.stream.audio_codec == "aac", summary
        assert report.strip_readable_rate is not None and report.strip_readable_rate >= MIN_STRIP_READABLE, summary
        assert len(report.clicks) >= int(PULL_S) - 1, summary  # a click every second of the file
        assert report.audio_peak > 0.2, summary  # the file's −6 dBFS clicks, not silence
        assert abs(report.av_offset_ms) <= MAX_AV_OFFSET_MS, summary
    finally:
        if service is not None:
            service.stop()
        studio.stop()
