"""One harvest path: a fetched page (a Scrapy response in the crawl, a WARC record in
``xzcrawler reparse``) becomes typed items here, and nowhere else.

Routing by the role the page was fetched in (home, listing, article) and by what it parses
as; 304s; error statuses; parser bugs caught (a page that cannot be parsed is a failure kept
raw, never lost). No Scrapy, no storage: the spider keeps only scheduling and following.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from . import assets, images, items, pages
from .pages import feed
from .pages.decode import charset_of
from .pages.resources import NONE as NO_RESOURCES
from .pages.resources import Resources, stylesheet_resources

HOME_PATHS = ("", "/", "/index.php")


@dataclass
class Exchange:
    """What was fetched: enough to harvest it again from a WARC record."""

    url: str
    status: int
    body: bytes
    fetched_at: str
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    role: str | None = None  # "home" | "listing" | "article" | "feed" | "image" | "asset"; None: from the address
    retry: bool = False
    article_id: int | None = None  # of a conditional request (its 304 has no body to say)
    resources: bool = False  # read what the page (or stylesheet) links to: the crawl follows them


@dataclass
class Harvest:
    kind: str  # article | listing | feed | not_modified | failure | image | image_failure | asset |
    # asset_unchanged | asset_failure | other | none
    items: list = field(default_factory=list)
    page: pages.Page | None = None  # the parsed page, for the spider to follow its links
    categories: list[dict] = field(default_factory=list)
    resources: Resources = NO_RESOURCES  # what it links to (Exchange.resources)


def role_of(url: str, body: bytes = b"", content_type: str | None = None) -> str:
    """What a capture was fetched as, when only its address and bytes are known (a re-extraction):
    the feed by what it is, an RSS document, wherever XZ_FEED_PATH put it (the crawl's setting is
    not asked again: one definition of the feed's address, the setting's); a photo by its type."""
    parts = urlsplit(url)
    path = parts.path
    if assets.kind_of_type(content_type) is not None:  # (before pictures: image/svg+xml is a file of the theme)
        return "asset"
    if (content_type or "").lower().startswith(images.IMAGE_TYPES) or path.lower().endswith(images.SUFFIXES):
        return "image"
    if path.lower().endswith(assets.SUFFIXES):
        return "asset"
    if path in HOME_PATHS and not parts.query:
        # (with a query it is a post, a category or a page of the home's list: the platform's
        # default, dynamic addresses, zb_system/defend/option.php: ZC_STATIC_MODE "ACTIVE",
        # ZC_ARTICLE_REGEX "{%host%}?id={%id%}", ZC_CATEGORY_REGEX "{%host%}?cate={%id%}&page=…")
        return "home"
    if feed.is_feed(body):
        return "feed"
    return "article" if pages.article_id_from_url(url) is not None else "listing"


# What a page fetched well is harvested as, when it is no article: its failures close at once.
FETCHED_WELL = ("listing", "feed", "not_modified", "other", "image", "asset", "asset_unchanged")


def harvest(exchange: Exchange, site: str) -> Harvest:
    """The items of one fetched page of ``site``. Never raises."""
    result = _harvest(exchange, site)
    if result.kind in FETCHED_WELL and exchange.status < 400:  # (a feed's 404 is "other", not well)
        result.items.append(items.PageFetched(exchange.url, exchange.fetched_at))
    return result


def _harvest(exchange: Exchange, site: str) -> Harvest:
    url, status, body = exchange.url, exchange.status, exchange.body
    if urlsplit(url).path == "/robots.txt":
        return Harvest("none")
    role = exchange.role or role_of(url, body, exchange.content_type)
    if role == "image":
        return _image(exchange)
    if role == "asset":
        return _asset(exchange)
    if status == 304:
        article_id = exchange.article_id or pages.article_id_from_url(url)
        return Harvest("not_modified", [items.NotModified(site, article_id, exchange.fetched_at)] if article_id else [])
    if role == "feed":
        return _feed(exchange, site)
    if status >= 400:
        return Harvest("failure", [items.failure(url, "http", f"HTTP {status}", status, body, exchange.retry)])
    charset = charset_of(exchange.content_type)
    found: list[dict] = []
    name = None
    if role == "home":
        try:
            doc, _ = pages.load_document(body, charset)
            found = [
                c
                for c in (pages.nav_categories(doc, url) if doc is not None else [])
                if pages.site_of(c["url"]) == site
            ]
            name = pages.site_name(doc)
        except Exception:  # noqa: BLE001  (a parser bug: the listing part below still runs, guarded)
            found = []
    page, linked = pages.parse_page_and_resources(body, url, exchange.fetched_at, charset, exchange.resources)
    kind = page.kind
    result = Harvest(kind if kind in ("article", "listing") else "other", page=page, categories=found, resources=linked)
    if role == "home":
        result.items.append(items.categories(site, found, exchange.fetched_at, name))
    if isinstance(page, pages.ArticlePage) and role != "home":
        result.items.append(items.article(page, body, exchange.etag, exchange.last_modified))
    elif isinstance(page, pages.ListingPage):
        result.items.append(items.listing(site, url, page, exchange.fetched_at))
    elif role == "article" or isinstance(page, pages.UnreadablePage):
        reason = page.reason if isinstance(page, pages.UnreadablePage) else f"not an article page (parsed as {kind})"
        result.kind = "failure"
        result.items.append(items.failure(url, "parse", reason, status, body, exchange.retry))
    return result


def _image(exchange: Exchange) -> Harvest:
    """A photo of a post: captured when the bytes are a whole picture, else an image failure
    (counted apart from the pages' failures) that says what came instead."""
    seen = images.inspect(exchange.status, exchange.content_type, exchange.body)
    if not seen.ok:
        failure = items.failure(
            exchange.url, "image", seen.reason or "no picture", exchange.status, None, exchange.retry
        )
        return Harvest("image_failure", [failure])
    captured = items.ImageCaptured(
        exchange.url,
        exchange.fetched_at,
        exchange.status,
        seen.content_type,
        seen.length,
        seen.digest,
        seen.width,
        seen.height,
        seen.format,
    )
    return Harvest("image", [captured])


def _asset(exchange: Exchange) -> Harvest:
    """A file of the theme a page needs (stylesheet, script, font): captured when it is one, else
    an asset failure (counted with the photos, apart from the pages) that says what came instead.
    A 304 is the file held, unchanged. A stylesheet's fonts and pictures are read for the crawl."""
    if exchange.status == 304:
        return Harvest("asset_unchanged")
    seen = assets.inspect(exchange.url, exchange.status, exchange.content_type, exchange.body)
    if not seen.ok:
        failure = items.failure(exchange.url, "asset", seen.reason or "no file", exchange.status, None, exchange.retry)
        return Harvest("asset_failure", [failure])
    captured = items.AssetCaptured(
        exchange.url,
        exchange.fetched_at,
        exchange.status,
        seen.content_type,
        seen.length,
        seen.digest,
        seen.kind,
        exchange.etag,
        exchange.last_modified,
    )
    linked = NO_RESOURCES
    if exchange.resources and seen.kind == "style":
        try:
            text = exchange.body.decode(charset_of(exchange.content_type) or "utf-8", "replace")
        except LookupError:  # a charset no codec knows
            text = exchange.body.decode("utf-8", "replace")
        linked = Resources(stylesheet_resources(text, exchange.url))
    return Harvest("asset", [captured], resources=linked)


def _feed(exchange: Exchange, site: str) -> Harvest:
    """The feed is a shortcut, not a page of the archive: a site without one (404), or one that
    serves something else there, loses nothing (the listings are walked as ever), so it is no
    failure; its items date the posts it lists, to the second."""
    if exchange.status >= 400 or not feed.is_feed(exchange.body):
        return Harvest("other")
    page = feed.parse_feed(exchange.body, exchange.url, exchange.fetched_at)
    if not isinstance(page, pages.FeedPage):
        return Harvest("other", page=page)
    return Harvest("feed", [items.listing(site, exchange.url, page, exchange.fetched_at, "feed")], page=page)
