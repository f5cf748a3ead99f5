"""The platform's RSS feed (``/feed.php``) as a page object: a pure function of the saved bytes.

Z-BlogPHP prints the newest posts (ZC_RSS2_COUNT, 10 by default), newest first, each with
``title``, ``link``, ``description`` (the content) and ``pubDate``: the publication time to the
second with the site's offset, ``Tue, 24 Sep 2024 10:00:00 +0800`` (zb_system/feed.php; the
format is RFC 822 as RSS 2.0 asks; ../shared/site/README.md, "Also from the platform"). That time
is the one exact date the site gives for a post younger than a week, whose page shows only
"3天前" (tpure_TimeAgo).
"""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime

from lxml import etree

from .. import normalize as nz
from .common import article_id_from_url
from .records import FeedPage, UnreadablePage

MAX_ITEMS = 200  # the platform prints 10 (a setting can raise it); more is no feed of this site

# No entities resolved, no network, no huge trees: a feed is data from a server we do not trust.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)


def is_feed(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith(b"<?xml") and b"<rss" in body[:2048].lower()


_YEAR = re.compile(r"\b(\d{1,4})\s+\d{1,2}:\d{2}")


def _published(text: str | None, fetched_at: str) -> dict | None:
    """The date fields of a pubDate, to the second, in the site's time zone. None for what is not
    one: no offset, a year written with fewer than four digits (``0001`` is not 2001, as email's
    two-digit-year rule would have it), a time past year 9999 in the site's zone, a date outside
    the archive's window (normalize.DATES_FROM; Shanghai's historical offsets never arise)."""
    text = (text or "").strip()[:100]
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None or moment.tzinfo is None:  # no offset: the time zone is not known
        return None
    year = _YEAR.search(text)
    if year is None or len(year.group(1)) != 4 or int(year.group(1)) != moment.year:
        return None
    if moment.year < nz.DATES_FROM.year:
        return None  # (before astimezone: zoneinfo gives 1900 Shanghai's local mean time, +08:05:43)
    try:
        local = moment.astimezone(nz.SITE_TZ)
    except (OverflowError, ValueError):  # past year 9999 once in the site's zone
        return None
    if local > nz.parse_iso(fetched_at).astimezone(nz.SITE_TZ) + dt.timedelta(days=1):
        return None  # a date after the fetch is not a publication date
    fields = nz.parse_published(local.strftime("%Y-%m-%d %H:%M:%S"), fetched_at)
    return fields if fields["published_precision"] == "second" else None


def parse_feed(body: bytes, url: str, fetched_at) -> FeedPage | UnreadablePage:
    """The feed's items (url, title, published_text, date fields), or UnreadablePage for what is
    not an RSS feed. Never raises."""
    fetched_iso = nz.utc_iso(fetched_at)
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        return UnreadablePage(f"not an RSS feed: {exc}")
    if root is None or root.tag != "rss":
        return UnreadablePage("not an RSS feed: no <rss> root")
    articles = []
    for item in root.iterfind("channel/item"):
        if len(articles) >= MAX_ITEMS:
            break
        link = nz.absolute_url((item.findtext("link") or "").strip(), url)
        if not link or article_id_from_url(link) is None:
            continue
        text = (item.findtext("pubDate") or "").strip() or None
        dates = _published(text, fetched_iso)
        articles.append(
            {
                "url": link,
                "title": nz.clean_inline(item.findtext("title") or "") or None,
                "published_text": text,
                "views": None,  # the feed shows no count
                **(dates or dict.fromkeys(nz.DATE_FIELDS)),
            }
        )
    return FeedPage(url, articles)
