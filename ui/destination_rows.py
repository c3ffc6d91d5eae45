"""Per-destination health in words: one row per output of a running show.

A view of the ``outputs`` list of the go-live service's stats (``controller.stats()``, an
in-memory snapshot): each destination's name, canvas, state in words (the failure's reason
when it failed), bitrate, fps and reconnects.  Unknown figures read "unknown", never guessed.
Stream keys never reach these rows: the service gives names and masked addresses only.
Shared by the health dock and the Go-live dialog.
"""
from __future__ import annotations

from typing import Any, Iterable

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

CONTEXT = "DestinationRows"

STATE_COLOURS = {
    "live": "#3fb950",
    "recording": "#3fb950",
    "connecting": "#d29922",
    "reconnecting": "#d29922",
    "failed": "#ff6b6b",
}


def format_bitrate(bitrate_bps: float | None) -> str | None:
    if bitrate_bps is None:
        return None
    if bitrate_bps >= 1_000_000:
        return f"{bitrate_bps / 1_000_000:.2f} Mbit/s"
    return f"{bitrate_bps / 1000:.0f} kbit/s"


def output_name(entry: dict[str, Any]) -> str:
    """What the host calls the output (the rehearsal receiver and the recording have no name of their own)."""
    if entry.get("kind") == "record":
        return QCoreApplication.translate(CONTEXT, "Recording")
    if entry.get("kind") == "whip" and not entry.get("name"):
        return QCoreApplication.translate(CONTEXT, "Rehearsal (built-in)")
    return str(entry.get("name") or entry.get("id") or "")


def canvas_text(canvas: str | None) -> str:
    if canvas == "vertical":
        return QCoreApplication.translate(CONTEXT, "Vertical 9:16")
    return QCoreApplication.translate(CONTEXT, "Horizontal 16:9")


def state_text(entry: dict[str, Any] | None) -> str:
    """The output's state in words; a failure carries its reason."""
    if entry is None:
        return QCoreApplication.translate(CONTEXT, "Not live")
    state = str(entry.get("state") or "")
    error = entry.get("error")
    if state == "failed":
        reason = error or QCoreApplication.translate(CONTEXT, "unknown reason")
        return QCoreApplication.translate(CONTEXT, "Failed: {reason}").format(reason=reason)
    labels = {
        "connecting": QCoreApplication.translate(CONTEXT, "Connecting…"),
        "live": QCoreApplication.translate(CONTEXT, "Live"),
        "reconnecting": QCoreApplication.translate(CONTEXT, "Reconnecting…"),
        "stopped": QCoreApplication.translate(CONTEXT, "Stopped"),
        "recording": QCoreApplication.translate(CONTEXT, "Recording"),
    }
    text = labels.get(state, state or QCoreApplication.translate(CONTEXT, "unknown"))
    if state == "reconnecting" and error:
        text = QCoreApplication.translate(CONTEXT, "Reconnecting… ({reason})").format(reason=error)
    return text


def figures(entry: dict[str, Any] | None) -> tuple[str, str, str]:
    """(bitrate, fps, reconnects) as shown; "unknown" where the output does not say."""
    unknown = QCoreApplication.translate(CONTEXT, "unknown")
    if entry is None or entry.get("state") not in ("live", "reconnecting", "connecting", "recording"):
        return "–", "–", str(entry.get("reconnects") or 0) if entry else "–"
    bitrate = format_bitrate(entry.get("bitrate_bps")) or unknown
    fps = f"{entry['fps']:.1f}" if entry.get("fps") is not None else unknown
    reconnects = entry.get("reconnects")
    return bitrate, fps, str(reconnects) if reconnects is not None else unknown


def destination_outputs(stats: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The destinations of a running show (the recording left out)."""
    return [entry for entry in (stats or {}).get("outputs") or [] if entry.get("kind") != "record"]


class OutputsTable(QTableWidget):
    """One row per output: destination, canvas, state in words, bitrate, fps, reconnects."""

    COLUMNS = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, self.COLUMNS, parent)
        self.setObjectName("outputsTable")
        self.verticalHeader().hide()
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.retranslate()

    def row_of(self, output_id: str) -> int:
        for row in range(self.rowCount()):
            item = self.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == output_id:
                return row
        return -1

    def show_outputs(self, entries: Iterable[dict[str, Any]]) -> None:
        entries = list(entries)
        self.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            bitrate, fps, reconnects = figures(entry)
            texts = (output_name(entry), canvas_text(entry.get("canvas")), state_text(entry), bitrate, fps, reconnects)
            for column, text in enumerate(texts):
                item = self.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.setItem(row, column, item)
                item.setText(text)
            self.item(row, 0).setData(Qt.ItemDataRole.UserRole, entry.get("id"))
            state_item = self.item(row, 2)
            state_item.setToolTip(state_text(entry))
            colour = STATE_COLOURS.get(str(entry.get("state")))
            state_item.setForeground(QColor(colour) if colour else self.palette().text().color())

    def retranslate(self) -> None:
        self.setHorizontalHeaderLabels([
            QCoreApplication.translate(CONTEXT, "Destination"), QCoreApplication.translate(CONTEXT, "Canvas"),
            QCoreApplication.translate(CONTEXT, "State"), QCoreApplication.translate(CONTEXT, "Bitrate"),
            QCoreApplication.translate(CONTEXT, "FPS"), QCoreApplication.translate(CONTEXT, "Reconnects")])
