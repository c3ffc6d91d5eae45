"""Encode benchmark: the default 3-layer simulcast ladder (h 1080p, m 540p, l 270p) at 30 fps.

Ours: the real ``encoders.ladder.Ladder`` (convert thread + one worker per layer, software
x264 unless ``--encoder`` says otherwise), fed in real time at 30 fps;
``cpu_percent_of_one_core`` is the whole process (feeding, BGR→yuv420p, scaling, encoding) over
the measured window.  Per layer, ``ms_per_frame_p50`` is the layer worker's time per frame
(taking or scaling its picture + encoding; wall clock, ``cpu_ms_per_frame_p50`` the thread's CPU
time); the shared conversion (BGR→I420 and the ½/¼ area pyramid) is ``convert_ms_p50``.
``psnr_db`` is the decoded layer's luma against the ideal layer picture: the source's exact
BT.601 luma in floating point, area-averaged to the layer size — neither pipeline's own
converter or scaler is the reference — so speed is never bought with an unwatchable picture.

Peer, on the same frames in the same run and with identical x264 settings: FFmpeg's CLI when
``ffmpeg`` is installed (one process, split filter + three scale branches + three libx264
outputs, fed raw BGR at 30 fps), otherwise "PyAV naive ladder": each layer converted from BGR
separately (``from_ndarray`` + ``reformat``) and encoded one after another on one thread.

Content (``--content``): "studio" (default) is a tripod camera on a detailed set — a textured
backdrop (1/f "natural image" noise) with text, sensor grain on every frame, a swaying
presenter-like shape and a product card moving across; "pan" moves the whole picture every frame
(the hard case).  Motion loops seamlessly every ``--loop-seconds`` so the loop adds no scene cut.
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from bench.common import CpuMeter, emit, machine
from encoders.backends import BACKENDS_BY_NAME
from encoders.base import EncoderSettings
from encoders.ladder import Ladder, LayerSpec, default_ladder
from studio.core.clock import NS_PER_S, now_ns
from studio.core.frame import VideoFrame

TARGETS = {"fastest": 40.0, "default": 75.0, "quality": None}


# ------------------------------------------------------------------------------------------ content


def _natural_texture(height: int, width: int, seed: int = 7, beta: float = 1.3, contrast: float = 40.0) -> np.ndarray:
    """Colour noise with a 1/f^beta spectrum (the statistics of natural photographs)."""
    rng = np.random.default_rng(seed)
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    radius = np.sqrt(fx * fx + fy * fy)
    radius[0, 0] = 1.0
    out = np.empty((height, width, 3), np.float32)
    for channel in range(3):
        spectrum = (rng.normal(size=radius.shape) + 1j * rng.normal(size=radius.shape)) / radius**beta
        spectrum[0, 0] = 0
        plane = np.fft.irfft2(spectrum, s=(height, width)).astype(np.float32)
        out[..., channel] = (plane - plane.mean()) / (plane.std() + 1e-6)
    return np.clip(128.0 + contrast * out, 0, 255).astype(np.uint8)


CONTENT_KINDS = {
    "studio": "tripod camera on a detailed set: 1/f textured backdrop with text, sensor grain (σ≈2) "
    "on every frame, a swaying presenter shape and a product card moving across",
    "pan": "the same set with the camera panning continuously (±4 % of the frame, no grain): every "
    "block moves every frame — the hard case",
}


def make_content(width: int, height: int, frame_count: int, fps: float, kind: str = "studio") -> list[np.ndarray]:
    """Moving, detailed BGR frames whose motion is periodic over ``frame_count`` frames."""
    is_pan = kind == "pan"
    pan_x, pan_y = (max(8, width // 24), max(8, height // 24)) if is_pan else (0, 0)
    backdrop = _natural_texture(height + 2 * pan_y, width + 2 * pan_x)
    scale = height / 1080.0
    font = cv2.FONT_HERSHEY_SIMPLEX
    line_h = max(20, int(110 * scale))
    for row, y in enumerate(range(line_h, backdrop.shape[0], line_h)):
        text = f"SILK SCARF  $29.{row:02d}   LIVE DEAL -20%   ORDER #{4711 + row}"
        cv2.putText(backdrop, text, (int(30 * scale) + (row % 3) * int(40 * scale), y), font, 1.3 * scale, (250, 250, 250), max(1, int(3 * scale)), cv2.LINE_AA)
    card_w, card_h = int(520 * scale), int(200 * scale)
    card = np.zeros((card_h, card_w, 3), np.uint8)
    card[:] = (60, 30, 180)
    cv2.putText(card, "COUPON SAVE20", (int(20 * scale), int(80 * scale)), font, 1.6 * scale, (255, 255, 255), max(1, int(4 * scale)), cv2.LINE_AA)
    cv2.putText(card, "ends in 04:59", (int(20 * scale), int(160 * scale)), font, 1.2 * scale, (80, 230, 255), max(1, int(3 * scale)), cv2.LINE_AA)
    rng = np.random.default_rng(11)
    frames = []
    for index in range(frame_count):
        phase = 2 * math.pi * index / frame_count
        ox = int(round(pan_x * (1 + math.sin(phase))))
        oy = int(round(pan_y * (1 + math.sin(2 * phase) * 0.5)))
        image = np.ascontiguousarray(backdrop[oy : oy + height, ox : ox + width])
        # A presenter-like soft shape swaying in the middle.
        cx = int(width * (0.5 + 0.05 * math.sin(phase * 2)))
        cv2.ellipse(image, (cx, int(height * 0.62)), (int(width * 0.12), int(height * 0.36)), 0, 0, 360, (120, 150, 200), -1, cv2.LINE_AA)
        cv2.circle(image, (cx, int(height * 0.28)), int(height * 0.11), (140, 170, 215), -1, cv2.LINE_AA)
        # The card moving around.
        x = int((width - card_w) * (0.5 + 0.5 * math.sin(phase)))
        y = int((height - card_h) * (0.5 + 0.5 * math.cos(phase * 3)))
        image[y : y + card_h, x : x + card_w] = card
        if not is_pan:  # sensor grain: a camera never delivers two identical frames
            grain = rng.integers(-3, 4, image.shape, dtype=np.int16)
            image = np.clip(image.astype(np.int16) + grain, 0, 255).astype(np.uint8)
        frames.append(image)
    return frames


# ------------------------------------------------------------------------------------------ quality


class _Reference:
    """The ideal layer picture: exact BT.601 limited-range luma of the source (floating point),
    area-averaged to the layer size (what a sensor of that resolution would see).  Neither our
    converter/scaler nor the peer's is the reference, so neither is favoured."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = frames
        self._cache: dict[tuple[int, int, int], np.ndarray] = {}

    def luma(self, index: int, width: int, height: int) -> np.ndarray:
        key = (index, width, height)
        if key not in self._cache:
            image = self.frames[index].astype(np.float32)
            luma = 16.0 + (219.0 / 255.0) * (0.114 * image[..., 0] + 0.587 * image[..., 1] + 0.299 * image[..., 2])
            if luma.shape != (height, width):
                luma = cv2.resize(luma, (width, height), interpolation=cv2.INTER_AREA)
            self._cache[key] = luma
        return self._cache[key]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float32) - b) ** 2))
    return 100.0 if mse <= 1e-10 else 10.0 * math.log10(255.0 * 255.0 / mse)


def layer_psnr(packets: list[tuple[bytes, int]], index_of_pts: dict[int, int], reference: _Reference, width: int, height: int, every: int = 2) -> float | None:
    """Mean luma PSNR of a decoded H.264 stream against the reference (every ``every``-th frame)."""
    decoder = av.CodecContext.create("h264", "r")
    values = []
    decoded = 0
    for data, pts in packets + [(b"", -1)]:
        packet = av.Packet(data) if data else None
        if packet is not None:
            packet.pts = pts
        for frame in decoder.decode(packet):
            decoded += 1
            if decoded % every:
                continue
            index = index_of_pts.get(frame.pts)
            if index is None or frame.width != width or frame.height != height:
                continue
            values.append(_psnr(frame.to_ndarray()[:height], reference.luma(index, width, height)))
    return round(float(np.mean(values)), 2) if values else None


# ------------------------------------------------------------------------------------------ ours


def _pace(index: int, started_ns: int, fps: float) -> None:
    due = started_ns + int(index * NS_PER_S / fps)
    delay = due - now_ns()
    if delay > 0:
        time.sleep(delay / NS_PER_S)


def run_ours(frames: list[np.ndarray], layers: list[LayerSpec], preset: str, encoder: str, fps: float, seconds: float, warmup_s: float) -> tuple[dict[str, Any], dict[str, list], dict[int, int]]:
    packets: dict[str, list[tuple[bytes, int]]] = {layer.rid: [] for layer in layers}
    capture_of_pts: dict[int, int] = {}
    lock = threading.Lock()

    def on_packet(packet) -> None:
        with lock:
            packets[packet.rid].append((packet.data, packet.pts))
            if packet.capture_ns is not None:
                capture_of_pts[packet.pts] = packet.capture_ns

    ladder = Ladder(layers, encoder=encoder, preset=preset, on_packet=on_packet)
    index_of_capture: dict[int, int] = {}
    warmup_frames = int(warmup_s * fps)
    measured_frames = int(seconds * fps)

    def feed(index: int) -> None:
        _pace(index, started_ns, fps)
        capture = now_ns()
        index_of_capture[capture] = index % len(frames)
        ladder.submit(VideoFrame(frames[index % len(frames)], capture, index))

    ladder.start()
    try:
        started_ns = now_ns()
        for index in range(warmup_frames):
            feed(index)
        ladder.drain(5)
        ladder.reset_timings()  # steady state only
        before = {stats.rid: stats for stats in ladder.stats()}
        input_dropped_before = ladder.input_dropped
        with CpuMeter() as cpu:
            for index in range(warmup_frames, warmup_frames + measured_frames):
                feed(index)
            _pace(warmup_frames + measured_frames, started_ns, fps)
        after = ladder.stats()
        convert_ms = ladder.convert_ms_p50
        input_dropped = ladder.input_dropped - input_dropped_before
        ladder.drain(5)
    finally:
        ladder.stop()
    index_of_pts = {pts: index_of_capture[capture] for pts, capture in capture_of_pts.items() if capture in index_of_capture}
    per_layer = []
    for stats in after:
        prior = before[stats.rid]
        per_layer.append(
            {
                "rid": stats.rid,
                "width": stats.width,
                "height": stats.height,
                "ms_per_frame_p50": stats.ms_per_frame_p50,
                "cpu_ms_per_frame_p50": stats.cpu_ms_per_frame_p50,
                "frames_encoded": stats.frames_encoded - prior.frames_encoded,
                "frames_dropped": stats.dropped - prior.dropped,
                "bitrate_kbps": round((stats.bytes - prior.bytes) * 8 / cpu.wall_s / 1000, 1),
                "target_kbps": stats.bitrate_bps // 1000,
                "encoder": stats.encoder,
            }
        )
    result = {
        "cpu_percent_of_one_core": cpu.percent_of_one_core,
        "convert_ms_p50": convert_ms,
        "input_frames_dropped": input_dropped,
        "frames_fed": measured_frames,
        "layers": per_layer,
    }
    return result, packets, index_of_pts


# ------------------------------------------------------------------------------------------ peers


def _x264_settings(layer: LayerSpec, preset: str) -> EncoderSettings:
    return EncoderSettings("h264", layer.width, layer.height, layer.fps, layer.bitrate_bps, preset=preset, max_bitrate_bps=layer.bitrate_bps)


def run_pyav_naive(frames: list[np.ndarray], layers: list[LayerSpec], preset: str, fps: float, seconds: float, warmup_s: float) -> tuple[dict[str, Any], dict[str, list], dict[int, int]]:
    """Each layer converted from BGR on its own and encoded in turn, one thread, same x264 options."""
    backend = BACKENDS_BY_NAME["libx264"]
    contexts = []
    for layer in layers:
        settings = _x264_settings(layer, preset)
        context = av.CodecContext.create("libx264", "w")
        context.width, context.height, context.pix_fmt = layer.width, layer.height, "yuv420p"
        context.time_base = Fraction(1, int(fps))
        context.framerate = Fraction(fps).limit_denominator(1001)
        context.bit_rate = layer.bitrate_bps
        context.gop_size = settings.gop_frames
        context.max_b_frames = 0
        context.thread_count = 1
        context.options = backend.options(settings)
        context.open()
        contexts.append(context)
    packets: dict[str, list[tuple[bytes, int]]] = {layer.rid: [] for layer in layers}
    warmup_frames = int(warmup_s * fps)
    measured_frames = int(seconds * fps)
    started_ns = now_ns()
    late = 0

    def one(index: int) -> None:
        image = frames[index % len(frames)]
        for layer, context in zip(layers, contexts):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(width=layer.width, height=layer.height, format="yuv420p")
            frame.pts = index
            for packet in context.encode(frame):
                packets[layer.rid].append((bytes(packet), int(packet.pts)))

    for index in range(warmup_frames):
        _pace(index, started_ns, fps)
        one(index)
    with CpuMeter() as cpu:
        for offset in range(measured_frames):
            index = warmup_frames + offset
            if now_ns() > started_ns + int((index + 1) * NS_PER_S / fps):
                late += 1
            _pace(index, started_ns, fps)
            one(index)
    for layer, context in zip(layers, contexts):
        for packet in context.encode(None):
            packets[layer.rid].append((bytes(packet), int(packet.pts)))
    content_s = measured_frames / fps
    result = {
        "name": "PyAV naive ladder (per-layer from_ndarray + reformat, sequential libx264, same options)",
        # CPU needed per second of video (equals % of wall time when it keeps up in real time).
        "cpu_percent_of_one_core": round(100.0 * cpu.cpu_s / content_s, 1),
        "is_realtime": cpu.wall_s <= content_s * 1.05,
        "frames_late": late,
    }
    index_of_pts = {index: index % len(frames) for index in range(warmup_frames + measured_frames)}
    return result, packets, index_of_pts


def run_ffmpeg_cli(ffmpeg: str, frames: list[np.ndarray], layers: list[LayerSpec], preset: str, fps: float, seconds: float, warmup_s: float, workdir: Path) -> tuple[dict[str, Any], dict[str, list], dict[int, int]]:
    """FFmpeg's CLI encoding the same ladder from raw BGR on stdin, fed at 30 fps."""
    import psutil

    height, width = frames[0].shape[:2]
    split = f"[0:v]split={len(layers)}" + "".join(f"[s{i}]" for i in range(len(layers))) + ";"
    split += ";".join(f"[s{i}]scale={layer.width}:{layer.height}:flags=area,format=yuv420p[o{i}]" for i, layer in enumerate(layers))
    command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-filter_complex", split]
    outputs = []
    for i, layer in enumerate(layers):
        settings = _x264_settings(layer, preset)
        options = BACKENDS_BY_NAME["libx264"].options(settings)
        path = workdir / f"peer_{layer.rid}.h264"
        outputs.append(path)
        command += ["-map", f"[o{i}]", "-c:v", "libx264", "-threads", "1", "-b:v", str(layer.bitrate_bps), "-g", str(settings.gop_frames), "-bf", "0"]
        for key, value in options.items():
            command += [f"-{key}", value]
        command += ["-f", "h264", "-y", str(path)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE)
    child = psutil.Process(process.pid)
    warmup_frames = int(warmup_s * fps)
    measured_frames = int(seconds * fps)
    started_ns = now_ns()
    assert process.stdin is not None
    for index in range(warmup_frames):
        _pace(index, started_ns, fps)
        process.stdin.write(frames[index % len(frames)].tobytes())
    cpu0 = sum(child.cpu_times()[:2])
    with CpuMeter() as ours:
        for offset in range(measured_frames):
            index = warmup_frames + offset
            _pace(index, started_ns, fps)
            process.stdin.write(frames[index % len(frames)].tobytes())
    cpu1 = sum(child.cpu_times()[:2])
    process.stdin.close()
    if process.wait(timeout=60) != 0:
        raise subprocess.SubprocessError(f"exit code {process.returncode}")
    packets: dict[str, list[tuple[bytes, int]]] = {}
    for layer, path in zip(layers, outputs):
        parser = av.CodecContext.create("h264", "r")
        packets[layer.rid] = [(bytes(packet), index) for index, packet in enumerate(parser.parse(path.read_bytes()))]
    content_s = measured_frames / fps
    result = {
        "name": "FFmpeg CLI (split + scale=area + 3× libx264, same options)",
        "cpu_percent_of_one_core": round(100.0 * (cpu1 - cpu0) / content_s, 1),
        "feeder_cpu_percent": ours.percent_of_one_core,
    }
    index_of_pts = {index: index % len(frames) for index in range(warmup_frames + measured_frames)}
    return result, packets, index_of_pts


# ------------------------------------------------------------------------------------------ main


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bridgecast bench encode")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--preset", choices=["fastest", "default", "quality"], default="fastest")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured real-time window (each run)")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--canvas", default="1920x1080")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--encoder", default="libx264", help="ours: libx264 (the targets' reference), auto, or a name")
    parser.add_argument("--loop-seconds", type=float, default=2.0, help="length of the seamless content loop")
    parser.add_argument("--content", choices=sorted(CONTENT_KINDS), default="studio")
    parser.add_argument("--peer", choices=["auto", "ffmpeg", "pyav"], default="auto")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--opencv-threads", type=int, default=None, help="cv2.setNumThreads for the run (default: OpenCV's own choice)")
    args = parser.parse_args(argv)
    width, height = (int(part) for part in args.canvas.lower().split("x"))
    if args.opencv_threads is not None:
        cv2.setNumThreads(args.opencv_threads)
    fps = args.fps
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    frames = make_content(width, height, max(2, int(round(args.loop_seconds * fps))), fps, args.content)
    layers = default_ladder(width, height, fps)
    reference = _Reference(frames)

    ours, our_packets, our_index = run_ours(frames, layers, args.preset, args.encoder, fps, args.seconds, args.warmup)
    for entry in ours["layers"]:
        entry["psnr_db"] = layer_psnr(our_packets[entry["rid"]], our_index, reference, entry["width"], entry["height"])

    peer: dict[str, Any] | None = None
    if not args.no_peer:
        ffmpeg = shutil.which("ffmpeg") if args.peer in ("auto", "ffmpeg") else None
        peer_error = None
        if ffmpeg:
            try:
                with tempfile.TemporaryDirectory(prefix="bridgecast-bench-") as tmp:
                    peer, peer_packets, peer_index = run_ffmpeg_cli(ffmpeg, frames, layers, args.preset, fps, args.seconds, args.warmup, Path(tmp))
            except (OSError, subprocess.SubprocessError, av.FFmpegError) as exc:  # an odd ffmpeg build: fall back
                peer, peer_error = None, f"ffmpeg CLI failed: {exc}"
        if peer is None:
            peer, peer_packets, peer_index = run_pyav_naive(frames, layers, args.preset, fps, args.seconds, args.warmup)
            if peer_error:
                peer["ffmpeg_error"] = peer_error
        peer["layers"] = [
            {"rid": layer.rid, "psnr_db": layer_psnr(peer_packets[layer.rid], peer_index, reference, layer.width, layer.height)} for layer in layers
        ]
    ratio = None
    if peer and peer["cpu_percent_of_one_core"]:
        ratio = round(ours["cpu_percent_of_one_core"] / peer["cpu_percent_of_one_core"], 3)
    psnr_delta = None
    if peer:
        deltas = [mine["psnr_db"] - theirs["psnr_db"] for mine, theirs in zip(ours["layers"], peer["layers"]) if mine["psnr_db"] is not None and theirs["psnr_db"] is not None]
        psnr_delta = round(min(deltas), 2) if deltas else None
    target = TARGETS.get(args.preset)
    result = {
        "bench": "encode",
        "preset": args.preset,
        "canvas": f"{width}x{height}@{fps:g}",
        "encoder": ours["layers"][0]["encoder"] if ours["layers"] else None,
        "layers": ours["layers"],
        "cpu_percent_of_one_core": ours["cpu_percent_of_one_core"],
        "convert_ms_p50": ours["convert_ms_p50"],
        "input_frames_dropped": ours["input_frames_dropped"],
        "peer": peer,
        "ratio_vs_peer": ratio,
        "psnr_delta_vs_peer_db_min": psnr_delta,
        "targets": {"cpu_percent_of_one_core": target, "ratio_vs_peer": 1.0},
        "meets_targets": bool((target is None or ours["cpu_percent_of_one_core"] <= target) and (ratio is None or ratio <= 1.0)),
        "content": {"kind": args.content, "description": CONTENT_KINDS[args.content]},
        "opencv_threads": cv2.getNumThreads(),
        "machine": {**machine(), "load_avg_1m_before": round(load_before, 2) if load_before is not None else None},
    }
    emit(result, args.json)
    return 0
