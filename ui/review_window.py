"""The Review window: the show history on the left, the chosen show's review on the right.

A view of :mod:`studio.review`: the history and each review are read on a pool thread (disk,
never the GUI thread; the newest request wins), then the same matplotlib charts as the HTML
report are put on Qt canvases — the viewers curve with the run-of-show segments shaded and the
pins marked first.  Findings and what the show did not record are listed in words; the review
can be saved as HTML, PDF or CSV from here.
"""
from __future__ import annotations

import html
import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QPushButton,
    QSpinBox, QSplitter, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from studio.review import DEFAULT_PIN_WINDOW_MIN, ReviewError, charts, report, review_show
from studio.review.records import Review, clock_text
from studio.review.sources import ShowFile, show_history
from ui.review_clips import ClipsAction
from ui.workers import run_in_background

log = logging.getLogger(__name__)


class ReviewWindow(QMainWindow):
    """Past shows and their review.  ``current_db`` is the app's show database (its archive of
    earlier shows sits beside it); ``stats_dir`` holds the stream stats files."""

    def __init__(self, current_db: Path, stats_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.current_db = Path(current_db)
        self.stats_dir = Path(stats_dir)
        self.review: Review | None = None
        self.shown_path: Path | None = None
        self.canvases: dict[str, FigureCanvasQTAgg] = {}
        self._request = 0
        self.resize(1280, 720)

        self.show_list = QListWidget()
        self.show_list.setMinimumWidth(220)
        self.show_list.setAlternatingRowColors(True)
        self.show_list.currentItemChanged.connect(self._on_show_chosen)
        self.title_label = QLabel()
        self.title_label.setStyleSheet("font-size: 16px; font-weight: bold;")
        self.kpi_label = QLabel()
        self.kpi_label.setWordWrap(True)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.pin_window = QSpinBox()
        self.pin_window.setRange(1, 240)
        self.pin_window.setValue(DEFAULT_PIN_WINDOW_MIN)
        self.pin_window.editingFinished.connect(self._reload)
        self.pin_window_label = QLabel()
        self.pin_window_label.setBuddy(self.pin_window)
        self.save_html_button = QPushButton()
        self.save_pdf_button = QPushButton()
        self.save_csv_button = QPushButton()
        self.save_html_button.clicked.connect(lambda: self._save("html"))
        self.save_pdf_button.clicked.connect(lambda: self._save("pdf"))
        self.save_csv_button.clicked.connect(lambda: self._save("csv"))
        self.tabs = QTabWidget()
        self.chart_pages: dict[str, QWidget] = {}
        for chart_id in ("viewers", "activity", "plan", "quality"):
            page = QWidget()
            QVBoxLayout(page).setContentsMargins(0, 0, 0, 0)
            self.chart_pages[chart_id] = page
            self.tabs.addTab(page, "")
        self.segment_table = self._table()
        self.product_table = self._table()
        self.tabs.addTab(self.segment_table, "")
        self.tabs.addTab(self.product_table, "")
        self.findings_list = QListWidget()
        self.findings_list.setWordWrap(True)
        self.findings_list.setMaximumHeight(170)

        buttons = QHBoxLayout()
        buttons.addWidget(self.pin_window_label)
        buttons.addWidget(self.pin_window)
        buttons.addStretch(1)
        self.clips = ClipsAction(self, self.status_label.setText)
        for widget in self.clips.widgets():
            buttons.addWidget(widget)
        for button in (self.save_html_button, self.save_pdf_button, self.save_csv_button):
            buttons.addWidget(button)
        right = QWidget()
        layout = QVBoxLayout(right)
        layout.addWidget(self.title_label)
        layout.addWidget(self.kpi_label)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.findings_list)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        splitter = QSplitter()
        splitter.addWidget(self.show_list)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 1040])
        self.setCentralWidget(splitter)
        self.retranslate()
        self._set_enabled(False)
        self.refresh_history()

    @staticmethod
    def _table() -> QTableWidget:
        table = QTableWidget()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        return table

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Show history and review"))
        self.pin_window_label.setText(self.tr("Count orders within (minutes of a pin):"))
        self.save_html_button.setText(self.tr("Save as HTML…"))
        self.save_pdf_button.setText(self.tr("Save as PDF…"))
        self.save_csv_button.setText(self.tr("Save tables as CSV…"))
        self.clips.retranslate()
        for index, title in enumerate((self.tr("Viewers"), self.tr("Orders and comments"), self.tr("Plan and actual"),
                                       self.tr("Stream quality"), self.tr("Segments"), self.tr("Products"))):
            self.tabs.setTabText(index, title)
        if self.review is None and not self.title_label.text():
            self.title_label.setText(self.tr("Choose a show on the left."))

    def _set_enabled(self, is_enabled: bool) -> None:
        for widget in (self.save_html_button, self.save_pdf_button, self.save_csv_button):
            widget.setEnabled(is_enabled)
        self.clips.set_show(self.shown_path if is_enabled else None)

    # -- the history ------------------------------------------------------------------------------
    def refresh_history(self) -> None:
        self.status_label.setText(self.tr("Looking for shows…"))
        current = self.current_db
        run_in_background(lambda: show_history(current), self._fill_history, self._failed, receiver=self)

    def _fill_history(self, shows: list[ShowFile]) -> None:
        self.show_list.clear()
        for show in shows:
            if show.first_t is None:
                continue  # an empty journal: nothing to review
            started = datetime.fromtimestamp(show.first_t).strftime("%Y-%m-%d %a %H:%M")
            length = clock_text((show.last_t or show.first_t) - show.first_t)
            text = (self.tr("Current show\n{started} · {length} long") if show.is_current
                    else self.tr("{started}\n{length} long")).format(started=started, length=length)
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, str(show.path))
            item.setToolTip(str(show.path))
            self.show_list.addItem(item)
        self.status_label.setText("" if self.show_list.count() else
                                  self.tr("No show has been recorded yet: a review appears here after your first show."))

    def _on_show_chosen(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is not None:
            self.open_show(Path(item.data(Qt.ItemDataRole.UserRole)))

    # -- one show ---------------------------------------------------------------------------------
    def open_show(self, path: Path) -> None:
        """Review the show in ``path`` (read on a pool thread; the newest request wins)."""
        self._request += 1
        request, pin_window, stats_dir = self._request, self.pin_window.value(), self.stats_dir
        self.shown_path = Path(path)
        self.status_label.setText(self.tr("Reading the show…"))
        run_in_background(lambda: review_show(path, stats_dir=stats_dir, pin_window_min=pin_window),
                          lambda review: self._apply(request, review), self._failed, receiver=self)

    def _reload(self) -> None:
        if self.shown_path is not None and (self.review is None or self.review.pin_window_min != self.pin_window.value()):
            self.open_show(self.shown_path)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ReviewError):
            self.status_label.setText(str(error))
        else:
            log.error("review failed", exc_info=error)
            self.status_label.setText(self.tr("This show could not be reviewed ({reason}).").format(reason=type(error).__name__))

    def _apply(self, request: int, review: Review) -> None:
        if request != self._request:
            return  # an older request: a newer show was chosen meanwhile
        self.review = review
        started = datetime.fromtimestamp(review.start_unix).strftime("%Y-%m-%d %H:%M")
        self.title_label.setText(self.tr("Show of {started}").format(started=started))
        self.kpi_label.setText(" &nbsp;·&nbsp; ".join(f"{html.escape(label)}: <b>{html.escape(value)}</b>"
                                                    for label, value in report.kpis(review)))
        figures = {"viewers": charts.viewers_figure(review, 9.0, 3.4), "activity": charts.activity_figure(review, 9.0, 3.0),
                   "plan": charts.plan_figure(review, 9.0, 3.0), "quality": charts.quality_figure(review, 9.0, 3.0)}
        for chart_id, figure in figures.items():
            old = self.canvases.pop(chart_id, None)
            if old is not None:
                old.setParent(None)
                old.deleteLater()
            canvas = FigureCanvasQTAgg(figure)
            self.chart_pages[chart_id].layout().addWidget(canvas)
            self.canvases[chart_id] = canvas
        self._fill_table(self.segment_table, *report.segment_rows(review))
        self._fill_table(self.product_table, *report.product_rows(review))
        self.findings_list.clear()
        for finding in review.findings:
            self.findings_list.addItem(finding["text"])
        for text in review.missing:
            item = QListWidgetItem(self.tr("Not recorded: {what}").format(what=text))
            item.setForeground(Qt.GlobalColor.darkYellow)
            self.findings_list.addItem(item)
        self._set_enabled(True)
        self.status_label.setText("")

    @staticmethod
    def _fill_table(table: QTableWidget, header: list[str], rows: list[list[str]]) -> None:
        table.clear()
        table.setColumnCount(len(header))
        table.setRowCount(len(rows))
        table.setHorizontalHeaderLabels(header)
        for row_number, row in enumerate(rows):
            for column, text in enumerate(row):
                cell = QTableWidgetItem(text)
                if column:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(row_number, column, cell)
        table.resizeColumnsToContents()

    # -- saving -----------------------------------------------------------------------------------
    def _save(self, kind: str) -> None:
        review = self.review
        if review is None:
            return
        if kind == "csv":
            target = QFileDialog.getExistingDirectory(self, self.tr("Save the tables in"))
        else:
            name = "review." + kind
            pattern = self.tr("Web page (*.html)") if kind == "html" else self.tr("PDF (*.pdf)")
            target, _filter = QFileDialog.getSaveFileName(self, self.tr("Save the review"), name, pattern)
        if target:
            self.save_to(kind, Path(target))

    def save_to(self, kind: str, target: Path) -> None:
        """Write the shown review as ``kind`` (html, pdf, csv) on a pool thread; the outcome in words."""
        review = self.review
        if review is None:
            return
        writers: dict[str, Callable[[], Any]] = {"html": lambda: report.write_html(review, target),
                                                  "pdf": lambda: report.write_pdf(review, target),
                                                  "csv": lambda: report.write_csv(review, target)}
        self.status_label.setText(self.tr("Saving…"))
        run_in_background(writers[kind], lambda _written: self.status_label.setText(
            self.tr("Written to {path}").format(path=target)), self._save_failed, receiver=self)

    def _save_failed(self, error: BaseException) -> None:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        if not isinstance(error, OSError):
            log.error("saving the review failed", exc_info=error)
        self.status_label.setText(self.tr("The review was not saved: {reason}").format(reason=reason))


def open_review_window(parent: QWidget) -> ReviewWindow:
    """Show the Review window of the app's show history (one per parent window)."""
    from studio.control import default_show_db
    from studio.outputs.show_stats import default_stats_dir

    window = getattr(parent, "review_window", None)
    if window is None:
        window = ReviewWindow(default_show_db(), default_stats_dir(), parent)
        window.setWindowFlag(Qt.WindowType.Window)
        parent.review_window = window
    else:
        window.refresh_history()
    window.show()
    window.raise_()
    return window
