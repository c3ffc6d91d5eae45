"""Fill a cover's show times from a show on the team's plan (Schedule…): ``{start_time_local}``,
``{start_date_local}``, ``{start_clock_local}``, ``{time_zone}`` and ``{show_title}`` in the chosen
market's zone and its viewers' words (``studio.schedule.cover_time_variables``).

The market defaults to the one the cover is made for: its ``locale`` variable's territory
(``th_TH`` → Thailand), else the first of the show's markets in the cover's region pack.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from studio.schedule import load_markets
from studio.schedule.formatting import format_local
from studio.schedule.report import market_name
from studio.schedule.store import PlannedShow


def default_market(show: PlannedShow, locale: str | None, region: str | None) -> str | None:
    """The market a cover for ``locale``/``region`` is for, among the show's markets when it can."""
    markets = load_markets()
    territory = (locale or "").replace("-", "_").split("_")[-1].upper() if "_" in (locale or "").replace("-", "_") else ""
    if territory in markets:
        return territory
    in_region = [code for code in show.markets if code in markets and markets[code].region == region]
    if in_region:
        return in_region[0]
    return next((code for code in show.markets if code in markets), None)


class ShowTimeDialog(QDialog):
    """Pick a planned show and the market whose clock the cover shows; ``chosen(show_id, market)``."""

    chosen = Signal(str, str)

    def __init__(self, shows: list[PlannedShow], locale: str | None, region: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("coverShowTimeDialog")
        self.shows = sorted(shows, key=lambda show: show.start)
        self._locale, self._region = locale, region
        self.show_box = QComboBox(self)
        self.show_box.setObjectName("plannedShowBox")
        for show in self.shows:
            self.show_box.addItem(f"{format_local(show.start)} · {show.title}", show.id)
        self.market_box = QComboBox(self)
        self.market_box.setObjectName("coverMarketBox")
        for code in load_markets():
            self.market_box.addItem(f"{market_name(code)} ({code})", code)
        self.show_caption, self.market_caption = QLabel(self), QLabel(self)
        form = QFormLayout()
        form.addRow(self.show_caption, self.show_box)
        form.addRow(self.market_caption, self.market_box)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.show_box.currentIndexChanged.connect(self._pick_market)
        self._pick_market()
        self.retranslate()

    def _pick_market(self, *_args: object) -> None:
        index = self.show_box.currentIndex()
        if 0 <= index < len(self.shows):
            code = default_market(self.shows[index], self._locale, self._region)
            if code is not None:
                self.market_box.setCurrentIndex(max(0, self.market_box.findData(code)))

    def _accept(self) -> None:
        if self.show_box.currentIndex() >= 0:
            self.chosen.emit(self.show_box.currentData(), self.market_box.currentData())
        self.accept()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Show times on the cover"))
        self.show_caption.setText(self.tr("Planned show:"))
        self.market_caption.setText(self.tr("Viewers' market:"))
