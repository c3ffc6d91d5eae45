"""Outputs benchmark (issue #12): what each extra output costs, and the same two RTMP streams from FFmpeg.

Ours, one child process per configuration (``python -m bench.outputs --child-ours SPEC``): the
engine as ``bridgecast live`` runs it — a 1080p30 test-pattern :class:`~studio.engine.Studio`
plus a test tone, carried out by :class:`~studio.golive.service.GoLiveService` from a
:class:`~studio.golive.plan.GoLivePlan`:

- ``whip``: WHIP, 3 simulcast layers (h/m/l x264) + Opus;
- ``whip+rtmp``: + a horizontal RTMP destination without a bitrate of its own (it takes the WHIP
  h layer's very packets: no second encode) + one AAC encode;
- ``whip+rtmp+vertical``: + an RTMP destination on the 1080×1920 vertical canvas (auto layout:
  cut from the horizontal program, its own x264 encode);
- ``whip+rtmp+vertical+record``: + the local recording (the h packets again, into Matroska);
- ``rtmp+vertical`` (the headline, compared with the peer): no WHIP, the same two RTMP streams
  the peer pushes.

CPU = user+sys of that child process (psutil, all threads) over ``--seconds`` after every output
went live and a ``--warmup``, in % of one core.  Nothing that receives is in that process: the
WHIP side goes to the built-in rehearsal receiver (:class:`~studio.outputs.rehearsal.RehearsalReceiver`)
running in this (the parent) process, where it decodes what it gets; RTMP goes to nginx
(bench/testbed/rtmp_server.py), its own process.  The child also writes, once a second, the CPU
time of each of its threads (``/proc/self/task``, by Python thread name), so each figure can be
broken down: the vertical canvas's own threads (its compositor, face finder, BGR→YUV
converter and x264 worker) are the "own encode + compositing" budget of target (c).

``--rounds`` (default 3) repeats the five configurations and the peer; each figure is the median
over the rounds that kept real time (a starved process spends less CPU because it does less
work), over all rounds when none did (``real_time`` false); increments are medians of the
per-round differences.

Every output must be live for the figure to count: each configuration's RTMP streams are
pulled back from nginx after the window (video + AAC packets at the expected size), the WHIP
layers must have been decoded by the receiver inside the window, the recording must have grown
inside it; anything else is an error in the JSON (and exit code 1).

Peer, same run, same nginx, run after ours (never concurrently):
``python -m bench.outputs --child-peer SPEC``: FFmpeg 8.1 through PyAV.  A capture thread draws
the same test pattern in real time (``make_background`` + ``render_motion`` + the time-code
strip, 1920×1080 BGR); one thread per output turns it into a picture and encodes it with
libx264 using our x264 options (ultrafast, zerolatency, Constrained Baseline, no B-frames,
keyint 2 s, scenecut off, one thread, VBV max = target over 1 s): the horizontal one converts
BGR → yuv420p with swscale, the vertical one crops the centred 9:16 window and scales it to
1080×1920 in the same swscale pass (what ``crop,scale`` does in an FFmpeg filter graph).  The
sound (a tone, 48 kHz stereo, native ``aac`` at 160 kbit/s with the fast coder, like ours) is encoded ONCE and the
same packets are muxed into both FLV outputs (what ``tee`` would share); both go to nginx over
``rtmp://``.  Measured the same way.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

from bench.common import emit, machine, subprocess_env, thread_times

FPS = 30
DEFAULT_SECONDS = 15.0
DEFAULT_WARMUP_S = 3.0
READY_TIMEOUT_S = 45.0
PULL_SECONDS = 1.5
AAC_BITRATE_BPS = 160_000  # studio.outputs.aac.DEFAULT_AAC_BITRATE_BPS
PEER_AAC_CODER = "fast"  # what studio/outputs/aac.py sets: the peer gets our audio options, as it gets our x264 ones
PEER_NAME = "FFmpeg 8.1 via PyAV (libx264 ×2 + aac once, flv → rtmp)"
TARGET_RTMP_SHARED_PERCENT = 3.0

# name, WHIP, horizontal RTMP, vertical RTMP, recording
CONFIGS: tuple[tuple[str, bool, bool, bool, bool], ...] = (
    ("whip", True, False, False, False),
    ("whip+rtmp", True, True, False, False),
    ("whip+rtmp+vertical", True, True, True, False),
    ("whip+rtmp+vertical+record", True, True, True, True),
    ("rtmp+vertical", False, True, True, False),
)
HEADLINE = "rtmp+vertical"
# Increments: each configuration against the one it adds to.
BASE_OF = {"whip+rtmp": "whip", "whip+rtmp+vertical": "whip+rtmp",
           "whip+rtmp+vertical+record": "whip+rtmp+vertical", "rtmp+vertical": "whip+rtmp+vertical"}
# Threads only the vertical canvas has (target c's "own encode + compositing").
VERTICAL_OWN_THREADS = ("compositor:vertical", "face-finder", "bridgecast-ladder-convert:vertical", "bridgecast-ladder-v")


# ----------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------
def thread_cpu_s(labels: dict[int, str]) -> dict[str, float]:
    """CPU seconds (user+sys) of every thread of this process, summed by label.

    ``labels`` maps native thread ids to names; threads not in it (FFmpeg's, x264's) are
    labelled ``native:<comm>``."""
    totals: dict[str, float] = {}
    for tid, comm, cpu in thread_times("self"):
        label = labels.get(tid) or f"native:{comm}"
        totals[label] = round(totals.get(label, 0.0) + cpu, 3)
    return totals


def _read_jsonl(path: Path) -> list[dict]:
    records = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return records
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            pass  # a line being written
    return records


def _cpu_s(pid: int) -> float | None:
    import psutil

    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return times.user + times.system


def _end(popen: subprocess.Popen, timeout: float = 30.0) -> int | None:
    """SIGTERM (a clean stop: unpublish, trailer), then wait; kill only if it hangs."""
    if popen.poll() is None:
        popen.send_signal(signal.SIGTERM)
    try:
        return popen.wait(timeout)
    except subprocess.TimeoutExpired:
        popen.kill()
        return popen.wait(5)


def _tail(path: Path, lines: int = 4) -> list[str]:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]


def _pull_all(server: Any, keys: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Pull every stream back at once (no decoding: the packets a viewer would get)."""
    reports: dict[str, dict[str, Any]] = {}

    def one(name: str, key: str) -> None:
        report = server.pull(key, PULL_SECONDS, decode=False, open_timeout_s=8.0)
        # Once more when a loaded machine spoiled the viewer's first try: an error, or a probe
        # that ended too soon.  The FLV demuxer adds a stream when its first packet comes and
        # PyAV reads only the streams the probe saw at the open, so a probe that ended before
        # the first audio packet, or before a picture gave the size, reads no audio or a 0x0
        # video although the publisher sends both (seen under load, ours and the peer's alike).
        reports[name] = report.as_dict()
        first_try = _pull_problem(reports[name])
        if first_try:
            retry = server.pull(key, PULL_SECONDS, decode=False, open_timeout_s=8.0).as_dict()
            reports[name] = {**retry, "first_try_error": first_try}

    threads = [threading.Thread(target=one, args=item, daemon=True) for item in keys.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(2 * (PULL_SECONDS + 10) + 5)
    return reports


def _pull_problem(report: dict[str, Any] | None, size: tuple[int, int] | None = None) -> str | None:
    """What is wrong with a pulled stream; ``size`` None asks only for some size."""
    if report is None:
        return "not pulled"
    if report.get("error"):
        return f"pull failed: {report['error']}"
    if not report.get("video_frames"):
        return "no video packets"
    if not report.get("audio_packets"):
        return "no audio packets"
    if size is None:
        return None if report.get("width") and report.get("height") else "no video size"
    if (report.get("width"), report.get("height")) != size:
        return f"video is {report.get('width')}x{report.get('height')}, expected {size[0]}x{size[1]}"
    return None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


# ----------------------------------------------------------------------------------------------
# Ours: the child process
# ----------------------------------------------------------------------------------------------
def run_ours_child(spec: dict[str, Any]) -> int:
    """Carry out one configuration with the engine until SIGTERM (or ``duration_s``), writing one
    JSON line a second: the service's stats, this process's CPU and each thread's CPU."""
    from studio.cpu import process_cpu_s
    from studio.engine import Studio
    from studio.golive.plan import CanvasRole, GoLivePlan, RecordingPlan, RtmpTarget, WhipTarget
    from studio.golive.service import GoLiveService
    from studio.headless import LiveOptions, build_collection
    from studio.settings import Settings

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: stop.set())
    width, height = spec["canvas"]
    targets = []
    if spec.get("rtmp_url"):
        targets.append(RtmpTarget(spec["rtmp_url"], id="rtmp"))
    if spec.get("rtmp_vertical_url"):
        targets.append(RtmpTarget(spec["rtmp_vertical_url"], id="rtmp-vertical", canvas=CanvasRole.VERTICAL))
    plan = GoLivePlan(
        whip=WhipTarget(url=spec["whip_url"]) if spec.get("whip_url") else None,
        rtmp=tuple(targets),
        vertical_canvas=tuple(spec["vertical_canvas"]),
        recording=RecordingPlan(path=Path(spec["record_path"])) if spec.get("record_path") else None,
        has_audio=True,
    )
    collection = build_collection(LiveOptions(source="testpattern", canvas=(width, height), fps=FPS))
    settings = Settings()
    settings.audio.microphone = ""  # headless: no device; the test tone below is the sound
    studio = Studio(settings=settings, collection=collection)
    studio.audio_inputs.add("tone", "Test tone", level_dbfs=-30.0)
    service = GoLiveService(studio, plan)
    code = 0
    with open(spec["stats_path"], "w", encoding="utf-8") as out:
        try:
            studio.start()
            service.start()
            deadline = time.monotonic() + float(spec["duration_s"])
            while not stop.wait(1.0) and time.monotonic() < deadline:
                # Sources are named by their random id: label them by kind so rounds line up.
                labels = {thread.native_id: "source:testpattern" if thread.name.startswith("source:") else thread.name
                          for thread in threading.enumerate() if thread.native_id}
                for canvas, encoding in service.encodings.items():
                    converter = getattr(encoding.ladder, "_converter", None) if encoding.ladder is not None else None
                    if converter is not None and converter.native_id:
                        labels[converter.native_id] = f"bridgecast-ladder-convert:{canvas.value}"
                record = service.stats()
                record["process_cpu_s"] = round(process_cpu_s(), 3)
                record["threads_cpu_s"] = thread_cpu_s(labels)
                vertical = studio.compositor_for(CanvasRole.VERTICAL)
                if vertical is not None:
                    record["vertical_compositor"] = {"ticks": vertical.ticks, "missed_pictures": vertical.missed_pictures}
                out.write(json.dumps(record, default=str) + "\n")
                out.flush()
        except Exception as exc:  # noqa: BLE001 - reported to the parent in words
            out.write(json.dumps({"t": time.time(), "error": f"{type(exc).__name__}: {exc}"}) + "\n")
            code = 1
        finally:
            service.stop()
            studio.stop()
    return code


# ----------------------------------------------------------------------------------------------
# Ours: the parent side of one configuration
# ----------------------------------------------------------------------------------------------
def _expected_outputs(name: str, whip: bool, rtmp: bool, vertical: bool, record: bool) -> list[str]:
    return (["whip"] if whip else []) + (["rtmp"] if rtmp else []) + (["rtmp-vertical"] if vertical else []) + (["record"] if record else [])


def _all_live(record: dict[str, Any], expected: list[str]) -> bool:
    states = {entry.get("id"): entry.get("state") for entry in record.get("outputs") or []}
    return all(states.get(output_id) == ("recording" if output_id == "record" else "live") for output_id in expected)


def _receiver_frames(receiver: Any) -> dict[str, tuple[int, int]]:
    """rid → (frames decoded, RTP packets received) at the rehearsal receiver."""
    if receiver is None:
        return {}
    stats = receiver.stats()
    if stats.get("state") != "live":
        return {}
    return {layer["rid"]: (int(layer.get("frames_decoded") or 0), int(layer.get("packets_received") or 0))
            for layer in stats.get("layers") or []}


def _wait_receiver_idle(receiver: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while receiver is not None and receiver.is_live and time.monotonic() < deadline:
        time.sleep(0.2)


def run_ours(tag: str, config: tuple[str, bool, bool, bool, bool], server: Any, receiver: Any, workdir: Path,
             args: argparse.Namespace, canvas: tuple[int, int], vertical_canvas: tuple[int, int]) -> dict[str, Any]:
    name, whip, rtmp, vertical, record = config
    expected = _expected_outputs(*config)
    keys = {}
    if rtmp:
        keys["rtmp"] = f"{tag}-h"
    if vertical:
        keys["rtmp-vertical"] = f"{tag}-v"
    stats_path = workdir / f"ours-{tag}.jsonl"
    record_path = workdir / f"ours-{tag}.mkv"
    spec = {
        "canvas": list(canvas), "vertical_canvas": list(vertical_canvas),
        "whip_url": receiver.url if whip else None,
        "rtmp_url": server.url(keys["rtmp"]) if rtmp else None,
        "rtmp_vertical_url": server.url(keys["rtmp-vertical"]) if vertical else None,
        "record_path": str(record_path) if record else None,
        "stats_path": str(stats_path),
        "duration_s": READY_TIMEOUT_S + args.warmup + args.seconds + 60,
    }
    spec_path = workdir / f"ours-{tag}.spec.json"
    spec_path.write_text(json.dumps(spec))
    stderr_path = workdir / f"ours-{tag}.stderr"
    result: dict[str, Any] = {"name": name, "outputs_expected": expected}
    problems: list[str] = []
    _wait_receiver_idle(receiver if whip else None)
    with open(stderr_path, "w") as stderr:
        popen = subprocess.Popen([sys.executable, "-m", "bench.outputs", "--child-ours", str(spec_path)],
                                 cwd=str(workdir), env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        live_since = None
        while True:
            if popen.poll() is not None:
                problems.append(f"exited with {popen.returncode} before every output went live")
                break
            records = _read_jsonl(stats_path)
            if records and records[-1].get("error"):
                problems.append(records[-1]["error"])
                break
            if records and _all_live(records[-1], expected):
                live_since = time.monotonic()
                break
            if time.monotonic() > deadline:
                last = records[-1] if records else {}
                states = {e.get("id"): (e.get("state"), e.get("error")) for e in last.get("outputs") or []}
                problems.append(f"not every output live after {READY_TIMEOUT_S:.0f} s: {states}")
                break
            time.sleep(0.2)
        if live_since is not None:
            time.sleep(args.warmup)
            frames0 = _receiver_frames(receiver) if whip else {}
            t0, cpu0, own0 = time.time(), _cpu_s(popen.pid), _cpu_s(os.getpid())
            time.sleep(args.seconds)
            t1, cpu1, own1 = time.time(), _cpu_s(popen.pid), _cpu_s(os.getpid())
            frames1 = _receiver_frames(receiver) if whip else {}
            if own0 is not None and own1 is not None:
                # This process does nothing but the rehearsal receiver meanwhile: what the WHIP side cost
                # on the same two cores (not billed to ours).
                result["receiver_process_cpu_percent"] = round(100.0 * (own1 - own0) / (t1 - t0), 1)
            if popen.poll() is not None or cpu0 is None or cpu1 is None:
                problems.append(f"exited with {popen.returncode} inside the measured window")
            else:
                result["cpu_percent_of_one_core"] = round(100.0 * (cpu1 - cpu0) / (t1 - t0), 1)
                result["window_s"] = round(t1 - t0, 2)
            pulls = _pull_all(server, keys)
            result.update(_summarise_ours(_read_jsonl(stats_path), t0, t1, expected, pulls, frames0, frames1,
                                          canvas, vertical_canvas, problems))
    finally:
        result["exit_code"] = _end(popen)
    if result["exit_code"] not in (0, None) and not problems:
        problems.append(f"exit code {result['exit_code']}")
    result["stderr_tail"] = _tail(stderr_path)
    result["error"] = "; ".join(problems) or None
    return result


def _summarise_ours(records: list[dict], t0: float, t1: float, expected: list[str], pulls: dict[str, dict],
                    frames0: dict[str, tuple[int, int]], frames1: dict[str, tuple[int, int]], canvas: tuple[int, int],
                    vertical_canvas: tuple[int, int], problems: list[str]) -> dict[str, Any]:
    inside = [r for r in records if "outputs" in r and t0 - 0.5 <= r.get("t", 0) <= t1 + 0.5]
    summary: dict[str, Any] = {}
    # fps: the top horizontal layer's encoded frames per second (WHIP stats: encoded_fps).
    top = []
    for r in inside:
        for layer in r.get("layers") or []:
            if layer.get("rid") == "h":
                value = layer.get("encoded_fps", layer.get("fps"))
                if value is not None:
                    top.append(float(value))
    summary["fps"] = _mean(top)
    drops = [r.get("dropped_frames") for r in inside if r.get("dropped_frames") is not None]
    summary["dropped_frames_in_window"] = (max(drops) - min(drops)) if drops else None
    # Per output: live in every second of the window, its sent fps and bitrate, what a viewer pulled.
    outputs = []
    for output_id in expected:
        entries = [e for r in inside for e in r.get("outputs") or [] if e.get("id") == output_id]
        wanted = "recording" if output_id == "record" else "live"
        row: dict[str, Any] = {
            "id": output_id,
            "kind": entries[-1].get("kind") if entries else None,
            "canvas": entries[-1].get("canvas") if entries else None,
            "live_every_second": bool(entries) and all(e.get("state") == wanted for e in entries),
            "fps": _mean([float(e["fps"]) for e in entries if e.get("fps") is not None]),
            "bitrate_bps": int(_mean([float(e["bitrate_bps"]) for e in entries if e.get("bitrate_bps") is not None]) or 0) or None,
        }
        problem = None if row["live_every_second"] else f"{output_id}: not live all through the window"
        if output_id in pulls:
            row["pull"] = pulls[output_id]
            size = vertical_canvas if output_id == "rtmp-vertical" else canvas
            pulled = _pull_problem(pulls[output_id], size)
            problem = problem or (f"{output_id}: {pulled}" if pulled else None)
        if output_id == "whip":
            span = max(t1 - t0, 1e-6)
            zero = (0, 0)
            received = {rid: round((frames1.get(rid, zero)[0] - frames0.get(rid, zero)[0]) / span, 2) for rid in ("h", "m", "l")}
            packets = {rid: round((frames1.get(rid, zero)[1] - frames0.get(rid, zero)[1]) / span, 1) for rid in ("h", "m", "l")}
            row["received_fps"] = received  # decoded by the receiver (in the benchmark's process)
            row["received_packets_per_s"] = packets
            # Live = RTP of every layer arrived in the window (decoding is the receiver's own business:
            # on a starved machine aiortc's jitter buffer can stall on one lost packet).
            if any(value <= 0 for value in packets.values()):
                problem = problem or f"whip: layers without packets at the receiver in the window {packets}"
        if output_id == "record":
            written = [e.get("bytes_written") or 0 for e in entries]
            row["bytes_written_in_window"] = (max(written) - min(written)) if written else 0
            if not row["bytes_written_in_window"]:
                problem = problem or "record: the file did not grow in the window"
        row["live"] = problem is None
        if problem:
            problems.append(problem)
        outputs.append(row)
    summary["outputs"] = outputs
    summary["all_outputs_live"] = all(row["live"] for row in outputs)
    # Per-thread CPU over the window, from the child's own once-a-second samples.
    samples = [r for r in records if "threads_cpu_s" in r]
    start = min(samples, key=lambda r: abs(r["t"] - t0), default=None)
    end = min(samples, key=lambda r: abs(r["t"] - t1), default=None)
    if start is not None and end is not None and end["t"] > start["t"]:
        span = end["t"] - start["t"]
        per_thread = {label: round(100.0 * (cpu - start["threads_cpu_s"].get(label, 0.0)) / span, 1)
                      for label, cpu in end["threads_cpu_s"].items()}
        summary["threads_cpu_percent"] = dict(sorted(((k, v) for k, v in per_thread.items() if v >= 0.1),
                                                     key=lambda item: -item[1]))
        summary["threads_window_s"] = round(span, 2)
    vertical = [r["vertical_compositor"] for r in inside if r.get("vertical_compositor")]
    if len(vertical) >= 2:
        summary["vertical_missed_pictures_in_window"] = vertical[-1]["missed_pictures"] - vertical[0]["missed_pictures"]
    return summary


# ----------------------------------------------------------------------------------------------
# The peer: FFmpeg through PyAV (child process)
# ----------------------------------------------------------------------------------------------
def peer_x264_options(bitrate_bps: int, fps: int, threads: int = 1) -> dict[str, str]:
    """Our x264 options (encoders/backends.py, preset "fastest"), as FFmpeg CLI options."""
    gop = int(round(2.0 * fps))
    return {
        "preset": "ultrafast", "tune": "zerolatency", "profile": "baseline", "threads": str(threads),
        "maxrate": str(bitrate_bps), "bufsize": str(bitrate_bps),
        "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0:rc-lookahead=0:sync-lookahead=0",
    }


def vertical_window(width: int, height: int, vertical: tuple[int, int]) -> tuple[int, int]:
    """(x, w): the centred window of the horizontal picture with the vertical canvas's aspect."""
    crop_w = min(width, int(round(height * vertical[0] / vertical[1] / 2)) * 2)
    return (width - crop_w) // 2 // 2 * 2, crop_w


def run_peer_child(spec: dict[str, Any]) -> int:
    import queue

    import av
    import numpy as np

    from studio.core.clock import media_to_wall_ms, now_ns
    from studio.sources.testpattern import TestPatternSource, make_background
    from studio.timecode import draw_strip

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: stop.set())
    width, height = spec["canvas"]
    vwidth, vheight = spec["vertical_canvas"]
    crop_x, crop_w = vertical_window(width, height, (vwidth, vheight))
    progress_path = Path(spec["progress_path"])
    result: dict[str, Any] = {"error": None}
    counts = {"h": 0, "v": 0, "audio": 0, "dropped": 0}
    containers: list[Any] = []
    try:
        outputs = {}
        for rid, url, size, bitrate in (("h", spec["url_h"], (width, height), spec["bitrate_h"]),
                                        ("v", spec["url_v"], (vwidth, vheight), spec["bitrate_v"])):
            container = av.open(url, "w", format="flv")
            containers.append(container)
            video = container.add_stream("libx264", rate=FPS)
            video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
            video.bit_rate = bitrate
            video.codec_context.time_base = Fraction(1, FPS)
            video.options = peer_x264_options(bitrate, FPS)
            audio = container.add_stream("aac", rate=48000)
            audio.layout = "stereo"
            audio.bit_rate = AAC_BITRATE_BPS
            audio.options = {"aac_coder": PEER_AAC_CODER}
            outputs[rid] = {"container": container, "video": video, "audio": audio, "lock": threading.Lock(),
                            "queue": queue.Queue(maxsize=2)}
        # Headers written and every encoder opened here, before the threads start, as
        # studio/outputs/rtmp.py does: otherwise the first mux (an encode thread's or this
        # thread's audio) opens all of a container's codecs while this thread's first AAC encode
        # opens the same audio codec — two threads in avcodec_open2 at once, a segfault that a
        # loaded machine hit every time ("exited with -11 before both outputs were sending").
        for out in outputs.values():
            out["container"].start_encoding()
        # One AAC encoder (the h container's stream); its packets go to both outputs.
        encoder = outputs["h"]["audio"]
        start_ns = now_ns()
        period_ns = 1_000_000_000 // FPS

        def capture() -> None:
            background = make_background(width, height)
            box = max(16, height // 6)
            slot = 0
            while not stop.is_set():
                due = start_ns + slot * period_ns
                now = now_ns()
                if now < due:
                    time.sleep((due - now) / 1e9)
                    continue
                late = (now - due) // period_ns
                if late:  # a real-time source skips what it missed
                    slot += late
                    counts["dropped"] += late
                slot += 1
                image = background.copy()
                TestPatternSource.render_motion(image, (now - start_ns) / 1e9, box)
                draw_strip(image, media_to_wall_ms(now))
                for rid in ("h", "v"):
                    try:
                        outputs[rid]["queue"].put_nowait(image)
                    except queue.Full:
                        counts["dropped"] += 1

        def encode(rid: str) -> None:
            out = outputs[rid]
            index = 0
            while not stop.is_set():
                try:
                    image = out["queue"].get(timeout=0.1)
                except queue.Empty:
                    continue
                if rid == "h":
                    frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
                else:  # crop the centred 9:16 window, scale + convert in one swscale pass
                    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:, crop_x:crop_x + crop_w]), format="bgr24")
                    frame = frame.reformat(width=vwidth, height=vheight, format="yuv420p", interpolation="BILINEAR")
                frame.pts = index
                frame.time_base = Fraction(1, FPS)
                index += 1
                packets = out["video"].encode(frame)
                with out["lock"]:
                    for packet in packets:
                        out["container"].mux(packet)
                counts[rid] = index

        workers = [threading.Thread(target=capture, name="peer-capture", daemon=True),
                   threading.Thread(target=encode, args=("h",), name="peer-encode-h", daemon=True),
                   threading.Thread(target=encode, args=("v",), name="peer-encode-v", daemon=True)]
        for worker in workers:
            worker.start()
        samples = 1024
        phase = np.arange(samples, dtype=np.float32)
        deadline = time.monotonic() + float(spec["duration_s"])
        next_progress = time.monotonic()
        with progress_path.open("w") as progress:
            while not stop.is_set() and time.monotonic() < deadline:
                # The sound due so far, paced in real time; encoded once, muxed into both outputs.
                while counts["audio"] * samples * 1_000_000_000 <= (now_ns() - start_ns) * 48000:
                    t = (counts["audio"] * samples + phase) / 48000.0
                    tone = (0.03 * np.sin(2 * math.pi * 440.0 * t)).astype(np.float32)
                    aframe = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
                    aframe.sample_rate = 48000
                    aframe.pts = counts["audio"] * samples
                    aframe.time_base = Fraction(1, 48000)
                    counts["audio"] += 1
                    for packet in encoder.encode(aframe):
                        copy = av.Packet(bytes(packet))
                        copy.pts, copy.dts, copy.time_base = packet.pts, packet.dts, packet.time_base
                        copy.stream = outputs["v"]["audio"]
                        with outputs["h"]["lock"]:
                            outputs["h"]["container"].mux(packet)
                        with outputs["v"]["lock"]:
                            outputs["v"]["container"].mux(copy)
                if time.monotonic() >= next_progress:
                    next_progress += 1.0
                    progress.write(json.dumps({"t": round(time.time(), 3), **counts}) + "\n")
                    progress.flush()
                time.sleep(0.005)
        stop.set()
        for worker in workers:
            worker.join(5)
    except Exception as exc:  # noqa: BLE001 - reported to the parent in words
        result["error"] = f"{type(exc).__name__}: {exc}"
        stop.set()
    finally:
        for container in containers:
            try:
                container.close()
            except Exception as exc:  # noqa: BLE001
                result.setdefault("close_error", f"{type(exc).__name__}: {exc}")
    result.update(counts)
    Path(spec["report_path"]).write_text(json.dumps(result))
    return 0 if result["error"] is None else 1


def run_peer(tag: str, server: Any, workdir: Path, args: argparse.Namespace, canvas: tuple[int, int],
             vertical_canvas: tuple[int, int], bitrate_h: int, bitrate_v: int) -> dict[str, Any]:
    keys = {"rtmp": f"{tag}-h", "rtmp-vertical": f"{tag}-v"}
    progress_path = workdir / f"{tag}.progress.jsonl"
    report_path = workdir / f"{tag}.report.json"
    spec = {"canvas": list(canvas), "vertical_canvas": list(vertical_canvas), "url_h": server.url(keys["rtmp"]),
            "url_v": server.url(keys["rtmp-vertical"]), "bitrate_h": bitrate_h, "bitrate_v": bitrate_v,
            "duration_s": READY_TIMEOUT_S + args.warmup + args.seconds + 60, "progress_path": str(progress_path),
            "report_path": str(report_path)}
    spec_path = workdir / f"{tag}.spec.json"
    spec_path.write_text(json.dumps(spec))
    stderr_path = workdir / f"{tag}.stderr"
    result: dict[str, Any] = {"name": PEER_NAME}
    problems: list[str] = []
    with open(stderr_path, "w") as stderr:
        popen = subprocess.Popen([sys.executable, "-m", "bench.outputs", "--child-peer", str(spec_path)],
                                 cwd=str(workdir), env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        ready = False
        while not ready:
            if popen.poll() is not None:
                problems.append(f"exited with {popen.returncode} before both outputs were sending")
                break
            progress = _read_jsonl(progress_path)
            ready = bool(progress) and progress[-1]["h"] > 0 and progress[-1]["v"] > 0
            if not ready and time.monotonic() > deadline:
                problems.append("not sending in time")
                break
            time.sleep(0.2)
        if ready:
            time.sleep(args.warmup)
            t0, cpu0 = time.time(), _cpu_s(popen.pid)
            time.sleep(args.seconds)
            t1, cpu1 = time.time(), _cpu_s(popen.pid)
            if popen.poll() is not None or cpu0 is None or cpu1 is None:
                problems.append(f"exited with {popen.returncode} inside the measured window")
            else:
                result["cpu_percent_of_one_core"] = round(100.0 * (cpu1 - cpu0) / (t1 - t0), 1)
                result["window_s"] = round(t1 - t0, 2)
            pulls = _pull_all(server, keys)
            inside = [r for r in _read_jsonl(progress_path) if t0 - 0.6 <= r["t"] <= t1 + 0.6]
            if len(inside) >= 2:
                span = inside[-1]["t"] - inside[0]["t"]
                result["fps"] = round((inside[-1]["h"] - inside[0]["h"]) / span, 2)
                result["fps_vertical"] = round((inside[-1]["v"] - inside[0]["v"]) / span, 2)
                result["dropped_frames_in_window"] = inside[-1]["dropped"] - inside[0]["dropped"]
            outputs = []
            for output_id, size in (("rtmp", canvas), ("rtmp-vertical", vertical_canvas)):
                problem = _pull_problem(pulls.get(output_id), size)
                outputs.append({"id": output_id, "live": problem is None, "pull": pulls.get(output_id)})
                if problem:
                    problems.append(f"{output_id}: {problem}")
            result["outputs"] = outputs
            result["all_outputs_live"] = all(row["live"] for row in outputs)
    finally:
        result["exit_code"] = _end(popen)
    try:
        child = json.loads(report_path.read_text())
    except (OSError, ValueError):
        child = {}
    if child.get("error"):
        problems.append(child["error"])
    result["stderr_tail"] = _tail(stderr_path)
    result["encoder_options"] = ("libx264 " + " ".join(f"{k}={v}" for k, v in peer_x264_options(bitrate_h, FPS).items())
                                 + f"; aac aac_coder={PEER_AAC_CODER} {AAC_BITRATE_BPS // 1000} kbit/s 48 kHz stereo, encoded once, muxed into both")
    result["error"] = "; ".join(problems) or None
    return result


# ----------------------------------------------------------------------------------------------
# Targets
# ----------------------------------------------------------------------------------------------
def judge(configs: dict[str, dict[str, Any]], peer: dict[str, Any] | None) -> dict[str, Any]:
    def cpu(name: str) -> float | None:
        return configs.get(name, {}).get("cpu_percent_of_one_core")

    targets: dict[str, Any] = {}
    a, b, c = cpu("whip"), cpu("whip+rtmp"), cpu("whip+rtmp+vertical")
    b_threads = configs.get("whip+rtmp", {}).get("threads_cpu_percent") or {}
    rtmp_threads = {k: v for k, v in b_threads.items() if k.startswith("bridgecast-rtmp") or k.startswith("bridgecast-aac")}
    delta_b = configs.get("whip+rtmp", {}).get("delta_vs_previous_percent")
    if delta_b is None and a is not None and b is not None:
        delta_b = round(b - a, 1)
    own_b = round(sum(rtmp_threads.values()), 1) if rtmp_threads else None
    # The threads only (b) has are a lower bound of what (b) adds; the process delta between two
    # runs is the direct figure but carries the rounds' noise.  Both must be within the limit.
    targets["b_horizontal_rtmp_le_3pct"] = {
        "met": (delta_b is not None and delta_b <= TARGET_RTMP_SHARED_PERCENT
                and (own_b is None or own_b <= TARGET_RTMP_SHARED_PERCENT)),
        "delta_percent_of_one_core": delta_b, "limit": TARGET_RTMP_SHARED_PERCENT,
        "its_own_threads_percent": own_b,
        "its_own_threads": rtmp_threads,
        "note": "met = the process delta AND its own threads (AAC encoder + RTMP sender: a lower bound of the "
                "increment, free of the between-run noise) are both within the limit",
    }
    c_threads = configs.get("whip+rtmp+vertical", {}).get("threads_cpu_percent") or {}
    own = {k: v for k, v in c_threads.items() if any(k == name or k.startswith(name) for name in VERTICAL_OWN_THREADS)}
    sender = {k: v for k, v in c_threads.items() if k.startswith("bridgecast-rtmp") and "vertical" in k}
    own_total = round(sum(own.values()), 1) if own else None
    budget = round(own_total + sum(sender.values()), 1) if own_total is not None else None
    delta_c = configs.get("whip+rtmp+vertical", {}).get("delta_vs_previous_percent")
    if delta_c is None and b is not None and c is not None:
        delta_c = round(c - b, 1)
    targets["c_vertical_le_own_encode_and_compositing"] = {
        "met": delta_c is not None and budget is not None and delta_c <= budget,
        "delta_percent_of_one_core": delta_c,
        "own_encode_and_compositing_percent": own_total, "own_threads": own,
        "its_rtmp_sender_percent": round(sum(sender.values()), 1) if sender else None,
        "budget_percent": budget,
        "overhead_percent": round(delta_c - budget, 1) if delta_c is not None and budget is not None else None,
        "note": "budget = the vertical canvas's own threads (compositor:vertical, face-finder, its BGR→YUV converter, "
                "its x264 worker) + its RTMP sender, measured in the whip+rtmp+vertical run; the delta is between two runs",
    }
    def native(name: str) -> float:
        threads = configs.get(name, {}).get("threads_cpu_percent") or {}
        return sum(v for k, v in threads.items() if k.startswith("native:"))

    def steady(*names: str) -> bool:
        return all(configs.get(name, {}).get("real_time") for name in names)

    targets["b_horizontal_rtmp_le_3pct"]["native_threads_delta_percent"] = round(native("whip+rtmp") - native("whip"), 1)
    targets["b_horizontal_rtmp_le_3pct"]["measured_in_real_time"] = steady("whip", "whip+rtmp")
    targets["c_vertical_le_own_encode_and_compositing"]["native_threads_delta_percent"] = round(
        native("whip+rtmp+vertical") - native("whip+rtmp"), 1)  # OpenCV/FFmpeg worker pools: not attributable by name
    targets["c_vertical_le_own_encode_and_compositing"]["measured_in_real_time"] = steady("whip+rtmp", "whip+rtmp+vertical")
    ours, theirs = cpu(HEADLINE), (peer or {}).get("cpu_percent_of_one_core")
    targets["ours_le_peer"] = {"met": ours is not None and theirs is not None and ours <= theirs,
                               "ours": ours, "peer": theirs, "compared": f"{HEADLINE} vs the peer (the same two RTMP streams)",
                               "measured_in_real_time": steady(HEADLINE) and bool((peer or {}).get("real_time"))}
    targets["all"] = all(entry["met"] for entry in targets.values() if isinstance(entry, dict))
    return targets


# ----------------------------------------------------------------------------------------------
# Rounds → one figure per configuration
# ----------------------------------------------------------------------------------------------
def _median(values: list[float]) -> float | None:
    data = sorted(values)
    if not data:
        return None
    middle = len(data) // 2
    return round(data[middle] if len(data) % 2 else (data[middle - 1] + data[middle]) / 2.0, 1)


def is_real_time(sample: dict[str, Any], seconds: float) -> bool:
    """The publisher kept up: a starved one encodes fewer frames, so its CPU figure is too low."""
    fps, dropped = sample.get("fps"), sample.get("dropped_frames_in_window")
    return fps is not None and fps >= 0.95 * FPS and (dropped or 0) <= 0.02 * FPS * seconds


def _usable(samples: list[dict[str, Any]], seconds: float) -> list[dict[str, Any]]:
    measured = [s for s in samples if s.get("cpu_percent_of_one_core") is not None and not s.get("error")]
    steady = [s for s in measured if is_real_time(s, seconds)]
    return steady or measured


def aggregate(name: str, samples: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """Median CPU/fps over the usable rounds; errors of every round; the per-thread medians."""
    used = _usable(samples, seconds)
    row: dict[str, Any] = {
        "name": name,
        "cpu_percent_of_one_core": _median([s["cpu_percent_of_one_core"] for s in used]),
        "fps": _median([s["fps"] for s in used if s.get("fps") is not None]),
        "real_time": bool(used) and all(is_real_time(s, seconds) for s in used),
        "cpu_samples": [s.get("cpu_percent_of_one_core") for s in samples],
        "fps_samples": [s.get("fps") for s in samples],
        "dropped_frames_samples": [s.get("dropped_frames_in_window") for s in samples],
        "rounds_used": [index for index, s in enumerate(samples) if any(s is u for u in used)],
        "all_outputs_live": bool(samples) and all(s.get("all_outputs_live") for s in samples),
    }
    labels = {label for s in used for label in (s.get("threads_cpu_percent") or {})}
    if labels:
        medians = {label: _median([(s.get("threads_cpu_percent") or {}).get(label, 0.0) for s in used]) or 0.0
                   for label in labels}
        row["threads_cpu_percent"] = dict(sorted(((k, v) for k, v in medians.items() if v >= 0.1), key=lambda kv: -kv[1]))
    row["receiver_process_cpu_percent"] = _median([s["receiver_process_cpu_percent"] for s in used
                                                   if s.get("receiver_process_cpu_percent") is not None])
    last = samples[-1] if samples else {}
    for key in ("outputs", "vertical_missed_pictures_in_window", "window_s", "exit_code", "stderr_tail"):
        if key in last:
            row[key] = last[key]
    errors = [f"round {index}: {s['error']}" for index, s in enumerate(samples) if s.get("error")]
    row["error"] = "; ".join(errors) or None
    return row


def paired_delta(samples: list[dict[str, Any]], base: list[dict[str, Any]], seconds: float) -> float | None:
    """Median over rounds of (this − base), using rounds where both kept real time when any did."""
    pairs = [(s.get("cpu_percent_of_one_core"), b.get("cpu_percent_of_one_core"), is_real_time(s, seconds) and is_real_time(b, seconds))
             for s, b in zip(samples, base)]
    pairs = [p for p in pairs if p[0] is not None and p[1] is not None]
    steady = [p for p in pairs if p[2]] or pairs
    return _median([here - there for here, there, _ok in steady])


# ----------------------------------------------------------------------------------------------
def parse_size(text: str) -> tuple[int, int]:
    width, height = (int(v) for v in text.lower().split("x"))
    return width, height


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bridgecast bench outputs")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, help="measured window per configuration")
    parser.add_argument("--warmup", type=float, default=DEFAULT_WARMUP_S, help="seconds after every output is live")
    parser.add_argument("--canvas", default="1920x1080")
    parser.add_argument("--vertical-canvas", default=None, help="default: the canvas turned (1080x1920 for 1920x1080)")
    parser.add_argument("--rounds", type=int, default=3, help="repeat every configuration and the peer; medians")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--child-ours", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-peer", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.child_ours:
        return run_ours_child(json.loads(args.child_ours.read_text()))
    if args.child_peer:
        return run_peer_child(json.loads(args.child_peer.read_text()))

    from bench.testbed.rtmp_server import RtmpServer
    from encoders.ladder import default_ladder, ladder_bitrate_bps
    from studio.outputs.rehearsal import RehearsalReceiver

    canvas = parse_size(args.canvas)
    vertical_canvas = parse_size(args.vertical_canvas) if args.vertical_canvas else (canvas[1], canvas[0])
    bitrate_h = default_ladder(canvas[0], canvas[1], FPS)[0].bitrate_bps
    bitrate_v = ladder_bitrate_bps(vertical_canvas[0], vertical_canvas[1], FPS)
    load_before = round(os.getloadavg()[0], 2)
    started = time.time()
    keys = [f"r{r}c{i}-{side}" for r in range(args.rounds) for i in range(len(CONFIGS)) for side in ("h", "v")]
    keys += [f"r{r}peer-{side}" for r in range(args.rounds) for side in ("h", "v")]
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name, *_flags in CONFIGS}
    peer_samples: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-outputs-") as tmp:
        workdir = Path(tmp)
        receiver = RehearsalReceiver()
        receiver.start()
        try:
            with RtmpServer(keys=keys) as server:
                for round_index in range(args.rounds):
                    for index, config in enumerate(CONFIGS):
                        samples[config[0]].append(run_ours(f"r{round_index}c{index}", config, server, receiver, workdir,
                                                           args, canvas, vertical_canvas))
                    if not args.no_peer:
                        peer_samples.append(run_peer(f"r{round_index}peer", server, workdir, args, canvas, vertical_canvas,
                                                     bitrate_h, bitrate_v))
        finally:
            receiver.stop()
    rows = [aggregate(name, samples[name], args.seconds) for name, *_flags in CONFIGS]
    by_name = {row["name"]: row for row in rows}
    for row in rows:
        base_name = BASE_OF.get(row["name"])
        row["delta_vs"] = base_name
        row["delta_vs_previous_percent"] = paired_delta(samples[row["name"]], samples[base_name], args.seconds) if base_name else None
    peer = aggregate(PEER_NAME, peer_samples, args.seconds) if peer_samples else None
    if peer is not None:
        for key in ("encoder_options", "outputs", "fps_vertical"):
            peer[key] = peer_samples[-1].get(key)
    ours_headline = by_name.get(HEADLINE, {}).get("cpu_percent_of_one_core")
    peer_cpu = (peer or {}).get("cpu_percent_of_one_core")
    errors = {row["name"]: row["error"] for row in rows if row.get("error")}
    if peer is not None and peer.get("error"):
        errors["peer"] = peer["error"]
    ratios = [round(o["cpu_percent_of_one_core"] / p["cpu_percent_of_one_core"], 2)
              for o, p in zip(samples[HEADLINE], peer_samples)
              if o.get("cpu_percent_of_one_core") and p.get("cpu_percent_of_one_core")]
    result = {
        "benchmark": "outputs",
        "canvas": f"{canvas[0]}x{canvas[1]}",
        "vertical_canvas": f"{vertical_canvas[0]}x{vertical_canvas[1]}",
        "target_fps": FPS,
        "seconds": args.seconds,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "bitrates_bps": {"horizontal": bitrate_h, "vertical": bitrate_v, "aac": AAC_BITRATE_BPS},
        "configs": rows,
        "peer": peer if peer is not None else {"name": PEER_NAME, "cpu_percent_of_one_core": None, "error": "skipped (--no-peer)"},
        "headline": f"{HEADLINE} (ours, the same two RTMP streams as the peer) ÷ peer",
        "ratio_vs_peer": round(ours_headline / peer_cpu, 2) if ours_headline and peer_cpu else None,
        "ratio_vs_peer_per_round": ratios,
        "meets_targets": judge(by_name, peer),
        "errors": errors,
        "note": ("CPU = user+sys of the publishing process only, % of one core, over the window after every "
                 "output went live + warm-up; the WHIP rehearsal receiver (which decodes) runs in the benchmark's "
                 "own process and nginx in its own, so neither is billed to ours or to the peer.  Each round runs "
                 "the configurations one after another, then the peer; figures are medians over the rounds that "
                 "kept real time (fps ≥ 28.5 and ≤ 2 % of frames dropped: a starved process spends less CPU "
                 "because it does less work), over all rounds when none did (real_time false); increments are "
                 "medians of the per-round differences"),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "load_average_1m": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
        "machine": machine(),
    }
    emit(result, args.json)
    return 0 if not errors and all(row.get("cpu_percent_of_one_core") is not None for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
