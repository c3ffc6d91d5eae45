"""`bridgecast schedule plan|ics`: local starts per market, prime time, festivals, conflicts, valid
.ics files; every bad option refused up front with exit 2 and words, never a traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import icalendar
import pytest

ROOT = Path(__file__).resolve().parent.parent


def schedule(*args: str, language: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if language:
        config = Path(env["BRIDGECAST_CONFIG_DIR"])
        (config / "settings.json").write_text(json.dumps({"language": language}), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "ui.cli", "schedule", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_plan_prints_each_markets_local_start_prime_time_and_festivals():
    result = schedule("plan", "--start", "2026-11-06T20:00", "--tz", "Asia/Bangkok", "--markets", "TH,ID,US")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Score: 67/100")
    # CLDR puts a narrow no-break space before "PM".
    assert any(line.startswith("TH Thailand: Fri, Nov 6, 2026, 8:00\u202fPM (GMT+07:00) — in prime time") for line in lines)
    assert any(line.startswith("US United States: Fri, Nov 6, 2026, 8:00\u202fAM (GMT-05:00) — outside prime time") for line in lines)
    assert any("11.11 mega sale (TH, ID)" in line and "in 5 days" in line for line in lines)


def test_plan_json_across_the_eu_switch():
    result = schedule("plan", "--start", "2026-03-28T21:00", "--tz", "Asia/Shanghai", "--markets", "DE,US:2", "--json", "--duration", "60")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    by_code = {m["code"]: m for m in plan["markets"]}
    assert by_code["DE"]["local_start"] == "2026-03-28T14:00:00+01:00"
    assert by_code["US"]["local_start"] == "2026-03-28T09:00:00-04:00"
    assert by_code["US"]["weight"] == 2.0 and plan["score"] == 0
    assert plan["festival_years_not_covered"] == []


def test_saved_shows_become_conflicts_for_the_next_plan():
    first = schedule("plan", "--start", "2026-12-10T20:00", "--tz", "Asia/Jakarta", "--markets", "ID", "--save", "--title", "Payday sale")
    assert first.returncode == 0, first.stderr
    second = schedule("plan", "--start", "2026-12-10T21:30", "--tz", "Asia/Singapore", "--markets", "SG", "--json")
    conflicts = json.loads(second.stdout)["conflicts"]
    assert [c["title"] for c in conflicts] == ["Payday sale"]


def test_ics_writes_a_calendar_a_library_reads_back(tmp_path):
    out = tmp_path / "show.ics"
    result = schedule("ics", "--start", "2026-10-25T02:30", "--tz", "Europe/Berlin", "--markets", "DE,GB,BR",
                      "--duration", "45", "--title", "Night owls; 50% off", "--out", str(out))
    assert result.returncode == 0, result.stderr
    event = next(iter(icalendar.Calendar.from_ical(out.read_text(encoding="utf-8")).walk("VEVENT")))
    assert event["DTSTART"].dt.astimezone(timezone.utc) == datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)
    assert str(event["SUMMARY"]) == "Night owls; 50% off"
    assert "BR Brazil" in str(event["DESCRIPTION"]) and "happens twice" in str(event["DESCRIPTION"])


def test_words_follow_the_operators_language():
    result = schedule("plan", "--start", "2026-11-06T20:00", "--tz", "Asia/Bangkok", "--markets", "TH", language="zh_CN")
    assert result.returncode == 0, result.stderr
    assert "泰国" in result.stdout and "2026年11月6日" in result.stdout and "Score" not in result.stdout


@pytest.mark.parametrize(("args", "words"), [
    (["--start", "2026-11-06T20:00", "--tz", "Mars/Base", "--markets", "TH"], "unknown time zone “Mars/Base”"),
    (["--start", "2026-11-06T20:00", "--tz", "Asia/Bangkok", "--markets", "TH,XX"], "unknown market “XX”"),
    (["--start", "next friday", "--tz", "Asia/Bangkok", "--markets", "TH"], "--start takes a local date and time"),
    (["--start", "2026-03-29T02:30", "--tz", "Europe/Berlin", "--markets", "DE"], "does not exist in Europe/Berlin"),
    (["--start", "2026-11-06T20:00", "--tz", "Asia/Bangkok", "--markets", "TH", "--duration", "0"], "--duration takes whole minutes"),
    (["--start", "2026-11-06T20:00", "--tz", "Asia/Bangkok", "--markets", "TH", "--save"], "--save needs --title"),
])
def test_bad_options_exit_2_with_words(args, words):
    result = schedule("plan", *args)
    assert result.returncode == 2
    assert words in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_ics_refuses_a_blank_title_up_front(tmp_path):
    result = schedule("ics", "--start", "2026-11-06T20:00", "--tz", "Asia/Bangkok", "--markets", "TH", "--title", "  ",
                      "--out", str(tmp_path / "x.ics"))
    assert result.returncode == 2 and "--title takes the show's title" in result.stderr
    assert not (tmp_path / "x.ics").exists()


def test_ics_refuses_a_folder_that_does_not_exist(tmp_path):
    result = schedule("ics", "--start", "2026-11-06T20:00", "--tz", "Asia/Bangkok", "--markets", "TH", "--title", "x",
                      "--out", str(tmp_path / "missing" / "x.ics"))
    assert result.returncode == 2 and "--out needs a file in an existing folder" in result.stderr


def test_a_damaged_team_plan_is_a_warning_and_stays_as_it_was(isolated_settings):
    path = isolated_settings / "schedule" / "shows.json"
    path.parent.mkdir(parents=True)
    path.write_text("{broken", encoding="utf-8")
    result = schedule("plan", "--start", "2026-11-06T20:00", "--tz", "Asia/Bangkok", "--markets", "TH")
    assert result.returncode == 0
    assert "conflicts are not checked" in result.stderr and "Traceback" not in result.stderr
    assert path.read_text(encoding="utf-8") == "{broken"
