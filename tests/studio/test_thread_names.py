"""The busy threads of a show name themselves for the OS, so that ``top -H`` and ``bridgecast bench
pipeline`` (its ``other_cpu_by_thread``) can tell their CPU apart; Python's own thread names stay
inside Python."""
from __future__ import annotations

import os
import socket
import sys

import pytest

from bench.pipeline import cpu_by_thread_name
from encoders.ladder import LayerSpec
from studio.engine import Studio, default_collection
from studio.outputs.audio_track import MixerOpusSource
from studio.outputs.publisher import WHIP_LOOP_THREAD, WhipPublisher
from studio.outputs.show_stats import ShowStatsLog
from studio.scene import Canvas
from tests.helpers import wait_until

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl names are Linux's")


def _comm(native_id: int | None) -> str | None:
    try:
        with open(f"/proc/self/task/{native_id}/comm", encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return None


@linux_only
def test_compositor_source_mixer_opus_and_stats_threads_carry_their_names(tmp_path):
    studio = Studio(collection=default_collection(Canvas(width=320, height=180, fps=30)))
    studio.start()
    opus = MixerOpusSource(studio.mixer, lambda _item: None)
    stats = ShowStatsLog(lambda: {"state": "live"}, tmp_path / "show.jsonl", interval_s=0.05)
    try:
        opus.start()
        stats.start()
        assert wait_until(lambda: opus.packets > 0 and stats.lines > 0)
        threads = {
            "compositor": studio.compositor._thread,
            "mixer": studio.mixer._thread,
            "opus": opus._thread,
            "stats": stats._thread,
        }
        names = {expected: _comm(thread.native_id) for expected, thread in threads.items()}
        assert names == {expected: expected for expected in threads}, names
        comms = {_comm(int(tid)) for tid in os.listdir("/proc/self/task")}
        assert "src-testpattern" in comms, comms  # the default scene's test pattern
    finally:
        stats.stop()
        opus.stop()
        studio.stop()


@linux_only
def test_the_publisher_loop_thread_is_named_for_the_os():
    # A local server that accepts and never answers: the loop runs, waiting for the POST's answer.
    # (An address "nothing answers" is not one: in CI the SFU test bed's 198.18.0.1 answered 404 and
    # the publisher stopped before its thread was looked at.)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/whip"
        publisher = WhipPublisher(url, layers=[LayerSpec("h", 320, 180, 300_000, 30)], request_timeout_s=10)
        publisher.start()
        try:
            thread = publisher._loop_thread.thread
            assert wait_until(lambda: _comm(thread.native_id) == WHIP_LOOP_THREAD), _comm(thread.native_id)
        finally:
            publisher.stop(2.0)


def test_per_thread_cpu_sums_threads_of_one_name_and_splits_on_the_prefix():
    before = {"1:python": 1.0, "2:compositor": 2.0, "3:enc-h": 5.0, "4:enc-h": 5.0, "5:whip-loop": 0.0}
    after = {"1:python": 1.1, "2:compositor": 2.4, "3:enc-h": 6.0, "4:enc-h": 5.5, "5:whip-loop": 0.2,
             "6:whip-loop": 0.2, "7:idle": 0.0}  # 6: started inside the window
    other = cpu_by_thread_name(before, after, 10.0, "enc-", inside=False)
    assert other == {"compositor": 4.0, "whip-loop": 4.0, "python": 1.0}
    assert list(other) == sorted(other, key=lambda name: -other[name])
    assert cpu_by_thread_name(before, after, 10.0, "enc-", inside=True) == {"enc-h": 15.0}
