"""``scrapy crawl``, made safe for cron: settings and arguments checked before anything starts,
one run at a time per archive, an exit status that says whether the run was healthy (see
``xzcrawler/health.py`` for the list), and the verdict as the run's last line."""

from __future__ import annotations

import logging
import sys
import time

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from ..core import health
from ..core.config import ConfigError, check_settings, check_spider_arguments
from ..lock import ArchiveLocked, RunLock

logger = logging.getLogger("xzcrawler")


class Command(ScrapyCrawl):
    def short_desc(self) -> str:
        return "Run a spider (one run per archive at a time; non-zero exit when the run is unhealthy)"

    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("run 'scrapy crawl' with exactly one spider")
        try:
            check_settings(self.settings)
            if args[0] == "articles":
                check_spider_arguments(opts.spargs)
        except ConfigError as exc:
            print(f"xzcrawler: {exc}", file=sys.stderr)
            self.exitcode = health.USAGE
            return
        db_path = self.settings.get("XZ_DB_PATH")
        started = time.monotonic()
        try:
            lock = RunLock.acquire(db_path)
        except ArchiveLocked as exc:
            print(f"xzcrawler: {exc}; exiting {health.LOCKED} without touching the archive", file=sys.stderr)
            self.exitcode = health.LOCKED
            return
        except OSError as exc:
            print(f"xzcrawler: cannot lock the archive {db_path}: {exc}", file=sys.stderr)
            self.exitcode = health.STORAGE
            return
        with lock:
            crawler = self._create_crawler(args[0])
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = health.STARTUP
            return
        stats = crawler.stats.get_stats() if crawler.stats else {}
        code = stats.get("xz/exit_code")
        self.exitcode = health.UNFINISHED if code is None else code
        logger.log(
            logging.INFO if self.exitcode == health.OK else logging.ERROR,
            "%s",
            health.summary(stats, self.exitcode, time.monotonic() - started),
        )
