"""SQLite (WAL) store: the current live state plus an append-only event journal.

Every change is written as one transaction holding the journal row and the new state
rows, so a SIGKILL at any moment leaves either the old or the new state, never a mix.
Countdowns are stored as absolute wall-clock deadlines, so a restart recomputes the
right remaining time.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from studio.core.errors import StudioError
from studio.core.i18n import _

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    t REAL NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS comments (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS comments_seq ON comments(seq);
"""
SCHEMA_VERSION = 1
# The show database holds the giveaway's seed before the draw (and viewers' names): owner only.
# SQLite gives the -wal and -shm files the database file's mode.
FILE_MODE = 0o600
_SIDE_FILES = ("-wal", "-shm", "-journal")


# The first 16 bytes of every SQLite 3 database file.
_SQLITE_HEADER = b"SQLite format 3\x00"


class ShowDatabaseError(StudioError):
    """The show database file is not one (or is damaged); the file was left exactly as it was."""


def _refuse_if_not_a_database(path: Path) -> None:
    """Refuse, before anything touches it, a file that is there but is not an SQLite database
    (``--show-db`` pointing at notes, a photo, a catalog): opening it would change its permissions
    and SQLite could write into it."""
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return  # a new show: created below
    except IsADirectoryError:
        raise ShowDatabaseError(_("The show database {path} is a folder; name a file (e.g. {example}).").format(
            path=path, example=path / "show.db")) from None
    except OSError as exc:
        raise ShowDatabaseError(_("Cannot open the show database {path}: {reason}").format(
            path=path, reason=exc.strerror or exc)) from None
    if head and head != _SQLITE_HEADER:
        raise ShowDatabaseError(_("{path} is not a show database (it is not an SQLite file); it was left unchanged. "
                                  "Choose another file, or move this one away to start a new show there.").format(path=path))


def _owner_only(path: Path) -> None:
    """Create ``path`` owner-only, or take group/other access away from an existing one (and its
    SQLite side files, from a database made before this rule).  A file this user may not change
    (another user's, opened for review) is left as it is."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except (FileExistsError, IsADirectoryError):
        pass  # SQLite says what is wrong with a directory or a file it cannot open
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in _SIDE_FILES)):
        try:
            if candidate.is_file() and candidate.stat().st_mode & 0o077:
                candidate.chmod(FILE_MODE)
        except OSError:  # gone meanwhile, or not ours
            pass


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _put_state(db: sqlite3.Connection, state: dict[str, Any]) -> None:
    for key, value in state.items():
        db.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, _json(value)))


class LiveStore:
    """One show database.  Thread-safe; each ``append`` is durable on return (WAL, NORMAL sync)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        _refuse_if_not_a_database(self.path)
        _owner_only(self.path)
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        try:
            # A file with SQLite's header but damaged pages is refused before anything is written.
            problem = self._db.execute("PRAGMA quick_check(1)").fetchone()[0]
            if problem != "ok":
                raise sqlite3.DatabaseError(problem)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a process crash (SIGKILL); only power loss may drop the tail.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._db.execute("PRAGMA user_version=%d" % SCHEMA_VERSION)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise ShowDatabaseError(_("The show database {path} is damaged ({reason}); it was left as it was. Choose "
                                      "another file, or move this one away to start a new show there.").format(
                path=self.path, reason=" ".join(str(exc).replace("*", "").split()))) from None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction under the store's lock: all of it is saved, or none."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def append(self, event_type: str, data: dict[str, Any], state: dict[str, Any] | None = None,
               comment: dict[str, Any] | None = None, t: float | None = None) -> dict[str, Any]:
        """Journal one event and apply its state changes atomically; returns the event."""
        t = time.time() if t is None else t
        data_json = _json(data)
        with self._transaction() as db:
            seq = db.execute("INSERT INTO events (t, type, data) VALUES (?, ?, ?)", (t, event_type, data_json)).lastrowid
            _put_state(db, state or {})
            if comment is not None:
                db.execute("INSERT OR REPLACE INTO comments (id, seq, value) VALUES (?, ?, ?)",
                           (comment["id"], seq, _json(comment)))
        return {"seq": int(seq), "t": t, "type": event_type, "data": data}

    def put_state(self, state: dict[str, Any]) -> None:
        """Write state rows without a journal event: bookkeeping about the run (is the app running
        this show now?), not a change of the show itself."""
        with self._transaction() as db:
            _put_state(db, state)

    def archive_to(self, path: str | Path) -> Path:
        """Copy the whole show (state, journal, comments) to a new database at ``path``, consistently
        (SQLite's online backup), for review after a new show starts.  Refuses to overwrite."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Exclusive create: refuses to overwrite, and the copy is owner-only like the show itself.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        target = sqlite3.connect(str(path))
        try:
            with self._lock:
                self._db.backup(target)
        finally:
            target.close()
        return path

    def reset(self, state: dict[str, Any]) -> None:
        """Empty the journal, the comments and the state, then write ``state``: one transaction."""
        with self._transaction() as db:
            for table in ("events", "comments", "state"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            _put_state(db, state)

    def load_state(self) -> dict[str, Any]:
        with self._lock:
            rows = self._db.execute("SELECT key, value FROM state").fetchall()
        return {key: json.loads(value) for key, value in rows}

    def load_comments(self, limit: int = 5000) -> list[dict[str, Any]]:
        """The newest ``limit`` comments, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT value FROM comments ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
        return [json.loads(value) for (value,) in reversed(rows)]

    def comment_counts(self) -> dict[str, int]:
        """How many comments each viewer posted in this show (from the journal's comment rows)."""
        with self._lock:
            rows = self._db.execute("SELECT json_extract(value, '$.user'), COUNT(*) FROM comments GROUP BY 1").fetchall()
        return {str(user): int(count) for user, count in rows if user is not None}

    def events(self, since_seq: int = 0, event_type: str | None = None) -> Iterator[dict[str, Any]]:
        with self._lock:
            if event_type is None:
                rows = self._db.execute("SELECT seq, t, type, data FROM events WHERE seq > ? ORDER BY seq", (since_seq,)).fetchall()
            else:
                rows = self._db.execute("SELECT seq, t, type, data FROM events WHERE seq > ? AND type = ? ORDER BY seq",
                                        (since_seq, event_type)).fetchall()
        for seq, t, event_type_, data in rows:
            yield {"seq": seq, "t": t, "type": event_type_, "data": json.loads(data)}

    def comments_since(self, since_seq: int = 0, limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
        """``(seq, comment)`` of comments journaled (new or changed) after ``since_seq``, in order."""
        with self._lock:
            rows = self._db.execute("SELECT seq, value FROM comments WHERE seq > ? ORDER BY seq LIMIT ?",
                                    (since_seq, int(limit))).fetchall()
        return [(int(seq), json.loads(value)) for seq, value in rows]

    def query_events(self, type_pattern: str, since_seq: int = 0, limit: int = 500,
                     newest: bool = False) -> list[tuple[int, str]]:
        """``(seq, data JSON text)`` of events whose type matches the SQL LIKE ``type_pattern``
        after ``since_seq``, in order: the first ``limit`` (or, ``newest``, the last ``limit``)."""
        order = "DESC" if newest else "ASC"
        with self._lock:
            rows = self._db.execute(f"SELECT seq, data FROM events WHERE seq > ? AND type LIKE ? ORDER BY seq {order} LIMIT ?",
                                    (since_seq, type_pattern, int(limit))).fetchall()
        return [(int(seq), str(data)) for seq, data in (reversed(rows) if newest else rows)]

    def count_events(self, event_type: str | None = None) -> int:
        with self._lock:
            if event_type is None:
                return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
            return int(self._db.execute("SELECT COUNT(*) FROM events WHERE type = ?", (event_type,)).fetchone()[0])
