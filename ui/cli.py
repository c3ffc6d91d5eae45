"""The ``bridgecast`` command: the desktop app, plus headless sub-commands.

Lives in ``ui/`` because it may import both the engine and the Qt views; headless
commands import Qt only when they need it.

One rule for every command: a bad option value is refused by argparse (usage, then one
``error: <words>`` line, exit 2); a typed engine error is one ``error: <words>`` line (exit 1);
anything else is one line ``error: <words> (details: <log>)`` with the traceback appended to
``<config dir>/logs/bridgecast-cli.log`` (exit 1); Ctrl-C exits 130 quietly.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import traceback
from datetime import datetime, timezone
from typing import Any, Callable, NoReturn

from studio import __version__
from studio.core.i18n import _, set_language


CLI_LOG_NAME = "bridgecast-cli.log"
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class _ArgumentParser(argparse.ArgumentParser):
    """argparse whose refusals end with our one line ``error: <words>`` (exit 2, as argparse)."""

    def error(self, message: str) -> NoReturn:
        # argparse says "argument --fps: --fps takes …"; our checks name the option themselves.
        match = re.fullmatch(r"argument (\S+): (.*)", message, flags=re.DOTALL)
        if match and match.group(2).startswith(match.group(1)):
            message = match.group(2)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, _("error: {reason}").format(reason=" ".join(message.split("\n"))) + "\n")


def _checked(parse_name: str, *args: Any) -> Callable[[str], Any]:
    """An argparse ``type=`` from one of ``studio.headless``'s ``parse_*`` checks (imported
    when an option is parsed, so the desktop app's start does not pay for it)."""

    def convert(text: str) -> Any:
        from studio import headless

        try:
            return getattr(headless, parse_name)(text, *args)
        except headless.OptionError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse_name.removeprefix("parse_")
    return convert


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

    from studio.headless import LiveOptions, OptionError, run_live

    # Every value below was checked by its argparse ``type=`` (see build_parser).
    try:
        options = LiveOptions(
            source=args.source,
            scene=args.scene,
            canvas=args.canvas,
            fps=args.fps,
            whip=args.whip,
            token=args.token,
            layers=args.layers,
            encoder=args.encoder,
            codec=args.codec,
            duration_s=args.duration,
            stats_jsonl=Path(args.stats_jsonl) if args.stats_jsonl else None,
            has_audio=not args.no_audio,
            catalog=args.catalog,
            control_port=args.control_port,
            control_host="0.0.0.0" if args.control_lan else "127.0.0.1",
            control_token=args.control_token,
            show_db=Path(args.show_db) if args.show_db else None,
            record=Path(args.record) if args.record else None,
            events_channel=args.events_channel,
            webhook_url=args.webhook,
            connect=tuple(args.connect or ()),
            keep_show_stats=not args.no_show_stats,
            locale=args.locale,
            region=args.region,
            rtmp=tuple(args.rtmp or ()),
            rtmp_vertical=tuple(args.rtmp_vertical or ()),
            vertical_canvas=args.vertical_canvas,
            rtmp_ca_file=args.rtmp_ca_file,
        )
    except OptionError as exc:
        print(_("error: {reason}").format(reason=exc), file=sys.stderr)
        return EXIT_USAGE
    if options.stats_jsonl is not None:
        # The asked-for stats file is the run's report: one that cannot be written is refused
        # before anything starts (exit 1, nothing lost).  Once live, a write failure is a
        # warning and the show goes on (StatsWriter); a bad --record path only warns, too.
        try:
            if not options.stats_jsonl.parent.exists():  # a file in its place: "Not a directory" below
                options.stats_jsonl.parent.mkdir(parents=True)
            with options.stats_jsonl.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            print(_("error: {reason}").format(reason=_("cannot write stream statistics to {path}: {reason}").format(
                path=options.stats_jsonl, reason=exc.strerror or type(exc).__name__)), file=sys.stderr)
            return 1
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: stop.set())
    return run_live(options, stop)


def _minutes_option(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 240:
        raise argparse.ArgumentTypeError(_("--pin-window takes whole minutes from 1 to 240, not “{value}”").format(value=text))
    return int(text)


def _count_option(text: str) -> int:
    if not text.strip().isdigit() or int(text) > 50:
        raise argparse.ArgumentTypeError(_("--compare takes a number of shows from 0 to 50, not “{value}”").format(value=text))
    return int(text)


def cmd_review(args: argparse.Namespace) -> int:
    from pathlib import Path

    from studio.live.review import newest_live_stats, no_live_show_reason, stream_lines
    from studio.outputs.show_stats import default_stats_dir, summarize

    paths = [Path(p) for p in args.stats]
    if not paths:
        newest, attempts = newest_live_stats(default_stats_dir())
        if newest is None and attempts and not args.show_db:
            print(_("error: {reason}").format(reason=no_live_show_reason(attempts)), file=sys.stderr)
            return 1
        paths = [newest] if newest is not None else []
    if not paths and not args.show_db:
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
    if db is not None and db.is_file():
        from studio.live.review import summarize as summarize_show

        try:
            show = summarize_show(db)
        except Exception as exc:  # noqa: BLE001 - a damaged database must not hide the stream review
            print(_("warning: the show database {path} cannot be read: {reason}").format(path=db, reason=exc), file=sys.stderr)
    from studio.live.review import review_of_show

    review, problem = review_of_show(db, [Path(p) for p in args.stats] or None, default_stats_dir(), args.pin_window, args.compare)
    wants_files = bool(args.html or args.pdf or args.csv)
    if review is None and wants_files:
        print(_("error: {reason}").format(reason=problem), file=sys.stderr)
        return 1
    if review is not None and wants_files:
        from studio.review import report

        try:
            written = ([report.write_html(review, Path(args.html))] if args.html else []) + \
                      ([report.write_pdf(review, Path(args.pdf))] if args.pdf else []) + \
                      (report.write_csv(review, Path(args.csv)) if args.csv else [])
        except OSError as exc:
            print(_("error: cannot write the review: {reason}").format(reason=exc.strerror or exc), file=sys.stderr)
            return 1
        for path in written:
            print(_("written to {path}").format(path=path), file=sys.stderr if args.json else sys.stdout)
    if args.json:
        figures = review.to_json() if review is not None else {"timeline": [], "segments": [], "products": [],
                                                               "findings": [], "missing": [problem], "comparison": []}
        print(json.dumps({"streams": streams, "show": show, **figures}, ensure_ascii=False, default=str))
        return 0
    for stream in streams:
        print("\n".join(stream_lines(stream)))
    if review is not None:
        from studio.live.review import review_lines

        print("\n".join(review_lines(review)))
    return 0


def _seconds_option(text: str) -> float:
    from studio.clips import MAX_SECONDS_RANGE

    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not MAX_SECONDS_RANGE[0] <= value <= MAX_SECONDS_RANGE[1]:
        raise argparse.ArgumentTypeError(_("--max-seconds takes seconds from {low:.0f} to {high:.0f}, not “{value}”").format(
            low=MAX_SECONDS_RANGE[0], high=MAX_SECONDS_RANGE[1], value=text))
    return value


def cmd_clips(args: argparse.Namespace) -> int:
    from pathlib import Path

    from studio.clips import make_clips
    from studio.settings import load_settings

    db = Path(args.show_db) if args.show_db else None
    if db is None:
        from studio.control import default_show_db

        db = default_show_db()
    settings, _warning = load_settings()
    locale = args.locale or settings.locale or "en_US"
    region = args.region or settings.region
    started: set[int] = set()

    def progress(done: int, count: int, _fraction: float) -> None:
        if not args.json and done < count and done not in started:
            started.add(done)
            print(_("cutting clip {number} of {count}…").format(number=done + 1, count=count), file=sys.stderr)

    result = make_clips(db, Path(args.recording), Path(args.out), max_seconds=args.max_seconds, locale=locale,
                        region=region, cover_template=args.cover_template, on_progress=progress)
    if args.json:
        _print_json(result.to_json())
        return 0
    for clip in result.clips:
        print(_("written {path} ({seconds:.1f} s, {title}); cover {cover}").format(
            path=clip.path, seconds=clip.duration_s, title=clip.title, cover=Path(clip.cover_path).name))
    for note in result.notes:
        print(_("note: {text}").format(text=note), file=sys.stderr)
    return 0


def cmd_bench(args: argparse.Namespace, rest: list[str]) -> int:
    from bench import BENCHMARKS, run_benchmark

    if args.name not in BENCHMARKS:
        print(_("error: unknown benchmark “{name}” (known: {known})").format(name=args.name, known=", ".join(sorted(BENCHMARKS))), file=sys.stderr)
        return 2
    return run_benchmark(args.name, (["--json"] if args.json else []) + rest)


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(prog="bridgecast", description=_("Bridgecast Studio: go live to WebRTC platforms and run the show."))
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
    source.add_argument("--source", default="testpattern", type=_checked("parse_source"),
                        help=_("testpattern, file:PATH or camera:ID"))
    source.add_argument("--scene", type=_checked("check_input_file", "--scene"), help=_("a scene collection file to publish"))
    live.add_argument("--canvas", default="1920x1080", type=_checked("parse_canvas", "--canvas"),
                      help=_("canvas size, e.g. 1920x1080 or 1080x1920"))
    live.add_argument("--fps", type=_checked("parse_fps"), default=30, help=_("frames per second, 1 to 120"))
    live.add_argument("--whip", type=_checked("parse_http_url", "--whip"),
                      help=_("WHIP endpoint URL (default: the built-in rehearsal receiver)"))
    live.add_argument("--token", help=_("WHIP bearer token (or the environment variable BRIDGECAST_WHIP_TOKEN)"))
    live.add_argument("--layers", default="h,m,l", type=_checked("parse_layers"), help=_("simulcast layers to send: h,m,l (h alone = no simulcast)"))
    live.add_argument("--encoder", type=_checked("parse_encoder"), default="auto", help=_("auto or an encoder name from `bridgecast encoders`"))
    live.add_argument("--codec", default="h264", choices=["h264", "vp8"])
    live.add_argument("--duration", type=_checked("parse_duration"), help=_("seconds to stay live, then stop cleanly"))
    live.add_argument("--stats-jsonl", help=_("write one JSON stats line per second to this file"))
    live.add_argument("--no-audio", action="store_true", help=_("publish video only"))
    live.add_argument("--record", help=_("also record the top layer and audio to this Matroska file (no second encode)"))
    live.add_argument("--catalog", type=_checked("check_input_file", "--catalog"), help=_("product catalog (CSV or JSON) for the live panel"))
    live.add_argument("--control-port", type=_checked("parse_port", "--control-port"),
                      help=_("serve the control API for assistant devices on this port (0: any free port)"))
    live.add_argument("--control-token", help=_("control API token (or the environment variable BRIDGECAST_CONTROL_TOKEN)"))
    live.add_argument("--control-lan", action="store_true", help=_("let devices on the local network reach the control API"))
    live.add_argument("--show-db", help=_("file keeping the live show's state and journal"))
    live.add_argument("--locale", default="en_US", type=_checked("parse_locale"), help=_("the viewers' locale for prices, dates and on-screen text, e.g. th_TH or ar_SA"))
    from cover_designer.regions import REGIONS

    live.add_argument("--region", choices=sorted(REGIONS),
                      help=_("region style of the on-screen cards (default: from --locale)"))
    live.add_argument("--webhook", type=_checked("parse_http_url", "--webhook"), help=_("POST every live-show event to this URL (signing secret: the environment variable BRIDGECAST_WEBHOOK_SECRET)"))
    live.add_argument("--no-show-stats", action="store_true",
                      help=_("without --stats-jsonl, do not keep this show's stream statistics for `bridgecast review`"))
    live.add_argument("--events-channel", action="store_true",
                      help=_("also send live-show events to the platform over a data channel on the WHIP session, when the server accepts one"))
    live.add_argument("--rtmp", action="append", metavar="URL", type=_checked("parse_rtmp_url", "--rtmp"),
                      help=_("also go live to this RTMP or RTMPS address from the horizontal canvas (repeatable; the stream key is the last path segment)"))
    live.add_argument("--rtmp-vertical", action="append", metavar="URL", type=_checked("parse_rtmp_url", "--rtmp-vertical"),
                      help=_("also go live to this RTMP or RTMPS address from the vertical canvas (repeatable)"))
    live.add_argument("--vertical-canvas", default="1080x1920", type=_checked("parse_canvas", "--vertical-canvas"), help=_("size of the vertical canvas, e.g. 1080x1920"))
    live.add_argument("--connect", action="append", metavar="PLATFORM:ID", type=_checked("parse_connect"),
                      help=_("bring this platform's comments, viewer counts and orders into the show (repeatable): "
                             "youtube:BROADCAST_ID, twitch:CHANNEL, facebook:LIVE_VIDEO_ID, generic:NAME; credentials from "
                             "BRIDGECAST_<PLATFORM>_TOKEN or the secrets store"))
    live.add_argument("--rtmp-ca-file", type=_checked("check_input_file", "--rtmp-ca-file"), help=_("trust only this CA certificate file for RTMPS (default: the system's certificates)"))
    review = sub.add_parser("review", help=_("after a show: how the stream went (and the show's sales and comments)"))
    review.add_argument("stats", nargs="*", help=_("stats files (default: the newest show's)"))
    review.add_argument("--show-db", help=_("the live show's database (default: the app's)"))
    review.add_argument("--json", action="store_true")
    review.add_argument("--html", metavar="OUT", help=_("write the review as one self-contained HTML page"))
    review.add_argument("--pdf", metavar="OUT", help=_("write the review as a PDF"))
    review.add_argument("--csv", metavar="DIR", help=_("write timeline.csv, segments.csv and products.csv into DIR"))
    review.add_argument("--pin-window", type=_minutes_option, default=5, metavar="MIN",
                        help=_("count a product's orders within MIN minutes of its pin (default 5)"))
    review.add_argument("--compare", type=_count_option, default=5, metavar="N",
                        help=_("compare with the last N shows (default 5; 0: none)"))
    clips = sub.add_parser("clips", help=_("after a show: one vertical clip per pinned product, from the show's recording"))
    clips.add_argument("--show-db", help=_("the live show's database (default: the app's)"))
    clips.add_argument("--recording", required=True, type=_checked("check_input_file", "--recording"),
                       help=_("the show's recording (the .mkv Go live records)"))
    clips.add_argument("--out", required=True, metavar="DIR", help=_("folder for the clips (MP4) and their covers (JPEG)"))
    clips.add_argument("--max-seconds", type=_seconds_option, default=60.0, metavar="N",
                       help=_("longest clip in seconds; a longer pin is cut after N seconds (default 60)"))
    clips.add_argument("--locale", type=_checked("parse_locale"), help=_("the show's locale for prices (default: the app's)"))
    clips.add_argument("--region", choices=sorted(REGIONS), help=_("region style of the cards and covers (default: from the locale)"))
    clips.add_argument("--cover-template", metavar="ID|FILE", help=_("cover template id or cover file (default: the region's home template)"))
    clips.add_argument("--json", action="store_true")
    from ui.schedule_cli import add_schedule_parser

    add_schedule_parser(sub)
    sub.add_parser("cover", help=_("render, lint and batch-export cover images (see `bridgecast cover --help`)"), add_help=False)
    bench = sub.add_parser("bench", help=_("run a benchmark"))
    bench.add_argument("name")
    bench.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; whatever goes wrong ends as one line on stderr (see the module doc)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(argv)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`bridgecast devices | head -1`): nothing left to tell it.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except Exception as exc:  # noqa: BLE001 - the one place every command's failure becomes words
        return _report_failure(exc, argv)


def _report_failure(exc: Exception, argv: list[str]) -> int:
    """One ``error:`` line; for anything but a typed engine error, the traceback goes to the log."""
    from studio.core.errors import StudioError

    if isinstance(exc, StudioError):
        # Typed errors carry their reason in words already; a trace would add nothing for the user.
        headless = sys.modules.get("studio.headless")  # an OptionError exists only once it is imported
        is_usage = headless is not None and isinstance(exc, headless.OptionError)
        print(_("error: {reason}").format(reason=" ".join(str(exc).split())), file=sys.stderr)
        return EXIT_USAGE if is_usage else 1
    reason = _describe(exc)
    log_path = None
    try:
        from studio.core.paths import config_dir

        log_path = config_dir() / "logs" / CLI_LOG_NAME
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("a", encoding="utf-8") as handle:
            stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
            handle.write(f"--- {stamp} bridgecast {__version__}: {_command_shape(argv)}\n")
            handle.write("".join(traceback.format_exception(exc)))
    except Exception as log_exc:  # noqa: BLE001 - the report itself must not end in a trace
        print(_("error: {reason} (the details could not be saved to {log}: {problem})").format(
            reason=reason, log=log_path or _("the config folder"), problem=_describe(log_exc)), file=sys.stderr)
        return 1
    print(_("error: {reason} (details: {log})").format(reason=reason, log=log_path), file=sys.stderr)
    return 1


def _describe(exc: BaseException) -> str:
    """An unexpected exception in one line of words (the whole story is in the log)."""
    if isinstance(exc, OSError) and exc.strerror:
        if exc.filename:
            return _("{path}: {reason}").format(path=exc.filename, reason=exc.strerror)
        return exc.strerror
    lines = str(exc).strip().splitlines()
    if lines:
        return _("unexpected {kind}: {message}").format(kind=type(exc).__name__, message=lines[0])
    return _("unexpected {kind}").format(kind=type(exc).__name__)


def _command_shape(argv: list[str]) -> str:
    """The command and its option names for the log; values stay out (tokens, stream keys)."""
    command = next((arg for arg in argv if not arg.startswith("-")), "")
    options = [arg.split("=", 1)[0] for arg in argv if arg.startswith("-")]
    return " ".join(["bridgecast", command, *options]).replace("  ", " ")


def _run(argv: list[str]) -> int:
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
    if args.command == "schedule":
        from ui.schedule_cli import cmd_schedule

        return cmd_schedule(args)
    if args.command == "review":
        return cmd_review(args)
    if args.command == "clips":
        return cmd_clips(args)
    from ui.app import run_app

    return run_app([sys.argv[0], *argv])


def _settings_language() -> str | None:
    from studio.settings import load_settings

    settings, _warning = load_settings()
    return settings.language


if __name__ == "__main__":
    sys.exit(main())
