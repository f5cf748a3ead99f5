"""Storage: where the archive lives, behind one interface (``protocol.Store``).

A crawl builds one store (the ``CrawlServices`` extension), chosen by the ``XZ_STORE`` setting (a
class path, as Scrapy picks ``HTTPCACHE_STORAGE``; default: ``SqliteStore``), and shares it
between the pipelines, the WARC recorder and the run recorder. ``protocol.py`` names every
operation the crawl, reparse, the articles' export and the CLI ask of it; every SQL statement of
the project is in this package.

The SQLite store by concern: ``migrations`` (the tables and how they came to be), ``sqlite``
(writes and history), ``queries`` (reads), ``search`` (the full-text queries), ``export`` (JSONL,
CSV), ``merge`` (shards into one archive), ``write`` (an item to its store calls, for any store),
``lock`` (one run per archive), ``atomic`` (the one atomic file writer).
"""

from __future__ import annotations

from .errors import (
    FAILURE_BODY_MAX,
    STORAGE_ERRORS,
    NotAnArchive,
    StorageError,
    StorageFull,
    StorageUnusable,
    StoreError,
)
from .export import (
    ExportTargetError,
    check_export_target,
    export,
    export_articles,
    export_records,
    write_jsonl_atomic,
)
from .migrations import ARTICLE_FIELDS, migrations
from .sqlite import SqliteStore

__all__ = [
    "ARTICLE_FIELDS",
    "FAILURE_BODY_MAX",
    "STORAGE_ERRORS",
    "ExportTargetError",
    "NotAnArchive",
    "SqliteStore",
    "StorageError",
    "StorageFull",
    "StorageUnusable",
    "StoreError",
    "check_export_target",
    "export",
    "export_articles",
    "export_records",
    "migrations",
    "write_jsonl_atomic",
]
