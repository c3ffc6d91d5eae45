"""App benchmark: what the desktop app itself costs, idle and live, against the headless chain.

``bridgecast bench app --json`` launches the real app window (``python -m ui.cli``, the same as
``bridgecast``) on its own X display (Xvfb 1366×768 + openbox when installed) with a fresh
config directory: the default test-pattern scene at the canvas size asked for, a -30 dBFS test
tone as the only audio input (the headless command adds the same tone), no microphone.

1. **Idle**: the window open, nothing live.  After ``--warmup`` seconds, the app process's CPU
   (user+sys, all threads, % of one core) is sampled once a second for ``--idle-seconds``;
   the figure is the median sample.  RSS is sampled alongside (median and largest).
2. **Live** (skipped with ``--no-live``): inside the SFU test bed's network namespace (Janus
   behind simple-whip-server, :mod:`bench.testbed.harness`), the app goes live on start
   (``BRIDGECAST_GO_LIVE_ON_START=1``) to a WHIP destination with layers h/m/l; once its stats
   say "live" and the warm-up passed, its CPU is sampled the same way.  Then, in the same run,
   ``bridgecast live --source testpattern`` with the same canvas, fps, layers and encoder
   publishes to another endpoint of the same Janus and is measured the same way (the two one
   after the other, never competing for the cores).  ``ratio_vs_peer`` = app ÷ headless.

Targets (issue #13): idle ≤ 5 % of a core, RSS ≤ 500 MB, live app ≤ 1.15 × headless.

``--preview-fps N`` sets the preview's rate when not live as a user would (Settings ▸ Go live… ▸
Preview when not live); without it the app's default is measured.  Each figure comes with the
CPU per OS thread name (``cpu_by_thread``; the GUI thread carries the process's name, "python").
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from bench.common import cpu_by_thread_name, emit, machine, subprocess_env, thread_cpu_s, tree_cpu_s

FPS = 30
WARMUP_S = 10.0
LIVE_WARMUP_S = 5.0
SCREEN = "1366x768x24"
PEER_NAME = "bridgecast live (headless, same canvas, layers, encoder and test tone)"
TARGETS = {"idle_cpu_percent_of_one_core": 5.0, "idle_rss_mb": 500.0, "live_ratio_vs_headless": 1.15}


# ----------------------------------------------------------------------------------------------
# The display
# ----------------------------------------------------------------------------------------------
def free_display(first: int = 90) -> str:
    """An X display number nobody uses (no socket, no lock file)."""
    for number in range(first, first + 100):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return f":{number}"
    raise RuntimeError("no free X display number between :90 and :189")


class Display:
    """Xvfb (+ openbox when installed) on one display, started through ``spawn`` (maybe in a netns)."""

    def __init__(self, display: str, spawn: Callable[..., subprocess.Popen]) -> None:
        self.display = display
        self._spawn = spawn
        self._processes: list[subprocess.Popen] = []
        self.window_manager: str | None = None

    def __enter__(self) -> "Display":
        if shutil.which("Xvfb") is None:
            raise RuntimeError("Xvfb is not installed (Debian: apt-get install xvfb)")
        number = self.display.lstrip(":")
        self._processes.append(self._spawn(["Xvfb", self.display, "-screen", "0", SCREEN, "-nolisten", "tcp"],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if time.monotonic() > deadline or self._processes[0].poll() is not None:
                raise RuntimeError(f"Xvfb did not start on {self.display}")
            time.sleep(0.1)
        if shutil.which("openbox"):
            env = dict(os.environ, DISPLAY=self.display)
            self._processes.append(self._spawn(["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            self.window_manager = "openbox"
            time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        for process in reversed(self._processes):
            _stop(process, signal.SIGTERM, 5)


# ----------------------------------------------------------------------------------------------
# The app's config and measuring a process
# ----------------------------------------------------------------------------------------------
def write_app_config(config: Path, width: int, height: int, whip_url: str | None, preview_fps: int | None = None) -> None:
    """settings.json and scenes.json for a fresh app: test pattern + -30 dBFS tone, maybe a WHIP
    destination; the preview's rate when not live as a user would set it (``None``: the default)."""
    from studio.engine import default_collection
    from studio.scene import AudioInputSpec, Canvas, save_collection
    from studio.settings import Destination, Settings, save_settings

    config.mkdir(parents=True, exist_ok=True)
    settings = Settings(language="en")
    settings.video = settings.video.model_copy(update={"canvas_width": width, "canvas_height": height, "fps": FPS})
    settings.audio.microphone = ""
    if preview_fps is not None:
        settings.ui = settings.ui.model_copy(update={"preview_fps": preview_fps})
    if whip_url is not None:
        settings.destinations = [Destination(id="bench", name="Janus (bench)", whip_url=whip_url, layers=["h", "m", "l"])]
    save_settings(settings, config / "settings.json")
    collection = default_collection(Canvas(width=width, height=height, fps=FPS), microphone=False)
    collection.audio_inputs.append(AudioInputSpec(kind="tone", name="Test tone", settings={"level_dbfs": -30.0}))
    save_collection(collection, config / "scenes.json")


def sample_process(pid: int, seconds: float, ready: Callable[[], bool] | None = None, warmup_s: float = WARMUP_S,
                   alive: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Per-second CPU % of one core and RSS of ``pid`` (and children) over ``seconds`` after warm-up."""
    import psutil

    proc = psutil.Process(pid)
    started = time.monotonic()
    deadline = started + warmup_s + 60
    while time.monotonic() - started < warmup_s or (ready is not None and not ready()):
        if alive is not None and not alive():
            return {"error": "the process ended during warm-up"}
        if time.monotonic() > deadline:
            return {"error": "not ready in time"}
        time.sleep(0.2)

    def cpu_s() -> float:
        return tree_cpu_s(proc)

    cpu_samples: list[float] = []
    rss_samples: list[float] = []
    first_threads = thread_cpu_s(pid)
    first_cpu, first_wall = cpu_s(), time.monotonic()
    last_cpu, last_wall = first_cpu, first_wall
    while time.monotonic() - first_wall < seconds:
        time.sleep(1.0)
        if alive is not None and not alive():
            return {"error": "the process ended inside the measured window"}
        now_cpu, now_wall = cpu_s(), time.monotonic()
        cpu_samples.append(100.0 * (now_cpu - last_cpu) / (now_wall - last_wall))
        try:
            rss_samples.append(proc.memory_info().rss / 1e6)
        except psutil.Error:
            pass
        last_cpu, last_wall = now_cpu, now_wall
    # Where the time went, per OS thread name (the GUI thread carries the process's name).
    by_thread = cpu_by_thread_name(first_threads, thread_cpu_s(pid), last_wall - first_wall, "", inside=True)
    return {
        "cpu_percent_of_one_core": round(statistics.median(cpu_samples), 1),
        "cpu_percent_mean": round(100.0 * (last_cpu - first_cpu) / (last_wall - first_wall), 1),
        "cpu_samples": [round(v, 1) for v in cpu_samples],
        "rss_mb": round(statistics.median(rss_samples), 1) if rss_samples else None,
        "rss_mb_max": round(max(rss_samples), 1) if rss_samples else None,
        "window_s": round(last_wall - first_wall, 1),
        "cpu_by_thread": by_thread,
    }


def _stop(popen: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = 20.0) -> int | None:
    if popen.poll() is None:
        try:
            popen.send_signal(sig)
            return popen.wait(timeout)
        except subprocess.TimeoutExpired:
            popen.kill()
    try:
        return popen.wait(5)
    except subprocess.TimeoutExpired:
        return None


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return records
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            pass
    return records


def _live_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    live = [r for r in records if r.get("state") == "live"]
    last = live[-1] if live else {}
    layers = [{"rid": layer.get("rid"), "width": layer.get("width"), "height": layer.get("height"), "fps": layer.get("fps"),
               "active": layer.get("active")} for layer in last.get("layers") or []]
    return {"live_records": len(live), "layers": layers, "encoder": last.get("encoder")}


# ----------------------------------------------------------------------------------------------
# The three measurements
# ----------------------------------------------------------------------------------------------
def run_app(spawn: Callable[..., subprocess.Popen], workdir: Path, name: str, display: str, width: int, height: int,
            seconds: float, whip_url: str | None, warmup_s: float = WARMUP_S, preview_fps: int | None = None) -> dict[str, Any]:
    """Start the app window, measure it (idle, or live to ``whip_url``), quit it."""
    config = workdir / f"config-{name}"
    write_app_config(config, width, height, whip_url, preview_fps)
    env = dict(subprocess_env(), DISPLAY=display, BRIDGECAST_CONFIG_DIR=str(config), QT_QPA_PLATFORM="xcb")
    if whip_url is not None:
        env["BRIDGECAST_GO_LIVE_ON_START"] = "1"
    log_path = workdir / f"{name}.log"
    with log_path.open("w") as log:
        popen = spawn([sys.executable, "-m", "ui.cli"], cwd=str(workdir), env=env, stdout=log, stderr=subprocess.STDOUT)
        stats_dir = config / "live" / "stats"

        def is_live() -> bool:
            return any(r.get("state") == "live" for path in stats_dir.glob("*.jsonl") for r in _read_jsonl(path)[-1:])

        try:
            measured = sample_process(popen.pid, seconds, ready=is_live if whip_url else None,
                                      warmup_s=LIVE_WARMUP_S if whip_url else warmup_s, alive=lambda: popen.poll() is None)
        finally:
            code = _stop(popen)
    records = [r for path in sorted(stats_dir.glob("*.jsonl")) for r in _read_jsonl(path)]
    result = {**measured, "exit_code": code, "log_tail": log_path.read_text(errors="replace").splitlines()[-3:]}
    if whip_url is not None:
        result.update(_live_summary(records))
    return result


def run_headless(spawn: Callable[..., subprocess.Popen], workdir: Path, width: int, height: int, seconds: float,
                 whip_url: str) -> dict[str, Any]:
    """``bridgecast live`` with the app's settings, measured the same way."""
    stats_path = workdir / "headless-stats.jsonl"
    duration = LIVE_WARMUP_S + seconds + 40
    cmd = [sys.executable, "-m", "ui.cli", "live", "--source", "testpattern", "--canvas", f"{width}x{height}",
           "--fps", str(FPS), "--layers", "h,m,l", "--whip", whip_url, "--duration", str(duration),
           "--stats-jsonl", str(stats_path)]
    env = dict(subprocess_env(), BRIDGECAST_CONFIG_DIR=str(workdir / "config-headless"))
    popen = spawn(cmd, cwd=str(workdir), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def is_live() -> bool:
        records = _read_jsonl(stats_path)
        return bool(records) and records[-1].get("state") == "live"

    try:
        measured = sample_process(popen.pid, seconds, ready=is_live, warmup_s=LIVE_WARMUP_S, alive=lambda: popen.poll() is None)
    finally:
        code = _stop(popen)
        _out, stderr = popen.communicate()
    return {**measured, "exit_code": code, "stderr_tail": (stderr or "").strip().splitlines()[-3:],
            **_live_summary(_read_jsonl(stats_path))}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bridgecast bench app")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--display", default=None, help="X display to start Xvfb on (default: a free one from :90)")
    parser.add_argument("--canvas", default="1920x1080")
    parser.add_argument("--warmup", type=float, default=WARMUP_S, help="seconds after the window opens before idle sampling")
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--live-seconds", type=float, default=20.0)
    parser.add_argument("--no-live", action="store_true", help="measure the idle app only (no SFU test bed needed)")
    parser.add_argument("--preview-fps", type=int, default=None,
                        help="the preview's rate when not live, as set in the app (default: the app's default)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    width, height = (int(v) for v in args.canvas.lower().split("x"))
    display = args.display or free_display()
    load_before = round(os.getloadavg()[0], 2)
    idle: dict[str, Any] = {}
    app_live: dict[str, Any] | None = None
    headless: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        workdir = Path(tmp)
        if args.no_live:
            spawn = _local_spawn
            with Display(display, spawn) as screen:
                idle = run_app(spawn, workdir, "idle", display, width, height, args.idle_seconds, None, args.warmup,
                                   args.preview_fps)
        else:
            from bench.testbed.harness import popen_in_netns, sfu_stack

            with sfu_stack(workdir) as stack:
                def spawn(cmd: list[str], **kwargs: Any) -> subprocess.Popen:
                    return popen_in_netns(stack.client_ns, cmd, **kwargs)

                with Display(display, spawn) as screen:
                    idle = run_app(spawn, workdir, "idle", display, width, height, args.idle_seconds, None, args.warmup,
                                   args.preview_fps)
                    app_live = run_app(spawn, workdir, "live", display, width, height, args.live_seconds,
                                       stack.whip.create_endpoint("bench-app"), preview_fps=args.preview_fps)
                headless = run_headless(spawn, workdir, width, height, args.live_seconds,
                                        stack.whip.create_endpoint("bench-headless"))
    app_cpu = (app_live or {}).get("cpu_percent_of_one_core")
    peer_cpu = (headless or {}).get("cpu_percent_of_one_core")
    ratio = round(app_cpu / peer_cpu, 2) if app_cpu and peer_cpu else None
    mean_ratio = None
    if app_live and headless and app_live.get("cpu_percent_mean") and headless.get("cpu_percent_mean"):
        mean_ratio = round(app_live["cpu_percent_mean"] / headless["cpu_percent_mean"], 2)
    result = {
        "benchmark": "app",
        "canvas": f"{width}x{height}",
        "fps": FPS,
        "preview_fps_when_not_live": args.preview_fps if args.preview_fps is not None else _default_preview_fps(),
        "display": {"screen": SCREEN, "window_manager": screen.window_manager},
        "idle_cpu_percent_of_one_core": idle.get("cpu_percent_of_one_core"),
        "idle_rss_mb": idle.get("rss_mb"),
        "idle_rss_mb_max": idle.get("rss_mb_max"),
        "live_cpu_percent_of_one_core": app_cpu,
        "cpu_percent_of_one_core": app_cpu if app_cpu is not None else idle.get("cpu_percent_of_one_core"),
        "peer": {"name": PEER_NAME, "cpu_percent_of_one_core": peer_cpu},
        "ratio_vs_peer": ratio,
        "ratio_vs_peer_of_means": mean_ratio,
        "targets": TARGETS,
        "meets_targets": {
            "idle_cpu": _at_most(idle.get("cpu_percent_of_one_core"), TARGETS["idle_cpu_percent_of_one_core"]),
            "idle_rss": _at_most(idle.get("rss_mb_max"), TARGETS["idle_rss_mb"]),
            "live_ratio": _at_most(ratio, TARGETS["live_ratio_vs_headless"]),
        },
        "idle": idle,
        "app_live": app_live,
        "headless_live": headless,
        "note": ("CPU = user+sys of the process (all threads, Xvfb not included), sampled each second after warm-up; "
                 "figures are medians of the samples; app and headless live one after the other in the same run, "
                 "to the same Janus, same canvas, 30 fps, layers h/m/l, encoder auto, -30 dBFS test tone"),
        "load_average_1m": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
        "machine": machine(),
    }
    emit(result, args.json)
    return 0 if result["cpu_percent_of_one_core"] is not None else 1


def _default_preview_fps() -> int:
    from studio.settings import UiSettings

    return UiSettings().preview_fps


def _local_spawn(cmd: list[str], **kwargs: Any) -> subprocess.Popen:
    kwargs.setdefault("start_new_session", True)
    return subprocess.Popen(cmd, **kwargs)


def _at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


if __name__ == "__main__":
    sys.exit(main())
