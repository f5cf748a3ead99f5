"""Scrapy extensions of the project.

RunRecorder: one ``crawl_runs`` row per crawl with the run's Scrapy stats and its health
verdict (see ``core/health.py``); refreshes the export. RotatingLog: the run's log, rotated,
in ``logs/`` beside the archive. SiteLogStats: the periodic stats line, per site.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from scrapy import signals
from scrapy.extensions.logstats import LogStats

from .core import health, moves, progress
from .core.clock import Clock
from .core.config import XzSettings, parse_settings
from .store import StoreError, export_articles, export_records

logger = logging.getLogger(__name__)


class CrawlServices:
    """What a crawl's components share, in one extension: the crawl's clock (``XZ_NOW`` pins it)
    and its one store, built on first use from ``XZ_STORE`` and the ``XZ_DB_*`` settings and closed
    when the engine stops. Components reach it through ``services(crawler)``
    (``crawler.get_extension``): pipelines and middlewares in ``from_crawler``, the spider and the
    other extensions once the crawl has begun."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.config = config(crawler)
        self.clock = Clock(self.config.now)
        self._store = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def store(self):
        if self._store is None:
            settings = self.config
            self._store = settings.store(
                settings.db_path,
                batch_size=settings.db_batch_size,
                clock=self.clock,
                busy_timeout=settings.db_busy_timeout,
            )
            self.crawler.signals.connect(_closer(self._store), signal=signals.engine_stopped, weak=False)
        return self._store


def config(crawler) -> XzSettings:
    """The crawl's ``XZ_*`` settings, parsed once (core.config.XzSettings): what every component
    reads. (Defaults: settings.py's, for a crawler built with Scrapy's defaults alone.)"""
    found = crawler.__dict__.get("_xz_config")
    if found is None:
        from . import settings as project

        found = crawler.__dict__["_xz_config"] = parse_settings(crawler.settings, defaults=project)
    return found


def services(crawler) -> CrawlServices:
    """The crawl's CrawlServices extension."""
    found = crawler.get_extension(CrawlServices)
    if found is None:
        raise RuntimeError("the xzcrawler.extensions.CrawlServices extension is off: enable it in EXTENSIONS")
    return found


def open_store(crawler):
    """The one store of a crawl (see CrawlServices)."""
    return services(crawler).store


def _closer(store):
    def close():
        try:
            store.close()  # (the store closes its connection even when the last write fails)
        except Exception as exc:  # noqa: BLE001  (the run's verdict already said what was not written)
            logger.error("closing the archive: %s", exc)

    return close


def stop_crawl(crawler, reason: str) -> None:
    """Close the crawl now (a storage failure): no more requests; the verdict says why."""
    from scrapy.utils.defer import deferred_from_coro

    engine = crawler.engine
    if engine is not None and engine.running and getattr(engine, "_slot", True) is not None:
        deferred_from_coro(engine.close_spider_async(reason=reason))


def export_archive(settings: XzSettings, store=None) -> int:
    """Write the archive's JSONL export (``XZ_EXPORT_PATH``, or the archive's own) from the crawl's
    ``store`` (else the archive file at XZ_DB_PATH); its row count."""
    target = settings.export_file
    count = export_records(store, target) if store is not None else export_articles(settings.db_path, target)
    logger.info("exported %d articles to %s", count, target)
    return count


class RunRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = config(crawler)
        self.export_path = settings.export_file
        self.export_on_close = settings.export_on_close
        self.max_attempts = settings.max_attempts
        self.limits = {
            "max_error_rate": settings.max_error_rate,
            "drift_points": settings.drift_points,
            "drift_min_seen": settings.drift_min_observations,
            "max_image_failure_rate": settings.max_image_failure_rate,
        }
        self.drift_runs = settings.drift_runs
        self.run_id: int | None = None
        self.verdict: health.Verdict | None = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _archive(self):
        return open_store(self.crawler)

    def _storage_failed(self, exc: Exception) -> None:
        stats = self.crawler.stats
        stats.inc_value("xz/storage_errors")
        if stats.get_value("xz/storage_error") is None:
            stats.set_value("xz/storage_error", str(exc))
        logger.error("archive write failed: %s", exc)

    def spider_opened(self, spider):
        store = self._archive()
        site = getattr(spider, "site_key", None)
        self.crawler.stats.set_value("xz/site", site)
        try:
            if site is not None:
                # the spider's start state, before this run's own row exists
                spider.known = store.known_articles(site)
                # after a run that did not finish well (killed mid-crawl, say), listing pages of known
                # articles may hide unknown ones further on: walk every listing page this time
                spider.walk_all = spider.full or store.last_run_status(site) not in (None, "finished")
                spider.retry_urls = store.pending_failures(site, self.max_attempts)
                spider.named_categories = store.named_categories(site)  # walked if the home page links none
                if spider.image_settings is not None:  # photos held whole are not fetched again
                    spider.held_images = store.held_images()
                    spider.failed_images = store.image_failures()
                    spider.held_assets = store.held_assets()  # the theme's files: asked with their validators
                # stored addresses elsewhere: none moves before the new address has shown it serves
                # the same posts (core.moves; the spider asks it for these)
                if moves.elsewhere(spider.known, spider.site_url):
                    spider.probe_posts = store.posts(site, moves.probes(spider.known))
            self.run_id = store.start_run(spider.name, site, getattr(spider, "site_url", None))
        except StoreError as exc:
            self._storage_failed(exc)
            stop_crawl(self.crawler, "storage_error")
            return
        self.crawler.stats.set_value("xz/run_id", self.run_id)

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats
        site = getattr(spider, "site_key", None)
        try:
            previous = self._archive().recent_runs(site, self.drift_runs)
        except StoreError as exc:
            self._storage_failed(exc)
            previous = []
        verdict = health.assess({**stats.get_stats(), "finish_reason": reason}, previous, **self.limits)
        forbidden = stats.get_value("xz/failures/robots", 0)
        if forbidden:
            logger.warning("%d page(s) forbidden by robots.txt, not fetched (failures of kind 'robots')", forbidden)
        for field in health.PRIMARY:
            recovered = stats.get_value(f"xz/fallback/{field}", 0)
            if recovered:
                logger.warning(
                    "field '%s' recovered by a fallback selector on %d of %d article pages",
                    field,
                    recovered,
                    stats.get_value(f"xz/primary/{field}/seen", 0),
                )
        if self.export_on_close and verdict.exit_code == health.OK:
            try:
                stats.set_value("xz/exported", export_archive(config(self.crawler), self._archive()))
            except (StoreError, OSError) as exc:  # (the export's own file, too)
                self._storage_failed(exc)
                verdict = health.assess({**stats.get_stats(), "finish_reason": reason}, previous, **self.limits)
        elif self.export_on_close:
            logger.warning("export not refreshed: the run was unhealthy, %s keeps the last good one", self.export_path)
        stats.set_value("xz/exit_code", verdict.exit_code)
        stats.set_value("xz/verdict", verdict.message)
        if verdict.exit_code:
            logger.error("run %s failed (exit %d): %s", self.run_id, verdict.exit_code, verdict.message)
        if self.run_id is not None:
            try:
                self._archive().finish_run(self.run_id, verdict.status, stats.get_stats(), None, verdict.exit_code)
            except StoreError as exc:
                # the next run finds this one still 'running' and marks it interrupted
                logger.error("could not record the end of run %s: %s", self.run_id, exc)
                if verdict.exit_code == health.OK:
                    verdict = health.Verdict(health.STORAGE, f"could not record the run: {exc}")
                    stats.set_value("xz/exit_code", verdict.exit_code)
        self.verdict = verdict


class RotatingLog:
    """Copies the run's log into ``XZ_LOG_DIR`` (default: ``logs/`` beside the archive), rotated by size."""

    def __init__(self, path: Path, max_bytes: int, backups: int, level: str, fmt: str, datefmt: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        root = logging.getLogger()
        for handler in root.handlers:  # the crawlers of a run of several sites share one file
            if isinstance(handler, logging.handlers.RotatingFileHandler) and handler.baseFilename == str(
                path.resolve()
            ):
                self.handler = handler
                return
        self.handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
        self.handler.setLevel(level)
        self.handler.setFormatter(logging.Formatter(fmt, datefmt))
        root.addHandler(self.handler)

    @classmethod
    def from_crawler(cls, crawler):
        settings, xz = crawler.settings, config(crawler)
        ext = cls(
            xz.log_folder / "xzcrawler.log",
            xz.log_max_bytes,
            xz.log_backups,
            settings.get("LOG_LEVEL"),
            settings.get("LOG_FORMAT"),
            settings.get("LOG_DATEFORMAT"),
        )
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def engine_stopped(self):
        # after the stats dump, so the file holds the whole run
        self.handler.flush()


class SiteLogStats(LogStats):
    """Scrapy's periodic stats line, saying whose and how far (issue 32): the site, pages done of
    those known so far (done + queued + in flight) with an ETA at the last interval's rate, listing
    pages walked of those the categories' page bars announced, articles queued and stored (a run
    of several sites has one crawler, and one such line, per site)."""

    def log(self, spider) -> None:
        self.calculate_stats()
        get = self.stats.get_value
        stored = get("xz/articles_stored", 0)
        rate = (stored - getattr(self, "_stored_before", 0)) * self.multiplier
        self._stored_before = stored
        queued = max(0, get("scheduler/enqueued", 0) - get("scheduler/dequeued", 0))
        in_flight = max(0, get("downloader/request_count", 0) - get("downloader/response_count", 0))
        left = queued + in_flight
        eta = (
            f"ETA {progress.duration(left / self.prate * 60)}"
            if self.prate > 0 and left
            else ("done" if not left else "ETA ?")
        )
        announced = get("xz/listing_pages_announced", 0)
        logger.info(
            "%(site)s: %(pages)d of %(known)d pages done (at %(pagerate)d pages/min, %(eta)s), listing pages "
            "%(listings)d of %(announced)s announced, articles %(stored)d stored of %(queued)d queued "
            "(at %(rate)d/min), %(failed)d failed",
            {
                "site": getattr(spider, "site_key", spider.name),
                "pages": self.pages,
                "known": self.pages + left,
                "pagerate": self.prate,
                "eta": eta,
                "listings": get("xz/listing_pages", 0),
                "announced": announced or "?",
                "stored": stored,
                "queued": get("xz/articles_queued", 0),
                "rate": rate,
                "failed": get("xz/failed_urls", 0),
            },
            extra={"spider": spider},
        )


class TerminalProgress:
    """A progress bar on standard error while the crawl runs, when it is a terminal (issue 32,
    item 3; ``XZ_PROGRESS_BAR`` forces it on or off): one line for every site crawled in the
    process (core/progress.py), redrawn twice a second. A log record written to the same terminal
    clears the line first, so log lines stay whole; the bar comes back at the next tick. The
    periodic log lines (SiteLogStats) are what cron and files get."""

    INTERVAL = 0.5

    def __init__(self, crawler, stream):
        self.crawler = crawler
        self.stream = stream
        self.task = None

    @classmethod
    def from_crawler(cls, crawler):
        import sys

        from scrapy.exceptions import NotConfigured

        wanted = config(crawler).progress_bar
        stream = sys.stderr
        if wanted is False or (wanted is None and not stream.isatty()):
            raise NotConfigured("no terminal")
        ext = cls(crawler, stream)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def snapshot(self) -> progress.SiteProgress:
        get = self.crawler.stats.get_value
        pages = get("response_received_count", 0)
        queued = max(0, get("scheduler/enqueued", 0) - get("scheduler/dequeued", 0))
        in_flight = max(0, get("downloader/request_count", 0) - get("downloader/response_count", 0))
        return progress.SiteProgress(
            pages,
            pages + queued + in_flight,
            get("xz/articles_stored", 0),
            get("xz/articles_queued", 0),
            get("xz/listing_pages", 0),
            get("xz/listing_pages_announced", 0),
            self.task is None,
        )

    def spider_opened(self, spider):
        from scrapy.utils.asyncio import create_looping_call

        _TERMINAL.attach(self)
        self.task = create_looping_call(_TERMINAL.draw)
        self.task.start(self.INTERVAL, now=False)

    def spider_closed(self, spider, reason):
        if self.task is not None and self.task.running:
            self.task.stop()
        self.task = None
        _TERMINAL.detach(self)


class _Terminal(logging.Filter):
    """The one bar line of the process, and the filter that clears it before a log line."""

    def __init__(self):
        super().__init__()
        self.bars: list[TerminalProgress] = []
        self.started: float | None = None
        self.shown = False
        self.stream = None

    def attach(self, bar: TerminalProgress) -> None:
        import time

        if not self.bars:
            self.started = time.monotonic()
            self.stream = bar.stream
            for handler in logging.getLogger().handlers:
                if getattr(handler, "stream", None) is bar.stream:
                    handler.addFilter(self)
        self.bars.append(bar)

    def detach(self, bar: TerminalProgress) -> None:
        if all(other.task is None for other in self.bars):
            self.clear()
            for handler in logging.getLogger().handlers:
                handler.removeFilter(self)
            self.bars = []

    def draw(self) -> None:
        import shutil
        import time

        if not self.bars or self.stream is None:
            return
        width = shutil.get_terminal_size((100, 20)).columns
        text = progress.line([bar.snapshot() for bar in self.bars], time.monotonic() - self.started, width)
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown and self.stream is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def filter(self, record) -> bool:
        self.clear()
        return True


_TERMINAL = _Terminal()
