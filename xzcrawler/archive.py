"""The archive: a SQLite file written with sqlite-utils.

A library first (the pipeline, the CLI and the tests all use it); nothing here
knows about Scrapy. The schema evolves through sqlite-utils migrations, so an
older archive upgrades in place when it is opened.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlite_utils import Database, Migrations

from . import normalize as nz

ARTICLE_FIELDS = (
    "url", "site", "article_id", "title", "category", "category_url", "breadcrumbs", "author",
    "published_date", "published_at", "published_precision", "published_text", "views", "byline",
    "keywords", "body_text", "images", "related", "promo_text", "content_hash", "fetched_at",
)  # fmt: skip
JSON_FIELDS = ("breadcrumbs", "keywords", "images", "related")

migrations = Migrations("xzcrawler")


@migrations()
def m001_articles(db: Database) -> None:
    columns = {name: str for name in ARTICLE_FIELDS}
    columns.update({"article_id": int, "views": int, "first_seen": str, "last_seen": str})
    db["articles"].create(columns, pk=("site", "article_id"), not_null={"site", "article_id", "url"})
    db["articles"].create_index(["published_date"])
    db["articles"].create_index(["category"])
    db["articles"].create_index(["views"])
    db["crawl_runs"].create(
        {"id": int, "spider": str, "site": str, "started_at": str, "finished_at": str, "status": str, "stats": str},
        pk="id",
    )
    db["failures"].create(
        {
            "url": str, "kind": str, "reason": str, "http_status": int, "attempts": int,
            "first_seen": str, "last_tried": str, "resolved_at": str, "raw_body": bytes,
        },  # fmt: skip
        pk="url",
    )


class Archive:
    """Open (creating or upgrading) the archive at ``path``."""

    def __init__(self, path: str | os.PathLike, batch_size: int = 200):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = Database(str(path))
        if str(path) != ":memory:":
            self.db.enable_wal()
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        migrations.apply(self.db)
        self.batch_size = batch_size
        self._pending: list[dict] = []

    # -- articles -----------------------------------------------------------
    def add_article(self, record: dict) -> None:
        """Queue one article record; written in batches, each in one transaction."""
        row = {name: record.get(name) for name in ARTICLE_FIELDS}
        row["last_seen"] = record.get("fetched_at") or nz.utc_iso(None)
        self._pending.append(row)
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        with self.db.atomic():
            self.db["articles"].upsert_all(rows, pk=("site", "article_id"))
            self.db.execute("UPDATE articles SET first_seen = last_seen WHERE first_seen IS NULL")
            self.db.execute(
                "UPDATE failures SET resolved_at = ? WHERE resolved_at IS NULL AND url IN (%s)"
                % ",".join("?" * len(rows)),
                [nz.utc_iso(None)] + [row["url"] for row in rows],
            )

    def article_count(self) -> int:
        return self.db["articles"].count

    def iter_articles(self) -> Iterator[dict]:
        """Every article as its schema record, ordered by (site, article_id)."""
        cursor = self.db.execute(
            "SELECT %s FROM articles ORDER BY site, article_id" % ", ".join(ARTICLE_FIELDS)
        )
        for values in cursor:
            record = dict(zip(ARTICLE_FIELDS, values))
            for name in JSON_FIELDS:
                record[name] = json.loads(record[name]) if record[name] else []
            yield record

    # -- failures -----------------------------------------------------------
    def record_failure(
        self, url: str, kind: str, reason: str, http_status: int | None = None, raw_body: bytes | None = None,
        when: str | None = None,
    ) -> None:
        """Keep what could not be archived, raw, with its reason; attempts count up."""
        when = when or nz.utc_iso(None)
        with self.db.atomic():
            existing = self.db.execute("SELECT attempts, first_seen FROM failures WHERE url = ?", [url]).fetchone()
            attempts, first_seen = (existing[0] or 0) + 1 if existing else 1, existing[1] if existing else when
            self.db["failures"].upsert(
                {
                    "url": url, "kind": kind, "reason": reason, "http_status": http_status, "attempts": attempts,
                    "first_seen": first_seen, "last_tried": when, "resolved_at": None, "raw_body": raw_body,
                },  # fmt: skip
                pk="url",
            )

    # -- runs ---------------------------------------------------------------
    def start_run(self, spider: str, site: str | None, started_at: str | None = None) -> int:
        table = self.db["crawl_runs"]
        table.insert({"spider": spider, "site": site, "started_at": started_at or nz.utc_iso(None), "status": "running"})
        return table.last_pk

    def finish_run(self, run_id: int, status: str, stats: dict, finished_at: str | None = None) -> None:
        self.flush()
        self.db["crawl_runs"].update(
            run_id,
            {
                "finished_at": finished_at or nz.utc_iso(None),
                "status": status,
                "stats": json.dumps(stats, default=str, ensure_ascii=False, sort_keys=True),
            },
        )

    def close(self) -> None:
        self.flush()
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_jsonl_atomic(records: Iterable[dict], out: str | os.PathLike) -> int:
    """Write records as JSON lines to a temporary file, fsync, then rename over ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    count = 0
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False, sort_keys=False))
                fh.write("\n")
                count += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return count


def export_articles(db_path: str | os.PathLike, out: str | os.PathLike) -> int:
    """The whole archive as JSONL, one schema record per line, ordered by (site, article_id)."""
    with Archive(db_path) as archive:
        return write_jsonl_atomic(archive.iter_articles(), out)
