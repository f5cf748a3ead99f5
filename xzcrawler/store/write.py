"""What each kind of item the harvest makes writes to a store: the one path from items to rows,
for the crawl (StorePipeline) and for ``reparse`` alike. Any store of the Store protocol."""

from __future__ import annotations

import functools

from ..core import items


@functools.singledispatch
def write_item(item, store) -> int:
    """Write one item to ``store``; returns how many view counts a listing changed (0 otherwise).
    Raises StorageError when the storage refused; an article's own faults become failure rows."""
    raise TypeError(f"not an item of xzcrawler: {type(item).__name__}")


@write_item.register
def _(item: items.Article, store) -> int:
    store.add_article(item.record, item.raw_body, item.etag, item.last_modified)
    return 0


@write_item.register
def _(item: items.ListingSeen, store) -> int:
    return store.observe_listing(item.site, item.items, item.fetched_at, item.source, item.requested, item.url)


@write_item.register
def _(item: items.NotModified, store) -> int:
    store.mark_not_modified(item.site, item.article_id, item.fetched_at)
    return 0


@write_item.register
def _(item: items.PageFetched, store) -> int:
    store.resolve_failures(item.url)
    return 0


@write_item.register
def _(item: items.CategoriesSeen, store) -> int:
    store.record_categories(item.site, item.categories, item.fetched_at, item.site_name)
    return 0


@write_item.register
def _(item: items.Failure, store) -> int:
    store.record_failure(item.url, item.kind, item.reason, item.http_status, item.raw_body)
    return 0


@write_item.register
def _(item: items.SiteMoved, store) -> int:
    store.rebase(item.site, item.base_url)
    return 0


@write_item.register
def _(item: items.ImageCaptured, store) -> int:
    store.add_image(item)  # (its failures close by the PageFetched that follows it)
    return 0


@write_item.register
def _(item: items.AssetCaptured, store) -> int:
    store.add_asset(item)
    return 0
