"""The Live panel's Referrals page: the leaderboard, the rewards waiting for the host (held ones
with their reason), Grant / Hold, invite codes, the leaderboard card and the ledger export."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from studio.core.i18n import ngettext
from ui.live_panel.controller import LivePanelController
from ui.live_panel.referrals_controller import ReferralsController

OPEN_STATES = ("held", "vesting", "vested")  # rewards the host may still grant or hold


class ReferralsPage(QWidget):
    """A view of :class:`ReferralsController`; holds no referral state of its own."""

    def __init__(self, panel: LivePanelController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.referrals = ReferralsController(panel, self)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.viewer_edit = QLineEdit(self)
        self.viewer_edit.returnPressed.connect(self.add_inviter)
        self.add_button = QPushButton(self)
        self.add_button.clicked.connect(self.add_inviter)
        row.addWidget(self.viewer_edit, 1)
        row.addWidget(self.add_button)
        layout.addLayout(row)
        row = QHBoxLayout()
        self.board_box = QCheckBox(self)
        self.board_box.clicked.connect(self.referrals.show_board)
        self.export_button = QPushButton(self)
        self.export_button.clicked.connect(self.export)
        self.posters_button = QPushButton(self)
        self.posters_button.clicked.connect(self.posters)
        row.addWidget(self.board_box, 1)
        row.addWidget(self.export_button)
        row.addWidget(self.posters_button)
        layout.addLayout(row)
        self.board_label = QLabel(self)
        layout.addWidget(self.board_label)
        self.board_table = self._table(5)
        layout.addWidget(self.board_table, 1)
        self.rewards_label = QLabel(self)
        layout.addWidget(self.rewards_label)
        self.rewards_table = self._table(4)
        self.rewards_table.itemSelectionChanged.connect(self._enable_buttons)
        self.rewards_table.setWordWrap(False)  # one line a reward; the whole reason is its tooltip
        layout.addWidget(self.rewards_table, 3)
        row = QHBoxLayout()
        self.grant_button = QPushButton(self)
        self.grant_button.clicked.connect(lambda: self._decide(self.referrals.grant))
        self.hold_button = QPushButton(self)
        self.hold_button.clicked.connect(lambda: self._decide(self.referrals.hold))
        row.addWidget(self.grant_button)
        row.addWidget(self.hold_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("referralStatus")
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        self.referrals.changed.connect(self.present)
        self.retranslate()
        self._enable_buttons()

    def _table(self, columns: int) -> QTableWidget:
        table = QTableWidget(0, columns, self)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().hide()
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        return table

    # -- commands -----------------------------------------------------------------------------------
    def add_inviter(self) -> None:
        viewer = self.viewer_edit.text().strip()
        if not viewer:
            self.referrals.panel.report(self.tr("Type the viewer's name or id first."))
            return
        self.referrals.add_inviter(viewer)
        self.viewer_edit.clear()

    def selected_reward(self) -> str | None:
        rows = self.rewards_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.rewards_table.item(rows[0].row(), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _decide(self, action: Any) -> None:
        reward_id = self.selected_reward()
        if reward_id is not None:
            action(reward_id)

    def _enable_buttons(self) -> None:
        has_choice = self.selected_reward() is not None
        self.grant_button.setEnabled(has_choice)
        self.hold_button.setEnabled(has_choice)

    def export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, self.tr("Save the referral ledger"), "referral-ledger.csv",
                                                    self.tr("CSV files (*.csv)"))
        if path:
            self.referrals.export_csv(path, lambda written: self.status_label.setText(
                self.tr("Ledger written to {path}.").format(path=written)))

    def posters(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder for the invite posters"))
        if folder:
            self.referrals.write_posters(folder, self._posters_written)

    def _posters_written(self, results: list[Any]) -> None:
        written = sum(result.path is not None for result in results)
        lines = [ngettext("{count} invite poster written to {path}.", "{count} invite posters written to {path}.",
                          written).format(count=written, path=results[0].path.parent if written else "")]
        lines += [f"{result.code}: {result.error}" for result in results if result.error]
        self.status_label.setText("\n".join(lines))

    # -- presenting ---------------------------------------------------------------------------------
    def present(self, view: dict[str, Any]) -> None:
        ledger, board = view.get("ledger") or {}, view.get("leaderboard") or []
        self.board_box.setChecked(bool(ledger.get("is_board_shown")))
        self.board_table.setRowCount(len(board))
        for row, entry in enumerate(board):
            name = entry["name"] + (" · VIP" if entry.get("is_vip") else "")
            for column, value in enumerate((entry["rank"], name, entry["code"], entry["points"], entry["invites"])):
                self.board_table.setItem(row, column, QTableWidgetItem(str(value)))
        selected = self.selected_reward()
        rewards = [r for r in ledger.get("rewards", []) if r["state"] in OPEN_STATES]
        rewards.sort(key=lambda r: (r["state"] != "held", r["created_at"]))  # held first: they need the host
        self.rewards_table.setRowCount(len(rewards))
        for row, reward in enumerate(rewards):
            values = (reward["viewer"], self._role(reward["role"]), self._state(reward["state"]),
                      " — ".join(part for part in (reward["reason_text"], reward.get("detail", "")) if part))
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, reward["id"])
                item.setToolTip(value)
                self.rewards_table.setItem(row, column, item)
            if reward["id"] == selected:
                self.rewards_table.selectRow(row)
        held = sum(r["state"] == "held" for r in rewards)
        self.rewards_label.setText(self.tr("Rewards to decide: {count} ({held} held)").format(count=len(rewards), held=held))
        self.board_label.setText(self.tr("Top inviters · {joins} joins · {refused} refused").format(
            joins=ledger.get("joins", 0), refused=ledger.get("refused", 0)))
        self._enable_buttons()

    def _role(self, role: str) -> str:
        return {"inviter": self.tr("inviter"), "invitee": self.tr("invitee"), "tier": self.tr("tier bonus"),
                "vip": self.tr("VIP perk")}.get(role, role)

    def _state(self, state: str) -> str:
        return {"held": self.tr("held"), "vesting": self.tr("vesting"), "vested": self.tr("vested")}.get(state, state)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.viewer_edit.setPlaceholderText(self.tr("Viewer name or id"))
        self.add_button.setText(self.tr("Give an invite code"))
        self.board_box.setText(self.tr("Leaderboard on the program"))
        self.export_button.setText(self.tr("Export ledger…"))
        self.posters_button.setText(self.tr("Invite posters…"))
        self.board_table.setHorizontalHeaderLabels([self.tr("Rank"), self.tr("Inviter"), self.tr("Invite code"), self.tr("Points"),
                                                    self.tr("Invites")])
        self.rewards_table.setHorizontalHeaderLabels([self.tr("Viewer"), self.tr("Reward"), self.tr("State"),
                                                      self.tr("Reason")])
        self.grant_button.setText(self.tr("Grant reward"))
        self.hold_button.setText(self.tr("Hold reward"))
        if self.referrals.view:
            self.present(self.referrals.view)
