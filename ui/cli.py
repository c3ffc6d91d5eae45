"""The ``bridgecast`` command: the desktop app, plus headless sub-commands.

Lives in ``ui/`` because it may import both the engine and the Qt views; headless
commands import Qt only when they need it.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any

from studio import __version__
from studio.core.i18n import _, set_language


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=None))


def qt_row() -> dict[str, Any]:
    """Can Qt open a window here?  Checked without creating an application."""
    try:
        import PySide6
        from PySide6 import QtCore  # proves the Qt core library loads
    except ImportError as exc:
        return {"check": _("Qt (PySide6)"), "ok": False, "detail": str(exc), "fix": _("pip install pyside6")}
    platform_name = os.environ.get("QT_QPA_PLATFORM")
    if not platform_name:
        if sys.platform.startswith("linux"):
            platform_name = "wayland" if os.environ.get("WAYLAND_DISPLAY") else ("xcb" if os.environ.get("DISPLAY") else "")
        else:
            platform_name = {"win32": "windows", "darwin": "cocoa"}.get(sys.platform, "")
    ok = bool(platform_name)
    version = getattr(PySide6, "__version__", None) or QtCore.qVersion()
    detail = _("PySide6 {version}, platform “{platform}”").format(version=version, platform=platform_name or _("none"))
    fix = _("No display: run inside a desktop session, or use xvfb-run; for tests set QT_QPA_PLATFORM=offscreen")
    if ok and platform_name == "xcb":
        import ctypes.util

        if ctypes.util.find_library("xcb-cursor") is None:
            return {"check": _("Qt (PySide6)"), "ok": False, "detail": detail, "fix": _("Qt needs libxcb-cursor0: sudo apt-get install libxcb-cursor0")}
    return {"check": _("Qt (PySide6)"), "ok": ok, "detail": detail, "fix": None if ok else fix}


def cmd_doctor(args: argparse.Namespace) -> int:
    from studio.doctor import run_checks

    rows = run_checks([qt_row()])
    if args.json:
        _print_json(rows)
        return 0
    for row in rows:
        mark = "✔" if row["ok"] else "✘"
        print(f"{mark} {row['check']}: {row['detail']}")
        if row.get("fix"):
            print(f"    → {row['fix']}")
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    from studio.audio.devices import list_input_devices
    from studio.sources.devices import list_video_devices

    result = {"video": list_video_devices(), "audio": list_input_devices()}
    if args.json:
        _print_json(result)
        return 0
    print(_("Video devices:"))
    for device in result["video"] or []:
        print(f"  {device['id']}: {device['name']} ({device['backend']}), " + _("{count} modes").format(count=len(device["modes"])))
    if not result["video"]:
        print("  " + _("none found"))
    print(_("Audio inputs:"))
    for device in result["audio"] or []:
        print(f"  {device['id']}: {device['name']} ({device['channels']} ch, {device['sample_rate']} Hz)")
    if not result["audio"]:
        print("  " + _("none found"))
    return 0


def cmd_encoders(args: argparse.Namespace) -> int:
    from encoders.probe import probe_encoders

    rows = [row.as_dict() for row in probe_encoders(use_cache=not args.fresh)]
    if args.json:
        _print_json(rows)
        return 0
    for row in rows:
        mark = "✔" if row["available"] else "✘"
        kind = _("hardware") if row["hardware"] else _("software")
        print(f"{mark} {row['name']} ({row['codec']}, {kind})" + (f": {row['reason']}" if row["reason"] else ""))
    return 0


def cmd_live(args: argparse.Namespace) -> int:
    import signal
    import threading
    from pathlib import Path

    from studio.headless import (LiveOptions, OptionError, parse_canvas, parse_layers, parse_locale, parse_rtmp_urls,
                                 run_live)

    try:
        options = LiveOptions(
            source=args.source,
            scene=Path(args.scene) if args.scene else None,
            canvas=parse_canvas(args.canvas),
            fps=args.fps,
            whip=args.whip,
            token=args.token,
            layers=parse_layers(args.layers),
            encoder=args.encoder,
            codec=args.codec,
            duration_s=args.duration,
            stats_jsonl=Path(args.stats_jsonl) if args.stats_jsonl else None,
            has_audio=not args.no_audio,
            catalog=Path(args.catalog) if args.catalog else None,
            control_port=args.control_port,
            control_host="0.0.0.0" if args.control_lan else "127.0.0.1",
            control_token=args.control_token,
            show_db=Path(args.show_db) if args.show_db else None,
            record=Path(args.record) if args.record else None,
            events_channel=args.events_channel,
            webhook_url=args.webhook,
            keep_show_stats=not args.no_show_stats,
            locale=parse_locale(args.locale),
            region=args.region,
            rtmp=parse_rtmp_urls(args.rtmp or []),
            rtmp_vertical=parse_rtmp_urls(args.rtmp_vertical or []),
            vertical_canvas=parse_canvas(args.vertical_canvas, option="--vertical-canvas"),
            rtmp_ca_file=Path(args.rtmp_ca_file) if args.rtmp_ca_file else None,
        )
    except OptionError as exc:
        print(_("error: {reason}").format(reason=exc), file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: stop.set())
    return run_live(options, stop)


def cmd_review(args: argparse.Namespace) -> int:
    from pathlib import Path

    from studio.outputs.show_stats import default_stats_dir, summarize

    paths = [Path(p) for p in args.stats]
    if not paths:
        newest = sorted(default_stats_dir().glob("*.jsonl"), key=lambda p: p.stat().st_mtime)
        paths = newest[-1:]
    if not paths:
        print(_("error: no show statistics yet (they are kept for every show from now on)"), file=sys.stderr)
        return 1
    streams = []
    for path in paths:
        try:
            streams.append(summarize(path))
        except OSError as exc:
            print(_("error: cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc), file=sys.stderr)
            return 1
    show = None
    db = Path(args.show_db) if args.show_db else None
    if db is None:
        from studio.control import default_show_db

        db = default_show_db() if default_show_db().exists() else None
    if db is not None:
        from studio.live.review import summarize as summarize_show

        try:
            show = summarize_show(db)
        except Exception as exc:  # noqa: BLE001 - a damaged database must not hide the stream review
            print(_("warning: the show database {path} cannot be read: {reason}").format(path=db, reason=exc), file=sys.stderr)
    if args.json:
        print(json.dumps({"streams": streams, "show": show}, ensure_ascii=False, default=str))
        return 0
    for stream in streams:
        print(stream["file"])
        print("  " + stream["verdict"])
        if stream["samples"]:
            layers = ", ".join(
                _("{rid} {size} sent {share}% of the time").format(rid=rid, size=layer["size"] or "?",
                                                               share=round(100 * (layer["active_share"] or 0)))
                for rid, layer in stream["layers"].items())
            print("  " + layers)
            print("  " + _("round trip p50 {rtt} ms, loss p50 {loss}, lowest estimate {estimate} kbit/s").format(
                rtt=stream["rtt_ms_p50"], loss=stream["loss_fraction_p50"],
                estimate=(stream["estimate_bps_min"] or 0) // 1000))
    return 0


def cmd_bench(args: argparse.Namespace, rest: list[str]) -> int:
    from bench import BENCHMARKS, run_benchmark

    if args.name not in BENCHMARKS:
        print(_("error: unknown benchmark “{name}” (known: {known})").format(name=args.name, known=", ".join(sorted(BENCHMARKS))), file=sys.stderr)
        return 2
    return run_benchmark(args.name, (["--json"] if args.json else []) + rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bridgecast", description=_("Bridgecast Studio: go live to WebRTC platforms and run the show."))
    parser.add_argument("--version", action="version", version=f"bridgecast {__version__}")
    parser.add_argument("--verbose", "-v", action="store_true", help=_("log more detail"))
    sub = parser.add_subparsers(dest="command")
    doctor = sub.add_parser("doctor", help=_("report what this machine offers and how to fix what is missing"))
    doctor.add_argument("--json", action="store_true")
    devices = sub.add_parser("devices", help=_("list cameras, capture cards and microphones"))
    devices.add_argument("--json", action="store_true")
    encoders = sub.add_parser("encoders", help=_("probe which video encoders work on this machine"))
    encoders.add_argument("--json", action="store_true")
    encoders.add_argument("--fresh", action="store_true", help=_("ignore the cached probe result"))
    live = sub.add_parser("live", help=_("go live headless (no window) to a WHIP server or the built-in rehearsal receiver"))
    source = live.add_mutually_exclusive_group()
    source.add_argument("--source", default="testpattern", help=_("testpattern, file:PATH or camera:ID"))
    source.add_argument("--scene", help=_("a scene collection file to publish"))
    live.add_argument("--canvas", default="1920x1080", help=_("canvas size, e.g. 1920x1080 or 1080x1920"))
    live.add_argument("--fps", type=int, default=30)
    live.add_argument("--whip", help=_("WHIP endpoint URL (default: the built-in rehearsal receiver)"))
    live.add_argument("--token", help=_("WHIP bearer token (or the environment variable BRIDGECAST_WHIP_TOKEN)"))
    live.add_argument("--layers", default="h,m,l", help=_("simulcast layers to send: h,m,l (h alone = no simulcast)"))
    live.add_argument("--encoder", default="auto", help=_("auto or an encoder name from `bridgecast encoders`"))
    live.add_argument("--codec", default="h264", choices=["h264", "vp8"])
    live.add_argument("--duration", type=float, help=_("seconds to stay live, then stop cleanly"))
    live.add_argument("--stats-jsonl", help=_("write one JSON stats line per second to this file"))
    live.add_argument("--no-audio", action="store_true", help=_("publish video only"))
    live.add_argument("--record", help=_("also record the top layer and audio to this Matroska file (no second encode)"))
    live.add_argument("--catalog", help=_("product catalog (CSV or JSON) for the live panel"))
    live.add_argument("--control-port", type=int, help=_("serve the control API for assistant devices on this port"))
    live.add_argument("--control-token", help=_("control API token (or the environment variable BRIDGECAST_CONTROL_TOKEN)"))
    live.add_argument("--control-lan", action="store_true", help=_("let devices on the local network reach the control API"))
    live.add_argument("--show-db", help=_("file keeping the live show's state and journal"))
    live.add_argument("--locale", default="en_US", help=_("the viewers' locale for prices, dates and on-screen text, e.g. th_TH or ar_SA"))
    from cover_designer.regions import REGIONS

    live.add_argument("--region", choices=sorted(REGIONS),
                      help=_("region style of the on-screen cards (default: from --locale)"))
    live.add_argument("--webhook", help=_("POST every live-show event to this URL (signing secret: the environment variable BRIDGECAST_WEBHOOK_SECRET)"))
    live.add_argument("--no-show-stats", action="store_true",
                      help=_("without --stats-jsonl, do not keep this show's stream statistics for `bridgecast review`"))
    live.add_argument("--events-channel", action="store_true",
                      help=_("also send live-show events to the platform over a data channel on the WHIP session, when the server accepts one"))
    live.add_argument("--rtmp", action="append", metavar="URL",
                      help=_("also go live to this RTMP or RTMPS address from the horizontal canvas (repeatable; the stream key is the last path segment)"))
    live.add_argument("--rtmp-vertical", action="append", metavar="URL",
                      help=_("also go live to this RTMP or RTMPS address from the vertical canvas (repeatable)"))
    live.add_argument("--vertical-canvas", default="1080x1920", help=_("size of the vertical canvas, e.g. 1080x1920"))
    live.add_argument("--rtmp-ca-file", help=_("trust only this CA certificate file for RTMPS (default: the system's certificates)"))
    review = sub.add_parser("review", help=_("after a show: how the stream went (and the show's sales and comments)"))
    review.add_argument("stats", nargs="*", help=_("stats files (default: the newest show's)"))
    review.add_argument("--show-db", help=_("the live show's database (default: the app's)"))
    review.add_argument("--json", action="store_true")
    sub.add_parser("cover", help=_("render, lint and batch-export cover images (see `bridgecast cover --help`)"), add_help=False)
    bench = sub.add_parser("bench", help=_("run a benchmark"))
    bench.add_argument("name")
    bench.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    set_language(_settings_language())
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    # Headless `live` promises one error line on stderr; its warnings show with --verbose.
    quiet_level = logging.ERROR if args.command == "live" else logging.WARNING
    logging.basicConfig(level=logging.DEBUG if args.verbose else quiet_level, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "bench":
        return cmd_bench(args, rest)
    if args.command == "cover":
        from cover_designer.cli import main as cover_main
        from ui.cover_catalog import read_live_catalog

        return cover_main(argv[argv.index("cover") + 1 :], read_catalog=read_live_catalog)
    if rest:
        parser.error(_("unrecognized arguments: {args}").format(args=" ".join(rest)))
    if args.command == "doctor":
        return cmd_doctor(args)
    if args.command == "devices":
        return cmd_devices(args)
    if args.command == "encoders":
        return cmd_encoders(args)
    if args.command == "live":
        return cmd_live(args)
    if args.command == "review":
        return cmd_review(args)
    from ui.app import run_app

    return run_app([sys.argv[0], *argv])


def _settings_language() -> str | None:
    from studio.settings import load_settings

    settings, _warning = load_settings()
    return settings.language


if __name__ == "__main__":
    sys.exit(main())
