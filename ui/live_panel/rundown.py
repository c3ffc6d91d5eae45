"""The Live panel's Run-of-show tab: the segment on air, its timer and talking points; advance, load a plan."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ui.icons import icon
from ui.live_panel.controller import LivePanelController
from ui.live_panel.models import PINNED_BRUSH, clock_text


class RunOfShowPage(QWidget):
    """The plan as a list (the segment on air highlighted), its timer (red in overtime) and
    talking points.  Ctrl+Enter advances from any tab: the dock owns that shortcut."""

    def __init__(self, controller: LivePanelController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.live = controller.live
        layout = QVBoxLayout(self)
        self.segment_label = QLabel(self)
        self.segment_label.setObjectName("segmentLabel")
        font = self.segment_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.segment_label.setFont(font)
        layout.addWidget(self.segment_label)
        self.segment_timer_label = QLabel(self)
        self.segment_timer_label.setObjectName("segmentTimer")
        layout.addWidget(self.segment_timer_label)
        self.segment_bar = QProgressBar(self)
        self.segment_bar.setTextVisible(False)
        layout.addWidget(self.segment_bar)
        self.talking_points_label = QLabel(self)
        self.talking_points_label.setWordWrap(True)
        layout.addWidget(self.talking_points_label)
        self.segment_list = QListWidget(self)
        self.segment_list.setObjectName("segmentList")
        layout.addWidget(self.segment_list, 1)
        row = QHBoxLayout()
        self.advance_button = QPushButton(self)
        self.advance_button.setIcon(icon("next"))  # points left in a right-to-left UI
        self.advance_button.clicked.connect(self.advance)
        self.load_plan_button = QPushButton(self)
        self.load_plan_button.clicked.connect(self.choose_plan)
        row.addWidget(self.advance_button)
        row.addWidget(self.load_plan_button)
        row.addStretch(1)
        layout.addLayout(row)
        controller.snapshot_changed.connect(self.present)
        self.retranslate()

    def advance(self) -> None:
        self.controller.run_command(self.live.rundown.advance)

    def choose_plan(self) -> None:
        dialog = QFileDialog(self, self.tr("Load run-of-show"), str(Path.home()), self.tr("Show plans (*.json)"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.load_plan)
        dialog.open()

    def load_plan(self, path: str | Path) -> None:
        def read_and_set() -> Any:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return self.live.rundown.set(data.get("segments", data) if isinstance(data, dict) else data)
        self.controller.run_command(read_and_set)

    def present(self, snapshot: dict[str, Any]) -> None:
        plan = snapshot.get("plan", [])
        segment = snapshot.get("segment")
        current = segment["index"] if segment else -1
        if self.segment_list.count() != len(plan) or any(
                self.segment_list.item(i).data(Qt.ItemDataRole.UserRole) != s["name"] for i, s in enumerate(plan)):
            self.segment_list.clear()
            for seg in plan:
                item = QListWidgetItem(f"{seg['name']}  ({clock_text(seg['planned_s'])})")
                item.setData(Qt.ItemDataRole.UserRole, seg["name"])
                self.segment_list.addItem(item)
        for i in range(self.segment_list.count()):
            item = self.segment_list.item(i)
            item.setBackground(PINNED_BRUSH if i == current else QBrush())
            font = item.font()
            font.setBold(i == current)
            item.setFont(font)
        if segment is None:
            self.segment_label.setText(self.tr("Not started") if plan else self.tr("No run-of-show loaded"))
            self.segment_timer_label.setText("")
            self.segment_bar.setValue(0)
            self.talking_points_label.setText("")
            return
        self.segment_label.setText(self.tr("{number}/{count} {name}").format(number=segment["index"] + 1, count=segment["count"], name=segment["name"]))
        if segment["is_overtime"]:
            timing = self.tr("Elapsed {elapsed} · overtime {over}").format(elapsed=clock_text(segment["elapsed_s"]), over=clock_text(-segment["remaining_s"]))
            self.segment_timer_label.setStyleSheet("color: #ff6b6b; font-weight: bold;")
        else:
            timing = self.tr("Elapsed {elapsed} · remaining {remaining}").format(elapsed=clock_text(segment["elapsed_s"]), remaining=clock_text(segment["remaining_s"]))
            self.segment_timer_label.setStyleSheet("")
        self.segment_timer_label.setText(timing)
        self.segment_bar.setRange(0, max(1, int(segment["planned_s"])))
        self.segment_bar.setValue(min(int(segment["planned_s"]), int(segment["elapsed_s"])))
        self.talking_points_label.setText("\n".join(f"• {p}" for p in segment["talking_points"]))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.advance_button.setText(self.tr("Advance (Ctrl+Enter)"))
        self.load_plan_button.setText(self.tr("Load plan…"))
        if self.controller.snapshot:
            self.present(self.controller.snapshot)
        else:
            self.segment_label.setText(self.tr("No run-of-show loaded"))
