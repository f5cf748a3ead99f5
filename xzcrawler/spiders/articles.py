"""The ``articles`` spider: feed, home -> category listings -> articles. It only requests and
follows; every page is read by ``xzcrawler.core.pages``.

Every run first reads the platform's feed (``XZ_FEED_PATH``): its newest posts are asked for at
once and dated to the second. Related articles and each article's previous/next links are second
paths to articles no listing showed, asked for when the walks are done.

On an existing archive it refreshes: listing pages are read again (their view counts are
kept), a category is walked only until a listing page holds nothing new, new articles are
fetched, known ones only when due (``XZ_REFETCH_POLICY``) and with conditional requests,
and recorded failures are retried. ``-a full=1`` walks every listing page and re-checks
every known article; after a run that did not finish well, every listing page is walked too.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest

from ..core import assets, images, items, moves, pages
from ..core import normalize as nz
from ..core.config import NETWORK, ConfigError, check_spider_arguments, site_url
from ..core.harvest import Exchange, Harvest, harvest
from ..core.pages.resources import kind_of as resource_kind
from ..core.refresh import is_due
from ..middlewares import OffSiteRequest

logger = logging.getLogger(__name__)

# Articles go ahead of listing pages: each listing page yields its articles, which drain before
# the next listing page is taken, so the queue holds about one page of requests per category.
# (Listings first would queue every article of the site in memory: ~2 KB each, benchmarks/memory.py.)
LISTING_PRIORITY = -10
# Photos after the pages they belong to (a photo's request holds a few hundred bytes in the queue;
# the page it came from is stored by then), before the next listing page.
IMAGE_PRIORITY = -5
RELATED_BATCH = 500
# The statuses a photo's or theme file's callback takes (it records what came): a 304, every error.
# Redirects are followed as a page's are (robots, the off-site rule: a picture sent to another
# host is refused and recorded with it, a site's http -> https move is followed).
RESOURCE_STATUSES = [304, *range(400, 600)]


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class ArticlesSpider(scrapy.Spider):
    name = "articles"

    def __init__(self, site: str | None = None, full: str | None = None, move: str | None = None, *args, **kwargs):
        unknown = {key: value for key, value in kwargs.items() if key != "start_urls"}
        given = {name: value for name, value in (("site", site), ("full", full), ("move", move)) if value is not None}
        check_spider_arguments({**unknown, **given})
        if site is not None and ("," in site or site.strip() == NETWORK):
            raise ConfigError("a spider crawls one site: `scrapy crawl articles -a site=URL,URL` runs one per site")
        super().__init__(*args, **kwargs)
        self.site = site
        self.full = str(full).lower() in ("1", "true", "yes", "on") if full is not None else False
        self.move = str(move).lower() in ("1", "true", "yes", "on") if move is not None else False
        # Stored posts to ask the site's new address for before its stored addresses move there
        # (set by the RunRecorder when they are elsewhere; core.moves): id -> title, content hash.
        self.probe_posts: dict[int, dict] = {}
        self._probed: list[bool | None] = []
        # URLs already requested in this run (articles, listings, retried failures): each is asked
        # for once per run. Related lists repeat article URLs thousands of times; skipping them
        # here spares Scrapy building and fingerprinting a Request only for its dupefilter to
        # drop it (benchmarks/crawl.py: ~15% of crawl time at 2,000 articles).
        self._requested: set[int | str] = set()
        # Articles seen in each walk of a category's listing pages: a page holding none beyond
        # these ends the walk (a site repeating the same items under ever new page numbers is a trap).
        self._listed: dict[str, set[int]] = {}
        # Related articles not yet asked for: id -> address (see _schedule_related).
        self._related: dict[int, str] = {}
        # Categories named by the posts, walked when the home page is a list of posts that links no
        # category (the platform installed with its defaults: its navigation lists 首页 and a page,
        # and tpure's lists print no category, PostLISTINFO "cate":"0"; the posts' pages do): those
        # of the archived posts (named_categories, loaded with the start state), then those of the
        # posts fetched. None: the home page is not read yet (the names wait in _named); False: it
        # linked categories (the navigation's are the site's), or it is no list of posts (a
        # maintenance page: the run ends with exit 4, as before).
        self.named_categories: list[str] = []
        self._walk_named: bool | None = None
        self._named: dict[str, None] = {}
        self._categories_walked: set[int | None] = set()  # (by category id: one walk each, whatever the address)
        # The start state, loaded from the store by the RunRecorder extension when the spider
        # opens (as Scrapy's SpiderState does): known articles, whether to walk every listing
        # page (after a run that did not finish well), the failures to retry.
        self.known: dict[int, dict] = {}
        self.walk_all = self.full
        self.retry_urls: list[str] = []
        # Photos and what pages need to be seen again (XZ_IMAGES, XZ_PAGE_RESOURCES, XZ_THUMBNAILS;
        # None: all off, or no WARC to keep them in): what the archive holds whole, as (site key,
        # path), loaded with the start state; the theme's files held, with their validators.
        self.image_settings = None
        self.held_images: set[tuple[str, str]] = set()
        self.failed_images: dict[tuple[str, str], int] = {}  # -> attempts so far (photos and files)
        self.held_assets: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        # the addresses of the theme's files (and its pictures) this run has met: at most
        # XZ_MAX_RESOURCES; one a page shows again (the logo on every page) counts once
        self._resources_seen: set[str] = set()

    @property
    def clock(self):
        """The crawl's clock (``XZ_NOW`` pins it), shared through the CrawlServices extension."""
        from ..extensions import services

        return services(self.crawler).clock

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        from ..extensions import config

        settings = config(crawler)
        spider.site_url = site_url(spider.site, "-a site") if spider.site is not None else settings.site_url
        spider.site_key = nz.site_of(spider.site_url)
        spider.allowed_hosts = {spider.site_key}
        spider.allowed_domains = [spider.site_key]
        spider.policy = settings.refetch_policy
        spider.max_listing_pages = settings.max_listing_pages
        spider.feed_url = settings.feed_url(spider.site_url)
        if settings.captures_resources:
            spider.image_settings = settings
        crawler.signals.connect(spider._schedule_related, signal=signals.spider_idle)
        crawler.signals.connect(spider._redirect_dropped, signal=signals.request_dropped)
        return spider

    def _redirect_dropped(self, request, spider=None):
        """A redirect to an address this run asked for already (itself included: a 301 to the
        same URL) is dropped by Scrapy's duplicate filter, silently. It is followed once more;
        a redirect that keeps pointing back ends at REDIRECT_MAX_TIMES and its errback records
        the failure of the address asked for (issue 29)."""
        if not request.meta.get("redirect_urls") or request.meta.get("xz_refollowed"):
            return
        self.crawler.stats.inc_value("xz/redirects_refollowed")
        self.crawler.engine.crawl(request.replace(dont_filter=True, meta={**request.meta, "xz_refollowed": True}))

    def _walk_incomplete(self, url: str, why: str) -> None:
        """A listing page that failed every attempt hides what follows it: the run is not ok
        (health.INCOMPLETE names the walk); its failure is recorded and retried by the next run,
        which walks on from it."""
        self.crawler.stats.inc_value("xz/walks_incomplete")
        self.crawler.stats.set_value("xz/walk_incomplete", f"{url} ({why})")

    def _here(self, url: str) -> str:
        """A stored URL on the host being crawled now (the mirror's port may differ between runs)."""
        parts = urlsplit(url)
        return urljoin(self.site_url, parts.path + (f"?{parts.query}" if parts.query else ""))

    def _once(self, url: str) -> bool:
        """True the first time ``url`` is asked for in this run (articles are keyed by id: an int
        takes a quarter of the memory of its URL)."""
        key = pages.article_id_from_url(url) or url
        if key in self._requested:
            return False
        self._requested.add(key)
        return True

    def _ours(self, url: str | None) -> bool:
        return bool(url) and nz.site_of(url) in self.allowed_hosts

    async def start(self):
        if self.probe_posts and not self.move:
            # the stored addresses are elsewhere: the new address must first show it serves the
            # stored posts (core.moves); the run begins once it has, and not at all otherwise
            for article_id in self.probe_posts:
                yield scrapy.Request(
                    self._here(self.known[article_id]["url"]),
                    callback=self.parse_probe,
                    errback=self.on_probe_error,
                    dont_filter=True,
                    meta={"xz_probe": article_id, "handle_httpstatus_all": True},
                )
            return
        if self.probe_posts and self.move:
            # asked for: the addresses move, and every post is fetched again, not assumed
            self.crawler.stats.set_value("xz/moved_to", self.site_url)
            yield items.SiteMoved(self.site_key, self.site_url)
            self.full = self.walk_all = True
        async for request in self._begin():
            yield request

    def parse_probe(self, response):
        result = self._harvest(response, "article")
        stored = self.probe_posts[response.meta["xz_probe"]]
        article = next((item for item in result.items if isinstance(item, items.Article)), None)
        yield from self._probe_answered(moves.same_post(stored, article.record) if article is not None else None)

    def on_probe_error(self, failure):
        yield from self._probe_answered(None)

    def _probe_answered(self, same: bool | None):
        self._probed.append(same)
        if len(self._probed) < len(self.probe_posts):
            return
        if moves.decide(self._probed) == "refuse":
            others = sum(1 for same in self._probed if same is False)
            message = (
                f"{self.site_url} serves other posts than those this archive holds for {self.site_key} "
                f"({others} of {len(self._probed)} differ, {self._probed.count(None)} not found): nothing was "
                "changed. Crawl it into another archive (-s XZ_DB_PATH=other.db), or move this archive's "
                "addresses there and fetch every post again with -a move=1"
            )
            self.crawler.stats.set_value("xz/move_refused", message)
            logger.error(message)
            from ..extensions import stop_crawl

            stop_crawl(self.crawler, "move_refused")
            return
        logger.info("%s is now at %s: its stored addresses moved there", self.site_key, self.site_url)
        self.crawler.stats.set_value("xz/moved_to", self.site_url)
        yield items.SiteMoved(self.site_key, self.site_url)
        # the probed posts are fetched again as any page is (captured, stored, our visit counted);
        # the probe's own visit is the one the archive does not count (one view on up to 3 posts)
        for article_id in self.probe_posts:
            yield from self._follow_article(self._here(self.known[article_id]["url"]))
        yield from self._begin_sync()

    async def _begin(self):
        for request in self._begin_sync():
            yield request

    def _begin_sync(self):
        # the entry point is fetched every run, even when resuming a JOBDIR whose dupefilter saw it
        self._once(self.site_url)
        if self.feed_url and self._once(self.feed_url):
            # one request says what is newest, with exact times (the pages of posts under a week
            # old show none); asked for first, so that its dates wait for the pages that follow
            yield scrapy.Request(
                self.feed_url,
                callback=self.parse_feed,
                errback=self.on_feed_error,
                priority=1,
                dont_filter=True,
                meta={"handle_httpstatus_all": True},
            )
        yield scrapy.Request(
            self.site_url, callback=self.parse_home, errback=self.on_error, priority=LISTING_PRIORITY, dont_filter=True
        )
        for url in self.retry_urls:
            url = self._here(url)
            if not self._once(url):
                continue
            self.crawler.stats.inc_value("xz/retried_failures")
            callback = self.parse_article if pages.article_id_from_url(url) is not None else self.parse_listing
            yield scrapy.Request(
                url,
                callback=callback,
                errback=self.on_error,
                dont_filter=True,
                # a retried listing page walks on from there (what it hid was never reached)
                meta={"xz_retry": True, "xz_walk": (url, 1)},
            )
        now = self.clock.now()
        for info in self.known.values():
            if self.full or is_due(info["published_date"], info["last_checked"], now, self.policy):
                self.crawler.stats.inc_value("xz/rechecked")
                yield from self._follow_article(self._here(info["url"]), conditional=info)

    def _fetched_at(self, response) -> str:
        """When the response came (the WARC-Date the recorder stamped, else the crawl's clock), UTC."""
        return nz.utc_iso(response.meta.get("xz_fetched_at") or self.clock.now())

    def _harvest(self, response, role: str) -> Harvest:
        settings = self.image_settings
        wants = settings is not None and (settings.page_resources or settings.thumbnails)
        exchange = Exchange(
            response.url,
            response.status,
            response.body,
            self._fetched_at(response),
            _header(response, b"Content-Type"),
            _header(response, b"ETag"),
            _header(response, b"Last-Modified"),
            role,
            response.meta.get("xz_retry", False),
            response.meta.get("xz_article_id"),
            wants and role in ("home", "listing", "article", "asset"),
        )
        return harvest(exchange, self.site_key)

    # -- callbacks: the harvest makes the items; these only follow ----------------------------
    def _marked(self, result: Harvest) -> list:
        """The harvest's items, listings marked with the articles this run had already asked for."""
        for item in result.items:
            if isinstance(item, items.ListingSeen):
                item.requested = frozenset(o["article_id"] for o in item.items if o["article_id"] in self._requested)
        return result.items

    def parse_home(self, response):
        result = self._harvest(response, "home")
        self.crawler.stats.set_value("xz/categories", len(result.categories))
        yield from self._marked(result)
        yield from self._follow_resources(result)
        for category in result.categories:
            self._categories_walked.add(pages.category_id_from_url(category["url"]))
            yield from self._follow_listing_page(category["url"], (category["url"], 1))
        if result.kind != "failure" and self._walk_named is None:
            self._walk_named = result.kind == "listing" and not result.categories
            if self._walk_named:  # the posts' categories, archived and fetched so far
                for url in [*(self._here(url) for url in self.named_categories), *self._named]:
                    yield from self._follow_named_category(url)
            self._named.clear()
        if result.kind == "listing":
            yield from self._follow_listing(result.page, response)

    def parse_listing(self, response):
        result = self._harvest(response, "listing")
        yield from self._marked(result)
        yield from self._follow_resources(result)
        if result.kind == "listing":
            yield from self._follow_listing(result.page, response)
        elif result.kind == "failure":
            self._walk_incomplete(response.url, "not read")

    def parse_feed(self, response):
        result = self._harvest(response, "feed")
        if result.kind != "feed":
            self.crawler.stats.inc_value("xz/feed_unavailable")
            return
        yield from result.items
        for item in result.page.articles:
            article_id = pages.article_id_from_url(item["url"])
            if article_id not in self.known and self._ours(item["url"]):
                self.crawler.stats.inc_value("xz/found_by_feed")
                yield from self._follow_article(item["url"])

    def on_feed_error(self, failure):
        """The feed is a shortcut: without it the listings find the same posts."""
        self.crawler.stats.inc_value("xz/feed_unavailable")
        self.logger.info("no feed: %s", failure.getErrorMessage())

    def _follow_listing_page(self, url: str, walk: tuple[str, int]):
        if self._ours(url) and self._once(url):
            yield scrapy.Request(
                url,
                callback=self.parse_listing,
                errback=self.on_error,
                priority=LISTING_PRIORITY,
                meta={"xz_walk": walk},
            )

    def _follow_named_category(self, url: str):
        """Walk a category a post names (the home page's list linked none), once a category."""
        key = pages.category_id_from_url(url)
        if key is None or key in self._categories_walked or not self._ours(url):
            return
        self._categories_walked.add(key)
        self.crawler.stats.inc_value("xz/categories_from_posts")
        yield from self._follow_listing_page(url, (url, 1))

    def _follow_listing(self, page: pages.ListingPage, response):
        self.crawler.stats.inc_value("xz/listing_pages")
        category, walked = response.meta.get("xz_walk") or (response.url, 1)
        if walked == 1 and page.last_page:  # what the category's page bar announces
            self.crawler.stats.inc_value("xz/listing_pages_announced", min(page.last_page, self.max_listing_pages))
        seen_in_walk = self._listed.setdefault(category, set())
        unseen = new = 0
        for item in page.articles:
            article_id = pages.article_id_from_url(item["url"])
            if article_id is None or not self._ours(item["url"]):
                continue  # another host's article, or no post address: nothing of this site
            if article_id in seen_in_walk:
                continue  # shown again further on in the same walk: news to nobody
            seen_in_walk.add(article_id)
            unseen += 1
            if article_id not in self.known:
                new += 1
                yield from self._follow_article(item["url"])
        next_page = page.next_page
        if not next_page:
            return
        # Go on while the page showed an article new to the archive and to this walk (a refresh),
        # or any not yet seen in this walk (a full walk); an empty page, or one repeating what the
        # walk has seen, ends it.
        if not (unseen if self.walk_all else new):
            self.crawler.stats.inc_value("xz/listing_walks_stopped")
            return
        if walked >= self.max_listing_pages:
            self.crawler.stats.inc_value("xz/listing_traps")
            yield items.failure(
                category,
                "trap",
                f"listing walk stopped after {walked} pages (XZ_MAX_LISTING_PAGES={self.max_listing_pages}); "
                f"next page was {next_page}",
                response.status,
                None,
            )
            return
        yield from self._follow_listing_page(next_page, (category, walked + 1))

    def parse_article(self, response):
        result = self._harvest(response, "article")
        if result.kind == "not_modified":
            self.crawler.stats.inc_value("xz/not_modified")
        yield from result.items
        if result.kind != "article":
            return
        yield from self._follow_images(result.page.record)
        yield from self._follow_resources(result)
        category = result.page.record.get("category_url")
        if category and self._walk_named is None:
            self._named.setdefault(category)
        elif category and self._walk_named:
            yield from self._follow_named_category(category)
        # related articles, and the previous and next article of the category (tpure's div.pages):
        # second paths to articles a listing misses
        links = [related["url"] for related in result.page.record["related"]] + list(result.page.neighbours)
        for url in links:
            article_id = pages.article_id_from_url(url)
            if article_id is not None and article_id not in self.known and article_id not in self._requested:
                if self._ours(url):
                    # kept as an address, asked for when the walks are done (most are listed anyway):
                    # queued now, the related graph would put the whole site in the queue at once
                    self._related.setdefault(article_id, url)

    def _schedule_related(self, spider=None) -> None:
        """When the crawl runs dry, ask for the related articles no listing showed, a batch at a time."""
        batch = []
        while self._related and len(batch) < RELATED_BATCH:
            article_id, url = self._related.popitem()
            if article_id not in self._requested:
                self.crawler.stats.inc_value("xz/found_by_links")  # no listing walked showed it
                batch.extend(self._follow_article(url))
        for request in batch:
            self.crawler.engine.crawl(request)
        if batch:
            raise DontCloseSpider("related articles to fetch")

    def _follow_article(self, url: str, conditional: dict | None = None):
        if not self._once(url):
            return
        self.crawler.stats.inc_value("xz/articles_queued")
        headers, meta = {}, {}
        if conditional:
            if conditional.get("etag"):
                headers["If-None-Match"] = conditional["etag"]
            if conditional.get("last_modified"):
                headers["If-Modified-Since"] = conditional["last_modified"]
            meta = {"handle_httpstatus_list": [304], "xz_article_id": conditional["article_id"]}
        yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error, headers=headers, meta=meta)

    # -- photos (issue 31) ----------------------------------------------------------------------
    def _follow_images(self, record: dict):
        """Each body image of a stored article not held whole yet, asked for once per run through
        this crawl's downloader (robots, throttle, retries, the WARC recorder), within
        XZ_IMAGE_MAX_BYTES; the site's own and XZ_IMAGE_HOSTS' (core.images.to_capture)."""
        settings = self.image_settings
        if settings is None or not settings.images:
            return
        yield from self._follow_pictures(images.to_capture(record.get("images"), self.site_key, settings.image_hosts))

    def _follow_pictures(self, urls: list[str], counted: str = "images"):
        """Pictures to capture (photos, thumbnails; with ``counted="assets"`` the pictures a page
        needs: its logo, icon, a stylesheet's background), each once, a held one never again."""
        settings = self.image_settings
        for url in urls:
            key = nz.page_key(url)
            attempts = self.failed_images.get(key)
            if key in self.held_images or (attempts or 0) >= settings.max_attempts or not self._once(url):
                continue
            # a photo that failed before is asked again as a retry: failing again is no new failure
            self.crawler.stats.inc_value(f"xz/{counted}_retried" if attempts else f"xz/{counted}_requested")
            yield self._resource_request(url, self.parse_image, self.on_image_error, attempts)

    def _follow_resources(self, result: Harvest):
        """What a page (or a stylesheet) needs to be seen again: the theme's files, once a run each
        and at most XZ_MAX_RESOURCES a site a run, asked with the validators of the copy held (a
        304 is no new capture); its pictures (logo, icon, a stylesheet's background) as photos
        are; the listings' and related posts' thumbnails with XZ_THUMBNAILS (core.pages.resources)."""
        settings = self.image_settings
        if settings is None:
            return
        if settings.page_resources:
            pictures = []
            seen = self._resources_seen
            for url, kind in assets.to_capture(result.resources.assets, self.site_key, settings.image_hosts):
                if url in seen:
                    continue
                if len(seen) >= settings.max_resources:
                    self.crawler.stats.inc_value("xz/resources_capped")
                    break
                seen.add(url)
                # (a logo may be an SVG: tpure's own default is style/images/logo.svg, a file of
                # the theme, not a picture Pillow decodes)
                if kind in assets.PICTURES and resource_kind(url) != "vector":
                    pictures.append(url)
                else:
                    yield from self._follow_asset(url)
            yield from self._follow_pictures(pictures, "assets")
        if settings.thumbnails:
            thumbnails = [{"src": url} for url in result.resources.thumbnails]
            yield from self._follow_pictures(images.to_capture(thumbnails, self.site_key, settings.image_hosts))

    def _follow_asset(self, url: str):
        settings = self.image_settings
        key = nz.page_key(url)
        attempts = self.failed_images.get(key)
        if (attempts or 0) >= settings.max_attempts or not self._once(url):
            return
        headers = {}
        etag, last_modified = self.held_assets.get(key, (None, None))
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self.crawler.stats.inc_value("xz/assets_retried" if attempts else "xz/assets_requested")
        yield self._resource_request(url, self.parse_asset, self.on_asset_error, attempts, headers)

    def _resource_request(self, url: str, callback, errback, attempts: int | None, headers=None) -> scrapy.Request:
        """A photo's or a theme file's request: after the pages, within XZ_IMAGE_MAX_BYTES, its
        error statuses to the callback, the XZ_IMAGE_HOSTS let through (xz_image), a retry when
        it failed before (failing again is no new failure)."""
        return scrapy.Request(
            url,
            callback=callback,
            errback=errback,
            priority=IMAGE_PRIORITY,
            headers=headers or {},
            meta={
                "download_maxsize": self.image_settings.image_max_bytes,
                "handle_httpstatus_list": RESOURCE_STATUSES,
                "xz_image": True,
                "xz_retry": bool(attempts),
            },
        )

    def parse_asset(self, response):
        self.crawler.stats.inc_value("xz/asset_responses")
        result = self._harvest(response, "asset")
        if result.kind == "asset_unchanged":
            self.crawler.stats.inc_value("xz/assets_unchanged")
        yield from result.items
        yield from self._follow_resources(result)  # a stylesheet's fonts and pictures

    def on_asset_error(self, failure):
        yield from self.on_image_error(failure, "asset")

    def parse_image(self, response):
        self.crawler.stats.inc_value("xz/image_responses")
        yield from self._harvest(response, "image").items

    def on_image_error(self, failure, kind: str = "image"):
        """No response at all (refused, too large, robots): an image (or asset) failure with its
        reason. One robots.txt forbids is one too (obeyed, and said: the page cannot be seen whole
        without it): asked again, as photos are, while attempts are left (a robots.txt changes), and
        never as a page (a failure of kind "robots" is retried as a listing page). It does not count
        against XZ_MAX_IMAGE_FAILURE_RATE: the site asked for it (xz/resources_forbidden)."""
        request = failure.request
        if (
            isinstance(failure.value, IgnoreRequest)
            and "robots.txt" in str(failure.value)
            and not request.meta.get("xz_retry")
        ):
            self.crawler.stats.inc_value("xz/resources_forbidden")
        reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        yield items.failure(request.url, kind, reason, None, None, request.meta.get("xz_retry", False))

    def on_error(self, failure):
        request = failure.request
        response = getattr(failure.value, "response", None)
        # a redirect that failed is the failure of the address that was asked for
        url = (request.meta.get("redirect_urls") or [request.url])[0]
        if isinstance(failure.value, OffSiteRequest):
            kind = "offsite"
        elif isinstance(failure.value, IgnoreRequest) and "robots.txt" in str(failure.value):
            kind = "robots"  # the site asks us not to: kept as such, not an error of the crawl
        else:
            kind = "http" if response is not None else "network"
        if kind != "robots" and getattr(request.callback, "__name__", None) in ("parse_listing", "parse_home"):
            self._walk_incomplete(url, f"{failure.type.__name__}")
        yield items.failure(
            url,
            kind,
            f"{failure.type.__name__}: {failure.getErrorMessage()}",
            response.status if response is not None else None,
            response.body if response is not None else None,
            request.meta.get("xz_retry", False),
        )
