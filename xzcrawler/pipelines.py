"""Item pipelines, kept thin: validate, then store. Parsing happened in ``pages``."""

from __future__ import annotations

from itemadapter import ItemAdapter

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
        return {
            "kind": "failure",
            "url": adapter["url"],
            "failure": "invalid",
            "reason": "schema: " + "; ".join(errors[:5]),
            "http_status": 200,
            "raw_body": adapter.get("_raw_body"),
        }


class StorePipeline:
    """Writes articles and failures to the archive at XZ_DB_PATH."""

    def __init__(self, db_path: str, stats):
        self.db_path = db_path
        self.stats = stats
        self.archive: Archive | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("XZ_DB_PATH"), crawler.stats)

    def open_spider(self, spider=None):
        self.archive = Archive(self.db_path)

    def close_spider(self, spider=None):
        if self.archive is not None:
            self.archive.close()

    def process_item(self, item, spider=None):
        adapter = ItemAdapter(item)
        if adapter.get("kind") == "article":
            self.archive.add_article(adapter)  # a mapping; asdict() would deep-copy every field
            self.stats.inc_value("xz/articles_stored")
        elif adapter.get("kind") == "failure":
            self.archive.record_failure(
                adapter["url"], adapter["failure"], adapter["reason"], adapter.get("http_status"), adapter.get("raw_body")
            )
            self.stats.inc_value(f"xz/failures/{adapter['failure']}")
        return item
