"""The items the spider (and ``xzcrawler reparse``, from WARC records) hands to the pipelines.

Plain dicts with a ``kind``: article, listing, not_modified, categories, failure. Keys that
start with ``_`` travel with an article but are not part of its record.
"""

from __future__ import annotations

from . import pages
from .pages.common import RawBody


def article(page: dict, body: bytes, etag: str | None, last_modified: str | None) -> dict:
    return {"kind": "article", **page, "_raw_body": RawBody(body), "_etag": etag, "_last_modified": last_modified}


def listing(site: str, url: str, page: dict, fetched_at: str) -> dict:
    observations = [
        {"article_id": pages.article_id_from_url(item["url"]), "views": item["views"], "published_date": item["published_date"]}
        for item in page["articles"]
    ]
    return {"kind": "listing", "url": url, "site": site, "items": observations, "fetched_at": fetched_at}


def not_modified(site: str, article_id: int, fetched_at: str) -> dict:
    return {"kind": "not_modified", "site": site, "article_id": article_id, "fetched_at": fetched_at}


def categories(site: str, found: list[dict], fetched_at: str) -> dict:
    return {"kind": "categories", "site": site, "categories": found, "fetched_at": fetched_at}


def failure(url: str, failure_kind: str, reason: str, status: int | None, body: bytes | None, retry: bool = False) -> dict:
    return {"kind": "failure", "url": url, "failure": failure_kind, "reason": reason, "http_status": status,
            "raw_body": RawBody(body) if body is not None else None, "retry": retry}  # fmt: skip
