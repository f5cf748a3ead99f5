"""Where the files that belong to an archive live: one resolver for the crawl and the CLI."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = "data/xzcrawler.db"
DEFAULT_EXPORT = "exports/articles.jsonl"


def export_path(db_path: str | os.PathLike, configured: str | None = None) -> Path:
    """The end-of-crawl JSONL export of the archive at ``db_path``: ``configured`` when set; else
    ``exports/articles.jsonl`` for the default archive and ``<archive>.jsonl`` beside any other,
    so a crawl into another archive never replaces the default archive's export."""
    if configured:
        return Path(configured)
    db = Path(db_path)
    if db.resolve() == Path(DEFAULT_DB).resolve():
        return Path(DEFAULT_EXPORT)
    return db.with_name(db.stem + ".jsonl")


def warc_dir(db_path: str | os.PathLike, configured: str | None = None) -> Path:
    return Path(configured) if configured else Path(db_path).parent / "warc"


def bare_warc_name(name: object) -> bool:
    """A WARC file name as an index row may hold it: a plain name inside the archive's WARC folder.
    A path, a parent reference, a hidden name or a NUL (a row from a hostile shard) is refused, so
    no reader ever opens a file outside the folder."""
    return (
        isinstance(name, str)
        and name.endswith(".warc.gz")
        and not name.startswith(".")
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
    )


def warc_file(folder: Path, name: object) -> Path:
    """The WARC file ``name`` of an index row, inside ``folder``; ValueError for a name that is
    not a bare file name (it is never opened)."""
    if not bare_warc_name(name):
        raise ValueError(f"the index names a WARC file outside its folder: {name!r}")
    return folder / name


def log_dir(db_path: str | os.PathLike, configured: str | None = None) -> Path:
    return Path(configured) if configured else Path(db_path).parent / "logs"
