"""The ``articles`` spider: home -> category listings -> articles. It only requests and follows;
every page is read by ``xzcrawler.pages``."""

from __future__ import annotations

from urllib.parse import urlsplit

import scrapy

from .. import normalize as nz
from .. import pages
from ..pages.common import RawBody

LISTING_PRIORITY = 10  # walk listings ahead of articles so the frontier stays full


def _charset(response) -> str | None:
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset":
            return value.strip()
    return None


class ArticlesSpider(scrapy.Spider):
    name = "articles"

    def __init__(self, site: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = site
        # Article URLs already requested in this run. Related lists repeat them thousands of
        # times; skipping them here spares Scrapy building and fingerprinting a Request only
        # for its dupefilter to drop it (benchmarks/crawl.py: ~15% of crawl time at 2,000 articles).
        self._requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.site_url = spider.site or crawler.settings.get("XZ_SITE_URL")
        if not urlsplit(spider.site_url).scheme:
            spider.site_url = "http://" + spider.site_url
        spider.allowed_domains = [urlsplit(spider.site_url).hostname]
        return spider

    async def start(self):
        yield scrapy.Request(self.site_url, callback=self.parse_home, errback=self.on_error, priority=LISTING_PRIORITY)

    # -- callbacks ------------------------------------------------------------
    def _read(self, response):
        doc, _ = pages.load_document(response.body, _charset(response))
        return doc

    def parse_home(self, response):
        doc = self._read(response)
        categories = pages.nav_categories(doc, response.url) if doc is not None else []
        self.crawler.stats.set_value("xz/categories", len(categories))
        for category in categories:
            yield response.follow(
                category["url"], callback=self.parse_listing, errback=self.on_error, priority=LISTING_PRIORITY
            )
        yield from self._follow_listing(pages.parse_html(doc, response.url, nz.utc_iso(None)), response)

    def parse_listing(self, response):
        yield from self._follow_listing(pages.parse_page(response.body, response.url, None, _charset(response)), response)

    def _follow_listing(self, page, response):
        if page.get("kind") != "listing":
            return
        self.crawler.stats.inc_value("xz/listing_pages")
        for item in page["articles"]:
            yield from self._follow_article(item["url"])
        if page["next_page"]:
            yield response.follow(
                page["next_page"], callback=self.parse_listing, errback=self.on_error, priority=LISTING_PRIORITY
            )

    def parse_article(self, response):
        page = pages.parse_page(response.body, response.url, None, _charset(response))
        kind = page.pop("kind")
        if kind != "article":
            reason = page.get("reason") or f"not an article page (parsed as {kind})"
            yield {"kind": "failure", "url": response.url, "failure": "parse", "reason": reason,
                   "http_status": response.status, "raw_body": RawBody(response.body)}  # fmt: skip
            return
        yield {"kind": "article", **page, "_raw_body": RawBody(response.body)}
        for related in page["related"]:
            yield from self._follow_article(related["url"])

    def _follow_article(self, url: str):
        if url not in self._requested:
            self._requested.add(url)
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error)

    def on_error(self, failure):
        response = getattr(failure.value, "response", None)
        yield {
            "kind": "failure",
            "url": failure.request.url,
            "failure": "http" if response is not None else "network",
            "reason": f"{failure.type.__name__}: {failure.getErrorMessage()}",
            "http_status": response.status if response is not None else None,
            "raw_body": RawBody(response.body) if response is not None else None,
        }
