"""Re-deriving an archive in place without rewriting what was observed (issue 30).

A re-extraction in place used to replay every capture into the archive that already held them:
each replay counted one more own fetch of every article, took one view off its readers' count and
wrote its snapshots again ("0 changed", yet views drifted on every run). In place is now: derive a
fresh archive from the captures beside the old one (as ``reparse --into`` does), carry over what
no capture holds, and put it in place of the old file in one rename. Twice gives the same tables
as once, and as ``--into``.

What no capture holds, and is carried over as it was:

- ``_sqlite_migrations`` (when each upgrade was applied), ``crawl_runs`` (what each run did), ``warc_records`` (the index of the WARC files the captures
  are read from), ``archive_info`` (the archive's identity, named in its WARC files), ``exports``
  (the marks of ``export --changed``);
- the failures of requests that got no response (``network``, ``offsite``, ``robots``, ``trap``,
  ``store``; and a photo's or a theme file's, kinds ``image`` and ``asset``, with no status: refused,
  too large, forbidden by robots.txt): no WARC record says they happened. Failures a capture shows
  (an HTTP error, a page that did not parse, a picture that does not decode) are derived again.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

KEPT_TABLES = ("_sqlite_migrations", "crawl_runs", "warc_records", "archive_info", "exports")
UNCAPTURED_FAILURES = ("network", "offsite", "robots", "trap", "store")
# a photo's or a theme file's failure is uncaptured when no response came (the spider's
# on_image_error records no status); one with a status was derived from its capture
RESOURCE_FAILURES = ("image", "asset")


def carry_over(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Copy into the freshly derived ``target`` what ``source`` holds that no capture does."""
    conn = sqlite3.connect(target)
    try:
        conn.execute("ATTACH DATABASE ? AS old", [f"file:{Path(source).resolve()}?mode=ro"])
        with conn:
            for table in KEPT_TABLES:
                columns = ", ".join(f'"{row[1]}"' for row in conn.execute(f'PRAGMA main.table_info("{table}")'))
                conn.execute(f'DELETE FROM main."{table}"')
                conn.execute(f'INSERT INTO main."{table}" ({columns}) SELECT {columns} FROM old."{table}"')
            columns = ", ".join(f'"{row[1]}"' for row in conn.execute('PRAGMA main.table_info("failures")'))
            conn.execute(
                f"INSERT OR IGNORE INTO main.failures ({columns}) SELECT {columns} FROM old.failures "
                f"WHERE kind IN ({', '.join('?' * len(UNCAPTURED_FAILURES))}) "
                f"OR (kind IN ({', '.join('?' * len(RESOURCE_FAILURES))}) AND http_status IS NULL)",
                [*UNCAPTURED_FAILURES, *RESOURCE_FAILURES],
            )
        conn.execute("DETACH DATABASE old")
    finally:
        conn.close()


def settle(path: str | os.PathLike) -> None:
    """Leave the archive at ``path`` whole in its one file (its write-ahead log written back and
    emptied, the rollback journal mode set), so that a rename moves all of it."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def drop_log_files(path: str | os.PathLike) -> None:
    """Remove the (emptied) write-ahead log and shared-memory files of the archive at ``path``:
    after a rename put another file in its place, they must not be read as that file's."""
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")
