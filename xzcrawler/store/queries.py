"""What the crawl and the tools ask of the archive (read only)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..core import normalize as nz
from .migrations import ARTICLE_FIELDS, JSON_FIELDS


class Queries:
    """Reading methods of the SQLite store (``self.db``: a sqlite-utils Database)."""

    @property
    def identity(self) -> str:
        """The archive's own id (``archive_info``): what its WARC files' warcinfo records name."""
        return self.db.execute("SELECT id FROM archive_info").fetchone()[0]

    def warc_files_indexed(self) -> dict[str, int]:
        """Each WARC file name the index lists, and the offset where its last indexed record ends."""
        return dict(self.db.execute("SELECT file, max(offset + length) FROM warc_records GROUP BY file").fetchall())

    def article_count(self) -> int:
        return self.db["articles"].count

    def known_articles(self, site: str) -> dict[int, dict]:
        """What a refresh needs to know of each archived article of ``site``, by article id."""
        cursor = self.db.execute(
            "SELECT article_id, url, etag, last_modified, last_checked, published_date FROM articles WHERE site = ?",
            [site],
        )
        return {
            aid: {
                "article_id": aid,
                "url": url,
                "etag": etag,
                "last_modified": lm,
                "last_checked": checked,
                "published_date": pd,
            }
            for aid, url, etag, lm, checked, pd in cursor
        }

    def pending_failures(self, site: str, max_attempts: int) -> list[str]:
        """URLs of ``site`` whose last attempt failed and that have attempts left (a listing trap
        is not retried: it would walk the trap again)."""
        return [
            url
            for (url,) in self.db.execute(
                "SELECT url FROM failures WHERE resolved_at IS NULL AND attempts < ? AND kind != 'trap' "
                "ORDER BY first_seen",
                [max_attempts],
            )
            if nz.site_of(url) == site
        ]

    def recent_runs(self, site: str, limit: int) -> list[dict]:
        """Stats of the last healthy runs on ``site`` (a site key), newest first."""
        cursor = self.db.execute(
            "SELECT stats FROM crawl_runs WHERE site = ? AND status = 'finished' AND stats IS NOT NULL "
            "ORDER BY id DESC LIMIT ?",
            [site, limit],
        )
        return [json.loads(stats) for (stats,) in cursor]

    def iter_articles(self, where: str = "", params=()) -> Iterator[dict]:
        """Every article (or those ``where`` selects) as its schema record, ordered by (site, article_id)."""
        cursor = self.db.execute(
            "SELECT {} FROM articles{} ORDER BY site, article_id".format(", ".join(ARTICLE_FIELDS), where), params
        )
        for values in cursor:
            record = dict(zip(ARTICLE_FIELDS, values, strict=True))
            for name in JSON_FIELDS:
                record[name] = json.loads(record[name]) if record[name] else []
            yield record

    def last_capture(self, url: str) -> tuple[str, str, str] | None:
        """(payload digest, WARC-Record-ID, WARC-Date) of the last full response record of ``url``."""
        row = self.db.execute(
            "SELECT digest, record_id, fetched_at FROM warc_records WHERE url = ? AND record_type = 'response' "
            "ORDER BY id DESC LIMIT 1",
            [url],
        ).fetchone()
        return tuple(row) if row else None

    def last_run_status(self, site: str) -> str | None:
        """Status of the latest run on ``site`` (a site key), or None if there was none."""
        row = self.db.execute(
            "SELECT status FROM crawl_runs WHERE site = ? ORDER BY id DESC LIMIT 1", [site]
        ).fetchone()
        return row[0] if row else None
