"""What a page parses as: one typed structure per kind, the page → record contract.

``parse_page`` returns one of these, never raises, never a dict with private keys: the archive's
record of an article (``ArticlePage.record``, exactly the fields of schema/article.schema.json)
travels beside what the crawl needs of the page but the archive does not keep (the id the markup
claims, which fields the theme's first choice found, the theme, the neighbours to follow).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class ArticlePage:
    kind: ClassVar[str] = "article"
    record: dict  # the archive's record: the schema's fields, nothing else
    declared_id: int | None = (
        None  # the post id the markup claims (``<div id="post-2176">``): the identity check reads it
    )
    primary: tuple[str, ...] = ()  # watched fields found by the theme's first-choice selector (the drift guard)
    # the theme whose marks the page shows (themes.detect); None: no theme's, and every theme's
    # selectors were tried, in THEMES order
    theme: str | None = None
    neighbours: tuple[str, ...] = ()  # the previous and next article (tpure: within the category)

    def as_json(self) -> dict:
        return {"kind": self.kind, **self.record}


@dataclass(frozen=True)
class ListingPage:
    """A category page or the home page: its items (url, title, excerpt, dates, views), the next
    page and the last page its page bar announces."""

    kind: ClassVar[str] = "listing"
    articles: list[dict] = field(default_factory=list)
    next_page: str | None = None
    last_page: int | None = None
    theme: str | None = None  # as ArticlePage.theme

    def as_json(self) -> dict:
        return {"kind": self.kind, "articles": self.articles, "next_page": self.next_page, "last_page": self.last_page}


@dataclass(frozen=True)
class FeedPage:
    """The site's RSS feed: its items (url, title, published_text, dates; no views)."""

    kind: ClassVar[str] = "feed"
    url: str
    articles: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"kind": self.kind, "url": self.url, "articles": self.articles}


@dataclass(frozen=True)
class OtherPage:
    """No article and no listing: a soft 404 (the platform's 页面不存在, whatever its status), a page of
    no known shape, an empty document."""

    kind: ClassVar[str] = "other"

    def as_json(self) -> dict:
        return {"kind": self.kind}


@dataclass(frozen=True)
class UnreadablePage:
    """What could not be parsed (a parser bug, a feed that is no RSS): kept raw by the caller, with
    this reason."""

    kind: ClassVar[str] = "error"
    reason: str

    def as_json(self) -> dict:
        return {"kind": "other", "error": self.reason}


Page = ArticlePage | ListingPage | FeedPage | OtherPage | UnreadablePage
