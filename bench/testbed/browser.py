"""A real browser viewer for the SFU test bed: headless Chromium + janus.js in the namespace.

:func:`run_viewer` serves the page (viewer.html / viewer.js / adapter-shim.js, next to this
module, with Debian's janus.js) from a tiny aiohttp server inside the namespace, opens it in
headless Chromium, and returns what the page reported: its getStats() samples, the latency read
from the time-code strip of every painted frame, and the paint times.  The page subscribes to
one VideoRoom feed, plays it and switches simulcast substreams following ``plan``.  The
analysis helpers below turn those reports into figures.  Used by the Chromium test
(tests/browser) and by ``bridgecast bench latency-browser`` / ``bench network --browser``.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

from bench.testbed.harness import ROOM, SERVER_IP, NetnsLoop, popen_in_netns

# The page's files ship inside this package (package data): found next to this module, never
# through the checkout or the working directory.
PAGE_DIR = Path(__file__).resolve().parent
JANUS_JS = Path("/usr/share/javascript/janus-gateway/janus.js")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGE_FILES = ("viewer.html", "viewer.js", "adapter-shim.js")


# ----------------------------------------------------------------------------------------------
# The page's server and the browser
# ----------------------------------------------------------------------------------------------
class PageServer:
    """aiohttp in a NetnsLoop: serves the page + janus.js, receives /log lines and /results."""

    def __init__(self, netns: str, host: str = SERVER_IP) -> None:
        self.netns = netns
        self.host = host
        self.port: int | None = None
        self.logs: list[str] = []
        self._loop: NetnsLoop | None = None
        self._runner: Any = None
        self._results: asyncio.Future | None = None

    def start(self) -> "PageServer":
        self._loop = NetnsLoop(self.netns, name="browser-page-server")
        try:
            self._loop.run(self._start(), timeout=15)
        except BaseException:
            self._loop.close()
            raise
        return self

    async def _start(self) -> None:
        from aiohttp import web

        self._results = asyncio.get_running_loop().create_future()
        files = {name: PAGE_DIR / name for name in PAGE_FILES}
        files["janus.js"] = JANUS_JS
        types = {".html": "text/html", ".js": "application/javascript"}

        async def static(request: web.Request) -> web.Response:
            path = files.get(request.match_info["name"])
            if path is None:
                raise web.HTTPNotFound()
            return web.Response(body=path.read_bytes(), content_type=types[path.suffix],
                                headers={"Cache-Control": "no-store"})

        async def log(request: web.Request) -> web.Response:
            body = await request.json()
            self.logs.append(f"[{body.get('t')} ms] {body.get('text')}")
            return web.Response(text="ok")

        async def results(request: web.Request) -> web.Response:
            body = await request.json()
            if not self._results.done():
                self._results.set_result(body)
            return web.Response(text="ok")

        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/{name}", static)
        app.router.add_post("/log", log)
        app.router.add_post("/results", results)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def url(self, **query: Any) -> str:
        return f"http://{self.host}:{self.port}/viewer.html?" + urllib.parse.urlencode(query)

    def wait_results(self, timeout: float) -> dict:
        async def wait() -> dict:
            return await asyncio.wait_for(asyncio.shield(self._results), timeout)

        assert self._loop is not None
        return self._loop.run(wait(), timeout=timeout + 5)

    def stop(self) -> None:
        if self._loop is None:
            return
        if self._runner is not None:
            try:
                self._loop.run(self._runner.cleanup(), timeout=10)
            except Exception:  # noqa: BLE001 - best effort on teardown
                pass
        self._loop.close()
        self._loop = None


class Chromium:
    """Headless Chromium inside the namespace (its own process group, killed on stop)."""

    FLAGS = (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required",
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--window-size=1280,800", "--remote-debugging-port=0",
    )

    def __init__(self, netns: str) -> None:
        self.netns = netns
        self.proc: subprocess.Popen | None = None
        self._dir = tempfile.mkdtemp(prefix="bc-chromium-")
        self.log_path = Path(self._dir) / "chromium.log"

    def start(self, url: str) -> "Chromium":
        log = open(self.log_path, "wb")
        try:
            self.proc = popen_in_netns(
                self.netns,
                [CHROMIUM, *self.FLAGS, f"--user-data-dir={self._dir}/profile", url],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        finally:
            log.close()
        return self

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5)
        self.proc = None
        shutil.rmtree(self._dir, ignore_errors=True)


def run_viewer(netns: str, display: str, *, audio: bool = True, plan: str = "2:6000,0:4000,1:4000",
               janus_url: str, timeout: float = 45.0, latency_substream: int | None = None,
               latency_join_ms: int = 0) -> tuple[dict, list[str]]:
    """Open the viewer page in headless Chromium; return (window.results, page log lines).

    ``latency_substream``: the page also subscribes to that substream on a second PeerConnection
    and reads the time-code strip of each of its painted frames (``results["second_latency"]``:
    ``[wall ms, latency ms or None, width, receive-to-paint ms or None]``, see
    :func:`strip_latencies`), ``latency_join_ms``
    after the first subscription plays."""
    server = PageServer(netns).start()
    browser = Chromium(netns)
    query: dict[str, Any] = {"janus": janus_url, "room": ROOM, "display": display, "audio": int(audio), "plan": plan}
    if latency_substream is not None:
        query["latency_substream"] = int(latency_substream)
        query["latency_join_ms"] = int(latency_join_ms)
    try:
        browser.start(server.url(**query))
        try:
            results = server.wait_results(timeout)
        except TimeoutError:
            raise AssertionError(
                "the viewer page reported nothing\npage log:\n" + "\n".join(server.logs[-40:])
                + "\nchromium log:\n" + browser.log_tail()
            ) from None
        return results, list(server.logs)
    finally:
        browser.stop()
        server.stop()


# ----------------------------------------------------------------------------------------------
# Analysis
# ----------------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


# The latency subscription's first seconds are left out (its jitter buffer finding its level),
# and fewer frames of the top layer than this (it was paused) give no figure.
LATENCY_SETTLE_MS = 2000
LATENCY_MIN_FRAMES = 30


def strip_latencies(results: dict, start_ms: int, end_ms: int, settle_ms: int = LATENCY_SETTLE_MS) -> dict[str, Any]:
    """The second subscription's glass-to-glass latency over [start_ms, end_ms] (wall clock),
    from ``settle_ms`` after its first painted frame: p50/p95 of Date.now() − T on each painted
    frame of the top layer (None from fewer than ``LATENCY_MIN_FRAMES``), the frames counted, how
    many had an unreadable strip, and how many showed a lower layer (while the top one was paused).

    Where Chromium gives a frame's receive time (requestVideoFrameCallback's ``receiveTime``: its
    last packet in), each latency is split in two: ``latency_receive_to_paint_p50_ms`` (the
    browser's part: jitter buffer, decode, paint) and ``latency_capture_to_receive_p50_ms`` (the
    publisher, the link and the SFU) — medians of each frame's own parts."""
    everything = results.get("second_latency") or []
    if everything:
        start_ms = max(start_ms, int(everything[0][0]) + settle_ms)
    # The top layer is the widest the subscription ever showed; while it is paused Janus shows a
    # lower one, whose frames are left out of the figures (counted apart).
    top_width = max((int(row[2]) for row in everything), default=None)
    rows = [row for row in everything if start_ms <= row[0] <= end_ms]
    top_rows = [row for row in rows if int(row[2]) == top_width]
    values = [row[1] for row in top_rows if row[1] is not None]
    split = [(row[1] - row[3], row[3]) for row in top_rows
             if row[1] is not None and len(row) > 3 and row[3] is not None]
    stats = [row for row in results.get("second_stats") or [] if start_ms <= row.get("wall_ms", 0) <= end_ms]
    jitter_buffer_ms = None
    if len(stats) >= 2 and stats[0].get("jitterBufferEmittedCount") is not None:
        emitted = stats[-1]["jitterBufferEmittedCount"] - stats[0]["jitterBufferEmittedCount"]
        if emitted > 0:
            jitter_buffer_ms = round(1000 * (stats[-1]["jitterBufferDelay"] - stats[0]["jitterBufferDelay"]) / emitted)
    return {
        "latency_p50_ms": round(statistics.median(values)) if len(values) >= LATENCY_MIN_FRAMES else None,
        "latency_p95_ms": round(percentile(values, 0.95)) if len(values) >= LATENCY_MIN_FRAMES else None,
        "latency_frames": len(values),
        "latency_unreadable_frames": len(top_rows) - len(values),
        "latency_width": top_width,
        "latency_lower_layer_frames": len(rows) - len(top_rows),
        "latency_jitter_buffer_ms": jitter_buffer_ms,
        "latency_capture_to_receive_p50_ms": (round(statistics.median(a for a, _b in split))
                                              if len(split) >= LATENCY_MIN_FRAMES else None),
        "latency_receive_to_paint_p50_ms": (round(statistics.median(b for _a, b in split))
                                            if len(split) >= LATENCY_MIN_FRAMES else None),
        "latency_error": results.get("second_error"),
    }


def frames_decoded_by_width(stats: list[dict]) -> dict[int, int]:
    """framesDecoded increments between getStats() samples, attributed to the frameWidth then."""
    decoded: dict[int, int] = {}
    previous = None
    for row in stats:
        video = row.get("video") or {}
        count, width = video.get("framesDecoded"), video.get("frameWidth")
        if count is None:
            continue
        if previous is not None and width:
            decoded[width] = decoded.get(width, 0) + max(0, count - previous)
        previous = count
    return decoded


def latency_by_width(samples: list[dict], settled_only: bool = True) -> dict[int, list[int]]:
    by_width: dict[int, list[int]] = {}
    for sample in samples:
        if settled_only and not sample.get("settled"):
            continue
        by_width.setdefault(sample["width"], []).append(sample["ms"])
    return by_width


def jitter_buffer_ms(stats: list[dict], kind: str) -> float | None:
    """Mean jitter-buffer delay per emitted frame/sample over the run (getStats)."""
    rows = [row[kind] for row in stats if row.get(kind) and row[kind].get("jitterBufferEmittedCount")]
    if len(rows) < 2:
        return None
    first, last = rows[0], rows[-1]
    emitted = last["jitterBufferEmittedCount"] - first["jitterBufferEmittedCount"]
    if emitted <= 0:
        return None
    return 1000.0 * (last["jitterBufferDelay"] - first["jitterBufferDelay"]) / emitted


def msid_streams(results: dict) -> dict[str, str]:
    """kind → the a=msid stream id of its m-line in Janus's offer (shared id = synced by the browser)."""
    streams: dict[str, str] = {}
    kind = None
    for line in results.get("remote_msid") or []:
        if line.startswith("m="):
            kind = line[2:].split()[0]
        elif line.startswith("a=msid:") and kind and kind not in streams:
            streams[kind] = line[len("a=msid:"):].split()[0]
    return streams


def summary(results: dict) -> str:
    lines = [f"  a=msid stream ids: {msid_streams(results)}"]
    for width, values in sorted(latency_by_width(results["latency"]).items(), reverse=True):
        lines.append(f"  {width:>5} px wide: p50 {statistics.median(values):.0f} ms, "
                     f"p95 {percentile(values, 0.95):.0f} ms over {len(values)} frames")
    lines.append(f"  frames decoded per width (getStats): {frames_decoded_by_width(results['stats'])}")
    video_jb, audio_jb = jitter_buffer_ms(results["stats"], "video"), jitter_buffer_ms(results["stats"], "audio")
    lines.append(f"  jitter buffer per frame: video {video_jb and round(video_jb)} ms, "
                 f"audio {audio_jb and round(audio_jb)} ms; strip unreadable in "
                 f"{results['undecoded_frames']} of {results['painted_frames']} painted frames")
    audio = [row["audio"] for row in results["stats"] if row.get("audio")]
    if audio:
        last = audio[-1]
        lines.append(f"  audio: {last.get('totalSamplesReceived')} samples played out, "
                     f"{last.get('concealedSamples')} concealed, element {results.get('audio_element')}")
    return "\n".join(lines)
