"""The Go-live dialog: which destinations a show goes out to, on which canvas, and how each is doing.

Opened from the destinations button beside "Go live".  Before the show each destination of
``settings.destinations`` is a row with a tick (go live on it), its platform and its canvas
(horizontal or vertical; a WHIP destination takes the horizontal one); while live each row
shows its own state in words (the failure's reason when it failed), bitrate, fps and
reconnects, with Stop / Start for that destination alone.  Start all / Stop all act on the
whole show.  Every command goes through :class:`~ui.golive.GoLiveController`, which does the
waiting (keyring, network) on worker threads; this view only reads in-memory stats snapshots.
Stream keys never appear here.
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from studio.settings import Destination, Settings, save_settings
from ui.destination_rows import STATE_COLOURS, canvas_text, figures, output_name, state_text
from ui.golive import CONNECTING, FAILED, IDLE, LIVE, RECONNECTING, STOPPING, GoLiveController
from ui.workers import run_in_background

log = logging.getLogger(__name__)

REFRESH_MS = 1000
COLUMN_ON, COLUMN_NAME, COLUMN_PLATFORM, COLUMN_CANVAS, COLUMN_STATE, COLUMN_BITRATE, COLUMN_FPS, COLUMN_RECONNECTS, COLUMN_ACTION = range(9)
RUNNING_STATES = ("connecting", "live", "reconnecting", "failed")


def platform_name(destination: Destination | None) -> str:
    """The preset's name for an RTMP destination ("WHIP" for a WHIP endpoint)."""
    if destination is None or destination.kind == "whip":
        return "WHIP"
    from studio.golive.platforms import get_preset

    return get_preset(destination.platform).name


class _Row:
    """One destination in the table: its settings (None for the rehearsal receiver) and, while
    live, its stats entry."""

    def __init__(self, key: str, destination: Destination | None, entry: dict[str, Any] | None) -> None:
        self.key = key
        self.destination = destination
        self.entry = entry

    @property
    def output_id(self) -> str:
        if self.entry is not None:
            return str(self.entry.get("id"))
        return self.destination.output_id if self.destination is not None else "whip"


class GoLiveDialog(QDialog):
    """Pick the destinations and their canvases; start, watch and stop them one by one or all at once."""

    destinations_changed = Signal()  # a tick or a canvas changed (settings saved)
    edit_requested = Signal()  # "Edit destinations…"

    def __init__(self, controller: GoLiveController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("goLiveDialog")
        self.controller = controller
        self.rows: list[_Row] = []
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("goLiveDialogStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, 9, self)
        self.table.setObjectName("goLiveDestinations")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMN_STATE, QHeaderView.ResizeMode.Stretch)
        self.hint_label = QLabel(self)
        self.hint_label.setObjectName("goLiveDialogHint")
        self.hint_label.setWordWrap(True)
        self.edit_button = QPushButton(self)
        self.edit_button.setObjectName("editDestinationsButton")
        self.edit_button.clicked.connect(self.edit_requested)
        self.start_all_button = QPushButton(self)
        self.start_all_button.setObjectName("startAllButton")
        self.start_all_button.clicked.connect(self.start_all)
        self.stop_all_button = QPushButton(self)
        self.stop_all_button.setObjectName("stopAllButton")
        self.stop_all_button.clicked.connect(self.stop_all)
        self.close_button = QPushButton(self)
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        buttons.addWidget(self.start_all_button)
        buttons.addWidget(self.stop_all_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.status_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint_label)
        layout.addLayout(buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        controller.changed.connect(self.refresh)
        controller.outputs_changed.connect(self.refresh)
        self.retranslate()
        self.resize(900, 380)

    @property
    def settings(self) -> Settings:
        return self.controller.settings

    # -- rows ------------------------------------------------------------------------------------------
    def _wanted_rows(self) -> list[_Row]:
        controller = self.controller
        outputs = controller.outputs() if controller.is_active or controller.state == STOPPING else []
        if not outputs:
            return [_Row(d.id, d, None) for d in self.settings.destinations]
        rows = []
        for entry in outputs:
            destination = self._destination_of(entry)
            rows.append(_Row(destination.id if destination is not None else str(entry.get("id")), destination, entry))
        return rows

    def _destination_of(self, entry: dict[str, Any]) -> Destination | None:
        if entry.get("kind") == "whip":
            if not entry.get("name"):
                return None  # the rehearsal receiver
            return next((d for d in self.settings.destinations if d.kind == "whip" and d.name == entry.get("name")), None)
        return next((d for d in self.settings.destinations if d.id == entry.get("id")), None)

    def row_of(self, name: str) -> int:
        """The table row of the destination called ``name`` (-1: none)."""
        return next((index for index, row in enumerate(self.rows) if self._row_name(row) == name), -1)

    def state_of(self, name: str) -> str:
        row = self.row_of(name)
        item = self.table.item(row, COLUMN_STATE) if row >= 0 else None
        return item.text() if item is not None else ""

    def action_button(self, name: str) -> QPushButton:
        return self.table.cellWidget(self.row_of(name), COLUMN_ACTION)  # type: ignore[return-value]

    def enabled_check(self, name: str) -> QCheckBox:
        return self.table.cellWidget(self.row_of(name), COLUMN_ON).findChild(QCheckBox)  # type: ignore[union-attr]

    def canvas_combo(self, name: str) -> QComboBox:
        return self.table.cellWidget(self.row_of(name), COLUMN_CANVAS)  # type: ignore[return-value]

    def _row_name(self, row: _Row) -> str:
        if row.destination is not None:
            return row.destination.name
        return output_name(row.entry or {"kind": "whip"})

    def _rebuild(self, rows: list[_Row]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            for column in (COLUMN_NAME, COLUMN_PLATFORM, COLUMN_STATE, COLUMN_BITRATE, COLUMN_FPS, COLUMN_RECONNECTS):
                self.table.setItem(index, column, QTableWidgetItem())
            holder = QWidget(self.table)
            check = QCheckBox(holder)
            check.setObjectName("destinationEnabledCheck")
            holder_layout = QHBoxLayout(holder)
            holder_layout.setContentsMargins(6, 0, 6, 0)
            holder_layout.addWidget(check, 0, Qt.AlignmentFlag.AlignCenter)
            check.toggled.connect(lambda is_on, key=row.key: self._set_enabled(key, is_on))
            self.table.setCellWidget(index, COLUMN_ON, holder)
            combo = QComboBox(self.table)
            combo.setObjectName("destinationCanvasCombo")
            combo.addItem(canvas_text("horizontal"), "horizontal")
            combo.addItem(canvas_text("vertical"), "vertical")
            combo.activated.connect(lambda _index, key=row.key, combo=combo: self._set_canvas(key, combo.currentData()))
            self.table.setCellWidget(index, COLUMN_CANVAS, combo)
            button = QPushButton(self.table)
            button.setObjectName("destinationActionButton")
            button.clicked.connect(lambda _checked=False, key=row.key: self._on_action(key))
            self.table.setCellWidget(index, COLUMN_ACTION, button)

    def refresh(self) -> None:
        rows = self._wanted_rows()
        if [row.key for row in rows] != [row.key for row in self.rows]:
            self._rebuild(rows)
        else:
            for old, new in zip(self.rows, rows):
                old.destination, old.entry = new.destination, new.entry
        controller = self.controller
        is_idle = not controller.is_active and controller.state != STOPPING
        for index, row in enumerate(self.rows):
            destination, entry = row.destination, row.entry
            self.table.item(index, COLUMN_NAME).setText(self._row_name(row))
            self.table.item(index, COLUMN_PLATFORM).setText(platform_name(destination))
            check = self.table.cellWidget(index, COLUMN_ON).findChild(QCheckBox)
            check.blockSignals(True)
            check.setChecked(destination.is_enabled if destination is not None else True)
            check.blockSignals(False)
            check.setEnabled(is_idle and destination is not None and not controller.is_busy)
            combo: QComboBox = self.table.cellWidget(index, COLUMN_CANVAS)  # type: ignore[assignment]
            canvas = (entry or {}).get("canvas") or (destination.canvas if destination is not None else "horizontal")
            combo.setCurrentIndex(max(0, combo.findData(canvas)))
            combo.setEnabled(is_idle and destination is not None and destination.kind == "rtmp")
            state_item = self.table.item(index, COLUMN_STATE)
            if entry is not None:
                text = state_text(entry)
                colour = STATE_COLOURS.get(str(entry.get("state")))
            else:
                text = self.tr("Goes live") if destination is not None and destination.is_enabled else self.tr("Not in this show")
                colour = None
            state_item.setText(text)
            state_item.setToolTip(text)
            state_item.setForeground(self.palette().text().color() if colour is None else _colour(colour))
            bitrate, fps, reconnects = figures(entry) if entry is not None else ("–", "–", "–")
            self.table.item(index, COLUMN_BITRATE).setText(bitrate)
            self.table.item(index, COLUMN_FPS).setText(fps)
            self.table.item(index, COLUMN_RECONNECTS).setText(reconnects)
            self._update_action(self.table.cellWidget(index, COLUMN_ACTION), row)  # type: ignore[arg-type]
        # Per-destination Stop / Start only while a show runs (the view re-shows hidden cell widgets).
        self.table.setColumnHidden(COLUMN_ACTION, is_idle)
        self.table.resizeRowsToContents()
        self._update_status()
        if controller.is_active and self.isVisible():
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()

    def _update_action(self, button: QPushButton, row: _Row) -> None:
        controller = self.controller
        entry = row.entry
        if entry is None or not controller.is_active:
            button.setText(self.tr("Stop"))
            button.setEnabled(False)
            return
        if row.output_id in controller.pending_outputs:
            button.setText(self.tr("Working…"))
            button.setEnabled(False)
        elif entry.get("state") == "stopped":
            button.setText(self.tr("Start"))
            button.setEnabled(not controller.is_busy)
        else:
            button.setText(self.tr("Stop"))
            button.setEnabled(not controller.is_busy)

    def _update_status(self) -> None:
        controller = self.controller
        state = controller.state
        enabled = [d for d in self.settings.destinations if d.is_enabled]
        whip_count = sum(1 for d in enabled if d.kind == "whip")
        hint = ""
        if state == IDLE or state == FAILED:
            if not enabled:
                hint = self.tr("No destination is ticked: Go live sends to the built-in rehearsal receiver.")
            elif whip_count > 1:
                hint = self.tr("Only one WHIP destination can go live at a time: untick all but one.")
            elif any(d.canvas == "vertical" for d in enabled):
                hint = self.tr("Vertical destinations get the 9:16 canvas; it is made when the show starts.")
        self.hint_label.setText(hint)
        self.hint_label.setVisible(bool(hint))
        if state == FAILED:
            status = self.tr("Not live: {reason}").format(reason=controller.failure_text or "")
            style = "color: #ff6b6b;"
        elif state == CONNECTING:
            status, style = self.tr("Connecting…"), ""
        elif state in (LIVE, RECONNECTING):
            outputs = [row.entry for row in self.rows if row.entry is not None]
            live = sum(1 for entry in outputs if entry.get("state") == "live")
            status = self.tr("Live on {live} of {total} destinations").format(live=live, total=len(outputs))
            style = "color: #3fb950; font-weight: bold;" if live else "color: #d29922; font-weight: bold;"
        elif state == STOPPING:
            status, style = self.tr("Stopping the stream…"), ""
        else:
            status, style = self.tr("Not live"), ""
        self.status_label.setText(status)
        self.status_label.setStyleSheet(style)
        is_running = controller.is_active
        has_stopped = any(row.entry is not None and row.entry.get("state") == "stopped" for row in self.rows)
        self.start_all_button.setEnabled(not controller.is_busy and state != STOPPING and (not is_running or has_stopped))
        self.start_all_button.setText(self.tr("Start all") if not is_running else self.tr("Start the stopped ones"))
        self.stop_all_button.setEnabled(is_running and state != STOPPING)

    # -- commands -------------------------------------------------------------------------------------
    def start_all(self) -> None:
        self.controller.start_all()
        self.refresh()

    def stop_all(self) -> None:
        self.controller.stop()
        self.refresh()

    def _on_action(self, key: str) -> None:
        row = next((row for row in self.rows if row.key == key), None)
        if row is None or row.entry is None:
            return
        if row.entry.get("state") == "stopped":
            self.controller.start_output(row.output_id)
        else:
            self.controller.stop_output(row.output_id)
        self.refresh()

    def _set_enabled(self, key: str, is_enabled: bool) -> None:
        self._update_destination(key, is_enabled=is_enabled)

    def _set_canvas(self, key: str, canvas: str) -> None:
        self._update_destination(key, canvas=canvas)

    def _update_destination(self, key: str, **changes: Any) -> None:
        if self.controller.is_active:
            return  # a show on air keeps what it started with
        destinations = list(self.settings.destinations)
        for index, destination in enumerate(destinations):
            if destination.id == key:
                destinations[index] = destination.model_copy(update=changes)
        self.settings.destinations = destinations
        snapshot = self.settings.model_copy(deep=True)
        run_in_background(lambda: save_settings(snapshot), lambda _result: None,
                          lambda error: log.warning("could not save settings: %s", error), receiver=self)
        self.destinations_changed.emit()
        self.refresh()

    # -- Qt ------------------------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        self.refresh()

    def hideEvent(self, event: Any) -> None:  # noqa: N802
        self._timer.stop()
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Go live"))
        self.intro.setText(self.tr("Tick the destinations to go live on. Each goes out on its own canvas; "
                                   "while live, stop or start one without touching the others."))
        self.table.setHorizontalHeaderLabels([
            self.tr("On"), self.tr("Destination"), self.tr("Platform"), self.tr("Canvas"), self.tr("State"),
            self.tr("Bitrate"), self.tr("FPS"), self.tr("Reconnects"), ""])
        self.edit_button.setText(self.tr("Edit destinations…"))
        self.stop_all_button.setText(self.tr("Stop all"))
        self.close_button.setText(self.tr("Close"))
        for index in range(self.table.rowCount()):
            combo = self.table.cellWidget(index, COLUMN_CANVAS)
            if isinstance(combo, QComboBox):
                for item in range(combo.count()):
                    combo.setItemText(item, canvas_text(combo.itemData(item)))
        self.refresh()


def _colour(name: str) -> Any:
    from PySide6.QtGui import QColor

    return QColor(name)
