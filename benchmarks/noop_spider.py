"""Baseline for benchmarks/crawl.py: the same requests as `articles`, but it parses and stores nothing.

The URL list comes from the mirror model (home, robots, every listing page, every article), so
the baseline pays only for Scrapy and HTTP. Run with `scrapy runspider`.
"""

import json

import scrapy

from xzcrawler.mirror.corpus import CATEGORIES
from xzcrawler.mirror.site import MirrorSite


class NoopSpider(scrapy.Spider):
    name = "noop"
    custom_settings = {
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {},
        "DOWNLOADER_MIDDLEWARES": {"xzcrawler.middlewares.WarcRecorder": None},
    }

    def __init__(self, site: str, articles: str = "300", stats_out: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.site_url = site.rstrip("/")
        self.mirror = MirrorSite(int(articles))
        self.stats_out = stats_out

    def closed(self, reason):
        if self.stats_out:  # the baseline has no archive: its stats go to a JSON file
            with open(self.stats_out, "w", encoding="utf-8") as fh:
                json.dump(self.crawler.stats.get_stats(), fh, default=str)

    async def start(self):
        yield scrapy.Request(self.site_url + "/feed.php", callback=self.ignore)
        yield scrapy.Request(self.site_url + "/", callback=self.ignore)
        for cat in CATEGORIES:
            for page in range(1, self.mirror.category_pages(cat) + 1):
                suffix = "" if page == 1 else f"_{page}"
                yield scrapy.Request(f"{self.site_url}/index.php/category-{cat}{suffix}.html", callback=self.ignore)
        for aid in self.mirror.ids:
            yield scrapy.Request(f"{self.site_url}/index.php/post/{aid}.html", callback=self.ignore)

    def ignore(self, response):
        return None
