"""``bridgecast schedule plan|ics``: a show's start in each target market, its prime-time score,
conflicts and festivals, and iCalendar invitations.  Every option is checked before anything runs
(a bad zone, market, start or duration: exit 2 with the reason in words)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

from studio.core.i18n import _

EXIT_USAGE = 2


def _typed(check: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        from studio.schedule.errors import ScheduleError

        try:
            return check(text)
        except ScheduleError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = getattr(check, "__name__", "value")
    return convert


def _zone_key(text: str) -> str:
    from studio.schedule.zones import zone

    zone(text)
    return text.strip()


def _markets(text: str) -> list:
    from studio.schedule.markets import parse_market_weights

    return parse_market_weights(text)


def _duration(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 1440:
        raise argparse.ArgumentTypeError(_("--duration takes whole minutes from 1 to 1440, not “{value}”").format(value=text))
    return int(text)


def _title(text: str) -> str:
    if not text.strip() or len(text.strip()) > 200:
        raise argparse.ArgumentTypeError(_("--title takes the show's title, 1 to 200 characters"))
    return text.strip()


def _out_file(text: str) -> Path:
    path = Path(text).expanduser()
    if path.is_dir() or not path.parent.is_dir():
        raise argparse.ArgumentTypeError(_("--out needs a file in an existing folder, not “{value}”").format(value=text))
    return path


def add_schedule_parser(sub: argparse._SubParsersAction) -> None:
    """The ``schedule`` command group on ``bridgecast``'s sub-parsers."""
    schedule = sub.add_parser("schedule", help=_("plan a show across markets: local start times, prime time, festivals, invitations"))
    actions = schedule.add_subparsers(dest="schedule_command", required=True, metavar="plan|ics")
    for name, words in (("plan", _("print each market's local start, prime time and the festivals within 7 days")),
                        ("ics", _("write an iCalendar (.ics) invitation for the show"))):
        parser = actions.add_parser(name, help=words)
        parser.add_argument("--start", required=True, help=_("the start as local date and time in --tz, e.g. 2026-11-11T20:00"))
        parser.add_argument("--tz", required=True, type=_typed(_zone_key), help=_("the IANA time zone of --start, e.g. Asia/Shanghai"))
        parser.add_argument("--markets", required=True, type=_typed(_markets),
                            help=_("target markets, e.g. TH,ID,VN or TH:2,ID (a weight in the score after the colon)"))
        parser.add_argument("--duration", type=_duration, default=120, metavar="MIN", help=_("length of the show in minutes (default 120)"))
        if name == "plan":
            parser.add_argument("--json", action="store_true")
            parser.add_argument("--save", action="store_true", help=_("also put the show on the team's plan (for conflicts), with --title"))
            parser.add_argument("--title", type=_title, help=_("the show's title"))
        else:
            parser.add_argument("--title", required=True, type=_title, help=_("the show's title"))
            parser.add_argument("--out", required=True, type=_out_file, help=_("the .ics file to write"))


def _warn(text: str) -> None:
    print(_("warning: {reason}").format(reason=text), file=sys.stderr)


def cmd_schedule(args: argparse.Namespace) -> int:
    from studio.schedule import store
    from studio.schedule.errors import ScheduleDataError, ScheduleError
    from studio.schedule.planner import plan_show
    from studio.schedule.report import plan_lines
    from studio.schedule.zones import parse_start

    try:
        start = parse_start(args.start, args.tz)
    except ScheduleError as exc:
        print(_("error: {reason}").format(reason=exc), file=sys.stderr)
        return EXIT_USAGE
    if args.schedule_command == "plan" and args.save and not args.title:
        print(_("error: {reason}").format(reason=_("--save needs --title")), file=sys.stderr)
        return EXIT_USAGE
    try:
        edits = store.load_prime_time_edits()
    except ScheduleDataError as exc:
        _warn(_("{reason}; the default prime times are used").format(reason=exc))
        edits = None
    try:
        team = store.load_team_plan()
    except ScheduleDataError as exc:
        _warn(_("{reason}; conflicts are not checked").format(reason=exc))
        team = None
    plan = plan_show(start.at, args.markets, args.duration, edits=edits, team=team, is_ambiguous=start.is_ambiguous)
    if args.schedule_command == "ics":
        from studio.schedule.ics import calendar_text, write_ics

        text = calendar_text(start.at, args.duration, args.title, args.tz, "\n".join(plan_lines(plan)))
        print(_("written to {path}").format(path=write_ics(args.out, text)))
        return 0
    if args.save:
        store.add_planned_show(store.PlannedShow(title=args.title, start=start.at, duration_min=args.duration,
                                                 markets=[m.code for m, _weight in args.markets]))
    if args.json:
        print(json.dumps(plan.to_json(), ensure_ascii=False))
    else:
        print("\n".join(plan_lines(plan)))
    if args.save:
        print(_("saved on the team's plan: {path}").format(path=store.team_plan_path()), file=sys.stderr if args.json else sys.stdout)
    return 0
