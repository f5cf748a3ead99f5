"""``scrapy crawl``, made safe for cron: one run at a time per archive, and an exit status that
says whether the run was healthy (see ``xzcrawler/health.py`` for the list)."""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from .. import health
from ..lock import ArchiveLocked, RunLock


class Command(ScrapyCrawl):
    def short_desc(self) -> str:
        return "Run a spider (one run per archive at a time; non-zero exit when the run is unhealthy)"

    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("run 'scrapy crawl' with exactly one spider")
        db_path = self.settings.get("XZ_DB_PATH")
        try:
            lock = RunLock.acquire(db_path)
        except ArchiveLocked as exc:
            print(f"xzcrawler: {exc}; exiting {health.LOCKED} without touching the archive", file=sys.stderr)
            self.exitcode = health.LOCKED
            return
        with lock:
            crawler = self._create_crawler(args[0])
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = health.STARTUP
            return
        code = crawler.stats.get_value("xz/exit_code") if crawler.stats else None
        self.exitcode = health.UNFINISHED if code is None else code
