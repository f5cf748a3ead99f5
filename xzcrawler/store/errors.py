"""What a store raises: one hierarchy of the project's own, for every backend (issue 30).

``StoreError`` is the base: the crawl, reparse, merge and the CLI catch it, never a backend's own
exceptions (``sqlite3``'s stay inside ``store/``). A storage failure says by its class whether the
run can go on: ``fatal`` is told by the failure's code (SQLite's result code, the OS's errno), not
by searching its message.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import sqlite3


class StoreError(Exception):
    """Anything a store refuses or fails to do."""


class StorageError(StoreError, RuntimeError):
    """A write or read the archive could not make. Nothing that was queued is dropped: it stays
    queued for the next attempt. Not fatal as such (locked past the busy timeout: the next write
    may pass)."""

    fatal = False


class StorageFull(StorageError):
    """The disk, or a file at its size limit, is full: no write will pass until room is made."""

    fatal = True


class StorageUnusable(StorageError):
    """The archive cannot be written at all: an I/O error, read-only, not (or no longer) a database."""

    fatal = True


class NotAnArchive(StoreError, RuntimeError):
    """A file asked for reading that is no (current) xzcrawler archive."""


# SQLite's primary result codes (https://sqlite.org/rescode.html) and the errnos, by what they mean
_FULL_CODES = {13, 18}  # SQLITE_FULL, SQLITE_TOOBIG
_UNUSABLE_CODES = {8, 10, 11, 14, 26}  # READONLY, IOERR, CORRUPT, CANTOPEN, NOTADB
_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_UNUSABLE_ERRNOS = {errno.EIO, errno.EROFS, errno.EACCES, errno.EPERM}


def storage_error(exc: BaseException) -> StorageError:
    """The StorageError that stands for a backend's or the OS's ``exc`` (with its reason)."""
    if isinstance(exc, StorageError):
        return exc
    reason = storage_reason(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    number = getattr(exc, "errno", None)
    if (code is not None and code & 0xFF in _FULL_CODES) or number in _FULL_ERRNOS:
        return StorageFull(reason)
    if (code is not None and code & 0xFF in _UNUSABLE_CODES) or number in _UNUSABLE_ERRNOS:
        return StorageUnusable(reason)
    return StorageError(reason)


# Errors of one row (its values), as opposed to errors of the storage (sqlite3.OperationalError).
ROW_ERRORS = (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.DataError, OverflowError, ValueError, TypeError)
STORAGE_ERRORS = (sqlite3.OperationalError, sqlite3.DatabaseError, OSError)  # DatabaseError: "file is not a database"
FAILURE_BODY_MAX = 256 * 1024  # a failure keeps this much of the raw body, plus its full size and SHA-256


def storage_reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def _storage():
    """Storage failures (locked, full, I/O) become a StorageError, with the reason."""
    try:
        yield
    except STORAGE_ERRORS as exc:
        raise storage_error(exc) from exc


def raises_store_errors(cls):
    """Every public method of ``cls`` raises the project's errors, not the backend's: a failure of
    the storage under it becomes a StorageError (what a caller outside ``store/`` may catch)."""

    def guard(method):
        if inspect.isgeneratorfunction(method):

            @functools.wraps(method)
            def guarded_rows(*args, **kwargs):
                try:
                    yield from method(*args, **kwargs)
                except STORAGE_ERRORS as exc:
                    raise storage_error(exc) from exc

            return guarded_rows

        @functools.wraps(method)
        def guarded(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except STORAGE_ERRORS as exc:
                raise storage_error(exc) from exc

        return guarded

    for klass in cls.__mro__:
        for name, member in vars(klass).items():
            if (
                (name.startswith("_") and name != "__init__")
                or not callable(member)
                or isinstance(member, (staticmethod, classmethod, type))
            ):
                continue
            if name not in vars(cls) or vars(cls)[name] is member:
                setattr(cls, name, guard(member))
    return cls
