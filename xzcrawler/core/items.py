"""The typed items the harvest (``harvest.py``) hands to the pipelines, from the crawl and from
``xzcrawler reparse`` alike. Pipelines dispatch on the type."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import normalize as nz
from . import pages
from .pages.common import RawBody


@dataclass
class Article:
    """An article page: its schema record, and what travels with it but is not part of it."""

    record: dict
    raw_body: RawBody | None = None
    etag: str | None = None
    last_modified: str | None = None
    declared_id: int | None = None  # the post id the markup claims (the identity check reads it)
    primary: tuple[str, ...] = ()  # watched fields found by their first-choice selector

    @property
    def url(self) -> str:
        return self.record.get("url") or ""


@dataclass
class ListingSeen:
    """View counts and dates of this site's articles seen on a listing page (or dates in the feed)."""

    site: str
    url: str
    fetched_at: str
    items: list[dict] = field(default_factory=list)
    source: str = "listing"  # "listing" | "feed"
    # ids of articles whose page this run had asked for before the listing came: the site may have
    # counted that fetch in the number shown, or not yet (requests overlap), so the number says
    # nothing sure of the readers' count (set by the spider, which alone knows its requests)
    requested: frozenset = frozenset()


@dataclass
class NotModified:
    site: str
    article_id: int
    fetched_at: str


@dataclass
class PageFetched:
    """A page fetched well that is no article (a listing, the home page, the feed, a 304): its
    open failures are resolved (an article's are, once its row is stored)."""

    url: str
    fetched_at: str


@dataclass
class CategoriesSeen:
    site: str
    categories: list[dict]
    fetched_at: str
    site_name: str | None = None  # the site's own name, as its home page gives it


@dataclass
class SiteMoved:
    """The site is now at ``base_url``: its stored addresses move there (decided by core.moves, on
    evidence, or asked for with -a move=1)."""

    site: str
    base_url: str


@dataclass
class ImageCaptured:
    """A photo fetched whole (core.images.inspect said so): kept in the WARC, listed in
    ``image_captures``. A missing or broken one is a Failure of kind "image" instead."""

    url: str
    fetched_at: str
    status: int
    content_type: str | None
    length: int
    digest: str
    width: int
    height: int
    format: str | None

    def row(self) -> dict:
        """The image_captures row (its columns, in their order)."""
        return {
            "url": self.url,
            "fetched_at": self.fetched_at,
            "status": self.status,
            "content_type": self.content_type,
            "bytes": self.length,
            "digest": self.digest,
            "width": self.width,
            "height": self.height,
            "format": self.format,
        }


@dataclass
class AssetCaptured:
    """A resource a page needs to be seen again (its theme's stylesheet, script or font; issue
    31), fetched well (core.assets.inspect): kept in the WARC, listed in ``asset_captures``; with
    the validators its server sent, for the next run's conditional request. A missing or wrong
    one is a Failure of kind "asset" instead."""

    url: str
    fetched_at: str
    status: int
    content_type: str | None
    length: int
    digest: str
    kind: str  # style | script | font | vector
    etag: str | None = None
    last_modified: str | None = None

    def row(self) -> dict:
        """The asset_captures row (its columns, in their order)."""
        return {
            "url": self.url,
            "fetched_at": self.fetched_at,
            "status": self.status,
            "content_type": self.content_type,
            "bytes": self.length,
            "digest": self.digest,
            "kind": self.kind,
            "etag": self.etag,
            "last_modified": self.last_modified,
        }


@dataclass
class Failure:
    """What could not be archived, kept raw with its reason."""

    url: str
    kind: str
    reason: str
    http_status: int | None = None
    raw_body: RawBody | None = None
    retry: bool = False  # a retry of a failure recorded by an earlier run


def article(
    page: pages.ArticlePage, body: bytes | None, etag: str | None = None, last_modified: str | None = None
) -> Article:
    """The Article item of a parsed article page (its record a copy: the pipelines clean it)."""
    return Article(
        dict(page.record),
        RawBody(body) if body is not None else None,
        etag,
        last_modified,
        page.declared_id,
        page.primary,
    )


def listing(
    site: str, url: str, page: pages.ListingPage | pages.FeedPage, fetched_at: str, source: str = "listing"
) -> ListingSeen:
    """Observations of the listing page's (or the feed's) items that belong to ``site`` (an item
    pointing at another host, or at no valid post id, says nothing about this site's articles)."""
    observations, seen = [], set()
    for item in page.articles:
        article_id = pages.article_id_from_url(item["url"])
        if article_id is None or pages.site_of(item["url"]) != site:
            continue
        if article_id in seen:
            continue  # one observation per article per page, however often (and under however many addresses) it is listed
        seen.add(article_id)
        observations.append(
            {
                "article_id": article_id,
                "views": item["views"],
                "views_rounded": item.get("views_rounded"),
                "published_text": item.get("published_text"),
                **{name: item.get(name) for name in nz.DATE_FIELDS},
            }
        )
    return ListingSeen(site, url, fetched_at, observations, source)


def categories(site: str, found: list[dict], fetched_at: str, name: str | None = None) -> CategoriesSeen:
    """Navigation categories of ``site`` (links to other hosts are not this site's categories)."""
    return CategoriesSeen(site, [c for c in found if pages.site_of(c["url"]) == site], fetched_at, name)


def failure(url: str, kind: str, reason: str, status: int | None, body: bytes | None, retry: bool = False) -> Failure:
    return Failure(url, kind, reason, status, RawBody(body) if body is not None else None, retry)
