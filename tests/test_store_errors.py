"""One error hierarchy of the project's own (issue 30): a store raises StoreError subclasses, never
sqlite3's, and whether a storage failure ends the run is told by its code, not by its wording."""

from __future__ import annotations

import errno
import sqlite3

import pytest

from xzcrawler.store import SqliteStore, StorageError, StorageFull, StorageUnusable, StoreError
from xzcrawler.store.errors import storage_error


def test_a_locked_archive_is_a_storage_error_the_run_may_outlive(tmp_path):
    path = tmp_path / "a.db"
    SqliteStore(path).close()
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with SqliteStore(path, busy_timeout=0.05) as store:
            with pytest.raises(StorageError) as caught:
                store.start_run("articles", "example.com")
            assert type(caught.value) is StorageError and not caught.value.fatal
            assert "locked" in str(caught.value)
            assert not isinstance(caught.value, sqlite3.Error)
    finally:
        holder.rollback()
        holder.close()


def test_a_file_that_is_not_a_database_is_unusable(tmp_path):
    path = tmp_path / "a.db"
    path.write_bytes(b"this is not a database, it was overwritten " * 200)
    with pytest.raises(StorageError) as caught:
        SqliteStore(path)
    assert isinstance(caught.value, StorageUnusable) and caught.value.fatal
    assert "not a database" in str(caught.value)


def test_codes_not_words_decide(tmp_path):
    full = sqlite3.OperationalError("some wording that says nothing")
    full.sqlite_errorcode = 13  # SQLITE_FULL
    assert isinstance(storage_error(full), StorageFull)
    busy = sqlite3.OperationalError("database or disk is full")  # the words, not the code (SQLITE_BUSY)
    busy.sqlite_errorcode = 5
    assert not storage_error(busy).fatal
    assert isinstance(storage_error(OSError(errno.ENOSPC, "No space left on device")), StorageFull)
    assert isinstance(storage_error(OSError(errno.EFBIG, "File too large")), StorageFull)
    assert isinstance(storage_error(OSError(errno.EROFS, "Read-only file system")), StorageUnusable)
    assert all(issubclass(kind, StoreError) for kind in (StorageError, StorageFull, StorageUnusable))
