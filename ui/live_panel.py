"""The Live panel dock: products, comments/Q&A, coupons, flash sales, giveaways and the run-of-show.

A view of one ``LiveControl`` (its ``LiveShow``): it holds no show state of its own.
- Commands and state snapshots run on a one-thread pool (in order; SQLite and overlay
  rendering never run on the GUI thread); results come back through ``ui.workers``.
- ``live.event`` fires on engine threads (comment adapters, the ticker, the control API).
  The handler only appends to a deque; a GUI timer drains it every ``DRAIN_INTERVAL_MS``
  so a flood of comments costs one model update per tick, never one Qt signal per comment.
"""
from __future__ import annotations

import collections
import json
import logging
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import (QAbstractListModel, QAbstractTableModel, QDateTime, QEvent, QLocale, QModelIndex, QObject, QSortFilterProxyModel,
                            Qt, QThreadPool, QTimer, Signal)
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDockWidget,
                               QDateTimeEdit, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QListView, QListWidget, QListWidgetItem, QProgressBar, QPushButton, QSpinBox,
                               QTableView, QTabWidget, QVBoxLayout, QWidget)

from studio.live.errors import LiveError
from studio.core.i18n import ngettext
from studio.live.giveaway import refusal_text
from ui.workers import run_in_background

log = logging.getLogger(__name__)

DRAIN_INTERVAL_MS = 100
SNAPSHOT_INTERVAL_MS = 250
MAX_COMMENT_ROWS = 500  # the panel shows the newest; the journal keeps every one
MAX_BUFFERED_EVENTS = 50_000  # between two drains; beyond that the view skips (counted), the journal does not
HOTKEY_COUNT = 12
PINNED_BRUSH = QBrush(QColor(255, 184, 28, 110))
QUESTION_COLOUR = QColor(80, 160, 255)
HIDDEN_COLOUR = QColor(128, 128, 128)


def _clock_text(seconds: float) -> str:
    seconds = int(max(0.0, seconds) + 0.999)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def mask_token(url: str) -> str:
    """The pairing URL with its token hidden (screens get shared and recorded)."""
    base, marker, _token = url.partition("#token=")
    return f"{base}{marker}{'•' * 10}" if marker else url


class EventBuffer:
    """Thread-safe hand-off of engine events to the GUI thread (drained on a GUI timer)."""

    def __init__(self, max_events: int = MAX_BUFFERED_EVENTS) -> None:
        self._events: collections.deque[dict[str, Any]] = collections.deque(maxlen=max_events)
        self.received = 0
        self.dropped = 0  # view-only skips when the GUI falls far behind; the journal keeps everything

    def push(self, event: dict[str, Any]) -> None:  # any thread; deque.append is atomic
        if len(self._events) == self._events.maxlen:
            self.dropped += 1
        self._events.append(event)
        self.received += 1

    def drain(self) -> list[dict[str, Any]]:
        out = []
        pop = self._events.popleft
        try:
            while True:
                out.append(pop())
        except IndexError:
            return out


class _Refused:
    def __init__(self, error: LiveError) -> None:
        self.error = error


# -- products -----------------------------------------------------------------------------------------
class ProductTableModel(QAbstractTableModel):
    """The catalog as rows (SKU, title, price, stock); the pinned row is highlighted.

    A plain table model rather than one item per cell: a 10,000-row catalog loads in a few ms.
    """

    SkuRole = Qt.ItemDataRole.UserRole  # also what the flash-sale product box reports as its data

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, str, str, str]] = []
        self.headers = ["", "", "", ""]
        self.pinned_sku: str | None = None
        self._row_of: dict[str, int] = {}
        self._bold = QFont()
        self._bold.setBold(True)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else 4

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row[index.column()]
        if role == self.SkuRole:
            return row[0]
        if row[0] == self.pinned_sku:
            if role == Qt.ItemDataRole.BackgroundRole:
                return PINNED_BRUSH
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 4:
            return self.headers[section]
        return None

    def set_headers(self, headers: list[str]) -> None:
        self.headers = headers
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 3)

    def set_rows(self, rows: list[tuple[str, str, str, str]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self._row_of = {row[0]: i for i, row in enumerate(rows)}
        self.endResetModel()

    def set_pinned(self, sku: str | None) -> None:
        if sku == self.pinned_sku:
            return
        changed = [self._row_of.get(s) for s in (self.pinned_sku, sku) if s is not None]
        self.pinned_sku = sku
        for row in changed:
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, 3))

    def is_highlighted(self, sku: str) -> bool:
        row = self._row_of.get(sku)
        return row is not None and self.index(row, 1).data(Qt.ItemDataRole.BackgroundRole) is not None


class ProductFilter(QSortFilterProxyModel):
    """Filters on SKU and title; the vertical header names the F-key of the first twelve rows."""

    needle = ""

    def set_needle(self, text: str) -> None:
        self.beginFilterChange()
        self.needle = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:  # noqa: N802
        needle = self.needle
        if not needle:
            return True
        model = self.sourceModel()
        return any(needle in str(model.index(row, column, parent).data() or "").lower() for column in (0, 1))

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return f"F{section + 1}" if section < HOTKEY_COUNT else ""
        return super().headerData(section, orientation, role)


class CommentModel(QAbstractListModel):
    """The newest ``MAX_COMMENT_ROWS`` comments (dicts as the engine journals them)."""

    IdRole = Qt.ItemDataRole.UserRole + 1
    CommentRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        c = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            marks = ("? " if c.get("is_question") else "") + ("✓ " if c.get("is_answered") else "")
            return f"{marks}{c['user']}: {c['text']}"
        if role == Qt.ItemDataRole.ForegroundRole:
            if c.get("is_hidden"):
                return QBrush(HIDDEN_COLOUR)
            if c.get("is_question") and not c.get("is_answered"):
                return QBrush(QUESTION_COLOUR)
        if role == Qt.ItemDataRole.FontRole and (c.get("is_hidden") or c.get("highlights")):
            font = QFont()
            font.setStrikeOut(bool(c.get("is_hidden")))
            font.setBold(bool(c.get("highlights")))
            return font
        if role == self.IdRole:
            return c["id"]
        if role == self.CommentRole:
            return c
        return None

    def append(self, comments: list[dict[str, Any]]) -> None:
        comments = comments[-MAX_COMMENT_ROWS:]
        if not comments:
            return
        overflow = len(self.rows) + len(comments) - MAX_COMMENT_ROWS
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self.rows[:overflow]
            self.endRemoveRows()
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(comments) - 1)
        self.rows.extend(comments)
        self.endInsertRows()

    def replace(self, comments: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = list(comments[-MAX_COMMENT_ROWS:])
        self.endResetModel()

    def update(self, match: Callable[[dict[str, Any]], bool], **flags: Any) -> None:
        for row, comment in enumerate(self.rows):
            if match(comment):
                comment.update(flags)
                index = self.index(row)
                self.dataChanged.emit(index, index)


class CommentFilter(QSortFilterProxyModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.only_questions = False
        self.show_hidden = False

    def set_flags(self, only_questions: bool, show_hidden: bool) -> None:
        self.beginFilterChange()
        self.only_questions, self.show_hidden = only_questions, show_hidden
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def refilter(self) -> None:
        self.beginFilterChange()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:  # noqa: N802
        c = self.sourceModel().rows[row]
        if c.get("is_hidden") and not self.show_hidden:
            return False
        return not self.only_questions or (bool(c.get("is_question")) and not c.get("is_answered"))


# -- dialogs ----------------------------------------------------------------------------------------------
def locale_time(seconds: float, locale: str) -> str:
    """A wall-clock time in this computer's time zone, written the way ``locale`` writes it (CLDR)."""
    from datetime import datetime

    from babel.dates import format_datetime

    moment = datetime.fromtimestamp(seconds).astimezone()
    try:
        return format_datetime(moment, format="short", locale=locale)
    except (ValueError, LookupError):
        return format_datetime(moment, format="short", locale="en_US")


class CouponDialog(QDialog):
    """Code, kind, value, quantity, per-viewer cap, referral, optional start/end; ``values()`` are
    create_coupon kwargs.  Times are entered and shown in the show's region locale."""

    def __init__(self, parent: QWidget | None = None, locale: str = "en_US") -> None:
        super().__init__(parent)
        self.setObjectName("couponDialog")
        self.setWindowTitle(self.tr("New coupon"))
        form = QFormLayout(self)
        self.code_edit = QLineEdit(self)
        self.code_edit.setPlaceholderText("LIVE10")
        self.kind_box = QComboBox(self)
        for kind, text in (("percent", self.tr("Percent off")), ("amount", self.tr("Amount off")), ("free_shipping", self.tr("Free shipping"))):
            self.kind_box.addItem(text, kind)
        self.value_spin = QDoubleSpinBox(self)
        self.value_spin.setRange(0, 100_000)
        self.value_spin.setValue(10)
        self.quantity_spin = QSpinBox(self)
        self.quantity_spin.setRange(0, 1_000_000)
        self.quantity_spin.setSpecialValueText(self.tr("Unlimited"))
        self.cap_spin = QSpinBox(self)
        self.cap_spin.setRange(1, 100)
        self.referral_box = QCheckBox(self.tr("Referral coupon (inviter and invitee both get one)"), self)
        region = QLocale(locale)
        now = QDateTime.currentDateTime()
        self.starts_box = QCheckBox(self.tr("Starts at:"), self)
        self.ends_box = QCheckBox(self.tr("Ends at:"), self)
        self.starts_edit, self.ends_edit = QDateTimeEdit(self), QDateTimeEdit(self)
        for box, edit, value in ((self.starts_box, self.starts_edit, now), (self.ends_box, self.ends_edit, now.addSecs(3600))):
            edit.setLocale(region)
            edit.setDisplayFormat(region.dateTimeFormat(QLocale.FormatType.ShortFormat))
            edit.setCalendarPopup(True)
            edit.setDateTime(value)
            edit.setEnabled(False)
            box.toggled.connect(edit.setEnabled)
            box.toggled.connect(lambda _on: self._validate())
            edit.dateTimeChanged.connect(lambda _value: self._validate())
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("couponProblem")
        self.problem_label.setStyleSheet("color: #ff6b6b;")
        self.problem_label.setWordWrap(True)
        form.addRow(self.tr("Code:"), self.code_edit)
        form.addRow(self.tr("Kind:"), self.kind_box)
        form.addRow(self.tr("Value:"), self.value_spin)
        form.addRow(self.tr("Quantity:"), self.quantity_spin)
        form.addRow(self.tr("Per viewer:"), self.cap_spin)
        form.addRow(self.referral_box)
        form.addRow(self.starts_box, self.starts_edit)
        form.addRow(self.ends_box, self.ends_edit)
        form.addRow(self.problem_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self._validate()

    def problems(self) -> list[str]:
        """What is wrong with the times, in words (the engine checks everything else)."""
        found = []
        starts, ends = self.values()["starts_at"], self.values()["ends_at"]
        if ends is not None and ends <= QDateTime.currentSecsSinceEpoch():
            found.append(self.tr("The end time has already passed."))
        if starts is not None and ends is not None and ends <= starts:
            found.append(self.tr("The coupon must end after it starts."))
        return found

    def _validate(self) -> bool:
        found = self.problems()
        self.problem_label.setText("\n".join(found))
        self.problem_label.setVisible(bool(found))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not found)
        return not found

    def accept(self) -> None:
        if self._validate():
            super().accept()

    def values(self) -> dict[str, Any]:
        starts = self.starts_edit.dateTime().toSecsSinceEpoch() if self.starts_box.isChecked() else None
        ends = self.ends_edit.dateTime().toSecsSinceEpoch() if self.ends_box.isChecked() else None
        return {"code": self.code_edit.text(), "kind": self.kind_box.currentData(), "value": self.value_spin.value(),
                "quantity": self.quantity_spin.value() or None, "per_viewer_cap": self.cap_spin.value(),
                "is_referral": self.referral_box.isChecked(), "starts_at": starts, "ends_at": ends}


class PairDialog(QDialog):
    """The pairing QR code and URL; the token stays masked until the user asks to see it."""

    def __init__(self, url: str | None, qr_rgba: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pairDialog")
        self.setWindowTitle(self.tr("Pair a tablet"))
        self.url = url or ""
        layout = QVBoxLayout(self)
        hint = QLabel(self.tr("Scan the code with the tablet's camera, or open the address below in its browser. Anyone with this address can control the show."), self)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.qr_label = QLabel(self)
        self.qr_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if qr_rgba is not None:
            h, w = qr_rgba.shape[:2]
            image = QImage(qr_rgba.tobytes(), w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
            self.qr_label.setPixmap(QPixmap.fromImage(image))
        else:
            self.qr_label.setText(self.tr("No QR code available (the control API is off or qrcode is not installed)."))
        layout.addWidget(self.qr_label)
        row = QHBoxLayout()
        self.url_edit = QLineEdit(mask_token(self.url), self)
        self.url_edit.setReadOnly(True)
        self.url_edit.setObjectName("pairUrl")
        self.url_edit.setMinimumWidth(self.url_edit.fontMetrics().horizontalAdvance(self.url) + 24)
        self.url_edit.setCursorPosition(0)
        self.show_button = QPushButton(self.tr("Show token"), self)
        self.show_button.setCheckable(True)
        self.show_button.toggled.connect(self._on_show_toggled)
        row.addWidget(self.url_edit, 1)
        row.addWidget(self.show_button)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _on_show_toggled(self, is_shown: bool) -> None:
        self.url_edit.setText(self.url if is_shown else mask_token(self.url))
        self.url_edit.setCursorPosition(0)
        self.show_button.setText(self.tr("Hide token") if is_shown else self.tr("Show token"))


# -- the dock ----------------------------------------------------------------------------------------------
class LivePanelDock(QDockWidget):
    """The desktop counterpart of the tablet page, for one ``LiveControl``."""

    batch_applied = Signal(int)  # events applied in one drain (tests and load measurements)
    control_notice = Signal(str)  # a control-API problem in words, for the window's status bar
    _control_status_arrived = Signal()  # engine thread → GUI thread

    def __init__(self, control: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("livePanelDock")
        self.control = control
        self.live = control.live
        self.snapshot: dict[str, Any] = {}
        self.products: list[dict[str, Any]] = []
        self._is_snapshot_pending = False
        self._is_attached = False
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # commands run in the order given
        self.buffer = EventBuffer()
        self._last_refusal: tuple[str, str] | None = None  # (viewer, reason code) of the newest giveaway refusal

        body = QWidget(self)
        outer = QVBoxLayout(body)
        outer.setContentsMargins(4, 4, 4, 4)
        header = QHBoxLayout()
        self.pinned_label = QLabel(body)
        self.pinned_label.setObjectName("pinnedLabel")
        self.pair_button = QPushButton(body)
        self.pair_button.clicked.connect(self.open_pairing)
        header.addWidget(self.pinned_label, 1)
        header.addWidget(self.pair_button)
        outer.addLayout(header)
        self.control_label = QLabel(body)
        self.control_label.setObjectName("controlStatus")
        self.control_label.setWordWrap(True)
        self.control_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.control_label)
        self._control_notice_shown: str | None = None
        self._control_status_arrived.connect(self._show_control_status, Qt.ConnectionType.QueuedConnection)
        self.error_label = QLabel(body)
        self.error_label.setObjectName("liveError")
        self.error_label.setStyleSheet("color: #ff6b6b;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        outer.addWidget(self.error_label)
        self.tabs = QTabWidget(body)
        outer.addWidget(self.tabs, 1)
        self.setWidget(body)

        self._build_products()
        self._build_comments()
        self._build_promotions()
        self._build_show()

        self._drain_timer = QTimer(self)
        self._drain_timer.setInterval(DRAIN_INTERVAL_MS)
        self._drain_timer.timeout.connect(self.drain)
        self._snapshot_timer = QTimer(self)
        self._snapshot_timer.setInterval(SNAPSHOT_INTERVAL_MS)
        self._snapshot_timer.timeout.connect(self.request_snapshot)
        self.pair_dialog: PairDialog | None = None
        self.coupon_dialog: CouponDialog | None = None
        self.retranslate()
        self.attach()

    @property
    def dropped_events(self) -> int:
        return self.buffer.dropped

    # -- building ----------------------------------------------------------------------------------
    def _build_products(self) -> None:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        row = QHBoxLayout()
        self.search_edit = QLineEdit(page)
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._on_search)
        self.load_catalog_button = QPushButton(page)
        self.load_catalog_button.clicked.connect(self.choose_catalog)
        row.addWidget(self.search_edit, 1)
        row.addWidget(self.load_catalog_button)
        layout.addLayout(row)
        self.product_model = ProductTableModel(page)
        self.product_proxy = ProductFilter(page)
        self.product_proxy.setSourceModel(self.product_model)
        self.product_table = QTableView(page)
        self.product_table.setObjectName("productTable")
        self.product_table.setModel(self.product_proxy)
        self.product_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.product_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.product_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.product_table.horizontalHeader()
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.product_table.doubleClicked.connect(lambda index: self.pin_row(index.row()))
        layout.addWidget(self.product_table, 1)
        buttons = QHBoxLayout()
        self.pin_button = QPushButton(page)
        self.pin_button.clicked.connect(self.pin_selected)
        self.unpin_button = QPushButton(page)
        self.unpin_button.clicked.connect(self.unpin)
        buttons.addWidget(self.pin_button)
        buttons.addWidget(self.unpin_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.products_page = page
        self.tabs.addTab(page, "")
        self.hotkeys: list[QShortcut] = []
        for number in range(HOTKEY_COUNT):
            shortcut = QShortcut(QKeySequence(f"F{number + 1}"), self)
            shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
            shortcut.activated.connect(lambda row=number: self.pin_row(row))
            self.hotkeys.append(shortcut)

    def _build_comments(self) -> None:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        row = QHBoxLayout()
        self.questions_only_box = QCheckBox(page)
        self.show_hidden_box = QCheckBox(page)
        for box in (self.questions_only_box, self.show_hidden_box):
            box.toggled.connect(lambda _on: self.comment_proxy.set_flags(self.questions_only_box.isChecked(), self.show_hidden_box.isChecked()))
            row.addWidget(box)
        row.addStretch(1)
        self.comment_count_label = QLabel(page)
        row.addWidget(self.comment_count_label)
        layout.addLayout(row)
        self.comment_model = CommentModel(page)
        self.comment_proxy = CommentFilter(page)
        self.comment_proxy.setSourceModel(self.comment_model)
        self.comment_view = QListView(page)
        self.comment_view.setObjectName("commentList")
        self.comment_view.setModel(self.comment_proxy)
        self.comment_view.setUniformItemSizes(True)
        self.comment_view.setWordWrap(False)
        layout.addWidget(self.comment_view, 1)
        actions = QHBoxLayout()
        self.question_button = QPushButton(page)
        self.question_button.clicked.connect(self.mark_question)
        self.hide_button = QPushButton(page)
        self.hide_button.clicked.connect(self.hide_comment)
        self.block_button = QPushButton(page)
        self.block_button.clicked.connect(self.block_author)
        for button in (self.question_button, self.hide_button, self.block_button):
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)
        answer_row = QHBoxLayout()
        self.answer_edit = QLineEdit(page)
        self.answer_edit.returnPressed.connect(self.pin_answer)
        self.pin_answer_button = QPushButton(page)
        self.pin_answer_button.clicked.connect(self.pin_answer)
        self.unpin_answer_button = QPushButton(page)
        self.unpin_answer_button.clicked.connect(lambda: self.run_command(self.live.comments.unpin_answer))
        answer_row.addWidget(self.answer_edit, 1)
        answer_row.addWidget(self.pin_answer_button)
        answer_row.addWidget(self.unpin_answer_button)
        layout.addLayout(answer_row)
        # Quick replies: saved templates ({name}, {product}, {price}, {sku}, {coupon}) sent by name.
        reply_row = QHBoxLayout()
        self.quick_reply_box = QComboBox(page)
        self.quick_reply_box.setObjectName("quickReplies")
        self.quick_reply_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.quick_reply_box.setMinimumContentsLength(12)
        self.reply_button = QPushButton(page)
        self.reply_button.clicked.connect(self.send_quick_reply)
        self.save_reply_button = QPushButton(page)
        self.save_reply_button.clicked.connect(self.save_quick_reply)
        self.delete_reply_button = QPushButton(page)
        self.delete_reply_button.clicked.connect(self.delete_quick_reply)
        reply_row.addWidget(self.quick_reply_box, 1)
        for button in (self.reply_button, self.save_reply_button, self.delete_reply_button):
            reply_row.addWidget(button)
        layout.addLayout(reply_row)
        self.comments_page = page
        self.tabs.addTab(page, "")

    def _build_promotions(self) -> None:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        # Coupons
        self.coupon_group = QGroupBox(page)
        coupons = QVBoxLayout(self.coupon_group)
        self.coupon_list = QListWidget(self.coupon_group)
        self.coupon_list.setObjectName("couponList")
        self.coupon_list.setMaximumHeight(90)
        coupons.addWidget(self.coupon_list)
        row = QHBoxLayout()
        self.new_coupon_button = QPushButton(self.coupon_group)
        self.new_coupon_button.clicked.connect(self.open_coupon_dialog)
        self.show_coupon_button = QPushButton(self.coupon_group)
        self.show_coupon_button.clicked.connect(self.show_selected_coupon)
        self.hide_coupon_button = QPushButton(self.coupon_group)
        self.hide_coupon_button.clicked.connect(lambda: self.run_command(lambda: self.live.coupons.show(None)))
        self.end_coupon_button = QPushButton(self.coupon_group)
        self.end_coupon_button.clicked.connect(self.end_selected_coupon)
        for button in (self.new_coupon_button, self.show_coupon_button, self.hide_coupon_button, self.end_coupon_button):
            row.addWidget(button)
        coupons.addLayout(row)
        layout.addWidget(self.coupon_group)
        # Flash sale
        self.flash_group = QGroupBox(page)
        flash = QFormLayout(self.flash_group)
        self.flash_product_box = QComboBox(self.flash_group)
        self.flash_product_box.setModel(self.product_model)  # shows the SKU; its data is the SKU
        self.flash_stock_spin = QSpinBox(self.flash_group)
        self.flash_stock_spin.setRange(1, 1_000_000)
        self.flash_stock_spin.setValue(50)
        self.flash_price_edit = QLineEdit(self.flash_group)
        self.flash_preroll_spin = QSpinBox(self.flash_group)
        self.flash_preroll_spin.setRange(10, 300)
        self.flash_preroll_spin.setSuffix(" s")
        self.flash_window_spin = QSpinBox(self.flash_group)
        self.flash_window_spin.setRange(1, 20)
        self.flash_window_spin.setValue(5)
        self.flash_window_spin.setSuffix(" min")
        self.flash_cap_spin = QSpinBox(self.flash_group)
        self.flash_cap_spin.setRange(1, 100)
        self.flash_product_label, self.flash_stock_label, self.flash_price_label = QLabel(), QLabel(), QLabel()
        self.flash_preroll_label, self.flash_window_label, self.flash_cap_label = QLabel(), QLabel(), QLabel()
        flash.addRow(self.flash_product_label, self.flash_product_box)
        pair = QHBoxLayout()
        pair.addWidget(self.flash_stock_spin)
        pair.addWidget(self.flash_price_label)
        pair.addWidget(self.flash_price_edit)
        flash.addRow(self.flash_stock_label, pair)
        pair = QHBoxLayout()
        pair.addWidget(self.flash_preroll_spin)
        pair.addWidget(self.flash_window_label)
        pair.addWidget(self.flash_window_spin)
        pair.addWidget(self.flash_cap_label)
        pair.addWidget(self.flash_cap_spin)
        flash.addRow(self.flash_preroll_label, pair)
        row = QHBoxLayout()
        self.flash_start_button = QPushButton(self.flash_group)
        self.flash_start_button.clicked.connect(self.start_flash_sale)
        self.flash_stop_button = QPushButton(self.flash_group)
        self.flash_stop_button.clicked.connect(lambda: self.run_command(self.live.flash_sale.stop))
        self.flash_clear_button = QPushButton(self.flash_group)
        self.flash_clear_button.clicked.connect(lambda: self.run_command(self.live.flash_sale.clear))
        row.addWidget(self.flash_start_button)
        row.addWidget(self.flash_stop_button)
        row.addWidget(self.flash_clear_button)
        flash.addRow(row)
        self.flash_status_label = QLabel(self.flash_group)
        self.flash_status_label.setObjectName("flashStatus")
        self.flash_remaining_bar = QProgressBar(self.flash_group)
        self.flash_remaining_bar.setObjectName("flashRemaining")
        flash.addRow(self.flash_status_label, self.flash_remaining_bar)
        layout.addWidget(self.flash_group)
        # Giveaway
        self.giveaway_group = QGroupBox(page)
        giveaway = QFormLayout(self.giveaway_group)
        self.giveaway_keyword_edit = QLineEdit(self.giveaway_group)
        self.giveaway_prize_edit = QLineEdit(self.giveaway_group)
        self.giveaway_winners_spin = QSpinBox(self.giveaway_group)
        self.giveaway_winners_spin.setRange(1, 100)
        self.giveaway_keyword_label, self.giveaway_prize_label = QLabel(), QLabel()
        pair = QHBoxLayout()
        pair.addWidget(self.giveaway_keyword_edit)
        pair.addWidget(self.giveaway_prize_label)
        pair.addWidget(self.giveaway_prize_edit)
        pair.addWidget(self.giveaway_winners_spin)
        giveaway.addRow(self.giveaway_keyword_label, pair)
        # Entry conditions (fixed when the giveaway opens; refusals are journaled with the reason).
        self.giveaway_followers_box = QCheckBox(self.giveaway_group)
        self.giveaway_age_spin = QSpinBox(self.giveaway_group)
        self.giveaway_age_spin.setRange(0, 3650)
        self.giveaway_comments_spin = QSpinBox(self.giveaway_group)
        self.giveaway_comments_spin.setRange(0, 1000)
        self.giveaway_tickets_spin = QSpinBox(self.giveaway_group)
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
        self.giveaway_exclude_edit = QLineEdit(self.giveaway_group)
        self.giveaway_exclude_edit.setObjectName("giveawayExclude")
        self.giveaway_exclude_label = QLabel()
        giveaway.addRow(self.giveaway_exclude_label, self.giveaway_exclude_edit)
        row = QHBoxLayout()
        self.giveaway_open_button = QPushButton(self.giveaway_group)
        self.giveaway_open_button.clicked.connect(self.open_giveaway)
        self.giveaway_draw_button = QPushButton(self.giveaway_group)
        self.giveaway_draw_button.clicked.connect(lambda: self.run_command(self.live.giveaway.draw))
        self.giveaway_close_button = QPushButton(self.giveaway_group)
        self.giveaway_close_button.clicked.connect(lambda: self.run_command(self.live.giveaway.close))
        for button in (self.giveaway_open_button, self.giveaway_draw_button, self.giveaway_close_button):
            row.addWidget(button)
        giveaway.addRow(row)
        self.giveaway_status_label = QLabel(self.giveaway_group)
        self.giveaway_status_label.setObjectName("giveawayStatus")
        self.giveaway_status_label.setWordWrap(True)
        self.giveaway_status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        giveaway.addRow(self.giveaway_status_label)
        layout.addWidget(self.giveaway_group)
        layout.addStretch(1)
        self.promotions_page = page
        self.tabs.addTab(page, "")

    def _build_show(self) -> None:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        self.segment_label = QLabel(page)
        self.segment_label.setObjectName("segmentLabel")
        font = self.segment_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.segment_label.setFont(font)
        layout.addWidget(self.segment_label)
        self.segment_timer_label = QLabel(page)
        self.segment_timer_label.setObjectName("segmentTimer")
        layout.addWidget(self.segment_timer_label)
        self.segment_bar = QProgressBar(page)
        self.segment_bar.setTextVisible(False)
        layout.addWidget(self.segment_bar)
        self.talking_points_label = QLabel(page)
        self.talking_points_label.setWordWrap(True)
        layout.addWidget(self.talking_points_label)
        self.segment_list = QListWidget(page)
        self.segment_list.setObjectName("segmentList")
        layout.addWidget(self.segment_list, 1)
        row = QHBoxLayout()
        self.advance_button = QPushButton(page)
        self.advance_button.clicked.connect(self.advance)
        self.load_plan_button = QPushButton(page)
        self.load_plan_button.clicked.connect(self.choose_plan)
        row.addWidget(self.advance_button)
        row.addWidget(self.load_plan_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.advance_shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        self.advance_shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        self.advance_shortcut.activated.connect(self.advance)
        self.show_page = page
        self.tabs.addTab(page, "")

    # -- lifecycle -----------------------------------------------------------------------------------
    def attach(self) -> None:
        """Listen to the show and start the drain and snapshot timers."""
        if self._is_attached:
            return
        self.live.event.connect(self._on_live_event)
        status = getattr(self.control, "status", None)
        if status is not None:
            status.connect(self._on_control_status)
        self._is_attached = True
        self._drain_timer.start()
        self._snapshot_timer.start()
        self.refresh()

    def detach(self) -> None:
        """Stop listening and wait for queued commands (call before the show stops)."""
        if not self._is_attached:
            return
        self.live.event.disconnect(self._on_live_event)
        status = getattr(self.control, "status", None)
        if status is not None:
            status.disconnect(self._on_control_status)
        self._is_attached = False
        self._drain_timer.stop()
        self._snapshot_timer.stop()
        self._pool.waitForDone(10_000)

    def refresh(self) -> None:
        """Reload products, recent comments and state from the show (off the GUI thread)."""
        def load() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            return self.live.shelf.to_json(), self.live.comments.recent(include_hidden=True, limit=MAX_COMMENT_ROWS)

        self.run_command(load, self._on_refreshed)

    def _on_refreshed(self, result: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        products, comments = result
        self.set_products(products)
        self.comment_model.replace(comments)

    # -- engine → GUI --------------------------------------------------------------------------------
    def _on_control_status(self, **_status: Any) -> None:
        """Any thread (the control starts off the GUI thread): hop to the GUI thread."""
        try:
            self._control_status_arrived.emit()
        except RuntimeError:  # the panel is gone
            pass

    def _show_control_status(self) -> None:
        """The control API's state in words; a port that cannot be bound is a notice, not a crash."""
        state = getattr(self.control, "state", "off")
        error = getattr(self.control, "control_error", None)
        if state == "unavailable" and error is not None:
            text = str(error)
            self.control_label.setText(text)
            self.control_label.setStyleSheet("color: #ff6b6b;")
            self.pair_button.setEnabled(False)
            self.pair_button.setToolTip(text)
            if self._control_notice_shown != text:
                self._control_notice_shown = text
                self.control_notice.emit(text)
            return
        self._control_notice_shown = None
        self.control_label.setStyleSheet("")
        url = getattr(self.control, "lan_url", None) or getattr(self.control, "url", None)
        if state == "listening" and url:
            self.control_label.setText(self.tr("Control API: {url}").format(url=url))
            self.pair_button.setEnabled(True)
            self.pair_button.setToolTip("")
        else:
            self.control_label.setText(self.tr("Control API off"))
            self.pair_button.setEnabled(False)
            self.pair_button.setToolTip(self.tr("The control API is off, so no tablet can pair."))

    def _on_live_event(self, event: dict[str, Any]) -> None:
        """Engine threads: queue only (the GUI timer applies events in batches)."""
        self.buffer.push(event)

    def drain(self) -> int:
        """GUI thread: apply every queued event at once; returns how many."""
        events = self.buffer.drain()
        if not events:
            return 0
        comments: list[dict[str, Any]] = []
        needs_snapshot = needs_products = False
        for event in events:
            kind, data = event["type"], event["data"]
            if kind == "comment.received":
                comments.append(dict(data))
                continue
            if comments:  # keep order: updates apply to comments already listed
                self.comment_model.append(comments)
                comments = []
            if kind in ("comment.updated", "answer.pinned", "comment.replied"):
                comment_id = data.get("id") or (data.get("comment") or {}).get("id")
                flags = {k: data[k] for k in ("is_question", "is_hidden", "is_answered") if k in data}
                if kind in ("answer.pinned", "comment.replied"):
                    flags = {"is_answered": True}
                self.comment_model.update(lambda c, cid=comment_id: c["id"] == cid, **flags)
                self.comment_proxy.refilter()
            elif kind in ("user.blocked", "user.unblocked"):
                user = data.get("user")
                self.comment_model.update(lambda c, u=user: c["user"] == u, is_hidden=kind == "user.blocked")
                self.comment_proxy.refilter()
            elif kind == "catalog.loaded":
                needs_products = True
            elif kind == "giveaway.entry_refused":
                self._last_refusal = (data.get("user", ""), data.get("reason", ""))
            elif kind == "giveaway.opened":
                self._last_refusal = None
            if not kind.startswith("comment.") and kind != "giveaway.entered":
                needs_snapshot = True
        if comments:
            self.comment_model.append(comments)
        if needs_products:
            self.run_command(self.live.shelf.to_json, self.set_products)
        if needs_snapshot:
            self.request_snapshot()
        self.batch_applied.emit(len(events))
        return len(events)

    def request_snapshot(self) -> None:
        """Ask for the show state; at most one request in flight (the newest answer wins)."""
        if self._is_snapshot_pending:
            return
        self._is_snapshot_pending = True
        run_in_background(self.live.snapshot, self._apply_snapshot, self._on_snapshot_failed, receiver=self, pool=self._pool)

    def _on_snapshot_failed(self, error: BaseException) -> None:
        self._is_snapshot_pending = False
        log.warning("live snapshot failed: %s", error)

    # -- commands ------------------------------------------------------------------------------------
    def run_command(self, work: Callable[[], Any], on_done: Callable[[Any], None] | None = None) -> None:
        """Run a show command on the panel's thread; errors are shown in words in the panel."""
        def guarded() -> Any:
            try:
                return work()
            except LiveError as error:  # expected (a refused command): shown in words, not logged as a crash
                return _Refused(error)

        def done(result: Any) -> None:
            if isinstance(result, _Refused):
                self._on_command_failed(result.error)
                return
            self.error_label.hide()
            if on_done is not None:
                on_done(result)

        run_in_background(guarded, done, self._on_command_failed, receiver=self, pool=self._pool)

    def _on_command_failed(self, error: BaseException) -> None:
        self.error_label.setText(str(error))
        self.error_label.show()

    def visible_sku(self, row: int) -> str | None:
        if not 0 <= row < self.product_proxy.rowCount():
            return None
        return self.product_proxy.index(row, 0).data()

    def pin_row(self, row: int) -> None:
        sku = self.visible_sku(row)
        if sku is not None:
            self.run_command(lambda: self.live.shelf.pin(sku))

    def pin_selected(self) -> None:
        rows = self.product_table.selectionModel().selectedRows()
        if rows:
            self.pin_row(rows[0].row())

    def unpin(self) -> None:
        self.run_command(self.live.shelf.unpin)

    def choose_catalog(self) -> None:
        dialog = QFileDialog(self, self.tr("Load product catalog"), str(Path.home()), self.tr("Catalogs (*.csv *.json)"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.load_catalog)
        dialog.open()

    def load_catalog(self, path: str | Path) -> None:
        def loaded(result: Any) -> None:
            if result.errors:
                self._on_command_failed(Exception(ngettext("{count} catalog row was skipped.", "{count} catalog rows were skipped.", len(result.errors)).format(count=len(result.errors))))
        self.run_command(lambda: self.live.shelf.load(path), loaded)

    def selected_comment(self) -> dict[str, Any] | None:
        index = self.comment_view.currentIndex()
        return index.data(CommentModel.CommentRole) if index.isValid() else None

    def mark_question(self) -> None:
        comment = self.selected_comment()
        if comment is not None:
            self.run_command(lambda: self.live.comments.update(comment["id"], is_question=not comment.get("is_question")))

    def hide_comment(self) -> None:
        comment = self.selected_comment()
        if comment is not None:
            self.run_command(lambda: self.live.comments.update(comment["id"], is_hidden=not comment.get("is_hidden")))

    def block_author(self) -> None:
        comment = self.selected_comment()
        if comment is not None:
            self.run_command(lambda: self.live.comments.block_user(comment["user"], not comment.get("is_hidden")))

    def pin_answer(self) -> None:
        comment = self.selected_comment()
        answer = self.answer_edit.text().strip()
        if comment is None or not answer:
            self._on_command_failed(Exception(self.tr("Choose a comment and type an answer first.")))
            return
        self.run_command(lambda: self.live.comments.pin_answer(comment["id"], answer), lambda _r: self.answer_edit.clear())

    def send_quick_reply(self) -> None:
        """Answer the selected comment by name with the chosen quick reply (sent as an event)."""
        comment = self.selected_comment()
        reply_id = self.quick_reply_box.currentData()
        if comment is None or not reply_id:
            self._on_command_failed(Exception(self.tr("Choose a comment and a quick reply first.")))
            return
        self.run_command(lambda: self.live.comments.reply(comment["id"], reply_id))

    def save_quick_reply(self) -> None:
        """Keep the text typed in the answer field as a quick reply template."""
        text = self.answer_edit.text().strip()
        if not text:
            self._on_command_failed(Exception(self.tr("Type the reply in the answer field first, e.g. “Thanks {name}!”.")))
            return
        self.run_command(lambda: self.live.quick_replies.save(text), lambda _r: self.answer_edit.clear())

    def delete_quick_reply(self) -> None:
        reply_id = self.quick_reply_box.currentData()
        if reply_id:
            self.run_command(lambda: self.live.quick_replies.delete(reply_id))

    def _show_quick_replies(self) -> None:
        replies = self.snapshot.get("quick_replies", [])
        current = [(self.quick_reply_box.itemData(i), self.quick_reply_box.itemText(i)) for i in range(self.quick_reply_box.count())]
        if current == [(r["id"], r["title"]) for r in replies]:
            return
        selected = self.quick_reply_box.currentData()
        self.quick_reply_box.clear()
        for reply in replies:
            self.quick_reply_box.addItem(reply["title"], reply["id"])
            self.quick_reply_box.setItemData(self.quick_reply_box.count() - 1, reply["text"], Qt.ItemDataRole.ToolTipRole)
        index = self.quick_reply_box.findData(selected)
        self.quick_reply_box.setCurrentIndex(index if index >= 0 else max(0, self.quick_reply_box.count() - 1))

    def open_coupon_dialog(self) -> None:
        dialog = CouponDialog(self, locale=self.live.locale)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.create_coupon(**dialog.values()))
        dialog.destroyed.connect(lambda *_a: setattr(self, "coupon_dialog", None))
        self.coupon_dialog = dialog
        dialog.open()

    def create_coupon(self, **values: Any) -> None:
        self.run_command(lambda: self.live.coupons.create(**values))

    def _selected_coupon(self) -> str | None:
        item = self.coupon_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def show_selected_coupon(self) -> None:
        code = self._selected_coupon()
        if code:
            self.run_command(lambda: self.live.coupons.show(code))

    def end_selected_coupon(self) -> None:
        code = self._selected_coupon()
        if code:
            self.run_command(lambda: self.live.coupons.end(code))

    def start_flash_sale(self) -> None:
        sku = self.flash_product_box.currentData()
        if not sku:
            self._on_command_failed(Exception(self.tr("Load a catalog and choose a product first.")))
            return
        kwargs = {"sku": sku, "stock": self.flash_stock_spin.value(), "price": self.flash_price_edit.text().strip() or None,
                  "preroll_s": self.flash_preroll_spin.value(), "window_s": self.flash_window_spin.value() * 60,
                  "per_buyer_cap": self.flash_cap_spin.value()}
        self.run_command(lambda: self.live.flash_sale.start(**kwargs))

    def giveaway_conditions(self) -> dict[str, Any]:
        """The entry conditions as the form sets them (``LiveShow.open_giveaway`` validates them)."""
        return {"followers_only": self.giveaway_followers_box.isChecked(),
                "min_account_age_days": self.giveaway_age_spin.value(),
                "min_comments": self.giveaway_comments_spin.value(),
                "entries_per_viewer": self.giveaway_tickets_spin.value(),
                "excluded_users": [name.strip() for name in self.giveaway_exclude_edit.text().split(",") if name.strip()]}

    def open_giveaway(self) -> None:
        keyword, prize, winners = self.giveaway_keyword_edit.text(), self.giveaway_prize_edit.text(), self.giveaway_winners_spin.value()
        conditions = self.giveaway_conditions()
        self.run_command(lambda: self.live.giveaway.open(keyword, prize, winners, conditions))

    def advance(self) -> None:
        self.run_command(self.live.rundown.advance)

    def choose_plan(self) -> None:
        dialog = QFileDialog(self, self.tr("Load run-of-show"), str(Path.home()), self.tr("Show plans (*.json)"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.load_plan)
        dialog.open()

    def load_plan(self, path: str | Path) -> None:
        def read_and_set() -> Any:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return self.live.rundown.set(data.get("segments", data) if isinstance(data, dict) else data)
        self.run_command(read_and_set)

    def open_pairing(self) -> None:
        if self.pair_dialog is not None:
            self.pair_dialog.raise_()
            return
        dialog = PairDialog(self.control.pairing_url, self.control.pairing_qr(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_a: setattr(self, "pair_dialog", None))
        self.pair_dialog = dialog
        dialog.open()

    # -- presenting ----------------------------------------------------------------------------------
    def set_products(self, products: list[dict[str, Any]]) -> None:
        self.products = products
        language = self.live.locale
        base = language.split("_")[0]
        rows = []
        for product in products:
            titles = product.get("titles") or {}
            title = titles.get(language) or titles.get(base) or titles.get("") or next(iter(titles.values()), product["sku"])
            stock = product.get("stock")
            rows.append((product["sku"], title, f"{product['price']} {product['currency']}", "" if stock is None else str(stock)))
        self.product_model.set_rows(rows)
        self._show_pinned()

    def _on_search(self, text: str) -> None:
        self.product_proxy.set_needle(text)

    def _apply_snapshot(self, snapshot: dict[str, Any]) -> None:
        self._is_snapshot_pending = False
        self.snapshot = snapshot
        self._present()

    def _present(self) -> None:
        snapshot = self.snapshot
        self._show_pinned()
        self._show_coupons()
        self._show_flash_sale()
        self._show_giveaway()
        self._show_segment()
        self._show_quick_replies()
        questions = snapshot.get("question_count", 0)
        self.comment_count_label.setText(ngettext("{count} open question", "{count} open questions", questions).format(count=questions))

    def _show_pinned(self) -> None:
        sku = self.snapshot.get("pinned_sku")
        self.product_model.set_pinned(sku)
        product = self.snapshot.get("pinned_product")
        if product:
            titles = product.get("titles") or {}
            title = titles.get(self.live.locale) or titles.get("") or next(iter(titles.values()), sku)
            self.pinned_label.setText(self.tr("On screen: {sku} — {title}").format(sku=sku, title=title))
        else:
            self.pinned_label.setText(self.tr("No product on screen"))

    def _show_coupons(self) -> None:
        kinds = {"percent": self.tr("{value}% off"), "amount": self.tr("{value} off"), "free_shipping": self.tr("free shipping")}
        rows = []
        for coupon in self.snapshot.get("coupons", []):
            value = coupon["value"].rstrip("0").rstrip(".") if "." in coupon["value"] else coupon["value"]
            state = self.tr("ended") if coupon["is_ended"] else self.tr("on screen") if coupon["is_shown"] else self.tr("active") if coupon["is_active"] else self.tr("inactive")
            quantity = "∞" if coupon["quantity"] is None else str(coupon["quantity"])
            text = self.tr("{code} · {kind} · claimed {claimed}/{quantity} · {state}").format(
                code=coupon["code"], kind=kinds.get(coupon["kind"], coupon["kind"]).format(value=value),
                claimed=coupon["claimed"], quantity=quantity, state=state)
            starts, ends = coupon.get("starts_at"), coupon.get("ends_at")
            if starts is not None and ends is not None:
                text += " · " + self.tr("{start} – {end}").format(start=locale_time(starts, self.live.locale), end=locale_time(ends, self.live.locale))
            elif starts is not None:
                text += " · " + self.tr("from {start}").format(start=locale_time(starts, self.live.locale))
            elif ends is not None:
                text += " · " + self.tr("until {end}").format(end=locale_time(ends, self.live.locale))
            rows.append((coupon["code"], text))
        if rows == [(self.coupon_list.item(i).data(Qt.ItemDataRole.UserRole), self.coupon_list.item(i).text()) for i in range(self.coupon_list.count())]:
            return
        selected = self._selected_coupon()
        self.coupon_list.clear()
        for code, text in rows:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, code)
            self.coupon_list.addItem(item)
            if code == selected:
                self.coupon_list.setCurrentItem(item)

    def _show_flash_sale(self) -> None:
        sale = self.snapshot.get("flash_sale")
        if not sale:
            self.flash_status_label.setText(self.tr("No flash sale"))
            self.flash_remaining_bar.setRange(0, 1)
            self.flash_remaining_bar.setValue(0)
            self.flash_remaining_bar.setFormat("")
            return
        countdown = _clock_text(sale["countdown_s"])
        if sale["phase"] == "preroll":
            text = self.tr("{sku}: starts in {countdown}").format(sku=sale["sku"], countdown=countdown)
        elif sale["phase"] == "live":
            text = self.tr("{sku}: ends in {countdown}").format(sku=sale["sku"], countdown=countdown)
        else:
            reasons = {"sold_out": self.tr("sold out"), "time": self.tr("time is up"), "stopped": self.tr("stopped")}
            text = self.tr("{sku}: ended ({reason})").format(sku=sale["sku"], reason=reasons.get(sale["end_reason"], sale["end_reason"]))
        self.flash_status_label.setText(text)
        self.flash_remaining_bar.setRange(0, max(1, sale["stock"]))
        self.flash_remaining_bar.setValue(sale["remaining"])
        self.flash_remaining_bar.setFormat(self.tr("{remaining} of {stock} left").format(remaining=sale["remaining"], stock=sale["stock"]))

    def _show_giveaway(self) -> None:
        g = self.snapshot.get("giveaway")
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
        if self._last_refusal is not None and g.get("is_open"):
            user, reason = self._last_refusal
            lines.append(self.tr("Last refused: {user} ({reason})").format(user=user, reason=refusal_text(reason)))
        if g.get("seed"):
            lines.append(self.tr("Seed (revealed): {seed}").format(seed=g["seed"]))
        if g.get("winners"):
            lines.append(self.tr("Winners: {names}").format(names=", ".join(g["winners"])))
        self.giveaway_status_label.setText("\n".join(lines))

    def _show_segment(self) -> None:
        plan = self.snapshot.get("plan", [])
        segment = self.snapshot.get("segment")
        current = segment["index"] if segment else -1
        if self.segment_list.count() != len(plan) or any(
                self.segment_list.item(i).data(Qt.ItemDataRole.UserRole) != s["name"] for i, s in enumerate(plan)):
            self.segment_list.clear()
            for seg in plan:
                item = QListWidgetItem(f"{seg['name']}  ({_clock_text(seg['planned_s'])})")
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
            timing = self.tr("Elapsed {elapsed} · overtime {over}").format(elapsed=_clock_text(segment["elapsed_s"]), over=_clock_text(-segment["remaining_s"]))
            self.segment_timer_label.setStyleSheet("color: #ff6b6b; font-weight: bold;")
        else:
            timing = self.tr("Elapsed {elapsed} · remaining {remaining}").format(elapsed=_clock_text(segment["elapsed_s"]), remaining=_clock_text(segment["remaining_s"]))
            self.segment_timer_label.setStyleSheet("")
        self.segment_timer_label.setText(timing)
        self.segment_bar.setRange(0, max(1, int(segment["planned_s"])))
        self.segment_bar.setValue(min(int(segment["planned_s"]), int(segment["elapsed_s"])))
        self.talking_points_label.setText("\n".join(f"• {p}" for p in segment["talking_points"]))

    # -- language ------------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Live panel"))
        self.pair_button.setText(self.tr("Pair a tablet…"))
        self.tabs.setTabText(self.tabs.indexOf(self.products_page), self.tr("Products"))
        self.tabs.setTabText(self.tabs.indexOf(self.comments_page), self.tr("Comments"))
        self.tabs.setTabText(self.tabs.indexOf(self.promotions_page), self.tr("Promotions"))
        self.tabs.setTabText(self.tabs.indexOf(self.show_page), self.tr("Run-of-show"))
        self.search_edit.setPlaceholderText(self.tr("Search SKU or title"))
        self.load_catalog_button.setText(self.tr("Load catalog…"))
        self.product_model.set_headers([self.tr("SKU"), self.tr("Title"), self.tr("Price"), self.tr("Stock")])
        self.pin_button.setText(self.tr("Pin"))
        self.pin_button.setToolTip(self.tr("Show the selected product's card on the program (F1–F12 pin the first twelve rows)"))
        self.unpin_button.setText(self.tr("Unpin"))
        self.questions_only_box.setText(self.tr("Open questions only"))
        self.show_hidden_box.setText(self.tr("Show hidden"))
        self.question_button.setText(self.tr("Question"))
        self.question_button.setToolTip(self.tr("Mark or unmark the selected comment as a question"))
        self.hide_button.setText(self.tr("Hide"))
        self.block_button.setText(self.tr("Block user"))
        self.answer_edit.setPlaceholderText(self.tr("Answer to show on screen"))
        self.pin_answer_button.setText(self.tr("Pin answer"))
        self.unpin_answer_button.setText(self.tr("Unpin answer"))
        self.quick_reply_box.setToolTip(self.tr("Quick replies: {name} is the viewer, {product}, {price}, {sku} the pinned product, {coupon} the coupon on screen"))
        self.quick_reply_box.setPlaceholderText(self.tr("No quick replies yet"))
        self.reply_button.setText(self.tr("Reply"))
        self.reply_button.setToolTip(self.tr("Send the chosen quick reply to the selected comment's author"))
        self.save_reply_button.setText(self.tr("Save as quick reply"))
        self.save_reply_button.setToolTip(self.tr("Keep the answer field's text as a quick reply template"))
        self.delete_reply_button.setText(self.tr("Delete reply"))
        self.coupon_group.setTitle(self.tr("Coupons"))
        self.new_coupon_button.setText(self.tr("New coupon…"))
        self.show_coupon_button.setText(self.tr("Show"))
        self.hide_coupon_button.setText(self.tr("Hide"))
        self.end_coupon_button.setText(self.tr("End"))
        self.flash_group.setTitle(self.tr("Flash sale"))
        self.flash_product_label.setText(self.tr("Product:"))
        self.flash_stock_label.setText(self.tr("Stock:"))
        self.flash_price_label.setText(self.tr("Price:"))
        self.flash_price_edit.setPlaceholderText(self.tr("catalog price"))
        self.flash_preroll_label.setText(self.tr("Pre-roll:"))
        self.flash_window_label.setText(self.tr("Window:"))
        self.flash_cap_label.setText(self.tr("Per buyer:"))
        self.flash_start_button.setText(self.tr("Start"))
        self.flash_stop_button.setText(self.tr("Stop"))
        self.flash_clear_button.setText(self.tr("Clear card"))
        self.giveaway_group.setTitle(self.tr("Giveaway"))
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
        self.advance_button.setText(self.tr("Advance (Ctrl+Enter)"))
        self.load_plan_button.setText(self.tr("Load plan…"))
        self._show_control_status()
        if self.snapshot:
            self._present()
        else:
            self.pinned_label.setText(self.tr("No product on screen"))
            self.flash_status_label.setText(self.tr("No flash sale"))
            self.giveaway_status_label.setText(self.tr("No giveaway"))
            self.segment_label.setText(self.tr("No run-of-show loaded"))
