"""One safe way to put a file in place: every file the project writes for people to read (exports,
the report, WACZ packages, WARC copies of a merge) is written here.

The content goes to a temporary file beside the target, created exclusively (``O_EXCL``: a file or
a symlink planted at that name is never written through) and never following a symlink
(``O_NOFOLLOW``), named ``.<target>.<pid>.<random>.tmp``; it is flushed and fsynced, then renamed
over the target (atomic on one file system) and the folder fsynced. A writer that fails removes
its temporary file; one killed mid-way leaves it, and the next writer of that target removes the
temporaries of processes that are gone.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


def _temporary_name(out: Path) -> Path:
    return out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def clean_stale(out: Path) -> int:
    """Remove the temporary files of ``out`` left by writers that are gone; returns how many."""
    removed = 0
    for tmp in out.parent.glob(f".{glob.escape(out.name)}.*.tmp"):
        middle = tmp.name[len(out.name) + 2 : -4]  # <pid>.<random>, or <pid> (earlier writers)
        pid = middle.split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed += 1
        except PermissionError:
            pass  # alive, another user's
    return removed


def _open_exclusive(path: Path) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    return os.open(path, flags, 0o644)


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still atomic
    finally:
        os.close(fd)


def _commit(tmp: Path, out: Path) -> None:
    os.replace(tmp, out)
    _sync_folder(out.parent)


@contextlib.contextmanager
def atomic_file(out: str | os.PathLike, mode: str = "wb", encoding: str | None = None) -> Iterator:
    """``with atomic_file(out) as fh: fh.write(...)``: ``out`` appears whole, or not at all."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out)
    tmp = _temporary_name(out)
    fd = _open_exclusive(tmp)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _commit(tmp, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_path(out: str | os.PathLike) -> Iterator[Path]:
    """For a tool that writes a file by name (``wacz create -o``): yields a fresh temporary path
    (reserved exclusively, empty) that the tool fills; it is fsynced and renamed over ``out`` when
    the block ends without error, removed otherwise."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out)
    tmp = _temporary_name(out)
    os.close(_open_exclusive(tmp))
    try:
        yield tmp
        if tmp.is_symlink() or not tmp.is_file():
            raise OSError(f"{tmp} is no longer the regular file this process made")
        fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _commit(tmp, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
