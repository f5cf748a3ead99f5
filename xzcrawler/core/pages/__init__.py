"""Page objects: pure functions from saved input (bytes, url, fetch time) to typed pages
(``records.py``: ArticlePage, ListingPage, FeedPage, OtherPage, UnreadablePage).

No network, no database. ``parse_page`` never raises: a page that cannot be
read is returned as ``UnreadablePage(reason)`` so callers can keep it raw with
its reason.
"""

from __future__ import annotations

import re
import threading
from typing import NamedTuple

from lxml import etree

from .. import normalize as nz
from . import themes as T
from . import xpaths as X
from .article import parse_article
from .common import article_id_from_url, category_id_from_url, element_text, first, pick
from .decode import decode_html, whole_utf8
from .listing import nav_categories, parse_listing, site_name
from .records import ArticlePage, FeedPage, ListingPage, OtherPage, Page, UnreadablePage
from .resources import NONE as NO_RESOURCES
from .resources import Resources, page_resources

__all__ = [
    "ArticlePage",
    "FeedPage",
    "ListingPage",
    "OtherPage",
    "Page",
    "UnreadablePage",
    "parse_page",
    "parse_page_and_resources",
    "Resources",
    "parse_html",
    "classify",
    "decode_html",
    "nav_categories",
    "site_name",
    "load_document",
    "article_id_from_url",
    "category_id_from_url",
    "site_of",
    "MAX_BODY",
]

site_of = nz.site_of
MAX_BODY = 16 * 1024 * 1024  # the site's pages are ~30 KB; anything past this is no page of it

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)
_local = threading.local()


def _parser() -> etree.HTMLParser:
    # lxml parsers are not shared across threads; plain etree elements are cheaper than lxml.html's.
    # No table of the page's ids (collect_ids): no selector asks for an id (XPath's id()), and
    # filling it took 5% of the parse.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.HTMLParser(
            encoding="utf-8", remove_comments=True, remove_pis=True, collect_ids=False
        )
    return parser


def load_document(body: bytes, header_encoding: str | None = None):
    """Decode and parse; returns (document or None, encoding)."""
    # a page that is UTF-8 throughout is parsed from the bytes as sent, if nothing is taken out
    # below (encoding the text again cost as much as decoding it)
    whole = whole_utf8(body)
    text, encoding = (whole, "utf-8") if whole is not None else decode_html(body, header_encoding)
    declaration = _XML_DECL.match(text)
    if declaration:
        text = text[declaration.end() :]
    nul = "\x00" in text
    if nul:
        text = text.replace("\x00", "")
    if not text or text.isspace():  # (strip() would copy the page to say the same)
        return None, encoding
    as_sent = whole is not None and not (declaration or nul)
    try:
        return etree.fromstring(body if as_sent else text.encode("utf-8", "surrogatepass"), _parser()), encoding
    except (etree.ParserError, etree.XMLSyntaxError, ValueError, UnicodeError):
        return None, encoding


class Classified(NamedTuple):
    """What kind of page a document is, and what the theme found of an article on it."""

    kind: str  # article | listing | other
    heading: object  # the title element
    body: object  # the body element
    theme: T.Theme | None  # the theme the page shows (themes.detect); None: none (or no document)
    primary: frozenset  # of "title", "body_text": found by the theme's first choice


def classify(doc, url: str) -> Classified:
    """('article' | 'listing' | 'other', title element, body element, theme, the fields of the
    two found by the theme's first choice: "title", "body_text").

    Soft 404s (the Z-BlogPHP "页面不存在" page, whatever its status) and pages of no known
    shape are 'other'.
    """
    if doc is None:
        return Classified("other", None, None, None, frozenset())
    theme = T.detect(doc)
    heading, title_primary, _ = T.pick(doc, T.reading(theme), "title")
    body, body_primary, _ = T.pick(doc, T.reading(theme), "body")
    primary = frozenset(name for name, hit in (("title", title_primary), ("body_text", body_primary)) if hit)
    heading_text = element_text(heading) if heading is not None else ""
    if any(marker in heading_text for marker in X.NOT_FOUND_MARKERS):
        return Classified("other", None, None, theme, primary)  # the not-found page, even dressed as a post
    if body is None:
        if any(t.not_found(doc) for t in T.THEMES):
            return Classified("other", None, None, theme, primary)  # the theme's 404 page (tpure: div.errorpage)
        probe = " ".join(
            element_text(el) for el in (first(X.TITLE_TAG(doc)), heading, pick(doc, X.ANY_H1)) if el is not None
        )
        if any(marker in probe for marker in X.NOT_FOUND_MARKERS):
            return Classified("other", None, None, theme, primary)
        if T.pick_all(doc, T.reading(theme), "list_items")[0]:
            return Classified("listing", None, None, theme, primary)
    if body is not None or heading is not None:
        return Classified("article", heading, body, theme, primary)
    if X.POST_URL.search(url or "") and pick(doc, X.ANY_H1) is not None:
        return Classified("article", pick(doc, X.ANY_H1), None, theme, primary)
    if X.CATEGORY_URL.search(url or ""):
        return Classified("listing", None, None, theme, primary)
    return Classified("other", None, None, theme, primary)


def parse_html(doc, url: str, fetched_at=None) -> ArticlePage | ListingPage | OtherPage:
    found = classify(doc, url)
    if found.kind == "article":
        return parse_article(doc, url, fetched_at, found.heading, found.body, found.theme, found.primary)
    if found.kind == "listing":
        return parse_listing(doc, url, fetched_at, found.theme)
    return OtherPage()


def parse_page(body: bytes, url: str, fetched_at=None, header_encoding: str | None = None) -> Page:
    """Parse saved bytes into a typed page (its ``kind``: article, listing, other, error); never
    raises."""
    return parse_page_and_resources(body, url, fetched_at, header_encoding, resources=False)[0]


def parse_page_and_resources(
    body: bytes, url: str, fetched_at=None, header_encoding: str | None = None, resources: bool = True
) -> tuple[Page, Resources]:
    """``parse_page``, and what the page needs to be seen again (``resources.page_resources``),
    from one parse of the bytes; never raises (a page whose resources cannot be read still parses,
    with none)."""
    try:
        doc, _ = load_document(body, header_encoding)
        page = parse_html(doc, url, nz.utc_iso(fetched_at))
    except Exception as exc:  # a parser bug must not lose the page: report it
        return UnreadablePage(f"{type(exc).__name__}: {exc}"), NO_RESOURCES
    if not resources:
        return page, NO_RESOURCES
    try:
        return page, page_resources(doc, url)
    except Exception:  # noqa: BLE001  (the page is read: what it links to is a lesser loss)
        return page, NO_RESOURCES
