"""Storage: where the archive lives, behind a narrow interface.

A crawl builds one store (``extensions.open_store``), chosen by the ``XZ_STORE`` setting (a class path, as
Scrapy picks ``HTTPCACHE_STORAGE``; default: the SQLite store), shares it between the pipelines,
the WARC recorder and the run recorder, and closes it when the engine stops. What a store
implements (see docs/architecture.md for a PostgreSQL one):

- the spider's start state: ``known_articles(site)``, ``last_run_status(site)``,
  ``pending_failures(site, max_attempts)``, ``rebase(site, base_url)``;
- writes, each a transaction: ``add_article(record, raw_body, etag, last_modified)`` (batched;
  ``flush()``), ``observe_listing``, ``mark_not_modified``, ``record_categories``,
  ``record_failure``, ``add_warc_index``; counters ``counts``, ``rejected``, ``pending_count``;
- runs: ``start_run``, ``finish_run``, ``recent_runs(site, limit)``;
- ``close()``. Storage failures raise ``StorageError``; a row's own faults are kept in failures.

The SQLite store is split by concern: ``schema`` (fields, migrations), ``sqlite`` (writes and
history), ``queries`` (reads), ``export`` (JSONL, CSV).
"""

from __future__ import annotations

from .errors import FAILURE_BODY_MAX, STORAGE_ERRORS, NotAnArchive, StorageError
from .export import (
    ExportTargetError,
    check_export_target,
    export,
    export_articles,
    write_jsonl_atomic,
)
from .migrations import ARTICLE_FIELDS, migrations
from .sqlite import Archive

SqliteStore = Archive

__all__ = [
    "ARTICLE_FIELDS",
    "FAILURE_BODY_MAX",
    "STORAGE_ERRORS",
    "Archive",
    "ExportTargetError",
    "NotAnArchive",
    "SqliteStore",
    "StorageError",
    "check_export_target",
    "export",
    "export_articles",
    "migrations",
    "write_jsonl_atomic",
]
