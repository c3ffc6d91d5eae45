"""A show database that is not one (notes, random bytes, a damaged SQLite file, a folder) is
refused in words and left exactly as it was: never overwritten, never turned into a new show."""
from __future__ import annotations

import os
import sqlite3

import pytest

from studio.live.store import LiveStore, ShowDatabaseError


def _damaged_sqlite(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(5000)])
    db.commit()
    db.close()
    data = bytearray(path.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # page 2 overwritten: the header still says SQLite
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("content", [b"my shopping notes\n", os.urandom(20_000), b"SQLite format 2\x00" + b"\x00" * 100])
def test_a_file_that_is_not_sqlite_is_refused_and_left_unchanged(tmp_path, content):
    path = tmp_path / "show.db"
    path.write_bytes(content)
    path.chmod(0o644)
    with pytest.raises(ShowDatabaseError) as caught:
        LiveStore(path)
    assert str(caught.value) == (f"{path} is not a show database (it is not an SQLite file); it was left unchanged. "
                                 "Choose another file, or move this one away to start a new show there.")
    assert path.read_bytes() == content and path.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["show.db"]  # no -wal, -shm or journal made


def test_a_damaged_sqlite_file_is_refused_and_its_content_kept(tmp_path):
    path = tmp_path / "show.db"
    _damaged_sqlite(path)
    before = path.read_bytes()
    with pytest.raises(ShowDatabaseError, match=r"The show database .*show.db is damaged .*it was left as it was"):
        LiveStore(path)
    assert path.read_bytes() == before


def test_a_folder_is_refused_in_words(tmp_path):
    with pytest.raises(ShowDatabaseError, match="is a folder; name a file"):
        LiveStore(tmp_path)


def test_an_empty_or_missing_file_starts_a_new_show_and_a_good_one_reopens(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    for path in (empty, tmp_path / "new.db"):
        store = LiveStore(path)
        store.put_state({"k": 1})
        store.close()
        again = LiveStore(path)
        assert again.load_state()["k"] == 1
        again.close()
