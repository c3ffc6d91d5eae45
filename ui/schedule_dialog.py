"""The Schedule dialog: plan a show across markets (a view over ``studio.schedule``).

The shipped data, the team's plan and the prime-time edits are read on a pool thread when the
dialog opens; after that every change re-plans from memory (no disk on the GUI thread), and saving a
show, the prime times or an invitation goes back to a pool thread.  Bad input is said in words next
to the form; nothing typed is thrown away.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, QEvent, QObject, Qt, QTime, QTimeZone
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QComboBox, QDateTimeEdit, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QMainWindow, QMenu, QPushButton, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from studio.core.errors import StudioError
from studio.schedule import store
from studio.schedule.errors import ScheduleDataError, ScheduleError
from studio.schedule.festivals import load_festivals
from studio.schedule.formatting import format_local
from studio.schedule.markets import TimeWindow, load_markets
from studio.schedule.planner import ShowPlan, plan_show
from studio.schedule.report import conflict_lines, festival_lines, market_name, plan_lines
from studio.schedule.zones import parse_start, zone_names
from ui.workers import run_in_background

DEFAULT_MARKETS = ("TH", "ID", "VN", "MY", "PH")
PRIME_COLUMN = 2


def _load_everything() -> tuple[store.TeamPlan | None, store.PrimeTimeEdits | None, list[str]]:
    """On a pool thread: the shipped data (cached for the dialog's re-plans) and the team's files."""
    zone_names(), load_markets(), load_festivals()
    problems: list[str] = []
    team = edits = None
    try:
        team = store.load_team_plan()
    except ScheduleDataError as exc:
        problems.append(str(exc))
    try:
        edits = store.load_prime_time_edits()
    except ScheduleDataError as exc:
        problems.append(str(exc))
    return team, edits, problems


class ScheduleDialog(QDialog):
    """Start, zone, markets and length in; each market's local start, prime time, the score,
    conflicts and festivals out; save the show on the team's plan or export an invitation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scheduleDialog")
        self.plan: ShowPlan | None = None
        self.team: store.TeamPlan | None = None
        self.edits = store.PrimeTimeEdits()
        self.is_ready = False
        self._filling = False

        self.start_edit = QDateTimeEdit(self)
        self.start_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.start_edit.setCalendarPopup(True)
        tomorrow = QDateTime.currentDateTime().addDays(1)
        self.start_edit.setDateTime(QDateTime(tomorrow.date(), QTime(20, 0)))
        self.zone_combo = QComboBox(self)
        self.zone_combo.setEditable(True)
        self.duration_spin = QSpinBox(self)
        self.duration_spin.setRange(1, 24 * 60)
        self.duration_spin.setValue(120)
        self.title_edit = QLineEdit(self)
        self.market_list = QListWidget(self)
        self.market_list.setMaximumHeight(150)
        self.score_label = QLabel(self)
        self.problem_label = QLabel(self)
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b00020;")
        self.table = QTableWidget(0, 4, self)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.notes_label = QLabel(self)
        self.notes_label.setWordWrap(True)
        self.notes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)

        self.save_show_button = QPushButton(self)
        self.export_button = QPushButton(self)
        self.save_prime_button = QPushButton(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        for button in (self.save_show_button, self.export_button, self.save_prime_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
            button.setEnabled(False)

        self.form = QFormLayout()
        self.form_labels = [QLabel(self) for _field in range(4)]
        for label, field in zip(self.form_labels, (self.start_edit, self.zone_combo, self.duration_spin, self.title_edit)):
            self.form.addRow(label, field)
        top = QHBoxLayout()
        top.addLayout(self.form, 3)
        top.addWidget(self.market_list, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.score_label)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notes_label)
        layout.addWidget(self.message_label)
        layout.addWidget(buttons)

        self.start_edit.dateTimeChanged.connect(self.replan)
        self.zone_combo.currentTextChanged.connect(self.replan)
        self.duration_spin.valueChanged.connect(self.replan)
        self.market_list.itemChanged.connect(self.replan)
        self.table.itemChanged.connect(self._on_prime_edited)
        self.save_show_button.clicked.connect(self.save_show)
        self.export_button.clicked.connect(lambda: self.export_invitation())
        self.save_prime_button.clicked.connect(self.save_prime_times)
        self.retranslate()
        self.resize(860, 600)
        run_in_background(_load_everything, self._on_loaded, self._on_load_failed, receiver=self)

    # -- loading ----------------------------------------------------------------------------------
    def _on_loaded(self, loaded: tuple[store.TeamPlan | None, store.PrimeTimeEdits | None, list[str]]) -> None:
        self.team, edits, problems = loaded
        self.edits = edits or store.PrimeTimeEdits()
        system_zone = bytes(QTimeZone.systemTimeZoneId().data()).decode() or "UTC"
        zones = sorted({m.zone_key for m in load_markets().values()} | {"UTC", system_zone})
        self.zone_combo.blockSignals(True)
        self.zone_combo.addItems(zones)
        self.zone_combo.setCurrentText(system_zone)
        self.zone_combo.blockSignals(False)
        self.market_list.blockSignals(True)
        for code in load_markets():
            item = QListWidgetItem(f"{code} {market_name(code)}", self.market_list)
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if code in DEFAULT_MARKETS else Qt.CheckState.Unchecked)
        self.market_list.blockSignals(False)
        self.is_ready = True
        for button in (self.save_show_button, self.export_button, self.save_prime_button):
            button.setEnabled(True)
        self.message_label.setText("\n".join(problems))
        self.replan()

    def _on_load_failed(self, error: BaseException) -> None:
        self.problem_label.setText(str(error) if isinstance(error, StudioError) else self.tr("The schedule data cannot be read: {reason}").format(reason=error))

    # -- planning ---------------------------------------------------------------------------------
    def chosen_markets(self) -> list[str]:
        return [self.market_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.market_list.count())
                if self.market_list.item(i).checkState() == Qt.CheckState.Checked]

    def set_markets(self, codes: list[str]) -> None:
        for i in range(self.market_list.count()):
            item = self.market_list.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in codes else Qt.CheckState.Unchecked)

    def _start_text(self) -> str:
        return self.start_edit.dateTime().toString("yyyy-MM-ddTHH:mm")

    def replan(self, *_args: Any) -> None:
        if not self.is_ready:
            return
        markets = load_markets()
        try:
            codes = self.chosen_markets()
            if not codes:
                raise ScheduleError(self.tr("Tick at least one target market."))
            start = parse_start(self._start_text(), self.zone_combo.currentText().strip())
            self.plan = plan_show(start.at, [(markets[c], 1.0) for c in codes], self.duration_spin.value(),
                                  edits=self.edits, team=self.team, is_ambiguous=start.is_ambiguous)
        except ScheduleError as exc:
            self.plan = None
            self.problem_label.setText(str(exc))
            self.score_label.clear()
            self.table.setRowCount(0)
            self.notes_label.clear()
            return
        self.problem_label.clear()
        self._show_plan(self.plan)

    def _show_plan(self, plan: ShowPlan) -> None:
        self.score_label.setText(self.tr("Score: {score}/100 — how much of each market's prime time the show hits").format(score=plan.score))
        self._filling = True
        self.table.setRowCount(len(plan.slots))
        for row, slot in enumerate(plan.slots):
            in_prime = self.tr("Yes") if slot.is_start_in_prime else self.tr("No")
            cells = [f"{slot.market.code} {market_name(slot.market.code)}", format_local(slot.local_start),
                     ", ".join(str(w) for w in slot.windows),
                     self.tr("{answer} ({minutes} of {duration} min)").format(answer=in_prime, minutes=slot.prime_minutes, duration=plan.duration_min)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, slot.market.code)
                if column == PRIME_COLUMN:
                    item.setToolTip(self.tr("Your team's hours") if slot.is_team_window else self.tr("Default, from: {source}").format(source=slot.market.source))
                else:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self._filling = False
        self.notes_label.setText("\n".join(conflict_lines(plan) + festival_lines(plan)))

    def _on_prime_edited(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != PRIME_COLUMN:
            return
        code = item.data(Qt.ItemDataRole.UserRole)
        texts = [part.strip() for part in item.text().split(",") if part.strip()]
        try:
            for text in texts:
                TimeWindow.parse(text)
        except ScheduleError as exc:
            self.problem_label.setText(str(exc))
            return  # the cell keeps what was typed so it can be corrected
        windows = dict(self.edits.windows)
        if texts:
            windows[code] = texts
        else:
            windows.pop(code, None)  # an emptied cell goes back to the default hours
        self.edits = store.PrimeTimeEdits(windows=windows)
        self.replan()

    # -- saving -----------------------------------------------------------------------------------
    def save_show(self) -> None:
        title = self.title_edit.text().strip()
        if self.plan is None:
            return
        if not title:
            self.problem_label.setText(self.tr("Give the show a title to save it on the team's plan."))
            return
        show = store.PlannedShow(title=title, start=self.plan.start, duration_min=self.plan.duration_min,
                                 markets=[s.market.code for s in self.plan.slots])
        run_in_background(lambda: store.add_planned_show(show), self._on_show_saved, self._on_save_failed, receiver=self)

    def _on_show_saved(self, team: store.TeamPlan) -> None:
        self.team = team
        self.message_label.setText(self.tr("Saved on the team's plan."))
        self.replan()

    def _on_save_failed(self, error: BaseException) -> None:
        reason = str(error) if isinstance(error, StudioError) else (getattr(error, "strerror", None) or str(error))
        self.message_label.setText(self.tr("Not saved: {reason}").format(reason=reason))

    def save_prime_times(self) -> None:
        edits = self.edits
        run_in_background(lambda: store.save_prime_time_edits(edits), self._on_prime_saved, self._on_save_failed, receiver=self)

    def _on_prime_saved(self, kept: Path | None) -> None:
        text = self.tr("Prime times saved.")
        if kept is not None:
            text += " " + self.tr("The unreadable earlier file was kept as {path}.").format(path=kept)
        self.message_label.setText(text)

    def export_invitation(self, path: Path | None = None) -> None:
        """Write the show as an .ics invitation (asks where unless ``path`` is given)."""
        title = self.title_edit.text().strip()
        if self.plan is None:
            return
        if not title:
            self.problem_label.setText(self.tr("Give the show a title for the invitation."))
            return
        if path is None:
            chosen, _filter = QFileDialog.getSaveFileName(self, self.tr("Export invitation"), f"{title}.ics", self.tr("Calendar files (*.ics)"))
            if not chosen:
                return
            path = Path(chosen)
        from studio.schedule.ics import calendar_text, write_ics

        plan, zone_key = self.plan, self.zone_combo.currentText().strip()
        description = "\n".join(plan_lines(plan))
        try:
            text = calendar_text(plan.start, plan.duration_min, title, zone_key, description)
        except ScheduleError as exc:
            self.problem_label.setText(str(exc))
            return
        run_in_background(lambda: write_ics(path, text),
                          lambda written: self.message_label.setText(self.tr("Invitation written to {path}").format(path=written)),
                          self._on_save_failed, receiver=self)

    # -- language ---------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Schedule a show across markets"))
        for label, text in zip(self.form_labels, (self.tr("Start (local time)"), self.tr("Time zone"), self.tr("Length"), self.tr("Title"))):
            label.setText(text)
        self.duration_spin.setSuffix(self.tr(" min"))
        self.market_list.setToolTip(self.tr("Target markets"))
        self.table.setHorizontalHeaderLabels([self.tr("Market"), self.tr("Local start"), self.tr("Prime time (editable)"),
                                              self.tr("Starts in prime time")])
        self.save_show_button.setText(self.tr("Save on the team's plan"))
        self.export_button.setText(self.tr("Export invitation (.ics)…"))
        self.save_prime_button.setText(self.tr("Save prime times"))
        if self.plan is not None:
            self.replan()


class _MenuTitle(QObject):
    """Keeps the menu entry's words in the UI language (retitled on the window's LanguageChange)."""

    def __init__(self, action: QAction, window: QMainWindow) -> None:
        super().__init__(action)
        self._action = action
        window.installEventFilter(self)
        self.retitle()

    def retitle(self) -> None:
        self._action.setText(self.tr("&Schedule a show…"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retitle()
        return False


def add_schedule_action(window: QMainWindow, menu: QMenu) -> QAction:
    """The main window's menu entry that opens the (one) Schedule dialog."""
    action = QAction(window)
    action.setObjectName("scheduleAction")
    _MenuTitle(action, window)

    def open_dialog() -> None:
        dialog = getattr(window, "schedule_dialog", None)
        if dialog is None:
            dialog = window.schedule_dialog = ScheduleDialog(window)
        dialog.show()
        dialog.raise_()

    action.triggered.connect(open_dialog)
    menu.addAction(action)
    return action
