"""Small helpers shared by the page parsers."""

from __future__ import annotations

import re

from lxml import etree

from .. import normalize as nz
from . import xpaths as X

MAX_ID = 2**63 - 1  # SQLite's INTEGER; a larger "id" is no id of this site


def article_id_from_url(url: str | None) -> int | None:
    """The site's post id from an article URL (``/index.php/post/2176.html`` or ``?id=2176``);
    None when the URL is no post URL or the id is out of range (1 <= id < 2**63)."""
    match = X.POST_URL.search(url or "") or X.POST_QUERY.search(url or "")
    return _id(match.group(1)) if match else None


def category_id_from_url(url: str | None) -> int | None:
    """The site's category id from a category URL (``/category-2.html``, ``/category-2_3.html``,
    ``?cate=2``); None when the URL is no category URL or the id is out of range."""
    match = X.CATEGORY_URL.search(url or "")
    return _id(match.group(1) or match.group(3)) if match else None


def _id(digits: str) -> int | None:
    """An id of the site from its digits: 1 <= id <= MAX_ID, else None."""
    if len(digits) > 19:
        return None
    value = int(digits)
    return value if 1 <= value <= MAX_ID else None


def first(items):
    return items[0] if items else None


def pick(doc, alternatives):
    """The first element found by a tuple of alternative XPaths (see xpaths.py), or None."""
    for expr in alternatives:
        found = expr(doc)
        if found:
            return found[0]
    return None


def element_text(el) -> str:
    """All text below an element, as the browser would select it (no normalisation)."""
    if el is None:
        return ""
    if isinstance(el, str):
        return el
    if isinstance(el.tag, str):
        # libxml2 joins the subtree's text in C, decoded once: the string itertext() gives piece by
        # piece (tests/test_parser_robustness.py compares the two on every element of the saved
        # pages), five times faster for a title, twice for a body
        return etree.tostring(el, method="text", encoding="unicode", with_tail=False)
    return "".join(el.itertext())


def site_title_suffix_removed(doc) -> str:
    """The <title> without its ' - 徐州厂房网' site suffix."""
    title = nz.clean_inline(element_text(first(X.TITLE_TAG(doc))))
    parts = re.split(r"\s+[-_|–—]\s+|_", title)
    return nz.strip_indent(parts[0]) if len(parts) > 1 else title


class RawBody(bytes):
    """Response bytes carried along with an item so a failure can be kept raw; short in logs."""

    def __repr__(self) -> str:
        return f"<{len(self)} raw bytes>"
