"""The Schedule dialog over the real main window at 1366×768: opened from the View menu, it shows
each market's local start, prime time and score, takes team prime times, saves shows (conflicts)
and writes an invitation a calendar library reads back; bad input is said in words."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import icalendar
from PySide6.QtCore import QDateTime, QTime, QDate

from studio.schedule import store
from ui.schedule_dialog import PRIME_COLUMN, ScheduleDialog


def _open(window, qtbot) -> ScheduleDialog:
    window.resize(1366, 768)
    window.schedule_action.trigger()
    dialog = window.schedule_dialog
    qtbot.waitUntil(lambda: dialog.is_ready, timeout=10_000)
    return dialog


def _plan(dialog, day: QDate, hour: int, zone_key: str, codes: list[str]) -> None:
    dialog.zone_combo.setCurrentText(zone_key)
    dialog.set_markets(codes)
    dialog.start_edit.setDateTime(QDateTime(day, QTime(hour, 0)))


def test_the_dialog_plans_across_markets_and_dst(window, qtbot):
    dialog = _open(window, qtbot)
    assert dialog.isVisible() and window.schedule_action.text() == "&Schedule a show…"
    screen = window.screen().availableGeometry()
    assert dialog.frameGeometry().width() <= 1366 and dialog.frameGeometry().height() <= 768
    assert dialog.frameGeometry().width() <= screen.width() or screen.width() < 1366
    # 20:00 in Berlin on 20 March 2026: New York has sprung forward, Berlin not yet (five hours apart).
    _plan(dialog, QDate(2026, 3, 20), 20, "Europe/Berlin", ["DE", "US"])
    rows = {dialog.table.item(r, 0).text().split()[0]: [dialog.table.item(r, c).text() for c in range(4)] for r in range(dialog.table.rowCount())}
    assert "3:00" in rows["US"][1] and "GMT-04:00" in rows["US"][1]
    assert "8:00" in rows["DE"][1] and "GMT+01:00" in rows["DE"][1]
    assert rows["DE"][2] == "20:00-23:00" and rows["DE"][3].startswith("Yes")
    assert dialog.plan.score == 50 and "50/100" in dialog.score_label.text()
    assert "No conflict" in dialog.notes_label.text()


def test_bad_input_is_said_in_words_and_kept(window, qtbot):
    dialog = _open(window, qtbot)
    _plan(dialog, QDate(2026, 3, 29), 2, "Europe/Berlin", ["DE"])  # 02:00 does not exist that night
    assert "does not exist in Europe/Berlin" in dialog.problem_label.text() and dialog.plan is None
    dialog.start_edit.setDateTime(QDateTime(QDate(2026, 3, 29), QTime(20, 0)))
    assert dialog.problem_label.text() == "" and dialog.plan is not None
    dialog.zone_combo.setCurrentText("Mars/Base")
    assert "unknown time zone" in dialog.problem_label.text()
    dialog.zone_combo.setCurrentText("Europe/Berlin")
    dialog.set_markets([])
    assert "Tick at least one target market" in dialog.problem_label.text()
    dialog.set_markets(["DE"])
    prime = dialog.table.item(0, PRIME_COLUMN)
    prime.setText("8pm-11pm")
    assert "HH:MM-HH:MM" in dialog.problem_label.text()
    assert dialog.table.item(0, PRIME_COLUMN).text() == "8pm-11pm"  # what was typed stays to be corrected


def test_team_prime_times_shows_and_invitations_are_saved(window, qtbot, isolated_settings, tmp_path):
    dialog = _open(window, qtbot)
    _plan(dialog, QDate(2026, 11, 6), 20, "Asia/Bangkok", ["TH", "ID"])
    assert any("11.11 mega sale" in line for line in dialog.notes_label.text().splitlines())
    dialog.table.item(0, PRIME_COLUMN).setText("21:00-23:00")
    assert dialog.table.item(0, PRIME_COLUMN).text() == "21:00-23:00" and dialog.plan.slots[0].prime_minutes == 60
    dialog.save_prime_button.click()
    qtbot.waitUntil(lambda: "Prime times saved" in dialog.message_label.text(), timeout=10_000)
    saved = json.loads((isolated_settings / "schedule" / "prime_time.json").read_text(encoding="utf-8"))
    assert saved["windows"] == {"TH": ["21:00-23:00"]}

    dialog.save_show_button.click()
    assert "title" in dialog.problem_label.text()
    dialog.title_edit.setText("Payday, flash sale")
    dialog.save_show_button.click()
    qtbot.waitUntil(lambda: "Saved on the team's plan" in dialog.message_label.text(), timeout=10_000)
    assert [s.title for s in store.load_team_plan().shows] == ["Payday, flash sale"]
    assert "Conflicts with the team's other shows" in dialog.notes_label.text()  # now it is on the plan

    out = tmp_path / "payday.ics"
    dialog.export_invitation(out)
    qtbot.waitUntil(lambda: "Invitation written" in dialog.message_label.text(), timeout=10_000)
    event = next(iter(icalendar.Calendar.from_ical(out.read_text(encoding="utf-8")).walk("VEVENT")))
    assert event["DTSTART"].dt.astimezone(timezone.utc) == datetime(2026, 11, 6, 13, 0, tzinfo=timezone.utc)
    assert str(event["SUMMARY"]) == "Payday, flash sale"


def test_a_damaged_team_plan_is_said_and_left_alone(qtbot, window, isolated_settings):
    path = isolated_settings / "schedule" / "shows.json"
    path.parent.mkdir(parents=True)
    path.write_text("{broken", encoding="utf-8")
    dialog = _open(window, qtbot)
    assert "cannot be read" in dialog.message_label.text()
    dialog.title_edit.setText("Show")
    dialog.save_show_button.click()
    qtbot.waitUntil(lambda: "Not saved" in dialog.message_label.text(), timeout=10_000)
    assert path.read_text(encoding="utf-8") == "{broken"


def test_the_dialog_and_its_menu_entry_follow_the_ui_language(window, qtbot):
    from ui import i18n as ui_i18n

    dialog = _open(window, qtbot)
    _plan(dialog, QDate(2026, 11, 6), 20, "Asia/Bangkok", ["TH"])
    ui_i18n.switch_language("zh_CN")
    qtbot.waitUntil(lambda: dialog.windowTitle() == "跨市场安排直播", timeout=5_000)
    assert window.schedule_action.text() == "安排直播(&S)…"
    assert dialog.table.horizontalHeaderItem(1).text() == "当地开播时间"
    assert "泰国" in dialog.table.item(0, 0).text() and "2026年11月6日" in dialog.table.item(0, 1).text()
