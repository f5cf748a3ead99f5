"""``scrapy crawl``, made safe for cron: settings and arguments checked before anything starts,
one run at a time per archive, an exit status that says whether the run was healthy (see
``xzcrawler/core/health.py`` for the list), and the verdict as the run's last line.

``-a site=URL,URL,...`` (or ``-a site=network``, the sites of ``XZ_NETWORK``) runs one crawler
per site in this process, into the one archive: each site has its own downloader (robots.txt,
AutoThrottle, per-host concurrency), refresh state, drift guard, run row and verdict line. The
exit status is the worst site's; the export is written once, after all, when every site was healthy.
"""

from __future__ import annotations

import difflib
import logging
import os
import sys
import time

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from ..core import health
from ..core import normalize as nz
from ..core.config import ConfigError, check_settings, check_spider_arguments, parse_settings, site_urls
from ..store.lock import ArchiveLocked, RunLock

logger = logging.getLogger("xzcrawler")


class Command(ScrapyCrawl):
    def short_desc(self) -> str:
        return "Run a spider (one run per archive at a time; non-zero exit when the run is unhealthy)"

    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("run 'scrapy crawl' with exactly one spider")
        known = self.crawler_process.spider_loader.list()
        if args[0] not in known:
            # (Scrapy's own answer is a KeyError traceback)
            close = difflib.get_close_matches(args[0], known, n=1)
            hint = f"did you mean 'scrapy crawl {close[0]}'?" if close else f"the project's spiders: {', '.join(known)}"
            print(f"xzcrawler: no spider named {args[0]!r}: {hint}", file=sys.stderr)
            self.exitcode = health.USAGE
            return
        sites = None
        try:
            xz = check_settings(self.settings)
            if args[0] == "articles":
                check_spider_arguments(opts.spargs, xz.network)
                if "site" in opts.spargs:
                    sites = site_urls(opts.spargs["site"], xz.network)
        except ConfigError as exc:
            print(f"xzcrawler: {exc}", file=sys.stderr)
            if self.settings.get("LOG_FILE"):  # a Scrapyd job: its log file is where people look
                logger.error("xzcrawler: %s", exc)
            self.exitcode = health.USAGE
            return
        db_path = xz.db_path
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
        several = sites is not None and len(sites) > 1
        with lock:
            crawlers = []
            for url in sites if several else [None]:
                crawler = self._create_crawler(args[0])
                spargs = dict(opts.spargs)
                if url is not None:
                    spargs["site"] = url
                    self._one_of_several(crawler, url)
                elif sites:
                    spargs["site"] = sites[0]
                crawlers.append(crawler)
                self.crawler_process.crawl(crawler, **spargs)
            self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = health.STARTUP
            return
        seconds = time.monotonic() - started
        codes = []
        for crawler in crawlers:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            code = stats.get("xz/exit_code")
            code = health.UNFINISHED if code is None else code
            codes.append(code)
            logger.log(logging.INFO if code == health.OK else logging.ERROR, "%s", health.summary(stats, code, seconds))
        self.exitcode = health.worst(codes)
        if several:
            self.exitcode = self._export_network(self.exitcode)
            failed = [
                f"{nz.site_of(url)} (exit {code})" for url, code in zip(sites, codes, strict=True) if code != health.OK
            ]
            logger.log(
                logging.INFO if self.exitcode == health.OK else logging.ERROR,
                "xzcrawler network: %d sites, %d healthy%s | exit %d | %.1f s",
                len(sites),
                len(sites) - len(failed),
                f"; failed: {', '.join(failed)}" if failed else "",
                self.exitcode,
                seconds,
            )

    def _one_of_several(self, crawler, url: str) -> None:
        """Settings of one site's crawler in a run of several: the export waits for them all,
        and a JOBDIR gets a folder per site."""
        settings = crawler.settings
        # above the command line's priority: the process merges its own settings (-s included)
        # into each crawler, and an equal priority would put them back
        above = SETTINGS_PRIORITIES["cmdline"] + 10
        settings.set("XZ_EXPORT_ON_CLOSE", False, priority=above)
        if settings.get("JOBDIR"):
            settings.set("JOBDIR", os.path.join(settings.get("JOBDIR"), nz.site_of(url)), priority=above)

    def _export_network(self, code: int) -> int:
        from ..extensions import export_archive

        xz = parse_settings(self.settings)
        if not xz.export_on_close:
            return code
        if code != health.OK:
            logger.warning("export not refreshed: a site's run was unhealthy; the last good export stays")
            return code
        try:
            export_archive(xz)
        except Exception as exc:  # noqa: BLE001  (a storage error of any kind: said, and exit 7)
            logger.error("export failed: %s", exc)
            return health.STORAGE
        return code
