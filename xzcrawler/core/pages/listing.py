"""Listing pages (home, category pages): items, next page, last page."""

from __future__ import annotations

from .. import normalize as nz
from . import themes as T
from . import xpaths as X
from .common import element_text, first
from .records import ListingPage


def _page_number(url: str | None) -> int | None:
    if not url:
        return None
    match = X.LISTING_PAGE_NUMBER.search(url)
    if match:
        return int(match.group(1) or match.group(2))
    return 1 if X.CATEGORY_URL.search(url) else None


def parse_listing(doc, url: str, fetched_at, shown: T.Theme | None = None) -> ListingPage:
    """The listing page's items, next page and last page; ``shown``: the theme the page shows
    (themes.detect), if any."""
    fetched_iso = nz.utc_iso(fetched_at)
    theme = T.reading(shown)
    articles = []
    seen = set()
    items, item_theme = T.pick_all(doc, theme, "list_items")
    for item in items:
        link = first(item_theme.item_link(item))
        if link is None:
            continue
        href = nz.absolute_url(link.get("href"), url)
        if not href or href in seen:
            continue
        seen.add(href)
        excerpt_el = first(item_theme.item_excerpt(item))
        time_el = first(item_theme.item_time(item))
        views_el = first(item_theme.item_views(item))
        published_text = nz.clean_inline(element_text(time_el)) if time_el is not None else None
        views_text = element_text(views_el) if views_el is not None else None
        views = nz.parse_count(views_text)
        dates = nz.parse_published(published_text, fetched_iso)
        articles.append(
            {
                "url": href,
                "title": nz.clean_inline(element_text(link)) or nz.clean_inline(link.get("title")),
                "excerpt": (nz.strip_indent(element_text(excerpt_el)) or None) if excerpt_el is not None else None,
                **dates,
                "published_text": published_text,
                "views": views,
                "views_rounded": nz.count_rounded(views_text) if views is not None else None,
            }
        )

    next_page = last_page = None
    bar, _, _ = T.pick(doc, theme, "pagebar")
    if bar is not None:
        next_page = nz.absolute_url(first(X.PAGEBAR_NEXT(bar)), url)
        last_href = first(X.PAGEBAR_LAST(bar))
        last_page = _page_number(nz.absolute_url(last_href, url)) if last_href else None
        if last_page is None:
            numbers = [_page_number(nz.absolute_url(h, url)) for h in X.PAGEBAR_LINKS(bar)]
            current = first(X.PAGEBAR_CURRENT(bar))
            if current is not None and element_text(current).strip().isdigit():
                numbers.append(int(element_text(current).strip()))
            numbers = [n for n in numbers if n]
            last_page = max(numbers) if numbers else None
    elif articles:
        last_page = _page_number(url) or 1
    return ListingPage(articles, next_page, last_page, shown.name if shown else None)


def nav_categories(doc, url: str) -> list[dict]:
    """Category links of the site navigation, in page order; when the navigation links to none,
    those anywhere on the page (Z-BlogPHP's default navigation module lists only 首页 and a page,
    ``li#nvabar-item-index`` and ``li#navbar-page-2``, as the platform installed with its defaults
    serves it: the home page's posts still link their categories, and the sidebar its catalog)."""
    theme = T.reading(T.detect(doc) if doc is not None else None)
    links = theme.nav_links(doc) or [a for t in T.THEMES if t is not theme for a in t.nav_links(doc)]
    return _category_links(links, url) or _category_links(X.ANY_LINK(doc) if doc is not None else [], url)


def _category_links(links, url: str) -> list[dict]:
    found, seen = [], set()
    for link in links:
        href = nz.absolute_url(link.get("href"), url)
        if href and X.CATEGORY_URL.search(href) and href not in seen:
            seen.add(href)
            found.append({"url": href, "name": nz.clean_inline(element_text(link)) or link.get("title")})
    return found


def site_name(doc) -> str | None:
    """The site's own name (徐州厂房网), as the platform prints it on every page."""
    if doc is None:
        return None
    for expr in X.SITE_NAME:
        for found in expr(doc):
            name = nz.clean_inline(found if isinstance(found, str) else element_text(found))
            if name:
                return name[:200]
    return None
