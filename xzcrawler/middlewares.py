"""Downloader middlewares of the project: Scrapy's own, made stricter for an archive.

SiteOnlyMiddleware: Scrapy's OffsiteMiddleware lets ``dont_filter`` requests (the home page,
retried failures) and their redirects through to any host, and allows sub-domains. An archive
of one site must take nothing from another host: every request, whatever its flags, must be
http(s) on a site of the crawl (its host, or its ``www.`` alias), never a sub-domain or another host.

RetryAfterMiddleware: Scrapy's RetryMiddleware retries 429 and 503 at once; a server that says
``Retry-After`` is waited for (up to ``XZ_RETRY_AFTER_MAX`` seconds) before the retry.

UnreachableMiddleware: an outage is a time, not a count: while connections to the site fail
(refused, DNS, timeouts), each failed request waits (backing off) and is asked again; a site is
declared unreachable, with the cause as the verdict (exit 9), only once they have failed for
``XZ_UNREACHABLE_SECONDS`` with no response between (and at least ``XZ_UNREACHABLE_AFTER`` times).

WarcRecorder: every exchange into WARC files under ``XZ_WARC_DIR`` (``xzcrawler.warc`` writes
them), indexed in the archive's ``warc_records``, which ``xzcrawler reparse`` reads back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import time

from scrapy import signals
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message

from .core.normalize import site_of
from .extensions import config, open_store, services
from .store import StoreError
from .warc import WarcFiles, reconcile

logger = logging.getLogger(__name__)


class OffSiteRequest(IgnoreRequest):
    """A request (or a redirect) to a host that is not one of the crawl's sites."""


class SiteOnlyMiddleware(OffsiteMiddleware):
    @classmethod
    def from_crawler(cls, crawler):
        # checked as each request goes to the downloader (not when scheduled, where Scrapy drops a
        # refused request silently): a refused redirect reaches the errback and is kept as a failure
        middleware = cls(crawler.stats)
        middleware.crawler = crawler
        return middleware

    def process_request(self, request, spider=None) -> None:
        if self.should_follow(request, self.crawler.spider):
            return
        parts = urlparse_cached(request)
        self.stats.inc_value("offsite/filtered")
        origin = (request.meta.get("redirect_urls") or [None])[0]
        via = f" (redirected from {origin})" if origin else ""
        raise OffSiteRequest(f"not on the site: {parts.scheme}://{parts.hostname or ''}{via}")

    def should_follow(self, request, spider) -> bool:
        parts = urlparse_cached(request)
        hosts = getattr(spider, "allowed_hosts", None) or set(getattr(spider, "allowed_domains", None) or ())
        if request.meta.get("xz_image") and getattr(spider, "image_settings", None) is not None:
            hosts = {*hosts, *spider.image_settings.image_hosts}  # photos of the hosts XZ_IMAGE_HOSTS names
        return parts.scheme in ("http", "https") and site_of(request.url) in hosts


def retry_after_seconds(value: bytes | str | None, now: dt.datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(min(int(text), 10**9))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    max_wait = 60.0  # XZ_RETRY_AFTER_MAX (from_crawler)

    @classmethod
    def from_crawler(cls, crawler):
        middleware = super().from_crawler(crawler)
        middleware.max_wait = config(crawler).retry_after_max
        return middleware

    async def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        wait = None
        if response.status in (429, 503):
            date = response.headers.get(b"Date")
            try:
                now = email.utils.parsedate_to_datetime(date.decode("latin-1")) if date else None
            except (TypeError, ValueError, IndexError):
                now = None
            wait = retry_after_seconds(response.headers.get(b"Retry-After"), now or dt.datetime.now(dt.UTC))
        if wait:
            wait = min(wait, self.max_wait)
            self.crawler.stats.inc_value("xz/retry_after_waits")
            self.crawler.stats.max_value("xz/retry_after_max_wait", wait)
            logger.info("%s asked to retry after %.0f s: waiting", request.url, wait)
            from twisted.internet import reactor, task

            await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        return retry


# The failures that say the host itself cannot be reached (as opposed to one bad page): what a
# dead server, a wrong DNS name or a cut network gives every request.
def connection_cause(exception) -> str | None:
    """A short phrase for a failure to reach the host, or None for any other failure. Scrapy
    2.13+ wraps Twisted's errors in its own (scrapy.utils._download_handlers); both are known."""
    from scrapy import exceptions as scrapy_errors
    from twisted.internet import error
    from twisted.web._newclient import ResponseFailed

    def kinds(*names):
        return tuple(getattr(scrapy_errors, name) for name in names if hasattr(scrapy_errors, name))

    if isinstance(exception, (error.ConnectionRefusedError, *kinds("DownloadConnectionRefusedError"))):
        return "connection refused"
    if isinstance(exception, (error.DNSLookupError, *kinds("CannotResolveHostError"))):
        return "DNS lookup failed"
    if isinstance(exception, (error.TCPTimedOutError, error.TimeoutError, *kinds("DownloadTimeoutError"))):
        return "timed out"
    if isinstance(exception, error.ConnectError):
        return "cannot connect"
    if isinstance(
        exception, (error.ConnectionLost, error.ConnectionDone, ResponseFailed, *kinds("DownloadFailedError"))
    ):
        return "connection lost"
    return None


class UnreachableMiddleware:
    """An outage is a time, not a count (issue 29). While connections to the site fail (refused,
    DNS, timeouts, connections lost) with no response between, each failed request waits, backing
    off (0.25 s, doubled up to ``BACKOFF_MAX``), and is asked again: a short outage only delays
    the run, however fast it was crawling. Once the failures have lasted ``XZ_UNREACHABLE_SECONDS``
    (and number at least ``XZ_UNREACHABLE_AFTER``, of more than one address), the site is dead: its crawl stops at once with
    the cause ("unreachable: connection refused to 127.0.0.1:8099"), instead of trying every
    queued page. Nothing stored is touched; the next run resumes (the run did not finish, so it
    walks every listing again). One request that keeps failing while the site answers others
    (a page whose connection is always reset) waits at most as long, then goes to Scrapy's
    retries and is recorded as a failure."""

    BACKOFF_MAX = 8.0

    def __init__(self, crawler):
        self.crawler = crawler
        self.bound = config(crawler).unreachable_after
        self.seconds = config(crawler).unreachable_seconds
        self.in_a_row = 0
        self.since: float | None = None  # when the failures in a row began (monotonic)
        self.first_url: str | None = None  # the address of the first of them
        self.several = False  # whether they are of more than one address
        self.stopped = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        self.in_a_row, self.since, self.first_url, self.several = 0, None, None, False
        return response

    async def process_exception(self, request, exception, spider=None):
        cause = connection_cause(exception)
        if cause is None:
            return None
        stats = self.crawler.stats
        where = urlparse_cached(request).netloc
        stats.inc_value("xz/connection_failures")
        stats.set_value("xz/connection_error", f"{cause} to {where}")
        self.in_a_row += 1
        now = time.monotonic()
        if self.since is None:
            self.since, self.first_url = now, request.url
        self.several = self.several or request.url != self.first_url
        if self.stopped:
            return None
        if self.in_a_row >= self.bound and now - self.since >= self.seconds and self.several:
            self.stopped = True
            stats.set_value("xz/unreachable", f"{cause} to {where}")
            logger.error(
                "%s is unreachable (%s, %d times in a row over %.0f s): stopping this site's crawl",
                where,
                cause,
                self.in_a_row,
                now - self.since,
            )
            from .extensions import stop_crawl

            stop_crawl(self.crawler, "unreachable")
            return None
        waited = request.meta.get("xz_outage_waited", 0.0)
        if waited >= self.seconds:
            return None  # this request alone keeps failing: Scrapy's retries, then its failure
        pause = min(0.25 * 2 ** request.meta.get("xz_outage_tries", 0), self.BACKOFF_MAX, self.seconds)
        await asyncio.sleep(pause)
        if self.stopped:
            return None
        stats.inc_value("xz/outage_retries")
        meta = {**request.meta, "xz_outage_tries": request.meta.get("xz_outage_tries", 0) + 1}
        meta["xz_outage_waited"] = waited + pause
        return request.replace(dont_filter=True, meta=meta)


class WarcRecorder:
    """Downloader middleware: every request and response of the crawl into WARC files (the thin
    Scrapy side of ``xzcrawler.warc``: its writer, its index).

    Placed next to the downloader, it sees each response as it came off the wire (before
    decompression). The response's WARC-Date is stamped on the request (``meta["xz_fetched_at"]``),
    so the archive's ``fetched_at`` and the WARC agree and a re-parse reproduces the rows.

    The index rows are written to the archive in batches; a run killed before a batch is written
    leaves records the index lacks, so every start first indexes what the files hold beyond the
    index (``reconcile``). A write the disk refuses (full, file too large, I/O error) stops the
    run with one message: the verdict is exit 7, and the next run fetches the pages again.
    """

    def __init__(self, files: WarcFiles, store, stats, crawler=None):
        self.files = files
        self.store = store
        self.stats = stats
        self.crawler = crawler
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy.exceptions import NotConfigured

        settings = config(crawler)
        if not settings.warc_enabled:
            raise NotConfigured("XZ_WARC_ENABLED is off")
        store = open_store(crawler)
        files = WarcFiles(
            settings.warc_folder,
            settings.warc_max_bytes,
            clock=services(crawler).clock,
            last_capture=store.last_capture,
            owner=store.identity,
            capture_of_digest=store.capture_of_digest if settings.captures_resources else None,
        )
        middleware = cls(files, store, crawler.stats, crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider):
        site = getattr(spider, "site_key", None)
        if site:  # a file name per site: the sites of one run write side by side
            self.files.prefix = f"xzcrawler-{site}"
        # (the name then carries the archive's id: xzcrawler-<site>-<id8>-<time>-<pid>-<seq>)
        try:
            added = reconcile(self.store, self.files.directory)
        except (StoreError, OSError) as exc:
            self._fail(exc)
            return
        if added:
            self.stats.set_value("xz/warc_records_reindexed", added)
            logger.warning("indexed %d WARC record(s) a killed run had left out of warc_records", added)

    def _fail(self, exc: Exception) -> None:
        self.stats.inc_value("xz/storage_errors")
        if self.stats.get_value("xz/storage_error") is None:
            self.stats.set_value("xz/storage_error", f"WARC: {type(exc).__name__}: {exc}")
        if not self.failed:
            self.failed = True
            logger.error("WARC write failed, stopping the run: %s: %s", type(exc).__name__, exc)
            if self.crawler is not None:
                from .extensions import stop_crawl

                stop_crawl(self.crawler, "storage_error")

    def process_response(self, request, response, spider=None):
        if self.failed:
            raise IgnoreRequest("the WARC cannot be written: the run is stopping")
        if request.meta.get("xz_probe") is not None:
            # a post asked of a site's new address before its stored addresses may move there
            # (core.moves): no capture of this archive until that address has shown it is the site
            return response
        revisits = self.files.revisits
        try:
            request.meta["xz_fetched_at"] = self.files.exchange(request, response)
        except OSError as exc:
            self._fail(exc)
            raise IgnoreRequest(f"not archived: the WARC cannot be written ({exc})") from None
        self.stats.inc_value("xz/warc_records", 2)
        self.stats.inc_value("xz/warc_revisits", self.files.revisits - revisits)
        if len(self.files.index) >= 1000:
            self._flush_index()
        return response

    def process_exception(self, request, exception, spider=None):
        if self.failed:
            return None
        try:
            self.files.exchange(request, None, f"{type(exception).__name__}: {exception}")
        except OSError as exc:
            self._fail(exc)
            return None
        self.stats.inc_value("xz/warc_records", 2)
        return None

    def _flush_index(self) -> None:
        rows = self.files.take_index()
        if rows:
            try:
                self.store.add_warc_index(rows)
            except StoreError as exc:
                # the records are in the files: the next start indexes them (reconcile)
                self.stats.inc_value("xz/storage_errors")
                if self.stats.get_value("xz/storage_error") is None:
                    self.stats.set_value("xz/storage_error", f"WARC index: {exc}")

    def spider_closed(self, spider, reason):
        try:
            self.files.close()
        except OSError as exc:
            self._fail(exc)
        self._flush_index()
