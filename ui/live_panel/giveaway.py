"""The Live panel's giveaway box: keyword, prize, entry conditions; open, draw, close; the audit in words."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget

from studio.core.i18n import ngettext
from studio.live.giveaway import refusal_text
from ui.live_panel.controller import LivePanelController


class GiveawayBox(QGroupBox):
    """Open a keyword giveaway under conditions, draw and close it; shows the commitment, the
    conditions, the newest refusal, the revealed seed and the winners."""

    def __init__(self, controller: LivePanelController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.live = controller.live
        giveaway = QFormLayout(self)
        self.giveaway_keyword_edit = QLineEdit(self)
        self.giveaway_prize_edit = QLineEdit(self)
        self.giveaway_winners_spin = QSpinBox(self)
        self.giveaway_winners_spin.setRange(1, 100)
        self.giveaway_keyword_label, self.giveaway_prize_label = QLabel(), QLabel()
        pair = QHBoxLayout()
        pair.addWidget(self.giveaway_keyword_edit)
        pair.addWidget(self.giveaway_prize_label)
        pair.addWidget(self.giveaway_prize_edit)
        pair.addWidget(self.giveaway_winners_spin)
        giveaway.addRow(self.giveaway_keyword_label, pair)
        # Entry conditions (fixed when the giveaway opens; refusals are journaled with the reason).
        self.giveaway_followers_box = QCheckBox(self)
        self.giveaway_age_spin = QSpinBox(self)
        self.giveaway_age_spin.setRange(0, 3650)
        self.giveaway_comments_spin = QSpinBox(self)
        self.giveaway_comments_spin.setRange(0, 1000)
        self.giveaway_tickets_spin = QSpinBox(self)
        self.giveaway_tickets_spin.setRange(1, 100)
        pair = QHBoxLayout()
        pair.addWidget(self.giveaway_followers_box)
        pair.addWidget(self.giveaway_tickets_spin, 1)
        self.giveaway_conditions_label = QLabel()
        giveaway.addRow(self.giveaway_conditions_label, pair)
        pair = QHBoxLayout()
        pair.addWidget(self.giveaway_age_spin, 1)
        pair.addWidget(self.giveaway_comments_spin, 1)
        giveaway.addRow("", pair)
        self.giveaway_exclude_edit = QLineEdit(self)
        self.giveaway_exclude_edit.setObjectName("giveawayExclude")
        self.giveaway_exclude_label = QLabel()
        giveaway.addRow(self.giveaway_exclude_label, self.giveaway_exclude_edit)
        row = QHBoxLayout()
        self.giveaway_open_button = QPushButton(self)
        self.giveaway_open_button.clicked.connect(self.open_giveaway)
        self.giveaway_draw_button = QPushButton(self)
        self.giveaway_draw_button.clicked.connect(lambda: self.controller.run_command(self.live.giveaway.draw))
        self.giveaway_close_button = QPushButton(self)
        self.giveaway_close_button.clicked.connect(lambda: self.controller.run_command(self.live.giveaway.close))
        for button in (self.giveaway_open_button, self.giveaway_draw_button, self.giveaway_close_button):
            row.addWidget(button)
        giveaway.addRow(row)
        self.giveaway_status_label = QLabel(self)
        self.giveaway_status_label.setObjectName("giveawayStatus")
        self.giveaway_status_label.setWordWrap(True)
        self.giveaway_status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        giveaway.addRow(self.giveaway_status_label)
        controller.snapshot_changed.connect(self.present)
        self.retranslate()

    def giveaway_conditions(self) -> dict[str, Any]:
        """The entry conditions as the form sets them (``Giveaway.open`` validates them)."""
        return {"followers_only": self.giveaway_followers_box.isChecked(),
                "min_account_age_days": self.giveaway_age_spin.value(),
                "min_comments": self.giveaway_comments_spin.value(),
                "entries_per_viewer": self.giveaway_tickets_spin.value(),
                "excluded_users": [name.strip() for name in self.giveaway_exclude_edit.text().split(",") if name.strip()]}

    def open_giveaway(self) -> None:
        keyword, prize, winners = self.giveaway_keyword_edit.text(), self.giveaway_prize_edit.text(), self.giveaway_winners_spin.value()
        conditions = self.giveaway_conditions()
        self.controller.run_command(lambda: self.live.giveaway.open(keyword, prize, winners, conditions))

    def present(self, snapshot: dict[str, Any]) -> None:
        g = snapshot.get("giveaway")
        if not g:
            self.giveaway_status_label.setText(self.tr("No giveaway"))
            return
        entries = ngettext("{count} entry", "{count} entries", g["entry_count"]).format(count=g["entry_count"])
        lines = [self.tr("Keyword “{keyword}” · {state} · {entries}").format(
                     keyword=g["keyword"], state=self.tr("open") if g["is_open"] else self.tr("closed"), entries=entries),
                 self.tr("Commitment: {hash}").format(hash=g["commitment"])]
        rules = g.get("conditions") or {}
        terms = []
        if rules.get("followers_only"):
            terms.append(self.tr("followers only"))
        if rules.get("min_account_age_days"):
            terms.append(self.tr("accounts ≥ {days} days old").format(days=rules["min_account_age_days"]))
        if rules.get("min_comments"):
            terms.append(ngettext("≥ {count} comment", "≥ {count} comments", rules["min_comments"]).format(count=rules["min_comments"]))
        if rules.get("entries_per_viewer", 1) > 1:
            terms.append(ngettext("up to {count} entry per viewer", "up to {count} entries per viewer", rules["entries_per_viewer"]).format(count=rules["entries_per_viewer"]))
        if rules.get("excluded_users"):
            terms.append(self.tr("{count} excluded").format(count=len(rules["excluded_users"])))
        if terms or g.get("refused_count"):
            lines.append(self.tr("Conditions: {terms} · {refused} refused").format(
                terms=", ".join(terms) or self.tr("none"), refused=g.get("refused_count", 0)))
        if self.controller.last_refusal is not None and g.get("is_open"):
            user, reason = self.controller.last_refusal
            lines.append(self.tr("Last refused: {user} ({reason})").format(user=user, reason=refusal_text(reason)))
        if g.get("seed"):
            lines.append(self.tr("Seed (revealed): {seed}").format(seed=g["seed"]))
        if g.get("winners"):
            lines.append(self.tr("Winners: {names}").format(names=", ".join(g["winners"])))
        self.giveaway_status_label.setText("\n".join(lines))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setTitle(self.tr("Giveaway"))
        self.giveaway_keyword_label.setText(self.tr("Keyword:"))
        self.giveaway_prize_label.setText(self.tr("Prize:"))
        self.giveaway_winners_spin.setPrefix(self.tr("Winners: "))
        self.giveaway_open_button.setText(self.tr("Open"))
        self.giveaway_conditions_label.setText(self.tr("Conditions:"))
        self.giveaway_followers_box.setText(self.tr("Followers only"))
        self.giveaway_age_spin.setPrefix(self.tr("Account age ≥ "))
        self.giveaway_age_spin.setSuffix(self.tr(" days"))
        self.giveaway_age_spin.setSpecialValueText(self.tr("Any account age"))
        self.giveaway_comments_spin.setPrefix(self.tr("Comments ≥ "))
        self.giveaway_comments_spin.setSpecialValueText(self.tr("No minimum comments"))
        self.giveaway_tickets_spin.setPrefix(self.tr("Entries per viewer: "))
        self.giveaway_exclude_label.setText(self.tr("Exclude:"))
        self.giveaway_exclude_edit.setPlaceholderText(self.tr("viewer names, comma-separated (staff, moderators …)"))
        self.giveaway_draw_button.setText(self.tr("Draw"))
        self.giveaway_close_button.setText(self.tr("Close"))
        if self.controller.snapshot:
            self.present(self.controller.snapshot)
        else:
            self.giveaway_status_label.setText(self.tr("No giveaway"))
