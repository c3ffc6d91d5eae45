"""Glass-to-glass latency in a real browser: studio → WHIP (3 layers) → Janus → headless Chromium.

``python -m bench.latency_browser [--canvas 1280x720] [--seconds 6] [--no-video-only]`` starts its
own SFU stack (bench/testbed: netns + Janus + simple-whip-server; needs root and
``tools/setup_sfu.sh``), publishes the studio's program (latency probe on, a tone on the mixer)
and opens bench/testbed/viewer.html in headless Chromium, which subscribes with janus.js,
visits substreams 2 → 1 → 0 and reads the time-code strip from every painted frame.  It runs
twice: audio + video (the browser syncs video to audio) and video only, so a gap between the
two shows the audio/video sync trap of TESTBED.md.  The JSON (last line of stdout) has, per
run, ``layers`` [{rid, width, frames, p50_ms, p95_ms}] plus getStats() jitter-buffer delays.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path


def _run(stack, endpoint_id: str, audio: bool, seconds: float) -> dict:
    from bench.testbed.browser import (
        frames_decoded_by_width, jitter_buffer_ms, latency_by_width, msid_streams, percentile, run_viewer,
    )

    ms = int(seconds * 1000)
    results, _log = run_viewer(stack.ns, endpoint_id, audio=audio, plan=f"2:{ms},1:{ms},0:{ms}",
                               janus_url=stack.janus.url, timeout=3 * seconds + 30)
    if results.get("error"):
        raise RuntimeError(f"viewer page failed: {results['error']}")
    layers = []
    for rid, (width, values) in zip("hml", sorted(latency_by_width(results["latency"]).items(), reverse=True)):
        layers.append({"rid": rid, "width": width, "frames": len(values),
                       "p50_ms": statistics.median(values), "p95_ms": percentile(values, 0.95)})
    return {
        "audio": audio,
        "layers": layers,
        "frames_decoded_by_width": frames_decoded_by_width(results["stats"]),
        "video_jitter_buffer_ms": jitter_buffer_ms(results["stats"], "video"),
        "audio_jitter_buffer_ms": jitter_buffer_ms(results["stats"], "audio"),
        "msid": msid_streams(results),
        "strip_unreadable": results["undecoded_frames"],
        "painted_frames": results["painted_frames"],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bridgecast bench latency-browser")
    parser.add_argument("--canvas", default="1280x720")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=6.0, help="per substream")
    parser.add_argument("--no-video-only", action="store_true", help="skip the audio-less comparison run")
    parser.add_argument("--json", action="store_true", help="(the JSON object is always printed last)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.canvas.lower().split("x"))

    from studio.engine import Studio, default_collection
    from studio.outputs.aiortc_adapter import send
    from studio.golive.session import LiveSession
    from studio.scene import Canvas
    from bench.testbed.harness import call_in_netns, sfu_stack

    out: dict = {"canvas": f"{width}x{height}", "fps": args.fps, "runs": []}
    with tempfile.TemporaryDirectory(prefix="bc-latency-browser-") as tmp, sfu_stack(Path(tmp)) as stack:
        endpoint_id = "bench"
        url = stack.whip.create_endpoint(endpoint_id)
        studio = Studio(collection=default_collection(Canvas(width=width, height=height, fps=args.fps)))
        studio.start()
        session = None
        try:
            studio.set_latency_probe(True)
            studio.audio_inputs.add("tone", "Tone", level_dbfs=-20)
            session = LiveSession(studio, url)
            call_in_netns(stack.client_ns, session.start, timeout=30)
            if not session.wait_live(25):
                raise RuntimeError(f"publisher not live: {session.state} {session.failure}")
            for audio in (True,) if args.no_video_only else (True, False):
                run = _run(stack, endpoint_id, audio, args.seconds)
                out["runs"].append(run)
                print(f"{'audio+video' if audio else 'video only '}: " + ", ".join(
                    f"{l['rid']} {l['width']}px p50 {l['p50_ms']:.0f} ms p95 {l['p95_ms']:.0f} ms ({l['frames']})"
                    for l in run["layers"]) + f"; jitter buffer video {run['video_jitter_buffer_ms']} ms", flush=True)
            out["encoder"] = session.stats().get("encoder")
        finally:
            if session is not None:
                session.stop()
            studio.stop()
            send.uninstall_codecs()
            stack.whip.destroy_endpoint(endpoint_id)
    out["layers"] = out["runs"][0]["layers"] if out["runs"] else []
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
