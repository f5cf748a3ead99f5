"""The items the spider (and ``xzcrawler reparse``, from WARC records) hands to the pipelines.

Plain dicts with a ``kind``: article, listing, not_modified, categories, failure. Keys that
start with ``_`` travel with an article but are not part of its record.
"""

from __future__ import annotations

from . import normalize as nz
from . import pages
from .pages.common import RawBody


def article(page: dict, body: bytes, etag: str | None, last_modified: str | None) -> dict:
    return {"kind": "article", **page, "_raw_body": RawBody(body), "_etag": etag, "_last_modified": last_modified}


def listing(site: str, url: str, page: dict, fetched_at: str) -> dict:
    """View counts and dates seen on a listing page, for the articles of ``site`` only (an item
    pointing at another host, or at no valid post id, says nothing about this site's articles)."""
    observations = []
    for item in page["articles"]:
        article_id = pages.article_id_from_url(item["url"])
        if article_id is None or pages.site_of(item["url"]) != site:
            continue
        observations.append({"article_id": article_id, "views": item["views"], "published_text": item.get("published_text"),
                             **{name: item.get(name) for name in nz.DATE_FIELDS}})  # fmt: skip
    return {"kind": "listing", "url": url, "site": site, "items": observations, "fetched_at": fetched_at}


def not_modified(site: str, article_id: int, fetched_at: str) -> dict:
    return {"kind": "not_modified", "site": site, "article_id": article_id, "fetched_at": fetched_at}


def categories(site: str, found: list[dict], fetched_at: str) -> dict:
    """Navigation categories of ``site`` (links to other hosts are not this site's categories)."""
    own = [category for category in found if pages.site_of(category["url"]) == site]
    return {"kind": "categories", "site": site, "categories": own, "fetched_at": fetched_at}


def failure(url: str, failure_kind: str, reason: str, status: int | None, body: bytes | None, retry: bool = False) -> dict:
    return {"kind": "failure", "url": url, "failure": failure_kind, "reason": reason, "http_status": status,
            "raw_body": RawBody(body) if body is not None else None, "retry": retry}  # fmt: skip
