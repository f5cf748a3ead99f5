"""The ``articles`` spider: home -> category listings -> articles. It only requests and follows;
every page is read by ``xzcrawler.pages``.

On an existing archive it refreshes: listing pages are read again (their view counts are
kept), a category is walked only until a listing page holds nothing new, new articles are
fetched, known ones only when due (``XZ_REFETCH_POLICY``) and with conditional requests,
and recorded failures are retried. ``-a full=1`` walks every listing page and re-checks
every known article; after a run that did not finish well, every listing page is walked too.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urljoin, urlsplit

import scrapy

from .. import normalize as nz
from .. import items, pages
from ..archive import Archive
from ..pages.decode import charset_of
from ..refresh import is_due

LISTING_PRIORITY = 10  # walk listings ahead of articles so the frontier stays full


def _charset(response) -> str | None:
    return charset_of(response.headers.get(b"Content-Type"))


def _fetched_at(response) -> str:
    """When the response came (the WARC-Date the recorder stamped), to the second, UTC."""
    return nz.utc_iso(response.meta.get("xz_fetched_at"))


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class ArticlesSpider(scrapy.Spider):
    name = "articles"

    def __init__(self, site: str | None = None, full: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = site
        self.full = str(full).lower() in ("1", "true", "yes") if full is not None else False
        # Article URLs already requested in this run. Related lists repeat them thousands of
        # times; skipping them here spares Scrapy building and fingerprinting a Request only
        # for its dupefilter to drop it (benchmarks/crawl.py: ~15% of crawl time at 2,000 articles).
        self._requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.site_url = spider.site or settings.get("XZ_SITE_URL")
        if not urlsplit(spider.site_url).scheme:
            spider.site_url = "http://" + spider.site_url
        spider.site_key = nz.site_of(spider.site_url)
        spider.allowed_domains = [urlsplit(spider.site_url).hostname]
        policy = settings.get("XZ_REFETCH_POLICY")
        spider.policy = json.loads(policy) if isinstance(policy, str) else policy  # -s takes JSON
        with Archive(settings.get("XZ_DB_PATH")) as archive:
            spider.known = archive.known_articles(spider.site_key)
            # After a run that did not finish well (killed mid-crawl, say), listing pages of known
            # articles may hide unknown ones further on: walk every listing page this time.
            spider.walk_all = spider.full or archive.last_run_status(spider.site_url) not in (None, "finished")
            spider.retry_urls = archive.pending_failures(spider.site_key, settings.getint("XZ_MAX_ATTEMPTS"))
        return spider

    def _here(self, url: str) -> str:
        """A stored URL on the host being crawled now (the mirror's port may differ between runs)."""
        parts = urlsplit(url)
        return urljoin(self.site_url, parts.path + (f"?{parts.query}" if parts.query else ""))

    async def start(self):
        # the entry point is fetched every run, even when resuming a JOBDIR whose dupefilter saw it
        yield scrapy.Request(self.site_url, callback=self.parse_home, errback=self.on_error, priority=LISTING_PRIORITY,
                             dont_filter=True)  # fmt: skip
        for url in self.retry_urls:
            self.crawler.stats.inc_value("xz/retried_failures")
            callback = self.parse_article if pages.article_id_from_url(url) is not None else self.parse_listing
            yield scrapy.Request(self._here(url), callback=callback, errback=self.on_error,
                                 dont_filter=True, meta={"xz_retry": True})  # fmt: skip
        now = dt.datetime.now(dt.timezone.utc)
        for info in self.known.values():
            if self.full or is_due(info["published_date"], info["last_checked"], now, self.policy):
                self.crawler.stats.inc_value("xz/rechecked")
                for request in self._follow_article(self._here(info["url"]), conditional=info):
                    yield request

    # -- callbacks ------------------------------------------------------------
    def parse_home(self, response):
        doc, _ = pages.load_document(response.body, _charset(response))
        categories = pages.nav_categories(doc, response.url) if doc is not None else []
        self.crawler.stats.set_value("xz/categories", len(categories))
        yield items.categories(self.site_key, categories, _fetched_at(response))
        for category in categories:
            yield response.follow(
                category["url"], callback=self.parse_listing, errback=self.on_error, priority=LISTING_PRIORITY
            )
        yield from self._follow_listing(pages.parse_html(doc, response.url, _fetched_at(response)), response)

    def parse_listing(self, response):
        yield from self._follow_listing(
            pages.parse_page(response.body, response.url, _fetched_at(response), _charset(response)), response
        )

    def _follow_listing(self, page, response):
        if page.get("kind") != "listing":
            return
        self.crawler.stats.inc_value("xz/listing_pages")
        new = 0
        for item in page["articles"]:
            if pages.article_id_from_url(item["url"]) not in self.known:
                new += 1
                yield from self._follow_article(item["url"])
        yield items.listing(self.site_key, response.url, page, _fetched_at(response))
        if page["next_page"] and (self.walk_all or new or not page["articles"]):
            yield response.follow(
                page["next_page"], callback=self.parse_listing, errback=self.on_error, priority=LISTING_PRIORITY
            )
        elif page["next_page"]:
            self.crawler.stats.inc_value("xz/listing_walks_stopped")

    def parse_article(self, response):
        if response.status == 304:
            self.crawler.stats.inc_value("xz/not_modified")
            yield items.not_modified(self.site_key, response.meta["xz_article_id"], _fetched_at(response))
            return
        page = pages.parse_page(response.body, response.url, _fetched_at(response), _charset(response))
        kind = page.pop("kind")
        if kind != "article":
            reason = page.get("reason") or f"not an article page (parsed as {kind})"
            yield items.failure(response.url, "parse", reason, response.status, response.body, response.meta.get("xz_retry", False))
            return
        yield items.article(page, response.body, _header(response, b"ETag"), _header(response, b"Last-Modified"))
        for related in page["related"]:
            if pages.article_id_from_url(related["url"]) not in self.known:
                yield from self._follow_article(related["url"])

    def _follow_article(self, url: str, conditional: dict | None = None):
        if url in self._requested:
            return
        self._requested.add(url)
        headers, meta = {}, {}
        if conditional:
            if conditional.get("etag"):
                headers["If-None-Match"] = conditional["etag"]
            if conditional.get("last_modified"):
                headers["If-Modified-Since"] = conditional["last_modified"]
            meta = {"handle_httpstatus_list": [304], "xz_article_id": conditional["article_id"]}
        yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error, headers=headers, meta=meta)

    def on_error(self, failure):
        response = getattr(failure.value, "response", None)
        yield items.failure(
            failure.request.url, "http" if response is not None else "network",
            f"{failure.type.__name__}: {failure.getErrorMessage()}", response.status if response is not None else None,
            response.body if response is not None else None, failure.request.meta.get("xz_retry", False),
        )  # fmt: skip
