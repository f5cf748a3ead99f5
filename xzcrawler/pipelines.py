"""Item pipelines, kept thin: validate, then store. Parsing happened in ``pages``."""

from __future__ import annotations

from itemadapter import ItemAdapter

from . import items
from .archive import Archive
from .validate import schema_errors


class ValidatePipeline:
    """An article that breaks the schema is not stored as one: it becomes a failure, kept raw."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item, spider=None):
        adapter = ItemAdapter(item)
        if adapter.get("kind") != "article":
            return item
        record = {k: v for k, v in adapter.items() if k != "kind" and not k.startswith("_")}
        errors = schema_errors(record)
        if not errors:
            return item
        self.stats.inc_value("xz/invalid_articles")
        return items.failure(adapter["url"], "invalid", "schema: " + "; ".join(errors[:5]), 200, adapter.get("_raw_body"))


# Fields whose fill rate the drift guard watches, per kind of observation.
FILL_FIELDS = {"article": ("views", "published_date", "category", "body_text"), "listing": ("views", "published_date")}


class StorePipeline:
    """Writes what the spider saw to the archive at XZ_DB_PATH: articles, listing view counts,
    304s, categories, failures. Counts how often each watched field was filled (drift guard)."""

    def __init__(self, db_path: str, stats, batch_size: int = 200):
        self.db_path = db_path
        self.stats = stats
        self.batch_size = batch_size
        self.archive: Archive | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(settings.get("XZ_DB_PATH"), crawler.stats, settings.getint("XZ_DB_BATCH_SIZE"))

    def open_spider(self, spider=None):
        self.archive = Archive(self.db_path, batch_size=self.batch_size)

    def close_spider(self, spider=None):
        if self.archive is not None:
            self.archive.close()

    def _fill(self, field: str, value) -> None:
        self.stats.inc_value(f"xz/fill/{field}/seen")
        if value not in (None, "", []):
            self.stats.inc_value(f"xz/fill/{field}/filled")

    def process_item(self, item, spider=None):
        adapter = ItemAdapter(item)
        kind = adapter.get("kind")
        if kind == "article":
            self.archive.add_article(adapter)  # a mapping; asdict() would deep-copy every field
            self.stats.inc_value("xz/articles_stored")
            for field in FILL_FIELDS["article"]:
                self._fill(field, adapter.get(field))
        elif kind == "listing":
            items = adapter["items"]
            changed = self.archive.observe_listing(adapter["site"], items, adapter["fetched_at"])
            self.stats.inc_value("xz/listing_items", len(items))
            self.stats.inc_value("xz/view_changes_from_listings", changed)
            for observation in items:
                for field in FILL_FIELDS["listing"]:
                    self._fill(field, observation.get(field))
        elif kind == "not_modified":
            self.archive.mark_not_modified(adapter["site"], adapter["article_id"], adapter["fetched_at"])
        elif kind == "categories":
            self.archive.record_categories(adapter["site"], adapter["categories"], adapter["fetched_at"])
        elif kind == "failure":
            self.archive.record_failure(
                adapter["url"], adapter["failure"], adapter["reason"], adapter.get("http_status"), adapter.get("raw_body")
            )
            prefix = "xz/failures_retried" if adapter.get("retry") else "xz/failures"
            self.stats.inc_value(f"{prefix}/{adapter['failure']}")
        return item
