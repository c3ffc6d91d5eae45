"""Per-show stats files and the post-show stream summary."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from studio.outputs import show_stats
from studio.outputs.show_stats import ShowStatsLog, default_stats_dir, new_stats_path, read_records, summarize


def record(t: float, state: str = "live", top_active: bool = True, **extra) -> dict:
    layers = [
        {"rid": "h", "width": 1280, "height": 720, "fps": 30.0 if top_active else 0.0,
         "bitrate_bps": 1_500_000 if top_active else 0, "keyframes": 1, "active": top_active},
        {"rid": "l", "width": 320, "height": 180, "fps": 30.0, "bitrate_bps": 130_000, "keyframes": 1, "active": True},
    ]
    base = {"t": t, "state": state, "layers": layers if state == "live" else [], "rtt_ms": 40.0,
            "loss_fraction": 0.01, "available_bitrate_bps": 2_000_000, "dropped_frames": 0, "encoder": "libx264"}
    base.update(extra)
    return base


def test_log_writes_one_line_per_second_and_a_last_one_on_stop(tmp_path):
    counter = {"n": 0}

    def stats():
        counter["n"] += 1
        return record(time.time(), reconnects=0)

    path = tmp_path / "show.jsonl"
    log = ShowStatsLog(stats, path, interval_s=0.1).start()
    time.sleep(0.55)
    log.stop()
    records, bad = read_records(path)
    assert bad == 0 and 4 <= len(records) <= 8, len(records)
    assert log.lines == len(records) and log.error is None and not log.is_running
    assert all(r["state"] == "live" for r in records)


def test_a_write_failure_stops_the_log_in_words_and_never_raises(tmp_path):
    """A really full disk: a 64 kB tmpfs (root only; this test bed runs as root)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)]).returncode:
        pytest.skip("needs root to mount a tiny tmpfs")
    try:
        errors = []
        big = "x" * 20_000
        log = ShowStatsLog(lambda: record(time.time(), padding=big), mount / "show.jsonl", interval_s=0.02)
        log.on_error.connect(lambda error: errors.append(error))
        log.start()
        deadline = time.monotonic() + 5
        while log.error is None and time.monotonic() < deadline:
            time.sleep(0.02)
        log.stop()
        assert log.error is not None and "no longer saved" in log.error and "show goes on" in log.error
        assert errors == [log.error]  # once
        assert not log.is_running
        records, _bad = read_records(mount / "show.jsonl")
        assert records, "what fitted was kept"
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_an_unwritable_directory_is_reported_not_raised(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    log = ShowStatsLog(lambda: record(time.time()), blocker / "sub" / "show.jsonl").start()
    log.stop()
    assert log.error is not None and not log.is_running


def test_summary_of_a_show_with_an_outage_and_a_congested_stretch(tmp_path):
    t0 = 1_800_000_000.0
    rows = [record(t0 + i) for i in range(60)]                                     # 60 s clean
    rows += [record(t0 + 60 + i, top_active=False, available_bitrate_bps=600_000) for i in range(20)]  # 20 s limited
    rows += [record(t0 + 80 + i, state="reconnecting", reconnects=1) for i in range(5)]  # 5 s outage
    rows += [record(t0 + 85 + i, reconnects=1) for i in range(35)]                 # back, 35 s
    path = tmp_path / "show.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"t": 1800000120, "state": "li')  # cut by a crash
    summary = summarize(path)
    assert summary["samples"] == 120 and summary["unreadable_lines"] == 1
    assert summary["duration_s"] == 120.0
    assert summary["live_s"] == 115.0
    assert summary["outages"] == [{"from_s": 80.0, "seconds": 5.0}]
    assert summary["reconnects"] == 1 and summary["reconnecting_s"] == 5.0
    assert summary["network_limited_s"] == 20.0
    assert summary["layers"]["h"]["active_share"] == pytest.approx(95 / 115, abs=1e-3)
    assert summary["layers"]["l"]["active_share"] == 1.0 and summary["layers"]["l"]["size"] == "320x180"
    assert summary["estimate_bps_min"] == 600_000
    assert summary["encoders"] == ["libx264"]
    assert "dropped once" in summary["verdict"] and "17%" in summary["verdict"]


def test_summary_of_an_empty_or_garbage_file_says_so(tmp_path):
    path = tmp_path / "show.jsonl"
    path.write_text("not json\n[1, 2]\n")
    summary = summarize(path)
    assert summary["samples"] == 0 and summary["unreadable_lines"] == 2
    assert "No stream statistics" in summary["verdict"]


def test_stats_files_live_in_the_config_dir_and_never_overwrite(isolated_settings):
    from datetime import datetime, timezone

    assert default_stats_dir() == Path(isolated_settings) / "live" / "stats"
    now = datetime(2026, 11, 22, 12, 0, 0, tzinfo=timezone.utc)
    first = new_stats_path(now=now)
    assert first.name == "20261122-120000.jsonl"
    first.parent.mkdir(parents=True)
    first.write_text("")
    assert new_stats_path(now=now).name == "20261122-120000-2.jsonl"
    assert show_stats.SAMPLE_INTERVAL_S == 1.0
