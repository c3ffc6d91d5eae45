"""Latency benchmark: glass-to-glass through a real SFU, per simulcast layer.

``bridgecast live --source testpattern --whip URL --stats-jsonl …`` runs as its own process
inside the SFU test bed's network namespace (bench/testbed/harness.py: Janus VideoRoom +
simple-whip-server) and publishes h/m/l + Opus.  The test pattern stamps the time-code strip
(shared/CONTRACTS.md) with the wall clock at capture.  A subscriber through Janus (aiortc, in
this process) asks Janus for substream 2, 1 and 0 in turn (h, m, l), decodes every frame,
reads the strip and computes ``receive wall-clock ms − stamped ms``.

What the figure includes: capture (stamp) → compositor tick (0–33 ms phase) → BGR→YUV + x264
encode → aiortc packetize/pace/SRTP → Janus → aiortc receive, jitter buffer and H.264 decode
in the subscriber.  aiortc's receiver holds each frame until the next one arrives (about one
frame interval, 33 ms at 30 fps), so a browser viewer typically sees ~30 ms less.  Publisher,
SFU and subscriber share the machine's cores.

One subscriber switching layers (not three at once) keeps the subscriber's own decode load
(and GIL contention in this process) off the publisher: the top layer gets half the window.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import emit, machine, percentile, subprocess_env

FPS = 30
TARGETS = {"p50_ms": 150, "p95_ms": 250}
ENDPOINT = "bench-latency"
SUBSTREAM = {"h": 2, "m": 1, "l": 0}
MEASURES = (
    "time-code strip stamped at capture by the test pattern → compositor → x264 encode (3 layers) → "
    "aiortc send (pacing, SRTP) → Janus VideoRoom → aiortc subscriber receive + H.264 decode; "
    "aiortc's decoder path holds each frame until the next arrives (≈ one frame interval, 33 ms at "
    "30 fps), which a browser would not add; all on one machine (publisher, Janus, subscriber share the cores)"
)


def _read_jsonl(path: Path) -> list[dict]:
    records = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                pass
    return records


def strip_subscriber_class() -> type:
    """A :class:`JanusSubscriber` that keeps only the luma rows holding the time-code strip.

    The harness's ``keep_images=True`` converts every decoded frame to RGB (a full 1080p
    swscale pass, in the subscriber's event loop); the strip needs only the Y plane's top
    rows, so this copies those and nothing else, keeping the subscriber's own load (which
    shares the machine with the publisher and Janus) small.
    """
    import asyncio

    import numpy as np

    from bench.testbed.harness import JanusSubscriber, ReceivedFrame

    class StripSubscriber(JanusSubscriber):
        async def _consume_video(self, track: Any) -> None:
            from aiortc.mediastreams import MediaStreamError

            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    return
                now_ms = time.time_ns() // 1_000_000
                image = None
                try:
                    plane = frame.planes[0]
                    rows = min(frame.height, int(3 * frame.width / 48) + 2)
                    luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
                    image = luma[:rows, : frame.width].copy()
                except Exception:  # noqa: BLE001 - not a planar YUV frame: convert it
                    image = frame.to_ndarray(format="rgb24")
                item = ReceivedFrame(frame.width, frame.height, now_ms, image)
                with self._cond:
                    self._frames.append(item)
                    self.total_frames += 1
                    self.last_size = (frame.width, frame.height)
                    self._cond.notify_all()
                await asyncio.sleep(0)

    return StripSubscriber


def strip_latency(frame: Any) -> int | None:
    """Latency of one decoded frame from its time-code strip, or None if unreadable."""
    from studio.timecode import latency_ms, read_strip

    image = frame.image
    if image is None:
        return None
    rows = min(image.shape[0], int(3 * frame.width / 48) + 2)  # the strip lives in rows c..2c
    stamped = read_strip(image[:rows])
    if stamped is None:
        return None
    value = latency_ms(frame.recv_ms, stamped)
    return value if value < 10_000 else None


def measure_layer(sub: Any, rid: str, size: tuple[int, int], seconds: float) -> dict[str, Any]:
    sub.select_substream(SUBSTREAM[rid])
    sub.wait_for_size(*size, timeout=20)
    time.sleep(0.3)  # let the switch settle (keyframe, new resolution)
    sub.drain()
    values: list[int] = []
    decoded = wrong_size = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            frames = sub.wait_frames(1, timeout=max(0.05, min(2.0, deadline - time.monotonic())))
        except TimeoutError:
            continue
        for frame in frames:
            if (frame.width, frame.height) != size:
                wrong_size += 1
                continue
            decoded += 1
            value = strip_latency(frame)
            if value is not None:
                values.append(value)
    return {
        "rid": rid,
        "substream": SUBSTREAM[rid],
        "width": size[0],
        "height": size[1],
        "frames": len(values),
        "frames_decoded": decoded,
        "fps_decoded": round(decoded / seconds, 2) if seconds > 0 else None,
        "p50_ms": percentile(values, 50),
        "p95_ms": percentile(values, 95),
        "min_ms": min(values) if values else None,
        "max_ms": max(values) if values else None,
        "window_s": seconds,
        "other_size_frames": wrong_size,
    }


def layers_active(records: list[dict], rids: list[str]) -> dict[str, Any]:
    """From the --stats-jsonl lines: was each layer active in every `live` record?"""
    live = [r for r in records if r.get("state") == "live"]
    result: dict[str, Any] = {}
    for rid in rids:
        flags = [bool(layer.get("active")) for r in live for layer in (r.get("layers") or []) if layer.get("rid") == rid]
        result[rid] = bool(flags) and all(flags)
    return result


def _stats_summary(records: list[dict]) -> dict[str, Any]:
    live = [r for r in records if r.get("state") == "live"]
    per_layer: dict[str, dict[str, Any]] = {}
    for record in live:
        for layer in record.get("layers") or []:
            entry = per_layer.setdefault(layer["rid"], {"fps": [], "bitrate_bps": [], "capture_to_send_ms_p50": []})
            for key in entry:
                if layer.get(key) is not None:
                    entry[key].append(layer[key])
    summary = {}
    for rid, entry in per_layer.items():
        summary[rid] = {key: (percentile(values, 50) if values else None) for key, values in entry.items()}
    rtts = [r["rtt_ms"] for r in live if r.get("rtt_ms") is not None]
    return {
        "records": len(records),
        "live_records": len(live),
        "states": sorted({r.get("state") for r in records if r.get("state")}),
        "final_state": records[-1].get("state") if records else None,
        "encoder": next((r.get("encoder") for r in reversed(records) if r.get("encoder")), None),
        "layers_p50": summary,
        "rtt_ms_p50": percentile(rtts, 50),
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bridgecast bench latency")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="total measuring time: half for h, a quarter each for m and l")
    parser.add_argument("--canvas", default="1920x1080")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds live before measuring")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    width, height = (int(v) for v in args.canvas.lower().split("x"))

    from encoders.ladder import default_ladder
    from bench.testbed.harness import popen_in_netns, sfu_stack

    subscriber_class = strip_subscriber_class()

    ladder = default_ladder(width, height, FPS)
    load_before = round(os.getloadavg()[0], 2)
    sizes = {layer.rid: (layer.width, layer.height) for layer in ladder}
    windows = {"h": args.seconds / 2, "m": args.seconds / 4, "l": args.seconds / 4}
    layers: list[dict[str, Any]] = []
    errors: list[str] = []
    exit_code: int | None = None
    stderr_tail: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        workdir = Path(tmp)
        stats_path = workdir / "s.jsonl"
        with sfu_stack(workdir) as stack:
            url = stack.whip.create_endpoint(ENDPOINT)
            duration = args.seconds + 60  # stopped with SIGTERM (same clean stop) once measured
            cmd = [sys.executable, "-m", "ui.cli", "live", "--source", "testpattern", "--canvas", f"{width}x{height}",
                   "--fps", str(FPS), "--whip", url, "--duration", str(duration), "--stats-jsonl", str(stats_path)]
            popen = popen_in_netns(stack.client_ns, cmd, cwd=str(workdir), env=subprocess_env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                deadline = time.monotonic() + 30
                while not any(p.get("display") == ENDPOINT for p in stack.janus.publishers()):
                    if popen.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"publisher not in the room (exit {popen.poll()})")
                    time.sleep(0.2)
                with subscriber_class(stack.janus, display=ENDPOINT, keep_images=True, max_buffered=240) as sub:
                    sub.wait_frames(3, timeout=20)
                    time.sleep(args.warmup)  # first keyframes, encoder rate control, pacing settle
                    for rid in ("h", "m", "l"):
                        try:
                            layers.append(measure_layer(sub, rid, sizes[rid], windows[rid]))
                        except Exception as exc:  # noqa: BLE001 - reported, other layers still measured
                            errors.append(f"{rid}: {type(exc).__name__}: {exc}")
                            layers.append({"rid": rid, "frames": 0, "p50_ms": None, "p95_ms": None})
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{type(exc).__name__}: {exc}")
            finally:
                if popen.poll() is None:
                    popen.send_signal(signal.SIGTERM)
                try:
                    exit_code = popen.wait(20)
                except subprocess.TimeoutExpired:
                    popen.kill()
                    exit_code = popen.wait(5)
                _, stderr = popen.communicate()
                stderr_tail = [line for line in (stderr or "").strip().splitlines() if line.strip()][-3:]
        records = _read_jsonl(stats_path)

    active = layers_active(records, [layer.rid for layer in ladder])
    top = next((layer for layer in layers if layer["rid"] == "h"), None)
    meets = None
    if top and top.get("p50_ms") is not None:
        meets = top["p50_ms"] <= TARGETS["p50_ms"] and top["p95_ms"] <= TARGETS["p95_ms"]
    result = {
        "benchmark": "latency",
        "canvas": f"{width}x{height}",
        "fps": FPS,
        "layers": layers,
        "layers_active_in_stats": active,
        "all_layers_active": bool(active) and all(active.values()),
        "targets": {**TARGETS, "layer": "h"},
        "top_layer_meets_targets": meets,
        "measures": MEASURES,
        "subscriber": "one aiortc subscriber through Janus switching substream 2 → 1 → 0 (h half the time, m and l a quarter each); strip read from the decoded Y plane",
        "warmup_s": args.warmup,
        "publisher_stats": _stats_summary(records),
        "publisher_exit_code": exit_code,
        "publisher_stderr_tail": stderr_tail,
        "errors": errors,
        "load_average_1m": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
        "machine": machine(),
    }
    emit(result, args.json)
    return 0 if not errors and layers and all(layer.get("frames") for layer in layers) else 1


if __name__ == "__main__":
    sys.exit(main())
