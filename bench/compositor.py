"""Compositor benchmark: 1920x1080 @ 30 fps, full-frame video, picture-in-picture, two RGBA
overlays and the latency-probe strip.

Ours: the real Studio engine (capture threads + compositor thread) running in real time;
``ms_per_frame`` is the compositor's render time per tick, CPU is the whole process
(capture + decode + composite) over the measured window.  Peer: the same picture made by
FFmpeg's overlay filter graph through PyAV from the same input frames, in the same run.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, ImageDraw

from bench.common import CpuMeter, emit, machine, make_test_video, percentile, write_h264
from studio.engine import Studio
from studio.fonts import ui_font
from studio.scene import Canvas, Scene, SceneCollection, SceneItem, SourceSpec, Transition
from studio.timecode import draw_strip

WIDTH, HEIGHT, FPS = 1920, 1080, 30
PIP = (1240, 60, 640, 360)
CARD = (80, 760)
BADGE = (1480, 820)


def make_card(width: int, height: int, title: str, price: str, colour: tuple[int, int, int]) -> np.ndarray:
    """A product-card-like RGBA picture with soft transparency (what the live panel shows)."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=height // 5, fill=(*colour, 215))
    draw.text((height // 5, height // 8), title, font=ui_font(height // 4), fill=(255, 255, 255, 255))
    draw.text((height // 5, height // 2), price, font=ui_font(height // 3), fill=(255, 230, 80, 255))
    return np.asarray(image).copy()


def build_collection(video_path: Path) -> SceneCollection:
    main_video = SourceSpec(id="video", kind="media_file", name="video", settings={"path": str(video_path), "loop": True})
    camera = SourceSpec(id="pip", kind="testpattern", name="pip", settings={"width": PIP[2], "height": PIP[3], "fps": FPS, "timecode": False})
    scene = Scene(
        id="show",
        name="show",
        items=[
            SceneItem(source_id="video", x=0, y=0, width=WIDTH, height=HEIGHT),
            SceneItem(source_id="pip", x=PIP[0], y=PIP[1], width=PIP[2], height=PIP[3]),
        ],
    )
    return SceneCollection(
        canvas=Canvas(width=WIDTH, height=HEIGHT, fps=FPS),
        transition=Transition(kind="cut", duration_ms=0),
        sources=[main_video, camera],
        scenes=[scene],
        current_scene="show",
    )


def run_ours(video_path: Path, seconds: float, overlays: list[tuple[np.ndarray, tuple[int, int]]]) -> tuple[dict, list[np.ndarray], list[np.ndarray]]:
    studio = Studio(collection=build_collection(video_path))
    for index, (rgba, (x, y)) in enumerate(overlays):
        studio.set_overlay(f"overlay{index}", rgba, x, y)
    studio.set_latency_probe(True)
    studio.start()
    try:
        deadline = time.monotonic() + 10
        while any(s.latest_frame() is None for s in studio.sources.values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # warm-up: caches, decoder threads, allocator
        compositor = studio.compositor
        ticks0, late0 = compositor.ticks, compositor.late_ticks
        compositor.render_ms.clear()
        with CpuMeter() as cpu:
            time.sleep(seconds)
        samples = list(compositor.render_ms)
        ticks, late = compositor.ticks - ticks0, compositor.late_ticks - late0
        # Inputs for the peer: the same sources' frames.
        mains, pips = [], []
        for _ in range(30):
            mains.append(studio.sources["video"].latest_frame().image)
            pips.append(studio.sources["pip"].latest_frame().image)
            time.sleep(1 / FPS)
        drops = sum(s.dropped_frames for s in studio.sources.values())
    finally:
        studio.stop()
    result = {
        "ms_per_frame_p50": percentile(samples, 50),
        "ms_per_frame_p99": percentile(samples, 99),
        "cpu_percent_of_one_core": cpu.percent_of_one_core,
        "fps": round(ticks / cpu.wall_s, 2),
        "late_ticks": late,
        "source_frames_dropped": drops,
        "frames_measured": len(samples),
    }
    return result, mains, pips


def run_ffmpeg_overlay(mains: list[np.ndarray], pips: list[np.ndarray], overlays: list[tuple[np.ndarray, tuple[int, int]]], frames: int) -> dict:
    """FFmpeg's overlay filter graph (libavfilter via PyAV) producing the same BGR program frame."""
    graph = av.filter.Graph()
    time_base = Fraction(1, FPS)
    main_in = graph.add_buffer(width=WIDTH, height=HEIGHT, format="bgr24", time_base=time_base)
    pip_in = graph.add_buffer(width=PIP[2], height=PIP[3], format="bgr24", time_base=time_base)
    overlay_ins = [graph.add_buffer(width=rgba.shape[1], height=rgba.shape[0], format="rgba", time_base=time_base) for rgba, _ in overlays]
    chain = graph.add("overlay", f"x={PIP[0]}:y={PIP[1]}:format=rgb")
    main_in.link_to(chain, 0, 0)
    pip_in.link_to(chain, 0, 1)
    for node, (_, (x, y)) in zip(overlay_ins, overlays):
        step = graph.add("overlay", f"x={x}:y={y}:format=rgb")
        chain.link_to(step, 0, 0)
        node.link_to(step, 0, 1)
        chain = step
    to_bgr = graph.add("format", "bgr24")
    chain.link_to(to_bgr)
    sink = graph.add("buffersink")
    to_bgr.link_to(sink)
    graph.configure()
    overlay_frames = [av.VideoFrame.from_ndarray(rgba, format="rgba") for rgba, _ in overlays]
    samples = []
    with CpuMeter() as cpu:
        for index in range(frames):
            started = time.perf_counter()
            main = av.VideoFrame.from_ndarray(mains[index % len(mains)], format="bgr24")
            pip = av.VideoFrame.from_ndarray(pips[index % len(pips)], format="bgr24")
            for frame in (main, pip, *overlay_frames):
                frame.pts = index
                frame.time_base = time_base
            main_in.push(main)
            pip_in.push(pip)
            for node, frame in zip(overlay_ins, overlay_frames):
                node.push(frame)
            out = sink.pull().to_ndarray(format="bgr24")
            draw_strip(out, int(time.time() * 1000))
            samples.append((time.perf_counter() - started) * 1000)
    return {"name": "ffmpeg overlay filter graph (libavfilter via PyAV)", "ms_per_frame_p50": percentile(samples, 50), "ms_per_frame_p99": percentile(samples, 99), "busy_cpu_percent": cpu.percent_of_one_core}


def run_naive_opencv(mains: list[np.ndarray], pips: list[np.ndarray], overlays: list[tuple[np.ndarray, tuple[int, int]]], frames: int) -> dict:
    """The obvious float full-frame approach: every layer becomes a canvas-sized float image."""
    samples = []
    for index in range(frames):
        started = time.perf_counter()
        canvas = mains[index % len(mains)].astype(np.float32)
        layer = np.zeros_like(canvas)
        mask = np.zeros(canvas.shape[:2] + (1,), np.float32)
        layer[PIP[1] : PIP[1] + PIP[3], PIP[0] : PIP[0] + PIP[2]] = pips[index % len(pips)]
        mask[PIP[1] : PIP[1] + PIP[3], PIP[0] : PIP[0] + PIP[2]] = 1.0
        canvas = canvas * (1 - mask) + layer * mask
        for rgba, (x, y) in overlays:
            layer = np.zeros_like(canvas)
            mask = np.zeros(canvas.shape[:2] + (1,), np.float32)
            h, w = rgba.shape[:2]
            layer[y : y + h, x : x + w] = rgba[..., 2::-1]
            mask[y : y + h, x : x + w, 0] = rgba[..., 3] / 255.0
            canvas = canvas * (1 - mask) + layer * mask
        out = canvas.astype(np.uint8)
        draw_strip(out, int(time.time() * 1000))
        samples.append((time.perf_counter() - started) * 1000)
    return {"name": "naive full-frame float blend (NumPy)", "ms_per_frame_p50": percentile(samples, 50)}


def run_filters(workdir: Path, rounds: int = 30) -> dict[str, Any]:
    """Each picture tool on a 1920×1080 generated green-screen frame (median ms of ``rounds``),
    and the chroma key's edge quality (IoU of its mask against the known one)."""
    from bench.testbed.green_screen import green_screen_frame, iou
    from studio.compositor.filters import apply_filters
    from studio.scene import ChromaKey, ColorCorrection, LutLook, Sharpen

    frame, truth = green_screen_frame(0, WIDTH, HEIGHT)
    cube = workdir / "warm.cube"
    size = 33
    rows = [f"{min(1.0, r * 1.08):.5f} {g:.5f} {b * 0.92:.5f}" for b in np.linspace(0, 1, size)
            for g in np.linspace(0, 1, size) for r in np.linspace(0, 1, size)]
    cube.write_text(f"LUT_3D_SIZE {size}\n" + "\n".join(rows) + "\n")
    tools = {"chroma_key": ChromaKey(), "color": ColorCorrection(brightness=0.05, contrast=0.1, saturation=1.2),
             "lut": LutLook(path=str(cube)), "sharpen": Sharpen(amount=0.6)}
    out: dict[str, Any] = {}
    for name, spec in tools.items():
        apply_filters(frame, None, (spec,))  # warm (the LUT file is read once)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            _image, alpha, _problem = apply_filters(frame, None, (spec,))
            times.append((time.perf_counter() - started) * 1000)
        out[f"filter_{name}_ms"] = round(float(np.median(times)), 2)
        if name == "chroma_key":
            out["chroma_key_iou"] = round(iou(alpha > 127, truth), 4)
    out.update(run_person_filters())
    return out


def run_person_filters(frames: int = 30, rounds: int = 5) -> dict[str, Any]:
    """Virtual background (blur) and beauty on a 1920×1080 clip of a real person (the known-mask
    clip of ``bench.testbed.person_clip``), each item's state carried from frame to frame as on
    air: per round the mean ms a frame over ``frames`` frames (face detection and model frames
    included), the median of ``rounds`` rounds; and the segmentation's IoU at 640×360."""
    from bench.testbed.green_screen import iou
    from bench.testbed.person_clip import ROOMS, person_clip
    from studio.compositor.filters import FilterState, apply_filters
    from studio.compositor.segmentation import PersonSegmenter, person_mask
    from studio.scene import Beauty, VirtualBackground

    clip = person_clip("shelf", frames, WIDTH, HEIGHT)
    out: dict[str, Any] = {}
    for name, spec in (("virtual_background", VirtualBackground(mode="blur", strength=0.6)), ("beauty", Beauty())):
        means, skips = [], []
        for _ in range(rounds):
            state = FilterState()
            times = []
            for frame, _truth in clip:
                started = time.perf_counter()
                apply_filters(frame, None, (spec,), state)
                times.append((time.perf_counter() - started) * 1000)
            means.append(float(np.mean(times)))
            if name == "virtual_background":
                skips.append(state.part(0, name).level)
        out[f"filter_{name}_ms"] = round(float(np.median(means)), 2)
        if skips:
            out["virtual_background_degrade_level"] = max(skips)  # 0: full; 1-2: model every 2nd/3rd frame; 3: + quarter-size matte
    scores = {}
    for kind in ROOMS:
        segmenter = PersonSegmenter()
        scores[kind] = round(float(np.mean([iou(person_mask(f, segmenter) > 0.5, t) for f, t in person_clip(kind, 24)])), 4)
    out["virtual_background_iou"] = round(float(np.mean(list(scores.values()))), 4)
    out["virtual_background_iou_by_room"] = scores
    return out


def make_person_video(path: Path, frames: int = 60) -> Path:
    """A 1080p30 H.264 loop of the person clip (``bench.testbed.person_clip``): a host who moves."""
    from bench.testbed.person_clip import person_frame

    return write_h264(path, (person_frame("shelf", index, WIDTH, HEIGHT)[0] for index in range(frames)),
                      WIDTH, HEIGHT, FPS, crf=20)


def run_filters_on_air(workdir: Path, seconds: float) -> dict[str, Any]:
    """Each person tool on a full-canvas 1080p30 host video in the real engine, with the default
    x264 3-layer ladder encoding the program in the same process (what going live costs on this
    machine): fps delivered, late ticks, render ms, the filter's own ms and encoder drops."""
    from encoders.layers import default_ladder
    from encoders.ladder import Ladder
    from studio.scene import Beauty, VirtualBackground

    video = make_person_video(workdir / "host_1080p.mp4")
    out: dict[str, Any] = {}
    for name, spec in (("virtual_background", VirtualBackground(mode="blur")), ("beauty", Beauty()), ("none", None)):
        source = SourceSpec(id="host", kind="media_file", name="host", settings={"path": str(video), "loop": True})
        item = SceneItem(source_id="host", x=0, y=0, width=WIDTH, height=HEIGHT, filters=[spec] if spec else [])
        collection = SceneCollection(canvas=Canvas(width=WIDTH, height=HEIGHT, fps=FPS), transition=Transition(kind="cut", duration_ms=0),
                                     sources=[source], scenes=[Scene(id="show", name="show", items=[item])], current_scene="show")
        studio = Studio(collection=collection)
        studio.start()
        slot = studio.compositor.subscribe()
        ladder = Ladder(default_ladder(WIDTH, HEIGHT, FPS), on_packet=lambda _packet: None, source=slot)  # as going live
        ladder.start()
        try:
            time.sleep(3.0)  # warm-up: decoder, model, encoder
            compositor = studio.compositor
            ticks0, late0 = compositor.ticks, compositor.late_ticks
            dropped0 = sum(stats.dropped for stats in ladder.stats())
            compositor.render_ms.clear()
            _baseline = compositor.filter_notice  # the notice counts missed ticks from here, as the status bar's 1 s reads do
            with CpuMeter() as cpu:
                time.sleep(seconds)
            renders = list(compositor.render_ms)
            costs = compositor.filter_costs.costs()
            out[f"on_air_{name}"] = {
                "fps": round((compositor.ticks - ticks0) / cpu.wall_s, 2),
                "late_ticks": compositor.late_ticks - late0,
                "render_ms_p50": percentile(renders, 50),
                "filter_ms": costs.get(item.id),
                "encoder_frames_dropped": sum(stats.dropped for stats in ladder.stats()) - dropped0,
                "cpu_percent_of_one_core": cpu.percent_of_one_core,
                "late_notice": compositor.filter_notice,
            }
        finally:
            ladder.stop()
            studio.compositor.unsubscribe(slot)
            studio.stop()
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bridgecast bench compositor")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured real-time window")
    parser.add_argument("--peer-frames", type=int, default=300)
    parser.add_argument("--on-air-seconds", type=float, default=0.0,
                        help="also run each person tool live at 1080p30 with the x264 ladder (seconds measured each)")
    args = parser.parse_args(argv)
    overlays = [
        (make_card(600, 200, "Silk scarf", "$29.99", (180, 30, 60)), CARD),
        (make_card(360, 140, "COUPON -20%", "SAVE20", (20, 120, 80)), BADGE),
    ]
    with tempfile.TemporaryDirectory(prefix="bridgecast-bench-") as tmp:
        video = make_test_video(Path(tmp) / "main_1080p.mp4", WIDTH, HEIGHT, seconds=4)
        ours, mains, pips = run_ours(video, args.seconds, overlays)
        filters = run_filters(Path(tmp))
        if args.on_air_seconds > 0:
            filters.update(run_filters_on_air(Path(tmp), args.on_air_seconds))
    peer = run_ffmpeg_overlay(mains, pips, overlays, args.peer_frames)
    naive = run_naive_opencv(mains, pips, overlays, max(30, args.peer_frames // 5))
    result = {
        "bench": "compositor",
        "canvas": f"{WIDTH}x{HEIGHT}@{FPS}",
        **ours,
        "peer": {"name": peer["name"], "ms_per_frame_p50": peer["ms_per_frame_p50"], "ms_per_frame_p99": peer["ms_per_frame_p99"]},
        "ratio_vs_peer": round(ours["ms_per_frame_p50"] / peer["ms_per_frame_p50"], 3) if ours["ms_per_frame_p50"] and peer["ms_per_frame_p50"] else None,
        "other_peers": [naive],
        **filters,  # per picture tool at 1080p: filter_<kind>_ms, chroma_key_iou, virtual_background_iou (issue #18)
        "targets": {"ms_per_frame_p50": 6.0, "ms_per_frame_p99": 12.0, "cpu_percent_of_one_core": 25.0},
        "machine": machine(),
    }
    emit(result, args.json)
    return 0
