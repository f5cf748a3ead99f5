"""What a store raises: storage failures apart from errors of one row."""

from __future__ import annotations

import contextlib
import sqlite3


class StorageError(RuntimeError):
    """A write the archive could not make: locked past the busy timeout, disk full, I/O error.
    Nothing that was queued is dropped: it stays queued for the next attempt."""


class NotAnArchive(RuntimeError):
    """A file asked for reading that is no (current) xzcrawler archive."""


# Errors of one row (its values), as opposed to errors of the storage (sqlite3.OperationalError).
ROW_ERRORS = (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.DataError, OverflowError, ValueError, TypeError)
STORAGE_ERRORS = (sqlite3.OperationalError, sqlite3.DatabaseError, OSError)  # DatabaseError: "file is not a database"
FAILURE_BODY_MAX = 256 * 1024  # a failure keeps this much of the raw body, plus its full size and SHA-256


def storage_reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def _storage():
    """Storage failures (locked, full, I/O) become StorageError, with the reason."""
    try:
        yield
    except STORAGE_ERRORS as exc:
        raise StorageError(storage_reason(exc)) from exc
