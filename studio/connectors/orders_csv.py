"""Import a platform's order export (CSV) after the show, so the review sees every order.

Seller centres name their columns differently; the header is matched case-insensitively
against the aliases below (TikTok Shop's "Order ID"/"Seller SKU"/"Quantity"/"Order Amount",
Shopee's "Order ID"/"SKU Reference No."/"Quantity"/"Grand Total", and our own names).  One
row is one order line; its id is ``order id/sku`` so the same export imported twice adds
nothing.  A row with a problem is listed (row, column, reason) and skipped; the others are
imported.
"""
from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from studio.connectors.errors import ConnectorError
from studio.connectors.events import EventType, PlatformEvent, decimal_text, make_event
from studio.core.i18n import _

MAX_FILE_BYTES = 50 * 1024 * 1024
COLUMNS: dict[str, tuple[str, ...]] = {
    "order_id": ("order_id", "order id", "order no.", "order number", "order sn"),
    "sku": ("sku", "seller sku", "sku reference no.", "sku id", "product sku"),
    "quantity": ("quantity", "qty", "item quantity"),
    "amount": ("amount", "order amount", "grand total", "total", "sku subtotal after discount", "price"),
    "currency": ("currency",),
    "buyer": ("buyer", "buyer username", "buyer name", "username (buyer)"),
    "t": ("t", "created time", "order creation date", "order time", "paid time", "created_at"),
    "coupon": ("coupon", "voucher code", "coupon code"),
}
REQUIRED = ("order_id", "sku", "quantity")


@dataclass
class RowProblem:
    row: int  # 1-based line number in the file (the header is row 1)
    column: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class OrderImport:
    events: list[PlatformEvent] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    duplicates: int = 0


def read_orders_csv(path: str | Path, platform: str, default_currency: str | None = None) -> OrderImport:
    """Parse an order export; raises :class:`ConnectorError` only when the file is unusable as a whole."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConnectorError(_("{file} is larger than 50 MB; split the export.").format(file=path.name))
        raw = path.read_bytes()
    except OSError as err:
        raise ConnectorError(_("Cannot read {file}: {reason}").format(file=path.name, reason=err.strerror or err)) from err
    text = raw.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise ConnectorError(_("{file} is empty.").format(file=path.name))
    columns = _map_columns(header)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ConnectorError(_("{file} has no column for: {columns} (the header was: {header}).").format(
            file=path.name, columns=", ".join(missing), header=", ".join(h.strip() for h in header)[:300]))
    result = OrderImport()
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        event = _order(row, columns, line, platform, default_currency, result.problems)
        if event is not None:
            result.events.append(event)
    return result


def _map_columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = name.strip().lower()
        for field_name, aliases in COLUMNS.items():
            if key in aliases and field_name not in columns:
                columns[field_name] = index
    return columns


def _order(row: list[str], columns: dict[str, int], line: int, platform: str, default_currency: str | None,
           problems: list[RowProblem]) -> PlatformEvent | None:
    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    before = len(problems)
    order_id, sku = cell("order_id"), cell("sku")
    for name, value in (("order_id", order_id), ("sku", sku)):
        if not value:
            problems.append(RowProblem(line, name, _("empty")))
    try:
        quantity = int(cell("quantity"))
        if quantity < 1:
            raise ValueError
    except ValueError:
        quantity = 0
        problems.append(RowProblem(line, "quantity", _("not a whole number of at least 1: '{v}'").format(v=cell("quantity")[:40])))
    amount_text = cell("amount")
    amount, currency = _money(amount_text)
    if amount_text and amount is None:
        problems.append(RowProblem(line, "amount", _("not an amount: '{v}'").format(v=amount_text[:40])))
    currency = (cell("currency") or currency or default_currency or "").upper() or None
    if len(problems) > before:
        return None
    return make_event(platform, EventType.ORDER, f"{order_id}/{sku}", t=_time(cell("t")), sku=sku, quantity=quantity,
                      amount=amount, currency=currency, buyer=cell("buyer")[:64] or None, coupon=cell("coupon") or None)


_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY", "₫": "VND", "฿": "THB", "₱": "PHP", "RM": "MYR",
            "Rp": "IDR", "R$": "BRL", "S$": "SGD"}


def _money(text: str) -> tuple[str | None, str | None]:
    """'RM129.90' → ('129.90', 'MYR'); '1,299.00' → ('1299.00', None)."""
    if not text:
        return None, None
    currency = None
    for symbol in sorted(_SYMBOLS, key=len, reverse=True):
        if text.startswith(symbol) or text.endswith(symbol):
            currency = _SYMBOLS[symbol]
            text = text.removeprefix(symbol).removesuffix(symbol)
            break
    parts = text.strip().split()
    if len(parts) == 2 and len(parts[0]) == 3 and parts[0].isalpha():  # "USD 12.50"
        currency, text = parts[0].upper(), parts[1]
    return decimal_text(text.replace(",", "").strip()), currency


def _time(text: str) -> float:
    if text:
        try:
            return float(text)
        except ValueError:
            pass
        for candidate in (text.replace("Z", "+00:00"), text.replace("/", "-")):
            try:
                return datetime.fromisoformat(candidate).timestamp()
            except ValueError:
                continue
    return time.time()
