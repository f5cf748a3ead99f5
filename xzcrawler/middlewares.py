"""Downloader middlewares of the project: Scrapy's own, made stricter for an archive.

SiteOnlyMiddleware: Scrapy's OffsiteMiddleware lets ``dont_filter`` requests (the home page,
retried failures) and their redirects through to any host, and allows sub-domains. An archive
of one site must take nothing from another host: every request, whatever its flags, must be
http(s) on a site of the crawl (its host, or its ``www.`` alias), never a sub-domain or another host.

RetryAfterMiddleware: Scrapy's RetryMiddleware retries 429 and 503 at once; a server that says
``Retry-After`` is waited for (up to ``XZ_RETRY_AFTER_MAX`` seconds) before the retry.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging

from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message

from .core.normalize import site_of

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
    def __init__(self, settings):
        super().__init__(settings)
        self.max_wait = settings.getfloat("XZ_RETRY_AFTER_MAX")

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
