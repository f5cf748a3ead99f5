"""Item pipelines, kept thin: validate, then store. Parsing happened in ``pages``."""

from __future__ import annotations

import functools
import logging
import time

from .core import families, health, items
from .core.validate import vet
from .extensions import config, open_store
from .store import StorageError
from .store.write import write_item

logger = logging.getLogger(__name__)


class ValidatePipeline:
    """An article that breaks the schema, or whose identity does not hold (its id from the
    address, the markup agreeing, the crawl's host), is not stored as one: it becomes a
    failure, kept raw."""

    def __init__(self, stats, crawler=None):
        self.stats = stats
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, crawler)

    def process_item(self, item, spider=None):
        spider = self.crawler.spider if self.crawler is not None else None
        vetted = vet(item, getattr(spider, "site_key", None))
        if vetted is not item:
            self.stats.inc_value("xz/identity_refused" if vetted.kind == "identity" else "xz/invalid_articles")
        return vetted


class StorePipeline:
    """Writes what the spider saw to the archive at XZ_DB_PATH: articles, listing view counts,
    304s, categories, failures. Counts how often each watched field was filled (drift guard),
    and each failed address once (new failures apart from retries of old ones).

    A write the storage refuses (locked past XZ_DB_BUSY_TIMEOUT, disk full, I/O error) is
    counted in ``xz/storage_errors``: the run's verdict is then a failure (exit 7) and what was
    not written is fetched again next run; a full disk or an I/O error stops the run at once.
    """

    def __init__(self, store, stats, crawler=None, families: bool = True):
        self.stats = stats
        self.crawler = crawler
        self.families = families  # XZ_FAMILIES
        self.archive = store
        self.batch_size = store.batch_size
        self.failed_urls: set[str] = set()
        self.retried_urls: set[str] = set()
        self._closing = False
        self._noted: tuple | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(open_store(crawler), crawler.stats, crawler, config(crawler).families)

    def close_spider(self, spider=None):
        """Write what is queued (the store itself is closed when the engine stops)."""
        self._closing = True
        try:
            self._guard(self.archive.flush)
            if self.families and not self.archive.pending_count:
                started = time.monotonic()
                done = self._guard(families.update, self.archive)
                if done is not None and done.signed:
                    self.stats.set_value("xz/families_signed", done.signed)
                    self.stats.set_value("xz/families", done.families)
                    logger.info(
                        "families: %d new or changed text(s) signed, %d link(s); %d families of %d posts (%.1f s)",
                        done.signed,
                        done.links,
                        done.families,
                        done.members,
                        time.monotonic() - started,
                    )
        finally:
            self._note_rejected()
            lost = self.archive.pending_count
            if lost:
                self.stats.set_value("xz/articles_not_written", lost)
                logger.error("%d article(s) could not be written; the next run fetches them again", lost)

    def storage_failed(self, exc: StorageError) -> None:
        reason = str(exc)
        self.stats.inc_value("xz/storage_errors")
        if self.stats.get_value("xz/storage_error") is None:
            self.stats.set_value("xz/storage_error", reason)
            logger.error("archive write failed: %s", reason)
        fatal = exc.fatal  # (by its code: store/errors.py)
        too_much = self.archive is not None and self.archive.pending_count > 10 * self.batch_size
        if (fatal or too_much) and self.crawler is not None and not self._closing:
            from .extensions import stop_crawl

            self._closing = True
            stop_crawl(self.crawler, "storage_error")

    def _guard(self, write, *args):
        """``write(*args)``, or None when the storage refused it (counted, see storage_failed)."""
        try:
            return write(*args)
        except StorageError as exc:
            self.storage_failed(exc)
            return None

    def _note_rejected(self) -> None:
        counts = (tuple(self.archive.counts.items()), len(self.failed_urls))
        if counts == self._noted and not self.archive.rejected:
            return  # nothing new since the last item (the common case: rows are written in batches)
        self._noted = counts
        for name, count in self.archive.counts.items():
            self.stats.set_value(
                f"xz/articles_{name}" if name != "failures_resolved" else "xz/failures_resolved", count
            )
        for url, _reason in self.archive.rejected:
            self.stats.inc_value("xz/failures/store")
            self.failed_urls.add(url)
        self.archive.rejected.clear()
        self.stats.set_value("xz/failed_urls", len(self.failed_urls))

    def _fill(self, field: str, value) -> None:
        self.stats.inc_value(f"xz/fill/{field}/seen")
        if value not in (None, "", []):
            self.stats.inc_value(f"xz/fill/{field}/filled")

    def process_item(self, item, spider=None):
        if isinstance(item, items.Article):
            self.stats.inc_value("xz/articles_stored")  # queued: xz/articles_not_written says what never was
        changed = self._guard(write_item, item, self.archive)
        self._count(item, changed or 0)
        self._note_rejected()
        return item

    @functools.singledispatchmethod
    def _count(self, item, changed: int) -> None:
        """The run's stats of what was stored (the drift guard's fill and selector rates among them)."""

    @_count.register
    def _(self, item: items.Article, changed: int) -> None:
        record = item.record
        for field in health.WATCHED:
            self._fill(field, record.get(field))
        for field in health.PRIMARY:
            self.stats.inc_value(f"xz/primary/{field}/seen")
            if field in item.primary:
                self.stats.inc_value(f"xz/primary/{field}/hit")
            elif record.get(field) not in (None, "", []):
                self.stats.inc_value(f"xz/fallback/{field}")  # recovered by a fallback selector

    @_count.register
    def _(self, item: items.ListingSeen, changed: int) -> None:
        if item.source == "feed":  # dates only: the feed shows no count, and is no listing
            self.stats.inc_value("xz/feed_items", len(item.items))
            return
        self.stats.inc_value("xz/listing_items", len(item.items))
        self.stats.inc_value("xz/view_changes_from_listings", changed)
        for observation in item.items:
            for field in health.WATCHED_ON_LISTINGS:
                self._fill(field, observation.get(field))

    @_count.register
    def _(self, item: items.Failure, changed: int) -> None:
        self.stats.inc_value(f"{'xz/failures_retried' if item.retry else 'xz/failures'}/{item.kind}")
        if item.kind in (
            "robots",
            "image",
            "asset",
        ):  # obeyed, not failed; photos and the theme's files have their own limit (health)
            return
        (self.retried_urls if item.retry else self.failed_urls).add(item.url)
