"""RunRecorder: one ``crawl_runs`` row per crawl, with the run's Scrapy stats; refreshes the export."""

from __future__ import annotations

import logging

from scrapy import signals

from . import normalize as nz
from .archive import Archive, export_articles

logger = logging.getLogger(__name__)


class RunRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.db_path = settings.get("XZ_DB_PATH")
        self.export_path = settings.get("XZ_EXPORT_PATH")
        self.export_on_close = settings.getbool("XZ_EXPORT_ON_CLOSE")
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        with Archive(self.db_path) as archive:
            self.run_id = archive.start_run(spider.name, getattr(spider, "site_url", None))
        self.crawler.stats.set_value("xz/run_id", self.run_id)

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats.get_stats()
        errors = stats.get("log_count/ERROR", 0)
        status = "finished" if reason == "finished" and not errors else f"failed ({reason}, {errors} errors)"
        if self.export_on_close:
            count = export_articles(self.db_path, self.export_path)
            self.crawler.stats.set_value("xz/exported", count)
            logger.info("exported %d articles to %s", count, self.export_path)
        with Archive(self.db_path) as archive:
            archive.finish_run(self.run_id, status, self.crawler.stats.get_stats(), nz.utc_iso(None))
