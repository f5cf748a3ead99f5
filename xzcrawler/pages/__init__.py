"""Page objects: pure functions from saved input (bytes, url, fetch time) to dicts.

No network, no database. ``parse_page`` never raises: a page that cannot be
read is returned as ``{"kind": "error", "reason": ...}`` so callers can keep it
raw with its reason.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from .. import normalize as nz
from . import xpaths as X
from .article import parse_article
from .common import element_text, first
from .decode import decode_html
from .listing import nav_categories, parse_listing

__all__ = ["parse_page", "parse_html", "classify", "decode_html", "nav_categories", "load_document"]

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)


def load_document(body: bytes, header_encoding: str | None = None):
    """Decode and parse; returns (document or None, encoding)."""
    text, encoding = decode_html(body, header_encoding)
    text = _XML_DECL.sub("", text, count=1).replace("\x00", "")
    if not text.strip():
        return None, encoding
    try:
        return lxml.html.document_fromstring(text), encoding
    except (etree.ParserError, ValueError):
        return None, encoding


def classify(doc, url: str) -> str:
    """'article', 'listing' or 'other' (soft 404s and pages of no known shape)."""
    if doc is None:
        return "other"
    heading = first(X.TITLE(doc))
    probe = " ".join(
        element_text(el) for el in (first(X.TITLE_TAG(doc)), heading, first(X.ANY_H1(doc))) if el is not None
    )
    has_body = first(X.BODY(doc)) is not None
    if any(marker in probe for marker in X.NOT_FOUND_MARKERS) and not has_body:
        return "other"
    if X.LIST_ITEMS(doc) and not has_body:
        return "listing"
    if has_body or heading is not None:
        return "article"
    if X.POST_URL.search(url or "") and first(X.ANY_H1(doc)) is not None:
        return "article"
    if X.CATEGORY_URL.search(url or ""):
        return "listing"
    return "other"


def parse_html(doc, url: str, fetched_at=None) -> dict:
    kind = classify(doc, url)
    if kind == "article":
        return {"kind": "article", **parse_article(doc, url, fetched_at)}
    if kind == "listing":
        return parse_listing(doc, url, fetched_at)
    return {"kind": "other"}


def parse_page(body: bytes, url: str, fetched_at=None, header_encoding: str | None = None) -> dict:
    """Parse saved bytes. Always returns a dict with a 'kind'; never raises."""
    try:
        doc, _ = load_document(body, header_encoding)
        return parse_html(doc, url, nz.utc_iso(fetched_at))
    except Exception as exc:  # a parser bug must not lose the page: report it
        return {"kind": "error", "reason": f"{type(exc).__name__}: {exc}"}
