"""What a review reads: a show's journal (read-only), its stream stats files, the show history.

Platform events (viewer counts, orders, likes, shares, coupon claims, comments from the
connectors, :mod:`studio.connectors.events`) are journaled as ``platform.<type>`` events whose
data is :meth:`PlatformEvent.to_dict` — the inbound format of
``resources/schemas/platform-event.schema.json`` with the platform's own ``id``:

- ``platform.viewers``: ``platform``, ``count`` (concurrent viewers now), ``t``; optionally
  ``extra.unique_viewers`` (unique viewers so far, when the platform reports them)
- ``platform.order``: ``platform``, ``id``, ``sku``, ``quantity``, ``amount`` (the order's total,
  decimal text), ``currency``, ``t``
- ``platform.like`` / ``platform.share`` / ``platform.gift``: ``count`` (how many; 1 when absent)
- ``platform.coupon_claim``: ``coupon``; ``platform.comment``: ``author``, ``text``

:func:`journal_platform_event` writes one that way; the review reads nothing else for
audience figures, and says so when a show has none.
"""
from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from studio.core.i18n import _

PLATFORM_PREFIX = "platform."
_EDGE_BYTES = 64 * 1024  # enough for a few stats samples at either end of a file
ARCHIVE_DIR = "shows"  # studio.live.session.ARCHIVE_DIR: archived shows beside the current one


class ReviewError(Exception):
    """A show cannot be reviewed; the message says why in words."""


@dataclass(slots=True)  # not frozen: a frozen dataclass is built several times slower, and a show has 10⁵–10⁶ rows
class JournalEvent:
    """One journal row; ``when`` is when it happened (a platform event's own ``t``, else the journal's)."""

    seq: int
    t: float
    type: str
    data: dict[str, Any]
    when: float = 0.0


# The review reads only the time of these (a long show has hundreds of thousands): their JSON is
# parsed when something asks for it, not up front.
_TIME_ONLY_TYPES = frozenset({"comment.received"})


class _LazyData(dict):
    """A comment's data, parsed on first use."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text: str | None = text

    def _load(self) -> None:
        if self._text is not None:
            text, self._text = self._text, None
            try:
                payload = json.loads(text)
            except (TypeError, ValueError):
                payload = {}
            if isinstance(payload, dict):
                self.update(payload)

    def get(self, key: Any, default: Any = None) -> Any:
        self._load()
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._load()
        return super().__getitem__(key)

    def __contains__(self, key: Any) -> bool:
        self._load()
        return super().__contains__(key)

    def __iter__(self):
        self._load()
        return super().__iter__()

    def __len__(self) -> int:
        self._load()
        return super().__len__()

    def items(self):
        self._load()
        return super().items()

    def keys(self):
        self._load()
        return super().keys()

    def values(self):
        self._load()
        return super().values()


def journal_platform_event(journal: Any, event: Any) -> dict[str, Any]:
    """Journal one connector event (:class:`~studio.connectors.events.PlatformEvent`) as the review
    reads it; ``journal`` is the show's :class:`~studio.live.journal.ShowJournal`."""
    data = event.to_dict() if hasattr(event, "to_dict") else dict(event)
    data.pop("seq", None)  # the hub's number; the journal numbers events itself
    with journal.lock:
        return journal.commit(PLATFORM_PREFIX + str(data["type"]), data)


def read_journal(db_path: str | Path) -> tuple[list[JournalEvent], dict[str, Any]]:
    """Every journal event (in order) and the saved state of a show database, opened read-only
    (a show on air keeps writing; a reviewed file is never changed)."""
    path = Path(db_path)
    if not path.is_file():
        raise ReviewError(_("There is no show database at {path}.").format(path=path))
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ReviewError(_("The show database {path} cannot be opened: {reason}").format(path=path, reason=exc)) from None
    try:
        rows = db.execute("SELECT seq, t, type, data FROM events ORDER BY seq").fetchall()
        state_rows = db.execute("SELECT key, value FROM state").fetchall()
    except sqlite3.Error as exc:
        raise ReviewError(_("The show database {path} cannot be read: {reason}").format(path=path, reason=exc)) from None
    finally:
        db.close()
    events = []
    for seq, t, event_type, data in rows:
        if not isinstance(t, (int, float)) or not math.isfinite(t):
            continue  # a damaged row: the rest of the show still counts
        if event_type in _TIME_ONLY_TYPES and isinstance(data, str):
            events.append(JournalEvent(int(seq), float(t), str(event_type), _LazyData(data), float(t)))
            continue
        try:
            payload = json.loads(data)
        except (TypeError, ValueError):
            continue
        if isinstance(payload, dict):
            when = payload.get("t") if str(event_type).startswith(PLATFORM_PREFIX) else None
            is_time = isinstance(when, (int, float)) and not isinstance(when, bool) and math.isfinite(when)
            events.append(JournalEvent(int(seq), float(t), str(event_type), payload, float(when) if is_time else float(t)))
    state = {}
    for key, value in state_rows:
        try:
            state[key] = json.loads(value)
        except (TypeError, ValueError):
            continue
    return events, state


def read_stats(paths: Iterable[Path]) -> tuple[list[dict[str, Any]], int]:
    """The stats records of several files, in time order, and how many lines were unreadable."""
    from studio.outputs.show_stats import read_records

    records: list[dict[str, Any]] = []
    bad = 0
    for path in paths:
        try:
            more, unreadable = read_records(path)
        except OSError:
            continue
        records.extend(more)
        bad += unreadable
    records.sort(key=lambda r: r["t"])
    return records, bad


def _first_and_last_t(path: Path) -> tuple[float, float] | None:
    """The first and last sample times of a stats file, reading only its head and tail (a show
    keeps one file per attempt, hours long; the history reads them all)."""
    def sample_t(line: bytes) -> float | None:
        try:
            record = json.loads(line)
        except ValueError:
            return None
        t = record.get("t") if isinstance(record, dict) else None
        return float(t) if isinstance(t, (int, float)) and math.isfinite(t) else None

    with path.open("rb") as handle:
        head = handle.read(_EDGE_BYTES)
        size = handle.seek(0, 2)
        handle.seek(max(0, size - _EDGE_BYTES))
        tail = handle.read(_EDGE_BYTES)
    first = next((t for t in map(sample_t, head.splitlines()) if t is not None), None)
    last = next((t for t in map(sample_t, reversed(tail.splitlines())) if t is not None), None)
    return (first, last) if first is not None and last is not None else None


def stats_for_span(directory: Path, first_t: float, last_t: float, margin_s: float = 120.0) -> list[Path]:
    """The stats files (``bridgecast live``/the app keep one per attempt) whose samples overlap the
    show's journal span: the stream of this show, not of another one."""
    chosen = []
    for path in sorted(directory.glob("*.jsonl")) if directory.is_dir() else []:
        try:
            edges = _first_and_last_t(path)
        except OSError:
            continue
        if edges and min(edges) <= last_t + margin_s and max(edges) >= first_t - margin_s:
            chosen.append(path)
    return chosen


@dataclass(frozen=True)
class ShowFile:
    """One show in the history: the database, when its journal starts and ends (wall seconds)."""

    path: Path
    first_t: float | None
    last_t: float | None
    is_current: bool


def journal_span(db_path: Path) -> tuple[float | None, float | None]:
    """First and last journal times of a show database (None, None when it is empty or unreadable)."""
    try:
        db = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            first, last = db.execute("SELECT MIN(t), MAX(t) FROM events").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None, None
    return first, last


def show_history(current_db: Path) -> list[ShowFile]:
    """The current show and the archived ones (``shows/show-*.db`` beside it), newest first."""
    shows = []
    candidates = [(current_db, True)] if current_db.is_file() else []
    archive = current_db.parent / ARCHIVE_DIR
    if archive.is_dir():
        candidates += [(path, False) for path in archive.glob("show-*.db")]
    for path, is_current in candidates:
        first, last = journal_span(path)
        shows.append(ShowFile(path, first, last, is_current))
    shows.sort(key=lambda show: show.first_t if show.first_t is not None else float("-inf"), reverse=True)
    return shows
