"""The Live panel's item models: the catalog table and the comment list (Qt models, no widgets)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QModelIndex, QObject, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from ui.live_panel.badges import platform_label

MAX_COMMENT_ROWS = 500  # the panel shows the newest; the journal keeps every one
HOTKEY_COUNT = 12
PINNED_BRUSH = QBrush(QColor(255, 184, 28, 110))
QUESTION_COLOUR = QColor(80, 160, 255)
HIDDEN_COLOUR = QColor(128, 128, 128)


def clock_text(seconds: float) -> str:
    """``mm:ss``, rounded up (a countdown shows 00:01 until it is really over)."""
    seconds = int(max(0.0, seconds) + 0.999)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def product_rows(products: list[dict[str, Any]], locale: str) -> list[tuple[str, str, str, str]]:
    """(SKU, title in ``locale``, price with currency, stock) for the catalog table."""
    base = locale.split("_")[0]
    rows = []
    for product in products:
        titles = product.get("titles") or {}
        title = titles.get(locale) or titles.get(base) or titles.get("") or next(iter(titles.values()), product["sku"])
        stock = product.get("stock")
        rows.append((product["sku"], title, f"{product['price']} {product['currency']}", "" if stock is None else str(stock)))
    return rows


@dataclass
class OrderCount:
    """Orders of one product this show: units, orders, and units per platform."""

    units: int = 0
    orders: int = 0
    by_platform: dict[str, int] = field(default_factory=dict)

    def add(self, order: dict[str, Any]) -> None:
        quantity = order.get("quantity")
        units = quantity if isinstance(quantity, int) and not isinstance(quantity, bool) and quantity > 0 else 1
        self.units += units
        self.orders += 1
        platform = str(order.get("platform") or "")
        self.by_platform[platform] = self.by_platform.get(platform, 0) + units

    def describe(self) -> str:
        """e.g. 'YouTube 3 · TikTok 2' (units per platform)."""
        return " · ".join(f"{platform_label(name) if name else '?'} {units}" for name, units in sorted(self.by_platform.items()))


class ProductTableModel(QAbstractTableModel):
    """The catalog as rows (SKU, title, price, stock, units ordered on the platforms this show);
    the pinned row is highlighted.

    A plain table model rather than one item per cell: a 10,000-row catalog loads in a few ms.
    """

    SkuRole = Qt.ItemDataRole.UserRole  # also what the flash-sale product box reports as its data
    ORDERS_COLUMN = 4
    COLUMNS = 5

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, str, str, str]] = []
        self.headers = [""] * self.COLUMNS
        self.ordered: dict[str, OrderCount] = {}  # SKU -> what the platforms' orders add up to
        self.pinned_sku: str | None = None
        self._row_of: dict[str, int] = {}
        self._bold = QFont()
        self._bold.setBold(True)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self.COLUMNS

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if index.column() == self.ORDERS_COLUMN:
            count = self.ordered.get(row[0])
            if role == Qt.ItemDataRole.DisplayRole:
                return str(count.units) if count else ""
            if role == Qt.ItemDataRole.ToolTipRole and count:
                return count.describe()
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DisplayRole:
            return row[index.column()] if index.column() < len(row) else ""
        if role == self.SkuRole:
            return row[0]
        if row[0] == self.pinned_sku:
            if role == Qt.ItemDataRole.BackgroundRole:
                return PINNED_BRUSH
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < self.COLUMNS:
            return self.headers[section]
        return None

    def set_headers(self, headers: list[str]) -> None:
        self.headers = (list(headers) + [""] * self.COLUMNS)[:self.COLUMNS]
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.COLUMNS - 1)

    def set_orders(self, orders: list[dict[str, Any]]) -> None:
        """Count again from every order of the show (``platform.order`` data, oldest first)."""
        self.ordered = {}
        self.add_orders(orders)
        if self.rows:
            self.dataChanged.emit(self.index(0, self.ORDERS_COLUMN), self.index(len(self.rows) - 1, self.ORDERS_COLUMN))

    def add_orders(self, orders: list[dict[str, Any]]) -> None:
        """Orders as they come in; rows of the SKUs they name are repainted."""
        changed: set[str] = set()
        for order in orders:
            sku = order.get("sku")
            if not isinstance(sku, str) or not sku:
                continue
            self.ordered.setdefault(sku, OrderCount()).add(order)
            changed.add(sku)
        for sku in changed:
            row = self._row_of.get(sku)
            if row is not None:
                self.dataChanged.emit(self.index(row, self.ORDERS_COLUMN), self.index(row, self.ORDERS_COLUMN))

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
                self.dataChanged.emit(self.index(row, 0), self.index(row, self.COLUMNS - 1))

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
    PlatformRole = Qt.ItemDataRole.UserRole + 3  # 'youtube' … (None: our own control API or simulator)

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
        if role == self.PlatformRole:
            return c.get("platform") or None
        if role == Qt.ItemDataRole.ToolTipRole:
            text = f"{c['user']}: {c['text']}"
            return f"{platform_label(c['platform'])} · {text}" if c.get("platform") else text
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
    """Hides hidden comments unless asked; optionally only the open questions."""

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
