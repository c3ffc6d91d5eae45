"""Shared helpers for benchmarks: percentiles, CPU accounting, test media, JSON output."""
from __future__ import annotations

import json
import math
import os
import resource
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Iterator

import av
import numpy as np


def percentile(values: Iterable[float], q: float) -> float | None:
    data = sorted(values)
    if not data:
        return None
    index = min(len(data) - 1, max(0, math.ceil(q / 100.0 * len(data)) - 1))
    return round(float(data[index]), 3)


class CpuMeter:
    """CPU time of this whole process (all threads) over a wall-clock window, in % of one core."""

    def __enter__(self) -> "CpuMeter":
        self._cpu0 = _process_cpu_s()
        self._wall0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu_s = _process_cpu_s() - self._cpu0
        self.wall_s = time.perf_counter() - self._wall0

    @property
    def percent_of_one_core(self) -> float:
        return round(100.0 * self.cpu_s / self.wall_s, 1) if self.wall_s > 0 else 0.0


def tree_cpu_s(proc: Any) -> float:
    """user+sys seconds of a psutil process and its live children (``ip netns exec`` execs, so a
    command started through it is the process itself)."""
    import psutil

    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def thread_times(pid: int | str) -> list[tuple[int, str, float]]:
    """(thread id, OS thread name, user+sys seconds) of each thread of ``pid`` (``"self"``: this
    process), from ``/proc`` (the name as set by :mod:`studio.core.threads`, else the process's)."""
    import os

    tick = os.sysconf("SC_CLK_TCK")
    found: list[tuple[int, str, float]] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue  # the thread ended meanwhile
        name = stat[stat.find("(") + 1:stat.rfind(")")]
        fields = stat[stat.rfind(")") + 2:].split()
        found.append((int(tid), name, (int(fields[11]) + int(fields[12])) / tick))  # utime, stime
    return found


def thread_cpu_s(pid: int) -> dict[str, float]:
    """user+sys seconds of each thread of ``pid``, keyed ``"{tid}:{name}"`` (see :func:`thread_times`)."""
    return {f"{tid}:{name}": seconds for tid, name, seconds in thread_times(pid)}


def _used_by_name(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds each OS thread name used between two :func:`thread_cpu_s` readings (threads of one
    name summed; a thread started inside the window counts from zero)."""
    used: dict[str, float] = {}
    for key, value in after.items():
        name = key.split(":", 1)[1]
        used[name] = used.get(name, 0.0) + value - before.get(key, 0.0)
    return used


def split_cpu_percent(before: dict[str, float], after: dict[str, float], seconds: float,
                      prefix: str) -> tuple[float, float]:
    """(% of one core in threads whose name starts with ``prefix``, % in all the others) between two
    :func:`thread_cpu_s` readings."""
    inside = other = 0.0
    for name, used in _used_by_name(before, after).items():
        if name.startswith(prefix):
            inside += used
        else:
            other += used
    return round(100.0 * inside / seconds, 1), round(100.0 * other / seconds, 1)


def cpu_by_thread_name(before: dict[str, float], after: dict[str, float], seconds: float,
                       prefix: str, *, inside: bool) -> dict[str, float]:
    """% of one core per OS thread name (threads of one name summed: x264's pool, executors),
    between two :func:`thread_cpu_s` readings, for the threads whose name starts with ``prefix``
    (``inside``) or the others; largest first, names that used nothing left out."""
    if seconds <= 0:
        return {}
    percent = {name: round(100.0 * used / seconds, 1)
               for name, used in _used_by_name(before, after).items() if name.startswith(prefix) == inside}
    return dict(sorted(((n, p) for n, p in percent.items() if p > 0), key=lambda item: -item[1]))


def _process_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def write_h264(path: Path, images: Iterable[np.ndarray], width: int, height: int, fps: int = 30, crf: int = 23) -> Path:
    """Encode BGR pictures with libx264 (ultrafast) into ``path``: the test clips the benches decode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": str(crf)}
        stream.codec_context.time_base = Fraction(1, fps)
        for index, image in enumerate(images):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def make_test_video(path: Path, width: int, height: int, seconds: float, fps: int = 30) -> Path:
    """Encode a moving test pattern with libx264 (so decode cost is realistic)."""
    from studio.sources.testpattern import TestPatternSource, make_background

    background = make_background(width, height)

    def pictures() -> Iterator[np.ndarray]:
        for index in range(int(seconds * fps)):
            image = background.copy()
            TestPatternSource.render_motion(image, index / fps, max(16, height // 6))
            yield image

    return write_h264(path, pictures(), width, height, fps)


def packages_root() -> Path:
    """The directory holding the ``bench`` package (a checkout, or site-packages when installed)."""
    return Path(__file__).resolve().parent.parent


def subprocess_env() -> dict[str, str]:
    """This environment with :func:`packages_root` first on PYTHONPATH.

    Children (``python -m ui.cli live``, ``python -m bench.pipeline --peer-child``) then import
    the same code as this process even from a checkout that was never installed; they run in
    the benchmark's work directory, so nothing depends on where the command was started.
    """
    env = dict(os.environ)
    root = str(packages_root())
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def machine() -> dict[str, Any]:
    return {"cores": os.cpu_count(), "python": sys.version.split()[0], "numpy": np.__version__, "av": av.__version__}


def emit(result: dict[str, Any], as_json: bool) -> None:
    if not as_json:
        for key, value in result.items():
            print(f"{key}: {value}")
    print(json.dumps(result, ensure_ascii=False))
