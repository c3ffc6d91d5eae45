"""``bridgecast live`` everywhere at once (issue #12, "Must show": the headless contract).

The installed console script runs inside the SFU test namespace (``ip netns exec``: aioice needs
a non-loopback interface, and nginx listens on the namespace's own 127.0.0.1) with WHIP to the
real Janus, a horizontal RTMP with a good key and a vertical RTMP with a wrong key, for a few
seconds.  CONTRACTS.md: every stats line carries the ``outputs`` schema; the failing destination
makes exactly one ``warning:`` line naming it with the key masked; exit 0 after ``--duration``
because the show ran; no key in any output (stdout, stderr, the stats file).
"""
from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.testbed.rtmp_server import SETUP_HINT, RtmpServer, missing_parts
from tests.helpers import wait_until

GOOD_KEY = "cli-good-key-6d1f03"
WRONG_KEY = "cli-wrong-key-a9c4e2"
DURATION_S = 6
OUTPUT_FIELDS = {"id", "kind", "canvas", "state", "bitrate_bps", "fps", "reconnects", "error"}
BRIDGECAST = Path(sys.executable).with_name("bridgecast")

_endpoints = itertools.count(1)


@pytest.fixture(scope="module", autouse=True)
def rtmp_test_bed_installed():
    missing = missing_parts()
    if missing:
        pytest.fail(f"RTMP test bed missing {', '.join(missing)}: {SETUP_HINT}", pytrace=False)


@pytest.fixture(scope="module")
def rtmp(sfu_stack):
    with RtmpServer(keys=[GOOD_KEY], netns=sfu_stack.client_ns) as server:
        yield server


def stats_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    lines = []
    for line in path.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:  # the line being written right now
            pass
    return lines


def rtmp_state(path: Path, canvas: str) -> str | None:
    lines = stats_lines(path)
    if not lines:
        return None
    return next((o["state"] for o in lines[-1]["outputs"] if o["kind"] == "rtmp" and o["canvas"] == canvas), None)


def test_bridgecast_live_to_whip_and_two_rtmp_destinations_one_with_a_wrong_key(sfu, rtmp, tmp_path, capsys):
    assert BRIDGECAST.exists(), f"the console script is not installed next to {sys.executable}"
    endpoint_id = f"everywhere-cli{next(_endpoints)}"
    whip_url = sfu.whip.create_endpoint(endpoint_id)
    stats_path = tmp_path / "stats.jsonl"
    good, wrong = rtmp.url(GOOD_KEY), rtmp.url(WRONG_KEY)
    command = ["ip", "netns", "exec", sfu.client_ns, str(BRIDGECAST), "live", "--source", "testpattern",
               "--canvas", "640x360", "--fps", "30", "--whip", whip_url, "--rtmp", good, "--rtmp-vertical", wrong,
               "--vertical-canvas", "360x640", "--stats-jsonl", str(stats_path), "--duration", str(DURATION_S)]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # While it runs, a viewer pulls the good destination back.
        is_live = wait_until(lambda: rtmp_state(stats_path, "horizontal") == "live" or process.poll() is not None, 30)
        report = rtmp.pull(GOOD_KEY, 2.0) if is_live and process.poll() is None else None
        stdout, stderr = process.communicate(timeout=DURATION_S + 60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        sfu.whip.destroy_endpoint(endpoint_id)
    elapsed_s = time.monotonic() - started
    stats_text = stats_path.read_text() if stats_path.exists() else ""
    assert process.returncode == 0, (process.returncode, stderr[-3000:])

    # Exactly one warning, naming the vertical destination with its key masked, in words.
    warnings = [line for line in (stdout + stderr).splitlines() if line.startswith("warning:")]
    masked_wrong = wrong.rsplit("/", 1)[0] + "/****"
    assert len(warnings) == 1, warnings
    assert masked_wrong in warnings[0] and "refused the stream key" in warnings[0], warnings
    # No key anywhere: neither the wrong one nor the good one.
    for text, where in ((stdout, "stdout"), (stderr, "stderr"), (stats_text, "stats file")):
        for key in (GOOD_KEY, WRONG_KEY):
            assert key not in text, f"{key} in {where}"

    # Every stats line carries the outputs schema.
    lines = stats_lines(stats_path)
    assert len(lines) >= DURATION_S - 1, len(lines)
    for record in lines:
        outputs = record["outputs"]
        assert [o["kind"] for o in outputs] == ["whip", "rtmp", "rtmp"], outputs
        for output in outputs:
            assert OUTPUT_FIELDS <= set(output), output
            assert output["kind"] in ("whip", "rtmp", "record") and output["canvas"] in ("horizontal", "vertical")
        assert [o["canvas"] for o in outputs] == ["horizontal", "horizontal", "vertical"], outputs
    running = lines[:-1]  # the last line is the final one, written after the stop
    whip_states = [r["outputs"][0]["state"] for r in running]
    good_states = [r["outputs"][1]["state"] for r in running]
    wrong_entries = [r["outputs"][2] for r in running]
    assert "live" in whip_states and "live" in good_states, (whip_states, good_states)
    assert whip_states[-1] == "live" and good_states[-1] == "live", (whip_states, good_states)
    assert wrong_entries[-1]["state"] == "failed" and "refused the stream key" in wrong_entries[-1]["error"]
    live_line = next(r for r in running if r["outputs"][1]["state"] == "live" and r["outputs"][1]["fps"])
    assert live_line["outputs"][1]["bitrate_bps"] > 0 and live_line["outputs"][1]["reconnects"] == 0
    assert lines[-1]["state"] == "stopped"

    assert report is not None and report.error is None, report.as_dict() if report else "never live"
    assert report.video_codec == "h264" and (report.width, report.height) == (640, 360), report.as_dict()
    assert report.audio_codec == "aac" and report.sample_rate == 48_000, report.as_dict()
    with capsys.disabled():
        print(f"\n[bridgecast live, {DURATION_S} s] exit 0 after {elapsed_s:.1f} s; warning: {warnings[0]!r}; "
              f"{len(lines)} stats lines; pulled {report.as_dict()}")
