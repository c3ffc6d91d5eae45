"""Invite posters for every inviter of a show (the cover designer draws them).

``write_invite_posters(show.referrals, folder, …)`` for a running show (the Live panel calls it
on its command thread), or from the command line for a show database (read-only, so a show on
air keeps running)::

    python -m studio.live.referral_posters SHOW_DB FOLDER [--start 2026-12-24T20:00+08:00]
        [--tz Asia/Jakarta] [--locale id_ID] [--region sea] [--preset generic_9x16]
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cover_designer.errors import CoverError
from cover_designer.invite_poster import DEFAULT_PRESET, Invite, PosterResult, write_posters
from studio.core.errors import StudioError
from studio.core.i18n import _
from studio.live.errors import LiveError


def invites_of(inviters: Iterable[dict[str, Any]]) -> list[Invite]:
    """The posters' view of the ledger's inviters (public JSON: code, name or viewer, link)."""
    return [Invite(code=i["code"], name=i.get("name") or i["viewer"], link=i.get("link", "")) for i in inviters]


def write_invite_posters(referrals: Any, folder: str | Path, locale: str = "en_US", region: str | None = None,
                         start: datetime | None = None, time_zone: str = "UTC",
                         preset: str = DEFAULT_PRESET) -> list[PosterResult]:
    """One poster per inviter of ``referrals`` (a :class:`~studio.live.referrals.Referrals`) into ``folder``."""
    inviters = referrals.to_json()["inviters"]
    if not inviters:
        raise LiveError(_("No inviter has an invite code yet."))
    try:
        return write_posters(invites_of(inviters), folder, locale, region, start, time_zone, preset)
    except CoverError as exc:
        raise LiveError(exc.message) from None


def _start(text: str | None, zone: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise LiveError(_("“{value}” is not a date and time like 2026-12-24T20:00+08:00.").format(value=text)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studio.live.referral_posters",
                                     description=_("Write an invite poster for every inviter of a show."))
    parser.add_argument("show_db")
    parser.add_argument("folder")
    parser.add_argument("--start", help=_("the show's start, e.g. 2026-12-24T20:00+08:00"))
    parser.add_argument("--tz", default="UTC", help=_("the invitees' time zone, e.g. Asia/Jakarta"))
    parser.add_argument("--locale", default="en_US")
    parser.add_argument("--region")
    parser.add_argument("--preset", default=DEFAULT_PRESET)
    args = parser.parse_args(argv)
    from studio.review.sources import ReviewError, read_journal

    try:
        ZoneInfo(args.tz)
    except (ZoneInfoNotFoundError, ValueError):
        print(_("Unknown time zone “{zone}”.").format(zone=args.tz), file=sys.stderr)
        return 2
    try:
        _journal, state = read_journal(args.show_db)
        inviters = list(((state.get("referrals") or {}).get("inviters") or {}).values())
        if not inviters:
            raise LiveError(_("No inviter has an invite code yet."))
        results = write_posters(invites_of(inviters), args.folder, args.locale, args.region, _start(args.start, args.tz),
                                args.tz, args.preset)
    except (StudioError, CoverError, ReviewError) as exc:
        print(getattr(exc, "message", str(exc)), file=sys.stderr)
        return 1
    for result in results:
        print(result.path if result.path else f"{result.code}: {result.error}", file=sys.stdout if result.path else sys.stderr)
    return 0 if all(result.path for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
